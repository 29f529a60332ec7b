// Small helpers over @grafana/grafana-foundation-sdk (Grafana 10.4 schema) shared by the Strata
// dashboards: the provisioned datasource, time-series and stat panels from PromQL expressions.
import * as dash from '@grafana/grafana-foundation-sdk/dashboard';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as stat from '@grafana/grafana-foundation-sdk/stat';

/** The datasource provisioned by deploy/grafana/provisioning/datasources/strata.yaml (uid "strata"). */
export const DATASOURCE: dash.DataSourceRef = { type: 'prometheus', uid: 'strata' };

export interface Query {
  expr: string;
  legend: string;
}

export interface PanelOpts {
  unit?: string;
  description?: string;
  /** Width in grid units (24 = full width); 8 by default. */
  span?: number;
  height?: number;
  stacked?: boolean;
  min?: number;
  max?: number;
}

function target(q: Query, i: number, instant: boolean): prometheus.DataqueryBuilder {
  const b = new prometheus.DataqueryBuilder()
    .refId(String.fromCharCode(65 + i))
    .datasource(DATASOURCE)
    .expr(q.expr)
    .legendFormat(q.legend);
  return instant ? b.instant() : b.range();
}

/** A time-series panel with one target per query. */
export function graph(title: string, queries: Query[], o: PanelOpts = {}): timeseries.PanelBuilder {
  let p = new timeseries.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .span(o.span ?? 8)
    .height(o.height ?? 8)
    .unit(o.unit ?? 'short')
    .lineWidth(1)
    .fillOpacity(o.stacked ? 30 : 10)
    .showPoints(common.VisibilityMode.Never)
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (o.stacked) p = p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (o.description) p = p.description(o.description);
  if (o.min !== undefined) p = p.min(o.min);
  if (o.max !== undefined) p = p.max(o.max);
  queries.forEach((q, i) => (p = p.withTarget(target(q, i, false))));
  return p;
}

/** A stat panel (instant queries, last value, background colored by thresholds). */
export function single(title: string, queries: Query[], o: PanelOpts & { thresholds?: { value: number | null; color: string }[] } = {}): stat.PanelBuilder {
  let p = new stat.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .span(o.span ?? 4)
    .height(o.height ?? 4)
    .unit(o.unit ?? 'short')
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Background)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(
      new dash.ThresholdsConfigBuilder()
        .mode(dash.ThresholdsMode.Absolute)
        .steps(o.thresholds ?? [{ value: null, color: 'green' }]),
    );
  if (o.description) p = p.description(o.description);
  queries.forEach((q, i) => (p = p.withTarget(target(q, i, true))));
  return p;
}

/** A dashboard with the shared defaults (tags, refresh, time range, read-only). */
export function dashboard(uid: string, title: string, description: string): dash.DashboardBuilder {
  return new dash.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['strata'])
    .timezone('browser')
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .tooltip(dash.DashboardCursorSync.Crosshair)
    .readonly();
}

/** A query variable over label values of the Strata datasource. */
export function labelVariable(name: string, label: string, query: string, o: { multi: boolean; includeAll: boolean }): dash.QueryVariableBuilder {
  let v = new dash.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query({ query, refId: `${name}-variable` })
    .refresh(dash.VariableRefresh.OnTimeRangeChanged)
    .sort(dash.VariableSort.AlphabeticalAsc)
    .multi(o.multi)
    .includeAll(o.includeAll);
  if (o.includeAll) v = v.allValue('.+');
  return v;
}
