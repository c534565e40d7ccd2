#!/usr/bin/env bash
# Instructions per message, counted by callgrind (the same count on a busy machine as on a
# quiet one), for our consumer and for the raw lapin and amqprs consumers of ../shared/bench,
# at bulk 1 (prefetch 256, one ack per message) and bulk 100 (prefetch 1024, one multiple ack
# per 100).
#
#   scripts/callgrind-amqp.sh                                  # every consumer
#   CONSUMERS="aw-bulk1 lapin-ack1" scripts/callgrind-amqp.sh  # some
#   TOP=30 scripts/callgrind-amqp.sh                           # longer function lists
#
# Each consumer drains N1 (2,000) and then N2 (12,000) persistent ~200-byte messages under
# `valgrind --tool=callgrind`; instructions per message are (Ir(N2) - Ir(N1)) / (N2 - N1), so
# start-up, connection and shutdown cancel out. A drain ends when the queue holds no ready
# and no unacked message (rabbitmqctl), then the consumer gets SIGTERM. For our consumers the
# script also prints the TOP (15) functions by inclusive instructions in the N2 run and the
# same list restricted to asyncworker's own functions. Profiles stay in
# target/bench/callgrind/; raw lines are appended to target/bench/callgrind-<date>.log.
#
# `aw-*` is examples/bench-consumer (JSON bodies into `IgnoredAny`), `aw-bytes-*` its
# `Message<Bytes>` twin (no decoding), as in scripts/bench-amqp.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${BENCH_DIR:-$ROOT/../shared/bench}"
N1="${N1:-2000}"
N2="${N2:-12000}"
TOP="${TOP:-15}"
CONSUMERS="${CONSUMERS:-aw-bulk1 aw-bytes-bulk1 lapin-ack1 amqprs-ack1 aw-bulk100 aw-bytes-bulk100 lapin-multi100 amqprs-multi100}"
export BENCH_QUEUE="${BENCH_QUEUE:-aw.bench.callgrind}"
export AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
OUT="$ROOT/target/bench/callgrind"
LOG="$ROOT/target/bench/callgrind-$(date +%Y%m%d).log"
mkdir -p "$OUT"
trap 'timeout 60 rabbitmqctl -q delete_queue "$BENCH_QUEUE" >/dev/null 2>&1 || true' EXIT

(cd "$ROOT" && cargo build --release -q -p bench-consumer --bins)
(cd "$BENCH" && cargo build --release -q -p amqp-bench -p lapin-consumer -p amqprs-consumer)
OURS="${CARGO_TARGET_DIR:-$ROOT/target}/release"
RAW="${CARGO_TARGET_DIR:-$BENCH/target}/release"

# The environment and the binary of each consumer (apart: valgrind must start the binary
# itself, as it does not follow `env`'s exec).
vars_of() {
    case "$1" in
        *-bulk1) echo "BENCH_BULK=1 BENCH_PREFETCH=256" ;;
        *-bulk100) echo "BENCH_BULK=100 BENCH_PREFETCH=1024" ;;
        *-ack1) echo "BENCH_ACK=single BENCH_PREFETCH=256" ;;
        *-multi100) echo "BENCH_ACK=multiple BENCH_BULK=100 BENCH_PREFETCH=1024" ;;
        *) echo "unknown consumer $1" >&2; exit 2 ;;
    esac
}
bin_of() {
    case "$1" in
        aw-bytes-*) echo "$OURS/bench-consumer-bytes" ;;
        aw-*) echo "$OURS/bench-consumer" ;;
        lapin-*) echo "$RAW/lapin-consumer" ;;
        amqprs-*) echo "$RAW/amqprs-consumer" ;;
        *) echo "unknown consumer $1" >&2; exit 2 ;;
    esac
}

messages_left() { # ready + unacked in the queue
    timeout 60 rabbitmqctl -q list_queues name messages | awk -v q="$BENCH_QUEUE" '$1 == q {print $2}'
}

# Drains N messages with NAME under callgrind; prints the profile's total instructions.
drain() {
    local name=$1 n=$2 profile="$OUT/$1-$2.out" pid left
    timeout 300 "$RAW/amqp-bench" prefill --n "$n" --mode persistent >/dev/null
    rm -f "$profile"
    # shellcheck disable=SC2046 # the variables are words on purpose
    setsid env $(vars_of "$name") valgrind --tool=callgrind --callgrind-out-file="$profile" \
        "$(bin_of "$name")" >"$OUT/$name-$n.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do # 10 minutes at most
        sleep 1
        left=$(messages_left)
        [ "$left" = 0 ] && break
    done
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ "$left" != 0 ] || [ ! -s "$profile" ]; then
        echo "error: $name did not drain $n messages under callgrind (left: $left); see $OUT/$name-$n.log" >&2
        return 1
    fi
    awk '/^(summary|totals):/ {print $2; exit}' "$profile"
}

for name in $CONSUMERS; do
    echo "== $name" >&2
    ir1=$(drain "$name" "$N1") && ir2=$(drain "$name" "$N2") || {
        echo "CALLGRIND label=$name status=failed" | tee -a "$LOG"; continue; }
    echo "CALLGRIND label=$name status=ok n1=$N1 n2=$N2 ir1=$ir1 ir2=$ir2" \
        "ir_per_msg=$(((ir2 - ir1) / (N2 - N1)))" | tee -a "$LOG"
    if [[ $name == aw-* ]]; then
        echo "-- $name: top $TOP functions by inclusive instructions ($N2 messages)"
        # (awk reads to the end: `head` would close the pipe and fail it under pipefail)
        callgrind_annotate --inclusive=yes "$OUT/$name-$N2.out" 2>/dev/null |
            awk -v top="$TOP" '/^ *[0-9,]+ / && n++ < top'
        echo "-- $name: top $TOP of asyncworker's own functions, inclusive"
        callgrind_annotate --inclusive=yes "$OUT/$name-$N2.out" 2>/dev/null |
            awk -v top="$TOP" '/^ *[0-9,]+ .*asyncworker::/ && n++ < top'
    fi
done
