// Building blocks shared by every workload: labels, security contexts, probes, scrape annotations.
import type { IContainer, IPodSecurityContext, ISecurityContext, IProbe, IResourceRequirements, IVolume, IVolumeMount } from 'kubernetes-models/v1';
import type { IObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import { STRATA_UID } from './config.ts';

/** Any generated object: validate() checks it against its OpenAPI/CRD schema, toJSON() gives the YAML body. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: IObjectMeta;
  validate(): void;
  toJSON(): unknown;
}

export function labels(component: string, partOf = 'strata'): Record<string, string> {
  return {
    'app.kubernetes.io/name': component,
    'app.kubernetes.io/part-of': partOf,
    'app.kubernetes.io/managed-by': 'strata-manifests',
  };
}

/** Selector labels: the stable subset (never change a selector after the first deploy). */
export function selector(component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': component };
}

export function meta(name: string, namespace: string | undefined, component: string, partOf = 'strata', extra: Partial<IObjectMeta> = {}): IObjectMeta {
  return { name, ...(namespace ? { namespace } : {}), labels: labels(component, partOf), ...extra };
}

/**
 * Pod annotations read by the lab Prometheus' `kubernetes-pods` job (no ServiceMonitor/operator
 * needed): scrape `port` at `path`.
 */
export function scrapeAnnotations(port: number, path = '/metrics'): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': path };
}

export function podSecurity(uid: number = STRATA_UID, fsGroup: number = uid): IPodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurity(uid: number = STRATA_UID): ISecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ['ALL'] },
  };
}

export function httpProbe(path: string, port: string, periodSeconds: number, failureThreshold: number, initialDelaySeconds = 0): IProbe {
  return {
    httpGet: { path, port, scheme: 'HTTP' },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 5,
    ...(initialDelaySeconds ? { initialDelaySeconds } : {}),
  };
}

/** Every Strata container: ready when /-/ready answers 200, alive while /-/healthy does. */
export function strataProbes(port = 'http'): Pick<IContainer, 'readinessProbe' | 'livenessProbe'> {
  return {
    readinessProbe: httpProbe('/-/ready', port, 5, 3),
    // WAL replay can take a while after a crash: liveness only gives up after ~4 minutes.
    livenessProbe: httpProbe('/-/healthy', port, 30, 8, 10),
  };
}

export function resources(cpuRequest: string, memRequest: string, cpuLimit: string, memLimit: string): IResourceRequirements {
  return { requests: { cpu: cpuRequest, memory: memRequest }, limits: { cpu: cpuLimit, memory: memLimit } };
}

/** A writable /tmp for a read-only root filesystem (tsx keeps its transpile cache there). */
export const TMP_VOLUME: IVolume = { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } };
export const TMP_MOUNT: IVolumeMount = { name: 'tmp', mountPath: '/tmp' };
