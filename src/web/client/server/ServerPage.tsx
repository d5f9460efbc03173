// The server page (/server?id=…): charts of CPU, memory, disk, swap and load with min–max bands
// over 1 h … 1 y, the last point following live heartbeats; the 90-day uptime bar with 24 h / 7 d /
// 30 d figures; the status-change timeline and the version changes beside it. Admin details need
// the token the admin page keeps in this tab; without one, what the public overview setting allows
// (uptime, version changes) is still shown.
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { serverNow } from '../shared/clock.ts';
import { Ago, Header, StatusPill, Versions } from '../shared/components.tsx';
import { formatTimestamp } from '../shared/format.ts';
import { GraphQLRequestError, request } from '../shared/graphql.ts';
import { LiveConnection } from '../shared/live.ts';
import { readToken } from '../shared/session.ts';
import { Chart, type ChartLine } from './Chart.tsx';
import {
  formatRatio,
  loadSeries,
  loadUptime,
  pointOf,
  RANGES,
  SERVER_QUERY,
  SERVER_SUBSCRIPTION,
  type MetricPoint,
  type RangeKey,
  type ServerInfo,
  type UptimeSummary,
} from './data.ts';
import { UptimeBar } from './UptimeBar.tsx';
import { VersionTimeline } from './VersionTimeline.tsx';
import { loadVersionSteps, type VersionStep } from './versions.ts';

