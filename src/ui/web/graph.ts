// Graph rendering with uPlot: aligned timestamps, stacked/unstacked lines, legend with the series
// labels and the values under the cursor.
import uPlot from 'uplot';
import { formatSeries } from './api.ts';
import { h, type El } from './dom.ts';

export interface MatrixSeries {
  metric: Record<string, string>;
  values?: [number, string][];
}

/** Parses Prometheus' float text ("NaN", "+Inf", "-Inf", numbers). */
export function parseSampleValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

function color(i: number): string {
  // Golden-angle hue walk: adjacent series get distinct colours.
  const hue = (i * 137.508) % 360;
  return `hsl(${hue.toFixed(1)}, 65%, 45%)`;
}

export interface GraphHandle {
  destroy(): void;
  resize(width: number): void;
}

/**
 * Draws `series` (already limited by the caller) at start..end (seconds) every `step` seconds.
 * Non-finite values leave gaps, as Prometheus' graph does.
 */
export function renderGraph(target: El, series: MatrixSeries[], start: number, end: number, step: number, stacked: boolean, width: number): GraphHandle {
  const n = Math.floor((end - start) / step + 1e-9) + 1;
  const xs = new Array<number>(n);
  for (let i = 0; i < n; i++) xs[i] = start + i * step;
  const raw: (number | null)[][] = series.map((s) => {
    const ys = new Array<number | null>(n).fill(null);
    for (const [t, v] of s.values ?? []) {
      const idx = Math.round((t - start) / step);
      if (idx < 0 || idx >= n) continue;
      const f = parseSampleValue(v);
      ys[idx] = Number.isFinite(f) ? f : null;
    }
    return ys;
  });
  let plotted = raw;
  if (stacked) {
    const acc = new Array<number>(n).fill(0);
    plotted = raw.map((ys) =>
      ys.map((y, i) => {
        if (y === null) return null;
        acc[i]! += y;
        return acc[i]!;
      }),
    );
  }
  // Samples with no neighbour would be invisible as lines: draw those as dots (like Prometheus' UI).
  const isolated: number[][] = raw.map((ys) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (ys[i] !== null && (i === 0 || ys[i - 1] === null) && (i === n - 1 || ys[i + 1] === null)) out.push(i);
    return out;
  });
  const opts: uPlot.Options = {
    width,
    height: 360,
    cursor: { drag: { x: true, y: false }, focus: { prox: 16 } },
    focus: { alpha: 0.35 },
    legend: { live: true },
    scales: { x: { time: true } },
    axes: [{}, { size: 70, values: (_u, ticks) => ticks.map((t) => formatTick(t)) }],
    series: [
      { label: 'Time' },
      ...series.map((s, i) => ({
        label: formatSeries(s.metric),
        stroke: color(i),
        width: 1.5,
        fill: stacked ? color(i).replace('hsl', 'hsla').replace(')', ', 0.25)') : undefined,
        spanGaps: false,
        points: { show: true, size: 5, filter: isolated[i]! },
        // The legend shows each series' own value, also when stacked.
        value: (_u: uPlot, _v: number | null, si: number, idx: number | null) => {
          const y = idx === null ? null : raw[si - 1]?.[idx];
          return y === null || y === undefined ? '-' : String(y);
        },
      })),
    ],
  };
  const plot = new uPlot(opts, [xs, ...plotted] as uPlot.AlignedData, target as unknown as ConstructorParameters<typeof uPlot>[2]);
  return {
    destroy: () => plot.destroy(),
    resize: (w) => plot.setSize({ width: w, height: 360 }),
  };
}

function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e12) return `${+(v / 1e12).toPrecision(3)}T`;
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  return String(+v.toPrecision(4));
}

export function legendNotice(shown: number, total: number): El | null {
  if (total <= shown) return null;
  return h('div', { class: 'alert warning', 'data-testid': 'series-limit' }, `Showing the first ${shown} of ${total} series. Narrow the query (e.g. with topk or aggregation) to see the rest.`);
}
