
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
            cand generate-docs 'Write completions/ and man/ (for maintainers; the output is committed)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'llmkit;help;completions'= {
        }
        &'llmkit;help;generate-docs'= {
        }
        &'llmkit;help;help'= {
        }
    ]
    $completions[$command]
}
