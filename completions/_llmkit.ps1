
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'llmkit' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'llmkit'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'llmkit' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('chat', 'chat', [CompletionResultType]::ParameterValue, 'Send a prompt (arguments and/or stdin) and stream the answer to stdout')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Run a JSONL batch of chat requests: concurrent, rate-limited, resumable; or submit it to a provider''s Batch API with --remote')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Load-test an endpoint: TTFT, TPOT, ITL, percentiles, throughput, sweeps')
            [CompletionResult]::new('tokens', 'tokens', [CompletionResultType]::ParameterValue, 'Count, encode, decode, truncate or chunk tokens of files, stdin or chat requests')
            [CompletionResult]::new('cost', 'cost', [CompletionResultType]::ParameterValue, 'Price requests, batch files and usage logs; project monthly spend (offline)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions to stdout')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Re-send recorded requests (with their timing) to another endpoint or model and compare')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check every configured profile (or the chosen one): reachable, TLS, key, model, latency, rate-limit headers. Exit code = failure class of the first failing profile')
            [CompletionResult]::new('generate-docs', 'generate-docs', [CompletionResultType]::ParameterValue, 'Write completions/ and man/ (for maintainers; the output is committed)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'llmkit;chat' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'System prompt')
            [CompletionResult]::new('--system', '--system', [CompletionResultType]::ParameterName, 'System prompt')
            [CompletionResult]::new('--temperature', '--temperature', [CompletionResultType]::ParameterName, 'Sampling temperature (0..2)')
            [CompletionResult]::new('--top-p', '--top-p', [CompletionResultType]::ParameterName, 'Nucleus sampling probability mass (0..1)')
            [CompletionResult]::new('--max-tokens', '--max-tokens', [CompletionResultType]::ParameterName, 'Upper bound on output tokens')
            [CompletionResult]::new('--stop', '--stop', [CompletionResultType]::ParameterName, 'Stop sequence (repeatable)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed for (best-effort) deterministic sampling')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Extra request-body field, `key=value` (repeatable); a JSON value is sent as JSON, anything else as a string')
            [CompletionResult]::new('--option', '--option', [CompletionResultType]::ParameterName, 'Extra request-body field, `key=value` (repeatable); a JSON value is sent as JSON, anything else as a string')
            [CompletionResult]::new('--messages', '--messages', [CompletionResultType]::ParameterName, 'A JSON file holding the whole messages array (`-` for stdin)')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'Structured output: a JSON Schema file; the reply is validated against it')
            [CompletionResult]::new('--tools', '--tools', [CompletionResultType]::ParameterName, 'Function definitions (JSON array); tool calls are printed as JSON lines, exit 10')
            [CompletionResult]::new('--tool', '--tool', [CompletionResultType]::ParameterName, 'Run this local command for tool NAME (repeatable): the call''s arguments go to its stdin as JSON, its stdout goes back to the model')
            [CompletionResult]::new('--max-tool-rounds', '--max-tool-rounds', [CompletionResultType]::ParameterName, 'Most model/tool round trips before giving up (with --tool)')
            [CompletionResult]::new('--tool-timeout', '--tool-timeout', [CompletionResultType]::ParameterName, 'Kill a --tool command that runs longer than this; the model is told it timed out')
            [CompletionResult]::new('--cid', '--cid', [CompletionResultType]::ParameterName, 'Continue the conversation with this id')
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'Continue (or start) the conversation with this name')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: LLMKIT_PROFILE]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the API (e.g. http://localhost:8000/v1)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Wire protocol of the endpoint')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Model to request [env: LLMKIT_MODEL]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model to request [env: LLMKIT_MODEL]')
            [CompletionResult]::new('--api-key-env', '--api-key-env', [CompletionResultType]::ParameterName, 'Name of the environment variable that holds the API key')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Requests per minute the client allows itself')
            [CompletionResult]::new('--tpm', '--tpm', [CompletionResultType]::ParameterName, 'Tokens per minute the client allows itself')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-request timeout (e.g. 60s, 2m)')
            [CompletionResult]::new('--fallback', '--fallback', [CompletionResultType]::ParameterName, 'Profiles to fall back to, in order, when this one fails or its breaker is open')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Append every exchange to this recording (JSONL)')
            [CompletionResult]::new('--cache', '--cache', [CompletionResultType]::ParameterName, 'Answer repeated requests from a local cache: deterministic ones only (temperature 0 or a seed), or `all`')
            [CompletionResult]::new('--cache-ttl', '--cache-ttl', [CompletionResultType]::ParameterName, 'How long cached responses stay valid (e.g. 7d, 12h)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: $XDG_CACHE_HOME/llmkit/responses]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON mode: ask for a JSON object and check the reply parses')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Continue the most recent conversation')
            [CompletionResult]::new('--continue', '--continue', [CompletionResultType]::ParameterName, 'Continue the most recent conversation')
            [CompletionResult]::new('--no-save', '--no-save', [CompletionResultType]::ParameterName, 'Do not save this exchange as a conversation')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List saved conversations and exit')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'After the answer, one usage line on stderr: tokens, cost, latency, TTFT, retries')
            [CompletionResult]::new('--usage', '--usage', [CompletionResultType]::ParameterName, 'After the answer, one usage line on stderr: tokens, cost, latency, TTFT, retries')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Print the provider''s full response JSON instead of the text')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the request that would be sent (key redacted) and exit')
            [CompletionResult]::new('--no-stream', '--no-stream', [CompletionResultType]::ParameterName, 'Wait for the whole answer instead of streaming it')
            [CompletionResult]::new('--cache-system', '--cache-system', [CompletionResultType]::ParameterName, 'Mark the system prompt cacheable (Anthropic cache_control; OpenAI caches by itself)')
            [CompletionResult]::new('--mock', '--mock', [CompletionResultType]::ParameterName, 'Run against the embedded mock server (no network, no key)')
            [CompletionResult]::new('--no-ledger', '--no-ledger', [CompletionResultType]::ParameterName, 'Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'llmkit;batch' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output JSONL (OpenAI Batch API output lines); results are appended, so re-running the same command resumes')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output JSONL (OpenAI Batch API output lines); results are appended, so re-running the same command resumes')
            [CompletionResult]::new('--errors', '--errors', [CompletionResultType]::ParameterName, 'Lines that could not run (bad JSON, missing body, duplicate custom_id, ...) [default: <OUTPUT>.errors.jsonl]')
            [CompletionResult]::new('--system', '--system', [CompletionResultType]::ParameterName, 'System prompt for lines that have none')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Stop starting requests when the spend so far plus the estimate of those in flight would pass this many US dollars (exit 6; re-run to resume)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Process only shard K of N (1-based), chosen by a stable hash of custom_id (FNV-1a 64 mod N), so N machines can split one input')
            [CompletionResult]::new('--remote-id', '--remote-id', [CompletionResultType]::ParameterName, 'Attach to a remote batch job by id (or a comma-separated list of ids): status, wait, download')
            [CompletionResult]::new('--poll-interval', '--poll-interval', [CompletionResultType]::ParameterName, 'How often to poll a remote job')
            [CompletionResult]::new('--split-requests', '--split-requests', [CompletionResultType]::ParameterName, 'Most requests per remote batch in --remote mode (default: the provider''s limit, 50,000 for OpenAI, 100,000 for Anthropic)')
            [CompletionResult]::new('--mock-ttft', '--mock-ttft', [CompletionResultType]::ParameterName, 'Mock delay before the first token (also the pace of --remote jobs), e.g. 150ms')
            [CompletionResult]::new('--mock-itl', '--mock-itl', [CompletionResultType]::ParameterName, 'Mock delay between tokens, e.g. 5ms')
            [CompletionResult]::new('--mock-fail-rate', '--mock-fail-rate', [CompletionResultType]::ParameterName, 'Fraction of mock requests that fail (429, 500, 503, dropped, cut)')
            [CompletionResult]::new('--mock-rpm', '--mock-rpm', [CompletionResultType]::ParameterName, 'Requests per minute the mock accepts before answering 429')
            [CompletionResult]::new('--mock-tpm', '--mock-tpm', [CompletionResultType]::ParameterName, 'Tokens per minute the mock accepts before answering 429')
            [CompletionResult]::new('--mock-seed', '--mock-seed', [CompletionResultType]::ParameterName, 'Seed of the mock''s replies and fault draws')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: LLMKIT_PROFILE]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the API (e.g. http://localhost:8000/v1)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Wire protocol of the endpoint')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Model to request [env: LLMKIT_MODEL]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model to request [env: LLMKIT_MODEL]')
            [CompletionResult]::new('--api-key-env', '--api-key-env', [CompletionResultType]::ParameterName, 'Name of the environment variable that holds the API key')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Requests per minute the client allows itself')
            [CompletionResult]::new('--tpm', '--tpm', [CompletionResultType]::ParameterName, 'Tokens per minute the client allows itself')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-request timeout (e.g. 60s, 2m)')
            [CompletionResult]::new('--fallback', '--fallback', [CompletionResultType]::ParameterName, 'Profiles to fall back to, in order, when this one fails or its breaker is open')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Append every exchange to this recording (JSONL)')
            [CompletionResult]::new('--cache', '--cache', [CompletionResultType]::ParameterName, 'Answer repeated requests from a local cache: deterministic ones only (temperature 0 or a seed), or `all`')
            [CompletionResult]::new('--cache-ttl', '--cache-ttl', [CompletionResultType]::ParameterName, 'How long cached responses stay valid (e.g. 7d, 12h)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: $XDG_CACHE_HOME/llmkit/responses]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Treat every input line as one prompt (blank lines are skipped)')
            [CompletionResult]::new('--retry-failed', '--retry-failed', [CompletionResultType]::ParameterName, 'Redo the requests that failed in an earlier run (successes are still skipped)')
            [CompletionResult]::new('--ordered', '--ordered', [CompletionResultType]::ParameterName, 'Write output lines in input order (a bounded reorder buffer holds early finishers)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Validate and estimate tokens and cost; send nothing')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Run the job on the provider''s Batch API (upload, create, poll, download) at batch prices')
            [CompletionResult]::new('--cancel', '--cancel', [CompletionResultType]::ParameterName, 'Cancel the remote job(s) named by --remote-id (or recorded in the state file)')
            [CompletionResult]::new('--mock', '--mock', [CompletionResultType]::ParameterName, 'Run against the embedded mock server (no network, no key)')
            [CompletionResult]::new('--no-ledger', '--no-ledger', [CompletionResultType]::ParameterName, 'Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show a progress bar')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'llmkit;bench' {
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Open loop: requests per second, whatever the server does (default: closed loop, -c)')
            [CompletionResult]::new('--arrival', '--arrival', [CompletionResultType]::ParameterName, 'Open-loop arrival process [default: poisson]')
            [CompletionResult]::new('--burstiness', '--burstiness', [CompletionResultType]::ParameterName, 'Gamma shape for --arrival gamma: below 1 burstier than Poisson, above 1 smoother')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Measured requests per level [default: 100 when no --duration]')
            [CompletionResult]::new('--requests', '--requests', [CompletionResultType]::ParameterName, 'Measured requests per level [default: 100 when no --duration]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Run each level this long (e.g. 30s, 5m); with -n, whichever comes first')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Run each level this long (e.g. 30s, 5m); with -n, whichever comes first')
            [CompletionResult]::new('--warmup', '--warmup', [CompletionResultType]::ParameterName, 'Requests sent before each level and left out of its statistics')
            [CompletionResult]::new('--sweep', '--sweep', [CompletionResultType]::ParameterName, 'One report row per level: `concurrency=1,2,4,8` or `rate=5,10,20`')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed of arrivals and synthetic prompts (same seed, same traffic)')
            [CompletionResult]::new('--prompt-tokens', '--prompt-tokens', [CompletionResultType]::ParameterName, 'Synthetic prompts of exactly N tokens (chat format, as the server counts them) [default: 256]')
            [CompletionResult]::new('--prompt-tokens-stddev', '--prompt-tokens-stddev', [CompletionResultType]::ParameterName, 'Vary synthetic prompt lengths (normal distribution with this standard deviation)')
            [CompletionResult]::new('--max-tokens', '--max-tokens', [CompletionResultType]::ParameterName, 'Output tokens requested (max_tokens) [default: 128; a dataset keeps its own unless set]')
            [CompletionResult]::new('--dataset', '--dataset', [CompletionResultType]::ParameterName, 'Requests from a file: batch-input JSONL, or plain text with one prompt per line')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write every request''s record here (JSONL), for `bench report` and your own analysis')
            [CompletionResult]::new('--slo', '--slo', [CompletionResultType]::ParameterName, 'Per-request objectives, e.g. `ttft=200ms,tpot=50ms` (keys: ttft, tpot, itl, e2e). Goodput counts requests that met all of them')
            [CompletionResult]::new('--slo-attainment', '--slo-attainment', [CompletionResultType]::ParameterName, 'Fraction of requests that must meet --slo, else exit 1 (0.99 = "p99 within SLO")')
            [CompletionResult]::new('--max-errors', '--max-errors', [CompletionResultType]::ParameterName, 'Stop and exit 1 once more than N requests failed')
            [CompletionResult]::new('--max-error-rate', '--max-error-rate', [CompletionResultType]::ParameterName, 'Exit 1 when more than this fraction of requests failed (e.g. 0.01)')
            [CompletionResult]::new('--mock-ttft', '--mock-ttft', [CompletionResultType]::ParameterName, 'Mock delay before the first token (e.g. 150ms)')
            [CompletionResult]::new('--mock-itl', '--mock-itl', [CompletionResultType]::ParameterName, 'Mock delay between tokens (e.g. 10ms)')
            [CompletionResult]::new('--mock-jitter', '--mock-jitter', [CompletionResultType]::ParameterName, 'Mock random extra latency, a fraction (0..1) of each delay')
            [CompletionResult]::new('--mock-fail-rate', '--mock-fail-rate', [CompletionResultType]::ParameterName, 'Fraction of mock requests that fail (0..1)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: LLMKIT_PROFILE]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the API (e.g. http://localhost:8000/v1)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Wire protocol of the endpoint')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Model to request [env: LLMKIT_MODEL]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model to request [env: LLMKIT_MODEL]')
            [CompletionResult]::new('--api-key-env', '--api-key-env', [CompletionResultType]::ParameterName, 'Name of the environment variable that holds the API key')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Requests per minute the client allows itself')
            [CompletionResult]::new('--tpm', '--tpm', [CompletionResultType]::ParameterName, 'Tokens per minute the client allows itself')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-request timeout (e.g. 60s, 2m)')
            [CompletionResult]::new('--fallback', '--fallback', [CompletionResultType]::ParameterName, 'Profiles to fall back to, in order, when this one fails or its breaker is open')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Append every exchange to this recording (JSONL)')
            [CompletionResult]::new('--cache', '--cache', [CompletionResultType]::ParameterName, 'Answer repeated requests from a local cache: deterministic ones only (temperature 0 or a seed), or `all`')
            [CompletionResult]::new('--cache-ttl', '--cache-ttl', [CompletionResultType]::ParameterName, 'How long cached responses stay valid (e.g. 7d, 12h)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: $XDG_CACHE_HOME/llmkit/responses]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Closed loop: requests in flight at once (workers); with --rate: the most in flight')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Closed loop: requests in flight at once (workers); with --rate: the most in flight')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Closed loop: requests in flight at once (workers); with --rate: the most in flight')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('--no-stream', '--no-stream', [CompletionResultType]::ParameterName, 'Do not stream: measure plain request latency (TTFT = E2E; no TPOT or ITL)')
            [CompletionResult]::new('--via-engine', '--via-engine', [CompletionResultType]::ParameterName, 'Send non-streamed requests through the full request engine too. By default they go on bare kept-alive HTTP/1 connections when the engine would add nothing (one plain http:// endpoint, no retries, no rate limit, no cache): same records, less overhead')
            [CompletionResult]::new('--mock', '--mock', [CompletionResultType]::ParameterName, 'Run against the embedded mock server (no network, no key)')
            [CompletionResult]::new('--no-ledger', '--no-ledger', [CompletionResultType]::ParameterName, 'Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show a progress bar')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Merge record files written by `bench --out` (several runs or machines) into one report')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'llmkit;bench;report' {
            [CompletionResult]::new('--slo', '--slo', [CompletionResultType]::ParameterName, 'Per-request objectives, e.g. `ttft=200ms,tpot=50ms` (keys: ttft, tpot, itl, e2e). Goodput counts requests that met all of them')
            [CompletionResult]::new('--slo-attainment', '--slo-attainment', [CompletionResultType]::ParameterName, 'Fraction of requests that must meet --slo, else exit 1 (0.99 = "p99 within SLO")')
            [CompletionResult]::new('--max-errors', '--max-errors', [CompletionResultType]::ParameterName, 'Stop and exit 1 once more than N requests failed')
            [CompletionResult]::new('--max-error-rate', '--max-error-rate', [CompletionResultType]::ParameterName, 'Exit 1 when more than this fraction of requests failed (e.g. 0.01)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show a progress bar')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'llmkit;bench;help' {
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Merge record files written by `bench --out` (several runs or machines) into one report')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'llmkit;bench;help;report' {
            break
        }
        'llmkit;bench;help;help' {
            break
        }
        'llmkit;tokens' {
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Model whose tokenizer to use (gpt-4o, gpt-4, gpt-oss-120b, ...). Models with no local tokenizer (claude-*, gemini-*, ...) get an estimate, labelled approximate')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model whose tokenizer to use (gpt-4o, gpt-4, gpt-oss-120b, ...). Models with no local tokenizer (claude-*, gemini-*, ...) get an estimate, labelled approximate')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Encoding to use directly [default: o200k_base]')
            [CompletionResult]::new('--encoding', '--encoding', [CompletionResultType]::ParameterName, 'Encoding to use directly [default: o200k_base]')
            [CompletionResult]::new('--truncate', '--truncate', [CompletionResultType]::ParameterName, 'Print the text of the first N tokens (a prefix of the input)')
            [CompletionResult]::new('--chunk', '--chunk', [CompletionResultType]::ParameterName, 'Split the input into pieces of at most N tokens, printed as JSONL')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('--encode', '--encode', [CompletionResultType]::ParameterName, 'Print the token ids instead of counting')
            [CompletionResult]::new('--decode', '--decode', [CompletionResultType]::ParameterName, 'Turn token ids (from the arguments or stdin) back into text')
            [CompletionResult]::new('--messages', '--messages', [CompletionResultType]::ParameterName, 'Read chat requests (JSON request, messages array, or batch JSONL) and count the prompt tokens each will cost, with the chat overhead and tool definitions')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Show how much of the model''s context window the input uses (needs -m)')
            [CompletionResult]::new('--allow-special', '--allow-special', [CompletionResultType]::ParameterName, 'Treat special-token strings such as `<|endoftext|>` as special tokens (default: text)')
            [CompletionResult]::new('--hidden', '--hidden', [CompletionResultType]::ParameterName, 'Walk hidden files and directories too')
            [CompletionResult]::new('--no-ignore', '--no-ignore', [CompletionResultType]::ParameterName, 'Do not respect .gitignore, .ignore and similar files')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'llmkit;cost' {
            [CompletionResult]::new('--prices', '--prices', [CompletionResultType]::ParameterName, 'Price file merged over the embedded snapshot: a LiteLLM JSON file, or a TOML file of overrides (`[models."name"] input_cost_per_token = ...`)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('prices', 'prices', [CompletionResultType]::ParameterValue, 'List model prices (USD per 1M tokens) and context windows')
            [CompletionResult]::new('estimate', 'estimate', [CompletionResultType]::ParameterValue, 'What traffic will cost, per request / day / month; several models side by side')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Price usage logs (ledger, recordings, batch outputs, API responses, usage exports)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'llmkit;cost;prices' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Only this LiteLLM provider (openai, anthropic, gemini, mistral, deepseek, dashscope, ...)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--prices', '--prices', [CompletionResultType]::ParameterName, 'Price file merged over the embedded snapshot: a LiteLLM JSON file, or a TOML file of overrides (`[models."name"] input_cost_per_token = ...`)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show a progress bar')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'llmkit;cost;estimate' {
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Model to price (repeatable; a glob such as `claude-*` compares every match)')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model to price (repeatable; a glob such as `claude-*` compares every match)')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'Prompt tokens per request (cached and cache-write tokens included)')
            [CompletionResult]::new('--prompt-file', '--prompt-file', [CompletionResultType]::ParameterName, 'Count the prompt tokens of this file (sent as one user message) with the tokenizer')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output tokens per request (reasoning tokens included)')
            [CompletionResult]::new('--cached', '--cached', [CompletionResultType]::ParameterName, 'Of the input, tokens read from the provider''s prompt cache')
            [CompletionResult]::new('--cache-write', '--cache-write', [CompletionResultType]::ParameterName, 'Of the input, tokens written to the prompt cache (Anthropic cache_creation)')
            [CompletionResult]::new('--reasoning', '--reasoning', [CompletionResultType]::ParameterName, 'Of the output, reasoning tokens')
            [CompletionResult]::new('--requests', '--requests', [CompletionResultType]::ParameterName, 'Requests per --per period')
            [CompletionResult]::new('--per', '--per', [CompletionResultType]::ParameterName, 'The period --requests counts')
            [CompletionResult]::new('--batch-file', '--batch-file', [CompletionResultType]::ParameterName, 'Price a batch input file (JSONL) before running it: local vs Batch API rates')
            [CompletionResult]::new('--assume-output', '--assume-output', [CompletionResultType]::ParameterName, 'With --batch-file: expected output tokens per request (the upper bound is max_tokens)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--prices', '--prices', [CompletionResultType]::ParameterName, 'Price file merged over the embedded snapshot: a LiteLLM JSON file, or a TOML file of overrides (`[models."name"] input_cost_per_token = ...`)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Price at Batch API rates')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show a progress bar')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'llmkit;cost;report' {
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'Group rows by these keys (repeatable or comma-separated) [default: model]')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only usage at or after this date or RFC 3339 time')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only usage up to this date (inclusive) or RFC 3339 time')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project monthly spend: `month-to-date` (calendar extrapolation, the default) or `trailing-Nd` (average of the last N days, e.g. trailing-7d)')
            [CompletionResult]::new('--budget', '--budget', [CompletionResultType]::ParameterName, 'Exit 1 when the projected monthly spend exceeds this many USD (implies --project)')
            [CompletionResult]::new('--fx', '--fx', [CompletionResultType]::ParameterName, 'Add a converted cost column, e.g. `--fx CNY=7.2` (repeatable)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--prices', '--prices', [CompletionResultType]::ParameterName, 'Price file merged over the embedded snapshot: a LiteLLM JSON file, or a TOML file of overrides (`[models."name"] input_cost_per_token = ...`)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Exit 1 if any line was skipped')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show a progress bar')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'llmkit;cost;help' {
            [CompletionResult]::new('prices', 'prices', [CompletionResultType]::ParameterValue, 'List model prices (USD per 1M tokens) and context windows')
            [CompletionResult]::new('estimate', 'estimate', [CompletionResultType]::ParameterValue, 'What traffic will cost, per request / day / month; several models side by side')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Price usage logs (ledger, recordings, batch outputs, API responses, usage exports)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'llmkit;cost;help;prices' {
            break
        }
        'llmkit;cost;help;estimate' {
            break
        }
        'llmkit;cost;help;report' {
            break
        }
        'llmkit;cost;help;help' {
            break
        }
        'llmkit;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'llmkit;serve' {
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'Address to listen on (port 0 picks a free port; the URL is printed on stderr)')
            [CompletionResult]::new('--replay', '--replay', [CompletionResultType]::ParameterName, 'Answer from this recording (`--record` output) instead of generating replies: chat completions and Anthropic messages, matched on their normalized body')
            [CompletionResult]::new('--match-on', '--match-on', [CompletionResultType]::ParameterName, 'Fields that decide a match, comma-separated dotted paths (e.g. model,messages) [default: the whole body except stream and stream_options]')
            [CompletionResult]::new('--replay-latency', '--replay-latency', [CompletionResultType]::ParameterName, 'Latency of replayed answers: the recorded one, or none')
            [CompletionResult]::new('--fallthrough', '--fallthrough', [CompletionResultType]::ParameterName, 'Forward requests the recording cannot answer to this base URL (e.g. https://api.openai.com/v1, or https://api.anthropic.com for /v1/messages) and append the exchanges to the recording (once each)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed for deterministic replies, embeddings, jitter and fault draws')
            [CompletionResult]::new('--reply-tokens', '--reply-tokens', [CompletionResultType]::ParameterName, 'Natural reply length in tokens; a smaller max_tokens cuts it (finish_reason "length")')
            [CompletionResult]::new('--ttft', '--ttft', [CompletionResultType]::ParameterName, 'Delay before the first token (e.g. 150ms)')
            [CompletionResult]::new('--itl', '--itl', [CompletionResultType]::ParameterName, 'Delay between streamed tokens (e.g. 10ms)')
            [CompletionResult]::new('--jitter', '--jitter', [CompletionResultType]::ParameterName, 'Random extra latency: each delay grows by up to this fraction (0..1)')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Requests per minute the server accepts before answering 429')
            [CompletionResult]::new('--tpm', '--tpm', [CompletionResultType]::ParameterName, 'Tokens per minute the server accepts before answering 429')
            [CompletionResult]::new('--fail-rate', '--fail-rate', [CompletionResultType]::ParameterName, 'Fraction of requests that fail (0..1), drawn from --seed; see --fail-kinds')
            [CompletionResult]::new('--fail-kinds', '--fail-kinds', [CompletionResultType]::ParameterName, 'Failure mix, KIND[:WEIGHT] comma-separated: an HTTP status (429, 500, 503, 529, ...), `drop` (close the connection unanswered), `cut` (break the body half-way), `hang` (never answer)')
            [CompletionResult]::new('--require-key', '--require-key', [CompletionResultType]::ParameterName, 'Answer 401 unless the request carries this key (Bearer, x-api-key or api-key)')
            [CompletionResult]::new('--oauth-client', '--oauth-client', [CompletionResultType]::ParameterName, 'Grant OAuth2 client-credentials tokens to this client at POST /oauth/token, and require a valid, unexpired token (Bearer or ?access_token=) on every API route. Repeatable')
            [CompletionResult]::new('--token-ttl', '--token-ttl', [CompletionResultType]::ParameterName, 'Lifetime of tokens issued by /oauth/token (e.g. 2s, 15m) [default: 1h]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'llmkit;replay' {
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Input format [default: detected from the file name and first lines]')
            [CompletionResult]::new('--speed', '--speed', [CompletionResultType]::ParameterName, 'Replay speed: 2 = twice as fast as recorded, 0.5 = half as fast')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Replay only the first N requests (after --filter), in file order')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Replay only requests whose field matches (KEY=GLOB or KEY!=GLOB; repeat: all must hold). Keys: model, id, status, ok, provider, command, user, project, url, or any body field')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set a body field on every request (dotted path; the value is JSON if it parses, else a string; repeatable): --set temperature=0 --set response_format.type=json_object')
            [CompletionResult]::new('--fail-on-cost-increase', '--fail-on-cost-increase', [CompletionResultType]::ParameterName, 'Exit 1 when the replay costs more than PCT percent over the recording')
            [CompletionResult]::new('--prices', '--prices', [CompletionResultType]::ParameterName, 'Price file (LiteLLM JSON or TOML overrides) for costs the recording does not carry')
            [CompletionResult]::new('--mock-seed', '--mock-seed', [CompletionResultType]::ParameterName, 'Seed of the mock''s replies (another seed answers differently)')
            [CompletionResult]::new('--mock-reply-tokens', '--mock-reply-tokens', [CompletionResultType]::ParameterName, 'Mock reply length in tokens when a request sets no max_tokens')
            [CompletionResult]::new('--mock-ttft', '--mock-ttft', [CompletionResultType]::ParameterName, 'Mock delay before the first token, e.g. 150ms')
            [CompletionResult]::new('--mock-itl', '--mock-itl', [CompletionResultType]::ParameterName, 'Mock delay between tokens, e.g. 5ms')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: LLMKIT_PROFILE]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the API (e.g. http://localhost:8000/v1)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Wire protocol of the endpoint')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Model to request [env: LLMKIT_MODEL]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model to request [env: LLMKIT_MODEL]')
            [CompletionResult]::new('--api-key-env', '--api-key-env', [CompletionResultType]::ParameterName, 'Name of the environment variable that holds the API key')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Requests per minute the client allows itself')
            [CompletionResult]::new('--tpm', '--tpm', [CompletionResultType]::ParameterName, 'Tokens per minute the client allows itself')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-request timeout (e.g. 60s, 2m)')
            [CompletionResult]::new('--fallback', '--fallback', [CompletionResultType]::ParameterName, 'Profiles to fall back to, in order, when this one fails or its breaker is open')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Append every exchange to this recording (JSONL)')
            [CompletionResult]::new('--cache', '--cache', [CompletionResultType]::ParameterName, 'Answer repeated requests from a local cache: deterministic ones only (temperature 0 or a seed), or `all`')
            [CompletionResult]::new('--cache-ttl', '--cache-ttl', [CompletionResultType]::ParameterName, 'How long cached responses stay valid (e.g. 7d, 12h)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: $XDG_CACHE_HOME/llmkit/responses]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('--fast', '--fast', [CompletionResultType]::ParameterName, 'Ignore recorded timing: send everything as fast as the engine''s limits allow')
            [CompletionResult]::new('--diff', '--diff', [CompletionResultType]::ParameterName, 'Show a diff of every changed output')
            [CompletionResult]::new('--fail-on-change', '--fail-on-change', [CompletionResultType]::ParameterName, 'Exit 1 when any output changed or a request that succeeded before now fails')
            [CompletionResult]::new('--mock', '--mock', [CompletionResultType]::ParameterName, 'Run against the embedded mock server (no network, no key)')
            [CompletionResult]::new('--no-ledger', '--no-ledger', [CompletionResultType]::ParameterName, 'Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show a progress bar')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'llmkit;check' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: LLMKIT_PROFILE]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the API (e.g. http://localhost:8000/v1)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Wire protocol of the endpoint')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Model to request [env: LLMKIT_MODEL]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model to request [env: LLMKIT_MODEL]')
            [CompletionResult]::new('--api-key-env', '--api-key-env', [CompletionResultType]::ParameterName, 'Name of the environment variable that holds the API key')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Requests per minute the client allows itself')
            [CompletionResult]::new('--tpm', '--tpm', [CompletionResultType]::ParameterName, 'Tokens per minute the client allows itself')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-request timeout (e.g. 60s, 2m)')
            [CompletionResult]::new('--fallback', '--fallback', [CompletionResultType]::ParameterName, 'Profiles to fall back to, in order, when this one fails or its breaker is open')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Append every exchange to this recording (JSONL)')
            [CompletionResult]::new('--cache', '--cache', [CompletionResultType]::ParameterName, 'Answer repeated requests from a local cache: deterministic ones only (temperature 0 or a seed), or `all`')
            [CompletionResult]::new('--cache-ttl', '--cache-ttl', [CompletionResultType]::ParameterName, 'How long cached responses stay valid (e.g. 7d, 12h)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: $XDG_CACHE_HOME/llmkit/responses]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('--mock', '--mock', [CompletionResultType]::ParameterName, 'Run against the embedded mock server (no network, no key)')
            [CompletionResult]::new('--no-ledger', '--no-ledger', [CompletionResultType]::ParameterName, 'Do not append to the usage ledger ($LLMKIT_LEDGER or $XDG_DATA_HOME/llmkit/usage.jsonl)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show a progress bar')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'llmkit;generate-docs' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Directory that receives completions/ and man/')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'llmkit;help' {
            [CompletionResult]::new('chat', 'chat', [CompletionResultType]::ParameterValue, 'Send a prompt (arguments and/or stdin) and stream the answer to stdout')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Run a JSONL batch of chat requests: concurrent, rate-limited, resumable; or submit it to a provider''s Batch API with --remote')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Load-test an endpoint: TTFT, TPOT, ITL, percentiles, throughput, sweeps')
            [CompletionResult]::new('tokens', 'tokens', [CompletionResultType]::ParameterValue, 'Count, encode, decode, truncate or chunk tokens of files, stdin or chat requests')
            [CompletionResult]::new('cost', 'cost', [CompletionResultType]::ParameterValue, 'Price requests, batch files and usage logs; project monthly spend (offline)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions to stdout')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Re-send recorded requests (with their timing) to another endpoint or model and compare')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check every configured profile (or the chosen one): reachable, TLS, key, model, latency, rate-limit headers. Exit code = failure class of the first failing profile')
            [CompletionResult]::new('generate-docs', 'generate-docs', [CompletionResultType]::ParameterValue, 'Write completions/ and man/ (for maintainers; the output is committed)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'llmkit;help;chat' {
            break
        }
        'llmkit;help;batch' {
            break
        }
        'llmkit;help;bench' {
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Merge record files written by `bench --out` (several runs or machines) into one report')
            break
        }
        'llmkit;help;bench;report' {
            break
        }
        'llmkit;help;tokens' {
            break
        }
        'llmkit;help;cost' {
            [CompletionResult]::new('prices', 'prices', [CompletionResultType]::ParameterValue, 'List model prices (USD per 1M tokens) and context windows')
            [CompletionResult]::new('estimate', 'estimate', [CompletionResultType]::ParameterValue, 'What traffic will cost, per request / day / month; several models side by side')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Price usage logs (ledger, recordings, batch outputs, API responses, usage exports)')
            break
        }
        'llmkit;help;cost;prices' {
            break
        }
        'llmkit;help;cost;estimate' {
            break
        }
        'llmkit;help;cost;report' {
            break
        }
        'llmkit;help;completions' {
            break
        }
        'llmkit;help;serve' {
            break
        }
        'llmkit;help;replay' {
            break
        }
        'llmkit;help;check' {
            break
        }
        'llmkit;help;generate-docs' {
            break
        }
        'llmkit;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
