// The alarm list: active alarms by priority and time, state as word + shape + colour; select and
// acknowledge one, several or all shown; shelve with a reason and a duration; filter by
// connection, priority and state. A second tab shows the history, with CSV export.
import { useEffect, useMemo, useState } from 'react';
import type { AlarmFilter } from '../../bindings/AlarmFilter';
import type { AlarmHistoryRow } from '../../bindings/AlarmHistoryRow';
import type { AlarmRow } from '../../bindings/AlarmRow';
import type { AlarmState } from '../../bindings/AlarmState';
import type { Priority } from '../../bindings/Priority';
import { dateTime } from '../../lib/format';
import { t, type Key } from '../../lib/i18n';
import { api, ConsoleError } from '../../lib/ipc';
import { ExportPanel } from '../export/ExportPanel';
import { AlarmStateBadge, PriorityBadge } from './AlarmBadge';
import { actionWord, hiddenBecause, SHELVE_CHOICES, source, stateWord, sourceId } from './model';
import { useAlarms } from './useAlarms';

const STATE_CHOICES: { label: Key; states: AlarmState[] }[] = [
  { label: 'alarms.filter.needsOperator', states: [] },
  { label: 'alarms.filter.unacknowledged', states: ['unacknowledged', 'returned_unacknowledged'] },
  { label: 'alarms.filter.shelved', states: ['shelved'] },
  { label: 'alarms.filter.suppressed', states: ['suppressed'] },
  { label: 'alarms.filter.all', states: ['unacknowledged', 'acknowledged', 'returned_unacknowledged', 'shelved', 'suppressed', 'normal'] },
];
const PRIORITIES: Priority[] = ['high', 'medium', 'low'];

function message(e: unknown): string {
  return e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e);
}

export function AlarmList({ connections }: { connections: string[] }) {
  const [tab, setTab] = useState<'list' | 'history'>('list');
  return (
    <section className="alarms" aria-label={t('nav.alarms')}>
      <div className="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={tab === 'list'} onClick={() => setTab('list')} data-tab="list">
          {t('alarms.tab.list')}
        </button>
        <button type="button" role="tab" aria-selected={tab === 'history'} onClick={() => setTab('history')} data-tab="history">
          {t('alarms.tab.history')}
        </button>
      </div>
      {tab === 'list' ? <Current connections={connections} /> : <History connections={connections} />}
    </section>
  );
}

