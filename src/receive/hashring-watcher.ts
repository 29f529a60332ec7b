// Loads the hashring configuration and reloads it when the file changes (Thanos ConfigWatcher,
// pkg/receive/config.go): a file-system watch on the file's directory (so atomic renames and
// Kubernetes ConfigMap symlink swaps are seen) plus a periodic re-read as a fallback
// (--receive.hashrings-file-refresh-interval). A configuration that does not parse or cannot be
// built keeps the previous one in force and sets thanos_receive_config_last_reload_successful 0.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../observability/logger.ts';
import { configHashMetricValue, parseHashringConfig, type HashringConfig } from './hashring.ts';

export interface HashringWatcherOptions {
  /** --receive.hashrings-file; null when the configuration is given inline. */
  path: string | null;
  /** --receive.hashrings (used when path is null). */
  content?: string;
  /** Fallback re-read interval in ms. */
  refreshInterval: number;
  registry?: Registry;
  logger: Logger;
  /** Applies a new configuration; throwing rejects it (the previous one stays). */
  apply: (cfg: HashringConfig[]) => void;
}

export class HashringWatcher {
  private lastHash: number | null = null;
  private fsWatcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private readonly m: {
    hash: Gauge;
    success: Gauge;
    successTime: Gauge;
    changes: Counter;
    errors: Counter;
    refreshes: Counter;
    nodes: Gauge<'name'>;
    tenants: Gauge<'name'>;
  } | null;

  constructor(private readonly opts: HashringWatcherOptions) {
    const r = opts.registry;
    this.m = r
      ? {
          hash: new Gauge({ name: 'thanos_receive_config_hash', help: 'Hash of the currently loaded hashring configuration file.', registers: [r] }),
          success: new Gauge({ name: 'thanos_receive_config_last_reload_successful', help: 'Whether the last hashring configuration file reload attempt was successful.', registers: [r] }),
          successTime: new Gauge({ name: 'thanos_receive_config_last_reload_success_timestamp_seconds', help: 'Timestamp of the last successful hashring configuration file reload.', registers: [r] }),
          changes: new Counter({ name: 'thanos_receive_hashrings_file_changes_total', help: 'The number of times the hashrings configuration file has changed.', registers: [r] }),
          errors: new Counter({ name: 'thanos_receive_hashrings_file_errors_total', help: 'The number of errors watching the hashrings configuration file.', registers: [r] }),
          refreshes: new Counter({ name: 'thanos_receive_hashrings_file_refreshes_total', help: 'The number of refreshes of the hashrings configuration file.', registers: [r] }),
          nodes: new Gauge({ name: 'thanos_receive_hashring_nodes', help: 'The number of nodes per hashring.', labelNames: ['name'], registers: [r] }),
          tenants: new Gauge({ name: 'thanos_receive_hashring_tenants', help: 'The number of tenants per hashring.', labelNames: ['name'], registers: [r] }),
        }
      : null;
  }

  private read(): { text: string; source: string } {
    if (this.opts.path === null) return { text: this.opts.content ?? '', source: '--receive.hashrings' };
    return { text: readFileSync(this.opts.path, 'utf8'), source: this.opts.path };
  }

  /** First load: throws (HashringConfigError or a read error) when the configuration is unusable. */
  load(): void {
    const { text, source } = this.read();
    this.install(text, parseHashringConfig(text, source));
  }

  private install(text: string, cfg: HashringConfig[]): void {
    this.opts.apply(cfg);
    const h = configHashMetricValue(text);
    this.lastHash = h;
    if (this.m) {
      this.m.changes.inc();
      this.m.hash.set(h);
      this.m.success.set(1);
      this.m.successTime.set(Date.now() / 1000);
      this.m.nodes.reset();
      this.m.tenants.reset();
      for (const c of cfg) {
        this.m.nodes.set({ name: c.hashring }, c.endpoints.length);
        this.m.tenants.set({ name: c.hashring }, c.tenants.length);
      }
    }
  }

  /** Re-reads the file; applies it when its content changed. Never throws. */
  refresh(): void {
    if (this.opts.path === null) return;
    this.m?.refreshes.inc();
    let text: string;
    try {
      text = this.read().text;
    } catch (e) {
      this.m?.errors.inc();
      this.m?.success.set(0);
      this.opts.logger.error({ path: this.opts.path, err: (e as Error).message }, 'failed to read the hashring configuration file; keeping the previous configuration');
      return;
    }
    if (configHashMetricValue(text) === this.lastHash) return;
    try {
      this.install(text, parseHashringConfig(text, this.opts.path));
      this.opts.logger.info({ path: this.opts.path }, 'hashring configuration reloaded');
    } catch (e) {
      this.m?.errors.inc();
      this.m?.success.set(0);
      this.opts.logger.error({ path: this.opts.path, err: (e as Error).message }, 'failed to load the hashring configuration; keeping the previous configuration');
    }
  }

  /** Starts watching (file configurations only). */
  start(): void {
    const path = this.opts.path;
    if (path === null) return;
    const name = basename(path);
    try {
      this.fsWatcher = watch(dirname(path), { persistent: false }, (_ev, file) => {
        // Any change in the directory may be the file (renames, ConfigMap ..data swaps); re-read shortly.
        if (file !== null && file !== name && !String(file).startsWith('..')) return;
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.refresh(), 100);
        this.debounce.unref();
      });
      this.fsWatcher.on('error', (e) => {
        this.m?.errors.inc();
        this.opts.logger.error({ path, err: e.message }, 'error watching the hashring configuration file');
      });
    } catch (e) {
      this.m?.errors.inc();
      this.opts.logger.warn({ path, err: (e as Error).message }, 'cannot watch the hashring configuration file; relying on the refresh interval');
    }
    this.timer = setInterval(() => this.refresh(), Math.max(1000, this.opts.refreshInterval));
    this.timer.unref();
  }

  stop(): void {
    this.fsWatcher?.close();
    this.fsWatcher = null;
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    this.timer = this.debounce = null;
  }
}
