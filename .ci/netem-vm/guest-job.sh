#!/bin/sh
# The real-kernel check (test/netem-real-kernel.test.ts runs it through netem-vm.sh): inside
# Debian's kernel, the netem lab and CLI tests must all run (BENCH_REQUIRE_NETEM=1 turns
# their "no sch_netem" skip into a failure) and pass, and no lab may be left afterwards.
# Runs from the repository root, on the host's build (dist/).
export BENCH_REQUIRE_NETEM=1
echo "netem-vm job: kernel $(uname -r), $(tc -V)"
node --test --test-concurrency=1 --test-force-exit --test-timeout=1200000 \
  dist/test/lab-netem-backend.test.js dist/test/netem-backend-cli.test.js
rc=$?
# Lab and run state files (netem/state.ts, harness/run/run-state.ts), namespaces, emulators.
left="$(ip netns list) $(find /run/bench -type f 2>/dev/null) $(pgrep -a linkemu)"
if [ -n "$(echo "$left" | tr -d ' ')" ]; then
  echo "netem-vm job: left behind: $left"
  [ "$rc" -eq 0 ] && rc=1
fi
echo "netem-vm job: exit $rc at $(cut -d' ' -f1 /proc/uptime) s of virtual time"
exit "$rc"
