// Which kernel modules the lab backends need, and whether this kernel has or can load them
// (for `bench doctor`). A minimal system (a VM without systemd, a container host) may ship
// sch_netem as a module yet fail to load it on demand because the kernel's modprobe helper
// is missing, and then `tc qdisc add ... netem` only says "Unknown qdisc".
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { release } from 'node:os';

/** Modules per backend: sch_netem and veth for netem (router namespace), tun for userspace. */
export const LAB_MODULES = ['sch_netem', 'veth', 'tun'] as const;

export type ModuleState = 'loaded' | 'built-in' | 'loadable' | 'missing' | 'unknown';

async function exists(path: string, mode = constants.F_OK): Promise<boolean> {
  return access(path, mode).then(
    () => true,
    () => false,
  );
}

/** A module name as modules.dep / modules.builtin spell it (- and _ are the same to the kernel). */
function listed(text: string, name: string): boolean {
  const file = name.replace(/[-_]/g, '[-_]');
  return new RegExp(`(^|/)${file}\\.ko(\\.[a-z]+)?(:|$)`, 'm').test(text);
}

/** Where to look; parameters so a test can point them at fixtures. */
export interface ModulePaths {
  kernel: string;
  /** /lib/modules/<kernel> */
  dir: string;
  /** /sys/module */
  sysModule: string;
}

export function hostModulePaths(kernel = release()): ModulePaths {
  return { kernel, dir: `/lib/modules/${kernel}`, sysModule: '/sys/module' };
}

export async function moduleState(name: string, paths = hostModulePaths()): Promise<ModuleState> {
  // Loaded modules (and built-ins with parameters) appear in /sys/module.
  if (await exists(`${paths.sysModule}/${name}`)) return 'loaded';
  const dir = paths.dir;
  const builtin = await readFile(`${dir}/modules.builtin`, 'utf8').catch(() => null);
  if (builtin !== null && listed(builtin, name)) return 'built-in';
  const dep = await readFile(`${dir}/modules.dep`, 'utf8').catch(() => null);
  if (dep !== null) return listed(dep, name) ? 'loadable' : 'missing';
  return 'unknown';
}

/** Why the kernel cannot load a module on demand, or null when it can. */
export async function autoloadProblem(): Promise<string | null> {
  const path = (await readFile('/proc/sys/kernel/modprobe', 'utf8').catch(() => '')).trim();
  if (!path) return 'this kernel does not load modules on demand (no /proc/sys/kernel/modprobe)';
  if (!(await exists(path, constants.X_OK))) return `the kernel's module loader ${path} is missing`;
  return null;
}

export interface ModulesCheck {
  ok: boolean;
  detail: string;
  fix: string | null;
  /**
   * Only a loader that cannot run is a fault; a module the kernel lacks just rules out the
   * backend that needs it (doctor's netem and tun lines say whether that matters).
   */
  optional: boolean;
}

/** One doctor line for LAB_MODULES: each one's state, and what to do when one cannot be had. */
export async function checkModules(paths = hostModulePaths(), autoload: string | null = null): Promise<ModulesCheck> {
  const kernel = paths.kernel;
  const states = await Promise.all(LAB_MODULES.map(async (m) => [m, await moduleState(m, paths)] as const));
  const missing = states.filter(([, s]) => s === 'missing').map(([m]) => m);
  const stuck = autoload ? states.filter(([, s]) => s === 'loadable').map(([m]) => m) : [];
  const detail = states.map(([m, s]) => `${m} ${s}`).join(', ');
  if (states.every(([, s]) => s === 'unknown')) {
    return { ok: true, detail: `no module list for kernel ${kernel} (${paths.dir}): features are built in or absent; the probes here tell which`, fix: null, optional: true };
  }
  if (stuck.length) {
    return { ok: false, detail: `${detail}; ${autoload}, so ${stuck.join(', ')} will not load when needed`, fix: `apt-get install kmod, or load them now: modprobe -a ${stuck.join(' ')}`, optional: false };
  }
  if (missing.length) {
    return { ok: false, detail, fix: `kernel ${kernel} lacks ${missing.join(', ')}: on Ubuntu install linux-modules-extra-${kernel}; elsewhere the backend that needs it is unavailable`, optional: true };
  }
  return { ok: true, detail, fix: null, optional: true };
}
