// Structured logs: JSON lines (default) or logfmt, with level, ts, component and msg, as Thanos logs.
import pino from 'pino';
import { Writable } from 'node:stream';

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  child(bindings: Record<string, string>): Logger;
}

export type LogFormat = 'json' | 'logfmt';

function logfmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : v instanceof Error ? v.message : JSON.stringify(v);
  return /[\s="]/.test(s) || s === '' ? JSON.stringify(s) : s;
}

/** pino writes JSON; for logfmt we re-render each line. */
function logfmtStream(dest: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const o = JSON.parse(line) as Record<string, unknown>;
          const { level, ts, component, msg, ...rest } = o;
          const parts = [`level=${String(level)}`, `ts=${String(ts)}`];
          if (component) parts.push(`component=${logfmtValue(component)}`);
          parts.push(`msg=${logfmtValue(msg)}`);
          for (const [k, v] of Object.entries(rest)) parts.push(`${k}=${logfmtValue(v)}`);
          dest.write(parts.join(' ') + '\n');
        } catch {
          dest.write(line + '\n');
        }
      }
      cb();
    },
  });
}

export function createLogger(opts: { level?: string; format?: LogFormat; dest?: NodeJS.WritableStream } = {}): Logger {
  const dest = opts.dest ?? process.stderr;
  const stream = opts.format === 'logfmt' ? logfmtStream(dest) : dest;
  const p = pino(
    {
      level: opts.level ?? 'info',
      base: undefined,
      messageKey: 'msg',
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream as pino.DestinationStream,
  );
  return wrap(p);
}

function wrap(p: pino.Logger): Logger {
  return {
    info: (o, m) => p.info(o, m),
    warn: (o, m) => p.warn(o, m),
    error: (o, m) => p.error(o, m),
    debug: (o, m) => p.debug(o, m),
    child: (b) => wrap(p.child(b)),
  };
}

/** A logger that drops everything (tests). */
export const nopLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child() {
    return nopLogger;
  },
};
