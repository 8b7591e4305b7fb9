import { describe, expect, it } from 'vitest';
import type { StreamStatus } from '../../bindings/StreamStatus';
import type { SyncStatus } from '../../bindings/SyncStatus';
import { abnormal, heldRow, summarise } from './model';

const stream = (name: string, over: Partial<StreamStatus> = {}): StreamStatus => ({
  stream: name,
  pending: 0,
  oldest_pending_at: null,
  last_success_at: null,
  last_attempt_at: null,
  last_error: null,
  failures: 0,
  next_attempt_at: null,
  pushed_total: 0,
  quarantined: 0,
  ...over,
});
const status = (streams: StreamStatus[], over: Partial<SyncStatus> = {}): SyncStatus => ({
  central: 'postgres://centre:5432/zc',
  login: 'zc_console_1',
  console_id: 'c1',
  streams,
  quarantine: [],
  ...over,
});

describe('the sync indicator', () => {
  it('is local, not abnormal, without a central store, and still counts what waits', () => {
    const s = summarise(status([stream('activity_log', { pending: 4, oldest_pending_at: 100 })], { central: null }));
    expect(s.kind).toBe('local');
    expect(s.pending).toBe(4);
    expect(abnormal(s.kind)).toBe(false);
  });
  it('is synced when nothing waits, waiting (grey) when rows wait, with the oldest over all streams', () => {
    expect(summarise(status([stream('activity_log', { last_success_at: 5 })])).kind).toBe('synced');
    const s = summarise(
      status([
        stream('activity_log', { pending: 2, oldest_pending_at: 300 }),
        stream('request_metrics', { pending: 10, oldest_pending_at: 200 }),
      ]),
    );
    expect([s.kind, s.pending, s.oldestAt]).toEqual(['waiting', 12, 200]);
    expect(abnormal(s.kind)).toBe(false);
  });
  it('is failing with the newest error and the soonest next attempt', () => {
    const s = summarise(
      status([
        stream('activity_log', { pending: 1, failures: 2, last_attempt_at: 50, last_error: 'old', next_attempt_at: 900 }),
        stream('connections', { failures: 1, last_attempt_at: 80, last_error: 'the centre could not be reached', next_attempt_at: 700 }),
      ]),
    );
    expect([s.kind, s.lastError, s.nextAttemptAt]).toEqual(['failing', 'the centre could not be reached', 700]);
    expect(abnormal(s.kind)).toBe(true);
  });
  it('is held, above failing, while anything is quarantined', () => {
    const q = { id: 1, stream: 'connections', first_seq: 3, reason: 'refused', detail: 'x', attempts: 1, first_failed_at: 1, last_failed_at: 1 };
    const s = summarise(status([stream('connections', { failures: 1 })], { quarantine: [q] }));
    expect([s.kind, s.held]).toEqual(['held', 1]);
  });
});

describe('heldRow', () => {
  const held = (stream: string, first_seq: number) => ({
    id: 1,
    stream,
    first_seq,
    reason: 'refused',
    detail: '',
    attempts: 1,
    first_failed_at: 0,
    last_failed_at: 0,
  });
  it('names the held row in its stream’s terms, not as a bare number', () => {
    expect(heldRow(held('connections', 9))).toBe('connection #9');
    expect(heldRow(held('activity_log', 1234))).toBe('activity entry 1234');
    const series = heldRow(held('request_metrics', Date.UTC(2026, 11, 1, 8, 30)));
    expect(series.startsWith('rows from ')).toBe(true);
    expect(series).not.toContain(String(Date.UTC(2026, 11, 1, 8, 30)));
  });
});
