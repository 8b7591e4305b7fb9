// The alarms as the core decides them, read once a second (and at once after an action). The
// core runs the engine before every read, so what this shows is never older than a second.
import { useCallback, useEffect, useState } from 'react';
import type { AlarmFilter } from '../../bindings/AlarmFilter';
import type { AlarmsView } from '../../bindings/AlarmsView';
import { api, ConsoleError } from '../../lib/ipc';

export const NO_FILTER: AlarmFilter = { connection: null, priorities: [], states: [] };
const EVERY_MS = 1000;

export function useAlarms(filter: AlarmFilter): { view: AlarmsView | null; error: string | null; refresh: () => void } {
  const [view, setView] = useState<AlarmsView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(filter);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const current = JSON.parse(key) as AlarmFilter;
    const load = () => {
      api.alarms(current).then(
        (v) => {
          if (!live) return;
          setView(v);
          setError(null);
          timer = setTimeout(load, EVERY_MS);
        },
        (e: unknown) => {
          if (!live) return;
          setError(e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e));
          timer = setTimeout(load, EVERY_MS);
        },
      );
    };
    load();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [key, tick]);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { view, error, refresh };
}
