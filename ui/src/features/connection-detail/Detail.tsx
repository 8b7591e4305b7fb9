// A connection's diagnostics for engineers: status timeline, latency chart (SVG drawn by the
// core), error breakdown, raw samples page by page, point values, and the key's state.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ConnectionDetail } from '../../bindings/ConnectionDetail';
import type { HistoryReport } from '../../bindings/HistoryReport';
import type { KeyCheck } from '../../bindings/KeyCheck';
import type { KeyShare } from '../../bindings/KeyShare';
import type { LatencyChart } from '../../bindings/LatencyChart';
import type { MetricsPage } from '../../bindings/MetricsPage';
import type { PointsReport } from '../../bindings/PointsReport';
import { useNow } from '../../lib/clock';
import { age, dateTime, value as fmt } from '../../lib/format';
import { freshnessAt } from '../../lib/freshness';
import { t } from '../../lib/i18n';
import { api, ConsoleError } from '../../lib/ipc';
import { pointKey, type Room } from '../control-room/model';
import { StatusBadge, ValueBadges } from '../status/StatusBadge';
import { Maintenance } from '../alarms/Maintenance';
import { Certificate } from '../certificates/Certificate';
import { ExportPanel } from '../export/ExportPanel';
import { Widget } from '../widgets/Widget';
import { Timeline } from './Timeline';

const RANGES: [string, number][] = [
  ['1 h', 3_600_000],
  ['24 h', 86_400_000],
  ['7 d', 7 * 86_400_000],
  ['30 d', 30 * 86_400_000],
];
const PAGE = 50;

interface Window {
  since: number;
  until: number;
}

