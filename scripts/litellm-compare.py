#!/usr/bin/env python3
"""Check llmkit's cost arithmetic against LiteLLM on the same usage and the same price file.

Run through scripts/litellm-compare.sh, which installs litellm and builds llmkit. For every
case below, LiteLLM computes the cost with `cost_per_token` (standard traffic) or its batch
path (`call_type="retrieve_batch"`), and with `completion_cost` on a ModelResponse for a few
standard cases; llmkit computes it with `llmkit cost estimate ... --format json`. LiteLLM is
pointed at llmkit's data/prices.json with `register_model`, after checking that the entries it
then holds carry exactly our prices.

Any difference above 1e-9 USD fails, except in the cases marked `divergence`: there
docs/README-cost.md documents that llmkit deliberately bills differently from LiteLLM's batch
fallback, and the check is that the difference equals exactly the documented amount.

Usage: python3 scripts/litellm-compare.py --llmkit target/debug/llmkit [--prices data/prices.json]
"""

import argparse
import json
import os
import subprocess
import sys

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch a price map

import litellm  # noqa: E402
from litellm import ModelResponse, Usage  # noqa: E402
from litellm.types.utils import CompletionTokensDetailsWrapper, PromptTokensDetailsWrapper  # noqa: E402

TOLERANCE = 1e-9
PRICE_FIELDS = [
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "output_cost_per_reasoning_token",
    "input_cost_per_token_batches",
    "output_cost_per_token_batches",
    "cache_read_input_token_cost_batches",
    "cache_creation_input_token_cost_batches",
]


def case(model, style, inp, out, cached=0, write=0, reasoning=0, batch=False, divergence=None, provider=None):
    return dict(
        model=model,
        style=style,
        input=inp,
        output=out,
        cached=cached,
        write=write,
        reasoning=reasoning,
        batch=batch,
        divergence=divergence,
        provider=provider,
    )


def half_path_cached_without_price(p, c):
    """LiteLLM's half-price batch path bills cached tokens at the missing cache price: 0.
    llmkit bills them as input, halved."""
    return c["cached"] * p["input_cost_per_token"] / 2


def half_path_reasoning_price(p, c):
    """LiteLLM's half-price batch path bills reasoning tokens at half the output price;
    llmkit at half the reasoning price."""
    return c["reasoning"] * (p["output_cost_per_reasoning_token"] - p["output_cost_per_token"]) / 2


def tiered_only_batch(p, c):
    """A model priced only by `tiered_pricing` costs 0 in LiteLLM's batch path; llmkit bills
    half the standard tier price."""
    tier = select_tier(p["tiered_pricing"], c["input"])
    text_out = c["output"] - c["reasoning"]
    reasoning_rate = tier.get("output_cost_per_reasoning_token", tier["output_cost_per_token"])
    full = (
        c["input"] * tier["input_cost_per_token"]
        + text_out * tier["output_cost_per_token"]
        + c["reasoning"] * reasoning_rate
    )
    return full / 2


def select_tier(tiers, n):
    tiers = sorted(tiers, key=lambda t: t["range"][0])
    for t in tiers:
        if t["range"][0] < n <= t["range"][1]:
            return t
    return tiers[-1]


