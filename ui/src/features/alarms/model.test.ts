import { describe, expect, it } from 'vitest';
import type { AlarmRow } from '../../bindings/AlarmRow';
import { hiddenBecause, newHighAlarms, source } from './model';

function alarm(over: Partial<AlarmRow>): AlarmRow {
  return {
    id: 1,
    kind: 'offline',
    connection_id: 1,
    connection: 'north',
    point: null,
    state: 'unacknowledged',
    priority: 'high',
    message: 'north: offline',
    occurrence: 1,
    raised_at: 0,
    returned_at: null,
    acked_at: null,
    acked_by: null,
    shelved_until: null,
    shelve_reason: null,
    shelved_by: null,
    suppressed_by: null,
    suppressed_under: null,
    ...over,
  };
}

describe('the alarm sound', () => {
  it('sounds once per new unacknowledged high-priority occurrence', () => {
    const first = newHighAlarms(new Set(), [alarm({}), alarm({ id: 2, priority: 'medium' }), alarm({ id: 3, state: 'acknowledged' })]);
    expect(first.fresh).toEqual(['1:1']);
    const again = newHighAlarms(first.now, [alarm({})]);
    expect(again.fresh).toEqual([]);
    // The same source failing again after it was normal is a new occurrence: it sounds again.
    expect(newHighAlarms(again.now, [alarm({ occurrence: 2 })]).fresh).toEqual(['1:2']);
  });
});

describe('alarm words', () => {
  it('names the source and why a hidden alarm is hidden', () => {
    expect(source(alarm({ point: 'pressure-1' }))).toBe('north / pressure-1');
    expect(source(alarm({ connection: null }))).toBe('This console');
    expect(hiddenBecause(alarm({ state: 'suppressed', suppressed_by: 'gateway', suppressed_under: 'gw-1' }))).toBe('under gateway gw-1');
    expect(hiddenBecause(alarm({ state: 'shelved', shelved_by: 'ana', shelve_reason: 'crew on site' }))).toBe('shelved by ana: crew on site');
    expect(hiddenBecause(alarm({}))).toBeNull();
  });
});
