// Public entry point of the block package: write and read Prometheus/Thanos-compatible TSDB blocks.
export { writeBlock, newULID, chunkNumSamples, blockSize, BlockWriteError } from './writer.ts';
export type { BlockWriteOptions, BlockSeries } from './writer.ts';
export { BlockReader, ChunksIterator, ChunksSeries } from './reader.ts';
export { encodeMeta, decodeMeta, readMeta, writeMeta, MetaError, META_FILENAME } from './meta.ts';
export type { BlockMeta, BlockStats, BlockDesc, BlockMetaCompaction, ThanosMeta, ThanosFile } from './meta.ts';
export { encodeTombstones, decodeTombstones, readTombstones, writeTombstones, TOMBSTONES_FILENAME } from './tombstones.ts';
export type { TombstoneInterval } from './tombstones.ts';
export { FileReadAt, BytesReadAt } from './readat.ts';
export type { ReadAt } from './readat.ts';
