//! `chat` flags -> validated [`ChatSettings`], before any I/O.
//!
//! Destructuring [`ChatArgs`] here means a new flag that nobody handles does not compile.
//! Files named by flags (`--schema`, `--tools`, `--messages`) are only named here; they are
//! read when the command starts, still before any request is sent.

use std::path::PathBuf;

use serde_json::Value;

use super::conversation::{check_id, Store};
use super::request::{parse_option, Sampling};
use super::tools::ToolCommand;
use crate::cli::ChatArgs;
use crate::config::Config;
use crate::error::Error;
use crate::settings::EngineSettings;

/// Which conversation this run belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thread {
    /// A new conversation (saved unless `--no-save`).
    New,
    /// `-c`: the most recent one.
    Last,
    /// `--cid ID`.
    Id(String),
    /// `--session NAME` (started when missing).
    Session(String),
}

/// The requested reply shape, before the schema file is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    Text,
    Json,
    Schema(PathBuf),
}

#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// Prompt words (joined later with piped stdin).
    pub prompt: Vec<String>,
    pub system: Option<String>,
    pub sampling: Sampling,
    /// `-o` fields in order.
    pub extra: Vec<(String, Value)>,
    /// `--messages`; `-` is stdin.
    pub messages: Option<PathBuf>,
    pub shape: Shape,
    pub tools_file: Option<PathBuf>,
    pub tool_commands: Vec<ToolCommand>,
    pub max_tool_rounds: u32,
    pub thread: Thread,
    pub save: bool,
    pub list: bool,
    pub usage: bool,
    pub raw: bool,
    pub dry_run: bool,
    pub stream: bool,
    pub cache_system: bool,
    pub engine: EngineSettings,
    /// The model named by `-m`/`LLMKIT_MODEL` (beats a continued conversation's model, which
    /// beats the profile's).
    pub model_flag: Option<String>,
    /// Price file override (`LLMKIT_PRICES`).
    pub prices: Option<PathBuf>,
    /// Where conversations live (`None`: no data directory; saving is then skipped).
    pub store: Option<Store>,
}

