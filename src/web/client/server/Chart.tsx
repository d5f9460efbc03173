// One uPlot chart: the average as a line, the min–max of each point as a band around it.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { MetricKey, MetricPoint } from './data.ts';

export interface ChartLine {
  key: MetricKey;
  label: string;
  color: string;
}

function toData(points: MetricPoint[], lines: ChartLine[]): uPlot.AlignedData {
  const xs = points.map((p) => Date.parse(p.at) / 1000);
  const columns: (number | null)[][] = [];
  for (const line of lines) {
    columns.push(points.map((p) => p[line.key]?.avg ?? null));
    columns.push(points.map((p) => p[line.key]?.min ?? null));
    columns.push(points.map((p) => p[line.key]?.max ?? null));
  }
  return [xs, ...columns] as uPlot.AlignedData;
}

const alpha = (hex: string, a: number) => `${hex}${Math.round(a * 255).toString(16).padStart(2, '0')}`;

export function Chart({ title, lines, points, percent, from, to }: { title: string; lines: ChartLine[]; points: MetricPoint[]; percent: boolean; from: number; to: number }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const width = Math.max(280, host.current!.clientWidth);
    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    lines.forEach((line, i) => {
      const avg = 1 + i * 3;
      series.push({ label: line.label, stroke: line.color, width: 1.5, spanGaps: false, value: (_u, v) => (v == null ? '—' : percent ? `${v.toFixed(1)} %` : v.toFixed(2)) });
      series.push({ label: `${line.label} min`, stroke: 'transparent', show: true, value: () => '' });
      series.push({ label: `${line.label} max`, stroke: 'transparent', show: true, value: () => '' });
      bands.push({ series: [avg + 2, avg + 1], fill: alpha(line.color, 0.18) });
    });
    const options: uPlot.Options = {
      width,
      height: 180,
      series,
      bands,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, min: from / 1000, max: to / 1000 }, y: percent ? { range: [0, 100] } : { range: (_u, _min, max) => [0, Math.max(1, max ?? 1)] } },
      axes: [{}, { size: 56, values: (_u, ticks) => ticks.map((t) => (percent ? `${t}%` : String(t))) }],
    };
    plot.current = new uPlot(options, toData(points, lines), host.current!);
    // Hide the min/max series from the legend: they only shape the band.
    host.current!.querySelectorAll('.u-legend .u-series').forEach((row, i) => {
      if (i > 0 && (i - 1) % 3 !== 0) (row as HTMLElement).style.display = 'none';
    });
    const resize = () => plot.current?.setSize({ width: Math.max(280, host.current!.clientWidth), height: 180 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.current?.destroy();
      plot.current = null;
    };
  }, [lines, percent]);

  useEffect(() => {
    if (!plot.current) return;
    plot.current.setScale('x', { min: from / 1000, max: to / 1000 });
    plot.current.setData(toData(points, lines), false);
    plot.current.setScale('x', { min: from / 1000, max: to / 1000 });
  }, [points, from, to]);

  return (
    <section class="chart" data-chart={title} data-points={points.length} data-last-at={points.at(-1)?.at ?? ''} aria-label={`${title} chart`}>
      <h3>{title}</h3>
      <div ref={host} class="chart-host" />
    </section>
  );
}
