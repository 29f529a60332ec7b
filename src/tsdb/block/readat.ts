// Random-access reads over a file-like object: a local file here, a bucket object elsewhere.
// Block readers (index, chunks) only ever read ranges through this interface.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

export interface ReadAt {
  /** Reads exactly `length` bytes at `offset` (fewer only at the end of the object). */
  read(offset: number, length: number): Promise<Uint8Array>;
  size(): Promise<number>;
  close?(): Promise<void>;
}

/** ReadAt over a local file through an fs.FileHandle. */
export class FileReadAt implements ReadAt {
  private constructor(
    private readonly fh: FileHandle,
    private readonly sz: number,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<FileReadAt> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      return new FileReadAt(fh, st.size, path);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0) throw new RangeError(`bad read range ${offset}+${length}`);
    const n = Math.max(0, Math.min(length, this.sz - offset));
    const buf = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await this.fh.read(buf, got, n - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === n ? buf : buf.subarray(0, got);
  }

  async size(): Promise<number> {
    return this.sz;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** ReadAt over bytes in memory (tests, small objects fetched whole). */
export class BytesReadAt implements ReadAt {
  constructor(private readonly b: Uint8Array) {}
  async read(offset: number, length: number): Promise<Uint8Array> {
    return this.b.subarray(Math.min(offset, this.b.length), Math.min(offset + length, this.b.length));
  }
  async size(): Promise<number> {
    return this.b.length;
  }
}
