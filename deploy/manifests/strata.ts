// The Strata components in namespace `monitoring`: receive (StatefulSet + headless and remote-write
// Services), store (StatefulSet + headless Service), query (Deployment + Service on 9090) and the
// singleton compactor, plus the object-store Secret template. Flag names are exactly those of
// `strata <cmd> --help` (src/cli/main.ts); test/deploy-run.test.ts starts these args for real.
import { StatefulSet, Deployment } from 'kubernetes-models/apps/v1';
import { Service, Secret } from 'kubernetes-models/v1';
import type { IContainer, IEnvVar, IVolume, IVolumeMount, IPersistentVolumeClaim } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { NAMES, NS, PORTS, QUERY_SERVICE_PORT, STRATA_IMAGE, MINIO, REPLICA_LABEL, TENANT_HEADER, svcDNS } from './config.ts';
import {
  type K8sObject,
  meta,
  selector,
  labels,
  scrapeAnnotations,
  podSecurity,
  containerSecurity,
  strataProbes,
  resources,
  TMP_VOLUME,
  TMP_MOUNT,
} from './common.ts';

export interface StrataOptions {
  /** Serve remote write over mutual TLS with certificates from cert-manager (see mtls.ts). */
  mtls?: boolean;
}

/** Where the objstore Secret is mounted and the flag that reads it. */
export const OBJSTORE_MOUNT = '/etc/strata/objstore';
export const OBJSTORE_FILE = `${OBJSTORE_MOUNT}/objstore.yml`;
export const RECEIVE_TLS_MOUNT = '/etc/strata/remote-write-tls';

/** objstore.yml for the lab's MinIO tenant, in Thanos' format (path-style, plain HTTP inside the cluster). */
export function objstoreConfig(): Record<string, unknown> {
  return {
    type: 'S3',
    config: {
      bucket: MINIO.bucket,
      endpoint: MINIO.endpoint,
      access_key: MINIO.accessKey,
      secret_key: MINIO.secretKey,
      insecure: true,
      bucket_lookup_type: 'path',
    },
  };
}

/**
 * The documented template Secret (annotated as such): lab credentials matching the MinIO tenant's;
 * replace both for anything but the lab.
 */
export function objstoreSecret(): Secret {
  return new Secret({
    metadata: meta(NAMES.objstoreSecret, NS.monitoring, 'objstore', 'strata', {
      annotations: {
        'strata.dev/template': 'true',
        'strata.dev/description': 'Thanos objstore.yml for the lab MinIO tenant; replace access_key/secret_key (and the tenant credentials) outside the lab',
      },
    }),
    type: 'Opaque',
    stringData: { 'objstore.yml': stringify(objstoreConfig()) },
  });
}

const POD_NAME_ENV: IEnvVar = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };
const LOG_FLAGS = ['--log.level=info', '--log.format=json'];
const OBJSTORE_VOLUME: IVolume = { name: 'objstore', secret: { secretName: NAMES.objstoreSecret } };
const OBJSTORE_VOLUME_MOUNT: IVolumeMount = { name: 'objstore', mountPath: OBJSTORE_MOUNT, readOnly: true };

function dataClaim(size: string): IPersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } },
  };
}

function strataContainer(name: string, args: string[], ports: IContainer['ports'], extra: Partial<IContainer>): IContainer {
  return {
    name,
    image: STRATA_IMAGE,
    imagePullPolicy: 'IfNotPresent',
    args,
    ports,
    ...strataProbes(),
    securityContext: containerSecurity(),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    ...extra,
  };
}

const GRPC_PORT = { name: 'grpc', containerPort: PORTS.grpc, protocol: 'TCP' } as const;
const HTTP_PORT = { name: 'http', containerPort: PORTS.http, protocol: 'TCP' } as const;
const RW_PORT = { name: 'remote-write', containerPort: PORTS.remoteWrite, protocol: 'TCP' } as const;

export function receiveArgs(opts: StrataOptions = {}): string[] {
  return [
    'receive',
    '--tsdb.path=/var/strata/receive',
    `--remote-write.address=0.0.0.0:${PORTS.remoteWrite}`,
    `--http-address=0.0.0.0:${PORTS.http}`,
    `--grpc-address=0.0.0.0:${PORTS.grpc}`,
    // Kubernetes expands $(POD_NAME) from the env below: one replica label value per pod.
    `--label=${REPLICA_LABEL}="$(POD_NAME)"`,
    `--receive.tenant-header=${TENANT_HEADER}`,
    '--receive.default-tenant-id=default-tenant',
    '--receive.tenant-label-name=tenant_id',
    '--receive.max-request-bytes=32MiB',
    '--tsdb.block-duration=2h',
    '--tsdb.retention=6h',
    `--objstore.config-file=${OBJSTORE_FILE}`,
    ...(opts.mtls
      ? [
          `--remote-write.server-tls-cert=${RECEIVE_TLS_MOUNT}/tls.crt`,
          `--remote-write.server-tls-key=${RECEIVE_TLS_MOUNT}/tls.key`,
          `--remote-write.server-tls-client-ca=${RECEIVE_TLS_MOUNT}/ca.crt`,
        ]
      : []),
    ...LOG_FLAGS,
  ];
}

