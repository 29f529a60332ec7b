// Child process for the kill -9 test: logs numbered samples records forever and prints each number
// to stdout once log() has acknowledged it. Usage: node --import tsx logger-child.ts <dir> <fsync 0|1> <concurrency>
import { WAL } from '../index.ts';
import { encodeSamples } from '../../record/record.ts';

const [dir, fsyncArg, concArg] = process.argv.slice(2);
if (!dir) throw new Error('usage: logger-child.ts <dir> <fsync 0|1> <concurrency>');
const fsync = fsyncArg === '1';
const concurrency = Number(concArg ?? '1');

const w = await WAL.open({ dir, fsync, segmentSize: 4 * 32 * 1024 });
let next = 0;
const pad = new Float64Array(50);
async function worker(): Promise<void> {
  for (;;) {
    const i = next++;
    // One record per number: ref = i, t = i, and padding samples so records vary in size and cross pages.
    const n = 1 + (i % 50);
    const refs = new Float64Array(n).fill(i);
    const ts = new Float64Array(n).fill(i);
    const rec = encodeSamples(refs, ts, pad, n);
    await w.log([rec]);
    process.stdout.write(`${i}\n`);
    // Yield to the event loop like a server would, so stdout (asynchronous on a pipe) keeps up.
    await new Promise<void>((r) => setImmediate(r));
  }
}
process.stdout.write('ready\n');
await Promise.all(Array.from({ length: concurrency }, () => worker()));
