// The activity log: who did what, when, to which resource; filtered by time, actor, action and
// resource, with the hash chain's verification status always in view.
import { useEffect, useState } from 'react';
import type { ActivityFilter } from '../../bindings/ActivityFilter';
import type { ActivityView } from '../../bindings/ActivityView';
import { dateTime } from '../../lib/format';
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
    <section className="activity" aria-label="Activity log">
      <div className="filters">
        <label>
          last{' '}
          <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
            <option value={1}>24 hours</option>
            <option value={7}>7 days</option>
            <option value={30}>30 days</option>
            <option value={365}>a year</option>
          </select>
        </label>
        <input placeholder="actor" value={actor} onChange={(e) => setActor(e.target.value)} aria-label="Actor" />
        <input placeholder="action" value={action} onChange={(e) => setAction(e.target.value)} aria-label="Action" />
        <input placeholder="resource" value={resource} onChange={(e) => setResource(e.target.value)} aria-label="Resource" />
        {v && (
          <span className={v.problem ? 'chain chain-broken' : 'chain'} data-chain={v.problem ? 'broken' : 'intact'}>
            {v.problem ? `◆ CHAIN BROKEN at #${v.first_bad_seq ?? '?'}: ${v.problem}` : `○ Chain verified (${v.entries_checked} entries)`}
          </span>
        )}
      </div>
      {error && <p className="error-line">{error}</p>}
      <div className="scroll">
        <table className="grid">
          <thead>
            <tr>
              <th>#</th>
              <th>at</th>
              <th>actor</th>
              <th>action</th>
              <th>resource</th>
              <th>details</th>
            </tr>
          </thead>
          <tbody>
            {view?.entries.map((e) => (
              <tr key={e.seq} data-action={e.action}>
                <td className="num">{e.seq}</td>
                <td>{dateTime(e.at_ms)}</td>
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
            {view.entries.length} shown of {view.scanned} in the window
          </p>
        )}
      </div>
    </section>
  );
}
