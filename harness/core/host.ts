// Host facts recorded in every result, so a figure can always be traced to its machine.
import os from 'node:os';
import { run } from './exec.js';
import type { HostFacts } from './types.js';

async function firstLine(file: string, args: string[]): Promise<string | null> {
  try {
    const r = await run(file, args, { reject: false, timeoutMs: 5000 });
    const line = (r.stdout || r.stderr).split('\n')[0].trim();
    return r.exitCode === 0 && line ? line : null;
  } catch {
    return null;
  }
}

export async function hostFacts(): Promise<HostFacts> {
  const tools: Record<string, string> = { openssl: process.versions.openssl };
  const probes: [string, string, string[]][] = [
    ['ip', 'ip', ['-V']],
    ['tc', 'tc', ['-V']],
    ['cc', 'cc', ['--version']],
  ];
  for (const [name, file, args] of probes) {
    const v = await firstLine(file, args);
    if (v) tools[name] = v;
  }
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    kernel: `${os.type()} ${os.release()}`,
    platform: os.platform(),
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memBytes: os.totalmem(),
    node: process.version,
    tools,
  };
}
