
use builtin;
use str;

set edit:completion:arg-completer[llmkit] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'llmkit'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'llmkit'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand chat 'Send a prompt (arguments and/or stdin) and stream the answer to stdout'
            cand tokens 'Count, encode, decode, truncate or chunk tokens of files, stdin or chat requests'
            cand cost 'Price requests, batch files and usage logs; project monthly spend (offline)'
            cand completions 'Print shell completions to stdout'
            cand serve 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
            cand replay 'Re-send recorded requests (with their timing) to another endpoint or model and compare'
            cand check 'Check every configured profile (or the chosen one): reachable, TLS, key, model, latency, rate-limit headers. Exit code = failure class of the first failing profile'
            cand generate-docs 'Write completions/ and man/ (for maintainers; the output is committed)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'llmkit;chat'= {
            cand -s 'System prompt'
            cand --system 'System prompt'
            cand --temperature 'Sampling temperature (0..2)'
            cand --top-p 'Nucleus sampling probability mass (0..1)'
            cand --max-tokens 'Upper bound on output tokens'
            cand --stop 'Stop sequence (repeatable)'
            cand --seed 'Seed for (best-effort) deterministic sampling'
            cand -o 'Extra request-body field, `key=value` (repeatable); a JSON value is sent as JSON, anything else as a string'
            cand --option 'Extra request-body field, `key=value` (repeatable); a JSON value is sent as JSON, anything else as a string'
            cand --messages 'A JSON file holding the whole messages array (`-` for stdin)'
            cand --schema 'Structured output: a JSON Schema file; the reply is validated against it'
            cand --tools 'Function definitions (JSON array); tool calls are printed as JSON lines, exit 10'
            cand --tool 'Run this local command for tool NAME (repeatable): the call''s arguments go to its stdin as JSON, its stdout goes back to the model'
            cand --max-tool-rounds 'Most model/tool round trips before giving up (with --tool)'
            cand --cid 'Continue the conversation with this id'
            cand --session 'Continue (or start) the conversation with this name'
            cand --profile 'Profile from the config file [env: LLMKIT_PROFILE]'
            cand --base-url 'Base URL of the API (e.g. http://localhost:8000/v1)'
            cand --provider 'Wire protocol of the endpoint'
            cand -m 'Model to request [env: LLMKIT_MODEL]'
            cand --model 'Model to request [env: LLMKIT_MODEL]'
            cand --api-key-env 'Name of the environment variable that holds the API key'
            cand --rpm 'Requests per minute the client allows itself'
            cand --tpm 'Tokens per minute the client allows itself'
            cand -j 'Requests in flight at once'
            cand --concurrency 'Requests in flight at once'
            cand --max-retries 'Retries per request for transient failures'
            cand --timeout 'Per-request timeout (e.g. 60s, 2m)'
            cand --fallback 'Profiles to fall back to, in order, when this one fails or its breaker is open'
            cand --record 'Append every exchange to this recording (JSONL)'
            cand --cache 'Answer repeated requests from a local cache: deterministic ones only (temperature 0 or a seed), or `all`'
            cand --cache-ttl 'How long cached responses stay valid (e.g. 7d, 12h)'
            cand --cache-dir 'Cache directory [default: $XDG_CACHE_HOME/llmkit/responses]'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
            cand --json 'JSON mode: ask for a JSON object and check the reply parses'
            cand -c 'Continue the most recent conversation'
            cand --continue 'Continue the most recent conversation'
            cand --no-save 'Do not save this exchange as a conversation'
            cand --list 'List saved conversations and exit'
            cand -u 'After the answer, one usage line on stderr: tokens, cost, latency, TTFT, retries'
            cand --usage 'After the answer, one usage line on stderr: tokens, cost, latency, TTFT, retries'
            cand --raw 'Print the provider''s full response JSON instead of the text'
            cand --dry-run 'Print the request that would be sent (key redacted) and exit'
            cand --no-stream 'Wait for the whole answer instead of streaming it'
            cand --cache-system 'Mark the system prompt cacheable (Anthropic cache_control; OpenAI caches by itself)'
            cand --mock 'Run against the embedded mock server (no network, no key)'
            cand --no-ledger 'Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl)'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'llmkit;tokens'= {
            cand -m 'Model whose tokenizer to use (gpt-4o, gpt-4, gpt-oss-120b, ...). Models with no local tokenizer (claude-*, gemini-*, ...) get an estimate, labelled approximate'
            cand --model 'Model whose tokenizer to use (gpt-4o, gpt-4, gpt-oss-120b, ...). Models with no local tokenizer (claude-*, gemini-*, ...) get an estimate, labelled approximate'
            cand -e 'Encoding to use directly [default: o200k_base]'
            cand --encoding 'Encoding to use directly [default: o200k_base]'
            cand --truncate 'Print the text of the first N tokens (a prefix of the input)'
            cand --chunk 'Split the input into pieces of at most N tokens, printed as JSONL'
            cand --format 'Report format'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
            cand --encode 'Print the token ids instead of counting'
            cand --decode 'Turn token ids (from the arguments or stdin) back into text'
            cand --messages 'Read chat requests (JSON request, messages array, or batch JSONL) and count the prompt tokens each will cost, with the chat overhead and tool definitions'
            cand --context 'Show how much of the model''s context window the input uses (needs -m)'
            cand --allow-special 'Treat special-token strings such as `<|endoftext|>` as special tokens (default: text)'
            cand --hidden 'Walk hidden files and directories too'
            cand --no-ignore 'Do not respect .gitignore, .ignore and similar files'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'llmkit;cost'= {
            cand --prices 'Price file merged over the embedded snapshot: a LiteLLM JSON file, or a TOML file of overrides (`[models."name"] input_cost_per_token = ...`)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand prices 'List model prices (USD per 1M tokens) and context windows'
            cand estimate 'What traffic will cost, per request / day / month; several models side by side'
            cand report 'Price usage logs (ledger, recordings, batch outputs, API responses, usage exports)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'llmkit;cost;prices'= {
            cand --provider 'Only this LiteLLM provider (openai, anthropic, gemini, mistral, deepseek, dashscope, ...)'
            cand --format 'Report format'
            cand --prices 'Price file merged over the embedded snapshot: a LiteLLM JSON file, or a TOML file of overrides (`[models."name"] input_cost_per_token = ...`)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
            cand --no-progress 'Never show a progress bar'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'llmkit;cost;estimate'= {
            cand -m 'Model to price (repeatable; a glob such as `claude-*` compares every match)'
            cand --model 'Model to price (repeatable; a glob such as `claude-*` compares every match)'
            cand --input 'Prompt tokens per request (cached and cache-write tokens included)'
            cand --prompt-file 'Count the prompt tokens of this file (sent as one user message) with the tokenizer'
            cand --output 'Output tokens per request (reasoning tokens included)'
            cand --cached 'Of the input, tokens read from the provider''s prompt cache'
            cand --cache-write 'Of the input, tokens written to the prompt cache (Anthropic cache_creation)'
            cand --reasoning 'Of the output, reasoning tokens'
            cand --requests 'Requests per --per period'
            cand --per 'The period --requests counts'
            cand --batch-file 'Price a batch input file (JSONL) before running it: local vs Batch API rates'
            cand --assume-output 'With --batch-file: expected output tokens per request (the upper bound is max_tokens)'
            cand --format 'Report format'
            cand --prices 'Price file merged over the embedded snapshot: a LiteLLM JSON file, or a TOML file of overrides (`[models."name"] input_cost_per_token = ...`)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
            cand --batch 'Price at Batch API rates'
            cand --no-progress 'Never show a progress bar'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'llmkit;cost;report'= {
            cand --by 'Group rows by these keys (repeatable or comma-separated) [default: model]'
            cand --since 'Only usage at or after this date or RFC 3339 time'
            cand --until 'Only usage up to this date (inclusive) or RFC 3339 time'
            cand --project 'Project monthly spend: `month-to-date` (calendar extrapolation, the default) or `trailing-Nd` (average of the last N days, e.g. trailing-7d)'
            cand --budget 'Exit 1 when the projected monthly spend exceeds this many USD (implies --project)'
            cand --fx 'Add a converted cost column, e.g. `--fx CNY=7.2` (repeatable)'
            cand --format 'Report format'
            cand --prices 'Price file merged over the embedded snapshot: a LiteLLM JSON file, or a TOML file of overrides (`[models."name"] input_cost_per_token = ...`)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
            cand --strict 'Exit 1 if any line was skipped'
            cand --no-progress 'Never show a progress bar'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'llmkit;cost;help'= {
            cand prices 'List model prices (USD per 1M tokens) and context windows'
            cand estimate 'What traffic will cost, per request / day / month; several models side by side'
            cand report 'Price usage logs (ledger, recordings, batch outputs, API responses, usage exports)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'llmkit;cost;help;prices'= {
        }
        &'llmkit;cost;help;estimate'= {
        }
        &'llmkit;cost;help;report'= {
        }
        &'llmkit;cost;help;help'= {
        }
        &'llmkit;completions'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'llmkit;serve'= {
            cand --addr 'Address to listen on (port 0 picks a free port; the URL is printed on stderr)'
            cand --replay 'Answer from this recording (`--record` output) instead of generating replies: requests are matched on their normalized body'
            cand --match-on 'Fields that decide a match, comma-separated dotted paths (e.g. model,messages) [default: the whole body except stream and stream_options]'
            cand --replay-latency 'Latency of replayed answers: the recorded one, or none'
            cand --fallthrough 'Forward requests the recording cannot answer to this base URL (e.g. https://api.openai.com/v1) and append the exchanges to the recording'
            cand --seed 'Seed for deterministic replies, embeddings, jitter and fault draws'
            cand --reply-tokens 'Natural reply length in tokens; a smaller max_tokens cuts it (finish_reason "length")'
            cand --ttft 'Delay before the first token (e.g. 150ms)'
            cand --itl 'Delay between streamed tokens (e.g. 10ms)'
            cand --jitter 'Random extra latency: each delay grows by up to this fraction (0..1)'
            cand --rpm 'Requests per minute the server accepts before answering 429'
            cand --tpm 'Tokens per minute the server accepts before answering 429'
            cand --fail-rate 'Fraction of requests that fail (0..1), drawn from --seed; see --fail-kinds'
            cand --fail-kinds 'Failure mix, KIND[:WEIGHT] comma-separated: an HTTP status (429, 500, 503, 529, ...), `drop` (close the connection unanswered), `cut` (break the body half-way), `hang` (never answer)'
            cand --require-key 'Answer 401 unless the request carries this key (Bearer, x-api-key or api-key)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'llmkit;replay'= {
            cand --input-format 'Input format [default: detected from the file name and first lines]'
            cand --speed 'Replay speed: 2 = twice as fast as recorded, 0.5 = half as fast'
            cand --limit 'Replay only the first N requests (after --filter), in file order'
            cand --filter 'Replay only requests whose field matches (KEY=GLOB or KEY!=GLOB; repeat: all must hold). Keys: model, id, status, ok, provider, command, user, project, url, or any body field'
            cand --set 'Set a body field on every request (dotted path; the value is JSON if it parses, else a string; repeatable): --set temperature=0 --set response_format.type=json_object'
            cand --fail-on-cost-increase 'Exit 1 when the replay costs more than PCT percent over the recording'
            cand --prices 'Price file (LiteLLM JSON or TOML overrides) for costs the recording does not carry'
            cand --mock-seed 'Seed of the mock''s replies (another seed answers differently)'
            cand --mock-reply-tokens 'Mock reply length in tokens when a request sets no max_tokens'
            cand --mock-ttft 'Mock delay before the first token, e.g. 150ms'
            cand --mock-itl 'Mock delay between tokens, e.g. 5ms'
            cand --profile 'Profile from the config file [env: LLMKIT_PROFILE]'
            cand --base-url 'Base URL of the API (e.g. http://localhost:8000/v1)'
            cand --provider 'Wire protocol of the endpoint'
            cand -m 'Model to request [env: LLMKIT_MODEL]'
            cand --model 'Model to request [env: LLMKIT_MODEL]'
            cand --api-key-env 'Name of the environment variable that holds the API key'
            cand --rpm 'Requests per minute the client allows itself'
            cand --tpm 'Tokens per minute the client allows itself'
            cand -j 'Requests in flight at once'
            cand --concurrency 'Requests in flight at once'
            cand --max-retries 'Retries per request for transient failures'
            cand --timeout 'Per-request timeout (e.g. 60s, 2m)'
            cand --fallback 'Profiles to fall back to, in order, when this one fails or its breaker is open'
            cand --record 'Append every exchange to this recording (JSONL)'
            cand --cache 'Answer repeated requests from a local cache: deterministic ones only (temperature 0 or a seed), or `all`'
            cand --cache-ttl 'How long cached responses stay valid (e.g. 7d, 12h)'
            cand --cache-dir 'Cache directory [default: $XDG_CACHE_HOME/llmkit/responses]'
            cand --format 'Report format'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
            cand --fast 'Ignore recorded timing: send everything as fast as the engine''s limits allow'
            cand --diff 'Show a diff of every changed output'
            cand --fail-on-change 'Exit 1 when any output changed or a request that succeeded before now fails'
            cand --mock 'Run against the embedded mock server (no network, no key)'
            cand --no-ledger 'Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl)'
            cand --no-progress 'Never show a progress bar'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'llmkit;check'= {
            cand --profile 'Profile from the config file [env: LLMKIT_PROFILE]'
            cand --base-url 'Base URL of the API (e.g. http://localhost:8000/v1)'
            cand --provider 'Wire protocol of the endpoint'
            cand -m 'Model to request [env: LLMKIT_MODEL]'
            cand --model 'Model to request [env: LLMKIT_MODEL]'
            cand --api-key-env 'Name of the environment variable that holds the API key'
            cand --rpm 'Requests per minute the client allows itself'
            cand --tpm 'Tokens per minute the client allows itself'
            cand -j 'Requests in flight at once'
            cand --concurrency 'Requests in flight at once'
            cand --max-retries 'Retries per request for transient failures'
            cand --timeout 'Per-request timeout (e.g. 60s, 2m)'
            cand --fallback 'Profiles to fall back to, in order, when this one fails or its breaker is open'
            cand --record 'Append every exchange to this recording (JSONL)'
            cand --cache 'Answer repeated requests from a local cache: deterministic ones only (temperature 0 or a seed), or `all`'
            cand --cache-ttl 'How long cached responses stay valid (e.g. 7d, 12h)'
            cand --cache-dir 'Cache directory [default: $XDG_CACHE_HOME/llmkit/responses]'
            cand --format 'Report format'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
            cand --mock 'Run against the embedded mock server (no network, no key)'
            cand --no-ledger 'Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl)'
            cand --no-progress 'Never show a progress bar'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'llmkit;generate-docs'= {
            cand --out 'Directory that receives completions/ and man/'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'llmkit;help'= {
            cand chat 'Send a prompt (arguments and/or stdin) and stream the answer to stdout'
            cand tokens 'Count, encode, decode, truncate or chunk tokens of files, stdin or chat requests'
            cand cost 'Price requests, batch files and usage logs; project monthly spend (offline)'
            cand completions 'Print shell completions to stdout'
            cand serve 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
            cand replay 'Re-send recorded requests (with their timing) to another endpoint or model and compare'
            cand check 'Check every configured profile (or the chosen one): reachable, TLS, key, model, latency, rate-limit headers. Exit code = failure class of the first failing profile'
            cand generate-docs 'Write completions/ and man/ (for maintainers; the output is committed)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'llmkit;help;chat'= {
        }
        &'llmkit;help;tokens'= {
        }
        &'llmkit;help;cost'= {
            cand prices 'List model prices (USD per 1M tokens) and context windows'
            cand estimate 'What traffic will cost, per request / day / month; several models side by side'
            cand report 'Price usage logs (ledger, recordings, batch outputs, API responses, usage exports)'
        }
        &'llmkit;help;cost;prices'= {
        }
        &'llmkit;help;cost;estimate'= {
        }
        &'llmkit;help;cost;report'= {
        }
        &'llmkit;help;completions'= {
        }
        &'llmkit;help;serve'= {
        }
        &'llmkit;help;replay'= {
        }
        &'llmkit;help;check'= {
        }
        &'llmkit;help;generate-docs'= {
        }
        &'llmkit;help;help'= {
        }
    ]
    $completions[$command]
}
