// The activity log: who did what, when, to which resource; filtered by time, actor, action and
// resource, with the hash chain's verification status always in view.
import { useEffect, useState } from 'react';
import type { ActivityFilter } from '../../bindings/ActivityFilter';
import type { ActivityView } from '../../bindings/ActivityView';
import { dateTime } from '../../lib/format';
import { t } from '../../lib/i18n';
import { api, ConsoleError } from '../../lib/ipc';

const DAY = 86_400_000;

export function Activity() {
  const [days, setDays] = useState(7);
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [resource, setResource] = useState('');
  const [view, setView] = useState<ActivityView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const filter: ActivityFilter = { since: Date.now() - days * DAY, until: null, actor, action, resource, limit: 1000 };
    api.activity(filter).then(setView, (e: unknown) => setError(e instanceof ConsoleError ? e.message : String(e)));
  }, [days, actor, action, resource]);
  const v = view?.verify;
  return (
    <section className="activity" aria-label={t('activity.title')}>
      <div className="filters">
        <label>
          {t('activity.last')}{' '}
          <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {([1, 7, 30, 365] as const).map((d) => (
              <option key={d} value={d}>
                {t(`activity.range.${d}`)}
              </option>
            ))}
          </select>
        </label>
        <input placeholder={t('activity.actor')} value={actor} onChange={(e) => setActor(e.target.value)} aria-label={t('activity.actorLabel')} />
        <input placeholder={t('activity.action')} value={action} onChange={(e) => setAction(e.target.value)} aria-label={t('activity.actionLabel')} />
        <input placeholder={t('activity.resource')} value={resource} onChange={(e) => setResource(e.target.value)} aria-label={t('activity.resourceLabel')} />
        {v && (
          <span className={v.problem ? 'chain chain-broken' : 'chain'} data-chain={v.problem ? 'broken' : 'intact'}>
            {v.problem
              ? `◆ ${t('activity.chainBroken', { seq: v.first_bad_seq ?? '?', problem: v.problem })}`
              : `○ ${t('activity.chainVerified', { n: v.entries_checked })}`}
          </span>
        )}
      </div>
      {error && <p className="error-line">{error}</p>}
      <div className="scroll">
        <table className="grid" data-activity>
          <thead>
            <tr>
              <th>#</th>
              <th>{t('activity.at')}</th>
              <th>{t('activity.actor')}</th>
              <th>{t('activity.action')}</th>
              <th>{t('activity.resource')}</th>
              <th>{t('activity.details')}</th>
            </tr>
          </thead>
          <tbody>
            {view?.entries.map((e) => (
              <tr key={e.seq} data-action={e.action}>
                <td className="num">{e.seq}</td>
                <td data-at={e.at_ms}>{dateTime(e.at_ms)}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td>{e.resource}</td>
                <td className="meta">{e.metadata === '{}' ? '' : e.metadata}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {view && (
          <p className="muted">
            {t('activity.shown', { shown: view.entries.length, scanned: view.scanned })}
          </p>
        )}
      </div>
    </section>
  );
}
