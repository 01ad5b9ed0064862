"""Wire-format proof: the official `openai` and `anthropic` Python SDKs against `llmkit serve`.

Run by scripts/sdk-compat.sh, which starts two servers and passes their URLs:
  MOCK_URL          a server started with --require-key $MOCK_KEY
  MOCK_KEY          that key
  MOCK_LIMITED_URL  a server started with --rpm 60 (one request, then 429)

Both SDKs run with `_strict_response_validation=True`, so every response is also checked
against the SDKs' own response models. Any mismatch raises; the script exits non-zero.
"""

import os
import sys
import traceback

import anthropic
import openai

URL = os.environ["MOCK_URL"]
KEY = os.environ["MOCK_KEY"]
LIMITED_URL = os.environ["MOCK_LIMITED_URL"]
REPLY_TOKENS = 16  # the server's default --reply-tokens

HELLO = [{"role": "user", "content": "Hello!"}]
checked = []


def check(name):
    def wrap(fn):
        try:
            fn()
        except Exception:  # report every failure the same way, then stop
            print(f"FAIL {name}", flush=True)
            traceback.print_exc()
            sys.exit(1)
        checked.append(name)
        print(f"ok   {name}", flush=True)
        return fn

    return wrap


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


oai = openai.OpenAI(base_url=f"{URL}/v1", api_key=KEY, max_retries=0, _strict_response_validation=True)
ant = anthropic.Anthropic(base_url=URL, api_key=KEY, max_retries=0, _strict_response_validation=True)


@check("openai: chat completion (finish_reason stop, usage)")
def _():
    r = oai.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    expect(r.object == "chat.completion", r.object)
    msg = r.choices[0].message
    expect(msg.role == "assistant" and msg.content, msg)
    expect(r.choices[0].finish_reason == "stop", r.choices[0].finish_reason)
    expect(r.usage.completion_tokens == REPLY_TOKENS, r.usage)
    expect(r.usage.prompt_tokens == 9, r.usage)  # cookbook count of one "Hello!" message
    expect(r.usage.total_tokens == 9 + REPLY_TOKENS, r.usage)


@check("openai: max_tokens cuts the reply (finish_reason length)")
def _():
    r = oai.chat.completions.create(model="gpt-4o-mini", messages=HELLO, max_tokens=5)
    expect(r.choices[0].finish_reason == "length", r.choices[0].finish_reason)
    expect(r.usage.completion_tokens == 5, r.usage)


@check("openai: stream parsed chunk by chunk equals the plain reply")
def _():
    plain = oai.chat.completions.create(model="gpt-4o-mini", messages=HELLO).choices[0].message.content
    chunks = list(oai.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True))
    expect(all(c.object == "chat.completion.chunk" for c in chunks), "chunk objects")
    expect(chunks[0].choices[0].delta.role == "assistant", chunks[0])
    pieces = [c.choices[0].delta.content for c in chunks[1:] if c.choices and c.choices[0].delta.content]
    expect(len(pieces) == REPLY_TOKENS, f"{len(pieces)} content chunks")
    expect("".join(pieces) == plain, ("".join(pieces), plain))
    expect(chunks[-1].choices[0].finish_reason == "stop", chunks[-1])
    expect(all(c.usage is None for c in chunks), "no usage without include_usage")


@check("openai: stream_options.include_usage adds the usage chunk")
def _():
    chunks = list(
        oai.chat.completions.create(
            model="gpt-4o-mini",
            messages=HELLO,
            stream=True,
            max_tokens=7,
            stream_options={"include_usage": True},
        )
    )
    last = chunks[-1]
    expect(last.choices == [], last)
    expect(last.usage is not None and last.usage.completion_tokens == 7, last.usage)
    expect(last.usage.prompt_tokens == 9, last.usage)
    expect(all(c.usage is None for c in chunks[:-1]), "usage null before the last chunk")
    expect(chunks[-2].choices[0].finish_reason == "length", chunks[-2])


@check("openai: models.list and embeddings (SDK default base64 encoding)")
def _():
    ids = [m.id for m in oai.models.list()]
    expect("gpt-4o-mini" in ids, ids)
    # The SDK asks for base64 by default and decodes it after parsing; its strict mode checks
    # the raw base64 string against the float-list model, so this call runs non-strict.
    loose = openai.OpenAI(base_url=f"{URL}/v1", api_key=KEY, max_retries=0)
    e = loose.embeddings.create(model="text-embedding-3-small", input=["hello", "world"])
    expect(len(e.data) == 2 and len(e.data[0].embedding) == 1536, len(e.data))
    norm = sum(x * x for x in e.data[0].embedding) ** 0.5
    expect(abs(norm - 1.0) < 1e-3, norm)
    small = oai.embeddings.create(model="text-embedding-3-small", input="hello", dimensions=8, encoding_format="float")
    expect(len(small.data[0].embedding) == 8, small)


