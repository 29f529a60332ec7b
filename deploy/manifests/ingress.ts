// Ingress objects (NGINX Ingress class) for every lab host; add the hosts to /etc/hosts → 127.0.0.1.
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { HOSTS, INGRESS_CLASS, MINIO, NAMES, NS, PORTS, QUERY_SERVICE_PORT } from './config.ts';
import { meta } from './common.ts';

function ingress(name: string, ns: string, host: string, service: string, port: number | string, annotations: Record<string, string> = {}): Ingress {
  return new Ingress({
    metadata: meta(name, ns, name, 'strata-lab', Object.keys(annotations).length ? { annotations } : {}),
    spec: {
      ingressClassName: INGRESS_CLASS,
      rules: [
        {
          host,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } },
              },
            ],
          },
        },
      ],
    },
  });
}

/** Hosts served from namespace `monitoring` (deployed with the Strata, Grafana and Prometheus apps). */
export function monitoringIngresses(): { strata: Ingress[]; grafana: Ingress[]; prometheus: Ingress[] } {
  const ns = NS.monitoring;
  return {
    strata: [
      ingress(NAMES.query, ns, HOSTS.query, NAMES.query, QUERY_SERVICE_PORT),
      // Remote write from other clusters' Prometheus servers (large bodies, long requests).
      ingress(NAMES.receive, ns, HOSTS.receive, NAMES.receiveRemoteWrite, PORTS.remoteWrite, {
        'nginx.ingress.kubernetes.io/proxy-body-size': '64m',
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '120',
      }),
    ],
    grafana: [ingress(NAMES.grafana, ns, HOSTS.grafana, NAMES.grafana, 80)],
    prometheus: [ingress(NAMES.prometheus, ns, HOSTS.prometheus, NAMES.prometheus, 9090)],
  };
}

/** The MinIO console (the tenant's `<tenant>-console` Service) and the ArgoCD UI (server runs --insecure). */
export function labIngresses(): Ingress[] {
  return [
    ingress('minio-console', NS.minioTenant, HOSTS.minioConsole, MINIO.consoleService, MINIO.consolePort),
    ingress('argocd-server', NS.argocd, HOSTS.argocd, 'argocd-server', 80, {
      'nginx.ingress.kubernetes.io/backend-protocol': 'HTTP',
      'nginx.ingress.kubernetes.io/ssl-redirect': 'false',
    }),
  ];
}
