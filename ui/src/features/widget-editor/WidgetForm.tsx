// One widget's form: its name, kind, URL, whether it is shown, and the kind's settings, each
// with the core's verdict beside it as it is typed. A save carries the version the edit started
// from; if another admin saved in between, nothing is overwritten and the admin is told.
import { useEffect, useRef, useState } from 'react';
import type { FieldError } from '../../bindings/FieldError';
import type { WidgetKindInfo } from '../../bindings/WidgetKindInfo';
import type { WidgetRow } from '../../bindings/WidgetRow';
import { t } from '../../lib/i18n';
import { api, ConsoleError } from '../../lib/ipc';
import { emptyForm, errorsByField, formFrom, shownErrors, specFrom, withKind, type WidgetForm as Form } from './model';

// An address, not a word: the same in every language.
const EXAMPLE_URL = 'https://station.example/panel';

function FieldErrors({ at, errors }: { at: string; errors: Map<string, string[]> }) {
  const list = errors.get(at);
  if (!list) return null;
  return (
    <>
      {list.map((m) => (
        <span key={m} className="field-error" role="alert" data-field-error={at}>
          {m}
        </span>
      ))}
    </>
  );
}

export function WidgetForm({
  kinds,
  connection,
  existing,
  onSaved,
  onCancel,
  onReload,
}: {
  kinds: WidgetKindInfo[];
  connection: string;
  existing: WidgetRow | null;
  onSaved: (row: WidgetRow) => void;
  onCancel: () => void;
  /** Opens the widget as it is saved now (after a conflict). */
  onReload: () => void;
}) {
  const [form, setForm] = useState<Form>(() => (existing ? formFrom(existing, kinds) : emptyForm(kinds[0]?.kind ?? 'value')));
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(existing !== null);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [failure, setFailure] = useState<{ code: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const asked = useRef(0);
  const info = kinds.find((k) => k.kind === form.kind);

  // The core checks every change; only the latest answer is shown.
  useEffect(() => {
    const n = ++asked.current;
    api.checkWidget(specFrom(form, kinds)).then(
      (e) => n === asked.current && setErrors(e),
      (e: unknown) => n === asked.current && setFailure({ code: e instanceof ConsoleError ? e.code : 'internal', message: String(e instanceof Error ? e.message : e) }),
    );
  }, [form, kinds]);

  const touch = (field: string) => setTouched((t) => (t.has(field) ? t : new Set([...t, field])));
  const shown = errorsByField(shownErrors(errors, touched, submitted, form.extra));
  const setting = (name: string, v: string) => setForm((f) => ({ ...f, settings: { ...f.settings, [name]: v } }));

  const save = async () => {
    setSubmitted(true);
    setBusy(true);
    setFailure(null);
    try {
      const spec = specFrom(form, kinds);
      const row = existing ? await api.saveWidget(connection, existing.name, existing.version, spec) : await api.addWidget(connection, spec);
      onSaved(row);
    } catch (e) {
      // An error about one field is already beside it (the same check ran); anything else here.
      if (e instanceof ConsoleError && e.field === null) setFailure({ code: e.code, message: e.message });
      else if (!(e instanceof ConsoleError)) setFailure({ code: 'internal', message: String(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="widget-form"
      data-widget-form={existing ? existing.name : 'new'}
      data-base-version={existing?.version}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2>{existing ? t('editor.formTitle', { connection, name: existing.name, version: existing.version }) : t('editor.newOn', { connection })}</h2>
      <div className="field-row">
        <label className="field">
          <span>{t('editor.name')}</span>
          <input name="name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} onBlur={() => touch('name')} autoFocus={!existing} />
          <FieldErrors at="name" errors={shown} />
        </label>
        <label className="field">
          <span>{t('editor.kind')}</span>
          <select name="kind" value={form.kind} onChange={(e) => setForm(withKind(form, e.target.value, kinds))}>
            {!info && <option value={form.kind}>{t('editor.unknownKind', { kind: form.kind })}</option>}
            {kinds.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.title}
              </option>
            ))}
          </select>
          <FieldErrors at="kind" errors={shown} />
        </label>
        <label className="field check-field">
          <span>{t('editor.active')}</span>
          <input name="active" type="checkbox" checked={form.active} onChange={(e) => setForm({ ...form, active: e.target.checked })} />
        </label>
      </div>
      {info && <p className="muted">{info.description}</p>}
      <label className="field">
        <span>{info?.needs_url ? t('editor.urlRequired') : t('editor.urlOptional')}</span>
        <input name="url" value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} onBlur={() => touch('url')} placeholder={EXAMPLE_URL} />
        <FieldErrors at="url" errors={shown} />
      </label>
      <fieldset className="settings">
        <legend>{t('editor.settings')}</legend>
        <FieldErrors at="config" errors={shown} />
        <div className="field-row">
          {info?.fields.map((f) => {
            const at = `config.${f.name}`;
            return (
              <label key={f.name} className={`field${shown.has(at) ? ' field-wrong' : ''}`}>
                <span>
                  {f.title}
                  {f.required ? ` ${t('editor.required')}` : ''}
                </span>
                <input
                  name={at}
                  value={form.settings[f.name] ?? ''}
                  inputMode={f.input === 'text' ? 'text' : 'decimal'}
                  aria-invalid={shown.has(at)}
                  onChange={(e) => setting(f.name, e.target.value)}
                  onBlur={() => touch(at)}
                />
                {f.description && <small className="muted">{f.description}</small>}
                <FieldErrors at={at} errors={shown} />
              </label>
            );
          })}
        </div>
        {Object.entries(form.extra).map(([k, v]) => (
          <div key={k} className="extra-setting" data-extra-setting={k}>
            <code>
              {k}: {JSON.stringify(v)}
            </code>{' '}
            <button
              type="button"
              onClick={() => {
                setForm({ ...form, extra: Object.fromEntries(Object.entries(form.extra).filter(([name]) => name !== k)) });
              }}
            >
              {t('editor.removeSetting')}
            </button>
            <FieldErrors at={`config.${k}`} errors={shown} />
          </div>
        ))}
      </fieldset>
      {failure && (
        <div className="error-line" role="alert" data-form-error={failure.code}>
          {failure.message}
          {failure.code === 'edit_conflict' && (
            <button type="button" onClick={onReload} data-action="load-latest">
              {t('editor.loadLatest')}
            </button>
          )}
        </div>
      )}
      <div className="form-actions">
        <button type="submit" disabled={busy} data-action="save-widget">
          {existing ? t('editor.saveVersion') : t('editor.create')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('common.close')}
        </button>
        {/* `submitted` first: after `errors.length >` the i18n test would read the rest as text. */}
        {submitted && errors.length > 0 && (
          <span className="error-line">{errors.length === 1 ? t('editor.attentionOne') : t('editor.attention', { n: errors.length })}</span>
        )}
      </div>
    </form>
  );
}
