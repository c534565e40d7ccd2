#!/usr/bin/env bash
# AMQP drain benchmark of asyncworker against the raw lapin and amqprs consumers, in one script, with
# ../shared/bench's harness: the two configurations of the foundation issue, interleaved
# (lapin, asyncworker, lapin, asyncworker, ...) so both see the same machine and broker.
#
#   scripts/bench-amqp.sh                      # N=200000 persistent, 3 repeats
#   N=50000 REPEATS=1 scripts/bench-amqp.sh    # quick look
#   SET=bodies N=50000 scripts/bench-amqp.sh   # only JSON vs `Message<Bytes>` routes
#
# Each repeat also drains the same messages with `bench-consumer-bytes` (its route takes
# `Message<Bytes>`: no decoding) next to `bench-consumer` (JSON, `IgnoredAny`), for the ratio
# bytes / JSON. `SET=bodies` runs only those two.
#
# Prints every RESULT line, then per configuration the median msgs/s of each consumer and
# the ratio asyncworker / lapin. Raw lines are appended to target/bench/amqp-<date>.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${BENCH_DIR:-$ROOT/../shared/bench}"
N="${N:-200000}"
MODE="${MODE:-persistent}"
REPEATS="${REPEATS:-3}"
SET="${SET:-all}"
export BENCH_QUEUE="${BENCH_QUEUE:-aw.bench.drain}"
LOG="$ROOT/target/bench/amqp-$(date +%Y%m%d).log"
mkdir -p "$(dirname "$LOG")"
# The broker on 5672 is shared: the bench queue goes when the script does.
trap 'timeout 60 rabbitmqctl -q delete_queue "$BENCH_QUEUE" >/dev/null 2>&1 || true' EXIT

(cd "$ROOT" && cargo build --release -q -p bench-consumer --bins)
(cd "$BENCH" && cargo build --release -q -p amqp-bench -p lapin-consumer -p amqprs-consumer)
# With CARGO_TARGET_DIR set, both workspaces build there (amqp-drain.sh then expects
# $BENCH/target to lead to it).
AW="${CARGO_TARGET_DIR:-$ROOT/target}/release/bench-consumer"
AW_BYTES="${CARGO_TARGET_DIR:-$ROOT/target}/release/bench-consumer-bytes"
LAPIN="${CARGO_TARGET_DIR:-$BENCH/target}/release/lapin-consumer"
AMQPRS="${CARGO_TARGET_DIR:-$BENCH/target}/release/amqprs-consumer"

run() { # label, env..., -- command
    local label=$1; shift
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" "$BENCH/amqp-drain.sh" "$N" "$MODE" --label "$label" -- "$@" \
        | tee -a "$LOG" || echo "RESULT label=$label status=failed" | tee -a "$LOG"
}

RUN_START=$(wc -l < "$LOG" 2>/dev/null || echo 0)
for r in $(seq 1 "$REPEATS"); do
    echo "== repeat $r/$REPEATS" >&2
    [ "$SET" = bodies ] || run lapin-multi100-p1024 BENCH_PREFETCH=1024 BENCH_ACK=multiple BENCH_BULK=100 -- "$LAPIN"
    [ "$SET" = bodies ] || run amqprs-multi100-p1024 BENCH_PREFETCH=1024 BENCH_ACK=multiple BENCH_BULK=100 -- "$AMQPRS"
    run aw-bulk100-p1024 BENCH_PREFETCH=1024 BENCH_BULK=100 -- "$AW"
    run aw-bytes-bulk100-p1024 BENCH_PREFETCH=1024 BENCH_BULK=100 -- "$AW_BYTES"
    [ "$SET" = bodies ] || run lapin-ack1-p256 BENCH_PREFETCH=256 BENCH_ACK=single -- "$LAPIN"
    [ "$SET" = bodies ] || run amqprs-ack1-p256 BENCH_PREFETCH=256 BENCH_ACK=single -- "$AMQPRS"
    run aw-bulk1-p256 BENCH_PREFETCH=256 BENCH_BULK=1 -- "$AW"
    run aw-bytes-bulk1-p256 BENCH_PREFETCH=256 BENCH_BULK=1 -- "$AW_BYTES"
done

tail -n +"$((RUN_START + 1))" "$LOG" | SET="$SET" python3 -c '
import os, statistics, sys
rates, rss, cpu = {}, {}, {}
for line in sys.stdin:
    if not line.startswith("RESULT ") or "status=ok" not in line:
        continue
    kv = dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
    rates.setdefault(kv["label"], []).append(float(kv["rate"]))
    rss.setdefault(kv["label"], []).append(float(kv["rss_mb"]))
    cpu.setdefault(kv["label"], []).append(float(kv["cpu_us_per_msg"]))
def med(d, k):
    return statistics.median(d[k]) if d.get(k) else float("nan")
vs_raw = [] if os.environ["SET"] == "bodies" else [
    ("bulk 100 / prefetch 1024 vs lapin multi-ack", "lapin-multi100-p1024", "aw-bulk100-p1024"),
    ("bulk 100 / prefetch 1024 vs amqprs multi-ack", "amqprs-multi100-p1024", "aw-bulk100-p1024"),
    ("bulk 1 / prefetch 256 vs lapin ack-per-message", "lapin-ack1-p256", "aw-bulk1-p256"),
    ("bulk 1 / prefetch 256 vs amqprs ack-per-message", "amqprs-ack1-p256", "aw-bulk1-p256")]
print()
print("| configuration | raw msgs/s | asyncworker msgs/s | ratio | raw CPU us/msg | aw CPU us/msg | aw peak RSS MB | runs |")
print("|---|---|---|---|---|---|---|---|")
for name, base, aw in vs_raw:
    b, a = med(rates, base), med(rates, aw)
    print(f"| {name} | {b:.0f} | {a:.0f} | {a / b:.2f} | {med(cpu, base):.1f} | {med(cpu, aw):.1f} | {med(rss, aw):.1f} | {len(rates.get(aw, []))} |")
print()
print("| configuration | JSON msgs/s | Message<Bytes> msgs/s | ratio bytes/JSON | JSON CPU us/msg | bytes CPU us/msg | runs |")
print("|---|---|---|---|---|---|---|")
for name, json, raw in [("bulk 100 / prefetch 1024", "aw-bulk100-p1024", "aw-bytes-bulk100-p1024"),
                        ("bulk 1 / prefetch 256", "aw-bulk1-p256", "aw-bytes-bulk1-p256")]:
    j, r = med(rates, json), med(rates, raw)
    print(f"| {name} | {j:.0f} | {r:.0f} | {r / j:.2f} | {med(cpu, json):.1f} | {med(cpu, raw):.1f} | {len(rates.get(raw, []))} |")
'

# Idle RSS: the consumer attached to the (now empty) bench queue, doing nothing.
AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}" BENCH_BULK=100 BENCH_PREFETCH=1024 "$AW" >/dev/null 2>&1 &
PID=$!
for _ in $(seq 1 50); do
    [ "$(rabbitmqctl -q list_queues name consumers 2>/dev/null | awk -v q="$BENCH_QUEUE" '$1 == q {print $2}')" = "1" ] && break
    sleep 0.1
done
echo "asyncworker idle RSS (attached, empty queue): $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$PID/status)"
kill -TERM "$PID"; wait "$PID" || true
