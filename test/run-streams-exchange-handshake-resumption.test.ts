// The workloads that test QUIC's claims, through `bench run` in a real lab (root): streams
// multiplexed on one connection and on separate connections, request/response exchanges,
// handshakes counted in round trips, and the resumed second connection, over tcp, tls,
// quic, the quic-go tunnel and quic-go at both ends, on a lossy link. Every request and
// response byte is verified by the workloads themselves (a bad byte fails the cell); here
// every cell must be ok or `unsupported` with its reason, and complete. Timings are checked
// against physical lower bounds only: no setup can take fewer round trips than its protocol
// needs on a link whose delay the emulator never shortens.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchRun, skipUnlessRoot } from './kit/testkit.js';

const ONE_WAY_MS = 10;
const RTT_US = 2 * ONE_WAY_MS * 1000;

test('streams, exchange, handshake and resumption through bench run: byte-exact, counted in round trips, unsupported where a stack cannot', { skip: skipUnlessRoot(), timeout: 300_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-claims-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { code, stderr, result, cell } = await benchRun(
    dir,
    `name: claims
description: the workloads of QUIC's claims, small, over a lossy link
link: { delay: ${ONE_WAY_MS}ms, loss: 1% }
transports: [tcp, tls, quic, quicgo-tunnel, quicgo]
workloads:
  - streams: { mode: multiplexed, streams: 4, request: 100B, response: 8KB, rounds: 3 }
  - streams: { mode: connections, streams: 4, request: 100B, response: 8KB, rounds: 3 }
  - exchange: { request: 1000B, response: 20KB, count: 10 }
  - handshake: { count: 3 }
  - resumption: { count: 2 }
repetitions: 1
timeout: 60s
`,
    { probes: 100, timeoutMs: 280_000 },
  );
  assert.equal(code, 0, `every cell ok or unsupported; stderr: ${stderr.slice(-800)}`);
  const of = (transport: string, workload: string) => {
    const c = result.cells.find((x) => x.transport === transport && x.workload === workload);
    assert.ok(c, `cell ${transport}/${workload}`);
    return c;
  };

  for (const transport of ['tcp', 'tls', 'quic', 'quicgo-tunnel']) {
    for (const w of ['streams-mux4-100B-8KB-r3', 'streams-conns4-100B-8KB-r3']) {
      const c = of(transport, w);
      assert.equal(c.status, 'ok', `${transport} ${w}: ${c.reason}`);
      assert.equal(c.samples.streamCompletionUs?.length, 4 * 3, `${transport} ${w}: every stream of every round completed, its bytes verified`);
      // A round is a request up and a response down: no stream completes within less than one RTT.
      assert.ok(Math.min(...c.samples.streamCompletionUs!) >= RTT_US, `${transport} ${w}: ${c.samples.streamCompletionUs}`);
      assert.ok(c.metrics.spreadP50Us! >= 0 && c.metrics.roundP50Us! >= c.metrics.firstStreamP50Us!);
    }
    const ex = cell(transport, 'exchange');
    assert.equal(ex.status, 'ok', `${transport} exchange: ${ex.reason}`);
    assert.equal(ex.samples.exchangeUs?.length, 10);
    assert.ok(ex.metrics.exchangeSeriesUs! >= 10 * RTT_US, `${transport}: 10 exchanges take at least 10 RTT`);
  }
  // quic-go at both ends runs only series of connection setups.
  assert.equal(cell('quicgo', 'streams').status, 'unsupported');
  assert.match(cell('quicgo', 'exchange').reason ?? '', /only series of connection setups/);

  // Handshakes: each setup takes at least the round trips its transport's facts expect.
  for (const transport of ['tcp', 'tls', 'quic', 'quicgo']) {
    const hs = cell(transport, 'handshake');
    assert.equal(hs.status, 'ok', `${transport} handshake: ${hs.reason}`);
    const expected = result.transports?.[transport]?.handshake?.expectedRoundTrips;
    assert.ok(expected !== undefined && expected >= 1, `${transport}: the result records its expected setup round trips`);
    assert.ok(Math.min(...hs.samples.setupUs!) >= expected * RTT_US, `${transport}: setups ${hs.samples.setupUs} us, at least ${expected} RTT`);
    assert.ok(Math.min(...hs.samples.handshakeUs!) >= (expected + 1) * RTT_US, `${transport}: first echoed byte one round trip after setup`);
    assert.ok(hs.metrics.setupRoundTrips! > 0, `${transport}: the setup is counted in round trips of the calibrated RTT`);
  }
  // @matrixai/quic's stateless Retry is a fact of the transport: one more than QUIC promises.
  assert.deepEqual({ ...result.transports?.quic?.handshake, note: undefined }, { promisedRoundTrips: 1, expectedRoundTrips: 2, note: undefined });
  // A tunnel keeps its QUIC connection: a TCP connection through it is accepted locally.
  assert.equal(result.transports?.['quicgo-tunnel']?.handshake?.expectedRoundTrips, 0);

  // Resumption: tls resumes (no early data in node:tls), quic-go resumes with 0-RTT.
  const tls = cell('tls', 'resumption');
  assert.equal(tls.status, 'ok', tls.reason ?? '');
  assert.equal(tls.metrics.resumedPct, 100, 'every second TLS connection resumed its ticket');
  assert.equal(tls.metrics.earlyDataPct, 0);
  const qg = cell('quicgo', 'resumption');
  assert.equal(qg.status, 'ok', qg.reason ?? '');
  assert.equal(qg.metrics.resumedPct, 100, 'every second quic-go connection resumed');
  assert.equal(qg.metrics.earlyDataPct, 100, 'and sent its request as 0-RTT data');
  for (const r of qg.samples.secondConnections!) assert.ok(r.firstByteUs >= RTT_US, `0-RTT still needs one round trip for the answer: ${r.firstByteUs} us`);
  assert.match(cell('quic', 'resumption').reason ?? '', /setSession/);
  assert.match(cell('tcp', 'resumption').reason ?? '', /no session to resume/);
  assert.equal(cell('quicgo-tunnel', 'resumption').status, 'unsupported');
});
