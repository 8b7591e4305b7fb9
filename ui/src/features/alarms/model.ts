// What the alarm screens derive for display only: which alarms are new enough to sound, and the
// words of a state. Every decision about an alarm (its state, suppression, flood) is the core's.
import type { AlarmRow } from '../../bindings/AlarmRow';
import type { AlarmState } from '../../bindings/AlarmState';
import type { Priority } from '../../bindings/Priority';
import type { AlarmAction } from '../../bindings/AlarmAction';
import { t, type Key } from '../../lib/i18n';

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

// Functions, not tables: the words are looked up in the language shown now.
export function stateWord(s: AlarmState): string {
  return t(`alarms.state.${s}`);
}

export function priorityWord(p: Priority): string {
  return t(`alarms.priority.${p}`);
}

/// What happened to an alarm, as its history lists it.
export function actionWord(a: AlarmAction): string {
  return t(`alarms.action.${a}`);
}

/// Where the alarm comes from, as the list shows it.
/** The same source for a test or a script in every language (a `data-source` attribute). */
export function sourceId(a: Pick<AlarmRow, 'connection' | 'point'>): string {
  if (a.connection === null) return 'This console';
  return a.point === null ? a.connection : `${a.connection} / ${a.point}`;
}

export function source(a: Pick<AlarmRow, 'connection' | 'point'>): string {
  if (a.connection === null) return t('alarms.thisConsole');
  return a.point === null ? a.connection : `${a.connection} / ${a.point}`;
}

/// Why a hidden alarm is hidden, in words.
export function hiddenBecause(a: AlarmRow): string | null {
  if (a.state === 'shelved') return t('alarms.hidden.shelved', { who: a.shelved_by ?? '?', reason: a.shelve_reason ?? '' });
  if (a.state !== 'suppressed') return null;
  switch (a.suppressed_by) {
    case 'maintenance':
      return t('alarms.hidden.maintenance');
    case 'console_network':
      return t('alarms.hidden.consoleNetwork');
    case 'gateway':
      return t('alarms.hidden.gateway', { name: a.suppressed_under ?? '?' });
    case 'station':
      return t('alarms.hidden.station', { name: a.suppressed_under ?? '?' });
    case 'chattering':
      return t('alarms.hidden.chattering');
    default:
      return t('alarms.hidden.suppressed');
  }
}

/// Shelving durations an operator picks from (the core allows 1 minute to 24 hours); `label`
/// is looked up when shown.
export const SHELVE_CHOICES: { label: Key; ms: number }[] = [
  { label: 'duration.15m', ms: 15 * 60_000 },
  { label: 'duration.1h', ms: 3_600_000 },
  { label: 'duration.4h', ms: 4 * 3_600_000 },
  { label: 'duration.8hShift', ms: 8 * 3_600_000 },
  { label: 'duration.24h', ms: 24 * 3_600_000 },
];
