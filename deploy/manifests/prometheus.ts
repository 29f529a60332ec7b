// The lab's Prometheus: a plain Deployment (no operator) that scrapes the Strata components and
// remote-writes everything to strata-receive with `cluster` as external label and the cluster name
// as tenant. Its prometheus.yml is checked with `promtool check config` by test/deploy-promtool.test.ts.
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { CLUSTER_NAME, SCRAPE_INTERVAL, HOSTS, NAMES, NS, PORTS, PROMETHEUS_IMAGE, TENANT_HEADER, svcDNS } from './config.ts';
import { type K8sObject, meta, selector, labels, podSecurity, containerSecurity, httpProbe, resources, scrapeAnnotations } from './common.ts';

export interface PrometheusOptions {
  /** Remote-write over mutual TLS (client certificate from cert-manager, see mtls.ts). */
  mtls?: boolean;
  /** `cluster` external label and THANOS-TENANT header value. */
  cluster?: string;
  /** Remote-write URL (default: the in-cluster strata-receive remote-write Service). */
  remoteWriteUrl?: string;
}

export const PROMETHEUS_PORT = 9090;
export const PROMETHEUS_UID = 65534; // nobody, as in the upstream image
export const PROMETHEUS_TLS_MOUNT = '/etc/prometheus/remote-write-tls';

export function remoteWriteUrl(opts: PrometheusOptions = {}): string {
  if (opts.remoteWriteUrl) return opts.remoteWriteUrl;
  const scheme = opts.mtls ? 'https' : 'http';
  return `${scheme}://${svcDNS(NAMES.receiveRemoteWrite)}:${PORTS.remoteWrite}/api/v1/receive`;
}

/** prometheus.yml as an object (Prometheus 2.42 configuration format). */
export function prometheusConfig(opts: PrometheusOptions = {}): Record<string, unknown> {
  const cluster = opts.cluster ?? CLUSTER_NAME;
  return {
    global: {
      scrape_interval: SCRAPE_INTERVAL,
      scrape_timeout: '10s',
      evaluation_interval: '30s',
      external_labels: { cluster },
    },
    scrape_configs: [
      { job_name: 'prometheus', static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`] }] },
      {
        // The Strata components through the DNS SRV records of their Services' `http` ports (one
        // target per pod for the headless ones). Needs no Kubernetes API access, and works with
        // every Prometheus build (Debian's promtool, which the tests use, has no kubernetes_sd).
        // Users with a kubernetes_sd based Prometheus can use the prometheus.io/* pod annotations.
        job_name: 'strata',
        dns_sd_configs: [{ names: STRATA_SCRAPE_SERVICES.map((svc) => `_http._tcp.${svcDNS(svc)}`), type: 'SRV', refresh_interval: '30s' }],
        relabel_configs: [
          { source_labels: ['__meta_dns_name'], regex: '_http\\._tcp\\.([^.]+)\\..*', target_label: 'app', replacement: '$1' },
          { source_labels: ['__meta_dns_srv_record_target'], regex: '([^.]+)\\.[^.]+\\.([^.]+)\\.svc\\..*', target_label: 'pod', replacement: '$1' },
          { target_label: 'namespace', replacement: NS.monitoring },
        ],
      },
    ],
    remote_write: [
      {
        name: 'strata',
        url: remoteWriteUrl(opts),
        remote_timeout: '30s',
        headers: { [TENANT_HEADER]: cluster },
        queue_config: {
          // The receiver answers 429 when it sheds load: retry instead of dropping samples.
          retry_on_http_429: true,
          capacity: 10000,
          max_shards: 10,
          max_samples_per_send: 2000,
          batch_send_deadline: '5s',
        },
        metadata_config: { send: true, send_interval: '1m' },
        ...(opts.mtls
          ? {
              tls_config: {
                ca_file: `${PROMETHEUS_TLS_MOUNT}/ca.crt`,
                cert_file: `${PROMETHEUS_TLS_MOUNT}/tls.crt`,
                key_file: `${PROMETHEUS_TLS_MOUNT}/tls.key`,
                server_name: svcDNS(NAMES.receiveRemoteWrite),
              },
            }
          : {}),
      },
    ],
  };
}

/** Services whose `http` port the lab Prometheus scrapes (the querier's is its Service port 9090). */
export const STRATA_SCRAPE_SERVICES: readonly string[] = [NAMES.receive, NAMES.store, NAMES.compact, NAMES.query];

export function prometheusYAML(opts: PrometheusOptions = {}): string {
  return stringify(prometheusConfig(opts));
}

export function prometheus(opts: PrometheusOptions = {}): K8sObject[] {
  const c = NAMES.prometheus;
  const ns = NS.monitoring;
  const cm = new ConfigMap({ metadata: meta(`${c}-config`, ns, c, 'prometheus'), data: { 'prometheus.yml': prometheusYAML(opts) } });
  const dep = new Deployment({
    metadata: meta(c, ns, c, 'prometheus'),
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selector(c) },
      template: {
        metadata: {
          labels: labels(c, 'prometheus'),
          // A new config rolls the pod (ConfigMap updates alone would need a /-/reload).
          annotations: { ...scrapeAnnotations(PROMETHEUS_PORT), 'checksum/config': createHash('sha256').update(prometheusYAML(opts)).digest('hex') },
        },
        spec: {
          automountServiceAccountToken: false,
          securityContext: podSecurity(PROMETHEUS_UID),
          containers: [
            {
              name: 'prometheus',
              image: PROMETHEUS_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              args: [
                '--config.file=/etc/prometheus/prometheus.yml',
                '--storage.tsdb.path=/prometheus',
                '--storage.tsdb.retention.time=1d',
                `--web.external-url=http://${HOSTS.prometheus}/`,
                '--web.route-prefix=/',
                '--web.enable-lifecycle',
              ],
              ports: [{ name: 'http', containerPort: PROMETHEUS_PORT, protocol: 'TCP' }],
              readinessProbe: httpProbe('/-/ready', 'http', 5, 3),
              livenessProbe: httpProbe('/-/healthy', 'http', 15, 4, 10),
              resources: resources('100m', '256Mi', '1', '1Gi'),
              securityContext: containerSecurity(PROMETHEUS_UID),
              volumeMounts: [
                { name: 'config', mountPath: '/etc/prometheus', readOnly: true },
                { name: 'data', mountPath: '/prometheus' },
                ...(opts.mtls ? [{ name: 'remote-write-tls', mountPath: PROMETHEUS_TLS_MOUNT, readOnly: true }] : []),
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: `${c}-config` } },
            { name: 'data', emptyDir: { sizeLimit: '5Gi' } },
            ...(opts.mtls ? [{ name: 'remote-write-tls', secret: { secretName: NAMES.prometheusClientTlsSecret } }] : []),
          ],
        },
      },
    },
  });
  const svc = new Service({
    metadata: meta(c, ns, c, 'prometheus'),
    spec: { type: 'ClusterIP', selector: selector(c), ports: [{ name: 'http', port: PROMETHEUS_PORT, targetPort: 'http', protocol: 'TCP' }] },
  });
  return [cm, dep, svc];
}
