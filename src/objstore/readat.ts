// Random access to a bucket object through the block readers' ReadAt interface: every read is a
// ranged GET (`getRange`), the size comes from `attributes` once. This lets the index and chunk
// readers (and `tools bucket verify`) read a block in object storage without downloading it.
import type { ReadAt } from '../tsdb/block/readat.ts';
import type { Bucket } from './bucket.ts';

export class BucketReadAt implements ReadAt {
  /** Ranged reads issued so far and bytes they returned (for tests and progress output). */
  reads = 0;
  bytesRead = 0;

  private constructor(
    private readonly bucket: Bucket,
    readonly key: string,
    private readonly sz: number,
  ) {}

  /** Opens `key`; its size is taken from `size` when known, else from the object's attributes. */
  static async open(bucket: Bucket, key: string, size?: number): Promise<BucketReadAt> {
    const sz = size ?? (await bucket.attributes(key)).size;
    return new BucketReadAt(bucket, key, sz);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new RangeError(`bad read range ${offset}+${length} of ${this.key}`);
    }
    const n = Math.max(0, Math.min(length, this.sz - offset));
    if (n === 0) return new Uint8Array(0);
    const b = await this.bucket.getRange(this.key, offset, n);
    this.reads++;
    this.bytesRead += b.length;
    if (b.length < n) throw new Error(`short read of ${this.key}: wanted ${n} bytes at ${offset}, got ${b.length} (object changed?)`);
    return b.length === n ? b : b.subarray(0, n);
  }

  async size(): Promise<number> {
    return this.sz;
  }

  async close(): Promise<void> {
    /* nothing held: every read is its own request */
  }
}
