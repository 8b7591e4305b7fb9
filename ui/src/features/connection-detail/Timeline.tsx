// Status over the window as bands: downtime (offline, unauthorized) in colour, unknown hatched
// grey (unwatched or no network: neither up nor down), up in calm grey.
import type { StatusSpan } from '../../bindings/StatusSpan';
import { dateTime } from '../../lib/format';
import { t } from '../../lib/i18n';
import { statusWord } from '../status/StatusBadge';

export function Timeline({ spans, since, until }: { spans: StatusSpan[]; since: number; until: number }) {
  const total = Math.max(1, until - since);
  return (
    <div className="timeline" role="img" aria-label={t('detail.timeline')}>
      {spans.map((s, i) => {
        const word = statusWord(s.status, s.observer_offline);
        return (
          <div
            key={i}
            className={`band band-${s.status}${s.observer_offline ? ' band-observer' : ''}`}
            data-status={s.status}
            style={{ left: `${((s.from_ms - since) / total) * 100}%`, width: `${Math.max(0.15, ((s.to_ms - s.from_ms) / total) * 100)}%` }}
            title={`${word}: ${dateTime(s.from_ms)} – ${dateTime(s.to_ms)}`}
          />
        );
      })}
    </div>
  );
}
