#!/usr/bin/env bash
# Speed of `llmkit chat`, side by side with Simon Willison's `llm` CLI, in one run.
#
# 1. Whole-process wall time of `echo hi | <cli> --no-stream` against the embedded mock server
#    (`llmkit serve`, zero latency), measured by hyperfine; both CLIs talk to the same endpoint
#    (llm through its extra-openai-models.yaml in a private LLM_USER_PATH).
# 2. Time from the first SSE byte to llmkit's stdout (benches/first-byte.py).
#
# Installs what it needs (hyperfine from Debian, llm from PyPI into a venv) so it reruns on a
# fresh machine. Only loopback traffic. Results go to stdout; benches/chat.md quotes them.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-40}
WORK=$(mktemp -d)
trap 'kill "${SERVE_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

if ! command -v hyperfine >/dev/null; then
    apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null
fi
VENV=${LLM_VENV:-$HOME/.cache/llmkit-bench/venv}
if [ ! -x "$VENV/bin/llm" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q llm
fi
LLM="$VENV/bin/llm"

cargo build --release -q
LLMKIT="$PWD/target/release/llmkit"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$LLMKIT" serve --addr "127.0.0.1:$PORT" -q &
SERVE_PID=$!
python3 - "$PORT" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close()
        break
    except OSError:
        time.sleep(0.05)
PY
BASE="http://127.0.0.1:$PORT/v1"

# llm: one extra OpenAI-compatible model pointing at the same mock.
export LLM_USER_PATH="$WORK/llm"
mkdir -p "$LLM_USER_PATH"
cat > "$LLM_USER_PATH/extra-openai-models.yaml" <<YAML
- model_id: mock
  model_name: gpt-4o-mini
  api_base: "$BASE"
  api_key_name: mock
YAML
echo '{"mock": "sk-bench"}' > "$LLM_USER_PATH/keys.json"

# llmkit: its own data dirs (conversation files and ledger are written, as by default;
# llm logs to its SQLite database by default too).
export HOME_LLMKIT="$WORK/llmkit"
mkdir -p "$HOME_LLMKIT"
export XDG_DATA_HOME="$HOME_LLMKIT" LLMKIT_LEDGER="$HOME_LLMKIT/usage.jsonl" OPENAI_API_KEY=sk-bench
unset LLMKIT_CONFIG LLMKIT_PROFILE LLMKIT_MODEL

echo "== sanity"
echo hi | "$LLMKIT" chat --base-url "$BASE" -m gpt-4o-mini --no-stream | head -c 120; echo
echo hi | "$LLM" -m mock --no-stream | head -c 120; echo
"$LLM" --version
"$LLMKIT" --version
nproc; uptime

echo "== wall time, $RUNS runs each (hyperfine)"
hyperfine --shell=bash --warmup 5 --runs "$RUNS" --export-markdown "$WORK/wall.md" --export-json "$WORK/wall.json" \
    -n "llmkit chat" "echo hi | $LLMKIT chat --base-url $BASE -m gpt-4o-mini --no-stream" \
    -n "llm" "echo hi | $LLM -m mock --no-stream"
cat "$WORK/wall.md"
python3 - "$WORK/wall.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, b = r["llmkit chat"], r["llm"]
print(f"medians: llmkit {a['median']*1000:.1f} ms, llm {b['median']*1000:.1f} ms -> llmkit is {b['median']/a['median']:.1f}x faster")
PY

echo "== first SSE byte -> stdout"
python3 benches/first-byte.py "$LLMKIT" "${FIRST_BYTE_RUNS:-50}"
