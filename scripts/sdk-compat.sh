#!/usr/bin/env bash
# Wire-format proof against clients we did not write: the official `openai` and `anthropic`
# Python SDKs talk to `llmkit serve` (normal completion, streams parsed chunk by chunk, the
# include_usage chunk, Anthropic messages and streams, 401/400/429 errors raised as the SDKs'
# own exception types). Exits non-zero on any mismatch. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/sdk-venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check openai anthropic

cargo build --quiet
BIN=target/debug/llmkit
KEY="sk-llmkit-sdk-check"
LOGS=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$LOGS"
}
trap cleanup EXIT

# Start a server on a free port (port 0); its URL is read from its banner on stderr.
start_server() {
  local name=$1
  shift
  "$BIN" serve --addr 127.0.0.1:0 "$@" 2>"$LOGS/$name.log" &
  PIDS+=($!)
}

server_url() {
  local name=$1 url
  for _ in $(seq 1 100); do
    if url=$(grep -o 'listening on http://[0-9.:]*' "$LOGS/$name.log" 2>/dev/null); then
      echo "${url#listening on }"
      return 0
    fi
    sleep 0.1
  done
  echo "server $name did not start:" >&2
  cat "$LOGS/$name.log" >&2
  return 1
}

start_server main --require-key "$KEY"
start_server limited --rpm 60
MOCK_URL=$(server_url main)
MOCK_LIMITED_URL=$(server_url limited)
echo "servers: $MOCK_URL (key required), $MOCK_LIMITED_URL (--rpm 60)"

MOCK_URL="$MOCK_URL" MOCK_KEY="$KEY" MOCK_LIMITED_URL="$MOCK_LIMITED_URL" \
  "$VENV/bin/python" tests/sdk/sdk_check.py
