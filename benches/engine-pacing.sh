#!/usr/bin/env bash
# Pacing accuracy of the engine's rate limiter against the embedded mock (loopback only).
#   1. --rpm 1200 against an unlimited mock: per-second sends within 2% of 20/s, never above
#      the bucket (capacity 20 + 20/s).
#   2. a mock enforcing --rpm 600 --tpm 60000, client with the same limits: zero 429s.
#   3. the same mock, client with no limits (AIMD + learned header limits): < 5% 429s.
# Usage: benches/engine-pacing.sh [SECONDS]   (default 30). Needs only cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-30}"
cargo build --release --example engine_bench -q
BIN=target/release/examples/engine_bench
echo "== 1. client --rpm 1200, unlimited mock, ${SECS}s"
"$BIN" pacing --rpm 1200 --secs "$SECS" -j 64
echo "== 2. client --rpm 600 --tpm 60000, mock --rpm 600 --tpm 60000 (max_tokens 90: both limits bind)"
"$BIN" pacing --rpm 600 --tpm 60000 --server-rpm 600 --server-tpm 60000 --max-tokens 90 --secs "$SECS" -j 64
echo "== 3. client without limits, mock --rpm 600 --tpm 60000"
"$BIN" pacing --server-rpm 600 --server-tpm 60000 --max-tokens 90 --secs "$SECS" -j 64