export function receive(opts: StrataOptions = {}): K8sObject[] {
  const c = NAMES.receive;
  const sts = new StatefulSet({
    metadata: meta(c, NS.monitoring, c),
    spec: {
      serviceName: c,
      replicas: 1,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selector(c) },
      template: {
        metadata: { labels: labels(c), annotations: scrapeAnnotations(PORTS.http) },
        spec: {
          securityContext: podSecurity(),
          // Enough for the shutdown flush: the head is cut into a block and shipped before exit.
          terminationGracePeriodSeconds: 120,
          automountServiceAccountToken: false,
          containers: [
            strataContainer('receive', receiveArgs(opts), [GRPC_PORT, HTTP_PORT, RW_PORT], {
              env: [POD_NAME_ENV],
              resources: resources('250m', '512Mi', '2', '2Gi'),
              volumeMounts: [
                { name: 'data', mountPath: '/var/strata/receive' },
                OBJSTORE_VOLUME_MOUNT,
                TMP_MOUNT,
                ...(opts.mtls ? [{ name: 'remote-write-tls', mountPath: RECEIVE_TLS_MOUNT, readOnly: true }] : []),
              ],
            }),
          ],
          volumes: [
            OBJSTORE_VOLUME,
            TMP_VOLUME,
            ...(opts.mtls ? [{ name: 'remote-write-tls', secret: { secretName: NAMES.receiveTlsSecret } }] : []),
          ],
        },
      },
      volumeClaimTemplates: [dataClaim('10Gi')],
    },
  });
  // Headless: one DNS A record per pod and SRV records _grpc._tcp.strata-receive for the querier.
  const headless = new Service({
    metadata: meta(c, NS.monitoring, c),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: false,
      selector: selector(c),
      ports: [
        { name: 'grpc', port: PORTS.grpc, targetPort: 'grpc', protocol: 'TCP' },
        { name: 'http', port: PORTS.http, targetPort: 'http', protocol: 'TCP' },
        { name: 'remote-write', port: PORTS.remoteWrite, targetPort: 'remote-write', protocol: 'TCP' },
      ],
    },
  });
  const rw = new Service({
    metadata: meta(NAMES.receiveRemoteWrite, NS.monitoring, c),
    spec: {
      type: 'ClusterIP',
      selector: selector(c),
      ports: [{ name: 'remote-write', port: PORTS.remoteWrite, targetPort: 'remote-write', protocol: 'TCP' }],
    },
  });
  // Remote write from other clusters: a MetalLB address on the kind Docker network, which the
  // other Kind clusters' nodes reach directly (see deploy/README.md, "A second cluster").
  const external = new Service({
    metadata: meta(NAMES.receiveExternal, NS.monitoring, c),
    spec: {
      type: 'LoadBalancer',
      selector: selector(c),
      ports: [{ name: 'remote-write', port: PORTS.remoteWrite, targetPort: 'remote-write', protocol: 'TCP' }],
    },
  });
  return [sts, headless, rw, external];
}

export function storeArgs(): string[] {
  return [
    'store',
    '--data-dir=/var/strata/store',
    `--http-address=0.0.0.0:${PORTS.http}`,
    `--grpc-address=0.0.0.0:${PORTS.grpc}`,
    '--index-cache-size=250MB',
    '--sync-block-duration=3m',
    `--objstore.config-file=${OBJSTORE_FILE}`,
    ...LOG_FLAGS,
  ];
}

export function store(): K8sObject[] {
  const c = NAMES.store;
  const sts = new StatefulSet({
    metadata: meta(c, NS.monitoring, c),
    spec: {
      serviceName: c,
      replicas: 1,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selector(c) },
      template: {
        metadata: { labels: labels(c), annotations: scrapeAnnotations(PORTS.http) },
        spec: {
          securityContext: podSecurity(),
          automountServiceAccountToken: false,
          containers: [
            strataContainer('store', storeArgs(), [GRPC_PORT, HTTP_PORT], {
              resources: resources('250m', '512Mi', '2', '2Gi'),
              volumeMounts: [{ name: 'data', mountPath: '/var/strata/store' }, OBJSTORE_VOLUME_MOUNT, TMP_MOUNT],
            }),
          ],
          volumes: [OBJSTORE_VOLUME, TMP_VOLUME],
        },
      },
      volumeClaimTemplates: [dataClaim('5Gi')],
    },
  });
  const headless = new Service({
    metadata: meta(c, NS.monitoring, c),
    spec: {
      clusterIP: 'None',
      selector: selector(c),
      ports: [
        { name: 'grpc', port: PORTS.grpc, targetPort: 'grpc', protocol: 'TCP' },
        { name: 'http', port: PORTS.http, targetPort: 'http', protocol: 'TCP' },
      ],
    },
  });
  return [sts, headless];
}

