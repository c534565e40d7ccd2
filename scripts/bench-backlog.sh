#!/usr/bin/env bash
# Memory under a backlog: our consumer drains 10k, 100k and 1M persistent ~200-byte messages
# (../shared/bench's harness prefills the queue, then starts the consumer) and the peak RSS
# (VmHWM) of each drain is reported. With prefetch bounding what the broker sends ahead, the
# peak should not grow with the backlog. Then the idle RSS of the README's example worker
# (examples/orders-worker, every route attached, nothing to do).
#
#   scripts/bench-backlog.sh                       # 10000 100000 1000000, bulk 100 / prefetch 1024
#   SIZES="10000 100000" scripts/bench-backlog.sh  # quicker
#   BULK=1 PREFETCH=256 scripts/bench-backlog.sh   # the other configuration
#
# Raw RESULT lines are appended to target/bench/backlog-<date>.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${BENCH_DIR:-$ROOT/../shared/bench}"
SIZES="${SIZES:-10000 100000 1000000}"
BULK="${BULK:-100}"
PREFETCH="${PREFETCH:-1024}"
export BENCH_QUEUE="${BENCH_QUEUE:-aw.bench.backlog}"
export AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
LOG="$ROOT/target/bench/backlog-$(date +%Y%m%d).log"
mkdir -p "$(dirname "$LOG")"
trap 'timeout 60 rabbitmqctl -q delete_queue "$BENCH_QUEUE" >/dev/null 2>&1 || true' EXIT

(cd "$ROOT" && cargo build --release -q -p bench-consumer -p orders-worker)
(cd "$BENCH" && cargo build --release -q -p amqp-bench)
AW="${CARGO_TARGET_DIR:-$ROOT/target}/release/bench-consumer"

for n in $SIZES; do
    echo "== backlog of $n" >&2
    # A million persistent messages take a while to publish and to drain: ten minutes each.
    BENCH_BULK="$BULK" BENCH_PREFETCH="$PREFETCH" \
        "$BENCH/amqp-drain.sh" "$n" persistent --timeout 600 --label "aw-backlog-$n" -- "$AW" |
        tee -a "$LOG" || echo "RESULT label=aw-backlog-$n status=failed" | tee -a "$LOG"
done

echo
echo "| backlog (messages) | drain msgs/s | peak RSS MB | CPU us/msg | status |"
echo "|---|---|---|---|---|"
for n in $SIZES; do
    line=$(grep "^RESULT label=aw-backlog-$n " "$LOG" | tail -1)
    python3 - "$n" "$line" <<'EOF'
import sys
n, line = sys.argv[1], sys.argv[2]
kv = dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
print(f"| {int(n):,} | {float(kv.get('rate', 'nan')):.0f} | {kv.get('rss_mb', '?')} "
      f"| {kv.get('cpu_us_per_msg', '?')} | {kv.get('status', 'failed')} |")
EOF
done

# Idle RSS of the README's worker (examples/orders-worker: its AMQP route on two queues, its
# HTTP route and the built-in endpoints), attached to empty queues of its own, doing nothing.
PREFIX=aw-bench-idle-
TOOL=(cargo run -q --manifest-path "$ROOT/Cargo.toml" -p asyncworker-tests --bin amqp-tool --)
"${TOOL[@]}" declare "${PREFIX}orders" "${PREFIX}orders.retry" >/dev/null
trap 'timeout 60 rabbitmqctl -q delete_queue "$BENCH_QUEUE" >/dev/null 2>&1 || true
      for q in orders orders.retry; do timeout 60 rabbitmqctl -q delete_queue "$PREFIX$q" >/dev/null 2>&1 || true; done' EXIT
ASYNCWORKER_AMQP_QUEUE_PREFIX="$PREFIX" ASYNCWORKER_HTTP_PORT=0 ASYNCWORKER_LOG=warn \
    "${CARGO_TARGET_DIR:-$ROOT/target}/release/orders-worker" >/dev/null 2>&1 &
PID=$!
for _ in $(seq 1 100); do # attached within 10 s
    [ "$(timeout 60 rabbitmqctl -q list_queues name consumers | awk -v q="${PREFIX}orders.retry" '$1 == q {print $2}')" = 1 ] && break
    sleep 0.1
done
sleep 2 # let start-up allocations settle before reading
echo "orders-worker idle RSS (attached, empty queues): $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' "/proc/$PID/status")"
kill -TERM "$PID"; wait "$PID" || true
