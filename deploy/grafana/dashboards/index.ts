// The Strata Grafana dashboards: their generated file names, and helpers to list and interpolate
// every panel query (used by scripts/dashboards.ts and the tests).
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { clustersOverview } from './clusters-overview.ts';
import { strataSelf, PENDING_METRICS } from './strata.ts';

export { PENDING_METRICS };

/** Each dashboard and the file it is generated into under deploy/grafana/dashboards/generated/. */
export const DASHBOARDS: readonly { file: string; build: () => Dashboard }[] = [
  { file: 'clusters-overview.json', build: () => withPanelIds(clustersOverview()) },
  { file: 'strata.json', build: () => withPanelIds(strataSelf()) },
];

/** Numbers every panel and row 1, 2, … in dashboard order (the SDK leaves rows at id 0). */
export function withPanelIds(d: Dashboard): Dashboard {
  let id = 1;
  const visit = (ps: { id?: number; panels?: unknown[] }[] | undefined): void => {
    for (const p of ps ?? []) {
      p.id = id++;
      visit(p.panels as { id?: number; panels?: unknown[] }[] | undefined);
    }
  };
  visit(d.panels as { id?: number; panels?: unknown[] }[] | undefined);
  return d;
}

/** The JSON text written for a dashboard (stable: 2-space indent, trailing newline). */
export function dashboardJSON(d: Dashboard): string {
  return JSON.stringify(d, null, 2) + '\n';
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
  /** Instant (stat panels) or range (time series). */
  instant: boolean;
}

interface PanelLike {
  title?: string;
  type?: string;
  targets?: { refId?: string; expr?: string; instant?: boolean }[];
  panels?: PanelLike[];
}

/** Every PromQL query of every panel (rows included), in dashboard order. */
export function panelQueries(d: Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  const visit = (ps: PanelLike[] | undefined): void => {
    for (const p of ps ?? []) {
      for (const t of p.targets ?? []) {
        if (typeof t.expr === 'string') out.push({ dashboard: d.title ?? '', panel: p.title ?? '', refId: t.refId ?? '', expr: t.expr, instant: t.instant === true });
      }
      visit(p.panels);
    }
  };
  visit(d.panels as PanelLike[] | undefined);
  return out;
}

/** Every template variable query (label_values(...) etc.) of a dashboard. */
export function variableQueries(d: Dashboard): { name: string; query: string }[] {
  const out: { name: string; query: string }[] = [];
  for (const v of d.templating?.list ?? []) {
    const q = v.query;
    const text = typeof q === 'string' ? q : typeof q?.query === 'string' ? (q.query as string) : '';
    if (text) out.push({ name: v.name ?? '', query: text });
  }
  return out;
}

/**
 * Replaces Grafana's variables the way Grafana does before sending a query: $__rate_interval,
 * $__interval, $__range and dashboard variables ($name and ${name}). Multi-value variables are
 * joined as a regex alternation, as Grafana does for Prometheus.
 */
export function interpolate(expr: string, vars: Record<string, string | string[]>, intervals: { rateInterval: string; interval: string; range: string }): string {
  let s = expr
    .replaceAll('$__rate_interval', intervals.rateInterval)
    .replaceAll('$__interval', intervals.interval)
    .replaceAll('$__range', intervals.range);
  // Longest names first so $cluster does not eat part of $clusters.
  for (const name of Object.keys(vars).sort((a, b) => b.length - a.length)) {
    const v = vars[name]!;
    const value = Array.isArray(v) ? (v.length === 1 ? v[0]! : `(${v.join('|')})`) : v;
    s = s.replaceAll(`\${${name}}`, value).replaceAll(`$${name}`, value);
  }
  return s;
}

/**
 * The PromQL selector inside a Grafana label_values(selector, label) variable query, or null for
 * other query kinds.
 */
export function labelValuesSelector(query: string): { selector: string | null; label: string } | null {
  const m = /^\s*label_values\(\s*(?:(.*),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/.exec(query);
  if (!m) return null;
  return { selector: m[1] ?? null, label: m[2]! };
}
