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
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "completions" -d 'Print shell completions to stdout'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "serve" -d 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
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
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l no-ledger -d 'Do not append this request to the usage ledger'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -l mock -d 'Run against the embedded mock server (no network, no key)'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llmkit -n "__fish_llmkit_using_subcommand chat" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s V -l version -d 'Print version'
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
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat completions serve generate-docs help" -f -a "chat" -d 'Send a prompt (arguments and/or stdin) and stream the answer to stdout'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat completions serve generate-docs help" -f -a "completions" -d 'Print shell completions to stdout'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat completions serve generate-docs help" -f -a "serve" -d 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat completions serve generate-docs help" -f -a "generate-docs" -d 'Write completions/ and man/ (for maintainers; the output is committed)'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from chat completions serve generate-docs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
