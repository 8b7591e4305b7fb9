// A widget's versions, newest first: who saved each, when and how. Picking an older one shows
// what differs from the current version, field by field, and offers to restore it (which saves
// it again as a new version; nothing in the history is ever rewritten).
import { useEffect, useState } from 'react';
import type { WidgetDiff } from '../../bindings/WidgetDiff';
import type { WidgetRow } from '../../bindings/WidgetRow';
import type { WidgetVersion } from '../../bindings/WidgetVersion';
import { dateTime } from '../../lib/format';
import { t } from '../../lib/i18n';
import { api, ConsoleError } from '../../lib/ipc';
import { changeWords, diffValue } from './model';

function message(e: unknown): string {
  return e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e);
}

export function WidgetHistory({ connection, widget, onRestored }: { connection: string; widget: WidgetRow; onRestored: (row: WidgetRow) => void }) {
  const [versions, setVersions] = useState<WidgetVersion[]>([]);
  const [picked, setPicked] = useState<number | null>(null);
  const [diff, setDiff] = useState<WidgetDiff | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.widgetHistory(connection, widget.name).then(setVersions, (e: unknown) => setError(message(e)));
  }, [connection, widget.name, widget.version]);

  useEffect(() => {
    if (picked === null) return;
    let live = true;
    api.widgetDiff(connection, widget.name, picked, null).then(
      (d) => live && setDiff(d),
      (e: unknown) => live && setError(message(e)),
    );
    return () => {
      live = false;
    };
  }, [connection, widget.name, widget.version, picked]);

  const restore = async (version: number) => {
    setError(null);
    try {
      const row = await api.restoreWidget(connection, widget.name, version, widget.version);
      setPicked(null);
      setDiff(null);
      onRestored(row);
    } catch (e) {
      setError(message(e));
    }
  };

  return (
    <section className="widget-history" aria-label={t('editor.history')}>
      <h2>{t('editor.versions')}</h2>
      {error && (
        <p className="error-line" role="alert">
          {error}
        </p>
      )}
      <table className="grid">
        <thead>
          <tr>
            <th className="num">{t('editor.col.version')}</th>
            <th>{t('editor.col.how')}</th>
            <th>{t('editor.col.by')}</th>
            <th>{t('editor.col.when')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version} aria-selected={picked === v.version}>
              <td className="num">{v.version}</td>
              <td>{changeWords(v.change, v.source)}</td>
              <td>{v.edited_by ?? '—'}</td>
              <td>{dateTime(v.edited_at)}</td>
              <td>
                {v.version === widget.version ? (
                  <span className="muted">{t('editor.current')}</span>
                ) : (
                  <button type="button" onClick={() => setPicked(v.version)} data-action="compare">
                    {t('editor.compare')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {diff && picked !== null && diff.from.version === picked && (
        <div className="widget-diff" data-diff-from={diff.from.version} data-diff-to={diff.to.version}>
          <h3>
            {t('editor.diffTitle', { from: diff.from.version, to: diff.to.version })}
          </h3>
          {diff.changes.length === 0 ? (
            <p className="muted">{t('editor.same')}</p>
          ) : (
            <table className="grid">
              <thead>
                <tr>
                  <th>{t('editor.col.field')}</th>
                  <th>{t('editor.col.versionN', { n: diff.from.version })}</th>
                  <th>{t('editor.current')}</th>
                </tr>
              </thead>
              <tbody>
                {diff.changes.map((c) => (
                  <tr key={c.field} data-changed-field={c.field}>
                    <td>{c.field}</td>
                    <td>{diffValue(c.before)}</td>
                    <td>{diffValue(c.after)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="form-actions">
            <button type="button" onClick={() => void restore(diff.from.version)} data-action="restore">
              {t('editor.restore', { n: diff.from.version })}
            </button>
            <button type="button" onClick={() => setPicked(null)}>
              {t('common.close')}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
