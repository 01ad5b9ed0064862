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
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "serve" -d 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "generate-docs" -d 'Write completions/ and man/ (for maintainers; the output is committed)'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l addr -d 'Address to listen on (port 0 picks a free port; the URL is printed on stderr)' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l replay -d 'Answer from this recording (`--record` output) instead of generating replies: requests are matched on their normalized body' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l match-on -d 'Fields that decide a match, comma-separated dotted paths (e.g. model,messages) [default: the whole body except stream and stream_options]' -r
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l replay-latency -d 'Latency of replayed answers: the recorded one, or none' -r -f -a "recorded\t'The recorded TTFT and total latency'
zero\t'Answer at once'"
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -l fallthrough -d 'Forward requests the recording cannot answer to this base URL (e.g. https://api.openai.com/v1) and append the exchanges to the recording' -r
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
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llmkit -n "__fish_llmkit_using_subcommand serve" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -l out -d 'Directory that receives completions/ and man/' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from completions serve generate-docs help" -f -a "completions" -d 'Print shell completions to stdout'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from completions serve generate-docs help" -f -a "serve" -d 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from completions serve generate-docs help" -f -a "generate-docs" -d 'Write completions/ and man/ (for maintainers; the output is committed)'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from completions serve generate-docs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
