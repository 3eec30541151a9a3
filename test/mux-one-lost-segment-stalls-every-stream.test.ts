// Head-of-line blocking, shown with real parts: bench's multiplexing framing (wire/mux.ts)
// on a real TCP connection between the lab's namespaces, over the real userspace emulator
// (100 ms RTT, no random loss), with exactly ONE TCP segment dropped: nftables in the client
// namespace drops the first server segment carrying more than 1000 bytes, once (a set
// remembers it), at prerouting, before the client's TCP sees it. For the sender that is a
// lost segment like any on a link (a drop on the sender's own output would be reported to
// its TCP instead, DESIGN.md).
//
// What it proves: 8 streams of one round each get a 1000-byte response, all in the first
// flight (under the initial window). The dropped segment is the first of the burst, so every
// stream has bytes after the gap. TCP delivers nothing past a gap, so no stream can complete
// before the retransmission: the original would have arrived one RTT after the requests;
// the receiver's duplicate ACKs reach the sender no earlier than half an RTT later and the
// retransmission arrives half an RTT after that, so every stream takes at least 2 RTT. That
// is a physical bound (the emulator never releases a packet early), not a timing guess.
// The same drop on 8 separate connections stalls one stream only: the contrast shows the
// bound is not met by every stream whatever the framing (so the test can fail).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startAgent } from '../harness/agent/controller.js';
import { generateCredentials } from '../harness/core/certs.js';
import { hasCommand, run } from '../harness/core/exec.js';
import { UndoStack } from '../harness/core/undo.js';
import { defOf } from '../harness/workloads/index.js';
import type { StreamsSamples, StreamsWorkload } from '../harness/workloads/streams.js';
import { labUp } from '../netem/lab.js';
import { point, skipUnlessRoot, testRunId } from './kit/testkit.js';

const skip = skipUnlessRoot();
const undo = new UndoStack();
after(() => undo.run());

const ONE_WAY_MS = 50;
const RTT_US = 2 * ONE_WAY_MS * 1000;

test('one lost TCP segment stalls every stream multiplexed on the connection, and only its own stream on separate connections', { skip, timeout: 120_000 }, async (t) => {
  assert.ok(await hasCommand('nft'), 'nft (Debian package nftables, in .ci/apt-packages) drops the chosen segment');
  const lab = await labUp({ runId: testRunId('th'), point: point({ delayMs: ONE_WAY_MS }), backend: 'userspace', congestionControl: 'cubic', seed: 1, undo });
  const [server, client] = await Promise.all([startAgent('server', lab.serverNs, undo), startAgent('client', lab.clientNs, undo)]);
  const creds = await generateCredentials();
  const { ports } = await server.request({ op: 'serve', host: lab.serverAddr, transports: ['tcp'], creds, idleTimeoutMs: 30_000 });
  const nft = (args: string[], input?: string): Promise<{ stdout: string }> => run('nft', args, { netns: lab.clientNs, input });
  // The lab's namespace is the lab's own: its ruleset goes with it.
  await nft(
    ['-f', '-'],
    `table ip bench_hol {
  set dropped { type ipv4_addr; flags dynamic; }
  chain in {
    type filter hook prerouting priority 0; policy accept;
    ip saddr ${lab.serverAddr} tcp sport ${ports.tcp} ip length > 1000 ip daddr != @dropped add @dropped { ip daddr } counter drop
  }
}`,
  );
  const dropped = async (): Promise<number> => Number(/counter packets (\d+)/.exec((await nft(['list', 'chain', 'ip', 'bench_hol', 'in'])).stdout)?.[1] ?? NaN);

  const round = async (mode: StreamsWorkload['mode']): Promise<{ completionsUs: number[]; dropped: number }> => {
    await nft(['flush', 'set', 'ip', 'bench_hol', 'dropped']);
    const before = await dropped();
    const problems: string[] = [];
    const w = defOf('streams').resolve({ mode, streams: 8, request: '100B', response: '1000B', rounds: 1 }, ['streams'], { add: (_p, m) => problems.push(m) });
    assert.deepEqual(problems, []);
    const out = await client.request({ op: 'run', transport: 'tcp', workload: w as StreamsWorkload, host: lab.serverAddr, port: ports.tcp, creds, seed: 7, timeoutMs: 30_000 });
    await client.request({ op: 'close' });
    assert.equal(out.status, 'ok', `${mode}: every request and response byte verified (${out.reason})`);
    const s = out.samples as StreamsSamples;
    assert.equal(s.streamCompletionUs?.length, 8, `${mode}: 8 streams completed`);
    return { completionsUs: [...s.streamCompletionUs!].sort((a, b) => a - b), dropped: (await dropped()) - before };
  };

  const mux = await round('multiplexed');

  assert.equal(mux.dropped, 1, 'exactly one segment was lost');
  const ms = (v: number[]): string => v.map((x) => (x / 1000).toFixed(0)).join(', ');
  // Every stream waited for the retransmission: none could complete in less than 2 RTT.
  assert.ok(mux.completionsUs[0] >= 2 * RTT_US, `multiplexed: stream completions ${ms(mux.completionsUs)} ms; every one should be >= ${(2 * RTT_US) / 1000} ms`);

  t.diagnostic(`multiplexed, one segment lost: streams completed at ${ms(mux.completionsUs)} ms (RTT ${RTT_US / 1000} ms)`);
  const conns = await round('connections');
  t.diagnostic(`separate connections, one segment lost: streams completed at ${ms(conns.completionsUs)} ms`);
  assert.equal(conns.dropped, 1, 'exactly one segment was lost');
  // The stream that lost its only segment waits at least as long (no later segment even
  // signals the loss); the other seven had nothing to wait for.
  assert.ok(conns.completionsUs[7] >= 2 * RTT_US, `connections: the stream that lost its segment took ${(conns.completionsUs[7] / 1000).toFixed(0)} ms`);
  assert.ok(conns.completionsUs[0] < 2 * RTT_US, `separate connections: stream completions ${ms(conns.completionsUs)} ms; the unaffected ones need no retransmission`);
});
