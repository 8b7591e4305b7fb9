// The sync view: where the console pushes, each stream's queue and health, a push now, and the
// quarantine, where an admin sees what the centre keeps refusing and retries or discards it;
// then what the centre did with offline widget edits (conflicts to resolve, merges to hear of).
import { useState } from 'react';
import type { Role } from '../../bindings/Role';
import type { SyncReport } from '../../bindings/SyncReport';
import type { SyncStatus } from '../../bindings/SyncStatus';
import { useNow } from '../../lib/clock';
import { age, dateTime } from '../../lib/format';
import { t } from '../../lib/i18n';
import { api, ConsoleError } from '../../lib/ipc';
import { syncWord } from './SyncIndicator';
import { WidgetNotices } from './WidgetNotices';
import { abnormal, discardable, heldRow, pullSentence, summarise } from './model';

const when = (ms: number | null) => (ms === null ? '—' : dateTime(ms));

export function SyncView({
  status,
  readError,
  role,
  onChanged,
}: {
  status: SyncStatus | null;
  readError: string | null;
  role: Role;
  onChanged: (s: SyncStatus) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<SyncReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const now = useNow();
  const unreadable = readError !== null && (
    <p className="error-line" role="alert" data-read-error>
      {t('sync.unreadableDetail', { error: readError })}
    </p>
  );
  if (!status) return unreadable || <p className="muted">{t('sync.loading')}</p>;
  const s = summarise(status);
  const pulledLine = report ? pullSentence(report.pulled, report.pull_error) : null;
  const act = (run: () => Promise<SyncReport | SyncStatus>) => {
    setBusy(true);
    setError(null);
    run().then(
      (r) => {
        if ('outcome' in r) {
          setReport(r);
          onChanged(r.status);
        } else {
          setReport(null);
          onChanged(r);
        }
        setBusy(false);
      },
      (e: unknown) => {
        setError(e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e));
        setBusy(false);
      },
    );
  };
  return (
    <section className="sync-view" aria-label={t('sync.title')}>
      <h2>{t('sync.title')}</h2>
      <p data-sync-summary={s.kind} className={abnormal(s.kind) ? `sync-${s.kind}` : ''}>
        <strong>{syncWord(status, now)}</strong>{' '}
        {status.central === null ? t('sync.notConnected') : t('sync.connectedTo', { central: status.central, login: status.login ?? '' })}
      </p>
      {status.central !== null && (
        <p>
          <button type="button" data-action="sync-now" disabled={busy} onClick={() => act(() => api.syncNow())}>
            {busy ? t('sync.pushing') : t('sync.now')}
          </button>
          {report && (
            <span className="sync-report" data-outcome={report.outcome}>
              {' '}
              {t(`sync.outcome.${report.outcome === 'drained' || report.outcome === 'held' ? report.outcome : 'failed'}`, {
                n: report.accepted,
                d: report.duplicates,
              })}
              {report.message ? ` ${report.message}` : ''}
            </span>
          )}
          {pulledLine && (
            <span className="sync-pulled" data-pulled>
              {' '}
              {pulledLine}
            </span>
          )}
        </p>
      )}
      {unreadable}
      {error && (
        <p className="error-line" role="alert" data-error>
          {error}
        </p>
      )}
      <table className="grid" data-sync-streams>
        <thead>
          <tr>
            <th>{t('sync.stream')}</th>
            <th>{t('sync.pending')}</th>
            <th>{t('sync.oldest')}</th>
            <th>{t('sync.lastSuccess')}</th>
            <th>{t('sync.failures')}</th>
            <th>{t('sync.nextAttempt')}</th>
            <th>{t('sync.lastError')}</th>
          </tr>
        </thead>
        <tbody>
          {status.streams.map((x) => (
            <tr key={x.stream} data-stream={x.stream} data-pending={x.pending} className={x.failures > 0 || x.quarantined > 0 ? 'sync-failing' : ''}>
              <td>{t(`sync.streamName.${x.stream}` as 'sync.streamName.activity_log')}</td>
              <td className="num">{x.pending}</td>
              <td title={when(x.oldest_pending_at)}>{x.oldest_pending_at === null ? '—' : age(now - x.oldest_pending_at)}</td>
              <td>{when(x.last_success_at)}</td>
              <td className="num">{x.failures}</td>
              <td>{x.failures > 0 ? when(x.next_attempt_at) : '—'}</td>
              <td className="meta" data-error={x.last_error === null ? 'none' : x.failures > 0 ? 'current' : 'cleared'}>
                {x.last_error === null ? '' : x.failures > 0 ? x.last_error : t('sync.errorCleared', { error: x.last_error })}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t('sync.quarantine')}</h3>
      {status.quarantine.length === 0 ? (
        <p className="muted" data-quarantine="empty">
          {t('sync.noneHeld')}
        </p>
      ) : (
        <table className="grid" data-quarantine>
          <thead>
            <tr>
              <th>#</th>
              <th>{t('sync.stream')}</th>
              <th>{t('sync.row')}</th>
              <th>{t('sync.reason')}</th>
              <th>{t('sync.attempts')}</th>
              <th>{t('sync.since')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {status.quarantine.map((q) => (
              <tr key={q.id} data-held={q.id} data-stream={q.stream}>
                <td className="num">{q.id}</td>
                <td>{t(`sync.streamName.${q.stream}` as 'sync.streamName.activity_log')}</td>
                <td>{heldRow(q)}</td>
                <td>
                  <span className="sync-held">◆ {q.reason}</span> <span className="meta">{q.detail}</span>
                </td>
                <td className="num">{q.attempts}</td>
                <td>{dateTime(q.first_failed_at)}</td>
                <td>
                  {role === 'admin' ? (
                    <>
                      <button type="button" data-action="retry-held" disabled={busy} onClick={() => act(() => api.retryQuarantined(q.id))}>
                        {t('sync.retry')}
                      </button>{' '}
                      {discardable(q) && (
                        <button
                          type="button"
                          data-action="discard-held"
                          disabled={busy}
                          title={t(q.stream === 'widgets' ? 'sync.discardWidgetNote' : 'sync.discardNote')}
                          onClick={() => act(() => api.discardQuarantined(q.id))}
                        >
                          {t('sync.discard')}
                        </button>
                      )}
                    </>
                  ) : (
                    <span className="muted">{t('sync.adminOnly')}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <WidgetNotices notices={status.notices} role={role} onChanged={(notices) => onChanged({ ...status, notices })} />
    </section>
  );
}
