import { memo } from 'react';
import type { ConnectionAlarms } from '../../bindings/ConnectionAlarms';
import type { Tile } from '../../bindings/Tile';
import { age } from '../../lib/format';
import { t } from '../../lib/i18n';
import { StatusBadge } from '../status/StatusBadge';
import { Widget } from '../widgets/Widget';
import { pointKey, type Room } from './model';
import { Sparkline } from './Sparkline';

interface Props {
  tile: Tile;
  room: Room;
  now: number;
  alarms: ConnectionAlarms | undefined;
  onOpen: (name: string) => void;
}

function TileCardInner({ tile, room, now, alarms, onOpen }: Props) {
  const abnormal = tile.status !== 'online';
  return (
    <article
      className={`tile tile-${tile.status}${abnormal ? ' tile-abnormal' : ''}`}
      data-connection={tile.name}
      data-status={tile.status}
      tabIndex={0}
      aria-label={`${tile.name}: ${t(`room.status.${tile.status}`)}`}
      onClick={() => onOpen(tile.name)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onOpen(tile.name);
        }
      }}
    >
      <header className="tile-head">
        <h2 className="tile-name">{tile.name}</h2>
        <StatusBadge status={tile.status} observerOffline={tile.observer_offline} />
        {alarms && (
          <span className={`tile-alarms prio-${alarms.worst}`} data-tile-alarms={alarms.active} data-tile-unack={alarms.unacknowledged} title={t('room.alarmsTitle', { active: alarms.active, unack: alarms.unacknowledged })}>
            ▲ {alarms.active}
            {alarms.unacknowledged > 0 ? ` ${t('room.newAlarms', { n: alarms.unacknowledged })}` : ''}
          </span>
        )}
      </header>
      <div className="tile-meta">
        <span>{t('room.for', { time: age(now - tile.status_since) })}</span>
        <span data-last-contact>
          {tile.last_contact_at === null ? t('room.neverAnswered') : t('room.lastContact', { time: age(now - tile.last_contact_at) })}
        </span>
        {/* Room for the alarm count (alarm management comes next). */}
      </div>
      <Sparkline points={tile.spark} />
      <div className="tile-widgets">
        {tile.widgets.map((w) => {
          const k = w.binding?.point ? pointKey(tile.name, w.binding.point) : '';
          return (
            <Widget
              key={w.id}
              widget={w}
              point={room.points.get(k)}
              trend={room.trends.get(k)}
              now={now}
              observerOnline={room.observerOnline}
            />
          );
        })}
      </div>
    </article>
  );
}

export const TileCard = memo(TileCardInner);
