// What the alarm screens derive for display only: which alarms are new enough to sound, and the
// words of a state. Every decision about an alarm (its state, suppression, flood) is the core's.
import type { AlarmRow } from '../../bindings/AlarmRow';
import type { AlarmState } from '../../bindings/AlarmState';
import type { Priority } from '../../bindings/Priority';

/// An occurrence of an alarm: a new occurrence of the same source sounds again.
export function occurrenceKey(a: AlarmRow): string {
  return `${a.id}:${a.occurrence}`;
}

/// The unacknowledged high-priority occurrences in `alarms`, and those not in `heard` (they sound).
export function newHighAlarms(heard: ReadonlySet<string>, alarms: readonly AlarmRow[]): { now: Set<string>; fresh: string[] } {
  const now = new Set<string>();
  const fresh: string[] = [];
  for (const a of alarms) {
    if (a.state !== 'unacknowledged' || a.priority !== 'high') continue;
    const k = occurrenceKey(a);
    now.add(k);
    if (!heard.has(k)) fresh.push(k);
  }
  return { now, fresh };
}

export const STATE_WORDS: Record<AlarmState, string> = {
  normal: 'Normal',
  unacknowledged: 'Active, unacknowledged',
  acknowledged: 'Active, acknowledged',
  returned_unacknowledged: 'Returned, unacknowledged',
  shelved: 'Shelved',
  suppressed: 'Suppressed',
};

export const PRIORITY_WORDS: Record<Priority, string> = { high: 'HIGH', medium: 'MEDIUM', low: 'LOW' };

/// Where the alarm comes from, as the list shows it.
export function source(a: Pick<AlarmRow, 'connection' | 'point'>): string {
  if (a.connection === null) return 'This console';
  return a.point === null ? a.connection : `${a.connection} / ${a.point}`;
}

/// Why a hidden alarm is hidden, in words.
export function hiddenBecause(a: AlarmRow): string | null {
  if (a.state === 'shelved') return `shelved by ${a.shelved_by ?? '?'}: ${a.shelve_reason ?? ''}`;
  if (a.state !== 'suppressed') return null;
  switch (a.suppressed_by) {
    case 'maintenance':
      return 'maintenance window';
    case 'console_network':
      return 'this console has no network';
    case 'gateway':
      return `under gateway ${a.suppressed_under ?? '?'}`;
    case 'station':
      return `under station ${a.suppressed_under ?? '?'} (lost contact)`;
    case 'chattering':
      return 'under its chattering alarm';
    default:
      return 'suppressed';
  }
}

/// Shelving durations an operator picks from (the core allows 1 minute to 24 hours).
export const SHELVE_CHOICES: { label: string; ms: number }[] = [
  { label: '15 minutes', ms: 15 * 60_000 },
  { label: '1 hour', ms: 3_600_000 },
  { label: '4 hours', ms: 4 * 3_600_000 },
  { label: '8 hours (a shift)', ms: 8 * 3_600_000 },
  { label: '24 hours', ms: 24 * 3_600_000 },
];
