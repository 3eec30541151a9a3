// The tunnel transport as the run engine uses it: both endpoints started as processes
// (here without namespaces, on loopback), a workload stream through the client endpoint,
// counters read over SIGUSR1, and everything gone after undo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generateCredentials } from '../harness/certs.js';
import { UndoStack } from '../harness/undo.js';
import { echoHandler, startBackend } from '../harness/tunnel/loopback.js';
import { standUpTunnel, tunnelClient } from '../harness/transports/tunnel.js';

test('tunnel transport: stood-up endpoint processes carry a workload stream and report counters', async (t) => {
  const undo = new UndoStack();
  t.after(() => undo.run());
  const backend = await startBackend(echoHandler);
  undo.push('backend', () => backend.close());
  const tun = await standUpTunnel({
    undo, creds: await generateCredentials(),
    backend: { host: '127.0.0.1', port: backend.port },
    serverListen: { host: '127.0.0.1', port: 0 },
  });
  assert.match(tunnelClient.implementation, /^bench tunnel over @matrixai\/quic /);

  const session = await tunnelClient.connect(tun.client, await generateCredentials(), { noDelay: true });
  const s = await session.openStream();
  const payload = randomBytes(30_000);
  const bufs: Buffer[] = [];
  s.on('data', (d: Buffer) => bufs.push(d));
  const ended = new Promise((r) => s.once('end', r));
  s.end(payload);
  await ended;
  await session.close();
  assert.ok(Buffer.concat(bufs).equals(payload));

  const { client, server } = await tun.counters();
  assert.equal(client.bytesUp, payload.length);
  assert.equal(server.bytesDown, payload.length);
  assert.ok(client.packetsSent! > 0);

  const pids = [tun.clientPid, tun.serverPid];
  assert.deepEqual(await undo.run(), []);
  for (const pid of pids) assert.throws(() => process.kill(pid!, 0), /ESRCH/, `process ${pid} is gone after undo`);
});