export function Detail({ name, room, onBack }: { name: string; room: Room; onBack: () => void }) {
  const now = useNow();
  const [detail, setDetail] = useState<ConnectionDetail | null>(null);
  const [win, setWin] = useState<Window>(() => ({ since: Date.now() - 3_600_000, until: Date.now() }));
  const [history, setHistory] = useState<HistoryReport | null>(null);
  const [chart, setChart] = useState<LatencyChart | null>(null);
  const [page, setPage] = useState<MetricsPage | null>(null);
  const [offset, setOffset] = useState(0);
  const [points, setPoints] = useState<PointsReport | null>(null);
  const [key, setKey] = useState<KeyCheck | null>(null);
  const [shared, setShared] = useState<KeyShare | null>(null);
  const [sharing, setSharing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const chartBox = useRef<HTMLDivElement>(null);
  const tile = detail ? room.tiles.get(detail.connection.id) : undefined;

  const fail = (e: unknown) => setError(e instanceof ConsoleError ? `${e.message} (${e.code})` : String(e));
  // Sealing needs the centre (it pushes first): the button waits for its answer, once.
  const share = () => {
    setSharing(true);
    setShared(null);
    api
      .shareKey(name)
      .then(setShared, fail)
      .finally(() => setSharing(false));
  };

  useEffect(() => {
    api.connectionDetail(name).then(setDetail, fail);
  }, [name]);

  const load = useCallback(() => {
    const width = Math.max(400, Math.min(4000, chartBox.current?.clientWidth ?? 1000));
    api.statusHistory(name, win.since, win.until).then(setHistory, fail);
    api.latencyChart(name, win.since, win.until, width, 320).then(setChart, fail);
    api.pointValues(name, null, null, 1).then(setPoints, fail);
  }, [name, win]);
  useEffect(load, [load]);
  useEffect(() => {
    api.metricsPage(name, win.since, win.until, offset, PAGE).then(setPage, fail);
  }, [name, win, offset]);

  const zoom = (factor: number) => {
    const mid = (win.since + win.until) / 2;
    const half = Math.max(60_000, ((win.until - win.since) * factor) / 2);
    setOffset(0);
    setWin({ since: Math.round(mid - half), until: Math.min(now, Math.round(mid + half)) });
  };
  const range = (ms: number) => {
    const end = now;
    setOffset(0);
    setWin({ since: end - ms, until: end });
  };

  const status = tile?.status ?? detail?.connection.status ?? 'unknown';
  return (
    <section className="detail" aria-label={t('detail.title', { name })}>
      <div className="detail-head">
        <button type="button" onClick={onBack} className="back">
          ← {t('nav.room')}
        </button>
        <h1>{name}</h1>
        <StatusBadge status={status} observerOffline={tile?.observer_offline ?? detail?.observer_offline ?? false} />
        {detail && <span className="muted">{detail.connection.url}</span>}
      </div>
      {error && (
        <div className="error-line" role="alert">
          {error}
        </div>
      )}
      <div className="range-bar" role="toolbar" aria-label={t('detail.timeRange')}>
        {RANGES.map(([label, ms]) => (
          <button key={label} type="button" onClick={() => range(ms)}>
            {label}
          </button>
        ))}
        <label>
          {t('detail.from')} <input type="datetime-local" onChange={(e) => e.target.value && setWin({ ...win, since: new Date(e.target.value).getTime() })} />
        </label>
        <label>
          {t('detail.to')} <input type="datetime-local" onChange={(e) => e.target.value && setWin({ ...win, until: new Date(e.target.value).getTime() })} />
        </label>
        <button type="button" onClick={() => zoom(0.5)} aria-label={t('detail.zoomIn')}>
          {t('detail.zoomIn')}
        </button>
        <button type="button" onClick={() => zoom(2)} aria-label={t('detail.zoomOut')}>
          {t('detail.zoomOut')}
        </button>
        <span className="muted">
          {dateTime(win.since)} – {dateTime(win.until)}
        </span>
      </div>

      {detail && detail.widgets.length > 0 && (
        <>
          <h2>{t('detail.widgets')}</h2>
          <div className="detail-widgets">
            {detail.widgets.map((w) => {
              const k = w.binding?.point ? pointKey(name, w.binding.point) : '';
              return <Widget key={w.id} widget={w} point={room.points.get(k)} trend={room.trends.get(k)} now={now} observerOnline={room.observerOnline} />;
            })}
          </div>
        </>
      )}

      <h2>{t('detail.maintenance')}</h2>
      <Maintenance name={name} />

      {detail?.connection.url.startsWith('https://') && (
        <>
          <h2>{t('detail.certificate')}</h2>
          <Certificate connection={detail.connection} now={now} />
        </>
      )}

      <h2>{t('detail.export')}</h2>
      <ExportPanel name={name} since={win.since} until={win.until} />

      <h2>{t('detail.status')}</h2>
      {history && (
        <>
          <Timeline spans={history.spans} since={history.since} until={history.until} />
          <p className="muted">
            {t('detail.downtime', { time: age(history.downtime_ms) })} · {t('detail.unknown', { time: age(history.unknown_ms) })}
            {history.maintenance_ms > 0 && (
              <span data-maintenance-ms={history.maintenance_ms}> · {t('detail.maintenanceTime', { time: age(history.maintenance_ms) })}</span>
            )}{' '}
            · {t('detail.changes', { n: history.transitions.length })}
          </p>
          <table className="grid transitions">
            <thead>
              <tr>
                <th>{t('detail.col.at')}</th>
                <th>{t('detail.col.from')}</th>
                <th>{t('detail.col.to')}</th>
                <th>{t('detail.col.why')}</th>
              </tr>
            </thead>
            <tbody>
              {history.transitions
                .slice(-8)
                .reverse()
                .map((tr, i) => (
                  <tr key={i} data-transition={`${tr.from_status}->${tr.to_status}`}>
                    <td>{dateTime(tr.at)}</td>
                    <td>
                      <StatusBadge status={tr.from_status} />
                    </td>
                    <td>
                      <StatusBadge status={tr.to_status} observerOffline={tr.observer_offline} />
                    </td>
                    <td>{tr.error_detail ?? tr.error_category ?? ''}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </>
      )}

      <h2>{t('detail.latency')}</h2>
      <div className="chart" ref={chartBox} data-samples={chart?.samples ?? 0}>
        {/* The SVG is drawn by the core (plotters) from stored data; it holds no script. */}
        {chart && <div className="chart-svg" dangerouslySetInnerHTML={{ __html: chart.svg }} />}
        {chart && (
          <p className="muted">
            {t('detail.chartSummary', { samples: chart.samples, failures: chart.failures })}
          </p>
        )}
      </div>

      <div className="detail-columns">
        <div>
          <h2>{t('detail.errors')}</h2>
          <table className="grid breakdown">
            <tbody>
              {page?.outcomes.map((o) => (
                <tr key={o.outcome} className={o.outcome === 'ok' ? '' : 'abnormal-row'}>
                  <td>{o.outcome}</td>
                  <td className="num">{o.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>{t('detail.key')}</h2>
          <p data-key-state>
            {detail?.connection.key_validated === null || detail?.connection.key_validated === undefined
              ? t('detail.key.never')
              : detail.connection.key_validated
                ? t('detail.key.valid', { time: dateTime(detail.connection.key_last_validated_at ?? 0) })
                : t('detail.key.rejected', { error: detail.connection.key_validation_error ?? '' })}
            {key && ` — ${t('detail.key.justNow', { result: key.valid ? t('detail.key.nowValid') : t('detail.key.nowRejected', { error: key.error ?? '' }) })}`}
          </p>
          {detail?.connection.kind === 'station' && (
            <p className="key-actions">
              <button type="button" onClick={() => api.checkKey(name).then(setKey, fail)}>
                {t('detail.validateNow')}
              </button>
              <button type="button" data-share-key disabled={sharing} title={t('detail.shareKey.hint')} onClick={share}>
                {sharing ? t('detail.shareKey.busy') : t('detail.shareKey')}
              </button>
            </p>
          )}
          {shared && <p data-key-shared>{t('detail.shareKey.done', { consoles: shared.consoles.join(', ') })}</p>}
        </div>
        <div>
          <h2>{t('detail.points')}</h2>
          <table className="grid points">
            <thead>
              <tr>
                <th>{t('detail.col.point')}</th>
                <th>{t('detail.col.value')}</th>
                <th>{t('detail.col.state')}</th>
                <th>{t('detail.col.received')}</th>
              </tr>
            </thead>
            <tbody>
              {points?.values.map((p) => {
                const live = room.points.get(`${p.connection}\u0000${p.point}`) ?? p;
                const f = freshnessAt(live.received_at, live.fresh_until, now, room.observerOnline);
                return (
                  <tr key={p.point} data-point={p.point} data-freshness={f}>
                    <td>{p.point}</td>
                    <td className="num">{f === 'unknown' ? '—' : fmt(live.value, live.unit)}</td>
                    <td>
                      <ValueBadges freshness={f} quality={live.quality} />
                    </td>
                    <td>{t('common.ago', { time: age(now - live.received_at) })}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </div>

      <h2>{t('detail.samples')}</h2>
      <div className="pager">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          ← {t('detail.newer')}
        </button>
        <span>
          {page ? t('detail.pageOf', { from: page.total === 0 ? 0 : offset + 1, to: Math.min(offset + PAGE, page.total), total: page.total }) : ''}
        </span>
        <button type="button" disabled={!page || offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
          {t('detail.older')} →
        </button>
      </div>
      <table className="grid samples">
        <thead>
          <tr>
            <th>{t('detail.col.at')}</th>
            <th>{t('detail.col.latency')}</th>
            <th>HTTP</th>
            <th>{t('detail.col.bytes')}</th>
            <th>{t('detail.col.outcome')}</th>
          </tr>
        </thead>
        <tbody>
          {page?.rows.map((m, i) => (
            <tr key={i} className={m.outcome === 'ok' ? '' : 'abnormal-row'}>
              <td>{dateTime(m.at_ms)}</td>
              <td className="num">{(m.latency_us / 1000).toFixed(1)} ms</td>
              <td>{m.http_status ?? '—'}</td>
              <td className="num">
                {m.response_bytes}/{m.request_bytes}
              </td>
              <td>{m.outcome}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
