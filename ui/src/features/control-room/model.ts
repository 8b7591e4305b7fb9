// The control room's state and how the core's events change it. Pure functions: what is shown
// is what the core sent, nothing is computed here beyond keeping the newest of it.
import type { ConsoleEvent } from '../../bindings/ConsoleEvent';
import type { ConsoleState } from '../../bindings/ConsoleState';
import type { ControlRoom } from '../../bindings/ControlRoom';
import type { PointValue } from '../../bindings/PointValue';
import type { Tile } from '../../bindings/Tile';

/// Sparkline length (as the core's SPARK_SAMPLES) and values kept per point for live trends.
export const SPARK_SAMPLES = 60;
export const TREND_SAMPLES = 600;

export interface TrendPoint {
  at: number;
  value: number | null;
}

export interface Room {
  loaded: boolean;
  /// Events were lost on the way: the view must reload the control room from the core.
  stale: boolean;
  observerOnline: boolean;
  console: ConsoleState | null;
  order: number[];
  tiles: Map<number, Tile>;
  /// Latest value per point, keyed by `pointKey(connection, point)`.
  points: Map<string, PointValue>;
  trends: Map<string, TrendPoint[]>;
}

export const emptyRoom: Room = {
  loaded: false,
  stale: false,
  observerOnline: true,
  console: null,
  order: [],
  tiles: new Map(),
  points: new Map(),
  trends: new Map(),
};

export function pointKey(connection: string, point: string): string {
  return `${connection}\u0000${point}`;
}

function pushCapped<T>(list: T[], item: T, cap: number): T[] {
  const next = list.length >= cap ? list.slice(list.length - cap + 1) : list.slice();
  next.push(item);
  return next;
}

export function loadRoom(room: Room, data: ControlRoom, console: ConsoleState | null): Room {
  const tiles = new Map<number, Tile>();
  for (const t of data.tiles) {
    // An event applied while the load was on its way may be newer than what the load read.
    const had = room.tiles.get(t.id);
    tiles.set(t.id, had && had.status_since > t.status_since ? { ...t, status: had.status, status_since: had.status_since, observer_offline: had.observer_offline } : t);
  }
  const points = new Map<string, PointValue>();
  const trends = new Map<string, TrendPoint[]>();
  for (const t of data.trends) trends.set(pointKey(t.connection, t.point), t.samples.slice(-TREND_SAMPLES));
  for (const p of data.points) {
    const k = pointKey(p.connection, p.point);
    points.set(k, p);
    // The live values since the last load stay; the recorded history fills the rest.
    const live = (room.trends.get(k) ?? []).filter((s) => s.at > (trends.get(k)?.at(-1)?.at ?? 0));
    trends.set(k, [...(trends.get(k) ?? []), ...live].slice(-TREND_SAMPLES));
  }
  return {
    loaded: true,
    stale: false,
    observerOnline: data.observer_online,
    console: console ?? room.console,
    order: data.tiles.map((t) => t.id),
    tiles,
    points,
    trends,
  };
}

export function applyEvents(room: Room, events: ConsoleEvent[]): Room {
  let tiles: Map<number, Tile> | null = null;
  let points: Map<string, PointValue> | null = null;
  let trends: Map<string, TrendPoint[]> | null = null;
  let { observerOnline, console, stale } = room;
  const tile = (id: number): Tile | undefined => (tiles ?? room.tiles).get(id);
  const setTile = (t: Tile) => {
    tiles ??= new Map(room.tiles);
    tiles.set(t.id, t);
  };
  for (const e of events) {
    switch (e.type) {
      case 'sample': {
        const t = tile(e.connection_id);
        if (!t) {
          stale = true; // a connection added since the load (by the CLI, an import): load again
          break;
        }
        setTile({
          ...t,
          spark: pushCapped(t.spark, { at: e.at, latency_ms: e.latency_ms, failed: e.failed }, SPARK_SAMPLES),
          last_contact_at: e.answered ? Math.max(t.last_contact_at ?? 0, e.at) : t.last_contact_at,
        });
        break;
      }
      case 'status': {
        const t = tile(e.connection_id);
        if (!t) {
          stale = true; // a connection this view does not know yet
          break;
        }
        setTile({ ...t, status: e.to, status_since: e.at, observer_offline: e.observer_offline });
        break;
      }
      case 'points': {
        points ??= new Map(room.points);
        trends ??= new Map(room.trends);
        for (const v of e.values) {
          const k = pointKey(v.connection, v.point);
          points.set(k, v);
          trends.set(k, pushCapped(trends.get(k) ?? [], { at: v.received_at, value: v.value }, TREND_SAMPLES));
        }
        break;
      }
      case 'observer':
        observerOnline = e.online;
        break;
      case 'mode':
        // The console started, or started following another monitor: what it shows may have
        // changed wholesale (the demo's connections, say), so load it again.
        console = e.state;
        observerOnline = e.state.observer_online;
        stale = true;
        break;
      case 'resync':
        stale = true;
        break;
    }
  }
  if (!tiles && !points && observerOnline === room.observerOnline && console === room.console && stale === room.stale) {
    return room;
  }
  return {
    ...room,
    stale,
    observerOnline,
    console,
    tiles: tiles ?? room.tiles,
    points: points ?? room.points,
    trends: trends ?? room.trends,
  };
}
