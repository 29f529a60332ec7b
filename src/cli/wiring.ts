// Builds the Prometheus HTTP API v1 over a Queryable, with exemplars and metadata from receivers' heads.
import { Engine } from '../promql/engine.ts';
import { createApiV1 } from '../query/api.ts';
import type { Handler } from '../observability/http.ts';
import type { Logger } from '../observability/logger.ts';
import type { Queryable, MetricMetadata } from '../storage/interfaces.ts';
import type { Receiver } from '../receive/receiver.ts';
import { VERSION, REVISION, BRANCH, BUILD_DATE } from '../version.ts';
import { LabelsBuilder } from '../labels/labels.ts';

export interface QueryApiWiring {
  queryable: Queryable;
  receiver?: Receiver;
  logger: Logger;
  lookbackDelta?: number;
  queryTimeout?: number;
  maxSamples?: number;
  /** Per-request Queryable (e.g. max_source_resolution → downsampled blocks); default `queryable`. */
  queryableFor?: (params: URLSearchParams, step?: number) => Queryable;
  /** Max source resolution of a request, for Thanos' dynamic lookback delta. */
  maxSourceResolutionFor?: (params: URLSearchParams, step?: number) => number;
}

export function createQueryApiHandler(w: QueryApiWiring): Handler {
  const engine = new Engine({ lookbackDelta: w.lookbackDelta, timeout: w.queryTimeout, maxSamples: w.maxSamples });
  const receiver = w.receiver;
  const api = createApiV1({
    queryable: w.queryable,
    ...(w.queryableFor ? { queryableFor: w.queryableFor } : {}),
    ...(w.maxSourceResolutionFor ? { maxSourceResolutionFor: w.maxSourceResolutionFor } : {}),
    engine,
    lookbackDelta: w.lookbackDelta,
    queryTimeout: w.queryTimeout,
    maxSamples: w.maxSamples,
    buildInfo: {
      version: VERSION,
      revision: REVISION,
      branch: BRANCH,
      buildUser: 'strata',
      buildDate: BUILD_DATE,
      goVersion: `node${process.versions.node}`,
    },
    exemplars: receiver
      ? async (mint, maxt, matchers) =>
          receiver.tsdb.all().flatMap((t) =>
            t.head.exemplars(mint, maxt, matchers).map((e) => {
              const b = new LabelsBuilder(e.seriesLabels);
              for (const l of t.externalLabels) b.set(l.name, l.value);
              return { seriesLabels: b.labels(), exemplars: e.exemplars };
            }),
          )
      : undefined,
    metadata: receiver
      ? async (metric, limit) => {
          const out: Record<string, MetricMetadata[]> = {};
          for (const t of receiver.tsdb.all()) {
            for (const [name, mds] of t.head.metadata()) {
              if (metric && name !== metric) continue;
              const list = (out[name] ??= []);
              for (const md of mds) {
                if (!list.some((x) => x.type === md.type && x.help === md.help && x.unit === md.unit)) list.push(md);
              }
            }
          }
          if (limit > 0) {
            const keys = Object.keys(out).slice(limit);
            for (const k of keys) delete out[k];
          }
          return out;
        }
      : undefined,
    logger: w.logger,
  });
  return api;
}
