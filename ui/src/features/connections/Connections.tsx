// Connections: add, edit and remove, including http probe expectations. The API key is typed
// once, sent straight to the OS keyring and never shown again (the field stays empty on edit:
// typing a new key replaces the stored one).
import { useEffect, useState } from 'react';
import type { ConnectionSpec } from '../../bindings/ConnectionSpec';
import type { ConnectionRemoval } from '../../bindings/ConnectionRemoval';
import type { ConnectionRow } from '../../bindings/ConnectionRow';
import { t, type Key } from '../../lib/i18n';
import { api, ConsoleError } from '../../lib/ipc';
import { StatusBadge } from '../status/StatusBadge';
import { removalNotice, totalOf } from './removal';

type Editing = { mode: 'add' } | { mode: 'edit'; name: string } | null;

// An address, not a word: the same in every language.
const EXAMPLE_URL = 'http://10.0.4.17:8080';

function message(e: unknown): string {
  return e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e);
}

function Field({ label, children }: { label: Key; children: React.ReactNode }) {
  return (
    <label className="field">
      <span>{t(label)}</span>
      {children}
    </label>
  );
}

function ConnectionForm({ editing, onDone }: { editing: Exclude<Editing, null>; onDone: (saved: boolean) => void }) {
  const [form, setForm] = useState<ConnectionSpec | null>(null);
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const editName = editing.mode === 'edit' ? editing.name : null;
  useEffect(() => {
    api.connectionForm(editName).then(setForm, (e: unknown) => setError(message(e)));
  }, [editName]);
  if (!form) return <p className="muted">{error ?? t('common.loading')}</p>;
  const set = <K extends keyof ConnectionSpec>(k: K, v: ConnectionSpec[K]) => setForm({ ...form, [k]: v });
  const num = (k: 'interval_ms' | 'timeout_ms' | 'confirm' | 'degraded_ms' | 'expect_status', scale = 1) => (
    <input
      type="number"
      name={k}
      value={form[k] / scale}
      onChange={(e) => set(k, Math.round(Number(e.target.value) * scale))}
      min={0}
      step="any"
    />
  );
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      if (editing.mode === 'add') await api.addConnection(form, key || null);
      else await api.updateConnection(editing.name, form, key || null);
      setKey('');
      onDone(true);
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="connection-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2>{editing.mode === 'add' ? t('conn.addTitle') : t('conn.editTitle', { name: editing.name })}</h2>
      <Field label="conn.name">
        <input name="name" value={form.name} onChange={(e) => set('name', e.target.value)} required autoFocus />
      </Field>
      <Field label="conn.url">
        <input name="url" value={form.url} onChange={(e) => set('url', e.target.value)} placeholder={EXAMPLE_URL} required />
      </Field>
      <Field label="conn.kind">
        <select name="kind" value={form.kind} disabled={editing.mode === 'edit'} onChange={(e) => set('kind', e.target.value as ConnectionSpec['kind'])}>
          <option value="station">{t('conn.kind.station')}</option>
          <option value="http">{t('conn.kind.http')}</option>
        </select>
      </Field>
      {form.kind === 'station' && (
        <Field label={editing.mode === 'add' ? 'conn.keyNew' : 'conn.keyReplace'}>
          <input name="key" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} required={editing.mode === 'add'} />
        </Field>
      )}
      <div className="field-row">
        <Field label="conn.interval">{num('interval_ms', 1000)}</Field>
        <Field label="conn.timeout">{num('timeout_ms', 1000)}</Field>
        <Field label="conn.confirm">{num('confirm')}</Field>
        <Field label="conn.degraded">{num('degraded_ms')}</Field>
      </div>
      {form.kind === 'http' && (
        <div className="field-row">
          <Field label="conn.expectStatus">{num('expect_status')}</Field>
          <Field label="conn.bodyContains">
            <input name="expect_keyword" value={form.expect_keyword ?? ''} onChange={(e) => set('expect_keyword', e.target.value || null)} />
          </Field>
          <Field label="conn.jsonField">
            <input name="expect_json_field" value={form.expect_json_field ?? ''} onChange={(e) => set('expect_json_field', e.target.value || null)} />
          </Field>
        </div>
      )}
      <Field label="conn.metadata">
        <input name="metadata" value={form.metadata} onChange={(e) => set('metadata', e.target.value)} />
      </Field>
      {error && (
        <p className="error-line" role="alert" data-form-error>
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" disabled={busy} data-action="save">
          {editing.mode === 'add' ? t('conn.add') : t('common.save')}
        </button>
        <button type="button" onClick={() => onDone(false)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

export function Connections() {
  const [rows, setRows] = useState<ConnectionRow[]>([]);
  const [editing, setEditing] = useState<Editing>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  // Removing asks once more in place (its history and key go with it).
  const [confirming, setConfirming] = useState<string | null>(null);
  // A connection whose history has not reached the central store yet: removing it anyway
  // discards that history, so it takes a second, explicit choice.
  const [unpushed, setUnpushed] = useState<string | null>(null);
  // What the last removal took with it, said once (history discarded, a key left behind).
  const [removed, setRemoved] = useState<ConnectionRemoval | null>(null);
  useEffect(() => {
    api.listConnections().then(setRows, (e: unknown) => setError(message(e)));
  }, [generation]);
  const remove = async (name: string) => {
    if (confirming !== name) {
      setConfirming(name);
      return;
    }
    setConfirming(null);
    await removeNow(name, false);
  };
  const removeNow = async (name: string, discardUnpushed: boolean) => {
    setUnpushed(null);
    try {
      const r = await api.removeConnection(name, discardUnpushed);
      setError(null);
      setRemoved(r);
      setGeneration((g) => g + 1);
    } catch (e) {
      if (e instanceof ConsoleError && e.code === 'unpushed_history') setUnpushed(name);
      setError(message(e));
    }
  };
  return (
    <section className="connections" aria-label={t('nav.connections')}>
      <div className="filters">
        <button type="button" onClick={() => setEditing({ mode: 'add' })} data-action="add-connection">
          {t('conn.add')}
        </button>
        {error && <span className="error-line">{error}</span>}
        {removed && (
          <span className="notice" data-removed={removed.name} data-discarded={totalOf(removed.discarded)}>
            {removalNotice(removed)}
          </span>
        )}
        {unpushed && (
          <button type="button" className="danger" data-action="discard-unpushed" onClick={() => void removeNow(unpushed, true)}>
            {t('conn.removeDiscard', { name: unpushed })}
          </button>
        )}
      </div>
      {editing && (
        <ConnectionForm
          editing={editing}
          onDone={(saved) => {
            setEditing(null);
            if (saved) setGeneration((g) => g + 1);
          }}
        />
      )}
      <table className="grid">
        <thead>
          <tr>
            <th>{t('conn.col.name')}</th>
            <th>{t('conn.col.status')}</th>
            <th>{t('conn.col.kind')}</th>
            <th>{t('conn.col.url')}</th>
            <th>{t('conn.col.interval')}</th>
            <th>{t('conn.col.key')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-row={r.name}>
              <td>{r.name}</td>
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td>{t(`conn.kindShort.${r.kind}`)}</td>
              <td>{r.url}</td>
              <td>{r.interval_ms / 1000} s</td>
              <td>{r.kind === 'station' ? (r.key_validated === null ? t('conn.key.notValidated') : r.key_validated ? t('conn.key.valid') : t('conn.key.rejected')) : '—'}</td>
              <td>
                <button type="button" onClick={() => setEditing({ mode: 'edit', name: r.name })}>
                  {t('common.edit')}
                </button>{' '}
                <button type="button" onClick={() => void remove(r.name)} className={confirming === r.name ? 'danger' : ''}>
                  {confirming === r.name ? t('conn.removeConfirm') : t('common.remove')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
