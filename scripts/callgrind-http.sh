#!/usr/bin/env bash
# Instructions per HTTP request, counted by callgrind (the same count on a busy machine as on a
# quiet one), for examples/http-bench (one route with every layer on) and for the plain axum
# server of ../shared/bench, on the hello-world GET of scripts/bench-http.sh.
#
#   scripts/callgrind-http.sh                    # both servers
#   SERVERS=asyncworker TOP=40 scripts/callgrind-http.sh
#
# Each server starts under `valgrind --tool=callgrind` with its instrumentation off; wrk warms it up
# (keep-alive connections, WARMUP_S = 3 s), then the counters are zeroed, wrk runs DURATION_S
# (10 s, WRK_CONNS = 8 connections: few, so that no request times out under valgrind), and the
# counters are dumped: instructions per request are that dump's total over wrk's request
# count. The TOP (15) functions by inclusive instructions follow, and for ours the same list
# restricted to asyncworker's functions. Profiles stay in target/bench/callgrind/; raw lines
# are appended to target/bench/callgrind-http-<date>.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${BENCH_DIR:-$ROOT/../shared/bench}"
SERVERS="${SERVERS:-axum asyncworker}"
WARMUP_S="${WARMUP_S:-3}"
DURATION_S="${DURATION_S:-10}"
WRK_CONNS="${WRK_CONNS:-8}"
TOP="${TOP:-15}"
PORT="${PORT:-8091}"
OUT="$ROOT/target/bench/callgrind"
LOG="$ROOT/target/bench/callgrind-http-$(date +%Y%m%d).log"
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

(cd "$ROOT" && cargo build --release -q -p http-bench)
(cd "$BENCH" && cargo build --release -q -p http-axum)
bin_of() {
    case "$1" in
        asyncworker) echo "${CARGO_TARGET_DIR:-$ROOT/target}/release/http-bench" ;;
        axum) echo "${CARGO_TARGET_DIR:-$BENCH/target}/release/http-axum" ;;
        *) echo "unknown server $1" >&2; exit 2 ;;
    esac
}

PID=
stop_server() {
    [ -n "$PID" ] || return 0
    kill -TERM -- "-$PID" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=
}
trap stop_server EXIT

# Serves NAME under callgrind, measures DURATION_S of wrk; prints "instructions requests".
measure() {
    local name=$1 profile="$OUT/http-$1.out" url="http://127.0.0.1:$PORT/" wrk_out
    rm -f "$OUT/http-$name".out*
    setsid env BENCH_HTTP_ADDR="127.0.0.1:$PORT" valgrind --tool=callgrind \
        --instr-atstart=no --callgrind-out-file="$profile" \
        "$(bin_of "$name")" >"$OUT/http-$name.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 600); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && break
        sleep 0.2
    done
    curl -fsS -o /dev/null "$url" || { echo "error: $name did not answer; see $OUT/http-$name.log" >&2; return 1; }
    wrk -t1 -c"$WRK_CONNS" -d"${WARMUP_S}s" "$url" >/dev/null
    callgrind_control --instr=on "$PID" >/dev/null 2>&1
    callgrind_control --zero "$PID" >/dev/null 2>&1
    wrk_out=$(wrk -t1 -c"$WRK_CONNS" -d"${DURATION_S}s" --timeout 10s "$url")
    callgrind_control --dump "$PID" >/dev/null 2>&1
    stop_server
    # The dump taken on request is the profile with the highest number.
    local dumped
    dumped=$(ls "$profile".* 2>/dev/null | sort -t. -k2 -n | tail -1)
    [ -n "$dumped" ] || { echo "error: no callgrind dump for $name" >&2; return 1; }
    mv "$dumped" "$profile"
    rm -f "$profile".*
    if grep -q "Socket errors\|Non-2xx" <<<"$wrk_out"; then
        echo "error: $name answered with errors under callgrind:" >&2
        echo "$wrk_out" >&2
        return 1
    fi
    echo "$(awk '/^(summary|totals):/ {print $2; exit}' "$profile")" \
        "$(awk '/requests in/ {print $1}' <<<"$wrk_out")"
}

for name in $SERVERS; do
    echo "== $name" >&2
    # Into a file, not a pipe: measure runs in this shell, where the EXIT trap sees $PID.
    measure "$name" >"$OUT/http-$name.count" && read -r ir requests <"$OUT/http-$name.count" || {
        stop_server
        echo "CALLGRIND-HTTP label=$name status=failed" | tee -a "$LOG"; continue; }
    echo "CALLGRIND-HTTP label=$name status=ok requests=$requests ir=$ir" \
        "ir_per_request=$((ir / requests))" | tee -a "$LOG"
    echo "-- $name: top $TOP functions by inclusive instructions"
    # (awk reads to the end: `head` would close the pipe and fail it under pipefail)
    callgrind_annotate --inclusive=yes "$OUT/http-$name.out" 2>/dev/null |
        awk -v top="$TOP" '/^ *[0-9,]+ / && n++ < top'
    if [ "$name" = asyncworker ]; then
        echo "-- $name: top $TOP of asyncworker's own functions, inclusive"
        callgrind_annotate --inclusive=yes "$OUT/http-$name.out" 2>/dev/null |
            awk -v top="$TOP" '/^ *[0-9,]+ .*asyncworker::/ && n++ < top'
    fi
done
