// Public API of the write-ahead log: Prometheus-compatible segments, replay with repair, checkpoints.
export { WAL, registerWALMetrics, type WALOptions } from './wal.ts';
export { replayWAL, checkpoint } from './checkpoint.ts';
export { DEFAULT_SEGMENT_SIZE, PAGE_SIZE, segmentName, checkpointName, listSegments, listCheckpoints, type CorruptionInfo } from './segments.ts';
