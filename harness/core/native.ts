// Where the native parts live: built from source at install (harness/dev/build-native.ts),
// found here by the lab (the emulator) and the quic-go subjects.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_NAME, PROJECT_ROOT } from './version.js';

export const EMULATOR_SRC = join(PROJECT_ROOT, 'netem', 'emulator', 'linkemu.c');
export const EMULATOR_BIN = join(PROJECT_ROOT, 'netem', 'build', 'linkemu');
export const QUICGO_SRC_DIR = join(PROJECT_ROOT, 'harness', 'subjects', 'quic-go');
export const QUICGO_BIN = join(QUICGO_SRC_DIR, 'build', 'quicgo-subject');
/** Debian's golang-github-lucas-clemente-quic-go-dev installs its source here. */
export const DEBIAN_GOPATH = '/usr/share/gocode';

/** A checkout (sources and tsconfig beside dist/) rather than an installed package. */
export const IS_CHECKOUT = existsSync(join(PROJECT_ROOT, 'tsconfig.json'));

/** How to (re)build the native parts where this copy of bench lives. */
export const NATIVE_BUILD_HINT = IS_CHECKOUT
  ? 'npm run build'
  : `npm run build:native --prefix ${PROJECT_ROOT} (as the owner of that directory: root after sudo npm i -g ${PACKAGE_NAME})`;
