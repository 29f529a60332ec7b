// "Clusters overview": what the clusters' Prometheus servers send to Strata — per-cluster CPU,
// memory and network from the node exporters, scrape health and remote-write health. Queries go
// through the Strata querier with dedup=true, so an HA pair (eu-1 replica a/b in the lab) counts once.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboard, graph, labelVariable, single } from './lib.ts';

const C = 'cluster=~"$cluster"';

export function clustersOverview(): Dashboard {
  return dashboard('strata-clusters-overview', 'Clusters overview', 'Per-cluster CPU, memory, network and scrape health of every cluster that remote-writes to Strata (deduplicated across HA replicas).')
    .withVariable(labelVariable('cluster', 'cluster', 'label_values(up{job="node"}, cluster)', { multi: true, includeAll: true }))
    .withRow(new RowBuilder('Overview'))
    .withPanel(
      single('Clusters', [{ expr: `count(count by (cluster) (up{job="node", ${C}}))`, legend: 'clusters' }], {
        description: 'Clusters whose node exporter is scraped (one per cluster, however many Prometheus replicas scrape it).',
      }),
    )
    .withPanel(single('Targets up', [{ expr: `sum(up{${C}})`, legend: 'up' }], { description: 'Scrape targets that answered their last scrape (deduplicated).' }))
    .withPanel(
      single('Targets down', [{ expr: `count(up{${C}} == 0) or vector(0)`, legend: 'down' }], {
        thresholds: [{ value: null, color: 'green' }, { value: 1, color: 'red' }],
      }),
    )
    .withPanel(
      single('Prometheus servers per cluster', [{ expr: `count by (cluster) (prometheus_build_info{job="prometheus", ${C}})`, legend: '{{cluster}}' }], {
        span: 12,
        description: 'Prometheus servers of each cluster (an HA pair counts 2: every replica scrapes both servers, dedup folds the replicas of each target).',
      }),
    )
    .withRow(new RowBuilder('CPU'))
    .withPanel(
      graph('CPU busy', [{ expr: `1 - avg by (cluster) (rate(node_cpu_seconds_total{job="node", mode="idle", ${C}}[$__rate_interval]))`, legend: '{{cluster}}' }], {
        unit: 'percentunit',
        min: 0,
        max: 1,
      }),
    )
    .withPanel(
      graph('CPU by mode', [{ expr: `sum by (cluster, mode) (rate(node_cpu_seconds_total{job="node", mode!="idle", ${C}}[$__rate_interval]))`, legend: '{{cluster}} {{mode}}' }], {
        unit: 'short',
        stacked: true,
        description: 'CPU seconds per second spent outside idle, by mode.',
      }),
    )
    .withPanel(graph('Load average (1m)', [{ expr: `max by (cluster) (node_load1{job="node", ${C}})`, legend: '{{cluster}}' }]))
    .withRow(new RowBuilder('Memory'))
    .withPanel(
      graph('Memory used', [{ expr: `1 - max by (cluster) (node_memory_MemAvailable_bytes{job="node", ${C}}) / max by (cluster) (node_memory_MemTotal_bytes{job="node", ${C}})`, legend: '{{cluster}}' }], {
        unit: 'percentunit',
        min: 0,
        max: 1,
        span: 12,
      }),
    )
    .withPanel(
      graph('Memory available', [{ expr: `max by (cluster) (node_memory_MemAvailable_bytes{job="node", ${C}})`, legend: '{{cluster}}' }], {
        unit: 'bytes',
        span: 12,
      }),
    )
    .withRow(new RowBuilder('Network'))
    .withPanel(
      graph('Network received', [{ expr: `sum by (cluster) (rate(node_network_receive_bytes_total{job="node", device!="lo", ${C}}[$__rate_interval]))`, legend: '{{cluster}}' }], {
        unit: 'Bps',
        span: 12,
      }),
    )
    .withPanel(
      graph('Network transmitted', [{ expr: `sum by (cluster) (rate(node_network_transmit_bytes_total{job="node", device!="lo", ${C}}[$__rate_interval]))`, legend: '{{cluster}}' }], {
        unit: 'Bps',
        span: 12,
      }),
    )
    .withRow(new RowBuilder('Scrape health'))
    .withPanel(graph('Targets up by job', [{ expr: `sum by (cluster, job) (up{${C}})`, legend: '{{cluster}} {{job}}' }], { min: 0 }))
    .withPanel(graph('Scrape duration (max)', [{ expr: `max by (cluster, job) (scrape_duration_seconds{${C}})`, legend: '{{cluster}} {{job}}' }], { unit: 's' }))
    .withPanel(graph('Samples scraped', [{ expr: `sum by (cluster) (scrape_samples_scraped{${C}})`, legend: '{{cluster}}' }]))
    .withRow(new RowBuilder('Remote write (Prometheus → strata receive)'))
    .withPanel(
      graph('Samples sent', [{ expr: `sum by (cluster, instance) (rate(prometheus_remote_storage_samples_total{${C}}[$__rate_interval]))`, legend: '{{cluster}} {{instance}}' }], {
        unit: 'short',
        description: 'Samples per second each Prometheus server remote-writes.',
      }),
    )
    .withPanel(
      graph('Samples retried / failed', [
        { expr: `sum by (cluster) (rate(prometheus_remote_storage_samples_retried_total{${C}}[$__rate_interval]))`, legend: '{{cluster}} retried' },
        { expr: `sum by (cluster) (rate(prometheus_remote_storage_samples_failed_total{${C}}[$__rate_interval]))`, legend: '{{cluster}} failed' },
      ], { description: 'Retries include 429 (too many requests) answers, retried because of retry_on_http_429.' }),
    )
    .withPanel(
      graph('Remote-write lag', [
        {
          expr: `max by (cluster, instance) (prometheus_remote_storage_highest_timestamp_in_seconds{${C}}) - max by (cluster, instance) (prometheus_remote_storage_queue_highest_sent_timestamp_seconds{${C}})`,
          legend: '{{cluster}} {{instance}}',
        },
      ], { unit: 's', description: 'Newest sample ingested minus newest sample sent, per Prometheus server.' }),
    )
    .build();
}
