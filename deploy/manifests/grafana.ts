// Grafana in `monitoring` with the Strata querier provisioned as its Prometheus datasource
// (http://strata-query.monitoring.svc.cluster.local:9090) and the Strata dashboards provisioned
// from ConfigMaps.
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { parse as parseYAML, stringify } from 'yaml';
import { GRAFANA_IMAGE, HOSTS, NAMES, NS, QUERY_SERVICE_PORT, SCRAPE_INTERVAL, svcDNS } from './config.ts';
import { type K8sObject, meta, selector, labels, podSecurity, containerSecurity, httpProbe, resources } from './common.ts';

export const GRAFANA_UID = 472; // the upstream image's user
export const GRAFANA_PORT = 3000;
export const DATASOURCE_UID = 'strata';
export const QUERY_URL = `http://${svcDNS(NAMES.query)}:${QUERY_SERVICE_PORT}`;

const GRAFANA_DIR = new URL('../grafana/', import.meta.url);

function readGrafanaYAML(rel: string): Record<string, unknown> {
  return parseYAML(readFileSync(new URL(rel, GRAFANA_DIR), 'utf8')) as Record<string, unknown>;
}

/**
 * The datasource provisioning of deploy/grafana/provisioning (Thanos type, POST, dedup and partial
 * response), pointed at the in-cluster querier and the lab Prometheus' scrape interval.
 */
export function datasources(): Record<string, unknown> {
  const doc = readGrafanaYAML('provisioning/datasources/strata.yaml') as { datasources: Record<string, unknown>[] };
  const ds = doc.datasources.map((d) => (d.uid === DATASOURCE_UID ? { ...d, url: QUERY_URL, jsonData: { ...(d.jsonData as object), timeInterval: SCRAPE_INTERVAL } } : d));
  if (!ds.some((d) => d.uid === DATASOURCE_UID && d.url === QUERY_URL)) throw new Error(`deploy/grafana/provisioning has no datasource with uid ${DATASOURCE_UID}`);
  return { ...doc, datasources: ds };
}

/** The dashboard provider of deploy/grafana/provisioning, unchanged (its path is where the dashboards are mounted). */
export function dashboardProviders(): { apiVersion: number; providers: { name: string; options: { path: string } }[] } {
  return readGrafanaYAML('provisioning/dashboards/strata.yaml') as { apiVersion: number; providers: { name: string; options: { path: string } }[] };
}

/** The dashboards `npm run dashboards` generated (deploy/grafana/dashboards/generated/*.json), byte for byte. */
export function dashboardFiles(): Record<string, string> {
  const dir = new URL('dashboards/generated/', GRAFANA_DIR);
  const names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  if (names.length === 0) throw new Error('no dashboards in deploy/grafana/dashboards/generated (run npm run dashboards)');
  return Object.fromEntries(names.map((n) => [n, readFileSync(new URL(n, dir), 'utf8')]));
}

export function grafana(): K8sObject[] {
  const c = NAMES.grafana;
  const ns = NS.monitoring;
  const admin = new Secret({
    metadata: meta(NAMES.grafanaAdminSecret, ns, c, 'grafana', {
      annotations: { 'strata.dev/template': 'true', 'strata.dev/description': 'Grafana admin login for the lab; change the password outside the lab' },
    }),
    type: 'Opaque',
    stringData: { 'admin-user': 'admin', 'admin-password': 'strata-lab' },
  });
  const dsYAML = stringify(datasources());
  const providers = dashboardProviders();
  const provYAML = stringify(providers);
  const dashPath = providers.providers[0]!.options.path;
  const dashFiles = dashboardFiles();
  const cmDatasources = new ConfigMap({ metadata: meta(`${c}-datasources`, ns, c, 'grafana'), data: { 'strata.yaml': dsYAML } });
  const cmProviders = new ConfigMap({ metadata: meta(`${c}-dashboard-providers`, ns, c, 'grafana'), data: { 'strata.yaml': provYAML } });
  const cmDashboards = new ConfigMap({ metadata: meta(`${c}-dashboards-strata`, ns, c, 'grafana'), data: dashFiles });
  const checksum = createHash('sha256').update(dsYAML).update(provYAML).update(JSON.stringify(dashFiles)).digest('hex');
  const dep = new Deployment({
    metadata: meta(c, ns, c, 'grafana'),
    spec: {
      replicas: 1,
      selector: { matchLabels: selector(c) },
      template: {
        metadata: { labels: labels(c, 'grafana'), annotations: { 'checksum/provisioning': checksum } },
        spec: {
          securityContext: podSecurity(GRAFANA_UID),
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'grafana',
              image: GRAFANA_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: GRAFANA_PORT, protocol: 'TCP' }],
              env: [
                { name: 'GF_SECURITY_ADMIN_USER', valueFrom: { secretKeyRef: { name: NAMES.grafanaAdminSecret, key: 'admin-user' } } },
                { name: 'GF_SECURITY_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: NAMES.grafanaAdminSecret, key: 'admin-password' } } },
                { name: 'GF_SERVER_ROOT_URL', value: `http://${HOSTS.grafana}/` },
                { name: 'GF_PATHS_DATA', value: '/var/lib/grafana' },
                { name: 'GF_PATHS_LOGS', value: '/var/log/grafana' },
                { name: 'GF_PATHS_PLUGINS', value: '/var/lib/grafana/plugins' },
                { name: 'GF_PATHS_PROVISIONING', value: '/etc/grafana/provisioning' },
                { name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' },
                { name: 'GF_ANALYTICS_CHECK_FOR_UPDATES', value: 'false' },
              ],
              readinessProbe: httpProbe('/api/health', 'http', 10, 3),
              livenessProbe: httpProbe('/api/health', 'http', 30, 4, 30),
              resources: resources('100m', '128Mi', '1', '512Mi'),
              securityContext: containerSecurity(GRAFANA_UID),
              volumeMounts: [
                { name: 'data', mountPath: '/var/lib/grafana' },
                { name: 'logs', mountPath: '/var/log/grafana' },
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'datasources', mountPath: '/etc/grafana/provisioning/datasources', readOnly: true },
                { name: 'dashboard-providers', mountPath: '/etc/grafana/provisioning/dashboards', readOnly: true },
                { name: 'dashboards-strata', mountPath: dashPath, readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'data', emptyDir: {} },
            { name: 'logs', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
            { name: 'datasources', configMap: { name: `${c}-datasources` } },
            { name: 'dashboard-providers', configMap: { name: `${c}-dashboard-providers` } },
            { name: 'dashboards-strata', configMap: { name: `${c}-dashboards-strata` } },
          ],
        },
      },
    },
  });
  const svc = new Service({
    metadata: meta(c, ns, c, 'grafana'),
    spec: { type: 'ClusterIP', selector: selector(c), ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
  });
  return [admin, cmDatasources, cmProviders, cmDashboards, dep, svc];
}
