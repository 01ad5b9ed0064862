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
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "chat" -d 'Send a prompt (arguments and/or stdin) and stream the answer to stdout'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "batch" -d 'Run a JSONL batch of chat requests: concurrent, rate-limited, resumable; or submit it to a provider\'s Batch API with --remote'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "bench" -d 'Load-test an endpoint: TTFT, TPOT, ITL, percentiles, throughput, sweeps'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "tokens" -d 'Count, encode, decode, truncate or chunk tokens of files, stdin or chat requests'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "cost" -d 'Price requests, batch files and usage logs; project monthly spend (offline)'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "completions" -d 'Print shell completions to stdout'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "serve" -d 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "replay" -d 'Re-send recorded requests (with their timing) to another endpoint or model and compare'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "check" -d 'Check every configured profile (or the chosen one): reachable, TLS, key, model, latency, rate-limit headers. Exit code = failure class of the first failing profile'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "generate-docs" -d 'Write completions/ and man/ (for maintainers; the output is committed)'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s s -l system -d 'System prompt' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l temperature -d 'Sampling temperature (0..2)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l top-p -d 'Nucleus sampling probability mass (0..1)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l max-tokens -d 'Upper bound on output tokens' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l stop -d 'Stop sequence (repeatable)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l seed -d 'Seed for (best-effort) deterministic sampling' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s o -l option -d 'Extra request-body field, `key=value` (repeatable); a JSON value is sent as JSON, anything else as a string' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l messages -d 'A JSON file holding the whole messages array (`-` for stdin)' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l schema -d 'Structured output: a JSON Schema file; the reply is validated against it' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l tools -d 'Function definitions (JSON array); tool calls are printed as JSON lines, exit 10' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l tool -d 'Run this local command for tool NAME (repeatable): the call\'s arguments go to its stdin as JSON, its stdout goes back to the model' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l max-tool-rounds -d 'Most model/tool round trips before giving up (with --tool)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l tool-timeout -d 'Kill a --tool command that runs longer than this; the model is told it timed out' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l cid -d 'Continue the conversation with this id' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l session -d 'Continue (or start) the conversation with this name' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l profile -d 'Profile from the config file [env: LLMKIT_PROFILE]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l base-url -d 'Base URL of the API (e.g. http://localhost:8000/v1)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l provider -d 'Wire protocol of the endpoint' -r -f -a "openai\t'OpenAI and any OpenAI-compatible endpoint (vLLM, Ollama, OpenRouter, ...)'
anthropic\t'Anthropic Messages API'
azure\t'Azure OpenAI (deployment URLs, api-version, api-key header)'
mock\t'The embedded mock server'"
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s m -l model -d 'Model to request [env: LLMKIT_MODEL]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l api-key-env -d 'Name of the environment variable that holds the API key' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l rpm -d 'Requests per minute the client allows itself' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l tpm -d 'Tokens per minute the client allows itself' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s j -l concurrency -d 'Requests in flight at once' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l max-retries -d 'Retries per request for transient failures' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l timeout -d 'Per-request timeout (e.g. 60s, 2m)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l fallback -d 'Profiles to fall back to, in order, when this one fails or its breaker is open' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l record -d 'Append every exchange to this recording (JSONL)' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l cache -d 'Answer repeated requests from a local cache: deterministic ones only (temperature 0 or a seed), or `all`' -r -f -a "deterministic\t'Only requests with temperature 0 or a seed'
all\t'Every request, sampled or not'"
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l cache-ttl -d 'How long cached responses stay valid (e.g. 7d, 12h)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l cache-dir -d 'Cache directory [default: $XDG_CACHE_HOME/llmkit/responses]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l json -d 'JSON mode: ask for a JSON object and check the reply parses'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s c -l continue -d 'Continue the most recent conversation'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l no-save -d 'Do not save this exchange as a conversation'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l list -d 'List saved conversations and exit'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s u -l usage -d 'After the answer, one usage line on stderr: tokens, cost, latency, TTFT, retries'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l raw -d 'Print the provider\'s full response JSON instead of the text'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l dry-run -d 'Print the request that would be sent (key redacted) and exit'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l no-stream -d 'Wait for the whole answer instead of streaming it'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l cache-system -d 'Mark the system prompt cacheable (Anthropic cache_control; OpenAI caches by itself)'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l mock -d 'Run against the embedded mock server (no network, no key)'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l no-ledger -d 'Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl)'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -s o -l output -d 'Output JSONL (OpenAI Batch API output lines); results are appended, so re-running the same command resumes' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l errors -d 'Lines that could not run (bad JSON, missing body, duplicate custom_id, ...) [default: <OUTPUT>.errors.jsonl]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l system -d 'System prompt for lines that have none' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l max-cost -d 'Stop starting requests when the spend so far plus the estimate of those in flight would pass this many US dollars (exit 6; re-run to resume)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l shard -d 'Process only shard K of N (1-based), chosen by a stable hash of custom_id (FNV-1a 64 mod N), so N machines can split one input' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l remote-id -d 'Attach to a remote batch job by id (or a comma-separated list of ids): status, wait, download' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l poll-interval -d 'How often to poll a remote job' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l split-requests -d 'Most requests per remote batch in --remote mode (default: the provider\'s limit, 50,000 for OpenAI, 100,000 for Anthropic)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l mock-ttft -d 'Mock delay before the first token (also the pace of --remote jobs), e.g. 150ms' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l mock-itl -d 'Mock delay between tokens, e.g. 5ms' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l mock-fail-rate -d 'Fraction of mock requests that fail (429, 500, 503, dropped, cut)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l mock-rpm -d 'Requests per minute the mock accepts before answering 429' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l mock-tpm -d 'Tokens per minute the mock accepts before answering 429' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l mock-seed -d 'Seed of the mock\'s replies and fault draws' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l profile -d 'Profile from the config file [env: LLMKIT_PROFILE]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l base-url -d 'Base URL of the API (e.g. http://localhost:8000/v1)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l provider -d 'Wire protocol of the endpoint' -r -f -a "openai\t'OpenAI and any OpenAI-compatible endpoint (vLLM, Ollama, OpenRouter, ...)'
anthropic\t'Anthropic Messages API'
azure\t'Azure OpenAI (deployment URLs, api-version, api-key header)'
mock\t'The embedded mock server'"
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -s m -l model -d 'Model to request [env: LLMKIT_MODEL]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l api-key-env -d 'Name of the environment variable that holds the API key' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l rpm -d 'Requests per minute the client allows itself' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l tpm -d 'Tokens per minute the client allows itself' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -s j -l concurrency -d 'Requests in flight at once' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l max-retries -d 'Retries per request for transient failures' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l timeout -d 'Per-request timeout (e.g. 60s, 2m)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l fallback -d 'Profiles to fall back to, in order, when this one fails or its breaker is open' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l record -d 'Append every exchange to this recording (JSONL)' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l cache -d 'Answer repeated requests from a local cache: deterministic ones only (temperature 0 or a seed), or `all`' -r -f -a "deterministic\t'Only requests with temperature 0 or a seed'
all\t'Every request, sampled or not'"
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l cache-ttl -d 'How long cached responses stay valid (e.g. 7d, 12h)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l cache-dir -d 'Cache directory [default: $XDG_CACHE_HOME/llmkit/responses]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l format -d 'Report format' -r -f -a "table\t''
json\t''
csv\t''
jsonl\t''"
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l text -d 'Treat every input line as one prompt (blank lines are skipped)'
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l retry-failed -d 'Redo the requests that failed in an earlier run (successes are still skipped)'
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l ordered -d 'Write output lines in input order (a bounded reorder buffer holds early finishers)'
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l dry-run -d 'Validate and estimate tokens and cost; send nothing'
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l remote -d 'Run the job on the provider\'s Batch API (upload, create, poll, download) at batch prices'
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l cancel -d 'Cancel the remote job(s) named by --remote-id (or recorded in the state file)'
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l mock -d 'Run against the embedded mock server (no network, no key)'
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l no-ledger -d 'Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl)'
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -l no-progress -d 'Never show a progress bar'
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llmkit -n "__fish_llmkit_using_subcommand batch" -s V -l version -d 'Print version'
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
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l cache -d 'Answer repeated requests from a local cache: deterministic ones only (temperature 0 or a seed), or `all`' -r -f -a "deterministic\t'Only requests with temperature 0 or a seed'
all\t'Every request, sampled or not'"
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l cache-ttl -d 'How long cached responses stay valid (e.g. 7d, 12h)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l cache-dir -d 'Cache directory [default: $XDG_CACHE_HOME/llmkit/responses]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l format -d 'Report format' -r -f -a "table\t''
json\t''
csv\t''
jsonl\t''"
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -s j -s c -l concurrency -d 'Closed loop: requests in flight at once (workers); with --rate: the most in flight' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l no-stream -d 'Do not stream: measure plain request latency (TTFT = E2E; no TPOT or ITL)'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l via-engine -d 'Send non-streamed requests through the full request engine too. By default they go on bare kept-alive HTTP/1 connections when the engine would add nothing (one plain http:// endpoint, no retries, no rate limit, no cache): same records, less overhead'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l mock -d 'Run against the embedded mock server (no network, no key)'
complete -c llmkit -n "__fish_llmkit_using_subcommand bench; and not __fish_seen_subcommand_from report help" -l no-ledger -d 'Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl)'
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
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -s m -l model -d 'Model whose tokenizer to use (gpt-4o, gpt-4, gpt-oss-120b, ...). Models with no local tokenizer (claude-*, gemini-*, ...) get an estimate, labelled approximate' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -s e -l encoding -d 'Encoding to use directly [default: o200k_base]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -l truncate -d 'Print the text of the first N tokens (a prefix of the input)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -l chunk -d 'Split the input into pieces of at most N tokens, printed as JSONL' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -l format -d 'Report format' -r -f -a "table\t''
json\t''
csv\t''
jsonl\t''"
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -l encode -d 'Print the token ids instead of counting'
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -l decode -d 'Turn token ids (from the arguments or stdin) back into text'
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -l messages -d 'Read chat requests (JSON request, messages array, or batch JSONL) and count the prompt tokens each will cost, with the chat overhead and tool definitions'
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -l context -d 'Show how much of the model\'s context window the input uses (needs -m)'
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -l allow-special -d 'Treat special-token strings such as `<|endoftext|>` as special tokens (default: text)'
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -l hidden -d 'Walk hidden files and directories too'
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -l no-ignore -d 'Do not respect .gitignore, .ignore and similar files'
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand tokens" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and not __fish_seen_subcommand_from prices estimate report help" -l prices -d 'Price file merged over the embedded snapshot: a LiteLLM JSON file, or a TOML file of overrides (`[models."name"] input_cost_per_token = ...`)' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and not __fish_seen_subcommand_from prices estimate report help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and not __fish_seen_subcommand_from prices estimate report help" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and not __fish_seen_subcommand_from prices estimate report help" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and not __fish_seen_subcommand_from prices estimate report help" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and not __fish_seen_subcommand_from prices estimate report help" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and not __fish_seen_subcommand_from prices estimate report help" -f -a "prices" -d 'List model prices (USD per 1M tokens) and context windows'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and not __fish_seen_subcommand_from prices estimate report help" -f -a "estimate" -d 'What traffic will cost, per request / day / month; several models side by side'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and not __fish_seen_subcommand_from prices estimate report help" -f -a "report" -d 'Price usage logs (ledger, recordings, batch outputs, API responses, usage exports)'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and not __fish_seen_subcommand_from prices estimate report help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from prices" -l provider -d 'Only this LiteLLM provider (openai, anthropic, gemini, mistral, deepseek, dashscope, ...)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from prices" -l format -d 'Report format' -r -f -a "table\t''
json\t''
csv\t''
jsonl\t''"
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from prices" -l prices -d 'Price file merged over the embedded snapshot: a LiteLLM JSON file, or a TOML file of overrides (`[models."name"] input_cost_per_token = ...`)' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from prices" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from prices" -l no-progress -d 'Never show a progress bar'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from prices" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from prices" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from prices" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from prices" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -s m -l model -d 'Model to price (repeatable; a glob such as `claude-*` compares every match)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l input -d 'Prompt tokens per request (cached and cache-write tokens included)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l prompt-file -d 'Count the prompt tokens of this file (sent as one user message) with the tokenizer' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l output -d 'Output tokens per request (reasoning tokens included)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l cached -d 'Of the input, tokens read from the provider\'s prompt cache' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l cache-write -d 'Of the input, tokens written to the prompt cache (Anthropic cache_creation)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l reasoning -d 'Of the output, reasoning tokens' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l requests -d 'Requests per --per period' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l per -d 'The period --requests counts' -r -f -a "day\t''
month\t''"
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l batch-file -d 'Price a batch input file (JSONL) before running it: local vs Batch API rates' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l assume-output -d 'With --batch-file: expected output tokens per request (the upper bound is max_tokens)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l format -d 'Report format' -r -f -a "table\t''
json\t''
csv\t''
jsonl\t''"
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l prices -d 'Price file merged over the embedded snapshot: a LiteLLM JSON file, or a TOML file of overrides (`[models."name"] input_cost_per_token = ...`)' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l batch -d 'Price at Batch API rates'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -l no-progress -d 'Never show a progress bar'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from estimate" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -l by -d 'Group rows by these keys (repeatable or comma-separated) [default: model]' -r -f -a "model\t''
provider\t''
day\t''
week\t''
month\t''
user\t''
project\t''
key\t''
batch\t''"
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -l since -d 'Only usage at or after this date or RFC 3339 time' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -l until -d 'Only usage up to this date (inclusive) or RFC 3339 time' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -l project -d 'Project monthly spend: `month-to-date` (calendar extrapolation, the default) or `trailing-Nd` (average of the last N days, e.g. trailing-7d)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -l budget -d 'Exit 1 when the projected monthly spend exceeds this many USD (implies --project)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -l fx -d 'Add a converted cost column, e.g. `--fx CNY=7.2` (repeatable)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -l format -d 'Report format' -r -f -a "table\t''
json\t''
csv\t''
jsonl\t''"
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -l prices -d 'Price file merged over the embedded snapshot: a LiteLLM JSON file, or a TOML file of overrides (`[models."name"] input_cost_per_token = ...`)' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -l strict -d 'Exit 1 if any line was skipped'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -l no-progress -d 'Never show a progress bar'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from report" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from help" -f -a "prices" -d 'List model prices (USD per 1M tokens) and context windows'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from help" -f -a "estimate" -d 'What traffic will cost, per request / day / month; several models side by side'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from help" -f -a "report" -d 'Price usage logs (ledger, recordings, batch outputs, API responses, usage exports)'
complete -c llmkit -n "__fish_llmkit_using_subcommand cost; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l addr -d 'Address to listen on (port 0 picks a free port; the URL is printed on stderr)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l replay -d 'Answer from this recording (`--record` output) instead of generating replies: chat completions and Anthropic messages, matched on their normalized body' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l match-on -d 'Fields that decide a match, comma-separated dotted paths (e.g. model,messages) [default: the whole body except stream and stream_options]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l replay-latency -d 'Latency of replayed answers: the recorded one, or none' -r -f -a "recorded\t'The recorded TTFT and total latency'
zero\t'Answer at once'"
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l fallthrough -d 'Forward requests the recording cannot answer to this base URL (e.g. https://api.openai.com/v1, or https://api.anthropic.com for /v1/messages) and append the exchanges to the recording (once each)' -r
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
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l oauth-client -d 'Grant OAuth2 client-credentials tokens to this client at POST /oauth/token, and require a valid, unexpired token (Bearer or ?access_token=) on every API route. Repeatable' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l token-ttl -d 'Lifetime of tokens issued by /oauth/token (e.g. 2s, 15m) [default: 1h]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l input-format -d 'Input format [default: detected from the file name and first lines]' -r -f -a "recording\t'llmkit recording (`--record` output)'
batch\t'OpenAI Batch API input (or llmkit shorthand lines); no timing'
azure\t'Azure LLM inference trace CSV: TIMESTAMP,ContextTokens,GeneratedTokens'
mooncake\t'Mooncake trace JSONL: timestamp (ms), input_length, output_length, hash_ids'"
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l speed -d 'Replay speed: 2 = twice as fast as recorded, 0.5 = half as fast' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l limit -d 'Replay only the first N requests (after --filter), in file order' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l filter -d 'Replay only requests whose field matches (KEY=GLOB or KEY!=GLOB; repeat: all must hold). Keys: model, id, status, ok, provider, command, user, project, url, or any body field' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l set -d 'Set a body field on every request (dotted path; the value is JSON if it parses, else a string; repeatable): --set temperature=0 --set response_format.type=json_object' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l fail-on-cost-increase -d 'Exit 1 when the replay costs more than PCT percent over the recording' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l prices -d 'Price file (LiteLLM JSON or TOML overrides) for costs the recording does not carry' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l mock-seed -d 'Seed of the mock\'s replies (another seed answers differently)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l mock-reply-tokens -d 'Mock reply length in tokens when a request sets no max_tokens' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l mock-ttft -d 'Mock delay before the first token, e.g. 150ms' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l mock-itl -d 'Mock delay between tokens, e.g. 5ms' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l profile -d 'Profile from the config file [env: LLMKIT_PROFILE]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l base-url -d 'Base URL of the API (e.g. http://localhost:8000/v1)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l provider -d 'Wire protocol of the endpoint' -r -f -a "openai\t'OpenAI and any OpenAI-compatible endpoint (vLLM, Ollama, OpenRouter, ...)'
anthropic\t'Anthropic Messages API'
azure\t'Azure OpenAI (deployment URLs, api-version, api-key header)'
mock\t'The embedded mock server'"
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -s m -l model -d 'Model to request [env: LLMKIT_MODEL]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l api-key-env -d 'Name of the environment variable that holds the API key' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l rpm -d 'Requests per minute the client allows itself' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l tpm -d 'Tokens per minute the client allows itself' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -s j -l concurrency -d 'Requests in flight at once' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l max-retries -d 'Retries per request for transient failures' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l timeout -d 'Per-request timeout (e.g. 60s, 2m)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l fallback -d 'Profiles to fall back to, in order, when this one fails or its breaker is open' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l record -d 'Append every exchange to this recording (JSONL)' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l cache -d 'Answer repeated requests from a local cache: deterministic ones only (temperature 0 or a seed), or `all`' -r -f -a "deterministic\t'Only requests with temperature 0 or a seed'
all\t'Every request, sampled or not'"
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l cache-ttl -d 'How long cached responses stay valid (e.g. 7d, 12h)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l cache-dir -d 'Cache directory [default: $XDG_CACHE_HOME/llmkit/responses]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l format -d 'Report format' -r -f -a "table\t''
json\t''
csv\t''
jsonl\t''"
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l fast -d 'Ignore recorded timing: send everything as fast as the engine\'s limits allow'
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l diff -d 'Show a diff of every changed output'
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l fail-on-change -d 'Exit 1 when any output changed or a request that succeeded before now fails'
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l mock -d 'Run against the embedded mock server (no network, no key)'
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l no-ledger -d 'Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl)'
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -l no-progress -d 'Never show a progress bar'
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llmkit -n "__fish_llmkit_using_subcommand replay" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l profile -d 'Profile from the config file [env: LLMKIT_PROFILE]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l base-url -d 'Base URL of the API (e.g. http://localhost:8000/v1)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l provider -d 'Wire protocol of the endpoint' -r -f -a "openai\t'OpenAI and any OpenAI-compatible endpoint (vLLM, Ollama, OpenRouter, ...)'
anthropic\t'Anthropic Messages API'
azure\t'Azure OpenAI (deployment URLs, api-version, api-key header)'
mock\t'The embedded mock server'"
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -s m -l model -d 'Model to request [env: LLMKIT_MODEL]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l api-key-env -d 'Name of the environment variable that holds the API key' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l rpm -d 'Requests per minute the client allows itself' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l tpm -d 'Tokens per minute the client allows itself' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -s j -l concurrency -d 'Requests in flight at once' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l max-retries -d 'Retries per request for transient failures' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l timeout -d 'Per-request timeout (e.g. 60s, 2m)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l fallback -d 'Profiles to fall back to, in order, when this one fails or its breaker is open' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l record -d 'Append every exchange to this recording (JSONL)' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l cache -d 'Answer repeated requests from a local cache: deterministic ones only (temperature 0 or a seed), or `all`' -r -f -a "deterministic\t'Only requests with temperature 0 or a seed'
all\t'Every request, sampled or not'"
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l cache-ttl -d 'How long cached responses stay valid (e.g. 7d, 12h)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l cache-dir -d 'Cache directory [default: $XDG_CACHE_HOME/llmkit/responses]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l format -d 'Report format' -r -f -a "table\t''
json\t''
csv\t''
jsonl\t''"
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l mock -d 'Run against the embedded mock server (no network, no key)'
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l no-ledger -d 'Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl)'
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -l no-progress -d 'Never show a progress bar'
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llmkit -n "__fish_llmkit_using_subcommand check" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -l out -d 'Directory that receives completions/ and man/' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat batch bench tokens cost completions serve replay check generate-docs help" -f -a "chat" -d 'Send a prompt (arguments and/or stdin) and stream the answer to stdout'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat batch bench tokens cost completions serve replay check generate-docs help" -f -a "batch" -d 'Run a JSONL batch of chat requests: concurrent, rate-limited, resumable; or submit it to a provider\'s Batch API with --remote'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat batch bench tokens cost completions serve replay check generate-docs help" -f -a "bench" -d 'Load-test an endpoint: TTFT, TPOT, ITL, percentiles, throughput, sweeps'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat batch bench tokens cost completions serve replay check generate-docs help" -f -a "tokens" -d 'Count, encode, decode, truncate or chunk tokens of files, stdin or chat requests'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat batch bench tokens cost completions serve replay check generate-docs help" -f -a "cost" -d 'Price requests, batch files and usage logs; project monthly spend (offline)'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat batch bench tokens cost completions serve replay check generate-docs help" -f -a "completions" -d 'Print shell completions to stdout'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat batch bench tokens cost completions serve replay check generate-docs help" -f -a "serve" -d 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat batch bench tokens cost completions serve replay check generate-docs help" -f -a "replay" -d 'Re-send recorded requests (with their timing) to another endpoint or model and compare'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat batch bench tokens cost completions serve replay check generate-docs help" -f -a "check" -d 'Check every configured profile (or the chosen one): reachable, TLS, key, model, latency, rate-limit headers. Exit code = failure class of the first failing profile'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat batch bench tokens cost completions serve replay check generate-docs help" -f -a "generate-docs" -d 'Write completions/ and man/ (for maintainers; the output is committed)'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat batch bench tokens cost completions serve replay check generate-docs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "report" -d 'Merge record files written by `bench --out` (several runs or machines) into one report'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and __fish_seen_subcommand_from cost" -f -a "prices" -d 'List model prices (USD per 1M tokens) and context windows'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and __fish_seen_subcommand_from cost" -f -a "estimate" -d 'What traffic will cost, per request / day / month; several models side by side'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and __fish_seen_subcommand_from cost" -f -a "report" -d 'Price usage logs (ledger, recordings, batch outputs, API responses, usage exports)'
