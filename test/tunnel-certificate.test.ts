// The tunnel client pins the server certificate (never unverified), and the server can
// require a client certificate by fingerprint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateCredentials } from '../harness/core/certs.js';
import { QuicCertificateError } from '../harness/transports/quic-lib.js';
import { TunnelClient } from '../harness/tunnel/client.js';
import { connectTcp, echoHandler, readAll, startBackend, startLoopbackTunnel } from '../harness/dev/tunnel-loopback.js';
import { TunnelServer } from '../harness/tunnel/server.js';

test('tunnel client rejects a server with another certificate, at once', async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  const [serverCreds, pinned] = await Promise.all([generateCredentials(), generateCredentials()]);
  const srv = await TunnelServer.start({
    host: '127.0.0.1', port: 0, certPem: serverCreds.certPem, keyPem: serverCreds.keyPem, log: () => {},
    allow: new Map([['bench', { host: '127.0.0.1', port: backend.port }]]),
  });
  t.after(() => srv.close());
  const t0 = Date.now();
  await assert.rejects(
    TunnelClient.start({
      listen: { kind: 'tcp', host: '127.0.0.1', port: 0 }, server: { host: '127.0.0.1', port: srv.port },
      token: 'bench', fingerprint: pinned.fingerprintSha256, log: () => {},
    }),
    (err: Error) => err instanceof QuicCertificateError && err.message.includes(serverCreds.fingerprintSha256) && err.message.includes(pinned.fingerprintSha256),
  );
  assert.ok(Date.now() - t0 < 5000, 'a certificate mismatch is not retried');
  assert.equal(backend.accepted, 0);
});

test('tunnel server requiring a client certificate: the pinned one gets through, none is refused', async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  const [serverCreds, clientCreds] = await Promise.all([generateCredentials(), generateCredentials()]);
  const srv = await TunnelServer.start({
    host: '127.0.0.1', port: 0, certPem: serverCreds.certPem, keyPem: serverCreds.keyPem, log: () => {},
    allow: new Map([['bench', { host: '127.0.0.1', port: backend.port }]]),
    clientFingerprint: clientCreds.fingerprintSha256,
  });
  t.after(() => srv.close());
  const base = {
    listen: { kind: 'tcp' as const, host: '127.0.0.1', port: 0 }, server: { host: '127.0.0.1', port: srv.port },
    token: 'bench', fingerprint: serverCreds.fingerprintSha256, log: () => {}, startupTimeoutMs: 2000,
  };

  const good = await TunnelClient.start({ ...base, certPem: clientCreds.certPem, keyPem: clientCreds.keyPem });
  t.after(() => good.close());
  const app = await connectTcp(good.port!);
  const got = readAll(app);
  app.end('with a client certificate');
  assert.equal((await got).toString(), 'with a client certificate');

  // Without a certificate the server's handshake fails; depending on timing the client sees
  // it at startup or on its first stream. Either way no byte reaches the backend.
  const before = backend.accepted;
  const openedBefore = srv.counters().streamsOpened;
  const bare = await TunnelClient.start(base).catch((e: Error) => e);
  if (bare instanceof Error) {
    t.diagnostic(`refused at startup: ${bare.message}`);
    assert.doesNotMatch(bare.message, /ECONNREFUSED|timed out/, 'refused by the handshake, not unreachable');
  } else {
    t.after(() => bare.close());
    // The client may reset the app's connection before our connect completes: also a refusal.
    const app2 = await connectTcp(bare.port!).catch(() => null);
    if (app2) {
      const got2: Buffer[] = [];
      app2.on('data', (d: Buffer) => got2.push(d));
      app2.on('error', () => {});
      app2.end('no certificate');
      await new Promise((r) => app2.once('close', r));
      assert.equal(Buffer.concat(got2).length, 0, 'nothing came back through a refused tunnel');
    }
    assert.equal(srv.counters().streamsOpened, openedBefore, 'the server opened no stream for it');
  }
  assert.equal(backend.accepted, before);
});

test('loopback tunnel helper cleans up when the client cannot start', async () => {
  const backend = await startBackend(echoHandler);
  try {
    const other = await generateCredentials();
    await assert.rejects(startLoopbackTunnel(backend.port, { client: { fingerprint: other.fingerprintSha256 } }), QuicCertificateError);
  } finally {
    await backend.close();
  }
});
