#!/usr/bin/env bash
# Generator capacity: requests/s of `llmkit bench` (computing every metric) next to oha and wrk,
# in one run, against the same non-streaming endpoint of the embedded mock (`llmkit serve`,
# zero latency, its own process).
#
# Each tool gets the same connections, duration and request body; rounds alternate the tools
# and the median of ROUNDS rounds is compared. Exits non-zero when llmkit reaches less than
# 0.8x the requests/s of a peer. Usage: benches/bench-capacity.sh
# (ROUNDS=5 DURATION=10 CONNECTIONS=64; SKIP_OHA=1 to compare with wrk only).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
TOOLS=${TOOLS_DIR:-${TMPDIR:-/tmp}/llmkit-bench-tools}

need_apt() {
    if ! command -v "$1" >/dev/null; then
        apt-get update && apt-get install -y "$2"
    fi
}
need_apt python3 python3
need_apt wrk wrk
OHA=""
if [ -z "${SKIP_OHA:-}" ]; then
    if command -v oha >/dev/null; then
        OHA=$(command -v oha)
    else
        [ -x "$TOOLS/bin/oha" ] || cargo install oha --locked --root "$TOOLS"
        OHA="$TOOLS/bin/oha"
    fi
fi

cargo build --release --quiet
BIN=$PWD/target/release/llmkit
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" -q serve --addr 127.0.0.1:$PORT 2> "$WORK/serve.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 50); do
    grep -q listening "$WORK/serve.log" && break
    sleep 0.1
done
URL=http://127.0.0.1:$PORT/v1/chat/completions

# One fixed body for the peers; llmkit sends prompts of the same size (12 words + 7 tokens of
# chat framing = 19 tokens) and the same max_tokens.
BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"the quick brown fox jumps over the lazy dog again and again"}],"max_tokens":16}'
PROMPT_TOKENS=19
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
LUA

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "endpoint: $URL (llmkit serve, zero latency), $CONNECTIONS connections, ${DURATION}s per tool per round"
[ -n "$OHA" ] && echo "oha: $("$OHA" --version)"
echo "wrk: $(wrk -v 2>&1 | head -1)"
echo

run_llmkit() {
    OPENAI_API_KEY=not-needed "$BIN" -q bench --base-url "http://127.0.0.1:$PORT/v1" -m gpt-4o-mini --no-stream \
        -c "$CONNECTIONS" -d "${DURATION}s" --prompt-tokens "$PROMPT_TOKENS" --max-tokens 16 \
        --no-progress --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["request_throughput"])'
}
# For reference, not gated: the same run with every request through the full engine
# (`--via-engine`), i.e. what the direct path saves.
run_llmkit_engine() {
    OPENAI_API_KEY=not-needed "$BIN" -q bench --base-url "http://127.0.0.1:$PORT/v1" -m gpt-4o-mini --no-stream \
        -c "$CONNECTIONS" -d "${DURATION}s" --prompt-tokens "$PROMPT_TOKENS" --max-tokens 16 --via-engine \
        --no-progress --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["request_throughput"])'
}
run_wrk() {
    wrk -t 2 -c "$CONNECTIONS" -d "${DURATION}s" -s "$WORK/post.lua" "$URL" \
        | awk '/Requests\/sec/ {print $2}'
}
run_oha() {
    "$OHA" --no-tui -z "${DURATION}s" -c "$CONNECTIONS" -m POST -H 'content-type: application/json' \
        -d "$BODY" --output-format json "$URL" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["requestsPerSec"])'
}

: > "$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
    for tool in llmkit llmkit_engine wrk ${OHA:+oha}; do
        rps=$("run_$tool")
        echo "round $round  $tool  $rps req/s"
        echo "$round $tool $rps" >> "$WORK/results"
    done
done

python3 - "$WORK/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
by = {}
for rnd, tool, rps in rows:
    by.setdefault(tool, []).append(float(rps))
med = {t: statistics.median(v) for t, v in by.items()}
print("\n| tool | requests/s per round | median | llmkit / tool |")
print("|---|---|---|---|")
failed = False
for t, v in by.items():
    ratio = med["llmkit"] / med[t]
    if t not in ("llmkit", "llmkit_engine") and ratio < 0.8:
        failed = True
    print(f"| {t} | {', '.join(f'{x:.0f}' for x in v)} | {med[t]:.0f} | {ratio:.2f} |")
sys.exit(1 if failed else 0)
PY
