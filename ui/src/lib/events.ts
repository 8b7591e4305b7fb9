// The console's live events: pushed by the core as they are written, never polled.
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { ConsoleEvent } from '../bindings/ConsoleEvent';
import type { QuitCheck } from '../bindings/QuitCheck';

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

/** What the shell (the tray, the window's close button) asks of the window. */
export type ShellEvent = { type: 'navigate'; view: 'alarms' } | { type: 'confirm_quit'; check: QuitCheck | null };

export function onShellEvents(handler: (e: ShellEvent) => void): Promise<UnlistenFn> {
  return listen<ShellEvent>('zc://shell', (e) => handler(e.payload));
}
