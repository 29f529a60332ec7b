// Thanos querier API parameters (pkg/api/query/v1.go): dedup, replicaLabels[], partial_response and
// max_source_resolution select the per-request options of the proxy Queryable.
import { ApiError, parseDurationParam } from './http.ts';
import type { ProxyQueryable } from './proxy.ts';
import type { Matcher } from '../labels/matcher.ts';
import type { Querier, Queryable, SelectHints } from '../storage/interfaces.ts';

/** Go strconv.ParseBool. */
function parseBool(name: string, v: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new ApiError('bad_data', `'${name}' parameter: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

export interface QueryParamsDefaults {
  replicaLabels: readonly string[];
  partialResponse: boolean;
  autoDownsampling: boolean;
}

/** Thanos' per-request querier options from API parameters (pkg/api/query/v1.go). */
export function queryableFromParams(base: ProxyQueryable, d: QueryParamsDefaults, params: URLSearchParams, step?: number): ProxyQueryable {
  const dedupS = params.get('dedup') ?? '';
  const dedup = dedupS === '' ? true : parseBool('dedup', dedupS);
  const rl = params.getAll('replicaLabels[]');
  const replicaLabels = rl.length > 0 ? rl : d.replicaLabels;
  const prS = params.get('partial_response') ?? '';
  const partialResponse = prS === '' ? d.partialResponse : parseBool('partial_response', prS);
  const maxResolutionMs = maxSourceResolutionMs(params, step, d.autoDownsampling);
  return base.with({ dedup, replicaLabels, partialResponse, maxResolutionMs });
}

/**
 * Thanos parseDownsamplingParamMillis: max_source_resolution as ms. "auto" (or the
 * --query.auto-downsampling flag without the parameter) means step/5 for range queries — at least
 * five points of the chosen resolution per step — and raw (0) for instant queries; a duration is
 * taken as given; negative values are rejected.
 */
export function maxSourceResolutionMs(params: URLSearchParams, step: number | undefined, autoDownsampling: boolean): number {
  const msr = params.get('max_source_resolution') ?? '';
  let ms = 0;
  if (autoDownsampling || msr === 'auto') ms = step !== undefined ? Math.trunc(step / 5) : 0;
  if (msr !== '' && msr !== 'auto') {
    try {
      ms = parseDurationParam(msr);
    } catch (e) {
      throw new ApiError('bad_data', `'max_source_resolution' parameter: ${(e as Error).message}`);
    }
  }
  if (ms < 0) throw new ApiError('bad_data', "negative 'max_source_resolution' is not accepted. Try a positive integer");
  return ms;
}

/**
 * A Queryable whose selects carry `maxResolution` (unless the caller set one): how an in-process
 * querier (strata all: receiver heads + BucketStore, no proxy) passes max_source_resolution down.
 */
export function withMaxResolution(q: Queryable, maxResolutionMs: number): Queryable {
  if (maxResolutionMs <= 0) return q;
  return {
    querier(mint: number, maxt: number): Querier {
      const inner = q.querier(mint, maxt);
      return {
        select: (hints: SelectHints, matchers: readonly Matcher[]) =>
          inner.select(hints.maxResolution === undefined ? { ...hints, maxResolution: maxResolutionMs } : hints, matchers),
        labelValues: (name, matchers, hints) => inner.labelValues(name, matchers, hints),
        labelNames: (matchers, hints) => inner.labelNames(matchers, hints),
        close: () => inner.close(),
      };
    },
  };
}

/**
 * Thanos' LookbackDeltaFactory with --query.dynamic-lookback-delta (its default): when the request
 * may read downsampled data coarser than the lookback delta, the lookback grows to that
 * resolution (5m, 1h), so an instant selector still finds the last aggregate sample.
 */
export function dynamicLookbackDelta(baseMs: number, maxSourceResolutionMs: number): number {
  const resolutions = [0, 300_000, 3_600_000];
  const lds: number[] = [];
  let ld = baseMs;
  for (const r of resolutions) {
    if (baseMs < r) ld = r;
    lds.push(ld);
  }
  for (let i = resolutions.length - 1; i >= 1; i--) {
    const left = Math.max(resolutions[i - 1]!, baseMs);
    if (left < maxSourceResolutionMs) return lds[i]!;
  }
  return lds[0]!;
}
