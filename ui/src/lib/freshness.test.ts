import { describe, expect, it } from 'vitest';
import cases from '../bindings/rules-cases.json';
import { freshnessAt, rangeState } from './freshness';

// The cases were computed by the Rust rules (zc_domain) and written by the bindings test: the
// console's display between two events must agree with the core on every one of them.
describe('the display rules agree with the core', () => {
  it('freshness', () => {
    for (const c of cases.freshness) {
      expect(freshnessAt(c.received_at, c.fresh_until, c.now, c.online), JSON.stringify(c)).toBe(c.expected);
    }
  });
  it('range', () => {
    for (const c of cases.range) {
      expect(rangeState(c.value, c.low, c.high), JSON.stringify(c)).toBe(c.expected);
    }
  });
});
