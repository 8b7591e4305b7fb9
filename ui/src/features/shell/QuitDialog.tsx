// Asked before the console quits while alarms are active (from the tray, or the window's close
// button where there is no tray): quitting stops this console's monitoring. The safe answer is
// the default one (focused, and Escape).
import { useEffect, useRef, useState } from 'react';
import type { QuitCheck } from '../../bindings/QuitCheck';
import { onShellEvents } from '../../lib/events';
import { api } from '../../lib/ipc';
import { t } from '../../lib/i18n';

export function QuitDialog() {
  // `undefined`: not asking; `null`: asking, but the alarms could not be read.
  const [asking, setAsking] = useState<QuitCheck | null | undefined>(undefined);
  const keep = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const unlisten = onShellEvents((e) => {
      if (e.type === 'confirm_quit') setAsking(e.check);
    });
    return () => {
      void unlisten.then((f) => f());
    };
  }, []);

  useEffect(() => {
    if (asking === undefined) return;
    keep.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setAsking(undefined);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [asking]);

  if (asking === undefined) return null;
  return (
    <div className="overlay">
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="quit-title" data-dialog="confirm-quit">
        <h2 id="quit-title">{t('quit.title')}</h2>
        <p data-quit-alarms={asking?.alarms_active ?? ''}>
          {asking ? t('quit.active', { n: asking.alarms_active, unack: asking.alarms_unacknowledged }) : t('quit.unknown')}
        </p>
        <p>{t('quit.consequence')}</p>
        <div className="dialog-actions">
          <button type="button" ref={keep} onClick={() => setAsking(undefined)} data-action="keep-monitoring">
            {t('quit.keep')}
          </button>
          <button type="button" className="danger" onClick={() => void api.quitConsole()} data-action="confirm-quit">
            {t('quit.confirm')}
          </button>
        </div>
      </div>
    </div>
  );
}
