import { describe, expect, it } from 'vitest';
import type { ControlRoom } from '../../bindings/ControlRoom';
import type { Tile } from '../../bindings/Tile';
import { applyEvents, emptyRoom, loadRoom, pointKey, SPARK_SAMPLES } from './model';

function tile(id: number, name: string): Tile {
  return {
    id,
    name,
    kind: 'station',
    url: 'http://127.0.0.1:1',
    status: 'online',
    status_since: 0,
    observer_offline: false,
    last_contact_at: 1000,
    interval_ms: 1000,
    spark: [],
    widgets: [],
  };
}

function room(n: number) {
  const data: ControlRoom = { at: 0, observer_online: true, tiles: [], points: [], trends: [] };
  for (let i = 1; i <= n; i++) data.tiles.push(tile(i, `s-${i}`));
  return loadRoom(emptyRoom, data, null);
}

describe('control room events', () => {
  it('moves a tile to the status the core wrote, and only that tile', () => {
    const r = room(3);
    const next = applyEvents(r, [
      { type: 'status', connection_id: 2, from: 'online', to: 'offline', at: 5000, observer_offline: false, detail: 'refused' },
    ]);
    expect(next.tiles.get(2)?.status).toBe('offline');
    expect(next.tiles.get(2)?.status_since).toBe(5000);
    expect(next.tiles.get(1)).toBe(r.tiles.get(1));
  });

  it('keeps the newest samples, and counts only answers as contact', () => {
    let r = room(1);
    for (let i = 0; i < SPARK_SAMPLES + 5; i++) {
      r = applyEvents(r, [
        { type: 'sample', connection_id: 1, at: 2000 + i, latency_ms: i, failed: false, answered: true, outcome: 'ok' },
      ]);
    }
    expect(r.tiles.get(1)?.spark.length).toBe(SPARK_SAMPLES);
    expect(r.tiles.get(1)?.spark.at(-1)?.latency_ms).toBe(SPARK_SAMPLES + 4);
    const before = r.tiles.get(1)?.last_contact_at;
    r = applyEvents(r, [
      { type: 'sample', connection_id: 1, at: 9999, latency_ms: 5000, failed: true, answered: false, outcome: 'timeout' },
    ]);
    expect(r.tiles.get(1)?.last_contact_at).toBe(before);
    expect(r.tiles.get(1)?.spark.at(-1)?.failed).toBe(true);
  });

  it('keeps point values by connection and point, and the observer state', () => {
    let r = room(1);
    r = applyEvents(r, [
      {
        type: 'points',
        connection_id: 1,
        values: [
          {
            connection: 's-1',
            point: 's-1.pressure-1',
            value: 4.2,
            unit: 'bar',
            quality: 'good',
            freshness: 'fresh',
            source_at: 1,
            received_at: 2,
            fresh_until: 5002,
          },
        ],
      },
      { type: 'observer', online: false, at: 3 },
    ]);
    expect(r.points.get(pointKey('s-1', 's-1.pressure-1'))?.value).toBe(4.2);
    expect(r.observerOnline).toBe(false);
  });

  it('asks for a reload when events were lost or a connection is new', () => {
    const r = room(1);
    expect(applyEvents(r, [{ type: 'resync' }]).stale).toBe(true);
    const mode = applyEvents(r, [
      { type: 'mode', state: { mode: 'monitoring', detail: null, observer_online: true, data_dir: '/d' } },
    ]);
    expect(mode.stale).toBe(true);
    expect(mode.console?.mode).toBe('monitoring');
    expect(
      applyEvents(r, [{ type: 'status', connection_id: 99, from: 'unknown', to: 'online', at: 1, observer_offline: false, detail: null }]).stale,
    ).toBe(true);    // A connection added elsewhere announces itself with its first sample, before any status.
    expect(
      applyEvents(r, [{ type: 'sample', connection_id: 99, at: 1, latency_ms: 5, failed: true, answered: false, outcome: 'refused' }]).stale,
    ).toBe(true);
  });

  it('applies a burst of 1,000 status events to 1,000 tiles', () => {
    const r = room(1000);
    const burst = Array.from({ length: 1000 }, (_, i) => ({
      type: 'status' as const,
      connection_id: i + 1,
      from: 'online' as const,
      to: 'offline' as const,
      at: 10,
      observer_offline: false,
      detail: null,
    }));
    const next = applyEvents(r, burst);
    expect([...next.tiles.values()].every((t) => t.status === 'offline')).toBe(true);
  });
});
