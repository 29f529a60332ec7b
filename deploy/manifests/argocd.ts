// ArgoCD Applications of the lab, in sync-wave order: MinIO operator → MinIO tenant (bucket
// `thanos`) → Strata → Grafana and Prometheus. The first two are the MinIO Helm charts; the others
// are the directories this generator writes under deploy/generated/.
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import type { IApplication } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { GENERATED_DIR, GIT_REPO_URL, GIT_REVISION, MINIO, MINIO_CHART_REPO, MINIO_CHART_VERSION, NAMES, NS } from './config.ts';
import { meta } from './common.ts';

type AppSource = NonNullable<NonNullable<IApplication['spec']>['source']>;

function app(name: string, wave: number, namespace: string, source: AppSource, description: string): Application {
  return new Application({
    metadata: meta(name, NS.argocd, name, 'strata-lab', {
      annotations: { 'argocd.argoproj.io/sync-wave': String(wave), 'strata.dev/description': description },
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    }),
    spec: {
      project: 'default',
      source,
      destination: { server: 'https://kubernetes.default.svc', namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'],
        retry: { limit: 10, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
      },
    },
  });
}

/** MinIO tenant chart values: one server, HTTP inside the cluster (port 80), bucket `thanos`. */
export function minioTenantValues(): Record<string, unknown> {
  return {
    secrets: { name: `${NAMES.minioTenant}-env-configuration`, accessKey: MINIO.accessKey, secretKey: MINIO.secretKey },
    tenant: {
      name: NAMES.minioTenant,
      configuration: { name: `${NAMES.minioTenant}-env-configuration` },
      pools: [
        {
          name: 'pool-0',
          servers: 1,
          volumesPerServer: 2,
          size: '10Gi',
          securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true },
          containerSecurityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false },
          resources: { requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '1', memory: '2Gi' } },
        },
      ],
      // Plain HTTP: the `minio` Service listens on 80, as objstore.yml (insecure: true) expects.
      certificate: { requestAutoCert: false },
      buckets: [{ name: MINIO.bucket }],
      metrics: { enabled: false },
    },
    ingress: { api: { enabled: false }, console: { enabled: false } },
  };
}

export interface AppOptions {
  /** Deploy the mTLS variants (cert-manager must be installed; see deploy/README.md). */
  mtls?: boolean;
}

export function applications(opts: AppOptions = {}): Application[] {
  const dir = (d: string): AppSource => ({ repoURL: GIT_REPO_URL, targetRevision: GIT_REVISION, path: `${GENERATED_DIR}/${d}`, directory: { recurse: false } });
  const sfx = opts.mtls ? '-mtls' : '';
  return [
    app('minio-operator', 0, NS.minioOperator, { repoURL: MINIO_CHART_REPO, chart: 'operator', targetRevision: MINIO_CHART_VERSION, helm: { valuesObject: { operator: { replicaCount: 1 } } } }, 'MinIO operator (Tenant CRD and controller)'),
    app('minio-tenant', 1, NS.minioTenant, { repoURL: MINIO_CHART_REPO, chart: 'tenant', targetRevision: MINIO_CHART_VERSION, helm: { valuesObject: minioTenantValues() } }, 'MinIO tenant with the thanos bucket and its console'),
    app('strata', 2, NS.monitoring, dir(`strata${sfx}`), 'Strata receive, store, query and compact with the objstore Secret and Ingresses'),
    app('grafana', 3, NS.monitoring, dir('grafana'), 'Grafana with the Strata querier as Prometheus datasource and the Strata dashboards'),
    app('prometheus', 3, NS.monitoring, dir(`prometheus${sfx}`), 'Prometheus scraping the cluster and remote-writing to strata-receive'),
  ];
}
