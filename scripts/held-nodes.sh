# Sourced by the benchmark scripts that need private RabbitMQ nodes (tests/src/bin/tls-node.rs,
# tests/src/bin/rabbit-cluster.rs): such a binary prints shell lines ending with `<READY>=1` and
# holds its nodes while its stdin is open. `hold_nodes` starts it on a fifo kept open as fd 9,
# waits for the ready line and sources what it printed; the nodes stop when the script exits
# (the EXIT trap closes fd 9, then waits for the binary to shut them down).
#
#   . "$ROOT/scripts/held-nodes.sh"
#   hold_nodes "$OUT/rabbit-cluster" CLUSTER_READY 180   # binary, ready variable, limit in s

hold_nodes() {
    local bin=$1 ready=$2 limit=$3
    HELD_TMP="$(mktemp -d)"
    mkfifo "$HELD_TMP/stdin"
    "$bin" < "$HELD_TMP/stdin" > "$HELD_TMP/nodes.env" 2> "$HELD_TMP/nodes.err" &
    HELD_PID=$!
    exec 9> "$HELD_TMP/stdin"
    trap release_nodes EXIT
    for _ in $(seq 1 $((limit * 10))); do
        grep -q "^$ready=1\$" "$HELD_TMP/nodes.env" && break
        kill -0 "$HELD_PID" 2>/dev/null || { cat "$HELD_TMP/nodes.err" >&2; exit 1; }
        sleep 0.1
    done
    grep -q "^$ready=1\$" "$HELD_TMP/nodes.env" || { echo "$bin: not ready within ${limit} s" >&2; exit 1; }
    # shellcheck disable=SC1091
    . "$HELD_TMP/nodes.env"
}

# Closing stdin stops the nodes; the binary gets 90 s to shut them down, then SIGTERM.
release_nodes() {
    exec 9>&-
    for _ in $(seq 1 900); do kill -0 "$HELD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$HELD_PID" 2>/dev/null || true
    wait "$HELD_PID" 2>/dev/null || true
    rm -rf "$HELD_TMP"
}
