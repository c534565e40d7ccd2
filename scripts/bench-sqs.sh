#!/usr/bin/env bash
# SQS drain benchmark: an asyncworker route (`sqs-bench-worker`: bulks of 10, one call at once
# per queue) against a plain loop over the same SDK and HTTP client (`sqs-bench-plain drain`:
# receive ten, delete them in one batch, one loop per queue), interleaved, against a private
# moto server (an SQS emulator from PyPI: `pip install 'moto[server]'`).
#
#   scripts/bench-sqs.sh                        # N=20000 over Q=200 queues, 2 repeats
#   N=2000 Q=20 REPEATS=1 scripts/bench-sqs.sh  # quick look
#
# moto's every call costs in proportion to the length of the queue it touches, so the
# messages are spread over Q queues (100 each by default): with 20,000 in one queue a single
# receive takes seconds. Both consumers drain the same layout, filled the same way before each
# run. Prints every RESULT line, then the median msgs/s of each and the ratio
# asyncworker / plain.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${N:-20000}"
Q="${Q:-200}"
REPEATS="${REPEATS:-2}"
PORT="${PORT:-45999}"

(cd "$ROOT" && cargo build --release -q -p sqs-bench --bins)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"

python3 -m moto.server -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
MOTO=$!
trap 'kill $MOTO 2>/dev/null || true' EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true
for _ in $(seq 1 100); do
    curl -sf -o /dev/null "$AWS_ENDPOINT_URL/?Action=ListQueues" && break
    sleep 0.1
done

results=()
for r in $(seq 1 "$REPEATS"); do
    for who in plain asyncworker; do
        queues=$(seq -f "bench-$r-$who-%g" 1 "$Q" | paste -sd,)
        "$BIN/sqs-bench-plain" fill "$N" "$queues"
        load=$(cut -d' ' -f1 /proc/loadavg)
        if [ "$who" = plain ]; then
            line=$(timeout 1800 "$BIN/sqs-bench-plain" drain "$N" "$queues")
        else
            line=$(ASYNCWORKER_ROUTE_DRAIN_QUEUES="$queues" ASYNCWORKER_ROUTE_DRAIN_CONCURRENCY="$Q" \
                BENCH_N="$N" ASYNCWORKER_HTTP_ENABLED=false \
                ASYNCWORKER_LOG=warn timeout 1800 "$BIN/sqs-bench-worker" | grep '^RESULT')
        fi
        echo "$line who=$who repeat=$r load_before=$load"
        results+=("$who $(sed -E 's/.*msgs_per_s=([0-9]+).*/\1/' <<<"$line")")
    done
done
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
rates = {}
for line in sys.stdin:
    who, rate = line.split()
    rates.setdefault(who, []).append(float(rate))
p, a = statistics.median(rates["plain"]), statistics.median(rates["asyncworker"])
print(f"median msgs/s: plain {p:.0f}, asyncworker {a:.0f}; ratio asyncworker/plain {a / p:.2f}")
'
