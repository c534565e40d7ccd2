#!/usr/bin/env bash
# HTTP hello-world benchmark of asyncworker against plain axum, in one script, with
# ../shared/bench's harness (http-bench.sh: warm-up, then `wrk -t2 -c64 -d10s --latency`).
# The two servers alternate (axum, asyncworker, axum, ...) so both see the same machine.
#
#   scripts/bench-http.sh                 # 3 repeats
#   REPEATS=1 scripts/bench-http.sh       # quick look
#
# asyncworker runs examples/http-bench: one `#[route(http = ["/"])]` with every layer on
# (metrics, body limit, request timeout, panic catching, connection cap, header read timeout)
# and the built-in endpoints. Prints every HTTPRESULT line, then the median requests/s of
# each, the ratio asyncworker / axum, and the p99 latencies. Raw lines are appended to
# target/bench/http-<date>.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${BENCH_DIR:-$ROOT/../shared/bench}"
REPEATS="${REPEATS:-3}"
LOG="$ROOT/target/bench/http-$(date +%Y%m%d).log"
mkdir -p "$(dirname "$LOG")"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

(cd "$ROOT" && cargo build --release -q -p http-bench)
(cd "$BENCH" && cargo build --release -q -p http-axum)
AW="$ROOT/target/release/http-bench"
AXUM="$BENCH/target/release/http-axum"

run() { # label, port, command
    local label=$1 port=$2; shift 2
    BENCH_HTTP_ADDR="127.0.0.1:$port" "$BENCH/http-bench.sh" "$label" "$port" -- "$@" \
        | tee -a "$LOG" || echo "HTTPRESULT label=$label status=failed" | tee -a "$LOG"
}

touch "$LOG"
RUN_START=$(wc -l < "$LOG")
for r in $(seq 1 "$REPEATS"); do
    echo "== repeat $r/$REPEATS" >&2
    run axum 8082 "$AXUM"
    run asyncworker 8085 "$AW"
done

tail -n +"$((RUN_START + 1))" "$LOG" | python3 -c '
import statistics, sys
rps, p99, p50, cpu = {}, {}, {}, {}
for line in sys.stdin:
    if not line.startswith("HTTPRESULT ") or "status=failed" in line:
        continue
    kv = dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
    if kv.get("errors", "none") != "none":
        print("ignored (errors):", line.strip(), file=sys.stderr)
        continue
    rps.setdefault(kv["label"], []).append(float(kv["rps"]))
    p99.setdefault(kv["label"], []).append(float(kv["p99_ms"]))
    p50.setdefault(kv["label"], []).append(float(kv["p50_ms"]))
    cpu.setdefault(kv["label"], []).append(float(kv["server_cpu_s"]))
med = lambda d, k: statistics.median(d[k]) if d.get(k) else float("nan")
print()
print("| server | requests/s (median) | p50 ms | p99 ms | server CPU s | runs |")
print("|---|---|---|---|---|---|")
for k in ["axum", "asyncworker"]:
    print(f"| {k} | {med(rps, k):.0f} | {med(p50, k):.3f} | {med(p99, k):.3f} | {med(cpu, k):.2f} | {len(rps.get(k, []))} |")
ratio = med(rps, "asyncworker") / med(rps, "axum")
aw99, ax99 = med(p99, "asyncworker"), med(p99, "axum")
print()
print(f"ratio asyncworker / axum = {ratio:.3f}; p99 asyncworker {aw99:.3f} ms vs axum {ax99:.3f} ms")
'
