// Runs on a remote host as an ssh session's command, in one of two roles:
//   node agent-wrapper.js [--idle-exit-ms N] [--grace-ms N] -- <node args of the agent...>
//   node agent-wrapper.js [--idle-exit-ms N] --hold <bundle dir>
//   node agent-wrapper.js [--idle-exit-ms N] [--grace-ms N] --sh <command line>
// In front of an agent, it starts the agent in a session (and process group) of its own, so
// that everything the agent starts (tunnel endpoints, external subjects) can be killed as one
// group, and kills that group when the controller is gone:
// - stdin closes (bench stopped the agent, bench was killed, the ssh client or the
//   connection died and sshd closed the session): the agent gets EOF and `grace-ms` to exit
//   by itself, then the group is killed;
// - nothing arrived on stdin for `idle-exit-ms` (a path that died silently: sshd notices only
//   when TCP gives up, minutes to hours later); the controller sends an empty line every few
//   seconds as a keepalive, which the wrapper drops;
// - the agent exits: its leftover children are killed and the wrapper exits with its status;
// - SIGHUP / SIGTERM / SIGINT to the wrapper.
// With --sh, it runs a subject's command (a tunnel endpoint, the quic-go server) the same way
// instead of an agent: `sh -c 'exec <command>'` in its own group, its pid announced first on
// stdout ("bench-wrapper: pid N", for CPU readings on this host), its stdin a pipe that closes
// when the controller is gone, SIGTERM to its group then, and a controller line
// "signal SIGUSR1" relayed to it (the counters request of bench tunnel and the quic-go subject;
// signalling the ssh client instead would end the session).
// With --hold, it runs no agent: it holds a pushed bundle for the whole run (agents come and
// go per lab point) and removes it on the same signs that the controller is gone, so a killed
// bench leaves no files behind either.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

interface Options {
  idleExitMs: number;
  graceMs: number;
  hold: string | null;
  sh: string | null;
  agentArgs: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { idleExitMs: 0, graceMs: 3000, hold: null, sh: null, agentArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      o.agentArgs = argv.slice(i + 1);
      break;
    }
    const v = argv[++i];
    if (a === '--idle-exit-ms') o.idleExitMs = Number(v);
    else if (a === '--grace-ms') o.graceMs = Number(v);
    else if (a === '--hold') o.hold = v;
    else if (a === '--sh') o.sh = v;
    else throw new Error(`agent-wrapper: unknown option ${a}`);
  }
  if (!o.hold && !o.sh && !o.agentArgs.length) throw new Error('agent-wrapper: nothing to do (give the agent after --, --sh <command> or --hold <dir>)');
  if (o.hold && !o.hold.startsWith('/')) throw new Error('agent-wrapper: --hold takes an absolute path');
  return o;
}

/** Call `onGone(why)` once the controller is gone: stdin closed or failed, silent for too long, or a signal. */
function watchController(o: Options, forward: (lines: string[]) => void, onGone: (why: string) => void): void {
  let idle: NodeJS.Timeout | null = null;
  const armIdle = (): void => {
    if (!o.idleExitMs) return;
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => onGone(`no word from the controller for ${o.idleExitMs} ms`), o.idleExitMs);
  };
  armIdle();
  let partial = '';
  process.stdin.on('data', (b: Buffer) => {
    armIdle();
    const lines = (partial + b.toString()).split('\n');
    partial = lines.pop()!;
    // An empty line is the controller's keepalive: it stays here.
    const out = lines.filter((l) => l.length > 0);
    if (out.length) forward(out);
  });
  process.stdin.on('end', () => onGone('stdin closed'));
  process.stdin.on('error', () => onGone('stdin failed'));
  for (const sig of ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGPIPE'] as const) process.on(sig, () => onGone(sig));
  // Writing a log line to a closed session must not kill the wrapper before it has cleaned up.
  process.stderr.on('error', () => undefined);
  process.stdout.on('error', () => undefined);
}

function hold(o: Options, dir: string): void {
  if (!existsSync(dir)) throw new Error(`agent-wrapper: nothing to hold at ${dir}`);
  watchController(o, () => undefined, () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
  process.stdout.write(`${JSON.stringify({ holding: dir })}\n`);
}

/** Signals a controller may relay to a command: only those its programs are known to handle. */
const RELAYED = new Set(['SIGUSR1']);

function runAgent(o: Options): void {
  // detached: setsid(), so the agent leads a new session and process group (pgid = its pid).
  const child: ChildProcess = o.sh
    ? spawn('sh', ['-c', `exec ${o.sh}`], { detached: true, stdio: ['pipe', 'inherit', 'inherit'] })
    : spawn(process.execPath, o.agentArgs, { detached: true, stdio: ['pipe', 'inherit', 'inherit'] });
  const pgid = child.pid!;
  // Written synchronously (stdout is a pipe): the controller reads it before the command's output.
  if (o.sh) process.stdout.write(`bench-wrapper: pid ${pgid}\n`);
  let exiting = false;
  let stopping = false;
  const finish = (code: number): void => {
    if (exiting) return;
    exiting = true;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* the group is empty */
    }
    process.exit(code);
  };
  child.on('exit', (code, signal) => finish(code ?? (signal ? 128 : 1)));
  child.on('error', (err) => {
    process.stderr.write(`agent-wrapper: cannot start the agent: ${err.message}\n`);
    finish(127);
  });
  child.stdin!.on('error', () => undefined);
  const relay = (lines: string[]): void => {
    for (const l of lines) {
      const sig = /^signal (SIG[A-Z0-9]+)$/.exec(l)?.[1];
      if (sig && RELAYED.has(sig)) {
        try {
          process.kill(pgid, sig as NodeJS.Signals);
        } catch {
          /* gone: its exit is reported */
        }
      }
    }
  };
  watchController(
    o,
    o.sh ? relay : (lines) => child.stdin!.write(`${lines.join('\n')}\n`),
    (why) => {
      if (stopping || exiting) return;
      stopping = true;
      process.stderr.write(`agent-wrapper: ${why}; stopping the ${o.sh ? 'command' : 'agent'} (pgid ${pgid})\n`);
      child.stdin!.end();
      if (o.sh) {
        try {
          process.kill(-pgid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
      setTimeout(() => finish(0), o.graceMs).unref();
    },
  );
}

const opts = parseArgs(process.argv.slice(2));
if (opts.hold) hold(opts, opts.hold);
else runAgent(opts);
