#!/usr/bin/env bash
# Throughput of the embedded mock server (`llmkit serve`), measured with wrk on loopback.
#
# Scenarios (zero latency knobs):
#   chat     non-streaming chat completions, 16-token replies (the default --reply-tokens)
#   stream   streamed 256-token replies (--reply-tokens 256, --itl 0): 256 content chunks each
#   models   GET /v1/models: the same server stack with no parsing, counting or generation,
#            i.e. the floor that `chat` is compared against
# Each scenario runs RUNS times (default 3); the medians are printed at the end.
#
#   benches/mock-throughput.sh                   # defaults
#   RUNS=5 DURATION=15s CONNS=64 benches/mock-throughput.sh
#   SCENARIOS=chat benches/mock-throughput.sh  # one scenario
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
SCENARIOS=${SCENARIOS:-chat stream models}

if ! command -v wrk >/dev/null || [ ! -x /usr/bin/time ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update && $SUDO apt-get install -y wrk time
fi

cargo build --release --quiet
BIN=target/release/llmkit
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/chat.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello to the benchmark."}]}'
EOF
cat >"$WORK/models.lua" <<'EOF'
wrk.method = "GET"
EOF
cat >"$WORK/stream.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello to the benchmark."}]}'
EOF

start_server() {
  "$BIN" serve --addr 127.0.0.1:0 "$@" 2>"$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    if URL=$(grep -o 'listening on http://[0-9.:]*' "$WORK/server.log" 2>/dev/null); then
      URL=${URL#listening on }
      return 0
    fi
    sleep 0.1
  done
  echo "server did not start" >&2
  cat "$WORK/server.log" >&2
  exit 1
}

stop_server() {
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

server_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run_scenario NAME LUA -- server flags...
run_scenario() {
  local name=$1 lua=$2
  shift 2
  start_server "$@"
  # Sanity check of what is being measured, before measuring it.
  local body path=/v1/chat/completions
  if [ "$name" = models ]; then
    path=/v1/models
    body=$(curl -s "$URL$path")
  else
    body=$(curl -s -X POST -H 'content-type: application/json' --data "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$lua")" \
      "$URL$path")
  fi
  if [ "$name" = models ]; then
    grep -q '"gpt-4o-mini"' <<<"$body" || { echo "models check failed: $body" >&2; exit 1; }
    echo "$name: one reply = $(wc -c <<<"$body") bytes"
  elif [ "$name" = stream ]; then
    local chunks
    chunks=$(grep -c '"delta":{"content":"' <<<"$body" || true)
    [ "$chunks" -eq 256 ] || { echo "stream check failed: $chunks content chunks" >&2; exit 1; }
    grep -q '^data: \[DONE\]' <<<"$body" || { echo "stream check failed: no [DONE]" >&2; exit 1; }
    echo "$name: one reply = $(wc -c <<<"$body") bytes, 256 content chunks"
  else
    grep -q '"completion_tokens":16' <<<"$body" || { echo "chat check failed: $body" >&2; exit 1; }
    echo "$name: one reply = $(wc -c <<<"$body") bytes"
  fi
  : >"$WORK/$name.rps"
  : >"$WORK/$name.cpu"
  : >"$WORK/$name.proj"
  for i in $(seq 1 "$RUNS"); do
    local ticks0 ticks1
    ticks0=$(server_ticks)
    /usr/bin/time -f '%U %S' -o "$WORK/wrk.cpu" \
      wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s "$lua" "$URL$path" >"$WORK/$name.$i.txt"
    ticks1=$(server_ticks)
    if grep -q 'Non-2xx\|Socket errors' "$WORK/$name.$i.txt"; then
      echo "$name run $i had errors:" >&2
      cat "$WORK/$name.$i.txt" >&2
      exit 1
    fi
    local rps transfer requests cpu_us wrk_us projected
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/$name.$i.txt")
    transfer=$(awk '/^Transfer\/sec:/ {print $2}' "$WORK/$name.$i.txt")
    requests=$(awk '/requests in/ {print $1}' "$WORK/$name.$i.txt")
    # Server CPU time (user + system) per request: independent of how busy the machine is.
    cpu_us=$(awk -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
      'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
    wrk_us=$(awk -v n="$requests" '{printf "%.1f", ($1 + $2) * 1e6 / n}' "$WORK/wrk.cpu")
    # What the machine's cores could do with nothing else running: cores / CPU per request.
    projected=$(awk -v s="$cpu_us" -v w="$wrk_us" -v c="$(nproc)" 'BEGIN {printf "%.0f", c * 1e6 / (s + w)}')
    echo "  run $i: $rps req/s ($transfer/s); CPU per request: server $cpu_us us, wrk $wrk_us us;" \
      "idle-machine projection $projected req/s"
    echo "$rps" >>"$WORK/$name.rps"
    echo "$cpu_us" >>"$WORK/$name.cpu"
    echo "$projected" >>"$WORK/$name.proj"
  done
  stop_server
  printf '%s median: %.0f req/s, server CPU %s us/request, idle-machine projection %s req/s\n' "$name" \
    "$(median <"$WORK/$name.rps")" "$(median <"$WORK/$name.cpu")" "$(median <"$WORK/$name.proj")" >>"$WORK/summary"
}

echo "wrk -t$THREADS -c$CONNS -d$DURATION, $RUNS runs per scenario, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for scenario in $SCENARIOS; do
  case $scenario in
    chat) run_scenario chat "$WORK/chat.lua" ;;
    stream) run_scenario stream "$WORK/stream.lua" --reply-tokens 256 --itl 0 ;;
    models) run_scenario models "$WORK/models.lua" ;;
    *) echo "unknown scenario $scenario (chat, stream, models)" >&2; exit 2 ;;
  esac
done
echo "== medians"
cat "$WORK/summary"
