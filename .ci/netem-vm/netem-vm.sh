#!/usr/bin/env bash
# Run one command inside Debian's own kernel (linux-image-amd64: 6.1 on bookworm, with
# sch_netem as a module) under qemu TCG, for machines whose kernel lacks sch_netem and that
# have no KVM (issue 14). The host's / is shared read-only over 9p under a tmpfs overlay, so
# the guest runs the host's node, ip, tc, iperf3 and this checkout as they are.
#
#   .ci/netem-vm/netem-vm.sh OUTDIR COMMAND [ARG...]
#
# COMMAND runs as root in the guest, in the caller's working directory, with
# BENCH_IN_NETEM_VM=1; OUTDIR (created) is writable there as /out. Its output goes to
# OUTDIR/run.log, the guest console to OUTDIR/console.log. Exit status: the command's, read
# back from OUTDIR/status (qemu itself exits 0 whatever the guest did); 1 when the guest
# gave no status (crash, panic, timeout); 77 with a one-line reason on stderr when this
# machine cannot run the VM (no qemu, no busybox-static or kmod, kernel package unavailable).
#
# Environment: NETEM_VM_CACHE (unpacked kernel + initramfs; default /var/tmp/bench-netem-vm),
# NETEM_VM_TIMEOUT (seconds before qemu is killed; default 600), NETEM_VM_QEMU (the qemu
# binary; default qemu-system-x86_64) and NETEM_VM_KERNEL (the metapackage naming the kernel;
# default linux-image-amd64): the last two let the skip paths be tested.
set -euo pipefail
skip() { echo "netem-vm: skipped: $*" >&2; exit 77; }
[ $# -ge 2 ] || { echo "usage: $0 OUTDIR COMMAND [ARG...]" >&2; exit 2; }
OUT=$(realpath -m "$1"); shift
HERE=$(dirname "$(realpath "$0")")
CACHE=${NETEM_VM_CACHE:-/var/tmp/bench-netem-vm}
TIMEOUT=${NETEM_VM_TIMEOUT:-600}
QEMU_BIN=${NETEM_VM_QEMU:-qemu-system-x86_64}
KMETA=${NETEM_VM_KERNEL:-linux-image-amd64}

command -v "$QEMU_BIN" >/dev/null || skip "$QEMU_BIN not found (apt-get install qemu-system-x86)"
# The initramfs has no libc: a dynamically linked busybox (package busybox) cannot run there.
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || skip "no static /bin/busybox (apt-get install busybox-static)"
command -v depmod >/dev/null || skip "depmod not found (apt-get install kmod; the guest also needs its modprobe)"
command -v dpkg >/dev/null && command -v apt-get >/dev/null || skip "needs Debian's dpkg and apt-get to fetch the kernel package"

# 1. Debian's kernel package, unpacked (never installed: no /boot hooks, the running kernel
#    is untouched). The package name comes from linux-image-amd64's dependency.
# (|| true: apt-cache fails for an unknown package, which pipefail would turn into an exit.)
PKG=$(apt-cache depends "$KMETA" 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}' || true)
[ -n "$PKG" ] || skip "apt knows no $KMETA (run apt-get update)"
KV=${PKG#linux-image-}
KROOT=$CACHE/kroot-$KV
mkdir -p "$CACHE"
if [ ! -f "$KROOT/lib/modules/$KV/modules.dep" ]; then
  rm -rf "$CACHE"/dl "$CACHE"/kroot-*
  mkdir -p "$CACHE/dl"
  (cd "$CACHE/dl" && apt-get download -q "$PKG" >"$CACHE/dl/apt.log" 2>&1) ||
    skip "cannot download $PKG: $(tail -1 "$CACHE/dl/apt.log")"
  dpkg -x "$CACHE"/dl/*.deb "$CACHE/dl/root"
  depmod -b "$CACHE/dl/root" "$KV"
  mv "$CACHE/dl/root" "$KROOT"
  rm -rf "$CACHE/dl"
fi

# 2. initramfs: static busybox, the 11 modules needed to mount 9p and overlayfs (in load
#    order; init.stage1 loads them), and the stage-1 init.
INITRD=$CACHE/initramfs-$KV.gz
if [ ! -f "$INITRD" ] || [ "$HERE/init.stage1" -nt "$INITRD" ]; then
  R=$CACHE/ird.$$; rm -rf "$R"; mkdir -p "$R"/{bin,dev,proc,sys,lower,upper,newroot,mods}
  cp /bin/busybox "$R/bin/"; cp "$HERE/init.stage1" "$R/init"; chmod +x "$R/init"
  K=$KROOT/lib/modules/$KV/kernel
  for m in drivers/virtio/{virtio_ring,virtio,virtio_pci_legacy_dev,virtio_pci_modern_dev,virtio_pci} \
           fs/netfs/netfs fs/fscache/fscache net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p fs/overlayfs/overlay; do
    cp "$K/$m.ko" "$R/mods/"
  done
  (cd "$R" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$INITRD.tmp")
  mv "$INITRD.tmp" "$INITRD"; rm -rf "$R"
fi

# 3. The job: the command, in the caller's directory, after reading the files it will use
#    once (9p reads are slow under TCG; better paid before the job's timers run). The guest
#    runs /out/run.sh; its output goes to the second serial port (OUTDIR/run.log), its
#    status to /out/status.
WARM=${NETEM_VM_WARM-"$(command -v node || true) dist node_modules netem/build"}
mkdir -p "$OUT"
rm -f "$OUT/status" "$OUT/run.log" "$OUT/console.log"
{
  echo "cd $(printf '%q' "$PWD") || exit 125"
  echo "export BENCH_IN_NETEM_VM=1"
  echo "for p in $WARM; do [ -e \"\$p\" ] && find \"\$p\" -xdev -type f -not -path '*/typescript/*' -not -path '*/playwright-core/*' -exec cat {} + >/dev/null 2>&1; done"
  echo "for t in ip tc ethtool sysctl ss unshare iperf3 modprobe; do p=\$(command -v \$t) && cat \"\$p\" >/dev/null; done"
  echo "echo \"netem-vm: guest ready at \$(cut -d' ' -f1 /proc/uptime) s of virtual time\""
  printf 'exec'; printf ' %q' "$@"; echo
} >"$OUT/run.sh"

# 4. Boot, on virtual time: `-icount shift=N` runs one vCPU whose clock advances by 2^N
#    nanoseconds per guest instruction (NETEM_VM_SHIFT, default 1: a 500 MIPS guest), and init.stage1 keeps that vCPU busy with an idle-
#    priority spinner, so the guest is never idle and its clock never jumps: timing inside
#    the guest (netem's delays, TCP's timers, probe RTTs) no longer depends on how busy the
#    host is. Measured here at host load 6-10: 300 probes over a 20 ms netem link had
#    minimum 20.10 ms and p90 20.15 ms, against 21.5-25 ms minimum and 50-140 ms p50 on real
#    time (-smp 2, no icount). Without the spinner an idle guest's clock jumps to its next
#    timer, also while it waits for the host to answer a 9p read, which fired 10-15 s
#    timeouts around the first start of a program. The price: guest time runs at the speed
#    qemu executes instructions, slower than real time. Every guest second of waiting costs
#    2^-N x 10^9 instructions of the spinner, so a larger shift makes waiting cheaper in wall
#    time while a program's own work costs the same instructions (and takes 2^N times longer
#    in guest time): shift 0 took 701 s wall for the CI job at host load 5-6, shift 1 keeps
#    minimum RTTs within 0.3 ms of netem's and a node sender fast enough to fill a 3000-packet
#    queue within 300 ms.
#    clocksource=tsc tsc=reliable: TCG marks the TSC unstable otherwise, and the fallback
#    clocksource made timing about 5x worse.
"$QEMU_BIN" \
  -accel tcg ${NETEM_VM_QEMU_ARGS:--smp 1 -icount shift=${NETEM_VM_SHIFT:-1},sleep=off} -cpu max -m 2G \
  -display none -monitor none -no-reboot -nic none \
  -serial "file:$OUT/console.log" -serial "file:$OUT/run.log" \
  -kernel "$KROOT/boot/vmlinuz-$KV" -initrd "$INITRD" \
  -append "console=ttyS0 quiet loglevel=4 panic=-1 clocksource=tsc tsc=reliable bench.moddir=$KROOT/lib/modules/$KV" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$OUT,mount_tag=out,security_model=none,multidevs=remap" \
  </dev/null >>"$OUT/console.log" 2>&1 &
QEMU=$!
# No qemu outlives its caller: killed on a signal to this script, when the guest runs past
# NETEM_VM_TIMEOUT, or when the process that started this script is gone (a test runner
# killed by its own timeout or by SIGKILL).
trap 'kill -KILL $QEMU 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM HUP
CALLER=$PPID
# Wall seconds since qemu started (bash's SECONDS: a counter of 1 s sleeps falls behind on a
# loaded machine, which let the VM outlive its timeout).
SECONDS=0
waited=0
ready=
while kill -0 "$QEMU" 2>/dev/null; do
  if [ -z "$ready" ] && grep -q 'guest ready' "$OUT/run.log" 2>/dev/null; then ready=$waited; fi
  if [ "$waited" -ge "$TIMEOUT" ]; then echo "netem-vm: killed qemu after ${TIMEOUT}s" >>"$OUT/console.log"; break; fi
  if ! kill -0 "$CALLER" 2>/dev/null; then echo "netem-vm: the caller (pid $CALLER) is gone; killed qemu" >>"$OUT/console.log"; break; fi
  sleep 1; waited=$SECONDS
done
kill -KILL "$QEMU" 2>/dev/null || true; wait "$QEMU" 2>/dev/null || true
waited=$SECONDS
echo "netem-vm: wall time: guest ready after ${ready:-?} s, done after $waited s" >&2
[ -f "$OUT/status" ] || { echo "netem-vm: the guest gave no status (crash, panic or timeout); console:" >&2; tail -20 "$OUT/console.log" >&2; exit 1; }
rc=$(cat "$OUT/status")
# 77 means "skipped" to the caller; a guest command that exits 77 failed.
[ "$rc" != 77 ] || rc=1
exit "$rc"
