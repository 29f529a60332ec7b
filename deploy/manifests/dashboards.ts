// Grafana dashboards provisioned into the lab (folder "Strata"): the Strata components' own
// metrics (Prometheus scrapes them and remote-writes them back into Strata) and a multi-cluster
// overview of what the clusters' Prometheus servers send. Grafana dashboard JSON, schemaVersion 39.
import { DATASOURCE_UID_REF } from './dashboard-ds.ts';

export interface Dashboard extends Record<string, unknown> {
  uid: string;
  title: string;
}

interface PanelSpec {
  title: string;
  exprs: { expr: string; legend: string }[];
  unit?: string;
  type?: 'timeseries' | 'stat';
  w?: number;
}

function panels(specs: PanelSpec[]): Record<string, unknown>[] {
  let x = 0;
  let y = 0;
  return specs.map((s, i) => {
    const w = s.w ?? 12;
    const h = s.type === 'stat' ? 4 : 8;
    if (x + w > 24) {
      x = 0;
      y += 8;
    }
    const p = {
      id: i + 1,
      type: s.type ?? 'timeseries',
      title: s.title,
      datasource: DATASOURCE_UID_REF,
      gridPos: { x, y, w, h },
      fieldConfig: { defaults: { unit: s.unit ?? 'short' }, overrides: [] },
      options: s.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } } : { legend: { displayMode: 'list', placement: 'bottom' } },
      targets: s.exprs.map((e, j) => ({ refId: String.fromCharCode(65 + j), datasource: DATASOURCE_UID_REF, expr: e.expr, legendFormat: e.legend })),
    };
    x += w;
    return p;
  });
}

function dashboard(uid: string, title: string, specs: PanelSpec[], variables: Record<string, unknown>[] = []): Dashboard {
  return {
    uid,
    title,
    tags: ['strata'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: false,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: { list: variables },
    panels: panels(specs),
  };
}

const clusterVar = {
  name: 'cluster',
  label: 'cluster',
  type: 'query',
  datasource: DATASOURCE_UID_REF,
  query: { query: 'label_values(up, cluster)', refId: 'cluster' },
  refresh: 2,
  includeAll: true,
  multi: true,
  allValue: '.+',
  current: { text: 'All', value: '$__all' },
};

export function dashboards(): Dashboard[] {
  return [
    dashboard('strata-overview', 'Strata / Overview', [
      { title: 'Remote-write samples/s by tenant', exprs: [{ expr: 'sum by (tenant) (rate(thanos_receive_write_samples_total[5m]))', legend: '{{tenant}}' }], unit: 'short' },
      {
        title: 'Remote-write requests/s by code',
        exprs: [{ expr: 'sum by (code) (rate(thanos_receive_http_requests_total[5m]))', legend: '{{code}}' }],
        unit: 'reqps',
      },
      { title: 'Head series (receivers)', exprs: [{ expr: 'sum by (pod) (prometheus_tsdb_head_series{app="strata-receive"})', legend: '{{pod}}' }] },
      { title: 'Rejected remote writes/s', exprs: [{ expr: 'sum by (reason) (rate(strata_receive_rejected_total[5m]))', legend: '{{reason}}' }], unit: 'reqps' },
      { title: 'Blocks loaded (store gateway)', exprs: [{ expr: 'sum by (pod) (thanos_bucket_store_blocks_loaded)', legend: '{{pod}}' }] },
      {
        title: 'Index cache hit ratio (store gateway)',
        exprs: [{ expr: 'sum(rate(thanos_store_index_cache_hits_total[5m])) / sum(rate(thanos_store_index_cache_requests_total[5m]))', legend: 'hit ratio' }],
        unit: 'percentunit',
      },
      { title: 'Querier endpoints', exprs: [{ expr: 'sum by (component, healthy) (strata_query_endpoints)', legend: '{{component}} healthy={{healthy}}' }] },
      {
        title: 'Compactions/s and halts',
        exprs: [
          { expr: 'sum(rate(thanos_compact_group_compactions_total[30m]))', legend: 'compactions' },
          { expr: 'max(thanos_compact_halted)', legend: 'halted' },
        ],
      },
    ]),
    dashboard(
      'strata-clusters',
      'Strata / Clusters',
      [
        { title: 'Targets up by cluster', exprs: [{ expr: 'sum by (cluster) (up{cluster=~"$cluster"})', legend: '{{cluster}}' }], type: 'stat', w: 24 },
        { title: 'Scraped samples/s by cluster', exprs: [{ expr: 'sum by (cluster) (rate(prometheus_tsdb_head_samples_appended_total{cluster=~"$cluster"}[5m]))', legend: '{{cluster}}' }] },
        {
          title: 'Remote-write lag by cluster (s)',
          exprs: [
            {
              expr: 'max by (cluster) (prometheus_remote_storage_highest_timestamp_in_seconds{cluster=~"$cluster"} - ignoring(remote_name, url) group_right prometheus_remote_storage_queue_highest_sent_timestamp_seconds{cluster=~"$cluster"})',
              legend: '{{cluster}}',
            },
          ],
          unit: 's',
        },
        { title: 'Failed remote-write samples/s by cluster', exprs: [{ expr: 'sum by (cluster) (rate(prometheus_remote_storage_samples_failed_total{cluster=~"$cluster"}[5m]))', legend: '{{cluster}}' }] },
        { title: 'Active series by cluster', exprs: [{ expr: 'sum by (cluster) (prometheus_tsdb_head_series{cluster=~"$cluster", job="prometheus"})', legend: '{{cluster}}' }] },
      ],
      [clusterVar],
    ),
  ];
}
