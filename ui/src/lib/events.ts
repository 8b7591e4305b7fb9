// The console's live events: pushed by the core as they are written, never polled.
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { ConsoleEvent } from '../bindings/ConsoleEvent';

export const EVENTS = 'zc://events';

export function onConsoleEvents(handler: (events: ConsoleEvent[]) => void): Promise<UnlistenFn> {
  return listen<ConsoleEvent[]>(EVENTS, (e) => handler(e.payload));
}

export interface ExportProgress {
  id: number;
  done: number;
  total: number;
}

export function onExportProgress(handler: (p: ExportProgress) => void): Promise<UnlistenFn> {
  return listen<ExportProgress>('zc://export-progress', (e) => handler(e.payload));
}
