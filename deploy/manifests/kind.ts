// The Kind cluster of the lab: one control-plane node labelled ingress-ready with ports 80/443
// mapped to the host (NGINX Ingress' kind provider binds hostPorts there) plus two workers.
// Kind's config is not a Kubernetes API object: typed here and checked by test/deploy-schema.test.ts.

export interface KindNode {
  role: 'control-plane' | 'worker';
  image?: string;
  labels?: Record<string, string>;
  extraPortMappings?: { containerPort: number; hostPort: number; protocol: 'TCP' | 'UDP'; listenAddress?: string }[];
}

export interface KindCluster {
  kind: 'Cluster';
  apiVersion: 'kind.x-k8s.io/v1alpha4';
  name: string;
  networking?: { apiServerAddress?: string; podSubnet?: string; serviceSubnet?: string };
  nodes: KindNode[];
}

/**
 * Node image (kind v0.26). The manifests are validated with kubernetes-models 4.5.1, whose schemas
 * are those of Kubernetes 1.33 (they have Lifecycle.stopSignal, new in 1.33, and no 1.34 fields);
 * every field used here is stable since well before 1.31, so 1.33 validation covers this cluster.
 */
export const KIND_NODE_IMAGE = 'kindest/node:v1.31.4';
/** The Kubernetes minor version of the OpenAPI schemas the manifests are validated against. */
export const SCHEMA_K8S_MINOR = '1.33';
export const KIND_CLUSTER_NAME = 'strata-lab';

export function kindCluster(): KindCluster {
  return {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    name: KIND_CLUSTER_NAME,
    networking: { apiServerAddress: '127.0.0.1' },
    nodes: [
      {
        role: 'control-plane',
        image: KIND_NODE_IMAGE,
        labels: { 'ingress-ready': 'true' },
        extraPortMappings: [
          { containerPort: 80, hostPort: 80, protocol: 'TCP', listenAddress: '127.0.0.1' },
          { containerPort: 443, hostPort: 443, protocol: 'TCP', listenAddress: '127.0.0.1' },
        ],
      },
      { role: 'worker', image: KIND_NODE_IMAGE },
      { role: 'worker', image: KIND_NODE_IMAGE },
    ],
  };
}
