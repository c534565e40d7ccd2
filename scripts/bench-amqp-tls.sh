#!/usr/bin/env bash
# AMQP drain benchmark over TLS (issue 11): bulk 100 / prefetch 1024 on a private RabbitMQ node
# with a TLS listener (tests/src/bin/tls-node.rs; the shared node on 5672 is untouched),
# interleaved per repeat: raw lapin over TLS (examples/bench-lapin-tls), asyncworker over TLS,
# asyncworker over plain TCP to the same node, so all three see the same machine and broker.
#
#   scripts/bench-amqp-tls.sh                      # N=200000 persistent, 3 repeats
#   N=50000 REPEATS=1 scripts/bench-amqp-tls.sh    # quick look
#
# The harness (../shared/bench, or BENCH_DIR) prefills and watches over the node's plain port;
# only the consumer is given the amqps:// URL and the CA file. Prints every RESULT line, then
# the medians, the ratios aw-TLS / lapin-TLS and aw-TLS / aw-plain, and CPU us per message
# (the consumer's, and the broker's).
# Raw lines are appended to target/bench/amqp-tls-<date>.log. The node stops on exit (trap).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${BENCH_DIR:-$ROOT/../shared/bench}"
N="${N:-200000}"
MODE="${MODE:-persistent}"
REPEATS="${REPEATS:-3}"
export BENCH_QUEUE="${BENCH_QUEUE:-aw.bench.drain}"
LOG="$ROOT/target/bench/amqp-tls-$(date +%Y%m%d).log"
mkdir -p "$(dirname "$LOG")"

# Two builds: in one, the tests crate's `testing` feature would be unified into the consumer.
(cd "$ROOT" && cargo build --release -q -p bench-consumer -p bench-lapin-tls)
(cd "$ROOT" && cargo build --release -q -p asyncworker-tests --bin tls-node)
(cd "$BENCH" && cargo build --release -q -p amqp-bench)
AW="$ROOT/target/release/bench-consumer"
LAPIN_TLS="$ROOT/target/release/bench-lapin-tls"

. "$ROOT/scripts/held-nodes.sh"
hold_nodes "$ROOT/target/release/tls-node" TLS_NODE_READY 120 # the node boots in ~10 s
echo "TLS node $TLS_NODE: plain $TLS_NODE_AMQP_URL, TLS $TLS_NODE_AMQPS_URL" >&2

run() { # label, -- consumer command (env overrides first)
    local label=$1; shift 2
    AMQP_URL="$TLS_NODE_AMQP_URL" RABBITMQCTL="$TLS_NODE_RABBITMQCTL" \
        BENCH_PREFETCH=1024 BENCH_BULK=100 BENCH_ACK=multiple \
        "$BENCH/amqp-drain.sh" "$N" "$MODE" --label "$label" -- "$@" \
        | tee -a "$LOG" || echo "RESULT label=$label status=failed" | tee -a "$LOG"
}

RUN_START=$(wc -l < "$LOG" 2>/dev/null || echo 0)
for r in $(seq 1 "$REPEATS"); do
    echo "== repeat $r/$REPEATS" >&2
    run lapin-tls-multi100-p1024 -- env AMQP_URL="$TLS_NODE_AMQPS_URL" \
        BENCH_TLS_CA_FILE="$TLS_NODE_CA_FILE" "$LAPIN_TLS"
    run aw-tls-bulk100-p1024 -- env AMQP_URL="$TLS_NODE_AMQPS_URL" \
        ASYNCWORKER_AMQP_TLS_CA_FILE="$TLS_NODE_CA_FILE" "$AW"
    run aw-plain-bulk100-p1024 -- "$AW"
done

tail -n +"$((RUN_START + 1))" "$LOG" | python3 -c '
import statistics, sys
rates, rss, cpu, broker = {}, {}, {}, {}
for line in sys.stdin:
    if not line.startswith("RESULT ") or "status=ok" not in line:
        continue
    kv = dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
    for d, k in ((rates, "rate"), (rss, "rss_mb"), (cpu, "cpu_us_per_msg")):
        d.setdefault(kv["label"], []).append(float(kv[k]))
    # The broker encrypts too: its CPU per message shows where the TLS cost lands.
    broker.setdefault(kv["label"], []).append(float(kv["broker_cpu_s"]) * 1e6 / float(kv["n"]))
def med(d, k):
    return statistics.median(d[k]) if d.get(k) else float("nan")
lapin, tls, plain = "lapin-tls-multi100-p1024", "aw-tls-bulk100-p1024", "aw-plain-bulk100-p1024"
print()
print("| consumer (bulk 100 / prefetch 1024) | msgs/s (median) | CPU us/msg | broker CPU us/msg | peak RSS MB | runs |")
print("|---|---|---|---|---|---|")
for name, k in (("raw lapin, TLS", lapin), ("asyncworker, TLS", tls), ("asyncworker, plain TCP", plain)):
    print(f"| {name} | {med(rates, k):.0f} | {med(cpu, k):.1f} | {med(broker, k):.1f} | {med(rss, k):.1f} | {len(rates.get(k, []))} |")
print()
print(f"aw-TLS / lapin-TLS = {med(rates, tls) / med(rates, lapin):.2f}   "
      f"aw-TLS / aw-plain = {med(rates, tls) / med(rates, plain):.2f}")
'
