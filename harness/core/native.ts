// Where the native parts live: built from source at install (harness/dev/build-native.ts),
// found here by the lab (the emulator) and the quic-go subjects.
import { join } from 'node:path';
import { PROJECT_ROOT } from './version.js';

export const EMULATOR_SRC = join(PROJECT_ROOT, 'netem', 'emulator', 'linkemu.c');
export const EMULATOR_BIN = join(PROJECT_ROOT, 'netem', 'build', 'linkemu');
export const QUICGO_SRC_DIR = join(PROJECT_ROOT, 'harness', 'subjects', 'quic-go');
export const QUICGO_BIN = join(QUICGO_SRC_DIR, 'build', 'quicgo-subject');
/** Debian's golang-github-lucas-clemente-quic-go-dev installs its source here. */
export const DEBIAN_GOPATH = '/usr/share/gocode';
