// A displayed value's freshness as time passes between events. The rule is the core's
// (zc_domain::point::freshness); this mirrors it for the seconds between two events, and a test
// checks it against cases the Rust rule computed (bindings/freshness-cases.json).
import type { Freshness } from '../bindings/Freshness';
import type { RangeState } from '../bindings/RangeState';

export function freshnessAt(
  receivedAt: number | null,
  freshUntil: number | null,
  now: number,
  observerOnline: boolean,
): Freshness {
  if (!observerOnline || receivedAt === null || freshUntil === null) return 'unknown';
  return now <= freshUntil ? 'fresh' : 'stale';
}

/// Where a value stands against its normal range (zc_domain::widget::range_state).
export function rangeState(value: number, low: number | null, high: number | null): RangeState {
  if (low === null && high === null) return 'unranged';
  if (low !== null && value < low) return 'low';
  if (high !== null && value > high) return 'high';
  return 'normal';
}