/** The querier's StoreAPI endpoints: DNS SRV over the headless Services' `grpc` ports. */
export function queryEndpoints(): string[] {
  return [`dnssrv+_grpc._tcp.${svcDNS(NAMES.receive)}`, `dnssrv+_grpc._tcp.${svcDNS(NAMES.store)}`];
}

export function queryArgs(): string[] {
  return [
    'query',
    `--http-address=0.0.0.0:${PORTS.http}`,
    `--grpc-address=0.0.0.0:${PORTS.grpc}`,
    ...queryEndpoints().map((e) => `--endpoint=${e}`),
    `--query.replica-label=${REPLICA_LABEL}`,
    '--query.timeout=2m',
    '--query.lookback-delta=5m',
    '--query.auto-downsampling',
    ...LOG_FLAGS,
  ];
}

export function query(): K8sObject[] {
  const c = NAMES.query;
  const dep = new Deployment({
    metadata: meta(c, NS.monitoring, c),
    spec: {
      replicas: 1,
      selector: { matchLabels: selector(c) },
      template: {
        metadata: { labels: labels(c), annotations: scrapeAnnotations(PORTS.http) },
        spec: {
          securityContext: podSecurity(),
          automountServiceAccountToken: false,
          containers: [
            strataContainer('query', queryArgs(), [GRPC_PORT, HTTP_PORT], {
              resources: resources('250m', '256Mi', '2', '1Gi'),
              volumeMounts: [TMP_MOUNT],
            }),
          ],
          volumes: [TMP_VOLUME],
        },
      },
    },
  });
  // Port 9090 named `http`: Grafana's datasource is http://strata-query.monitoring.svc.cluster.local:9090.
  const svc = new Service({
    metadata: meta(c, NS.monitoring, c),
    spec: {
      type: 'ClusterIP',
      selector: selector(c),
      ports: [
        { name: 'http', port: QUERY_SERVICE_PORT, targetPort: 'http', protocol: 'TCP' },
        { name: 'grpc', port: PORTS.grpc, targetPort: 'grpc', protocol: 'TCP' },
      ],
    },
  });
  return [dep, svc];
}

export function compactArgs(): string[] {
  return [
    'compact',
    '--wait',
    '--wait-interval=5m',
    '--data-dir=/var/strata/compact',
    `--http-address=0.0.0.0:${PORTS.http}`,
    '--consistency-delay=30m',
    '--delete-delay=48h',
    '--retention.resolution-raw=30d',
    '--retention.resolution-5m=90d',
    '--retention.resolution-1h=1y',
    `--objstore.config-file=${OBJSTORE_FILE}`,
    ...LOG_FLAGS,
  ];
}

/** A singleton: two compactors on one bucket would race (Thanos requires exactly one). */
export function compact(): K8sObject[] {
  const c = NAMES.compact;
  const sts = new StatefulSet({
    metadata: meta(c, NS.monitoring, c),
    spec: {
      serviceName: c,
      replicas: 1,
      selector: { matchLabels: selector(c) },
      template: {
        metadata: { labels: labels(c), annotations: scrapeAnnotations(PORTS.http) },
        spec: {
          securityContext: podSecurity(),
          automountServiceAccountToken: false,
          containers: [
            strataContainer('compact', compactArgs(), [HTTP_PORT], {
              resources: resources('250m', '512Mi', '2', '2Gi'),
              volumeMounts: [{ name: 'data', mountPath: '/var/strata/compact' }, OBJSTORE_VOLUME_MOUNT, TMP_MOUNT],
            }),
          ],
          volumes: [OBJSTORE_VOLUME, TMP_VOLUME],
        },
      },
      volumeClaimTemplates: [dataClaim('10Gi')],
    },
  });
  const headless = new Service({
    metadata: meta(c, NS.monitoring, c),
    spec: { clusterIP: 'None', selector: selector(c), ports: [{ name: 'http', port: PORTS.http, targetPort: 'http', protocol: 'TCP' }] },
  });
  return [sts, headless];
}
