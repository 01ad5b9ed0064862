#!/usr/bin/env bash
# Compare llmkit's costs with LiteLLM's on the same usage and the same price file
# (data/prices.json). Installs litellm from PyPI into a virtualenv, builds llmkit, runs
# scripts/litellm-compare.py. Exits non-zero on any difference above 1e-9 USD that is not a
# documented divergence (docs/README-cost.md).
#
#   scripts/litellm-compare.sh                 # litellm: newest installable version
#   LITELLM_SPEC='litellm==1.106.2' scripts/litellm-compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${LITELLM_VENV:-${TMPDIR:-/tmp}/llmkit-litellm-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "${LITELLM_SPEC:-litellm}"
cargo build --quiet
LITELLM_LOCAL_MODEL_COST_MAP=True "$VENV/bin/python" scripts/litellm-compare.py \
  --llmkit target/debug/llmkit --prices data/prices.json
