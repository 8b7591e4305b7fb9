// The widget editor's form: a kind's settings as text fields, turned into the config the core
// checks. Nothing is decided here: the core's check (the kind's JSON Schema and its rules) says
// what is wrong, at which field; this only keeps what was typed and puts each error beside it.
import type { FieldError } from '../../bindings/FieldError';
import type { WidgetKindInfo } from '../../bindings/WidgetKindInfo';
import type { WidgetSpec } from '../../bindings/WidgetSpec';
import { t } from '../../lib/i18n';

export interface WidgetForm {
  name: string;
  kind: string;
  url: string;
  active: boolean;
  /** What is typed in each of the kind's settings, as text ('' = not set). */
  settings: Record<string, string>;
  /**
   * Settings the config holds that the kind does not know (an older or hand-written config).
   * They are kept and sent, so the core names them, rather than dropped without a word.
   */
  extra: Record<string, unknown>;
}

function parse(config: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(config);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The form for a saved widget (or a new one of `kind`). */
export function formFrom(spec: WidgetSpec, kinds: WidgetKindInfo[]): WidgetForm {
  const info = kinds.find((k) => k.kind === spec.kind);
  const known = new Set(info?.fields.map((f) => f.name) ?? []);
  const settings: Record<string, string> = {};
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parse(spec.config))) {
    if (known.has(k)) settings[k] = typeof v === 'string' ? v : JSON.stringify(v);
    else extra[k] = v;
  }
  return { name: spec.name, kind: spec.kind, url: spec.url ?? '', active: spec.active, settings, extra };
}

export function emptyForm(kind: string): WidgetForm {
  return { name: '', kind, url: '', active: true, settings: {}, extra: {} };
}

/**
 * Another kind keeps the settings both kinds have (a point stays the point); the others are
 * left behind, since the new kind would refuse them.
 */
export function withKind(form: WidgetForm, kind: string, kinds: WidgetKindInfo[]): WidgetForm {
  const fields = new Set(kinds.find((k) => k.kind === kind)?.fields.map((f) => f.name) ?? []);
  const settings = Object.fromEntries(Object.entries(form.settings).filter(([k]) => fields.has(k)));
  return { ...form, kind, settings };
}

/**
 * The spec the core checks and saves. A number field holds a number when what was typed reads
 * as one; otherwise the text goes as typed, and the core's answer ("must be a number") is shown
 * at the field, never a silently changed value.
 */
export function specFrom(form: WidgetForm, kinds: WidgetKindInfo[]): WidgetSpec {
  const info = kinds.find((k) => k.kind === form.kind);
  const config: Record<string, unknown> = { ...form.extra };
  for (const f of info?.fields ?? []) {
    const raw = form.settings[f.name]?.trim() ?? '';
    if (raw === '') continue;
    if (f.input === 'text') {
      config[f.name] = form.settings[f.name];
    } else {
      const n = Number(raw);
      config[f.name] = Number.isFinite(n) && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw) ? n : raw;
    }
  }
  return { name: form.name.trim(), kind: form.kind, url: form.url.trim() === '' ? null : form.url.trim(), active: form.active, config: JSON.stringify(config) };
}

/** The core's errors by field; a field with several shows them all. */
export function errorsByField(errors: FieldError[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of errors) out.set(e.field, [...(out.get(e.field) ?? []), e.message]);
  return out;
}

/**
 * The errors to show now: a field's once it was touched, every one once a save was tried or when
 * the widget was already saved (an admin opening a stored widget should see what is wrong with
 * it). Settings the kind does not know are always shown: nobody typed them here.
 */
export function shownErrors(errors: FieldError[], touched: ReadonlySet<string>, all: boolean, extra: Record<string, unknown>): FieldError[] {
  if (all) return errors;
  return errors.filter((e) => touched.has(e.field) || (e.field.startsWith('config.') && e.field.slice(7) in extra));
}

/** A version's origin, for the history list. */
export function changeWords(change: string, source: string | null): string {
  switch (change) {
    case 'create':
      return t('editor.change.create');
    case 'edit':
      return t('editor.change.edit');
    case 'restore':
      return source ? t('editor.change.restoreFrom', { source }) : t('editor.change.restore');
    case 'duplicate':
      return source ? t('editor.change.duplicateFrom', { source }) : t('editor.change.duplicate');
    default:
      return t('editor.change.existing');
  }
}

/** A value in a diff: JSON text shown plainly, absent as a dash. */
export function diffValue(v: string | null): string {
  if (v === null) return '—';
  try {
    const parsed: unknown = JSON.parse(v);
    return typeof parsed === 'string' ? parsed : v;
  } catch {
    return v;
  }
}
