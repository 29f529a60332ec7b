// Thanos querier API parameters (pkg/api/query/v1.go): dedup, replicaLabels[], partial_response and
// max_source_resolution select the per-request options of the proxy Queryable.
import { ApiError, parseDurationParam } from './http.ts';
import type { ProxyQueryable } from './proxy.ts';

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
  // max_source_resolution: "auto" (or the auto-downsampling flag) means step/5 for range queries.
  const msr = params.get('max_source_resolution') ?? '';
  let maxResolutionMs = 0;
  if (d.autoDownsampling || msr === 'auto') maxResolutionMs = step !== undefined ? Math.trunc(step / 5) : 0;
  if (msr !== '' && msr !== 'auto') {
    try {
      maxResolutionMs = parseDurationParam(msr);
    } catch (e) {
      throw new ApiError('bad_data', `'max_source_resolution' parameter: ${(e as Error).message}`);
    }
  }
  if (maxResolutionMs < 0) throw new ApiError('bad_data', "negative 'max_source_resolution' is not accepted. Try a positive integer");
  return base.with({ dedup, replicaLabels, partialResponse, maxResolutionMs });
}
