#!/usr/bin/env bash
# The OAuth2 demo of issue #10: `llmkit serve --oauth-client ID:SECRET --token-ttl 2s` and a
# batch of 2,000 requests through an `auth = "oauth2"` profile, with enough mock latency that
# the run spans several token lifetimes. Prints, per run: wall time, token endpoint calls
# (from the mock's GET /mock/stats), wall/ttl, and API requests refused for an expired token.
# Every request must succeed, and token calls should be about wall/ttl (one per lifetime,
# refreshed 10% early), not one per request or per worker. Loopback only. Results:
# benches/oauth.md.
#
#   benches/oauth-batch.sh
#
# Knobs (environment): RUNS (3), N (2000 requests), J (20 workers), TTL (2s), TTFT (100ms mock
# latency per request), LLMKIT_BIN (default: a release build made here; a debug binary gives the
# same counts, only more CPU per request).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
N="${N:-2000}"
J="${J:-20}"
TTL="${TTL:-2s}"
TTFT="${TTFT:-100ms}"

if ! command -v python3 >/dev/null || ! command -v curl >/dev/null; then
    apt-get update && apt-get install -y python3 curl
fi
if [ -z "${LLMKIT_BIN:-}" ]; then
    cargo build --release --quiet
    LLMKIT_BIN="$PWD/target/release/llmkit"
fi
BIN="$LLMKIT_BIN"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

SECRET="bench-secret-$$"
ttl_s=$(python3 -c "import sys,re; v=sys.argv[1]; m=re.fullmatch(r'([0-9.]+)(ms|s|m)?', v); n=float(m.group(1)); u=m.group(2) or 's'; print(n/1000 if u=='ms' else n*60 if u=='m' else n)" "$TTL")
python3 -c "import sys; print('\n'.join(f'question {i}' for i in range(int(sys.argv[1]))))" "$N" > "$WORK/in.txt"

echo "llmkit: $BIN ($("$BIN" --version))"
echo "requests $N, workers $J, token ttl $TTL, mock ttft $TTFT, runs $RUNS"
printf '%-4s %8s %12s %9s %11s %9s\n' run wall_s token_calls wall/ttl 401_expired ok
for run in $(seq 1 "$RUNS"); do
    # A fresh server per run: its counters start at zero.
    "$BIN" serve --addr 127.0.0.1:0 --oauth-client "bench-app:$SECRET" --token-ttl "$TTL" --ttft "$TTFT" \
        2> "$WORK/serve.err" &
    SERVER_PID=$!
    url=""
    for _ in $(seq 1 100); do
        url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$WORK/serve.err" | head -n1)
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "$url" ] || { cat "$WORK/serve.err"; exit 1; }
    cat > "$WORK/config.toml" <<EOF
[profiles.gw]
base_url = "$url/v1"
model = "gpt-4o-mini"
auth = "oauth2"
token_url = "$url/oauth/token"
client_id = "bench-app"
client_secret_env = "BENCH_OAUTH_SECRET"
EOF
    rm -f "$WORK/out.jsonl" "$WORK/out.errors.jsonl"
    start=$(date +%s.%N)
    BENCH_OAUTH_SECRET="$SECRET" "$BIN" --config "$WORK/config.toml" batch --text --profile gw \
        -j "$J" --no-ledger --no-progress --format json "$WORK/in.txt" -o "$WORK/out.jsonl" > "$WORK/summary.json"
    end=$(date +%s.%N)
    curl -s "$url/mock/stats" > "$WORK/stats.json"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    python3 - "$run" "$start" "$end" "$ttl_s" "$WORK/summary.json" "$WORK/stats.json" "$SECRET" "$WORK/out.jsonl" <<'PY' | tee -a "$WORK/rows"
import json, sys
run, start, end, ttl = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
summary = json.load(open(sys.argv[5]))
stats = json.load(open(sys.argv[6]))
secret = sys.argv[7]
out = open(sys.argv[8]).read()
wall = end - start
ok = summary["succeeded"] == summary["total"] and summary["failed"] == 0 and secret not in out and "mock-at-" not in out
print(f"{run:<4} {wall:8.2f} {stats['oauth_tokens_issued']:12d} {wall / ttl:9.2f} {stats['oauth_token_rejections']:11d} {'yes' if ok else 'NO':>9}")
PY
done
python3 - "$WORK/rows" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
med = lambda i: statistics.median(float(r[i]) for r in rows)
print(f"median: wall {med(1):.2f} s, token calls {med(2):.0f}, wall/ttl {med(3):.2f}; all ok: {all(r[5] == 'yes' for r in rows)}")
PY
