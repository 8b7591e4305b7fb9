// The sync indicator's one word for the whole queue: what a person needs to know at a glance
// (ISA-101: grey while things go as they should, colour only when someone should look).
import type { FieldConflict } from '../../bindings/FieldConflict';
import type { PullSummary } from '../../bindings/PullSummary';
import type { QuarantineRow } from '../../bindings/QuarantineRow';
import type { Side } from '../../bindings/Side';
import type { WidgetSpec } from '../../bindings/WidgetSpec';
import type { SyncStatus } from '../../bindings/SyncStatus';
import { dateTime } from '../../lib/format';
import { t } from '../../lib/i18n';

export type SyncKind = 'local' | 'synced' | 'waiting' | 'failing' | 'held';

export interface SyncSummary {
  kind: SyncKind;
  /** Rows waiting over all streams. */
  pending: number;
  /** The oldest waiting row's time (UTC ms), over all streams. */
  oldestAt: number | null;
  /** Rows the centre refused plus widget conflicts: each waits for a person. */
  held: number;
  /** Widget edits that conflict with the centre's (part of `held`). */
  conflicts: number;
  /** The newest error of a failing stream. */
  lastError: string | null;
  nextAttemptAt: number | null;
  lastSuccessAt: number | null;
}

const minOf = (xs: (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? Math.min(...v) : null;
};
const maxOf = (xs: (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) : null;
};

/**
 * Held outranks failing (a person must act; retrying will not help), failing outranks waiting.
 * A console with no central store is "local": normal for the demo and for sites without one.
 */
export function summarise(s: SyncStatus): SyncSummary {
  const streams = s.streams;
  const failing = streams.filter((x) => x.failures > 0);
  const newestFailure = [...failing].sort((a, b) => (b.last_attempt_at ?? 0) - (a.last_attempt_at ?? 0))[0];
  const pending = streams.reduce((n, x) => n + x.pending, 0);
  const conflicts = s.notices.filter((n) => n.kind === 'conflict').length;
  const held = s.quarantine.length + conflicts;
  let kind: SyncKind;
  if (s.central === null) kind = 'local';
  else if (held > 0) kind = 'held';
  else if (failing.length > 0) kind = 'failing';
  else if (pending > 0) kind = 'waiting';
  else kind = 'synced';
  return {
    kind,
    pending,
    oldestAt: minOf(streams.map((x) => x.oldest_pending_at)),
    held,
    conflicts,
    lastError: newestFailure?.last_error ?? null,
    nextAttemptAt: minOf(failing.map((x) => x.next_attempt_at)),
    lastSuccessAt: maxOf(streams.map((x) => x.last_success_at)),
  };
}

/** Whether the state asks for attention (and so gets colour). */
export function abnormal(kind: SyncKind): boolean {
  return kind === 'failing' || kind === 'held';
}

/** What the held row is, in the stream's own terms (a series is held from a time on). */
export function heldRow(q: QuarantineRow): string {
  switch (q.stream) {
    case 'connections':
      return t('sync.heldConnection', { id: q.first_seq });
    case 'activity_log':
      return t('sync.heldEntry', { seq: q.first_seq });
    case 'widgets':
      return t('sync.heldWidget', { id: q.first_seq });
    default:
      return t('sync.heldFrom', { at: dateTime(q.first_seq) });
  }
}

/** Whether a held row can be given up (the console then takes or keeps the centre's copy). */
export function discardable(q: QuarantineRow): boolean {
  return q.stream === 'connections' || q.stream === 'widgets';
}

/** The fields still without a side: a resolution is sent only once this is empty. */
export function unchosen(fields: FieldConflict[], choices: Partial<Record<string, Side>>): string[] {
  return fields.filter((f) => choices[f.field] === undefined).map((f) => f.field);
}

/**
 * A widget's fields as the conflict screen lists them side by side: name, kind, URL, active and
 * each top-level config setting, with its value as JSON text (as the core's merge names them).
 */
export function specFields(spec: WidgetSpec): Map<string, string> {
  const out = new Map<string, string>([
    ['name', JSON.stringify(spec.name)],
    ['kind', JSON.stringify(spec.kind)],
    ['active', JSON.stringify(spec.active)],
  ]);
  if (spec.url !== null) out.set('url', JSON.stringify(spec.url));
  try {
    const config: unknown = JSON.parse(spec.config);
    if (config && typeof config === 'object' && !Array.isArray(config)) {
      for (const [k, v] of Object.entries(config)) out.set(`config.${k}`, JSON.stringify(v));
    }
  } catch {
    out.set('config', spec.config);
  }
  return out;
}

/** Every field any of the three sides has, in a stable order (the spec's own first). */
export function fieldNames(...specs: WidgetSpec[]): string[] {
  const names: string[] = [];
  for (const s of specs) for (const k of specFields(s).keys()) if (!names.includes(k)) names.push(k);
  return names;
}

/**
 * What the pull after "Sync now" took from the centre, in one sentence: people, connection
 * definitions and widgets, and what it left (kept here, waiting). Null when it took nothing and
 * left nothing, so the report line stays short; a failed pull gives the core's sentence.
 */
export function pullSentence(pulled: PullSummary | null, pullError: string | null): string | null {
  // The core's sentence already says what failed and that it is asked again.
  if (pullError !== null) return pullError;
  if (pulled === null) return null;
  const widgets = pulled.added + pulled.updated + pulled.removed;
  const took = [
    pulled.people > 0 ? t('sync.pull.people', { n: pulled.people }) : null,
    pulled.connections > 0 ? t('sync.pull.connections', { n: pulled.connections }) : null,
    widgets > 0 ? t('sync.pull.widgets', { n: widgets }) : null,
  ].filter((x): x is string => x !== null);
  const left = [
    pulled.kept_local > 0 ? t('sync.pull.keptLocal', { n: pulled.kept_local }) : null,
    pulled.waiting > 0 ? t('sync.pull.waiting', { n: pulled.waiting }) : null,
  ].filter((x): x is string => x !== null);
  if (took.length === 0 && left.length === 0) return null;
  const sentence = took.length > 0 ? t('sync.pull.took', { what: took.join(', ') }) : t('sync.pull.nothing');
  return left.length > 0 ? `${sentence} (${left.join('; ')}).` : `${sentence}.`;
}
