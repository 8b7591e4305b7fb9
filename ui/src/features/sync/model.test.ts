import { describe, expect, it } from 'vitest';
import type { StreamStatus } from '../../bindings/StreamStatus';
import type { SyncStatus } from '../../bindings/SyncStatus';
import type { WidgetNotice } from '../../bindings/WidgetNotice';
import type { WidgetSpec } from '../../bindings/WidgetSpec';
import { abnormal, discardable, fieldNames, heldRow, pullSentence, specFields, summarise, unchosen } from './model';

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
  notices: [],
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

const spec = (config: string, over: Partial<WidgetSpec> = {}): WidgetSpec => ({
  name: 'Pressure',
  kind: 'gauge',
  url: null,
  active: true,
  config,
  ...over,
});
const notice = (kind: string): WidgetNotice => ({
  id: 1,
  widget_id: 1,
  connection_id: 1,
  connection: 'north-1',
  widget: 'Pressure',
  kind,
  local_version: 2,
  base_version: 1,
  central_version: 2,
  central_by: 'user:bo',
  base: spec('{"max":16}'),
  local: spec('{"max":25}'),
  central: spec('{"max":20}'),
  fields: [{ field: 'config.max', base: '16', local: '25', central: '20' }],
  detected_at: 0,
});

describe('widget conflicts', () => {
  it('hold the console like a refused row (someone must act); a merge notice does not', () => {
    const s = summarise(status([stream('widgets')], { notices: [notice('conflict'), notice('merged')] }));
    expect(s.kind).toBe('held');
    expect(s.held).toBe(1);
    expect(s.conflicts).toBe(1);
    expect(summarise(status([stream('widgets')], { notices: [notice('merged')] })).kind).toBe('synced');
  });
  it('need a side for every conflicting field before a resolution is sent', () => {
    const fields = [
      { field: 'config.max', base: '16', local: '25', central: '20' },
      { field: 'name', base: '"P"', local: '"Q"', central: '"R"' },
    ];
    expect(unchosen(fields, {})).toEqual(['config.max', 'name']);
    expect(unchosen(fields, { name: 'central' })).toEqual(['config.max']);
    expect(unchosen(fields, { name: 'central', 'config.max': 'local' })).toEqual([]);
  });
  it('list the three widgets field by field, as the core names the fields', () => {
    const f = specFields(spec('{"point":"p1","max":25}', { url: 'https://w.example' }));
    expect(f.get('config.max')).toBe('25');
    expect(f.get('config.point')).toBe('"p1"');
    expect(f.get('url')).toBe('"https://w.example"');
    expect(specFields(spec('{}')).has('url')).toBe(false);
    // A setting only one side has is still a row.
    expect(fieldNames(spec('{"max":1}'), spec('{"max":1,"unit":"bar"}'))).toContain('config.unit');
  });
  it('a held widget edit can be given up, as a connection definition can; a log entry cannot', () => {
    const held = (stream: string) => ({ id: 1, stream, first_seq: 1, reason: 'r', detail: '', attempts: 1, first_failed_at: 0, last_failed_at: 0 });
    expect(discardable(held('widgets'))).toBe(true);
    expect(discardable(held('connections'))).toBe(true);
    expect(discardable(held('activity_log'))).toBe(false);
  });
});

describe('the pull sentence after Sync now', () => {
  const none = { added: 0, updated: 0, removed: 0, kept_local: 0, waiting: 0, people: 0, connections: 0 };
  it('names people, connection definitions and widgets the pull took, and what it left', () => {
    expect(pullSentence({ ...none, people: 2, connections: 1, added: 1, updated: 2 }, null)).toBe(
      'Taken from the centre: people 2, connection definitions 1, widgets 3.',
    );
    expect(pullSentence({ ...none, connections: 1, waiting: 1, kept_local: 2 }, null)).toBe(
      'Taken from the centre: connection definitions 1 (kept here until their edit is pushed: 2; waiting for their connection or a free name: 1).',
    );
    expect(pullSentence({ ...none, waiting: 1 }, null)).toBe(
      'Nothing taken from the centre (waiting for their connection or a free name: 1).',
    );
  });
  it('says nothing when the pull took and left nothing, or did not run', () => {
    expect(pullSentence(none, null)).toBeNull();
    expect(pullSentence(null, null)).toBeNull();
  });
  it('gives the core’s sentence when the pull failed', () => {
    expect(pullSentence(null, 'could not read what changed at the central store (x)')).toContain('could not read');
  });
});
