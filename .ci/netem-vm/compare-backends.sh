#!/usr/bin/env bash
# The backend comparison of issue 14, reproducible: the same link (5 Mbit/s, 25 ms each way,
# 1 % and 5 % loss) through netem on a router, netem on the endpoints' own egress (the old
# placement, BENCH_DEV_NETEM_ON=endpoints) and the userspace emulator, each measured with
# REPS iperf3 cubic downloads and REPS repetitions of bench's TCP bulk download.
# netem runs inside Debian's 6.1 kernel in the netem VM (on virtual time, so the host's load
# does not move its timing); the userspace emulator runs on this host (inside a TCG guest
# its RTT cannot be trusted: a process that must be scheduled for every packet).
#
#   sudo .ci/netem-vm/compare-backends.sh [REPS] [SECONDS] [OUTDIR]     # defaults 6 15 /tmp/bench-compare
#
# Prints the table (compare-table.mjs) and leaves the raw data in OUTDIR. A measurement, not
# a test: it takes long (each VM second costs a few seconds of wall time).
set -euo pipefail
REPS=${1:-6} SECS=${2:-15} OUT=$(realpath -m "${3:-/tmp/bench-compare}")
cd "$(dirname "$0")/../.."
# The VM part runs REPS x SECONDS x 2 tools x 4 labs of virtual time: allow it hours, not the job's 10 minutes.
export NETEM_VM_TIMEOUT=${NETEM_VM_TIMEOUT:-10800}
# A 250 MIPS guest (2^2 ns per instruction): plenty for 5 Mbit/s, and each guest second of
# waiting costs a quarter of shift 0's wall time (the README's figures were taken so).
export NETEM_VM_SHIFT=${NETEM_VM_SHIFT:-2}
mkdir -p "$OUT"
echo "host: $(uptime)" | tee "$OUT/load.txt"
# The VM's output share is its own directory (mounted at /out inside).
.ci/netem-vm/netem-vm.sh "$OUT/vm" bash .ci/netem-vm/compare-inner.sh /out/data "$REPS" "$SECS" netem-router netem-endpoints ||
  { echo "the VM part failed: $OUT/vm/run.log" >&2; exit 1; }
echo "host after the VM: $(uptime)" | tee -a "$OUT/load.txt"
bash .ci/netem-vm/compare-inner.sh "$OUT/host" "$REPS" "$SECS" userspace
echo "host after the host part: $(uptime)" | tee -a "$OUT/load.txt"
node .ci/netem-vm/compare-table.mjs "$OUT/vm/data" "$OUT/host"
