// Tool version (from package.json) and git sha of the checkout bench runs from, if any.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Project root: the nearest folder above this module with bench's package.json (dist/harness/core/ -> ../../..). */
export const PROJECT_ROOT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'bench') return d;
    } catch {
      /* keep looking upward */
    }
    d = dirname(d);
  }
  throw new Error('cannot find bench package.json');
})();

export const TOOL_VERSION: string = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export function gitSha(cwd = PROJECT_ROOT): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    return null;
  }
}

export function gitDescribe(cwd: string): string | null {
  try {
    return execFileSync('git', ['describe', '--tags', '--always', '--dirty'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    return null;
  }
}
