
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
            cand serve 'Run the embedded OpenAI/Anthropic-compatible mock server until Ctrl-C'
            cand generate-docs 'Write completions/ and man/ (for maintainers; the output is committed)'
            cand help 'Print this message or the help of the given subcommand(s)'
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