function Current({ connections }: { connections: string[] }) {
  const [connection, setConnection] = useState<string | null>(null);
  const [priorities, setPriorities] = useState<Priority[]>([]);
  const [stateChoice, setStateChoice] = useState(0);
  const filter: AlarmFilter = useMemo(
    () => ({ connection, priorities, states: STATE_CHOICES[stateChoice]?.states ?? [] }),
    [connection, priorities, stateChoice],
  );
  const { view, error, refresh } = useAlarms(filter);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [comment, setComment] = useState('');
  const [shelving, setShelving] = useState<AlarmRow | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const rows = view?.alarms ?? [];
  const waiting = rows.filter((a) => a.state === 'unacknowledged' || a.state === 'returned_unacknowledged');
  const act = async (f: () => Promise<string>) => {
    try {
      setResult(await f());
      setSelected(new Set());
    } catch (e) {
      setResult(message(e));
    }
    refresh();
  };
  const ack = (ids: number[]) =>
    act(async () => {
      const r = await api.acknowledgeAlarms({ ids }, comment.trim() || null);
      setComment('');
      return r.skipped.length
        ? t('alarms.ackedSkipped', { n: r.acknowledged.length, skipped: r.skipped.length })
        : t('alarms.acked', { n: r.acknowledged.length });
    });
  const ackAll = () =>
    act(async () => {
      const r = await api.acknowledgeAlarms({ all_visible: filter }, comment.trim() || null);
      setComment('');
      return t('alarms.acked', { n: r.acknowledged.length });
    });
  return (
    <>
      <div className="alarm-filters">
        <select aria-label={t('common.connection')} name="alarm-connection" value={connection ?? ''} onChange={(e) => setConnection(e.target.value || null)}>
          <option value="">{t('alarms.everyConnection')}</option>
          {connections.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        {PRIORITIES.map((p) => (
          <label key={p} className="check">
            <input
              type="checkbox"
              name={`priority-${p}`}
              checked={priorities.length === 0 || priorities.includes(p)}
              onChange={(e) => {
                const all = priorities.length === 0 ? PRIORITIES : priorities;
                const next = e.target.checked ? [...new Set([...all, p])] : all.filter((x) => x !== p);
                setPriorities(next.length === PRIORITIES.length ? [] : next);
              }}
            />
            <PriorityBadge priority={p} />
          </label>
        ))}
        <select aria-label={t('alarms.col.state')} name="alarm-state" value={stateChoice} onChange={(e) => setStateChoice(Number(e.target.value))}>
          {STATE_CHOICES.map((c, i) => (
            <option key={c.label} value={i}>
              {t(c.label)}
            </option>
          ))}
        </select>
      </div>
      <div className="alarm-actions">
        <input name="ack-comment" placeholder={t('alarms.comment')} value={comment} onChange={(e) => setComment(e.target.value)} aria-label={t('alarms.commentLabel')} />
        <button type="button" disabled={selected.size === 0} onClick={() => void ack([...selected])} data-action="ack-selected">
          {t('alarms.ackSelected', { n: selected.size })}
        </button>
        <button type="button" disabled={waiting.length === 0} onClick={() => void ackAll()} data-action="ack-all">
          {t('alarms.ackAll', { n: waiting.length })}
        </button>
        {result && (
          <span className="muted" data-alarm-result>
            {result}
          </span>
        )}
      </div>
      {error && <div className="banner banner-error">{error}</div>}
      {shelving && (
        <ShelveForm
          alarm={shelving}
          onCancel={() => setShelving(null)}
          onShelve={(ms, reason) =>
            void act(async () => {
              await api.shelveAlarm(shelving.id, ms, reason);
              setShelving(null);
              return t('alarms.shelved', { source: source(shelving) });
            })
          }
        />
      )}
      <table className="alarm-table" data-alarm-list>
        <thead>
          <tr>
            <th>
              <input
                type="checkbox"
                aria-label={t('alarms.selectAll')}
                checked={rows.length > 0 && selected.size === rows.length}
                onChange={(e) => setSelected(e.target.checked ? new Set(rows.map((a) => a.id)) : new Set())}
              />
            </th>
            <th>{t('alarms.col.priority')}</th>
            <th>{t('alarms.col.state')}</th>
            <th>{t('alarms.col.source')}</th>
            <th>{t('alarms.col.message')}</th>
            <th>{t('alarms.col.raised')}</th>
            <th>{t('alarms.col.acked')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={8} className="muted">
                {stateChoice === 0 ? t('alarms.noneNeeds') : t('alarms.noneMatches')}
              </td>
            </tr>
          )}
          {rows.map((a) => (
            <tr key={a.id} data-alarm={a.id} data-kind={a.kind} data-source={sourceId(a)} data-state={a.state} className={`alarm-row alarm-row-${a.state}`}>
              <td>
                <input
                  type="checkbox"
                  aria-label={t('alarms.select', { source: source(a) })}
                  checked={selected.has(a.id)}
                  onChange={(e) => {
                    const next = new Set(selected);
                    if (e.target.checked) next.add(a.id);
                    else next.delete(a.id);
                    setSelected(next);
                  }}
                />
              </td>
              <td>
                <PriorityBadge priority={a.priority} />
              </td>
              <td>
                <AlarmStateBadge state={a.state} priority={a.priority} />
                {hiddenBecause(a) && <div className="muted">{hiddenBecause(a)}</div>}
              </td>
              <td>{source(a)}</td>
              <td>{a.message}</td>
              <td>{a.raised_at === null ? '—' : dateTime(a.raised_at)}</td>
              <td data-acked-by={a.acked_by ?? ''}>{a.acked_by && a.acked_at !== null ? `${a.acked_by}, ${dateTime(a.acked_at)}` : '—'}</td>
              <td className="row-actions">
                {(a.state === 'unacknowledged' || a.state === 'returned_unacknowledged') && (
                  <button type="button" onClick={() => void ack([a.id])} data-action="ack">
                    {t('alarms.ack')}
                  </button>
                )}
                {a.state === 'shelved' ? (
                  <button type="button" onClick={() => void act(async () => (await api.unshelveAlarm(a.id), t('alarms.unshelved', { source: source(a) })))} data-action="unshelve">
                    {t('alarms.unshelve')}
                  </button>
                ) : (
                  a.state !== 'normal' && (
                    <button type="button" onClick={() => setShelving(a)} data-action="shelve">
                      {t('alarms.shelveOpen')}
                    </button>
                  )
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function ShelveForm({ alarm, onCancel, onShelve }: { alarm: AlarmRow; onCancel: () => void; onShelve: (ms: number, reason: string) => void }) {
  const [ms, setMs] = useState(SHELVE_CHOICES[1]?.ms ?? 3_600_000);
  const [reason, setReason] = useState('');
  return (
    <form
      className="shelve-form"
      data-shelve-form
      onSubmit={(e) => {
        e.preventDefault();
        onShelve(ms, reason);
      }}
    >
      <strong>{t('alarms.shelveTitle', { source: source(alarm) })}</strong> — {t('alarms.shelveHint')}
      <select name="shelve-for" value={ms} onChange={(e) => setMs(Number(e.target.value))} aria-label={t('common.forHowLong')}>
        {SHELVE_CHOICES.map((c) => (
          <option key={c.ms} value={c.ms}>
            {t(c.label)}
          </option>
        ))}
      </select>
      <input name="shelve-reason" required placeholder={t('alarms.reasonRequired')} value={reason} onChange={(e) => setReason(e.target.value)} aria-label={t('common.reason')} />
      <button type="submit" data-action="shelve-confirm">
        {t('alarms.shelve')}
      </button>
      <button type="button" onClick={onCancel}>
        {t('common.cancel')}
      </button>
    </form>
  );
}

const HISTORY_WINDOW_MS = 24 * 3_600_000;

function History({ connections }: { connections: string[] }) {
  const [connection, setConnection] = useState<string | null>(null);
  const [rows, setRows] = useState<AlarmHistoryRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [since] = useState(() => Date.now() - HISTORY_WINDOW_MS);
  const [until, setUntil] = useState(() => Date.now());
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    const now = Date.now();
    api.alarmHistory(since, now + 1, connection, 5000).then(
      (r) => {
        if (!live) return;
        setUntil(now);
        setRows(r.slice().reverse());
        setError(null);
      },
      (e: unknown) => live && setError(message(e)),
    );
    return () => {
      live = false;
    };
  }, [since, connection, tick]);
  return (
    <div data-alarm-history>
      <div className="alarm-filters">
        <select aria-label={t('common.connection')} value={connection ?? ''} onChange={(e) => setConnection(e.target.value || null)}>
          <option value="">{t('alarms.everyConnection')}</option>
          {connections.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => setTick((t) => t + 1)}>
          {t('common.refresh')}
        </button>
        <span className="muted">{t('alarms.last24')}</span>
      </div>
      <ExportPanel name={connection ?? ''} since={since} until={until + 1} only="alarms" />
      {error && <div className="banner banner-error">{error}</div>}
      <table className="alarm-table">
        <thead>
          <tr>
            <th>{t('alarms.col.at')}</th>
            <th>{t('alarms.col.source')}</th>
            <th>{t('alarms.col.action')}</th>
            <th>{t('alarms.col.state')}</th>
            <th>{t('alarms.col.priority')}</th>
            <th>{t('alarms.col.message')}</th>
            <th>{t('alarms.col.who')}</th>
            <th>{t('alarms.col.reason')}</th>
          </tr>
        </thead>
        <tbody>
          {(rows ?? []).map((h) => (
            <tr key={h.id} data-history-action={h.action}>
              <td>{dateTime(h.at)}</td>
              <td>{source(h)}</td>
              <td>{actionWord(h.action)}</td>
              <td>
                {stateWord(h.from_state)} → {stateWord(h.to_state)}
              </td>
              <td>
                <PriorityBadge priority={h.priority} />
              </td>
              <td>{h.message}</td>
              <td>{h.actor ?? '—'}</td>
              <td>{h.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
