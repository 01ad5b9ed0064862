#!/usr/bin/env bash
# Interactive `llmkit chat` in a real terminal: tmux runs it, send-keys types, capture-pane
# reads the screen. Checks the banner, an answer, multi-line input, /model, /usage, /reset,
# an unknown command, and /exit. Run from the repository root after `cargo build`:
#   bash tests/chat-interactive.sh [path/to/llmkit]
set -euo pipefail

BIN=${1:-target/debug/llmkit}
BIN=$(realpath "$BIN")
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }
WORK=$(mktemp -d)
SESSION="llmkit-chat-test-$$"
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"' EXIT

fail() {
    echo "FAIL: $*" >&2
    echo "---- screen ----" >&2
    tmux capture-pane -p -t "$SESSION" >&2 || true
    exit 1
}

# Wait (up to 10 s) until the screen shows $1.
wait_for() {
    for _ in $(seq 100); do
        tmux capture-pane -p -t "$SESSION" | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    fail "screen never showed: $1"
}

screen() { tmux capture-pane -p -S -200 -t "$SESSION"; }

tmux new-session -d -s "$SESSION" -x 160 -y 50 \
    "env -u LLMKIT_CONFIG -u LLMKIT_MODEL HOME=$WORK XDG_DATA_HOME=$WORK/data $BIN chat --mock; echo EXITED=\$?; sleep 30"

wait_for "llmkit chat: model "
wait_for ">"

# A question gets a streamed answer from the mock.
tmux send-keys -t "$SESSION" "hello there" Enter
answer_words() { screen | sed -n '/^> hello there$/{n;p;}' | wc -w; }
for _ in $(seq 100); do [ "$(answer_words)" -ge 3 ] && break; sleep 0.1; done
[ "$(answer_words)" -ge 3 ] || fail "expected an answer, got $(answer_words) words"

# Multi-line: a backslash continues the line; the prompt shows "... ".
tmux send-keys -t "$SESSION" 'first line \' Enter
wait_for "..."
tmux send-keys -t "$SESSION" "second line" Enter
wait_for "... second line"; sleep 0.3

# Commands.
tmux send-keys -t "$SESSION" "/model gpt-4o-mini" Enter
wait_for "(model: gpt-4o-mini)"
tmux send-keys -t "$SESSION" "/usage" Enter
wait_for "usage: in="
screen | grep -q "requests=2" || fail "/usage should sum two requests"
tmux send-keys -t "$SESSION" "/frobnicate" Enter
wait_for "unknown command \`/frobnicate\`"
tmux send-keys -t "$SESSION" "/reset" Enter
wait_for "(conversation reset"
tmux send-keys -t "$SESSION" "/exit" Enter
wait_for "EXITED=0"

# Two conversations were saved: before and after /reset (the second one is empty, so only
# the first has a file).
files=$(ls "$WORK/data/llmkit/conversations" | wc -l)
[ "$files" -ge 1 ] || fail "no conversation saved"
grep -q '"first line \\nsecond line"' "$WORK"/data/llmkit/conversations/*.json \
    || fail "the multi-line input was not sent as one message"

echo "chat interactive: 1 passed, 0 failed"
