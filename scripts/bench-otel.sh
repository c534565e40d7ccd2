#!/usr/bin/env bash
# What the `otel` feature costs a drain when no OTLP endpoint is configured: the same
# bench-consumer built without and with `asyncworker/otel`, interleaved run by run on the
# same broker with ../shared/bench's harness (bulk 100 / prefetch 1024, then bulk 1 /
# prefetch 256).
#
#   scripts/bench-otel.sh                      # N=200000 persistent, 3 repeats
#   N=50000 REPEATS=1 scripts/bench-otel.sh    # quick look
#
# Prints every RESULT line, then per configuration the median msgs/s of each build and the
# ratio otel / plain. Raw lines are appended to target/bench/otel-<date>.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${BENCH_DIR:-$ROOT/../shared/bench}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
N="${N:-200000}"
MODE="${MODE:-persistent}"
REPEATS="${REPEATS:-3}"
export BENCH_QUEUE="${BENCH_QUEUE:-aw.bench.otel}"
# No endpoint: the configuration whose cost is measured.
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
LOG="$TARGET/bench/otel-$(date +%Y%m%d).log"
mkdir -p "$(dirname "$LOG")"

(cd "$ROOT" && cargo build --release -q -p bench-consumer)
cp "$TARGET/release/bench-consumer" "$TARGET/release/bench-consumer-plain"
(cd "$ROOT" && cargo build --release -q -p bench-consumer --features asyncworker/otel)
cp "$TARGET/release/bench-consumer" "$TARGET/release/bench-consumer-otel"
# The harness builds into its own target directory, where amqp-drain.sh looks.
(cd "$BENCH" && env -u CARGO_TARGET_DIR cargo build --release -q -p amqp-bench)

run() { # label, env..., -- command
    local label=$1; shift
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    env -u CARGO_TARGET_DIR "${envs[@]}" "$BENCH/amqp-drain.sh" "$N" "$MODE" --label "$label" -- "$@" \
        | tee -a "$LOG" || echo "RESULT label=$label status=failed" | tee -a "$LOG"
}

RUN_START=$(wc -l < "$LOG" 2>/dev/null || echo 0)
for r in $(seq 1 "$REPEATS"); do
    echo "== repeat $r/$REPEATS" >&2
    # Which build goes first alternates from repeat to repeat (the first run after a
    # configuration change sees a colder broker).
    order="plain otel"
    [ $((r % 2)) -eq 0 ] && order="otel plain"
    for build in $order; do
        run "$build-bulk100-p1024" BENCH_PREFETCH=1024 BENCH_BULK=100 -- "$TARGET/release/bench-consumer-$build"
    done
    for build in $order; do
        run "$build-bulk1-p256" BENCH_PREFETCH=256 BENCH_BULK=1 -- "$TARGET/release/bench-consumer-$build"
    done
done

tail -n +"$((RUN_START + 1))" "$LOG" | python3 -c '
import statistics, sys
rates, cpu = {}, {}
for line in sys.stdin:
    if not line.startswith("RESULT ") or "status=ok" not in line:
        continue
    kv = dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
    rates.setdefault(kv["label"], []).append(float(kv["rate"]))
    cpu.setdefault(kv["label"], []).append(float(kv["cpu_us_per_msg"]))
def med(d, k):
    return statistics.median(d[k]) if d.get(k) else float("nan")
print()
print("| configuration | plain msgs/s | otel msgs/s | ratio | plain CPU us/msg | otel CPU us/msg | runs |")
print("|---|---|---|---|---|---|---|")
for name, cfg in [("bulk 100 / prefetch 1024", "bulk100-p1024"), ("bulk 1 / prefetch 256", "bulk1-p256")]:
    plain, otel = "plain-" + cfg, "otel-" + cfg
    p, o = med(rates, plain), med(rates, otel)
    print(f"| {name} | {p:.0f} | {o:.0f} | {o / p:.2f} | {med(cpu, plain):.1f} | {med(cpu, otel):.1f} | {len(rates.get(otel, []))} |")
'
