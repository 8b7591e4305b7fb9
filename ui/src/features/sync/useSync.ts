// The queue's state, read from the core on mount and every 5 seconds (the monitor's sync loop
// looks as often), and at once after anything the person does to it.
import { useCallback, useEffect, useState } from 'react';
import type { SyncStatus } from '../../bindings/SyncStatus';
import { api, ConsoleError } from '../../lib/ipc';

const EVERY_MS = 5000;

export function useSync(): { status: SyncStatus | null; error: string | null; reload: () => void; set: (s: SyncStatus) => void } {
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    api.syncStatus().then(
      (s) => {
        setStatus(s);
        setError(null);
      },
      (e: unknown) => setError(e instanceof ConsoleError ? e.message : String(e)),
    );
  }, []);
  useEffect(() => {
    reload();
    const timer = window.setInterval(reload, EVERY_MS);
    return () => window.clearInterval(timer);
  }, [reload]);
  return { status, error, reload, set: setStatus };
}
