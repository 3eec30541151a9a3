// Subjects made of extra processes: bench's own TCP-over-QUIC tunnel, and transports a
// scenario defines by external commands.
import type { Subject, SubjectEnv } from './subjects.js';
import type { CommandTransport } from './types.js';

export async function tunnelSubject(_env: SubjectEnv): Promise<Subject> {
  return unavailable('bench tunnel is not wired into the lab in this build');
}

export async function commandSubject(t: CommandTransport, _env: SubjectEnv): Promise<Subject> {
  return unavailable(`command-defined transports (${t.name}) are not supported in this build`);
}

function unavailable(reason: string): Subject {
  return {
    implementation: 'n/a',
    unsupported: () => reason,
    clientPids: () => [],
    serverPids: () => [],
    run: () => Promise.reject(new Error(reason)),
  };
}
