// Runs generated workloads as local processes for test/deploy-run.test.ts: what the kubelet and
// cluster DNS would do, on 127.0.0.1. Each container's args are used exactly, with only
//   - listen addresses 0.0.0.0:<port> → 127.0.0.1:<free port> (one per pod and container port),
//   - paths under a volume mount → a temp directory holding that volume (Secret keys as files),
//   - $(VAR) references expanded from the container's env (fieldRef metadata.name = the pod name),
// and DNS answered by a loopback DNS server that serves the SRV records Kubernetes would publish for
// every Service port (_<port>._<proto>.<svc>.<ns>.svc.cluster.local → each backend pod).
import dgram from 'node:dgram';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { podTemplate, serviceBackends, targetContainerPort, expandK8sVars, type Obj, type Container, type ServicePort } from './testing.ts';

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

/** The pod name the controller would give replica 0 (StatefulSet) or one Deployment pod. */
export function podName(w: Obj): string {
  return w.kind === 'StatefulSet' ? `${w.metadata.name}-0` : `${w.metadata.name}-6d4cf56db6-x7k2p`;
}

export interface SrvRecord {
  port: number;
  target: string;
}

/** A minimal authoritative DNS server over UDP answering SRV queries from a table (NXDOMAIN otherwise). */
export class SrvDnsServer {
  readonly queries: string[] = [];
  private sock = dgram.createSocket('udp4');
  port = 0;
  constructor(private readonly table: Map<string, SrvRecord[]>) {
    this.sock.on('message', (msg, rinfo) => {
      const reply = this.answer(msg);
      if (reply) this.sock.send(reply, rinfo.port, rinfo.address);
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    this.port = this.sock.address().port;
    return this.port;
  }

  close(): Promise<void> {
    return new Promise((r) => this.sock.close(() => r()));
  }

  private answer(msg: Buffer): Buffer | null {
    if (msg.length < 12) return null;
    const qd = msg.readUInt16BE(4);
    if (qd !== 1) return null;
    // Question: labels, QTYPE, QCLASS.
    let off = 12;
    const labels: string[] = [];
    while (off < msg.length && msg[off] !== 0) {
      const n = msg[off]!;
      labels.push(msg.subarray(off + 1, off + 1 + n).toString('ascii'));
      off += 1 + n;
    }
    off += 1;
    const qtype = msg.readUInt16BE(off);
    const question = msg.subarray(12, off + 4);
    const name = labels.join('.').toLowerCase();
    this.queries.push(`${name}/${qtype}`);
    const recs = qtype === 33 ? this.table.get(name) : undefined;
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0); // id
    const rd = msg.readUInt16BE(2) & 0x0100;
    const known = this.table.has(name);
    // QR, AA, RD copied, RA; RCODE 3 (NXDOMAIN) for names we do not serve.
    header.writeUInt16BE(0x8000 | 0x0400 | rd | 0x0080 | (known ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(recs?.length ?? 0, 6);
    const answers = (recs ?? []).map((r) => {
      const target = Buffer.concat([...r.target.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
      const rr = Buffer.alloc(12 + 6);
      rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question
      rr.writeUInt16BE(33, 2); // SRV
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(5, 6); // TTL
      rr.writeUInt16BE(6 + target.length, 10);
      rr.writeUInt16BE(0, 12); // priority
      rr.writeUInt16BE(10, 14); // weight
      rr.writeUInt16BE(r.port, 16);
      return Buffer.concat([rr, target]);
    });
    return Buffer.concat([header, question, ...answers]);
  }
}

export interface LocalPod {
  workload: Obj;
  container: Container;
  pod: string;
  /** The container's args after the rewrites (what the local process gets). */
  args: string[];
  /** Args as in the manifest, with only $(VAR) expanded (for comparison in the test). */
  manifestArgs: string[];
  /** container port → local port. */
  ports: Map<number, number>;
  /** volume name → local directory. */
  volumes: Map<string, string>;
}

export interface LocalClusterOptions {
  /** Directory for the pods' volumes. */
  dir: string;
  /** Rewrites a Secret key's content when it is materialized (e.g. the S3 endpoint of objstore.yml). */
  rewriteSecret?: (secret: string, key: string, text: string) => string;
}

/** Plans pods for every workload in `objs` whose container image matches, with their rewritten args. */
export class LocalCluster {
  readonly pods: LocalPod[] = [];
  dns: SrvDnsServer | null = null;

  private constructor(
    readonly objs: Obj[],
    private readonly opts: LocalClusterOptions,
  ) {}

  static async plan(objs: Obj[], imagePrefix: string, opts: LocalClusterOptions): Promise<LocalCluster> {
    const c = new LocalCluster(objs, opts);
    for (const w of objs.filter((o) => podTemplate(o) !== null)) {
      const t = podTemplate(w)!;
      for (const ctr of t.spec.containers) {
        if (!ctr.image.startsWith(imagePrefix)) continue;
        await c.addPod(w, ctr);
      }
    }
    return c;
  }

  private async addPod(w: Obj, ctr: Container): Promise<void> {
    const pod = podName(w);
    const ns = w.metadata.namespace ?? 'default';
    const env: Record<string, string> = {};
    for (const e of ctr.env ?? []) {
      if (e.value !== undefined) env[e.name] = expandK8sVars(e.value, env);
      else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = pod;
      else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = ns;
      else throw new Error(`${pod}: env ${e.name} source not supported by the local runner`);
    }
    const ports = new Map<number, number>();
    for (const p of ctr.ports ?? []) ports.set(p.containerPort, await freePort());
    // Volumes: a directory each; Secrets are written out key by key.
    const volumes = new Map<string, string>();
    const spec = podTemplate(w)!.spec;
    for (const m of ctr.volumeMounts ?? []) {
      const dir = join(this.opts.dir, pod, m.name);
      await mkdir(dir, { recursive: true });
      volumes.set(m.name, dir);
      const v = spec.volumes?.find((x) => x.name === m.name);
      if (v?.secret) {
        const sec = this.objs.find((o) => o.kind === 'Secret' && o.metadata.name === v.secret!.secretName && o.metadata.namespace === ns);
        if (!sec) continue; // e.g. made by cert-manager: the test writes it
        const data: Record<string, string> = { ...Object.fromEntries(Object.entries(sec.data ?? {}).map(([k, b]) => [k, Buffer.from(b, 'base64').toString('utf8')])), ...(sec.stringData ?? {}) };
        for (const [k, text] of Object.entries(data)) await writeFile(join(dir, k), this.opts.rewriteSecret ? this.opts.rewriteSecret(sec.metadata.name, k, text) : text);
      }
    }
    const mounts = [...(ctr.volumeMounts ?? [])].sort((a, b) => b.mountPath.length - a.mountPath.length);
    const manifestArgs = (ctr.args ?? []).map((a) => expandK8sVars(a, env));
    const args = manifestArgs.map((a) => {
      const eq = a.indexOf('=');
      if (!a.startsWith('--') || eq < 0) return a;
      const flag = a.slice(0, eq);
      let v = a.slice(eq + 1);
      const addr = /^0\.0\.0\.0:(\d+)$/.exec(v);
      if (addr) {
        const lp = ports.get(Number(addr[1]));
        if (lp === undefined) throw new Error(`${pod}: ${a} listens on a port the container does not declare`);
        v = `127.0.0.1:${lp}`;
      } else if (v.startsWith('/')) {
        const m = mounts.find((x) => v === x.mountPath || v.startsWith(x.mountPath + '/'));
        if (!m) throw new Error(`${pod}: ${a} is a path on no volume (the root filesystem is read-only)`);
        v = volumes.get(m.name)! + v.slice(m.mountPath.length);
      }
      return `${flag}=${v}`;
    });
    this.pods.push({ workload: w, container: ctr, pod, args, manifestArgs, ports, volumes });
  }

  pod(workloadName: string): LocalPod {
    const p = this.pods.find((x) => x.workload.metadata.name === workloadName);
    if (!p) throw new Error(`no pod for ${workloadName}`);
    return p;
  }

  /** 127.0.0.1:<port> that a Service port leads to (its first backend pod planned here). */
  serviceAddress(name: string, ns: string, port: number | string): string {
    const svc = this.objs.find((o) => o.kind === 'Service' && o.metadata.name === name && o.metadata.namespace === ns);
    if (!svc) throw new Error(`no Service ${ns}/${name}`);
    const sp = (svc.spec as { ports: ServicePort[] }).ports.find((p) => p.port === port || p.name === port);
    if (!sp) throw new Error(`Service ${name} has no port ${port}`);
    for (const w of serviceBackends(this.objs, svc)) {
      const t = targetContainerPort(w, sp);
      const lp = this.pods.find((p) => p.workload === w)?.ports.get(t?.port ?? -1);
      if (lp !== undefined) return `127.0.0.1:${lp}`;
    }
    throw new Error(`Service ${name}:${port} has no local backend`);
  }

  /** Starts the DNS server with the SRV records of every Service port that has local backends. */
  async startDns(): Promise<SrvDnsServer> {
    const table = new Map<string, SrvRecord[]>();
    for (const svc of this.objs.filter((o) => o.kind === 'Service')) {
      for (const sp of (svc.spec as { ports: ServicePort[] }).ports) {
        if (!sp.name) continue;
        const recs: SrvRecord[] = [];
        for (const w of serviceBackends(this.objs, svc)) {
          const t = targetContainerPort(w, sp);
          const lp = this.pods.find((p) => p.workload === w)?.ports.get(t?.port ?? -1);
          // The target is an address literal, so the client's A lookup needs no DNS.
          if (lp !== undefined) recs.push({ target: '127.0.0.1', port: lp });
        }
        table.set(`_${sp.name}._${(sp.protocol ?? 'TCP').toLowerCase()}.${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`, recs);
      }
    }
    this.dns = new SrvDnsServer(table);
    await this.dns.start();
    return this.dns;
  }

  /** A module for `node --import` that points node:dns at the loopback DNS server. */
  async dnsPreload(): Promise<string> {
    if (!this.dns) throw new Error('DNS server not started');
    const file = join(this.opts.dir, 'dns-preload.mjs');
    await writeFile(file, `import dns from 'node:dns';\ndns.setServers(['127.0.0.1:${this.dns.port}']);\ndns.promises.setServers(['127.0.0.1:${this.dns.port}']);\n`);
    return file;
  }
}