const CHARTS: { title: string; percent: boolean; lines: ChartLine[] }[] = [
  { title: 'CPU', percent: true, lines: [{ key: 'cpuPct', label: 'CPU', color: '#1f4fd1' }] },
  { title: 'Memory', percent: true, lines: [{ key: 'memPct', label: 'Memory', color: '#7a3fc4' }] },
  { title: 'Disk', percent: true, lines: [{ key: 'diskPct', label: 'Disk', color: '#b25e00' }] },
  { title: 'Swap', percent: true, lines: [{ key: 'swapPct', label: 'Swap', color: '#0f7a6a' }] },
  {
    title: 'Load',
    percent: false,
    lines: [
      { key: 'load1', label: '1 min', color: '#1f4fd1' },
      { key: 'load5', label: '5 min', color: '#b25e00' },
      { key: 'load15', label: '15 min', color: '#13502d' },
    ],
  },
];

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function ServerPage({ id }: { id: string }) {
  const token = readToken();
  const [server, setServer] = useState<ServerInfo | null>(null);
  const [serverError, setServerError] = useState<GraphQLRequestError | null>(null);
  const [range, setRange] = useState<RangeKey>('24h');
  const [window, setWindow] = useState(() => ({ from: Date.now() - 86_400_000, to: Date.now() }));
  const [points, setPoints] = useState<MetricPoint[] | null>(null);
  const [chartError, setChartError] = useState<string | null>(null);
  const [uptime, setUptime] = useState<UptimeSummary | null>(null);
  const [uptimeError, setUptimeError] = useState<string | null>(null);
  const [versions, setVersions] = useState<VersionStep[] | null>(null);
  const [versionsError, setVersionsError] = useState<string | null>(null);

  useEffect(() => {
    if (!id) return;
    loadUptime(id, Date.now(), token).then(setUptime, (error) => setUptimeError(message(error)));
    // Versions are public where the overview is (it shows them too), like the uptime figures.
    loadVersionSteps(id, serverNow(), token).then(setVersions, (error) => setVersionsError(message(error)));
    if (!token) return;
    request<{ server: ServerInfo | null }>(SERVER_QUERY, { id }, token).then(
      (data) => (data.server ? setServer(data.server) : setServerError(new GraphQLRequestError(`No server with id "${id}".`, 'NOT_FOUND'))),
      (error) => setServerError(error instanceof GraphQLRequestError ? error : new GraphQLRequestError(message(error), 'UNEXPECTED')),
    );
  }, [id]);

  useEffect(() => {
    if (!id || !token) return;
    const ms = RANGES.find((r) => r.key === range)!.ms;
    const to = Date.now();
    setWindow({ from: to - ms, to });
    setPoints(null);
    loadSeries(id, to - ms, to, token).then(
      (series) => {
        setChartError(null);
        setPoints(series.points);
      },
      (error) => setChartError(message(error)),
    );
  }, [id, range]);

  // The last point follows the server's heartbeats.
  useEffect(() => {
    if (!id || !token) return;
    const live = new LiveConnection({ token: () => token, onStatus: () => {} });
    const stop = live.subscribe<{ serverUpdated: ServerInfo }>({
      query: SERVER_SUBSCRIPTION,
      variables: { id },
      next: ({ serverUpdated }) => {
        setServer(serverUpdated);
        if (!serverUpdated.lastSeenAt) return;
        const at = serverUpdated.lastSeenAt;
        setPoints((current) => (current && current.at(-1)?.at !== at ? [...current, pointOf(serverUpdated, at)] : current));
        setWindow((current) => ({ from: current.from + (Date.parse(at) - current.to > 0 ? Date.parse(at) - current.to : 0), to: Math.max(current.to, Date.parse(at)) }));
      },
      error: () => {},
    });
    return () => {
      stop();
      live.dispose();
    };
  }, [id]);

  const title = server ? server.name : 'Server';
  useEffect(() => {
    document.title = `${title} · HarborForge Monitor`;
  }, [title]);

  if (!id) return <Shell title="Server"><div class="notice notice-error" role="alert">No server given: open this page from the status page or the admin list.</div></Shell>;

  return (
    <Shell title={title}>
      <header class="server-head">
        {server ? (
          <p class="server-facts">
            <StatusPill status={server.status} /> <span class="muted">{server.identifier}</span> · last seen <Ago iso={server.lastSeenAt} /> ·{' '}
            <Versions openclaw={server.openclawVersion} plugin={server.pluginVersion} />
          </p>
        ) : null}
        {serverError?.isAuthFailure || !token ? (
          <p class="notice">
            Charts and the status timeline need an admin token: <a href="/admin">sign in on the admin page</a> in this tab, then come back.
          </p>
        ) : serverError ? (
          <p class="notice notice-error" role="alert">{serverError.message}</p>
        ) : null}
      </header>

      <section class="server-uptime" aria-label="Uptime">
        <h2>Uptime</h2>
        {uptime ? (
          <>
            <dl class="uptime-figures">
              <div><dt>24 h</dt><dd data-uptime="24h">{formatRatio(uptime.d1)}</dd></div>
              <div><dt>7 d</dt><dd data-uptime="7d">{formatRatio(uptime.d7)}</dd></div>
              <div><dt>30 d</dt><dd data-uptime="30d">{formatRatio(uptime.d30)}</dd></div>
            </dl>
            <UptimeBar days={uptime.days} />
            <p class="uptime-axis muted"><span>90 days ago</span><span>today</span></p>
          </>
        ) : uptimeError ? (
          <p class="notice notice-error" role="alert">{uptimeError}</p>
        ) : (
          <p class="loading" role="status">Loading uptime…</p>
        )}
      </section>

      {token && !serverError ? (
        <section class="server-charts" aria-label="Metrics">
          <div class="chart-toolbar">
            <h2>Metrics</h2>
            <div class="segmented" role="group" aria-label="Time range">
              {RANGES.map((r) => (
                <button key={r.key} type="button" class={`button button-quiet${r.key === range ? ' active' : ''}`} aria-pressed={r.key === range} onClick={() => setRange(r.key)}>
                  {r.label}
                </button>
              ))}
            </div>
          </div>
          {chartError ? <p class="notice notice-error" role="alert">{chartError}</p> : null}
          {points == null && !chartError ? <p class="loading" role="status">Loading metrics…</p> : null}
          {points ? (
            points.length === 0 ? (
              <p class="muted">No samples in this range.</p>
            ) : (
              <div class="chart-grid">
                {CHARTS.map((chart) => (
                  <Chart key={chart.title} title={chart.title} lines={chart.lines} percent={chart.percent} points={points} from={window.from} to={window.to} />
                ))}
              </div>
            )
          ) : null}
        </section>
      ) : null}

      <div class="server-history">
        {uptime?.changes ? <Timeline changes={uptime.changes} /> : null}
        <VersionTimeline steps={versions} error={versionsError} />
      </div>
    </Shell>
  );
}

function Timeline({ changes }: { changes: NonNullable<UptimeSummary['changes']> }) {
  const rows = useMemo(() => changes, [changes]);
  return (
    <section class="server-timeline" aria-label="Status changes">
      <h2>Status changes <span class="muted">(last 90 days, newest first)</span></h2>
      {rows.length === 0 ? (
        <p class="muted">No status changes in the last 90 days.</p>
      ) : (
        <ol class="timeline">
          {rows.map((change) => (
            <li key={`${change.at}-${change.toStatus}`} data-to={change.toStatus}>
              <time dateTime={change.at}>{formatTimestamp(change.at)}</time>{' '}
              <span class="muted">{change.fromStatus ?? '—'}</span> → <StatusPill status={change.toStatus as ServerInfo['status']} />{' '}
              <span class="muted">({change.cause.toLowerCase().replace(/_/g, ' ')})</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function Shell({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <>
      <Header title={title}>
        <a class="button button-quiet" href="/">Status</a>
        <a class="button button-quiet" href="/admin">Admin</a>
      </Header>
      <main id="main" class="page server-page" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
