// The benchmark chart: per second, events produced and events visible in ClickHouse (left axis), p99 latency
// source -> ClickHouse and source -> dashboard (right axis), plus RSS per process (lower panel). Rendered with
// ECharts' server-side SVG renderer (echarts is already a dependency of the dashboard), then rasterised to PNG by
// Debian's headless Chromium (already used by the e2e tests), so no image library is added. Without Chromium the
// SVG is kept and no PNG is written.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ProcessSeries } from './stats.ts';

const execFileAsync = promisify(execFile);

/** What the chart needs of a pipeline result (run.ts PipelineResult). */
export interface ChartInput {
  series: Array<{ t: number; produced: number; chRows: number; chTelemetryP99: number | null; dashboardP99: number | null }>;
  processes: Array<{ name: string }>;
  rss: ProcessSeries[];
}
const chromiumPaths = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const width = 1200;
const height = 760;

export async function renderChart(p: ChartInput, pngFile: string, title: string): Promise<string | null> {
  const echarts = await import('echarts');
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  const t = p.series.map((s) => s.t);
  const rssSeries = p.processes.map((proc) => proc.name);
  chart.setOption({
    animation: false,
    backgroundColor: '#ffffff',
    title: { text: title, left: 'center', top: 6, textStyle: { fontSize: 14 } },
    legend: { top: 34, left: 20, right: 20, type: 'plain', textStyle: { fontSize: 11 } },
    grid: [
      { left: 70, right: 70, top: 110, height: 320 },
      { left: 70, right: 70, top: 500, height: 210 },
    ],
    xAxis: [
      { gridIndex: 0, type: 'category', data: t, name: 's' },
      { gridIndex: 1, type: 'category', data: p.processes[0] ? sampledTimes(p) : [], name: 's' },
    ],
    yAxis: [
      { gridIndex: 0, type: 'value', name: 'events/s' },
      { gridIndex: 0, type: 'value', name: 'p99 ms', position: 'right' },
      { gridIndex: 1, type: 'value', name: 'RSS MB' },
    ],
    series: [
      { name: 'produced events/s', type: 'line', showSymbol: false, xAxisIndex: 0, yAxisIndex: 0, data: p.series.map((s) => s.produced) },
      { name: 'into ClickHouse events/s', type: 'line', showSymbol: false, xAxisIndex: 0, yAxisIndex: 0, data: p.series.map((s) => s.chRows) },
      { name: 'p99 source->ClickHouse ms', type: 'line', showSymbol: false, xAxisIndex: 0, yAxisIndex: 1, lineStyle: { type: 'dashed' }, data: p.series.map((s) => s.chTelemetryP99) },
      { name: 'p99 source->dashboard ms', type: 'line', showSymbol: false, xAxisIndex: 0, yAxisIndex: 1, lineStyle: { type: 'dashed' }, data: p.series.map((s) => s.dashboardP99) },
      ...rssSeries.map((name, i) => ({
        name: `RSS ${name}`,
        type: 'line',
        showSymbol: false,
        xAxisIndex: 1,
        yAxisIndex: 2,
        data: rssPoints(p, i),
      })),
    ],
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  const svgFile = pngFile.replace(/\.png$/, '.svg');
  writeFileSync(svgFile, svg);
  const chromium = chromiumPaths.find((c) => existsSync(c));
  if (!chromium) return null;
  const profile = mkdtempSync(join(tmpdir(), 'linepulse-bench-chromium-'));
  try {
    const html = join(profile, 'chart.html');
    writeFileSync(html, `<!doctype html><html><body style="margin:0;background:#fff">${svg}</body></html>`);
    await execFileAsync(
      chromium,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--hide-scrollbars', `--user-data-dir=${profile}`, `--window-size=${width},${height}`, `--screenshot=${pngFile}`, `file://${html}`],
      { timeout: 60_000 },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  return existsSync(pngFile) ? pngFile : null;
}

function sampledTimes(p: ChartInput): number[] {
  return (p.rss[0]?.points ?? []).map((x) => x[0]);
}

function rssPoints(p: ChartInput, i: number): number[] {
  return (p.rss[i]?.points ?? []).map((x) => x[2]);
}
