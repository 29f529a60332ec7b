// Process-wide prom-client registry factory with default Node metrics.
import { Registry, collectDefaultMetrics, Gauge } from 'prom-client';
import { VERSION, REVISION, BRANCH } from '../version.ts';

export function createRegistry(component: string): Registry {
  const r = new Registry();
  collectDefaultMetrics({ register: r });
  const info = new Gauge({
    name: 'strata_build_info',
    help: 'A metric with a constant 1 value labeled by version, revision, branch and component.',
    labelNames: ['version', 'revision', 'branch', 'component'],
    registers: [r],
  });
  info.set({ version: VERSION, revision: REVISION, branch: BRANCH, component }, 1);
  return r;
}
