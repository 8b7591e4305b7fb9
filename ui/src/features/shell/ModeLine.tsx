import type { ConsoleState } from '../../bindings/ConsoleState';
import { t } from '../../lib/i18n';

/// Says how this console gets its data: it runs the monitor, or follows another one.
export function ModeLine({ state }: { state: ConsoleState | null }) {
  if (!state) return <span className="mode">{t('mode.starting')}</span>;
  switch (state.mode) {
    case 'monitoring':
      return (
        <span className="mode" data-mode="monitoring">
          {t('mode.monitoring', { dir: state.data_dir })}
        </span>
      );
    case 'following': {
      // The command stays code in every language; the sentence around it is translated whole.
      const [before, after] = t('mode.following').split('{cmd}');
      return (
        <span className="mode mode-following" data-mode="following" title={state.detail ?? ''}>
          {before}<code>zc monitor</code>{after}
        </span>
      );
    }
    case 'failed':
      return (
        <span className="mode mode-failed" data-mode="failed" role="alert">
          {t('mode.failed', { detail: state.detail ?? '' })}
        </span>
      );
    case 'starting':
      return <span className="mode">{t('mode.starting')}</span>;
  }
}
