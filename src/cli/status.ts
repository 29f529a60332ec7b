// JSON endpoints behind the UI's Stores, Blocks and Tenants pages for `strata all` (the querier
// serves /api/v1/stores from its endpoint set; the Blocks page reads the bucket's block metas).
import type { Handler } from '../observability/http.ts';
import type { Receiver } from '../receive/receiver.ts';
import type { BucketStore } from '../store/bucket-store.ts';
import { goTimeJSON, int64JSON } from '../query/endpoints.ts';
import { jsonString, labelsJSON } from '../query/http.ts';

/** Ingest rate per tenant from head sample counts, sampled every `everyMs`. */
export class TenantRates {
  private last = new Map<string, { t: number; samples: number; rate: number }>();
  private timer: NodeJS.Timeout;
  constructor(private readonly receiver: Receiver, everyMs = 10_000) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }
  private sample(): void {
    const now = Date.now();
    for (const t of this.receiver.tsdb.all()) {
      const samples = t.head.stats().numSamples;
      const prev = this.last.get(t.id);
      // Samples leave the head when blocks are cut; a drop means a cut, not negative ingest.
      const rate = prev && samples >= prev.samples ? (samples - prev.samples) / ((now - prev.t) / 1000) : prev?.rate ?? 0;
      this.last.set(t.id, { t: now, samples, rate });
    }
  }
  rate(tenant: string): number {
    return this.last.get(tenant)?.rate ?? 0;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

export function createAllStatusHandler(o: { receiver: Receiver; bucketStore: BucketStore; rates: TenantRates; grpcAddress: string }): Handler {
  return (_req, res, url) => {
    const send = (data: string) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(`{"status":"success","data":${data}}`);
      return true;
    };
    switch (url.pathname) {
      case '/api/v1/status/tenants':
        return send(
          '[' +
            o.receiver.tsdb
              .all()
              .map((t) => `{"tenant":${jsonString(t.id)},"activeSeries":${t.head.numSeries()},"samplesPerSecond":${o.rates.rate(t.id)}}`)
              .join(',') +
            ']',
        );
      case '/api/v1/blocks':
        return send(`{"blocks":${JSON.stringify(o.bucketStore.loadedBlocks())},"label":"bucket"}`);
      case '/api/v1/stores': {
        const now = goTimeJSON(Date.now());
        const recv = o.receiver.tsdb.all();
        const rmin = Math.min(...recv.map((t) => Math.min(t.head.minTime(), ...t.blockMetas().map((m) => m.minTime))));
        const store = o.bucketStore.timeRange();
        const item = (name: string, labelSets: string[], min: number, max: number) =>
          `{"name":${jsonString(name)},"lastCheck":${jsonString(now)},"lastError":null,"labelSets":[${labelSets.join(',')}],"minTime":${int64JSON(min)},"maxTime":${int64JSON(max)}}`;
        return send(
          `{"receive":[${item(`${o.grpcAddress} (in process)`, recv.map((t) => labelsJSON(t.externalLabels)), Number.isFinite(rmin) ? rmin : Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)}],` +
            `"store":[${item('bucket store (in process)', o.bucketStore.labelSets().map(labelsJSON), store.minTime, store.maxTime)}]}`,
        );
      }
      default:
        return false;
    }
  };
}
