// Remote-write decode micro-benchmark: throughput (samples/s) of decoding 2,000-sample WriteRequests
// (Prometheus' default max_samples_per_send), as the receive endpoint does it: snappy block
// decompression + protobuf decode into flat arrays. Shapes: 2000 series × 1 sample (typical
// Prometheus shard flush) and 500 series × 4 samples (catch-up after a pause); with and without
// label-string interning.
// Usage: node --import tsx bench/remotewrite-decode.ts [requests=300] [--seconds=2]
//        node --cpu-prof --import tsx bench/remotewrite-decode.ts   (profile)
import snappy from 'snappy';
import { decodeWriteRequest, setStringInterning } from '../src/remotewrite/codec.ts';
import { generateLoad } from '../src/remotewrite/demo.ts';

const args = process.argv.slice(2);
const REQUESTS = Number(args.find((a) => /^\d+$/.test(a)) ?? 300);
const secArg = args.find((a) => a.startsWith('--seconds='));
const SECONDS = secArg ? Number(secArg.split('=')[1]) : 2;

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

function run(label: string, fn: () => number): void {
  // Warm up, then measure for SECONDS.
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) fn();
  let samples = 0;
  let calls = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    samples += fn();
    calls++;
  }
  const s = (performance.now() - start) / 1000;
  console.log(`${label.padEnd(58)} ${fmt(samples / s / 1e6, 2).padStart(6)} M samples/s  ${fmt((calls / s) * 1, 0).padStart(7)} req/s`);
}

for (const [series, k] of [
  [2000, 1],
  [500, 4],
] as const) {
  const load = generateLoad({ requests: REQUESTS, series, samplesPerSeries: k });
  const protoBytes = load.protos.reduce((a, b) => a + b.length, 0);
  const bodyBytes = load.bodies.reduce((a, b) => a + b.length, 0);
  console.log(
    `\n${series} series × ${k} samples/request: ${REQUESTS} requests, ${fmt(protoBytes / REQUESTS / 1024)} KiB protobuf, ${fmt(bodyBytes / REQUESTS / 1024)} KiB snappy per request`,
  );
  let i = 0;
  for (const intern of [true, false]) {
    setStringInterning(intern);
    run(`decode only (interning ${intern ? 'on' : 'off'})`, () => {
      const d = decodeWriteRequest(load.protos[i++ % REQUESTS]!);
      return d.sampleCount;
    });
  }
  setStringInterning(true);
  run('snappy uncompress only', () => {
    snappy.uncompressSync(load.bodies[i++ % REQUESTS]!, { asBuffer: true });
    return load.samplesPerRequest;
  });
  run('snappy uncompress + decode (interning on)', () => {
    const raw = snappy.uncompressSync(load.bodies[i++ % REQUESTS]!, { asBuffer: true }) as Buffer;
    return decodeWriteRequest(raw).sampleCount;
  });
}
