// What the central store did with this console's offline widget edits. A conflict (the same
// field changed here and there) is held until an admin resolves it on the conflict screen: each
// conflicting field with its base, this console's and the centre's value, a side chosen for
// each, and the three whole widgets side by side. A merge (the centre changed other fields) is
// said plainly, with the fields it took, until someone marks it read.
import { useState } from 'react';
import type { Role } from '../../bindings/Role';
import type { Side } from '../../bindings/Side';
import type { WidgetNotice } from '../../bindings/WidgetNotice';
import { dateTime } from '../../lib/format';
import { t } from '../../lib/i18n';
import { api, ConsoleError } from '../../lib/ipc';
import { fieldNames, specFields, unchosen } from './model';

const shown = (v: string | null | undefined) => (v === null || v === undefined ? t('sync.notice.absent') : v);

export function WidgetNotices({
  notices,
  role,
  onChanged,
}: {
  notices: WidgetNotice[];
  role: Role;
  onChanged: (n: WidgetNotice[]) => void;
}) {
  const [open, setOpen] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = (run: () => Promise<WidgetNotice[]>) => {
    setBusy(true);
    setError(null);
    run().then(
      (n) => {
        setBusy(false);
        setOpen(null);
        onChanged(n);
      },
      (e: unknown) => {
        setBusy(false);
        setError(e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e));
      },
    );
  };
  const admin = role === 'admin';
  const resolving = notices.find((n) => n.id === open && n.kind === 'conflict');
  return (
    <>
      <h3>{t('sync.notice.title')}</h3>
      {error && (
        <p className="error-line" role="alert" data-notice-error>
          {error}
        </p>
      )}
      {notices.length === 0 ? (
        <p className="muted" data-notices="empty">
          {t('sync.notice.none')}
        </p>
      ) : (
        <table className="grid" data-notices>
          <thead>
            <tr>
              <th>{t('sync.notice.widget')}</th>
              <th>{t('sync.notice.what')}</th>
              <th>{t('sync.notice.fields')}</th>
              <th>{t('sync.notice.centralBy')}</th>
              <th>{t('sync.since')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {notices.map((n) => (
              <tr key={n.id} data-notice={n.id} data-kind={n.kind}>
                <td>
                  {n.connection}/{n.widget}
                </td>
                <td>
                  {n.kind === 'conflict' ? (
                    <span className="sync-held">◆ {t('sync.notice.conflict')}</span>
                  ) : (
                    t('sync.notice.merged')
                  )}
                </td>
                <td>{n.fields.map((f) => f.field).join(', ')}</td>
                <td>
                  {n.central_by} (v{n.central_version})
                </td>
                <td>{dateTime(n.detected_at)}</td>
                <td>
                  {!admin ? (
                    <span className="muted">{t('sync.notice.adminOnly')}</span>
                  ) : n.kind === 'conflict' ? (
                    <button type="button" data-action="open-conflict" disabled={busy} onClick={() => setOpen(n.id)}>
                      {t('sync.notice.resolve')}
                    </button>
                  ) : (
                    <button type="button" data-action="notice-seen" disabled={busy} onClick={() => act(() => api.dismissWidgetNotice(n.id))}>
                      {t('sync.notice.seen')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {resolving && (
        <ConflictScreen
          key={resolving.id}
          notice={resolving}
          busy={busy}
          onCancel={() => setOpen(null)}
          onResolve={(choices) => act(() => api.resolveWidgetConflict(resolving.id, choices))}
        />
      )}
    </>
  );
}

function ConflictScreen({
  notice: n,
  busy,
  onCancel,
  onResolve,
}: {
  notice: WidgetNotice;
  busy: boolean;
  onCancel: () => void;
  onResolve: (choices: Record<string, Side>) => void;
}) {
  const [choices, setChoices] = useState<Partial<Record<string, Side>>>({});
  const left = unchosen(n.fields, choices);
  const [base, local, central] = [specFields(n.base), specFields(n.local), specFields(n.central)];
  const conflicting = new Set(n.fields.map((f) => f.field));
  // Sent only once every conflicting field has a side (the core checks it again).
  const send = (): void => {
    onResolve(choices as Record<string, Side>);
  };
  return (
    <section className="conflict-screen" aria-label={t('sync.conflict.title', { widget: n.widget })} data-conflict={n.id}>
      <h3>{t('sync.conflict.title', { widget: `${n.connection}/${n.widget}` })}</h3>
      <p>{t('sync.conflict.explain', { base: n.base_version, central: n.central_version, by: n.central_by })}</p>
      <table className="grid" data-conflict-fields>
        <thead>
          <tr>
            <th>{t('sync.conflict.field')}</th>
            <th>{t('sync.conflict.base', { v: n.base_version })}</th>
            <th>{t('sync.conflict.local')}</th>
            <th>{t('sync.conflict.central', { v: n.central_version })}</th>
          </tr>
        </thead>
        <tbody>
          {n.fields.map((f) => (
            <tr key={f.field} data-field={f.field} data-chosen={choices[f.field] ?? ''}>
              <td>
                <span className="sync-held">◆</span> {f.field}
              </td>
              <td className="meta">{shown(f.base)}</td>
              <td>
                <label>
                  <input
                    type="radio"
                    name={`keep-${f.field}`}
                    data-keep="local"
                    checked={choices[f.field] === 'local'}
                    onChange={() => setChoices({ ...choices, [f.field]: 'local' })}
                  />{' '}
                  {shown(f.local)}
                </label>
              </td>
              <td>
                <label>
                  <input
                    type="radio"
                    name={`keep-${f.field}`}
                    data-keep="central"
                    checked={choices[f.field] === 'central'}
                    onChange={() => setChoices({ ...choices, [f.field]: 'central' })}
                  />{' '}
                  {shown(f.central)}
                </label>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <button
          type="button"
          data-action="resolve-conflict"
          disabled={busy || left.length > 0}
          title={left.length > 0 ? t('sync.conflict.chooseAll', { fields: left.join(', ') }) : ''}
          onClick={send}
        >
          {t('sync.conflict.save')}
        </button>{' '}
        <button type="button" data-action="cancel-conflict" onClick={onCancel}>
          {t('sync.conflict.cancel')}
        </button>{' '}
        {left.length > 0 && <span className="muted">{t('sync.conflict.chooseAll', { fields: left.join(', ') })}</span>}
      </p>
      <h4>{t('sync.conflict.whole')}</h4>
      <table className="grid" data-conflict-sides>
        <thead>
          <tr>
            <th>{t('sync.conflict.field')}</th>
            <th>{t('sync.conflict.base', { v: n.base_version })}</th>
            <th>{t('sync.conflict.local')}</th>
            <th>{t('sync.conflict.central', { v: n.central_version })}</th>
          </tr>
        </thead>
        <tbody>
          {fieldNames(n.base, n.local, n.central).map((k) => (
            <tr key={k} data-side-field={k} className={conflicting.has(k) ? 'sync-held' : ''}>
              <td>{k}</td>
              <td className="meta">{shown(base.get(k))}</td>
              <td>{shown(local.get(k))}</td>
              <td>{shown(central.get(k))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
