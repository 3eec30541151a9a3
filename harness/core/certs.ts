// A self-signed certificate generated per run in a private temp dir (mode 0700), used by
// tls, quic and the tunnel, and verified on the client by pinned fingerprint: verification
// is never switched off. Node has no X.509 generator, so openssl(1) makes it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './exec.js';

/** Per-run credentials: one self-signed certificate, pinned by its SHA-256 fingerprint. */
export interface Credentials {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the DER certificate, lowercase hex without colons. */
  fingerprintSha256: string;
}

export async function generateCredentials(commonName = 'bench.test'): Promise<Credentials> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${commonName}`,
      '-addext', `subjectAltName=DNS:${commonName},IP:127.0.0.1,IP:198.18.0.1,IP:198.18.0.2,IP:198.19.0.1,IP:198.19.0.2`,
    ]);
    const certPem = await readFile(cert, 'utf8');
    const keyPem = await readFile(key, 'utf8');
    return { certPem, keyPem, fingerprintSha256: fingerprintOf(certPem) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A SHA-256 fingerprint as people write it ("sha256:" prefix and colons allowed) in
 * fingerprintOf's form; throws when it is not 64 hex digits.
 */
export function normalizeFingerprint(fp: string): string {
  const hex = fp.replace(/^sha256:/i, '').replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a SHA-256 fingerprint: "${fp}" (want 64 hex digits, colons allowed)`);
  return hex;
}

/** SHA-256 fingerprint of a PEM or DER certificate, lowercase hex without colons. */
export function fingerprintOf(cert: string | Buffer): string {
  return new X509Certificate(cert).fingerprint256.replace(/:/g, '').toLowerCase();
}
