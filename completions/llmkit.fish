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
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "generate-docs" -d 'Write completions/ and man/ (for maintainers; the output is committed)'
complete -c llmkit -n "__fish_llmkit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand completions" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -l out -d 'Directory that receives completions/ and man/' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -l config -d 'Config file [default: $XDG_CONFIG_HOME/llmkit/config.toml]' -r -F
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s v -l verbose -d 'More detail on stderr (repeat for more)'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s q -l quiet -d 'Print only results and errors'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s h -l help -d 'Print help'
complete -c llmkit -n "__fish_llmkit_using_subcommand generate-docs" -s V -l version -d 'Print version'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from completions generate-docs help" -f -a "completions" -d 'Print shell completions to stdout'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from completions generate-docs help" -f -a "generate-docs" -d 'Write completions/ and man/ (for maintainers; the output is committed)'
complete -c llmkit -n "__fish_llmkit_using_subcommand help; and not __fish_seen_subcommand_from completions generate-docs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
