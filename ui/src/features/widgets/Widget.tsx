// Read-only widgets bound to a station's points: value tile, gauge, trend, status lamp and
// embedded page. A widget that cannot be shown says why, in place; it is never blank.
import type { PointValue } from '../../bindings/PointValue';
import type { WidgetView } from '../../bindings/WidgetView';
import type { RangeState } from '../../bindings/RangeState';
import { freshnessAt, rangeState } from '../../lib/freshness';
import { value as fmt } from '../../lib/format';
import { t } from '../../lib/i18n';
import { ValueBadges } from '../status/StatusBadge';
import type { TrendPoint } from '../control-room/model';

interface Props {
  widget: WidgetView;
  point: PointValue | undefined;
  trend: TrendPoint[] | undefined;
  now: number;
  observerOnline: boolean;
}

function rangeWord(range: RangeState): string {
  if (range === 'low') return `▼ ${t('widget.low')}`;
  if (range === 'high') return `▲ ${t('widget.high')}`;
  return '';
}

export function Placeholder({ name, why }: { name: string; why: string }) {
  return (
    <div className="widget widget-placeholder" data-widget-problem="true">
      <div className="widget-name">{name}</div>
      <div className="widget-why">{t('widget.cannotShow', { why })}</div>
    </div>
  );
}

export function Widget({ widget, point, trend, now, observerOnline }: Props) {
  const b = widget.binding;
  if (!b || widget.problem) return <Placeholder name={widget.name} why={widget.problem ?? t('widget.noBinding')} />;
  if (widget.kind === 'embed') {
    return (
      <div className="widget widget-embed">
        <div className="widget-name">{widget.name}</div>
        {/* Sandboxed: no scripts, no same-origin access, no navigation of the console. */}
        <iframe title={widget.name} src={widget.url ?? ''} sandbox="" referrerPolicy="no-referrer" />
      </div>
    );
  }
  if (!point) return <Placeholder name={widget.name} why={t('widget.noValue', { point: String(b.point) })} />;
  const freshness = freshnessAt(point.received_at, point.fresh_until, now, observerOnline);
  const v = point.value;
  const range = v === null ? 'unranged' : rangeState(v, b.low, b.high);
  const abnormal = range === 'low' || range === 'high';
  const cls = `widget widget-${widget.kind} fresh-${freshness}${abnormal && freshness === 'fresh' ? ' abnormal' : ''}`;
  const head = (
    <div className="widget-head">
      <span className="widget-name">{widget.name}</span>
      <ValueBadges freshness={freshness} quality={point.quality} />
    </div>
  );
  const shown = freshness === 'unknown' ? '—' : fmt(v, point.unit);
  switch (widget.kind) {
    case 'value':
      return (
        <div className={cls} data-point={b.point} data-freshness={freshness}>
          {head}
          <div className="widget-value">{shown}</div>
          {abnormal && <div className="range-word">{rangeWord(range)}</div>}
        </div>
      );
    case 'gauge': {
      const min = b.min ?? 0;
      const max = b.max ?? Math.max(1, (v ?? 1) * 2);
      const pos = (x: number) => `${Math.min(100, Math.max(0, ((x - min) / (max - min)) * 100))}%`;
      return (
        <div className={cls} data-point={b.point} data-freshness={freshness}>
          {head}
          <div className="gauge" role="meter" aria-valuemin={min} aria-valuemax={max} aria-valuenow={v ?? undefined}>
            {b.low !== null && b.high !== null && (
              <div className="gauge-normal" style={{ left: pos(b.low), width: `calc(${pos(b.high)} - ${pos(b.low)})` }} />
            )}
            {v !== null && freshness !== 'unknown' && <div className="gauge-marker" style={{ left: pos(v) }} />}
          </div>
          <div className="widget-value small">
            {shown} {abnormal && <span className="range-word">{rangeWord(range)}</span>}
          </div>
        </div>
      );
    }
    case 'trend': {
      const points = (trend ?? []).filter((t) => t.value !== null && t.at >= now - (b.window_ms ?? 600_000));
      const lo = b.min ?? Math.min(...points.map((p) => p.value as number));
      const hi = b.max ?? Math.max(...points.map((p) => p.value as number));
      const span = b.window_ms ?? 600_000;
      const x = (at: number) => ((at - (now - span)) / span) * 200;
      const y = (val: number) => 50 - ((val - lo) / Math.max(hi - lo, 1e-9)) * 50;
      return (
        <div className={cls} data-point={b.point} data-freshness={freshness}>
          {head}
          <svg className="trend" viewBox="0 0 200 50" preserveAspectRatio="none" aria-label={t('widget.trend', { name: widget.name })}>
            {b.low !== null && b.high !== null && (
              <rect x="0" width="200" y={y(b.high)} height={Math.max(0, y(b.low) - y(b.high))} className="trend-normal" />
            )}
            <polyline points={points.map((p) => `${x(p.at)},${y(p.value as number)}`).join(' ')} className="trend-line" />
          </svg>
          <div className="widget-value small">{shown}</div>
        </div>
      );
    }
    case 'lamp': {
      const state = freshness !== 'fresh' ? 'unknown' : abnormal ? 'abnormal' : 'normal';
      return (
        <div className={`${cls} lamp-${state}`} data-point={b.point} data-freshness={freshness}>
          {head}
          <div className="lamp">
            <span className="lamp-shape" aria-hidden="true">{state === 'normal' ? '○' : state === 'abnormal' ? '◆' : '?'}</span>
            <span>{state === 'normal' ? t('widget.normal') : state === 'abnormal' ? t('widget.abnormal', { range: rangeWord(range) }) : t('widget.notConfirmed')}</span>
          </div>
        </div>
      );
    }
    default:
      return <Placeholder name={widget.name} why={t('widget.unknownKind', { kind: widget.kind })} />;
  }
}
