
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
            cand completions 'Print shell completions to stdout'
            cand bench 'Load-test an endpoint: TTFT, TPOT, ITL and E2E percentiles, throughput, errors, sweeps'
            cand serve 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
            cand generate-docs 'Write completions/ and man/ (for maintainers; the output is committed)'
            cand help 'Print this message or the help of the given subcommand(s)'
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
        &'llmkit;bench'= {
            cand --rate 'Open loop: requests per second, whatever the server does (default: closed loop, -c)'
            cand --arrival 'Open-loop arrival process [default: poisson]'
            cand --burstiness 'Gamma shape for --arrival gamma: below 1 burstier than Poisson, above 1 smoother'
            cand -n 'Measured requests per level [default: 100 when no --duration]'
            cand --requests 'Measured requests per level [default: 100 when no --duration]'
            cand -d 'Run each level this long (e.g. 30s, 5m); with -n, whichever comes first'
            cand --duration 'Run each level this long (e.g. 30s, 5m); with -n, whichever comes first'
            cand --warmup 'Requests sent before each level and left out of its statistics'
            cand --sweep 'One report row per level: `concurrency=1,2,4,8` or `rate=5,10,20`'
            cand --seed 'Seed of arrivals and synthetic prompts (same seed, same traffic)'
            cand --prompt-tokens 'Synthetic prompts of exactly N tokens (chat format, as the server counts them) [default: 256]'
            cand --prompt-tokens-stddev 'Vary synthetic prompt lengths (normal distribution with this standard deviation)'
            cand --max-tokens 'Output tokens requested (max_tokens) [default: 128; a dataset keeps its own unless set]'
            cand --dataset 'Requests from a file: batch-input JSONL, or plain text with one prompt per line'
            cand --out 'Write every request''s record here (JSONL), for `bench report` and your own analysis'
            cand --slo 'Per-request objectives, e.g. `ttft=200ms,tpot=50ms` (keys: ttft, tpot, itl, e2e). Goodput counts requests that met all of them'
            cand --slo-attainment 'Fraction of requests that must meet --slo, else exit 1 (0.99 = "p99 within SLO")'
            cand --max-errors 'Stop and exit 1 once more than N requests failed'
            cand --max-error-rate 'Exit 1 when more than this fraction of requests failed (e.g. 0.01)'
            cand --mock-ttft 'Mock delay before the first token (e.g. 150ms)'
            cand --mock-itl 'Mock delay between tokens (e.g. 10ms)'
            cand --mock-jitter 'Mock random extra latency, a fraction (0..1) of each delay'
            cand --mock-fail-rate 'Fraction of mock requests that fail (0..1)'
            cand --profile 'Profile from the config file [env: LLMKIT_PROFILE]'
            cand --base-url 'Base URL of the API (e.g. http://localhost:8000/v1)'
            cand --provider 'Wire protocol of the endpoint'
            cand -m 'Model to request [env: LLMKIT_MODEL]'
            cand --model 'Model to request [env: LLMKIT_MODEL]'
            cand --api-key-env 'Name of the environment variable that holds the API key'
            cand --rpm 'Requests per minute the client allows itself'
            cand --tpm 'Tokens per minute the client allows itself'
            cand --max-retries 'Retries per request for transient failures'
            cand --timeout 'Per-request timeout (e.g. 60s, 2m)'
            cand --fallback 'Profiles to fall back to, in order, when this one fails or its breaker is open'
            cand --record 'Append every exchange to this recording (JSONL)'
            cand --format 'Report format'
            cand -j 'Closed loop: requests in flight at once (workers); with --rate: the most in flight'
            cand -c 'Closed loop: requests in flight at once (workers); with --rate: the most in flight'
            cand --concurrency 'Closed loop: requests in flight at once (workers); with --rate: the most in flight'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
            cand --no-stream 'Do not stream: measure plain request latency (TTFT = E2E; no TPOT or ITL)'
            cand --mock 'Run against the embedded mock server (no network, no key)'
            cand --no-progress 'Never show a progress bar'
            cand -v 'More detail on stderr (repeat for more)'
            cand --verbose 'More detail on stderr (repeat for more)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand report 'Merge record files written by `bench --out` (several runs or machines) into one report'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'llmkit;bench;report'= {
            cand --slo 'Per-request objectives, e.g. `ttft=200ms,tpot=50ms` (keys: ttft, tpot, itl, e2e). Goodput counts requests that met all of them'
            cand --slo-attainment 'Fraction of requests that must meet --slo, else exit 1 (0.99 = "p99 within SLO")'
            cand --max-errors 'Stop and exit 1 once more than N requests failed'
            cand --max-error-rate 'Exit 1 when more than this fraction of requests failed (e.g. 0.01)'
            cand --format 'Report format'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]'
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
        &'llmkit;bench;help'= {
            cand report 'Merge record files written by `bench --out` (several runs or machines) into one report'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'llmkit;bench;help;report'= {
        }
        &'llmkit;bench;help;help'= {
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
            cand completions 'Print shell completions to stdout'
            cand bench 'Load-test an endpoint: TTFT, TPOT, ITL and E2E percentiles, throughput, errors, sweeps'
            cand serve 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
            cand generate-docs 'Write completions/ and man/ (for maintainers; the output is committed)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'llmkit;help;completions'= {
        }
        &'llmkit;help;bench'= {
            cand report 'Merge record files written by `bench --out` (several runs or machines) into one report'
        }
        &'llmkit;help;bench;report'= {
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
