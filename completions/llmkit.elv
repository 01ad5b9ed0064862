
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
            cand completions 'Print shell completions to stdout'
            cand serve 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
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
            cand --no-ledger 'Do not append this request to the usage ledger'
            cand --mock 'Run against the embedded mock server (no network, no key)'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
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
            cand -h 'Print help'
            cand --help 'Print help'
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
            cand completions 'Print shell completions to stdout'
            cand serve 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
            cand generate-docs 'Write completions/ and man/ (for maintainers; the output is committed)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'llmkit;help;chat'= {
        }
        &'llmkit;help;completions'= {
        }
        &'llmkit;help;serve'= {
        }
        &'llmkit;help;generate-docs'= {
        }
        &'llmkit;help;help'= {
        }
    ]
    $completions[$command]
}