CASES = [
    # OpenAI-style usage: cached prompt tokens, reasoning tokens inside the completion.
    case("gpt-4o", "openai", 1000, 500, cached=400),
    case("gpt-4o-mini", "openai", 123_457, 4_321, cached=100_000),
    case("o1", "openai", 2000, 3000, cached=1000, reasoning=2500),
    case("o3-mini", "openai", 5000, 12_000, cached=4096, reasoning=11_000),
    case("gpt-5", "openai", 50_000, 8000, cached=30_000, reasoning=6000),
    case("gpt-5.4", "openai", 300_000, 8000, cached=100_000, reasoning=2000),  # above 272k
    case("gpt-5.4", "openai", 200_000, 8000, cached=100_000, reasoning=2000),
    case("gemini/gemini-2.5-flash", "openai", 10_000, 4000, cached=2000, reasoning=3000),
    case("gemini-2.5-pro", "openai", 150_000, 2000, cached=50_000, reasoning=1000),
    case("gemini-2.5-pro", "openai", 250_000, 2000, cached=50_000, reasoning=1000),  # above 200k
    case("deepseek/deepseek-chat", "openai", 9000, 700, cached=8000),
    case("mistral/mistral-large-latest", "openai", 9000, 700),
    case("dashscope/qwen-turbo", "openai", 9000, 700, reasoning=500),
    case("dashscope/qwen-plus-2025-07-28", "openai", 9000, 700, reasoning=500),  # first tier
    case("dashscope/qwen-plus-2025-07-28", "openai", 300_000, 700, reasoning=500),  # second tier
    case("text-embedding-3-small", "openai", 8000, 0),
    # Anthropic-style usage: cache writes and reads reported beside input_tokens.
    case("claude-sonnet-4-5", "anthropic", 1000, 400, cached=200, write=300, provider="anthropic"),
    case("claude-opus-4-5", "anthropic", 50_000, 2000, cached=40_000, write=5000, provider="anthropic"),
    case("claude-haiku-4-5", "anthropic", 7, 1, provider="anthropic"),
    # Batch traffic.
    case("gpt-4o", "openai", 1000, 500, cached=400, batch=True),
    case("gpt-5", "openai", 50_000, 8000, cached=30_000, reasoning=6000, batch=True),
    case("gpt-5.4", "openai", 300_000, 8000, cached=100_000, batch=True),
    case("gemini-2.5-pro", "openai", 250_000, 2000, cached=50_000, batch=True),
    case("gemini/gemini-2.5-flash", "openai", 10_000, 4000, cached=2000, reasoning=3000, batch=True),
    case("claude-sonnet-4-5", "anthropic", 1000, 400, cached=200, write=300, batch=True, provider="anthropic"),
    case("claude-opus-4-5", "anthropic", 50_000, 2000, cached=40_000, write=5000, batch=True, provider="anthropic"),
    case("deepseek/deepseek-chat", "openai", 9000, 700, cached=8000, batch=True),  # half price
    case("mistral/mistral-large-latest", "openai", 9000, 700, batch=True),  # half price
    # Documented divergences (LiteLLM's half-price batch fallback).
    case("gpt-4", "openai", 9000, 700, cached=3000, batch=True, divergence=half_path_cached_without_price),
    case("dashscope/qwen-turbo", "openai", 9000, 700, reasoning=500, batch=True, divergence=half_path_reasoning_price),
    case("dashscope/qwen-plus-2025-07-28", "openai", 9000, 700, reasoning=500, batch=True, divergence=tiered_only_batch),
]

# Standard cases that are also run through `completion_cost` on a ModelResponse.
COMPLETION_COST_CASES = [0, 2, 16, 17]


def litellm_usage(c):
    if c["style"] == "anthropic":
        return Usage(
            prompt_tokens=c["input"],
            completion_tokens=c["output"],
            total_tokens=c["input"] + c["output"],
            cache_creation_input_tokens=c["write"],
            cache_read_input_tokens=c["cached"],
        )
    kwargs = dict(prompt_tokens=c["input"], completion_tokens=c["output"], total_tokens=c["input"] + c["output"])
    if c["cached"] or c["write"]:
        kwargs["prompt_tokens_details"] = PromptTokensDetailsWrapper(
            cached_tokens=c["cached"], cache_creation_tokens=c["write"] or None
        )
    if c["reasoning"]:
        kwargs["completion_tokens_details"] = CompletionTokensDetailsWrapper(reasoning_tokens=c["reasoning"])
    return Usage(**kwargs)


