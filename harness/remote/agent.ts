// A remote endpoint agent: the same harness/agent/main.js and the same line-delimited JSON
// channel as a local one, carried by an ssh session on the host's multiplexed connection.
// The remote command is the agent wrapper (agent-wrapper.ts), which puts the agent in a
// process group of its own and kills that group when the session ends, the controller
// falls silent, or the agent exits. The controller side is harness/agent/controller.ts's Agent,
// unchanged: it only sees a child process with stdio pipes.
import { Agent, AGENT_NODE_FLAGS } from '../agent/controller.js';
import type { UndoStack } from '../core/undo.js';
import type { RemoteBench } from './install.js';
import { destination } from './inventory.js';
import { keepAlive, type SshHost } from './ssh.js';

export interface RemoteAgentOptions {
  /** The controller's keepalive period; the wrapper stops the agent after `idleExitMs` without one. @default 5000 */
  keepaliveMs?: number;
  /** @default 30000 (6 keepalives) */
  idleExitMs?: number;
  /** Time the agent gets to exit after its stdin closed, before its group is killed. @default 3000 */
  graceMs?: number;
}

/** argv of the remote session that runs an agent from the bench at `bench.root`. */
export function remoteAgentArgv(ssh: SshHost, bench: RemoteBench, o: RemoteAgentOptions = {}): string[] {
  return [
    ssh.placement.node,
    `${bench.root}/dist/harness/remote/agent-wrapper.js`,
    '--idle-exit-ms', String(o.idleExitMs ?? 30_000),
    '--grace-ms', String(o.graceMs ?? 3000),
    '--',
    ...AGENT_NODE_FLAGS,
    `${bench.root}/dist/harness/agent/main.js`,
  ];
}

/**
 * Start an agent on a remote host and register its stop on `undo`: the remote counterpart of
 * agent/controller.ts startAgent(role, netns, undo), returning the same Agent.
 */
export async function startRemoteAgent(role: string, host: { ssh: SshHost; bench: RemoteBench }, undo: UndoStack, o: RemoteAgentOptions = {}): Promise<Agent> {
  const child = host.ssh.spawn(remoteAgentArgv(host.ssh, host.bench, o));
  const agent = new Agent(`${role} [${destination(host.ssh.placement)}]`, child);
  const stopKeepalive = keepAlive(child, o.keepaliveMs ?? 5000);
  undo.push(`${role} agent on ${host.ssh.label}`, async () => {
    stopKeepalive();
    await agent.stop();
  });
  await agent.ready;
  return agent;
}
