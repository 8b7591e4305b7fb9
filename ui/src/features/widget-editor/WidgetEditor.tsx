// The widget editor (admins): every connection's widgets, grouped by connection; open one to
// edit it, see its versions, copy it or delete it; or start a new one on a connection. The core
// checks the role on every call; this screen is only offered to admins.
import { useCallback, useEffect, useState } from 'react';
import type { WidgetGroup } from '../../bindings/WidgetGroup';
import type { WidgetKindInfo } from '../../bindings/WidgetKindInfo';
import type { WidgetRow } from '../../bindings/WidgetRow';
import { t } from '../../lib/i18n';
import { api, ConsoleError } from '../../lib/ipc';
import { WidgetForm } from './WidgetForm';
import { WidgetHistory } from './WidgetHistory';

/** `at`: the load the widget was opened after, so a widget saved under a new name is not taken for gone. */
type Open = { connection: string; name: string | null; at: number } | null;

function message(e: unknown): string {
  return e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e);
}

function Copy({ connection, widget, connections, onCopied }: { connection: string; widget: WidgetRow; connections: string[]; onCopied: (to: string, row: WidgetRow) => void }) {
  const [name, setName] = useState(`${widget.name}-copy`);
  const [to, setTo] = useState(connection);
  const [error, setError] = useState<string | null>(null);
  const copy = async () => {
    setError(null);
    try {
      const row = await api.duplicateWidget(connection, widget.name, name.trim(), to === connection ? null : to);
      onCopied(to, row);
    } catch (e) {
      setError(message(e));
    }
  };
  return (
    <form
      className="widget-copy"
      onSubmit={(e) => {
        e.preventDefault();
        void copy();
      }}
    >
      <label className="field">
        <span>{t('editor.copyAs')}</span>
        <input name="copy-name" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="field">
        <span>{t('editor.copyTo')}</span>
        <select name="copy-to" value={to} onChange={(e) => setTo(e.target.value)}>
          {connections.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" data-action="copy-widget">
        {t('editor.copy')}
      </button>
      {error && (
        <span className="error-line" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

export function WidgetEditor() {
  const [kinds, setKinds] = useState<WidgetKindInfo[] | null>(null);
  const [groups, setGroups] = useState<WidgetGroup[]>([]);
  const [open, setOpen] = useState<Open>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [copying, setCopying] = useState(false);
  // A changed number reopens the form from what is saved (after a save, restore or conflict).
  const [loaded, setLoaded] = useState(0);

  const reload = useCallback(() => {
    api.widgetGroups().then(
      (g) => {
        setGroups(g);
        setLoaded((n) => n + 1);
      },
      (e: unknown) => setError(message(e)),
    );
  }, []);

  useEffect(() => {
    api.widgetKinds().then(setKinds, (e: unknown) => setError(message(e)));
    reload();
  }, [reload]);

  const openWidget = (connection: string, name: string | null) => {
    setOpen({ connection, name, at: loaded });
    setConfirmingDelete(false);
    setCopying(false);
  };
  const saved = (connection: string, row: WidgetRow) => {
    openWidget(connection, row.name);
    reload();
  };
  const current = open?.name ? (groups.find((g) => g.connection === open.connection)?.widgets.find((w) => w.name === open.name) ?? null) : null;

  const remove = async () => {
    if (!open || !current) return;
    if (!confirmingDelete) {
      setConfirmingDelete(true);
      return;
    }
    try {
      await api.removeWidget(open.connection, current.name);
      setOpen(null);
      reload();
    } catch (e) {
      setError(message(e));
    }
  };

  return (
    <section className="widget-editor" aria-label={t('nav.widgets')}>
      <aside className="widget-list">
        {error && (
          <p className="error-line" role="alert">
            {error}
          </p>
        )}
        {groups.map((g) => (
          <div key={g.connection} className="widget-group" data-widget-group={g.connection}>
            <h2>
              {g.connection}
              <button type="button" onClick={() => openWidget(g.connection, null)} data-action="new-widget">
                {t('editor.new')}
              </button>
            </h2>
            {g.widgets.length === 0 && <p className="muted">{t('editor.none')}</p>}
            <ul>
              {g.widgets.map((w) => (
                <li key={w.id}>
                  <button
                    type="button"
                    className="widget-item"
                    aria-current={open?.connection === g.connection && open.name === w.name}
                    onClick={() => openWidget(g.connection, w.name)}
                    data-widget-item={`${g.connection}/${w.name}`}
                  >
                    <span>{w.name}</span>
                    <span className="muted">
                      {w.kind} · v{w.version}
                    </span>
                    {!w.active && <span className="badge">{t('editor.hidden')}</span>}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </aside>
      <div className="widget-work">
        {!open && <p className="empty">{t('editor.choose')}</p>}
        {open && kinds && (open.name === null || current) && (
          <>
            <WidgetForm
              key={`${open.connection}/${open.name ?? ''}/${current?.version ?? 'new'}/${loaded}`}
              kinds={kinds}
              connection={open.connection}
              existing={current}
              onSaved={(row) => saved(open.connection, row)}
              onCancel={() => setOpen(null)}
              onReload={reload}
            />
            {current && (
              <>
                <div className="form-actions widget-actions">
                  <button type="button" onClick={() => setCopying(!copying)} data-action="duplicate">
                    {t('editor.duplicate')}
                  </button>
                  <button type="button" className={confirmingDelete ? 'danger' : ''} onClick={() => void remove()} data-action="delete-widget">
                    {confirmingDelete ? t('editor.deleteConfirm', { name: current.name }) : t('common.delete')}
                  </button>
                  {confirmingDelete && (
                    <button type="button" onClick={() => setConfirmingDelete(false)}>
                      {t('editor.keep')}
                    </button>
                  )}
                </div>
                {copying && <Copy connection={open.connection} widget={current} connections={groups.map((g) => g.connection)} onCopied={(to, row) => saved(to, row)} />}
                <WidgetHistory connection={open.connection} widget={current} onRestored={(row) => saved(open.connection, row)} />
              </>
            )}
          </>
        )}
        {/* `open.at < loaded`, not `loaded > open.at`: the i18n test would read `> … <` as text. */}
        {open?.name && !current && open.at < loaded && <p className="muted">{t('editor.gone')}</p>}
      </div>
    </section>
  );
}
