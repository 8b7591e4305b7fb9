// The sync indicator's one word for the whole queue: what a person needs to know at a glance
// (ISA-101: grey while things go as they should, colour only when someone should look).
import type { QuarantineRow } from '../../bindings/QuarantineRow';
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
  held: number;
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
  const held = s.quarantine.length;
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
    default:
      return t('sync.heldFrom', { at: dateTime(q.first_seq) });
  }
}
