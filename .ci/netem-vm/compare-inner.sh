#!/usr/bin/env bash
# One side of the backend comparison (compare-backends.sh runs it in the netem VM and on the
# host): for each placement and each loss (1 %, 5 %) on a 5 Mbit/s, 25 ms-each-way link, a
# calibrated `bench lab up`, REPS iperf3 cubic downloads of SECONDS each with the downlink
# qdisc's counters around each, then REPS repetitions of bench's own TCP bulk download.
#
#   compare-inner.sh OUTDIR REPS SECONDS PLACEMENT...
#   PLACEMENT: netem-router | netem-endpoints (BENCH_DEV_NETEM_ON=endpoints) | userspace
#
# Writes OUTDIR/runs.jsonl (one line per iperf3 run), OUTDIR/<placement>-loss<L>/ (bench's
# result.json) and OUTDIR/<placement>-loss<L>-lab.txt (the lab's calibration). Run as root
# from the repository root, after npm run build.
set -euo pipefail
OUT=$1 REPS=$2 SECS=$3
shift 3
mkdir -p "$OUT"
bench() { node dist/harness/cli.js "$@"; }
for loss in 1 5; do
  cat >"$OUT/link-loss$loss.yaml" <<YAML
name: compare-loss$loss
description: backend comparison, $loss % loss, 25 ms each way, 5 Mbit/s (issue 14)
link:
  delay: 25ms
  loss: $loss%
  rate: 5mbit
transports: [tcp]
workloads:
  - bulk: { direction: download, duration: ${SECS}s, streams: 1 }
repetitions: $REPS
timeout: $((SECS * 3))s
congestionControl: cubic
YAML
done
PLACEMENTS=("$@")
for placement in "${PLACEMENTS[@]}"; do
  case $placement in
    netem-router) backend=netem on=router ;;
    netem-endpoints) backend=netem on=endpoints ;;
    userspace) backend=userspace on=router ;;
    *) echo "unknown placement $placement" >&2; exit 2 ;;
  esac
  for loss in 1 5; do
    id="cmp$$$loss${placement:6:1}"
    echo "== $placement, loss $loss %: lab $id ($(date -u +%H:%M:%S) UTC, $(cut -d' ' -f1 /proc/uptime) s up)"
    BENCH_DEV_NETEM_ON=$on bench lab up "$OUT/link-loss$loss.yaml" --backend "$backend" --run-id "$id" --probes 1000 >"$OUT/$placement-loss$loss-lab.txt"
    grep -E 'calibrated|warning' "$OUT/$placement-loss$loss-lab.txt" || true
    c="bench-$id-c" s="bench-$id-s"
    # The downlink qdisc: the router's way to the client, or the server's own egress.
    case $placement in
      netem-router) qns="bench-$id-r" qdev=toclient ;;
      netem-endpoints) qns=$s qdev=veth0 ;;
      *) qns= ;;
    esac
    counters() { if [ -n "$qns" ]; then tc -n "$qns" -s qdisc show dev "$qdev" | sed -n 's/.*Sent [0-9]* bytes \([0-9]*\) pkt (dropped \([0-9]*\),.*/\1 \2/p'; else echo "0 0"; fi; }
    ip netns exec "$s" iperf3 -s -D -p 5201
    sleep 1
    for rep in $(seq "$REPS"); do
      set -- $(counters); sent0=$1 drop0=$2
      ip netns exec "$c" iperf3 -c 198.18.0.2 -p 5201 -R -t "$SECS" -J >"$OUT/iperf.json"
      set -- $(counters); sent1=$1 drop1=$2
      node -e '
        const [placement, loss, rep, sent, dropped] = process.argv.slice(1);
        const j = JSON.parse(require("fs").readFileSync(process.argv[6], "utf8"));
        console.log(JSON.stringify({ placement, lossPct: Number(loss), tool: "iperf3", rep: Number(rep),
          goodputBitsPerSec: j.end.sum_received.bits_per_second, retransmits: j.end.sum_sent.retransmits,
          qdiscSent: Number(sent), qdiscDropped: Number(dropped) }));' \
        "$placement" "$loss" "$rep" "$((sent1 - sent0))" "$((drop1 - drop0))" "$OUT/iperf.json" | tee -a "$OUT/runs.jsonl"
    done
    bench lab down "$id" >>"$OUT/$placement-loss$loss-lab.txt"
    BENCH_DEV_NETEM_ON=$on bench run "$OUT/link-loss$loss.yaml" --backend "$backend" --out "$OUT/$placement-loss$loss" --calibration-probes 1000 2>&1 | grep -E 'summary|bulk|warning' || true
  done
done
