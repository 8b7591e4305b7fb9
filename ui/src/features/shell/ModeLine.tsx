import type { ConsoleState } from '../../bindings/ConsoleState';

/// Says how this console gets its data: it runs the monitor, or follows another one.
export function ModeLine({ state }: { state: ConsoleState | null }) {
  if (!state) return <span className="mode">Starting…</span>;
  switch (state.mode) {
    case 'monitoring':
      return (
        <span className="mode" data-mode="monitoring">
          Monitoring · {state.data_dir}
        </span>
      );
    case 'following':
      return (
        <span className="mode mode-following" data-mode="following" title={state.detail ?? ''}>
          Showing another monitor's data live (a <code>zc monitor</code> watches this data directory)
        </span>
      );
    case 'failed':
      return (
        <span className="mode mode-failed" data-mode="failed" role="alert">
          Monitoring cannot run: {state.detail}
        </span>
      );
    case 'starting':
      return <span className="mode">Starting…</span>;
  }
}
