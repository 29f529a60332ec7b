// Flag parsers shared by every command (commander custom option processing).
import { InvalidArgumentError, Option } from 'commander';
import { parseDurationFlag, parseBytesFlag } from '../util/duration.ts';
import { parseLabelFlag } from '../util/labelflag.ts';

export function duration(v: string): number {
  try {
    return parseDurationFlag(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function bytes(v: string): number {
  try {
    return parseBytesFlag(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export function labelFlag(v: string, prev: string[] = []): string[] {
  try {
    parseLabelFlag(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return [...prev, v];
}

export function address(v: string): string {
  if (!/^(\[[^\]]*\]|[^:]*):\d{1,5}$/.test(v)) throw new InvalidArgumentError(`expected host:port, got ${JSON.stringify(v)}`);
  return v;
}

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

/** A duration flag whose help shows the default as written (`2h`), not in milliseconds. */
export function durationOption(flags: string, description: string, def: string): Option {
  return new Option(flags, description).argParser(duration).default(parseDurationFlag(def), def);
}

/** A size flag whose help shows the default as written (`32MiB`). */
export function bytesOption(flags: string, description: string, def: string): Option {
  return new Option(flags, description).argParser(bytes).default(parseBytesFlag(def), def);
}
