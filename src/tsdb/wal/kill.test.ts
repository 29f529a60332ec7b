// kill -9 durability: every record whose log() was acknowledged before SIGKILL must be replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replayWAL, WAL } from './index.ts';
import { decodeSamples } from '../record/record.ts';

const here = dirname(fileURLToPath(import.meta.url));

async function runAndKill(dir: string, fsync: boolean, concurrency: number, killAfter: number): Promise<Set<number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'testdata', 'logger-child.ts'), dir, fsync ? '1' : '0', String(concurrency)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked = new Set<number>();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let buf = '';
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, sig) => res(sig)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child too slow; acked ${acked.size}; stderr: ${stderr}`));
    }, 60_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'ready') continue;
        acked.add(Number(line));
        if (acked.size === killAfter) {
          // Kill mid-stream: the child is busy writing further records right now.
          child.kill('SIGKILL');
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      if (acked.size < killAfter) reject(new Error(`child exited early; stderr: ${stderr}`));
    });
  });
  assert.equal(await exited, 'SIGKILL');
  return acked;
}

async function check(fsync: boolean, concurrency: number, killAfter: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-wal-kill-'));
  try {
    const acked = await runAndKill(dir, fsync, concurrency, killAfter);
    const seen = new Set<number>();
    const res = await replayWAL(dir, (rec) => decodeSamples(rec, (ref) => void seen.add(ref)));
    for (const i of acked) assert.ok(seen.has(i), `acknowledged record ${i} missing after kill -9 (replayed ${seen.size}, corrupted ${res.corrupted})`);
    assert.ok(seen.size >= acked.size);
    // The WAL is usable afterwards: open, append, replay cleanly.
    const w = await WAL.open({ dir });
    await w.log([new Uint8Array([2])]);
    await w.close();
    const again = await replayWAL(dir, () => undefined);
    assert.equal(again.corrupted, false);
    assert.equal(again.records, res.records + 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('kill -9 mid-stream: every acknowledged record is replayed (fsync off, sequential)', async () => {
  await check(false, 1, 3000);
});

test('kill -9 mid-stream: every acknowledged record is replayed (fsync off, 16 concurrent loggers)', async () => {
  await check(false, 16, 5000);
});

test('kill -9 mid-stream: every acknowledged record is replayed (fsync on, group commit)', async () => {
  await check(true, 32, 1500);
});
