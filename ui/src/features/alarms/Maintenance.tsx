// A connection's maintenance windows: open one now (duration and reason), end one early. While a
// window is open the connection's alarms are suppressed and its time is not downtime.
import { useEffect, useState } from 'react';
import type { MaintenanceWindow } from '../../bindings/MaintenanceWindow';
import { useNow } from '../../lib/clock';
import { dateTime } from '../../lib/format';
import { t, type Key } from '../../lib/i18n';
import { api, ConsoleError } from '../../lib/ipc';

const DURATIONS: { label: Key; ms: number }[] = [
  { label: 'duration.30m', ms: 30 * 60_000 },
  { label: 'duration.1h', ms: 3_600_000 },
  { label: 'duration.2h', ms: 2 * 3_600_000 },
  { label: 'duration.4h', ms: 4 * 3_600_000 },
  { label: 'duration.8h', ms: 8 * 3_600_000 },
  { label: 'duration.24h', ms: 24 * 3_600_000 },
];

export function Maintenance({ name }: { name: string }) {
  const [windows, setWindows] = useState<MaintenanceWindow[]>([]);
  const [ms, setMs] = useState(3_600_000);
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    api.maintenanceWindows(name).then(
      (w) => live && setWindows(w),
      (e: unknown) => live && setResult(e instanceof ConsoleError ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [name, tick]);
  const run = async (f: () => Promise<string>) => {
    try {
      setResult(await f());
    } catch (e) {
      setResult(e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e));
    }
    setTick((t) => t + 1);
  };
  const now = useNow();
  return (
    <div className="maintenance" data-maintenance>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const w = await api.openMaintenanceWindow(name, ms, reason);
            setReason('');
            return t('maint.until', { time: dateTime(w.ends_at) });
          });
        }}
      >
        <select name="maintenance-for" value={ms} onChange={(e) => setMs(Number(e.target.value))} aria-label={t('common.forHowLong')}>
          {DURATIONS.map((d) => (
            <option key={d.ms} value={d.ms}>
              {t(d.label)}
            </option>
          ))}
        </select>
        <input name="maintenance-reason" placeholder={t('maint.reasonPlaceholder')} value={reason} onChange={(e) => setReason(e.target.value)} aria-label={t('common.reason')} />
        <button type="submit" data-action="open-maintenance">
          {t('maint.start')}
        </button>
        {result && (
          <span className="muted" data-maintenance-result>
            {result}
          </span>
        )}
      </form>
      {windows.length > 0 && (
        <ul className="maintenance-list">
          {windows.map((w) => (
            <li key={w.id} data-window={w.id}>
              <strong>{w.starts_at <= now ? t('maint.active') : t('maint.planned')}</strong> {dateTime(w.starts_at)} – {dateTime(w.ends_at)}: {w.reason} ({w.created_by}){' '}
              <button type="button" onClick={() => void run(async () => (await api.endMaintenanceWindow(w.id), t('maint.ended')))} data-action="end-maintenance">
                {w.starts_at <= now ? t('maint.endNow') : t('common.cancel')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