def litellm_cost(c):
    usage = litellm_usage(c)
    call_type = "retrieve_batch" if c["batch"] else "completion"
    kwargs = dict(model=c["model"], usage_object=usage, call_type=call_type)
    if c["provider"]:
        kwargs["custom_llm_provider"] = c["provider"]
    prompt, completion = litellm.cost_per_token(**kwargs)
    return prompt + completion


def litellm_completion_cost(c):
    resp = ModelResponse(model=c["model"], usage=litellm_usage(c))
    kwargs = dict(completion_response=resp, model=c["model"])
    if c["provider"]:
        kwargs["custom_llm_provider"] = c["provider"]
    return litellm.completion_cost(**kwargs)


def llmkit_cost(binary, prices, c):
    # llmkit takes the normalized usage: input includes cached and cache-write tokens.
    args = [
        binary,
        "-q",
        "cost",
        "estimate",
        "-m",
        c["model"],
        "--input",
        str(c["input"]),
        "--output",
        str(c["output"]),
        "--cached",
        str(c["cached"]),
        "--cache-write",
        str(c["write"]),
        "--reasoning",
        str(c["reasoning"]),
        "--format",
        "json",
    ]
    if c["batch"]:
        args.append("--batch")
    env = dict(os.environ, LLMKIT_PRICES=prices)
    out = subprocess.run(args, check=True, capture_output=True, text=True, env=env).stdout
    rows = json.loads(out)["rows"]
    assert len(rows) == 1 and rows[0]["resolved"] == c["model"], rows
    return rows[0]["per_request_usd"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--llmkit", required=True)
    ap.add_argument("--prices", default=os.path.join(os.path.dirname(__file__), "..", "data", "prices.json"))
    args = ap.parse_args()
    prices_path = os.path.abspath(args.prices)
    with open(prices_path, encoding="utf-8") as f:
        prices = json.load(f)
    litellm.suppress_debug_info = True
    litellm.register_model(prices)

    failures = 0
    for c in CASES:
        entry = prices[c["model"]]
        info = litellm.get_model_info(c["model"], custom_llm_provider=c["provider"])
        for field in PRICE_FIELDS:
            have, want = info.get(field), entry.get(field)
            # register_model fills absent flat prices of tier-priced models with 0.
            if want is None and have == 0 and field in ("input_cost_per_token", "output_cost_per_token"):
                continue
            if have != want:
                print(f"FAIL {c['model']}: LiteLLM holds {field}={info.get(field)}, the file {entry.get(field)}")
                failures += 1
    for i, c in enumerate(CASES):
        ours = llmkit_cost(args.llmkit, prices_path, c)
        theirs = litellm_cost(c)
        label = (
            f"{c['model']:<32} {'batch' if c['batch'] else 'std  '} in={c['input']} cached={c['cached']} "
            f"write={c['write']} out={c['output']} reasoning={c['reasoning']}"
        )
        expected_delta = c["divergence"](prices[c["model"]], c) if c["divergence"] else 0.0
        delta = ours - theirs
        ok = abs(delta - expected_delta) <= TOLERANCE
        note = f" (documented divergence {expected_delta:.9f})" if c["divergence"] else ""
        print(f"{'ok  ' if ok else 'FAIL'} {label}: llmkit {ours:.12f} litellm {theirs:.12f}{note}")
        failures += not ok
        if i in COMPLETION_COST_CASES:
            via_completion = litellm_completion_cost(c)
            ok = abs(ours - via_completion) <= TOLERANCE
            print(f"{'ok  ' if ok else 'FAIL'} {label}: completion_cost {via_completion:.12f}")
            failures += not ok
    print(f"litellm {litellm_version()}: {len(CASES)} cases, {failures} failure(s)")
    return 1 if failures else 0


def litellm_version():
    try:
        from importlib.metadata import version

        return version("litellm")
    except Exception:  # noqa: BLE001
        return "?"


if __name__ == "__main__":
    sys.exit(main())
