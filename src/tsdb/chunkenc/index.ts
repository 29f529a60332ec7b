// Chunk encodings (Prometheus tsdb/chunkenc). Only XOR (encoding 1) is produced by Strata.
export { XORChunk, XORIterator, XORAppenderImpl, ChunkDecodeError } from './xor.ts';
export type { XORAppender } from './xor.ts';
