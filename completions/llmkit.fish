# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_llmkit_global_optspecs
    string join \n v/verbose q/quiet config= h/help V/version
end

function __fish_llmkit_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_llmkit_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_llmkit_using_subcommand
    set -l cmd (__fish_llmkit_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c llmkit -n "__fish_llmkit_needs_command" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_needs_command" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_needs_command" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_needs_command" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_needs_command" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "completions" -d 'Print shell completions to stdout'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "bench" -d 'Load-test an endpoint: TTFT, TPOT, ITL and E2E percentiles, throughput, errors, sweeps'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "serve" -d 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "generate-docs" -d 'Write completions/ and man/ (for maintainers; the output is committed)'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l rate -d 'Open loop: requests per second, whatever the server does (default: closed loop, -c)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l arrival -d 'Open-loop arrival process [default: poisson]' -r -f -a "constant\t'Evenly spaced'
poisson\t'Exponential gaps (independent users)'
gamma\t'Gamma gaps with shape --burstiness'"
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l burstiness -d 'Gamma shape for --arrival gamma: below 1 burstier than Poisson, above 1 smoother' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -s n -l requests -d 'Measured requests per level [default: 100 when no --duration]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -s d -l duration -d 'Run each level this long (e.g. 30s, 5m); with -n, whichever comes first' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l warmup -d 'Requests sent before each level and left out of its statistics' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l sweep -d 'One report row per level: `concurrency=1,2,4,8` or `rate=5,10,20`' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l seed -d 'Seed of arrivals and synthetic prompts (same seed, same traffic)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l prompt-tokens -d 'Synthetic prompts of exactly N tokens (chat format, as the server counts them) [default: 256]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l prompt-tokens-stddev -d 'Vary synthetic prompt lengths (normal distribution with this standard deviation)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l max-tokens -d 'Output tokens requested (max_tokens) [default: 128; a dataset keeps its own unless set]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l dataset -d 'Requests from a file: batch-input JSONL, or plain text with one prompt per line' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l out -d 'Write every request\'s record here (JSONL), for `bench report` and your own analysis' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l slo -d 'Per-request objectives, e.g. `ttft=200ms,tpot=50ms` (keys: ttft, tpot, itl, e2e). Goodput counts requests that met all of them' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l slo-attainment -d 'Fraction of requests that must meet --slo, else exit 1 (0.99 = "p99 within SLO")' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l max-errors -d 'Stop and exit 1 once more than N requests failed' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l max-error-rate -d 'Exit 1 when more than this fraction of requests failed (e.g. 0.01)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l mock-ttft -d 'Mock delay before the first token (e.g. 150ms)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l mock-itl -d 'Mock delay between tokens (e.g. 10ms)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l mock-jitter -d 'Mock random extra latency, a fraction (0..1) of each delay' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l mock-fail-rate -d 'Fraction of mock requests that fail (0..1)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l profile -d 'Profile from the config file [env: LLMKIT_PROFILE]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l base-url -d 'Base URL of the API (e.g. http://localhost:8000/v1)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l provider -d 'Wire protocol of the endpoint' -r -f -a "openai\t'OpenAI and any OpenAI-compatible endpoint (vLLM, Ollama, OpenRouter, ...)'
anthropic\t'Anthropic Messages API'
azure\t'Azure OpenAI (deployment URLs, api-version, api-key header)'
mock\t'The embedded mock server'"
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -s m -l model -d 'Model to request [env: LLMKIT_MODEL]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l api-key-env -d 'Name of the environment variable that holds the API key' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l rpm -d 'Requests per minute the client allows itself' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l tpm -d 'Tokens per minute the client allows itself' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l max-retries -d 'Retries per request for transient failures' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l timeout -d 'Per-request timeout (e.g. 60s, 2m)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l fallback -d 'Profiles to fall back to, in order, when this one fails or its breaker is open' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l record -d 'Append every exchange to this recording (JSONL)' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l format -d 'Report format' -r -f -a "table\t''
json\t''
csv\t''
jsonl\t''"
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -s j -s c -l concurrency -d 'Closed loop: requests in flight at once (workers); with --rate: the most in flight' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l no-stream -d 'Do not stream: measure plain request latency (TTFT = E2E; no TPOT or ITL)'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l mock -d 'Run against the embedded mock server (no network, no key)'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l no-progress -d 'Never show a progress bar'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -f -a "report" -d 'Merge record files written by `bench --out` (several runs or machines) into one report'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and __fish_seen_subcommand_from report" -l slo -d 'Per-request objectives, e.g. `ttft=200ms,tpot=50ms` (keys: ttft, tpot, itl, e2e). Goodput counts requests that met all of them' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and __fish_seen_subcommand_from report" -l slo-attainment -d 'Fraction of requests that must meet --slo, else exit 1 (0.99 = "p99 within SLO")' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and __fish_seen_subcommand_from report" -l max-errors -d 'Stop and exit 1 once more than N requests failed' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and __fish_seen_subcommand_from report" -l max-error-rate -d 'Exit 1 when more than this fraction of requests failed (e.g. 0.01)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and __fish_seen_subcommand_from report" -l format -d 'Report format' -r -f -a "table\t''
json\t''
csv\t''
jsonl\t''"
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and __fish_seen_subcommand_from report" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and __fish_seen_subcommand_from report" -l no-progress -d 'Never show a progress bar'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and __fish_seen_subcommand_from report" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and __fish_seen_subcommand_from report" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and __fish_seen_subcommand_from report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and __fish_seen_subcommand_from report" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "report" -d 'Merge record files written by `bench --out` (several runs or machines) into one report'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l addr -d 'Address to listen on (port 0 picks a free port; the URL is printed on stderr)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l seed -d 'Seed for deterministic replies, embeddings, jitter and fault draws' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l reply-tokens -d 'Natural reply length in tokens; a smaller max_tokens cuts it (finish_reason "length")' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l ttft -d 'Delay before the first token (e.g. 150ms)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l itl -d 'Delay between streamed tokens (e.g. 10ms)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l jitter -d 'Random extra latency: each delay grows by up to this fraction (0..1)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l rpm -d 'Requests per minute the server accepts before answering 429' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l tpm -d 'Tokens per minute the server accepts before answering 429' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l fail-rate -d 'Fraction of requests that fail (0..1), drawn from --seed; see --fail-kinds' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l fail-kinds -d 'Failure mix, KIND[:WEIGHT] comma-separated: an HTTP status (429, 500, 503, 529, ...), `drop` (close the connection unanswered), `cut` (break the body half-way), `hang` (never answer)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l require-key -d 'Answer 401 unless the request carries this key (Bearer, x-api-key or api-key)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -l out -d 'Directory that receives completions/ and man/' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from completions bench serve generate-docs help" -f -a "completions" -d 'Print shell completions to stdout'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from completions bench serve generate-docs help" -f -a "bench" -d 'Load-test an endpoint: TTFT, TPOT, ITL and E2E percentiles, throughput, errors, sweeps'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from completions bench serve generate-docs help" -f -a "serve" -d 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from completions bench serve generate-docs help" -f -a "generate-docs" -d 'Write completions/ and man/ (for maintainers; the output is committed)'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from completions bench serve generate-docs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "report" -d 'Merge record files written by `bench --out` (several runs or machines) into one report'
