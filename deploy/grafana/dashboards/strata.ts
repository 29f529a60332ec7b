// "Strata": self-monitoring of the Strata components from their own /metrics (scraped by the
// clusters' Prometheus servers and remote-written back into Strata): ingest, WAL, head, shipper,
// store gateway and its cache, querier, compactor, and the Node.js processes.
//
// Every Prometheus server of the lab scrapes every Strata component, so each Strata series exists
// once per scraping cluster; the `cluster` variable picks whose view to show (dedup folds HA pairs).
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboard, graph, labelVariable, single } from './lib.ts';

const C = 'cluster="$cluster"';
const RECEIVE = `job="strata-receive", ${C}`;
const STORE = `job="strata-store", ${C}`;
const QUERY = `job="strata-query", ${C}`;
const COMPACT = `job="strata-compact", ${C}`;
const ALL = `job=~"strata-.*", ${C}`;

/**
 * Metrics a panel uses that Strata does not export yet; those panels stay empty until it does
 * (test/lab.test.ts requires their queries to parse and succeed, not to return data).
 */
export const PENDING_METRICS: Readonly<Record<string, string>> = {};

export function strataSelf(): Dashboard {
  return dashboard('strata-self', 'Strata', 'Self-monitoring of strata receive, store, query and compact: ingest, WAL, head, shipper, store gateway cache, query latency, compactor.')
    .withVariable(
      labelVariable('cluster', 'scraped by cluster', 'label_values(up{job=~"strata-.*"}, cluster)', { multi: false, includeAll: false }).description(
        'Every cluster\'s Prometheus scrapes the Strata components; pick whose scrapes to show.',
      ),
    )
    .withRow(new RowBuilder('Components'))
    .withPanel(
      single('Components up', [{ expr: `sum by (job) (up{${ALL}})`, legend: '{{job}}' }], {
        span: 12,
        thresholds: [{ value: null, color: 'red' }, { value: 1, color: 'green' }],
      }),
    )
    .withPanel(single('Version', [{ expr: `count by (version) (strata_build_info{${ALL}})`, legend: '{{version}}' }], { span: 6 }))
    .withPanel(
      single('Compactor halted', [{ expr: `max(thanos_compact_halted{${COMPACT}})`, legend: 'halted' }], {
        span: 6,
        thresholds: [{ value: null, color: 'green' }, { value: 1, color: 'red' }],
        description: '1 after a critical error (e.g. overlapping blocks): the compactor stops compacting until restarted.',
      }),
    )
    .withRow(new RowBuilder('Ingest (strata receive)'))
    .withPanel(
      graph('Samples ingested', [{ expr: `sum by (tenant) (rate(thanos_receive_write_samples_total{${RECEIVE}, code=~"2.."}[$__rate_interval]))`, legend: '{{tenant}}' }], {
        description: 'Samples per second accepted from remote write, by tenant.',
      }),
    )
    .withPanel(
      graph('Remote-write requests by code', [{ expr: `sum by (code) (rate(thanos_receive_http_requests_total{${RECEIVE}}[$__rate_interval]))`, legend: '{{code}}' }], {
        unit: 'reqps',
        stacked: true,
      }),
    )
    .withPanel(
      graph('Remote-write latency', [
        { expr: `histogram_quantile(0.99, sum by (le) (rate(thanos_receive_http_request_duration_seconds_bucket{${RECEIVE}}[$__rate_interval])))`, legend: 'p99' },
        { expr: `histogram_quantile(0.5, sum by (le) (rate(thanos_receive_http_request_duration_seconds_bucket{${RECEIVE}}[$__rate_interval])))`, legend: 'p50' },
      ], { unit: 's' }),
    )
    .withPanel(graph('Pending write requests', [{ expr: `sum(thanos_receive_pending_write_requests{${RECEIVE}})`, legend: 'pending' }]))
    .withPanel(
      graph('Rejected samples', [
        { expr: `sum by (tenant, reason) (rate(strata_receive_rejected_total{${RECEIVE}}[$__rate_interval])) or vector(0)`, legend: '{{tenant}} {{reason}}' },
      ], { description: 'Samples refused (out of order, too old, invalid labels, …) by tenant and reason.' }),
    )
    .withPanel(
      graph('Series per write request', [
        { expr: `histogram_quantile(0.9, sum by (le) (rate(thanos_receive_write_timeseries_bucket{${RECEIVE}}[$__rate_interval])))`, legend: 'p90' },
      ]),
    )
    .withRow(new RowBuilder('WAL and head'))
    .withPanel(
      graph('Head series', [{ expr: `sum(prometheus_tsdb_head_series{${RECEIVE}})`, legend: 'series' }], {
        description: 'Series in the in-memory heads of all tenants.',
      }),
    )
    .withPanel(
      graph('Blocks cut and local blocks', [
        { expr: `sum(increase(prometheus_tsdb_compactions_total{${RECEIVE}}[$__rate_interval]))`, legend: 'blocks cut' },
        { expr: `sum(prometheus_tsdb_blocks_loaded{${RECEIVE}})`, legend: 'local blocks' },
      ]),
    )
    .withPanel(
      graph('WAL', [
        { expr: `max(prometheus_tsdb_wal_fsync_duration_seconds{${RECEIVE}, quantile="0.99"})`, legend: 'fsync p99' },
        { expr: `sum(rate(prometheus_tsdb_wal_writes_failed_total{${RECEIVE}}[$__rate_interval]))`, legend: 'failed writes/s' },
        { expr: `max(prometheus_tsdb_wal_segment_current{${RECEIVE}})`, legend: 'current segment' },
      ]),
    )
    .withRow(new RowBuilder('Shipper (receive → bucket)'))
    .withPanel(
      graph('Blocks uploaded', [
        { expr: `sum(increase(thanos_shipper_uploads_total{${RECEIVE}}[$__rate_interval]))`, legend: 'uploaded' },
        { expr: `sum(increase(thanos_shipper_upload_failures_total{${RECEIVE}}[$__rate_interval]))`, legend: 'failed' },
      ], { span: 12 }),
    )
    .withPanel(
      graph('Shipper syncs', [
        { expr: `sum(rate(thanos_shipper_dir_syncs_total{${RECEIVE}}[$__rate_interval]))`, legend: 'syncs/s' },
        { expr: `sum(rate(thanos_shipper_dir_sync_failures_total{${RECEIVE}}[$__rate_interval]))`, legend: 'failures/s' },
      ], { span: 12 }),
    )
    .withRow(new RowBuilder('Store gateway (strata store)'))
    .withPanel(
      graph('Blocks loaded', [
        { expr: `sum(thanos_bucket_store_blocks_loaded{${STORE}})`, legend: 'loaded' },
        { expr: `sum(thanos_blocks_meta_synced{${STORE}, state="loaded"})`, legend: 'metas synced' },
      ]),
    )
    .withPanel(
      graph('Index cache hit ratio', [
        { expr: `sum by (item_type) (rate(thanos_store_index_cache_hits_total{${STORE}}[$__rate_interval])) / sum by (item_type) (rate(thanos_store_index_cache_requests_total{${STORE}}[$__rate_interval]))`, legend: '{{item_type}}' },
      ], { unit: 'percentunit', min: 0, max: 1 }),
    )
    .withPanel(
      graph('Index cache size', [
        { expr: `sum(thanos_store_index_cache_total_size_bytes{${STORE}})`, legend: 'used' },
        { expr: `sum(thanos_store_index_cache_max_size_bytes{${STORE}})`, legend: 'max' },
      ], { unit: 'bytes' }),
    )
    .withPanel(
      graph('Bucket meta syncs', [
        { expr: `sum(rate(thanos_blocks_meta_syncs_total{${STORE}}[$__rate_interval]))`, legend: 'syncs/s' },
        { expr: `sum(rate(thanos_blocks_meta_sync_failures_total{${STORE}}[$__rate_interval]))`, legend: 'failures/s' },
      ]),
    )
    .withPanel(
      graph('Bucket meta sync duration', [
        { expr: `histogram_quantile(0.99, sum by (le) (rate(thanos_blocks_meta_sync_duration_seconds_bucket{${STORE}}[$__rate_interval])))`, legend: 'p99' },
      ], { unit: 's' }),
    )
    .withPanel(
      graph('Block loads', [
        { expr: `sum(increase(thanos_bucket_store_block_loads_total{${STORE}}[$__rate_interval]))`, legend: 'loads' },
        { expr: `sum(increase(thanos_bucket_store_block_load_failures_total{${STORE}}[$__rate_interval]))`, legend: 'failures' },
        { expr: `sum(increase(thanos_bucket_store_block_drops_total{${STORE}}[$__rate_interval]))`, legend: 'drops' },
      ]),
    )
    .withRow(new RowBuilder('Query (strata query)'))
    .withPanel(
      graph('Query latency', [
        { expr: `histogram_quantile(0.99, sum by (le, handler) (rate(http_request_duration_seconds_bucket{${QUERY}, handler=~"query|query_range"}[$__rate_interval])))`, legend: 'p99 {{handler}}' },
        { expr: `histogram_quantile(0.5, sum by (le, handler) (rate(http_request_duration_seconds_bucket{${QUERY}, handler=~"query|query_range"}[$__rate_interval])))`, legend: 'p50 {{handler}}' },
      ], { unit: 's', span: 12,}),
    )
    .withPanel(
      graph('StoreAPI endpoints', [{ expr: `sum by (component, healthy) (strata_query_endpoints{${QUERY}})`, legend: '{{component}} healthy={{healthy}}' }], {
        span: 12,
        description: 'Endpoints known to the querier by component type and health.',
      }),
    )
    .withRow(new RowBuilder('Compactor (strata compact)'))
    .withPanel(
      graph('Compaction passes', [
        { expr: `sum(increase(thanos_compact_iterations_total{${COMPACT}}[$__rate_interval]))`, legend: 'passes' },
        { expr: `sum(increase(thanos_compact_garbage_collected_blocks_total{${COMPACT}}[$__rate_interval]))`, legend: 'blocks garbage-collected' },
        { expr: `sum(increase(thanos_compact_blocks_cleaned_total{${COMPACT}}[$__rate_interval]))`, legend: 'blocks deleted' },
      ]),
    )
    .withPanel(
      graph('Since last successful pass', [{ expr: `time() - max(thanos_compact_last_successful_run_timestamp_seconds{${COMPACT}} > 0)`, legend: 'age' }], {
        unit: 's',
      }),
    )
    .withPanel(
      graph('Compaction duration', [
        { expr: `histogram_quantile(0.99, sum by (le) (rate(thanos_compact_group_compaction_duration_seconds_bucket{${COMPACT}}[$__rate_interval])))`, legend: 'p99' },
      ], { unit: 's', description: 'Time to compact a group of blocks (NaN until a compaction happened).' }),
    )
    .withRow(new RowBuilder('Processes'))
    .withPanel(graph('Resident memory', [{ expr: `max by (job) (process_resident_memory_bytes{${ALL}})`, legend: '{{job}}' }], { unit: 'bytes' }))
    .withPanel(graph('CPU', [{ expr: `sum by (job) (rate(process_cpu_seconds_total{${ALL}}[$__rate_interval]))`, legend: '{{job}}' }], { unit: 'short' }))
    .withPanel(graph('Event loop lag p99', [{ expr: `max by (job) (nodejs_eventloop_lag_p99_seconds{${ALL}})`, legend: '{{job}}' }], { unit: 's' }))
    .build();
}
