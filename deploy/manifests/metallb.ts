// MetalLB address pool for LoadBalancer Services. The range depends on the `kind` Docker network
// of the machine, so setup.sh renders these objects at install time:
//   node --import tsx deploy/manifests/metallb.ts 172.18.255.200-172.18.255.250 | kubectl apply -f -
import { stringify } from 'yaml';
import { meta } from './common.ts';

export interface IPAddressPool {
  apiVersion: 'metallb.io/v1beta1';
  kind: 'IPAddressPool';
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { addresses: string[]; autoAssign?: boolean };
}

export interface L2Advertisement {
  apiVersion: 'metallb.io/v1beta1';
  kind: 'L2Advertisement';
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { ipAddressPools: string[] };
}

const RANGE_RE = /^((?:\d{1,3}\.){3}\d{1,3})-((?:\d{1,3}\.){3}\d{1,3})$|^(?:\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;

export function metallbObjects(range: string): [IPAddressPool, L2Advertisement] {
  if (!RANGE_RE.test(range)) throw new Error(`expected an address range a.b.c.d-a.b.c.e or a CIDR, got ${JSON.stringify(range)}`);
  const octets = range.split(/[-/.]/).slice(0, range.includes('-') ? 8 : 4).map(Number);
  if (octets.some((o) => o > 255)) throw new Error(`invalid IPv4 address in ${JSON.stringify(range)}`);
  const m = meta('strata-lab', 'metallb-system', 'metallb', 'strata-lab');
  return [
    { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: m.name!, namespace: m.namespace!, labels: m.labels! }, spec: { addresses: [range] } },
    { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: m.name!, namespace: m.namespace!, labels: m.labels! }, spec: { ipAddressPools: [m.name!] } },
  ];
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const range = process.argv[2];
  if (!range) {
    process.stderr.write('usage: node --import tsx deploy/manifests/metallb.ts <first-last | cidr>\n');
    process.exit(2);
  }
  process.stdout.write(metallbObjects(range).map((o) => stringify(o)).join('---\n'));
}
