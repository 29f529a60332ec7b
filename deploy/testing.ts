// Helpers for test/deploy-*.test.ts: load the checked-in generated YAML back into plain objects and
// resolve references between them (Service → pods → container ports), the way the API server and
// kubelet would.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const GENERATED = join(REPO, 'deploy', 'generated');

/** A generated object as read back from YAML (only the fields the tests look at are typed). */
export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  /** File it came from, relative to the repo. */
  file: string;
  [k: string]: unknown;
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } } }[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } };
}

export interface Probe {
  httpGet?: { path: string; port: number | string; scheme?: string };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
  grpc?: { port: number };
}

export interface Volume {
  name: string;
  secret?: { secretName: string };
  configMap?: { name: string };
  emptyDir?: Record<string, unknown>;
  hostPath?: unknown;
  persistentVolumeClaim?: { claimName: string };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  securityContext?: Record<string, unknown>;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  serviceAccountName?: string;
}

export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export function listYaml(dir: string = GENERATED): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listYaml(p));
    else if (e.name.endsWith('.yaml')) out.push(p);
  }
  return out.sort();
}

export function loadFile(path: string): Obj[] {
  const text = readFileSync(path, 'utf8');
  const docs = parseAllDocuments(text);
  return docs.map((d) => {
    if (d.errors.length) throw new Error(`${path}: ${d.errors[0]!.message}`);
    return { ...(d.toJS() as Omit<Obj, 'file'>), file: relative(REPO, path) } as Obj;
  });
}

/** Objects of the generated directories (e.g. ['strata', 'prometheus', 'grafana']), or all. */
export function loadGenerated(dirs?: string[]): Obj[] {
  const files = listYaml().filter((f) => !dirs || dirs.includes(relative(GENERATED, f).split('/')[0]!));
  return files.flatMap(loadFile);
}

/** The pod template of a workload, or null for other kinds. */
export function podTemplate(o: Obj): PodTemplate | null {
  if (!['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet'].includes(o.kind)) return null;
  return (o.spec as { template: PodTemplate }).template;
}

export function workloads(objs: Obj[]): Obj[] {
  return objs.filter((o) => podTemplate(o) !== null);
}

export function find(objs: Obj[], kind: string, name: string, namespace?: string): Obj {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name && (namespace === undefined || x.metadata.namespace === namespace));
  if (!o) throw new Error(`no ${kind} ${namespace ? namespace + '/' : ''}${name} in the generated manifests`);
  return o;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

/** The workloads whose pod labels a Service's selector matches. */
export function serviceBackends(objs: Obj[], svc: Obj): Obj[] {
  const sel = (svc.spec as { selector?: Record<string, string> }).selector ?? {};
  if (Object.keys(sel).length === 0) return [];
  return workloads(objs).filter((w) => {
    if (w.metadata.namespace !== svc.metadata.namespace) return false;
    const l = podTemplate(w)!.metadata.labels;
    return Object.entries(sel).every(([k, v]) => l[k] === v);
  });
}

/** Resolves a Service port to the container port it targets in a backend workload (by name or number). */
export function targetContainerPort(w: Obj, sp: ServicePort): { container: Container; port: number } | null {
  const t = sp.targetPort ?? sp.port;
  for (const c of podTemplate(w)!.spec.containers) {
    for (const p of c.ports ?? []) {
      if ((typeof t === 'string' && p.name === t) || (typeof t === 'number' && p.containerPort === t)) return { container: c, port: p.containerPort };
    }
  }
  return null;
}

/** Resolves a probe's port (a name or a number) to a container port number. */
export function probePort(c: Container, p: Probe): number | null {
  const port = p.httpGet?.port ?? p.tcpSocket?.port ?? p.grpc?.port;
  if (typeof port === 'number') return port;
  return c.ports?.find((x) => x.name === port)?.containerPort ?? null;
}

/** Expands $(VAR) in a container arg as the kubelet does ($$ escapes; unknown references stay as they are). */
export function expandK8sVars(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => (m === '$$' ? '$' : name !== undefined && name in env ? env[name]! : m));
}
