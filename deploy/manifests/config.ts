// Everything the lab's manifests agree on: names, namespaces, ports, hosts, pinned images and
// chart versions. Change a value here and run `npm run manifests` to regenerate deploy/generated/.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The Strata image: built from this repo's Dockerfile and tagged with package.json's version. */
export const STRATA_IMAGE_REPO = 'strata';
export const STRATA_VERSION: string = pkg.version;
export const STRATA_IMAGE = `${STRATA_IMAGE_REPO}:${STRATA_VERSION}`;

/** Third-party images, pinned by tag (Prometheus matches the promtool the tests check the config with). */
export const PROMETHEUS_IMAGE = 'quay.io/prometheus/prometheus:v2.42.0';
export const GRAFANA_IMAGE = 'docker.io/grafana/grafana:10.4.2';

/** Helm charts ArgoCD installs for MinIO (pinned versions). */
export const MINIO_CHART_REPO = 'https://operator.min.io/';
export const MINIO_CHART_VERSION = '5.0.15';

/** Where ArgoCD reads this repository's generated manifests from (forks: change and regenerate). */
export const GIT_REPO_URL = 'https://github.com/strata-metrics/strata.git';
export const GIT_REVISION = 'main';
export const GENERATED_DIR = 'deploy/generated';

export const NS = {
  monitoring: 'monitoring',
  argocd: 'argocd',
  minioOperator: 'minio-operator',
  minioTenant: 'minio-tenant',
} as const;

/** Ports every Strata component uses inside the pod (Thanos defaults). */
export const PORTS = { grpc: 10901, http: 10902, remoteWrite: 19291 } as const;
/** The querier's Service port: what Grafana and users expect of a Prometheus-compatible API. */
export const QUERY_SERVICE_PORT = 9090;

export const NAMES = {
  receive: 'strata-receive',
  receiveRemoteWrite: 'strata-receive-remote-write',
  receiveExternal: 'strata-receive-external',
  store: 'strata-store',
  query: 'strata-query',
  compact: 'strata-compact',
  objstoreSecret: 'strata-objstore',
  receiveTlsSecret: 'strata-receive-tls',
  prometheusClientTlsSecret: 'prometheus-remote-write-tls',
  prometheus: 'prometheus',
  grafana: 'grafana',
  grafanaAdminSecret: 'grafana-admin',
  minioTenant: 'strata-minio',
} as const;

/** In-cluster DNS name of a Service. */
export function svcDNS(name: string, ns: string = NS.monitoring): string {
  return `${name}.${ns}.svc.cluster.local`;
}

/** The MinIO tenant: the operator names its S3 Service `minio` (port 80 without TLS). */
export const MINIO = {
  endpoint: `${svcDNS('minio', NS.minioTenant)}:80`,
  bucket: 'thanos',
  /** Lab credentials (the documented template: change both here and in the tenant). */
  accessKey: 'minio',
  secretKey: 'minio123',
  consoleService: `${NAMES.minioTenant}-console`,
  consolePort: 9090,
} as const;

/** Ingress hosts (add them to /etc/hosts pointing at 127.0.0.1, see deploy/README.md). */
export const HOSTS = {
  grafana: 'grafana.local',
  prometheus: 'prometheus.local',
  query: 'strata-query.local',
  receive: 'strata-receive.local',
  minioConsole: 'minio-console.local',
  argocd: 'argocd.myorg.com',
} as const;

export const INGRESS_CLASS = 'nginx';

/** The lab cluster's name: Prometheus' `cluster` external label and its tenant. */
export const CLUSTER_NAME = 'lab-1';
export const TENANT_HEADER = 'THANOS-TENANT';
export const REPLICA_LABEL = 'replica';

/** Non-root user of the Strata image (Dockerfile `USER`). */
export const STRATA_UID = 10001;

/** The lab Prometheus' scrape interval (also Grafana's datasource timeInterval). */
export const SCRAPE_INTERVAL = '30s';