impl ChatSettings {
    pub fn resolve(args: ChatArgs, config: &Config) -> anyhow::Result<Self> {
        let ChatArgs {
            prompt,
            system,
            temperature,
            top_p,
            max_tokens,
            stop,
            seed,
            options,
            messages,
            json,
            schema,
            tools,
            tool,
            max_tool_rounds,
            tool_timeout,
            continue_last,
            cid,
            session,
            no_save,
            list,
            usage,
            raw,
            dry_run,
            no_stream,
            cache_system,
            engine,
        } = args;

        let model_flag = engine.model.clone();
        let engine = EngineSettings::resolve(&engine, config)?;
        let sampling = Sampling { temperature, top_p, max_tokens, stop, seed };
        sampling.validate().map_err(Error::usage)?;
        let extra =
            options.iter().map(|o| parse_option(o)).collect::<Result<Vec<_>, _>>().map_err(Error::usage)?;
        let tool_commands = tool
            .iter()
            .map(|t| ToolCommand::parse(t).map(|c| ToolCommand { timeout: tool_timeout, ..c }))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::usage)?;
        for (i, t) in tool_commands.iter().enumerate() {
            if tool_commands[..i].iter().any(|o| o.name == t.name) {
                return Err(Error::usage(format!("--tool `{}` is given twice", t.name)).into());
            }
        }
        if tool_timeout.is_zero() {
            return Err(Error::usage("--tool-timeout must be greater than 0").into());
        }
        if max_tool_rounds == 0 {
            return Err(Error::usage("--max-tool-rounds must be at least 1").into());
        }
        let thread = match (continue_last, cid, session) {
            (true, _, _) => Thread::Last,
            (_, Some(id), _) => {
                check_id(&id, "--cid").map_err(Error::usage)?;
                Thread::Id(id)
            }
            (_, _, Some(name)) => {
                check_id(&name, "--session").map_err(Error::usage)?;
                Thread::Session(name)
            }
            _ => Thread::New,
        };
        if no_save && thread != Thread::New {
            return Err(Error::usage("--no-save cannot be combined with -c, --cid or --session").into());
        }
        let shape = match (json, schema) {
            (_, Some(path)) => Shape::Schema(path),
            (true, None) => Shape::Json,
            (false, None) => Shape::Text,
        };
        if raw && shape != Shape::Text {
            return Err(Error::usage(
                "--raw prints the response untouched; it cannot be combined with --json/--schema",
            )
            .into());
        }
        Ok(ChatSettings {
            prompt,
            system,
            sampling,
            extra,
            messages,
            shape,
            tools_file: tools,
            tool_commands,
            max_tool_rounds,
            thread,
            save: !no_save,
            list,
            usage,
            raw,
            dry_run,
            // `--raw` prints the provider's response document, which a stream does not have.
            stream: !no_stream && !raw,
            cache_system,
            engine,
            model_flag,
            prices: std::env::var_os("LLMKIT_PRICES").filter(|v| !v.is_empty()).map(PathBuf::from),
            store: Store::default_dir().map(Store::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn resolve(argv: &[&str]) -> anyhow::Result<ChatSettings> {
        let cli = Cli::try_parse_from(
            std::iter::once("llmkit").chain(std::iter::once("chat")).chain(argv.iter().copied()),
        )?;
        let Command::Chat(args) = cli.command else { panic!("not chat") };
        ChatSettings::resolve(*args, &Config::default())
    }

    #[test]
    fn flags_become_settings() {
        let s = resolve(&[
            "-s",
            "sys",
            "--temperature",
            "0.2",
            "--top-p",
            "0.5",
            "--max-tokens",
            "9",
            "--stop",
            "A",
            "--stop",
            "B",
            "--seed",
            "3",
            "-o",
            "n=2",
            "-o",
            "user=me",
            "--tool",
            "now=date",
            "--session",
            "work",
            "-u",
            "--no-stream",
            "hello",
            "world",
        ])
        .unwrap();
        assert_eq!(s.prompt, ["hello", "world"]);
        assert_eq!(s.system.as_deref(), Some("sys"));
        assert_eq!(s.sampling.stop, ["A", "B"]);
        assert_eq!(s.sampling.max_tokens, Some(9));
        assert_eq!(
            s.extra,
            vec![("n".into(), serde_json::json!(2)), ("user".into(), serde_json::json!("me"))]
        );
        assert_eq!(s.tool_commands[0].command, "date");
        assert_eq!(s.thread, Thread::Session("work".into()));
        assert!(s.usage && !s.stream && s.save);
        assert_eq!(s.max_tool_rounds, 5);
    }

    #[test]
    fn conversation_flags_exclude_each_other() {
        assert!(resolve(&["-c", "--cid", "x"]).is_err());
        assert!(resolve(&["--cid", "x", "--session", "y"]).is_err());
        assert_eq!(resolve(&["-c"]).unwrap().thread, Thread::Last);
        assert_eq!(resolve(&["--cid", "abc"]).unwrap().thread, Thread::Id("abc".into()));
        let err = resolve(&["--session", "../x"]).unwrap_err();
        assert!(err.to_string().contains("--session `../x`"), "{err}");
        let err = resolve(&["-c", "--no-save"]).unwrap_err();
        assert!(err.to_string().contains("--no-save"), "{err}");
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for argv in [
            &["--temperature", "3"][..],
            &["-o", "oops"],
            &["--tool", "x"],
            &["--tool", "a=b", "--tool", "a=c"],
            &["--max-tool-rounds", "0"],
            &["--raw", "--json"],
        ] {
            let err = resolve(argv).unwrap_err();
            assert_eq!(crate::error::exit_code_for(&err), 2, "{argv:?}: {err}");
        }
        assert!(resolve(&["--json", "--schema", "s.json"]).is_err(), "clap rejects both");
    }

    #[test]
    fn raw_turns_streaming_off_and_shapes_resolve() {
        assert!(!resolve(&["--raw"]).unwrap().stream);
        assert!(resolve(&[]).unwrap().stream);
        assert_eq!(resolve(&["--json"]).unwrap().shape, Shape::Json);
        assert_eq!(resolve(&["--schema", "p.json"]).unwrap().shape, Shape::Schema("p.json".into()));
    }
}
