// Recent latency: a line through answered requests, broken at failures, which are drawn as
// marks at the bottom (a failure has no latency).
import type { SparkPoint } from '../../bindings/SparkPoint';
import { t } from '../../lib/i18n';

export function Sparkline({ points }: { points: SparkPoint[] }) {
  if (points.length === 0) return <div className="spark spark-empty">{t('room.noSamples')}</div>;
  const w = 120;
  const h = 28;
  const max = Math.max(1, ...points.filter((p) => !p.failed).map((p) => p.latency_ms));
  const x = (i: number) => (points.length === 1 ? w : (i / (points.length - 1)) * w);
  const runs: string[] = [];
  let run: string[] = [];
  points.forEach((p, i) => {
    if (p.failed) {
      if (run.length) runs.push(run.join(' '));
      run = [];
    } else {
      run.push(`${x(i).toFixed(1)},${(h - 4 - (p.latency_ms / max) * (h - 8)).toFixed(1)}`);
    }
  });
  if (run.length) runs.push(run.join(' '));
  const last = points.at(-1);
  return (
    <div className="spark" title={t('room.sparkTitle', { n: points.length, max: max.toFixed(0) })}>
      <svg viewBox={`0 0 ${w} ${h}`} width={w} height={h} aria-hidden="true">
        {runs.map((r, i) => (
          <polyline key={i} points={r} className="spark-line" />
        ))}
        {points.map((p, i) => (p.failed ? <rect key={`f${i}`} x={x(i) - 1} y={h - 3} width="2" height="3" className="spark-fail" /> : null))}
      </svg>
      <span className="spark-last">{last ? (last.failed ? t('room.failed') : `${last.latency_ms.toFixed(0)} ms`) : ''}</span>
    </div>
  );
}
