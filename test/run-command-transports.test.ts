// Held-out style (root, a real lab): transports bench did not write, declared by command as a
// user would. A socat relay that drops half-close (`ignoreeof`: the client's FIN is never
// forwarded, as quic-tun and many relays do) and the quic-go tunnel declared as a command
// carrying QUIC with its stats channel: echo, uploads (of known and of unknown length) and a
// download all complete with every byte verified, since no transfer needs a half-close; the
// halfclose workload tells the two apart; counters come from the end that sent the data, in
// the declared protocol (never the relays' loopback TCP).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { QUICGO_BIN } from '../harness/core/native.js';
import type { CellResult } from '../harness/results/types.js';
import { quicGoVersion } from '../harness/subjects/quicgo.js';
import { renderHtmlReport } from '../reports/html.js';
import { benchRun, skipUnlessRoot } from './kit/testkit.js';

const UP_BYTES = 300_000;
const DOWN_BYTES = 300_000;

function skip(): string | false {
  return skipUnlessRoot() || (quicGoVersion() ? false : 'the quic-go subject is not built (golang-go and quic-go missing)');
}

test('a socat relay without half-close and the quic-go tunnel as a command: every workload byte-exact, counters at the sending end', { skip: skip(), timeout: 300_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-cmd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { code, stderr, result, cell } = await benchRun(
    dir,
    `name: command-transports
description: transports declared by command, one that drops half-close
link: { delay: 2ms, loss: 1% }
transports:
  - name: socat-nofin
    implementation: socat 1.7.4 (ignoreeof)
    server: "socat TCP-LISTEN:{serverPort},bind={serverAddr},fork,reuseaddr TCP:{targetAddr}:{targetPort}"
    client: "socat TCP-LISTEN:{clientPort},bind={clientAddr},fork,reuseaddr,ignoreeof TCP:{serverAddr}:{serverPort}"
  - name: quicgo-cmd
    implementation: quic-go tunnel (declared by command)
    carries: quic
    stats: sigusr1
    server: "${QUICGO_BIN} tunnel-server --exit-on-stdin-eof --listen {serverAddr}:{serverPort} --cert {certFile} --key {keyFile} --allow {token}={targetAddr}:{targetPort}"
    client: "${QUICGO_BIN} tunnel-client --exit-on-stdin-eof --listen {clientAddr}:{clientPort} --server {serverAddr}:{serverPort} --fingerprint {fingerprint} --token {token}"
workloads:
  - echo: { payload: 64B, count: 100 }
  - bulk: { direction: upload, bytes: 300KB }
  - bulk: { direction: upload, duration: 1s }
  - bulk: { direction: download, bytes: 300KB }
  - halfclose: { wait: 2s }
repetitions: 1
timeout: 30s
`,
    { probes: 100, timeoutMs: 240_000 },
  );
  assert.equal(code, 0, `every cell ok; stderr: ${stderr.slice(-800)}`);
  const find = (transport: string, workload: string): CellResult => {
    const c = result.cells.find((x) => x.transport === transport && x.workload.startsWith(workload));
    assert.ok(c, `${transport} ${workload}`);
    return c;
  };

  for (const name of ['socat-nofin', 'quicgo-cmd']) {
    for (const c of result.cells.filter((x) => x.transport === name)) assert.equal(c.status, 'ok', `${c.id}: ${c.reason}`);
    assert.equal(cell(name, 'echo').samples.rttUs?.length, 100, `${name}: every exchange verified`);
    assert.equal(find(name, 'bulk-upload-300KB').samples.bytes, UP_BYTES, `${name}: an upload of known length ends at its length`);
    const open = find(name, 'bulk-upload-1000ms').samples;
    assert.ok(open.bytes! > 0 && open.bytes === open.sentBytes, `${name}: an upload of unknown length ends at its end frame, every byte sent verified`);
    assert.equal(find(name, 'bulk-download').samples.bytes, DOWN_BYTES, `${name}: a download ends at its length`);
  }
  // The relay ignores the client's EOF: it carries no half-close; the QUIC tunnel does.
  assert.equal(cell('socat-nofin', 'halfclose').metrics.halfCloseCarried, 0);
  assert.ok(cell('socat-nofin', 'halfclose').warnings.some((w) => w.code === 'no-half-close'));
  assert.equal(cell('quicgo-cmd', 'halfclose').metrics.halfCloseCarried, 1);

  // A relay carries TCP: each end counts its link-facing sockets, not its loopback legs.
  for (const [workload, sender] of [['bulk-upload-300KB', 'client'], ['bulk-download', 'server']] as const) {
    const c = find('socat-nofin', workload).counters;
    assert.equal(c?.sender, sender);
    const s = c?.[sender];
    const other = c?.[sender === 'client' ? 'server' : 'client'];
    assert.ok(s?.protocol === 'tcp' && s.scope === 'link-sockets' && other?.protocol === 'tcp', `socat ${workload}: TCP of the link sockets at both ends`);
    // 300 KB is at least 207 full segments; the sockets closed within the cell count too.
    assert.ok(s.outSegs >= 200 && s.outSegs < 2000, `socat ${workload}: the ${sender} sent the data (${s.outSegs} segments)`);
    assert.ok(other.outSegs < s.outSegs, `socat ${workload}: the receiver sent less`);
  }
  // The QUIC tunnel declared by command: QUIC counters from both endpoints, the sender's larger.
  for (const [workload, sender] of [['bulk-upload-300KB', 'client'], ['bulk-download', 'server']] as const) {
    const c = find('quicgo-cmd', workload).counters;
    const s = c?.[sender];
    const other = c?.[sender === 'client' ? 'server' : 'client'];
    assert.ok(s?.protocol === 'quic' && other?.protocol === 'quic', `quicgo-cmd ${workload}: QUIC at both ends, no TCP`);
    assert.ok(s.stats.packetsSent >= 200 && s.stats.packetsSent > other.stats.packetsSent, `quicgo-cmd ${workload}: the ${sender} sent the data`);
    assert.equal(s.implementation, 'quic-go tunnel (declared by command)');
    assert.equal(s.settings.implementation, 'quic-go', 'its settings line was recorded');
  }
  // The declaration reaches the reports: a QUIC implementation, its settings table.
  assert.equal(result.transports?.['quicgo-cmd']?.carries, 'quic');
  assert.equal(result.transports?.['socat-nofin']?.carries, 'tcp');
  const page = renderHtmlReport([result], { chartJs: '' });
  const impls = /<b>QUIC implementations<\/b>(.*?)<\/div>/s.exec(page)?.[1] ?? '';
  assert.match(impls, /quic-go tunnel \(declared by command\)/);
  assert.doesNotMatch(impls, /socat/);
  assert.match(page, /<code>congestionControl<\/code>/, 'the QUIC settings table has the subject\'s settings');
});
