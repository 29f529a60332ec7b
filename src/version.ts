import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

function gitRevision(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: new URL('..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

export const VERSION: string = pkg.version;
export const REVISION: string = process.env.STRATA_REVISION ?? gitRevision();
export const BRANCH: string = process.env.STRATA_BRANCH ?? 'main';
export const BUILD_DATE: string = process.env.STRATA_BUILD_DATE ?? '';
