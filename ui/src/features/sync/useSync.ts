// The queue's state, read from the core on mount and every 5 seconds (the monitor's sync loop
// looks as often), and at once after anything the person does to it.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { SyncStatus } from '../../bindings/SyncStatus';
import { api, ConsoleError } from '../../lib/ipc';
import { Newest } from '../../lib/newest';

const EVERY_MS = 5000;

export function useSync(): { status: SyncStatus | null; error: string | null; reload: () => void; set: (s: SyncStatus) => void } {
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  // A poll that started before a retry or discard must not bring back the state from before it.
  const newest = useRef(new Newest());
  const reload = useCallback(() => {
    const answer = newest.current.ask();
    api.syncStatus().then(
      answer((s: SyncStatus) => {
        setStatus(s);
        setError(null);
      }),
      answer((e: unknown) => setError(e instanceof ConsoleError ? e.message : String(e))),
    );
  }, []);
  const set = useCallback((s: SyncStatus) => {
    newest.current.supersede();
    setStatus(s);
    setError(null);
  }, []);
  useEffect(() => {
    reload();
    const timer = window.setInterval(reload, EVERY_MS);
    return () => window.clearInterval(timer);
  }, [reload]);
  return { status, error, reload, set };
}