@check("openai: wrong key raises AuthenticationError (401)")
def _():
    bad = openai.OpenAI(base_url=f"{URL}/v1", api_key="sk-wrong", max_retries=0)
    try:
        bad.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    except openai.AuthenticationError as e:
        expect(e.status_code == 401, e.status_code)
        expect(e.code == "invalid_api_key", e.code)
        return
    raise AssertionError("no AuthenticationError")


@check("openai: bad request raises BadRequestError naming the param (400)")
def _():
    try:
        oai.chat.completions.create(model="gpt-4o-mini", messages=[])
    except openai.BadRequestError as e:
        expect(e.status_code == 400, e.status_code)
        expect(e.param == "messages", e.param)
        return
    raise AssertionError("no BadRequestError")


@check("openai: --rpm 60 answers the second request with RateLimitError (429)")
def _():
    limited = openai.OpenAI(base_url=f"{LIMITED_URL}/v1", api_key="x", max_retries=0)
    first = limited.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HELLO)
    expect(first.headers.get("x-ratelimit-limit-requests") == "60", dict(first.headers))
    try:
        limited.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    except openai.RateLimitError as e:
        expect(e.code == "rate_limit_exceeded", e.code)
        expect(e.response.headers.get("retry-after") == "1", dict(e.response.headers))
        return
    raise AssertionError("no RateLimitError")


@check("anthropic: message (end_turn, usage)")
def _():
    m = ant.messages.create(model="claude-mock-1", max_tokens=1024, messages=HELLO, system="Be brief.")
    expect(m.type == "message" and m.role == "assistant", m)
    expect(m.content[0].type == "text" and m.content[0].text, m.content)
    expect(m.stop_reason == "end_turn", m.stop_reason)
    expect(m.usage.output_tokens == REPLY_TOKENS and m.usage.input_tokens > 0, m.usage)


@check("anthropic: max_tokens cuts the reply (stop_reason max_tokens)")
def _():
    m = ant.messages.create(model="claude-mock-1", max_tokens=4, messages=HELLO)
    expect(m.stop_reason == "max_tokens", m.stop_reason)
    expect(m.usage.output_tokens == 4, m.usage)


@check("anthropic: messages.stream events and final message")
def _():
    plain = ant.messages.create(model="claude-mock-1", max_tokens=1024, messages=HELLO).content[0].text
    kinds = []
    with ant.messages.stream(model="claude-mock-1", max_tokens=1024, messages=HELLO) as stream:
        for event in stream:
            kinds.append(event.type)
        final = stream.get_final_message()
    expect(kinds[0] == "message_start" and kinds[-1] == "message_stop", kinds)
    expect("content_block_start" in kinds and "content_block_stop" in kinds, kinds)
    expect(kinds.count("text") == REPLY_TOKENS, kinds)  # the SDK's per-delta text events
    expect(final.content[0].text == plain, (final.content[0].text, plain))
    expect(final.stop_reason == "end_turn", final.stop_reason)
    expect(final.usage.output_tokens == REPLY_TOKENS, final.usage)


@check("anthropic: models.list and models.retrieve (Anthropic's shape)")
def _():
    models = list(ant.models.list())
    expect(models and all(m.type == "model" and m.display_name for m in models), models)
    one = ant.models.retrieve("claude-mock-1")
    expect(one.id == "claude-mock-1" and one.type == "model", one)


@check("anthropic: wrong key raises AuthenticationError (401)")
def _():
    bad = anthropic.Anthropic(base_url=URL, api_key="sk-wrong", max_retries=0)
    try:
        bad.messages.create(model="claude-mock-1", max_tokens=5, messages=HELLO)
    except anthropic.AuthenticationError as e:
        expect(e.status_code == 401, e.status_code)
        expect(e.body["error"]["type"] == "authentication_error", e.body)
        return
    raise AssertionError("no AuthenticationError")


print(f"all {len(checked)} SDK checks passed (openai {openai.__version__}, anthropic {anthropic.__version__})")
