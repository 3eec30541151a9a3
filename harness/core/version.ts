// Tool version (from package.json) and git sha of the checkout bench runs from, if any.
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The npm package name (issue 19: `bench` is taken on npm); the command stays `bench`. */
export const PACKAGE_NAME = 'quic-bench';

/**
 * Project root: the nearest folder above this module with bench's package.json (dist/harness/core/
 * -> ../../..); in an installed package node_modules/quic-bench, found by name, so a parent
 * project's package.json is never taken for it.
 */
export const PROJECT_ROOT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === PACKAGE_NAME) return d;
    } catch {
      /* keep looking upward */
    }
    d = dirname(d);
  }
  throw new Error(`cannot find the ${PACKAGE_NAME} package.json`);
})();

export const TOOL_VERSION: string = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The commit bench runs from: only when PROJECT_ROOT is itself a checkout (.git is a directory,
 * or a file in a worktree). An installed copy (node_modules/quic-bench inside someone's
 * repository) has none, and git would otherwise answer with that repository's commit.
 */
export function gitSha(cwd = PROJECT_ROOT): string | null {
  if (cwd === PROJECT_ROOT && !existsSync(join(PROJECT_ROOT, '.git'))) return null;
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
