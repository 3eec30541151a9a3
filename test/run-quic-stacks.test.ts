// Real agents in a real lab (root): `bench run` drives echo and bulk through both QUIC stacks
// and both tunnels next to TCP, every byte verified by bench's workloads; each cell names its
// implementation, and a cell's counters describe what crossed the link: TCP retransmits only
// where TCP crossed it, QUIC counters where QUIC did (a tunnel's TCP is loopback).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchRun, skipUnlessRoot } from './kit/testkit.js';

const BULK_BYTES = 2_000_000;

test('quic, tunnel, quicgo-tunnel and quic-quicgo through bench run: byte-exact, labelled, counted per protocol', { skip: skipUnlessRoot(), timeout: 240_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-stacks-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { code, stderr, cell } = await benchRun(
    dir,
    `name: stacks
description: every QUIC stack and tunnel next to tcp, over a lossy link
link: { delay: 5ms, loss: 1%, rate: 50mbit }
transports: [tcp, quic, tunnel, quicgo-tunnel, quic-quicgo]
workloads:
  - echo: { payload: 64B, count: 100 }
  - bulk: { direction: download, bytes: 2MB }
repetitions: 1
timeout: 60s
`,
    { probes: 100, timeoutMs: 200_000 },
  );
  assert.equal(code, 0, `every cell ok or unsupported; stderr: ${stderr.slice(-800)}`);

  for (const transport of ['tcp', 'quic', 'tunnel', 'quicgo-tunnel']) {
    const echo = cell(transport, 'echo');
    assert.equal(echo.status, 'ok', `${transport} echo: ${echo.reason}`);
    assert.equal(echo.samples.rttUs?.length, 100);
    const bulk = cell(transport, 'bulk');
    assert.equal(bulk.status, 'ok', `${transport} bulk: ${bulk.reason}`);
    assert.equal(bulk.samples.bytes, BULK_BYTES, `${transport}: every byte arrived and was verified`);
  }
  // The interop cell: @matrixai/quic's client against the quic-go echo server.
  assert.equal(cell('quic-quicgo', 'echo').status, 'ok', cell('quic-quicgo', 'echo').reason ?? '');
  assert.equal(cell('quic-quicgo', 'echo').samples.rttUs?.length, 100);
  assert.equal(cell('quic-quicgo', 'bulk').status, 'unsupported');

  // Every QUIC figure names its implementation, and the two stacks are told apart.
  assert.match(cell('quic', 'bulk').implementation, /^@matrixai\/quic \S+ \(quiche\)$/);
  assert.match(cell('tunnel', 'bulk').implementation, /^bench tunnel over @matrixai\/quic/);
  assert.match(cell('quicgo-tunnel', 'bulk').implementation, /^quic-go \S+ go\S+ tunnel/);
  assert.match(cell('quic-quicgo', 'echo').implementation, /^@matrixai\/quic client -> quic-go \S+ go\S+ echo server$/);

  // Counters describe the link's protocol and come from each end: a download's data is the
  // server's, so the server end counts it; TCP segments where TCP crossed the link, QUIC
  // packets where QUIC did, never (loopback) TCP segments for a tunnel.
  const tcpBulk = cell('tcp', 'bulk').counters;
  assert.equal(tcpBulk?.sender, 'server');
  assert.ok(tcpBulk?.server?.protocol === 'tcp' && tcpBulk.server.outSegs > 0, 'tcp cells count TCP segments at the sending server');
  assert.ok(tcpBulk?.client?.protocol === 'tcp', 'and at the client');
  for (const transport of ['quic', 'tunnel', 'quicgo-tunnel']) {
    const c = cell(transport, 'bulk').counters;
    assert.equal(c?.sender, 'server');
    for (const end of ['client', 'server'] as const) {
      const e = c?.[end];
      assert.ok(e?.protocol === 'quic', `${transport}: QUIC counters at the ${end}, no TCP (its TCP never crossed the link)`);
      assert.ok(e.stats.packetsSent > 0, `${transport}: the ${end} counted its packets`);
    }
    // The sender sends far more than the receiver (its ACKs): the two ends are told apart.
    assert.ok(c!.server!.protocol === 'quic' && c!.client!.protocol === 'quic' && c!.server!.stats.packetsSent > c!.client!.stats.packetsSent, `${transport}: the server sent the data`);
  }
  // The tunnels' endpoints: bench's agent and the tunnel process on each side, both measured.
  for (const transport of ['tunnel', 'quicgo-tunnel']) {
    const cpu = cell(transport, 'bulk').cpu;
    assert.ok(cpu?.client?.busiestFraction !== undefined, `${transport}: the client side is two processes`);
  }
});
