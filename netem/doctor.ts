// What `bench doctor` checks: can this machine build a lab, with which backend, and what is
// missing (each with its fix). Returns data; harness/commands/doctor.ts prints it.
import { EMULATOR_BIN, NATIVE_BUILD_HINT } from '../harness/core/native.js';
import { hasCommand, run } from '../harness/core/exec.js';
import type { BackendName } from '../harness/core/types.js';
import { probeNetem } from './backend-netem.js';
import { autoloadProblem, checkModules, hostModulePaths } from './kernel-modules.js';
import { emulatorBuilt, isRoot, resolveBackend, tunUsable } from './lab.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** How to fix it when not ok. */
  fix: string | null;
  /** Missing but not needed for a lab (reference tools, browsers). */
  optional: boolean;
}

export interface DoctorReport {
  checks: Check[];
  /** What `--backend auto` would pick, or null when no impairing backend is usable. */
  auto: { backend: BackendName; reason: string } | null;
  autoProblem: string | null;
  usable: boolean;
}

const TOOLS: { cmd: string[]; what: string; fix: string }[] = [
  { cmd: ['iperf3'], what: 'reference TCP throughput tool', fix: 'apt-get install iperf3' },
  { cmd: ['sockperf'], what: 'reference latency tool', fix: 'apt-get install sockperf' },
  { cmd: ['socat'], what: 'plain relay for command-defined transports', fix: 'apt-get install socat' },
  { cmd: ['chromium', 'chromium-browser', 'google-chrome'], what: 'headless browser for report tests', fix: 'apt-get install chromium' },
  { cmd: ['go'], what: 'builds the quic-go reference subject', fix: `apt-get install golang-go golang-github-lucas-clemente-quic-go-dev, then ${NATIVE_BUILD_HINT}` },
];

async function firstCommand(cmds: string[]): Promise<string | null> {
  for (const c of cmds) if (await hasCommand(c)) return c;
  return null;
}

export async function doctor(): Promise<DoctorReport> {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string, fix: string | null, optional = false): void => {
    checks.push({ name, ok, detail, fix: ok ? null : fix, optional });
  };
  const root = isRoot();
  add('root', root, root ? 'running as root' : `running as uid ${process.getuid?.()}`, 'run bench with sudo (labs need namespaces, TUN devices and tc); --backend loopback works without root');
  const ip = await hasCommand('ip');
  add('ip', ip, ip ? 'iproute2 ip found' : 'ip not found', 'apt-get install iproute2');
  const tc = await hasCommand('tc');
  add('tc', tc, tc ? 'tc found' : 'tc not found', 'apt-get install iproute2');
  const ethtool = await hasCommand('ethtool');
  add('ethtool', ethtool, ethtool ? 'ethtool found (turns TSO/GSO/GRO off on lab links)' : 'ethtool not found', 'apt-get install ethtool');

  if (ip) {
    // A system without an init that configures it (a minimal VM, some containers) starts
    // with lo down; the loopback backend and anything bound to 127.0.0.1 then fail.
    const lo = await run('ip', ['-o', 'link', 'show', 'dev', 'lo'], { reject: false });
    const up = /<[^>]*\bUP\b[^>]*>/.test(lo.stdout);
    add('lo', up, up ? 'loopback interface lo is up' : `loopback interface lo is down or missing${lo.stderr ? `: ${lo.stderr.trim()}` : ''}`, 'ip link set lo up');
  }
  const mods = await checkModules(hostModulePaths(), await autoloadProblem());
  add('modules', mods.ok, mods.detail, mods.fix, mods.optional);
  if (root && ip && tc) {
    const p = await probeNetem();
    add('netem', p.ok, p.detail, 'WSL2 and Docker Desktop kernels lack sch_netem; the userspace backend will be used (or install the kernel module: modprobe sch_netem, package linux-modules-extra-$(uname -r))', true);
  } else {
    add('netem', false, 'not probed (needs root, ip and tc)', 'run `sudo bench doctor` to probe sch_netem', true);
  }
  // The same checks the userspace backend makes before it starts (netem/lab.ts).
  const tun = (await tunUsable()) === null;
  add('tun', tun, tun ? '/dev/net/tun is usable' : '/dev/net/tun is missing or not accessible', 'load the tun module (modprobe tun), or give the container --device /dev/net/tun --cap-add NET_ADMIN');
  const built = (await emulatorBuilt()) === null;
  add('emulator', built, built ? `link emulator built (${EMULATOR_BIN})` : `link emulator not built (${EMULATOR_BIN})`, `${NATIVE_BUILD_HINT} (needs a C compiler: apt-get install gcc libc6-dev)`);
  const cc = await hasCommand(process.env.CC ?? 'cc');
  add('cc', cc || built, cc ? 'C compiler found' : 'no C compiler', 'apt-get install gcc', built);

  for (const t of TOOLS) {
    const found = await firstCommand(t.cmd);
    add(t.cmd[0], found !== null, found ? `${found} found (${t.what})` : `${t.cmd.join('/')} not found (${t.what})`, t.fix, true);
  }

  let auto: DoctorReport['auto'] = null;
  let autoProblem: string | null = null;
  if (!ip || !ethtool) autoProblem = 'ip and ethtool are required for any lab';
  else {
    try {
      auto = await resolveBackend('auto');
    } catch (err) {
      autoProblem = (err as Error).message;
    }
  }
  return { checks, auto, autoProblem, usable: auto !== null };
}
