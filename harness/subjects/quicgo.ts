// The quic-go reference subject (harness/subjects/quic-go, a Go program built at install
// when Debian's Go and quic-go sources are present): whether this build has it, and what
// to say when it does not.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { QUICGO_BIN } from '../core/native.js';

let versionCache: string | null | undefined;

/** Version line of the quic-go subject, or null when it isn't built (asked once per process). */
export function quicGoVersion(): string | null {
  if (versionCache !== undefined) return versionCache;
  versionCache = null;
  if (existsSync(QUICGO_BIN)) {
    try {
      versionCache = execFileSync(QUICGO_BIN, ['version'], { encoding: 'utf8', timeout: 5000 }).trim();
    } catch {
      // not runnable: reported as missing
    }
  }
  return versionCache;
}

export const QUICGO_MISSING =
  'the quic-go subject is not built: install Debian packages golang-go and golang-github-lucas-clemente-quic-go-dev, then npm run build';
