#!/usr/bin/env python3
"""Refresh llmkit's embedded price table (data/prices.json) from LiteLLM's price file.

LiteLLM (MIT) ships `model_prices_and_context_window_backup.json` inside its wheel on PyPI.
This script downloads the wheel with `pip download --no-deps` (the wheel's code is never
installed or copied), filters the file down to the providers and fields llmkit prices, and
writes:

- data/prices.json       the filtered entries, in LiteLLM's own key and field names, so the
                         file can be fed back to LiteLLM and a newer LiteLLM file can replace it;
- data/prices.meta.json  the LiteLLM version and the snapshot date (`llmkit cost prices` shows them).

Usage:  python3 scripts/update-prices.py [--version X.Y.Z] [--from FILE.json --litellm-version X.Y.Z]

Only fields whose arithmetic llmkit implements are kept (see docs/README-cost.md), so that
LiteLLM pointed at the same file computes exactly the same costs. Service-tier (flex,
priority), off-peak, per-TTL cache-write, audio/image/video and per-character prices are
dropped on purpose.
"""

import argparse
import datetime
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_NAME = "litellm/model_prices_and_context_window_backup.json"

# litellm_provider values kept whole (every chat/completion/embedding model of theirs).
PROVIDERS = {
    "openai",
    "text-completion-openai",
    "anthropic",
    "gemini",
    "mistral",
    "codestral",
    "text-completion-codestral",
    "deepseek",
    "dashscope",  # Alibaba Model Studio: the Qwen API
}
# Gemini models served by Vertex AI are listed under their bare names (`gemini-2.5-pro`);
# keep those too so the bare name resolves.
VERTEX_GEMINI = "vertex_ai-language-models"
MODES = {"chat", "completion", "embedding", "responses"}

FLAT_FIELDS = [
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "output_cost_per_reasoning_token",
    "input_cost_per_token_batches",
    "output_cost_per_token_batches",
    "cache_read_input_token_cost_batches",
    "cache_creation_input_token_cost_batches",
    "max_input_tokens",
    "max_output_tokens",
    "max_tokens",
    "litellm_provider",
    "mode",
]
# Long-context prices: `<rate>_above_<N>[k]_tokens[_batches]`.
THRESHOLD_FIELD = re.compile(
    r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|"
    r"cache_creation_input_token_cost)_above_\d+k?_tokens(_batches)?$"
)
TIER_FIELDS = {
    "range",
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "output_cost_per_reasoning_token",
}


def keep_entry(key, entry):
    if not isinstance(entry, dict) or entry.get("mode") not in MODES:
        return False
    provider = entry.get("litellm_provider")
    if provider in PROVIDERS:
        pass
    elif provider == VERTEX_GEMINI and key.startswith("gemini"):
        pass
    else:
        return False
    return "input_cost_per_token" in entry or isinstance(entry.get("tiered_pricing"), list)


def filter_entry(entry):
    out = {}
    for field in sorted(entry):
        value = entry[field]
        if value is None:
            continue
        if field in FLAT_FIELDS or THRESHOLD_FIELD.match(field):
            out[field] = value
        elif field == "tiered_pricing" and isinstance(value, list):
            out[field] = [{k: v for k, v in tier.items() if k in TIER_FIELDS} for tier in value]
    return out


def download_source(version):
    tmp = tempfile.mkdtemp(prefix="llmkit-prices-")
    spec = f"litellm=={version}" if version else "litellm"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, spec], check=True
    )
    wheels = glob.glob(os.path.join(tmp, "litellm-*.whl"))
    if not wheels:
        sys.exit("pip download produced no litellm wheel")
    wheel = wheels[0]
    found_version = os.path.basename(wheel).split("-")[1]
    with zipfile.ZipFile(wheel) as zf:
        data = json.loads(zf.read(SOURCE_NAME))
    return data, found_version


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", help="litellm version to download (default: latest)")
    ap.add_argument("--from", dest="source", help="use this LiteLLM price file instead of downloading")
    ap.add_argument("--litellm-version", help="version to record with --from")
    ap.add_argument("--out", default=os.path.join(ROOT, "data"), help="output directory (default: data/)")
    args = ap.parse_args()

    if args.source:
        with open(args.source, encoding="utf-8") as f:
            data = json.load(f)
        version = args.litellm_version or "unknown"
    else:
        data, version = download_source(args.version)

    kept = {key: filter_entry(entry) for key, entry in sorted(data.items()) if keep_entry(key, entry)}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "prices.json"), "w", encoding="utf-8") as f:
        json.dump(kept, f, indent=1, sort_keys=False)
        f.write("\n")
    meta = {
        "source": "LiteLLM model_prices_and_context_window_backup.json (MIT)",
        "litellm_version": version,
        "snapshot_date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "models": len(kept),
    }
    with open(os.path.join(args.out, "prices.meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"wrote {len(kept)} models from litellm {version} to {args.out}/prices.json", file=sys.stderr)


if __name__ == "__main__":
    main()
