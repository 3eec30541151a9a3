// The calibration probe counts what its own socket dropped (the kernel's per-socket `drops`
// in /proc/net/udp), so a stalled probe process is told apart from link loss, and no other
// program's drops on a shared host are counted. Loopback only; no root needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const AGENT = fileURLToPath(new URL('../netem/probe-agent.js', import.meta.url));

test('probe server: every datagram sent while it was stopped is either received or counted as a socket drop', async (t) => {
  const srv = spawn(process.execPath, [AGENT, 'server', '--bind', '127.0.0.1'], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => void srv.kill('SIGKILL'));
  const lines = createInterface({ input: srv.stdout! });
  const next = (event: string): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      const on = (l: string): void => {
        const o = JSON.parse(l) as Record<string, unknown>;
        if (o.event !== event) return;
        lines.off('line', on);
        resolve(o);
      };
      lines.on('line', on);
    });
  const { port } = (await next('ready')) as { port: number };

  const sock = createSocket('udp4');
  t.after(() => sock.close());
  sock.connect(port, '127.0.0.1');
  await once(sock, 'connect');
  sock.on('message', () => {}); // the echoes
  srv.kill('SIGSTOP'); // a probe process stalled by a busy host
  const SENT = 20_000; // 1 KB each: far more than its receive buffer holds
  const payload = Buffer.alloc(1000);
  for (let i = 0; i < SENT; i++) {
    const b = Buffer.from(payload);
    b.writeUInt32BE(i, 0);
    await new Promise<void>((r) => sock.send(b, () => r()));
  }
  srv.kill('SIGCONT');
  // Ask until it has read what its buffer kept (at most 10 s on a busy host).
  let report = { received: 0, drops: 0 };
  for (let i = 0; i < 100 && report.received + report.drops < SENT; i++) {
    if (i) await new Promise((r) => setTimeout(r, 100));
    srv.stdin!.write('report\n');
    report = (await next('report')) as typeof report;
  }
  assert.ok(report.drops > 0, `the stall overflowed the socket: ${JSON.stringify({ received: report.received, drops: report.drops })}`);
  assert.equal(report.received + report.drops, SENT, 'nothing else was lost on loopback');
});
