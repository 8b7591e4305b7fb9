// Always visible: how many alarms need the operator, the alarm rate, the mute switch, and in a
// flood one banner naming the first-out alarm and the worst repeaters. A new unacknowledged
// high-priority alarm sounds (unless muted) and shows a banner until it is acknowledged.
import { useEffect, useRef, useState } from 'react';
import type { AlarmsView } from '../../bindings/AlarmsView';
import { clock } from '../../lib/format';
import { t } from '../../lib/i18n';
import { newHighAlarms, source } from './model';
import { isMuted, setMuted, soundAlarm } from './sound';

export function AlarmCounter({ view, onOpen }: { view: AlarmsView | null; onOpen: () => void }) {
  const [muted, setMute] = useState(isMuted);
  if (!view) return <span className="alarm-counter">{t('alarms.loading')}</span>;
  const c = view.counts;
  const minutes = Math.round(view.flood.window_ms / 60_000);
  return (
    <span className="alarm-counter" data-alarm-counter>
      <button type="button" className={c.unacknowledged + c.returned_unacknowledged > 0 ? 'alarm-count alarm-count-unack' : 'alarm-count'} onClick={onOpen} data-active={c.active} data-unacknowledged={c.unacknowledged}>
        {t(c.active === 1 ? 'alarms.counter.one' : 'alarms.counter.other', { active: c.active, unack: c.unacknowledged + c.returned_unacknowledged })}
      </button>
      <span className="alarm-rate" data-alarm-rate={view.flood.rate} title={t('alarms.rateTitle')}>
        {view.flood.rate} / {minutes} min
      </span>
      <button
        type="button"
        className="mute"
        aria-pressed={muted}
        data-mute={muted}
        onClick={() => {
          setMuted(!muted);
          setMute(!muted);
        }}
      >
        {muted ? t('alarms.soundOff') : t('alarms.soundOn')}
      </button>
    </span>
  );
}

export function AlarmBanners({ view, onOpen }: { view: AlarmsView | null; onOpen: () => void }) {
  const heard = useRef<Set<string>>(new Set());
  const [fresh, setFresh] = useState<string[]>([]);
  useEffect(() => {
    if (!view) return;
    const r = newHighAlarms(heard.current, view.alarms);
    heard.current = r.now;
    if (r.fresh.length > 0) soundAlarm();
    // The banner stays while any of them is still unacknowledged.
    setFresh((f) => [...f.filter((k) => r.now.has(k)), ...r.fresh]);
  }, [view]);
  if (!view) return null;
  const f = view.flood;
  const newest = view.alarms.find((a) => fresh.includes(`${a.id}:${a.occurrence}`));
  return (
    <>
      {f.flooding && (
        <div className="banner banner-flood" role="alert" data-banner="flood">
          <strong>{t('alarms.flood')}</strong> —{' '}
          {f.started_at !== null
            ? t('alarms.floodRateSince', { rate: f.rate, minutes: Math.round(f.window_ms / 60_000), time: clock(f.started_at) })
            : t('alarms.floodRate', { rate: f.rate, minutes: Math.round(f.window_ms / 60_000) })}
          .{' '}
          {f.first_out_alarm && (
            <span data-first-out={f.first_out_alarm.id}>
              {t('alarms.firstOut')} <strong>{source(f.first_out_alarm)}</strong> — {f.first_out_alarm.message}.
            </span>
          )}
          {f.offenders.length > 0 && (
            <span className="offenders">
              {' '}
              {t('alarms.repeating', { list: f.offenders.map((o) => `${source(o.alarm)} (${o.times}×)`).join(', ') })}
            </span>
          )}{' '}
          <button type="button" onClick={onOpen}>
            {t('alarms.openList')}
          </button>
        </div>
      )}
      {!f.flooding && newest && (
        <div className="banner banner-alarm" role="alert" data-banner="new-alarm">
          <strong>{t('alarms.newHigh')}</strong> — {newest.message}{' '}
          <button type="button" onClick={onOpen}>
            {t('alarms.openList')}
          </button>
        </div>
      )}
    </>
  );
}
