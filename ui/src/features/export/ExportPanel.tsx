// Exports of a connection's window: CSV of status history, raw metrics or point history (with
// progress and cancel), and the latency chart as PNG or SVG. The core writes the file whole or
// not at all and records the export in the activity log.
import { useEffect, useRef, useState } from 'react';
import type { ExportKind } from '../../bindings/ExportKind';
import { onExportProgress, type ExportProgress as Progress } from '../../lib/events';
import { t } from '../../lib/i18n';
import { api, ConsoleError } from '../../lib/ipc';

type What = ExportKind | 'chart-png' | 'chart-svg';
const WHATS: What[] = ['metrics', 'history', 'points', 'alarms', 'chart-png', 'chart-svg'];

let nextId = 1;

/// `only`: a single kind (no choice); `name` "" with `only` "alarms" exports every alarm.
export function ExportPanel({ name, since, until, only }: { name: string; since: number; until: number; only?: ExportKind }) {
  const [what, setWhat] = useState<What>(only ?? 'metrics');
  const [path, setPath] = useState('');
  const [job, setJob] = useState<Progress | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const running = useRef<number | null>(null);
  // A path the user typed is never replaced by the suggested one, however late that arrives.
  const typed = useRef(false);
  useEffect(() => {
    const ext = what === 'chart-png' ? 'png' : what === 'chart-svg' ? 'svg' : 'csv';
    const label = what.startsWith('chart') ? 'latency' : what;
    api.defaultExportPath(name === '' ? 'all' : name, label, ext).then(
      (p) => {
        if (!typed.current) setPath(p);
      },
      () => undefined,
    );
  }, [name, what]);
  useEffect(() => {
    const un = onExportProgress((p) => {
      if (p.id === running.current) setJob(p);
    });
    return () => {
      void un.then((f) => f());
    };
  }, []);
  const start = async () => {
    const id = nextId++;
    running.current = id;
    setResult(null);
    setJob({ id, done: 0, total: 0 });
    try {
      if (what === 'chart-png' || what === 'chart-svg') {
        const r = await api.exportChart(name, since, until, path, 1600, 600);
        setResult(t('export.savedChart', { file: r.file, samples: r.samples }));
      } else {
        const r = await api.exportCsv(id, what, name, since, until, path);
        setResult(t('export.savedCsv', { file: r.file, rows: r.rows }));
      }
    } catch (e) {
      setResult(e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e));
    } finally {
      running.current = null;
      setJob(null);
    }
  };
  return (
    <div className="export" aria-label={t('export.title')} data-since={since} data-until={until}>
      {!only && (
        <select value={what} onChange={(e) => setWhat(e.target.value as What)} aria-label={t('export.what')} name="export-kind">
          {WHATS.map((w) => (
            <option key={w} value={w}>
              {t(`export.kind.${w}`)}
            </option>
          ))}
        </select>
      )}
      <input className="export-path" name="export-path" value={path} onChange={(e) => {
          typed.current = true;
          setPath(e.target.value);
        }} aria-label={t('export.file')} />
      {job ? (
        <>
          <progress max={Math.max(job.total, 1)} value={job.done} />
          <span className="muted">
            {t('export.progress', { done: job.done, total: job.total })}
          </span>
          <button type="button" onClick={() => void api.cancelExport(job.id)}>
            {t('common.cancel')}
          </button>
        </>
      ) : (
        <button type="button" onClick={() => void start()} data-action="export">
          {t('export.start')}
        </button>
      )}
      {result && (
        <span className="export-result" data-export-result>
          {result}
        </span>
      )}
    </div>
  );
}
