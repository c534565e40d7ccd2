#!/usr/bin/env bash
# Cluster drain benchmark (issue 15): N persistent ~200 B messages drained from a QUORUM queue
# on the three-node test cluster (tests/src/bin/rabbit-cluster.rs; the shared node on 5672 is
# untouched), interleaved per repeat so every consumer sees the same machine and cluster:
#
#   lapin-multi100-p1024  raw lapin, basic.ack(multiple) per 100, prefetch 1024
#   aw-bulk100-p1024      asyncworker, bulk 100, prefetch 1024          (one replica)
#   aw3-bulk100-p1024     three asyncworker replicas, one per node, bulk 100, prefetch 1024
#   lapin-ack1-p256       raw lapin, one ack per message, prefetch 256
#   aw-bulk1-p256         asyncworker, bulk 1, prefetch 256
#
#   scripts/bench-cluster.sh                              # N=200000, 3 repeats
#   N=20000 REPEATS=1 scripts/bench-cluster.sh            # quick look
#   BENCH_DIR=/path/to/writable/bench scripts/bench-cluster.sh
#
# The queue is declared through node 0, so node 0 leads it; the single consumers connect to
# node 0, the replicas to nodes 0, 1 and 2 (a load balancer's spread; the two on followers
# get their deliveries through node 0). The raw lapin consumer is the shared harness's
# (../shared/bench, or BENCH_DIR); the harness's own prefill and watcher only know classic
# queues, so examples/bench-quorum re-creates and fills the quorum queue before every run
# (`fill`) and times the consumer from its start until the queue holds nothing, ready or
# unacked (`drain`, asking the queue's Raft leader every 20 ms).
#
# env: N, REPEATS, TIMEOUT (per run, s, default 300), BENCH_QUEUE. Prints every RESULT line
# (each with the load average at its end: other engineers share the machine), then medians
# and the ratios asyncworker / lapin and 3 replicas / 1.
# Raw lines are appended to target/bench/cluster-<date>.log. The cluster stops on exit (trap).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${BENCH_DIR:-$ROOT/../shared/bench}"
N="${N:-200000}"
REPEATS="${REPEATS:-3}"
TIMEOUT="${TIMEOUT:-300}"
export BENCH_QUEUE="${BENCH_QUEUE:-aw.bench.quorum}"
LOG="$ROOT/target/bench/cluster-$(date +%Y%m%d).log"
mkdir -p "$(dirname "$LOG")"

# Separate builds: in one, the tests crate's `testing` feature would reach the consumer.
(cd "$ROOT" && cargo build --release -q -p bench-consumer -p bench-quorum)
(cd "$ROOT" && cargo build --release -q -p asyncworker-tests --bin rabbit-cluster)
(cd "$BENCH" && cargo build --release -q -p lapin-consumer)
OUT="${CARGO_TARGET_DIR:-$ROOT/target}/release"
AW="$OUT/bench-consumer"
QUORUM="$OUT/bench-quorum"
LAPIN="${CARGO_TARGET_DIR:-$BENCH/target}/release/lapin-consumer"

. "$ROOT/scripts/held-nodes.sh"
hold_nodes "$OUT/rabbit-cluster" CLUSTER_READY 180 # the cluster forms in ~20-40 s
echo "cluster: $CLUSTER_URLS" >&2

run() { # label, env..., -- consumer command
    local label=$1; shift
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    mkdir -p "$(dirname "$LOG")"
    if ! "$QUORUM" fill; then
        echo "RESULT label=$label status=fill_failed" | tee -a "$LOG"
        return
    fi
    env "${envs[@]}" "$QUORUM" drain --label "$label" -- "$@" \
        | tee -a "$LOG" || echo "RESULT label=$label status=failed" | tee -a "$LOG"
}
export AMQP_URL="$CLUSTER_URL_0" RABBITMQCTL="$CLUSTER_RABBITMQCTL_0" BENCH_N="$N" \
    BENCH_TIMEOUT_S="$TIMEOUT"

# Three replicas in one process group (the harness measures and stops the group as one).
REPLICAS="AMQP_URL='$CLUSTER_URL_0' '$AW' & AMQP_URL='$CLUSTER_URL_1' '$AW' & \
AMQP_URL='$CLUSTER_URL_2' '$AW' & wait"

RUN_START=$(wc -l < "$LOG" 2>/dev/null || echo 0)
for r in $(seq 1 "$REPEATS"); do
    echo "== repeat $r/$REPEATS" >&2
    run lapin-multi100-p1024 BENCH_PREFETCH=1024 BENCH_ACK=multiple BENCH_BULK=100 -- "$LAPIN"
    run aw-bulk100-p1024 BENCH_PREFETCH=1024 BENCH_BULK=100 -- "$AW"
    run aw3-bulk100-p1024 BENCH_PREFETCH=1024 BENCH_BULK=100 -- sh -c "$REPLICAS"
    run lapin-ack1-p256 BENCH_PREFETCH=256 BENCH_ACK=single -- "$LAPIN"
    run aw-bulk1-p256 BENCH_PREFETCH=256 BENCH_BULK=1 -- "$AW"
done

tail -n +"$((RUN_START + 1))" "$LOG" | python3 -c '
import statistics, sys
rates, cpu, loads = {}, {}, []
for line in sys.stdin:
    if not line.startswith("RESULT ") or "status=ok" not in line:
        continue
    kv = dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
    rates.setdefault(kv["label"], []).append(float(kv["rate"]))
    cpu.setdefault(kv["label"], []).append(float(kv["cpu_us_per_msg"]))
    loads.append(float(kv["loadavg"].split("/")[0]))
def med(d, k):
    return statistics.median(d[k]) if d.get(k) else float("nan")
print()
print("| consumer (quorum queue, 3 nodes) | msgs/s (median) | CPU us/msg | runs |")
print("|---|---|---|---|")
for k in ("lapin-multi100-p1024", "aw-bulk100-p1024", "aw3-bulk100-p1024", "lapin-ack1-p256", "aw-bulk1-p256"):
    print(f"| {k} | {med(rates, k):.0f} | {med(cpu, k):.1f} | {len(rates.get(k, []))} |")
print()
b100 = med(rates, "aw-bulk100-p1024") / med(rates, "lapin-multi100-p1024")
b1 = med(rates, "aw-bulk1-p256") / med(rates, "lapin-ack1-p256")
rep = med(rates, "aw3-bulk100-p1024") / med(rates, "aw-bulk100-p1024")
print(f"aw/lapin bulk 100 = {b100:.2f}   aw/lapin bulk 1 = {b1:.2f}   3 replicas / 1 = {rep:.2f}")
if loads:
    print(f"1-min load average at the end of the runs: {min(loads):.1f} to {max(loads):.1f}")
'
