// The in-memory head (series, postings, appender, querier, WAL replay).
export { Head, DEFAULT_CHUNK_RANGE, DEFAULT_MAX_EXEMPLARS } from './head.ts';
export type { HeadOptions, HeadOpenOptions, HeadStats } from './head.ts';
export { MemPostings, intersect, subtract, union } from './postings.ts';
export { MemSeries, SeriesState, SAMPLES_PER_CHUNK, ChunkListIterator, rangeForTimestamp, computeChunkEndTime } from './series.ts';
