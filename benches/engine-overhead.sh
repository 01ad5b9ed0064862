#!/usr/bin/env bash
# Engine overhead: completed requests/s through Engine::execute against the zero-latency
# embedded mock, concurrency 64, client and server in one process on separate 2-thread
# runtimes (sharing the machine's cores). Repeats RUNS times and prints each run.
# Usage: benches/engine-overhead.sh [RUNS] [SECONDS]   (defaults 5 and 10). Needs only cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-5}"
SECS="${2:-10}"
cargo build --release --example engine_bench -q
for i in $(seq "$RUNS"); do
  target/release/examples/engine_bench overhead --secs "$SECS" -j 64
done
