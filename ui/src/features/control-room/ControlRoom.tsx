// Every connection as a tile, virtualised so a thousand stay smooth; filters by status and text.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ConnectionAlarms } from '../../bindings/ConnectionAlarms';
import type { Status } from '../../bindings/Status';
import { useNow } from '../../lib/clock';
import { t } from '../../lib/i18n';
import type { Room } from './model';
import { TileCard } from './TileCard';

const STATUSES: Status[] = ['offline', 'untrusted', 'unauthorized', 'degraded', 'unknown', 'online'];
const TILE_WIDTH = 380;
const ROW_HEIGHT = 330;

export function ControlRoom({ room, alarms, onOpen }: { room: Room; alarms: ConnectionAlarms[]; onOpen: (name: string) => void }) {
  const alarmsOf = useMemo(() => new Map(alarms.map((a) => [a.connection_id, a])), [alarms]);
  const now = useNow();
  const [text, setText] = useState('');
  const [shown, setShown] = useState<Set<Status>>(new Set(STATUSES));
  const [width, setWidth] = useState(1200);
  const scroller = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const t of room.tiles.values()) c[t.status] = (c[t.status] ?? 0) + 1;
    return c;
  }, [room.tiles]);
  const ids = useMemo(() => {
    const q = text.trim().toLowerCase();
    return room.order.filter((id) => {
      const t = room.tiles.get(id);
      return t && shown.has(t.status) && (!q || t.name.toLowerCase().includes(q) || t.url.toLowerCase().includes(q));
    });
  }, [room.order, room.tiles, text, shown]);
  const columns = Math.max(1, Math.floor(width / TILE_WIDTH));
  const rows = Math.ceil(ids.length / columns);
  // The virtualiser hands out functions by design; it is not a value React can memoise.
  // eslint-disable-next-line react-hooks/incompatible-library
  const v = useVirtualizer({ count: rows, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 2 });
  const toggle = (s: Status) => {
    const next = new Set(shown);
    if (next.has(s)) next.delete(s);
    else next.add(s);
    setShown(next);
  };
  return (
    <section className="control-room" aria-label={t('nav.room')}>
      <div className="filters" role="toolbar" aria-label={t('room.filters')}>
        <input
          className="filter-text"
          type="search"
          placeholder={t('room.filterText')}
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-label={t('room.filterText')}
        />
        {STATUSES.map((s) => (
          // Colour only when some connection is in that state (ISA-101): a zero count is grey.
          <button
            key={s}
            type="button"
            className={`filter-status ${(counts[s] ?? 0) > 0 ? `status-${s}` : 'status-none'}`}
            aria-pressed={shown.has(s)}
            onClick={() => toggle(s)}
          >
            {t(`room.status.${s}`)} <span className="count">{counts[s] ?? 0}</span>
          </button>
        ))}
        <span className="filter-summary">
          {t('room.shown', { shown: ids.length, total: room.tiles.size })}
        </span>
      </div>
      <div className="tiles-scroll" ref={scroller}>
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {v.getVirtualItems().map((row) => (
            <div
              key={row.key}
              className="tile-row"
              style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${row.start}px)`, gridTemplateColumns: `repeat(${columns}, 1fr)` }}
            >
              {ids.slice(row.index * columns, row.index * columns + columns).map((id) => {
                const t = room.tiles.get(id);
                return t ? <TileCard key={id} tile={t} room={room} now={now} alarms={alarmsOf.get(id)} onOpen={onOpen} /> : null;
              })}
            </div>
          ))}
        </div>
        {room.loaded && room.tiles.size === 0 && <p className="empty">{t('room.empty')}</p>}
      </div>
    </section>
  );
}
