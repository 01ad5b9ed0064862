//! Function calling: `--tools FILE` (definitions), the JSON lines printed for tool calls, and
//! `--tool NAME=COMMAND` (local commands that answer them).
//!
//! Safety rule: a command runs only when the user named it with `--tool` for exactly that tool
//! name. Whatever the model asks for otherwise is printed, never executed.

use std::path::Path;
use std::process::Stdio;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::message::ToolCall;
use crate::error::Error;

/// Exit code when the model asked for tools that were not run: its calls are on stdout as
/// JSON lines. Outside the error range (2..6) because it is an answer, not a failure.
pub const EXIT_TOOL_CALLS: u8 = 10;

/// A tool definition in OpenAI's request form (the engine's canonical type).
pub use crate::provider::{FunctionDef, Tool as ToolDef};

/// The forms a definitions file may use: OpenAI's `{"type":"function","function":{...}}`, a
/// bare `{"name","description","parameters"}`, or Anthropic's `input_schema` spelling.
#[derive(Deserialize)]
#[serde(untagged)]
enum DefInput {
    OpenAi {
        #[serde(rename = "type")]
        kind: String,
        function: FunctionDef,
    },
    Bare {
        name: String,
        #[serde(default)]
        description: Option<String>,
        #[serde(default, alias = "input_schema")]
        parameters: Option<Value>,
    },
}

/// Parse a `--tools` file: a JSON array of definitions (or an object with a `tools` array).
pub fn parse_definitions(text: &str, origin: &str) -> anyhow::Result<Vec<ToolDef>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Doc {
        List(Vec<Value>),
        Wrapped { tools: Vec<Value> },
    }
    let doc: Doc = serde_json::from_str(text)
        .map_err(|e| Error::usage(format!("{origin}: line {}, column {}: {e}", e.line(), e.column())))?;
    let (Doc::List(items) | Doc::Wrapped { tools: items }) = doc;
    let mut defs = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let def = match DefInput::deserialize(&item) {
            Ok(DefInput::OpenAi { kind, function }) => ToolDef { kind, function, ..ToolDef::default() },
            Ok(DefInput::Bare { name, description, parameters }) => ToolDef {
                kind: "function".into(),
                function: FunctionDef { name, description, parameters, ..FunctionDef::default() },
                ..ToolDef::default()
            },
            Err(_) => {
                return Err(Error::usage(format!(
                    "{origin}: tool #{}: expected {{\"name\", \"description\", \"parameters\"}} or \
                     {{\"type\": \"function\", \"function\": {{...}}}}",
                    i + 1
                ))
                .into())
            }
        };
        check_name(&def.function.name)
            .map_err(|e| Error::usage(format!("{origin}: tool #{}: {e}", i + 1)))?;
        if defs.iter().any(|d: &ToolDef| d.function.name == def.function.name) {
            return Err(
                Error::usage(format!("{origin}: tool `{}` is defined twice", def.function.name)).into()
            );
        }
        defs.push(def);
    }
    Ok(defs)
}

pub fn load_definitions(path: &Path) -> anyhow::Result<Vec<ToolDef>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("cannot read --tools {}: {e}", path.display())))?;
    parse_definitions(&text, &path.display().to_string())
}

/// A `--tool NAME=COMMAND` the user allowed to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCommand {
    pub name: String,
    /// Run with `sh -c`.
    pub command: String,
    /// How long one run may take before it is killed (`--tool-timeout`).
    pub timeout: std::time::Duration,
}

/// `--tool-timeout` when not given: long enough for a real lookup, short enough that a hung
/// command does not hold a chat (and its terminal) forever.
pub const DEFAULT_TOOL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl ToolCommand {
    pub fn parse(spec: &str) -> Result<ToolCommand, String> {
        let (name, command) =
            spec.split_once('=').ok_or_else(|| format!("--tool `{spec}`: expected NAME=COMMAND"))?;
        let (name, command) = (name.trim(), command.trim());
        check_name(name).map_err(|e| format!("--tool `{spec}`: {e}"))?;
        if command.is_empty() {
            return Err(format!("--tool `{spec}`: the command is empty"));
        }
        Ok(ToolCommand {
            name: name.to_string(),
            command: command.to_string(),
            timeout: DEFAULT_TOOL_TIMEOUT,
        })
    }
}

/// The definitions to send: the file's, plus a permissive one for each `--tool` the file does
/// not define (so `--tool now=date` works without writing a schema).
pub fn merge_definitions(mut defs: Vec<ToolDef>, commands: &[ToolCommand]) -> Vec<ToolDef> {
    for cmd in commands {
        if !defs.iter().any(|d| d.function.name == cmd.name) {
            defs.push(ToolDef {
                kind: "function".into(),
                function: FunctionDef {
                    name: cmd.name.clone(),
                    description: Some(format!(
                        "Local tool `{}`; takes a JSON object of arguments.",
                        cmd.name
                    )),
                    parameters: Some(serde_json::json!({"type": "object", "properties": {}})),
                    ..FunctionDef::default()
                },
                ..ToolDef::default()
            });
        }
    }
    defs
}

/// OpenAI's rule for function names: `^[a-zA-Z0-9_-]{1,64}$`.
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!("tool name `{name}` must be 1-64 characters of a-z, A-Z, 0-9, _ or -"))
    }
}

/// One printed tool call: `{"id","name","arguments"}`. `arguments` is the parsed JSON when the
/// model wrote valid JSON, else the raw string, so a script can always read the line.
#[derive(Debug, Serialize)]
pub struct CallLine<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub arguments: Value,
}

impl<'a> CallLine<'a> {
    pub fn new(call: &'a ToolCall) -> Self {
        let raw = call.function.arguments.as_str();
        let arguments = if raw.trim().is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()))
        };
        CallLine { id: &call.id, name: &call.function.name, arguments }
    }

    pub fn to_line(&self) -> String {
        // Serializing a struct of strings and a Value cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What a tool command answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// Sent back to the model as the tool result.
    pub content: String,
    /// The command failed (non-zero exit); `content` then says so.
    pub failed: bool,
}

/// Run `cmd` for one call: the arguments JSON on stdin, stdout captured as the result; stderr
/// goes to the user's terminal. A non-zero exit, or a run longer than `cmd.timeout` (the
/// command is then killed), is reported to the model (it may recover) and flagged so the
/// caller can warn.
pub async fn run(cmd: &ToolCommand, call: &ToolCall) -> anyhow::Result<ToolOutput> {
    let run = run_to_end(cmd, call);
    match tokio::time::timeout(cmd.timeout, run).await {
        Ok(result) => result,
        // Dropping the future drops the child, which kills it (kill_on_drop).
        Err(_) => Ok(ToolOutput {
            content: format!(
                "error: the tool command did not finish within {} and was killed",
                humantime::format_duration(cmd.timeout)
            ),
            failed: true,
        }),
    }
}

async fn run_to_end(cmd: &ToolCommand, call: &ToolCall) -> anyhow::Result<ToolOutput> {
    let mut command = tokio::process::Command::new("sh");
    // Its own process group, so that a timeout (or llmkit exiting) kills what the command
    // started too, not only the shell: a `sleep` left behind would hold the pipes open.
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command
        .arg("-c")
        .arg(&cmd.command)
        .env("LLMKIT_TOOL_NAME", &call.function.name)
        .env("LLMKIT_TOOL_CALL_ID", &call.id)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            Error::usage(format!("--tool {}: cannot start `sh -c {}`: {e}", cmd.name, cmd.command))
        })?;
    let _group = GroupKiller(child.id());
    if let Some(mut stdin) = child.stdin.take() {
        // A command that ignores its input may exit before reading it: not an error.
        match stdin.write_all(call.function.arguments.as_bytes()).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => return Err(e.into()),
        }
    }
    let out = child.wait_with_output().await?;
    let stdout = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
    if out.status.success() {
        Ok(ToolOutput { content: stdout, failed: false })
    } else {
        let code = out.status.code().map_or_else(|| "a signal".to_string(), |c| format!("status {c}"));
        let mut content = format!("error: the tool command exited with {code}");
        if !stdout.is_empty() {
            content.push('\n');
            content.push_str(&stdout);
        }
        Ok(ToolOutput { content, failed: true })
    }
}

/// Kills a tool command's process group when dropped: after it finished (stragglers it left in
/// the background), on timeout, and when llmkit itself is interrupted.
struct GroupKiller(Option<u32>);

impl Drop for GroupKiller {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(pid) = self.0.and_then(|p| rustix::process::Pid::from_raw(p as i32)) {
            // The group may be gone already; nothing to do then.
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::chat::message::FunctionCall;

    fn call(name: &str, args: &str) -> ToolCall {
        ToolCall {
            id: "call_1".into(),
            kind: "function".into(),
            function: FunctionCall { name: name.into(), arguments: args.into() },
        }
    }

    #[test]
    fn strict_and_other_fields_pass_through() {
        let defs =
            parse_definitions(r#"[{"type":"function","function":{"name":"a","strict":true}}]"#, "t").unwrap();
        assert_eq!(serde_json::to_value(&defs[0]).unwrap()["function"]["strict"], true);
    }

    #[test]
    fn all_three_definition_forms_normalize_to_openai() {
        let text = r#"[
            {"type":"function","function":{"name":"a","parameters":{"type":"object"}}},
            {"name":"b","description":"bee","parameters":{"type":"object"}},
            {"name":"c","input_schema":{"type":"object","properties":{"x":{"type":"string"}}}}
        ]"#;
        let defs = parse_definitions(text, "t.json").unwrap();
        let names: Vec<_> = defs.iter().map(|d| d.function.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert!(defs.iter().all(|d| d.kind == "function"));
        assert_eq!(defs[1].function.description.as_deref(), Some("bee"));
        assert_eq!(defs[2].function.parameters.as_ref().unwrap()["properties"]["x"]["type"], "string");
        let wrapped = parse_definitions(r#"{"tools":[{"name":"z"}]}"#, "t").unwrap();
        assert_eq!(wrapped[0].function.name, "z");
    }

    #[test]
    fn bad_definitions_name_file_and_entry() {
        let err = parse_definitions(r#"[{"name":"ok"},{"nom":"x"}]"#, "t.json").unwrap_err();
        assert!(err.to_string().starts_with("t.json: tool #2: expected"), "{err}");
        let err = parse_definitions(r#"[{"name":"has space"}]"#, "t.json").unwrap_err();
        assert!(err.to_string().contains("tool #1: tool name `has space`"), "{err}");
        let err = parse_definitions(r#"[{"name":"a"},{"name":"a"}]"#, "t.json").unwrap_err();
        assert!(err.to_string().contains("defined twice"), "{err}");
        let err = parse_definitions("[", "t.json").unwrap_err();
        assert!(err.to_string().starts_with("t.json: line 1"), "{err}");
    }

    #[test]
    fn tool_command_specs() {
        assert_eq!(
            ToolCommand::parse("weather=./weather.sh --json").unwrap(),
            ToolCommand {
                name: "weather".into(),
                command: "./weather.sh --json".into(),
                timeout: DEFAULT_TOOL_TIMEOUT
            }
        );
        assert_eq!(ToolCommand::parse("calc=bc -l").unwrap().command, "bc -l");
        assert!(ToolCommand::parse("nocommand").unwrap_err().contains("NAME=COMMAND"));
        assert!(ToolCommand::parse("x=").unwrap_err().contains("empty"));
        assert!(ToolCommand::parse("a/b=ls").unwrap_err().contains("tool name"));
    }

    #[test]
    fn commands_without_definitions_get_a_permissive_one() {
        let defs = parse_definitions(r#"[{"name":"a","description":"mine"}]"#, "t").unwrap();
        let cmds = [ToolCommand::parse("a=true").unwrap(), ToolCommand::parse("now=date").unwrap()];
        let merged = merge_definitions(defs, &cmds);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].function.description.as_deref(), Some("mine"));
        assert_eq!(merged[1].function.name, "now");
        assert_eq!(merged[1].function.parameters.as_ref().unwrap()["type"], "object");
    }

    #[test]
    fn call_lines_parse_arguments_when_they_are_json() {
        let c = call("get", r#"{"city":"Oslo"}"#);
        assert_eq!(
            CallLine::new(&c).to_line(),
            r#"{"id":"call_1","name":"get","arguments":{"city":"Oslo"}}"#
        );
        let c = call("get", "{broken");
        assert_eq!(CallLine::new(&c).to_line(), r#"{"id":"call_1","name":"get","arguments":"{broken"}"#);
        let c = call("get", "");
        assert_eq!(CallLine::new(&c).arguments, serde_json::json!({}));
    }

    #[tokio::test]
    async fn commands_get_arguments_on_stdin_and_answer_on_stdout() {
        let cmd = ToolCommand::parse("echo=cat; echo \" [$LLMKIT_TOOL_NAME]\"").unwrap();
        let out = run(&cmd, &call("echo", r#"{"a":1}"#)).await.unwrap();
        assert_eq!(out, ToolOutput { content: "{\"a\":1} [echo]".into(), failed: false });
    }

    #[tokio::test]
    async fn failing_commands_are_reported_not_fatal() {
        let cmd = ToolCommand::parse("bad=echo partial; exit 3").unwrap();
        let out = run(&cmd, &call("bad", "{}")).await.unwrap();
        assert!(out.failed);
        assert_eq!(out.content, "error: the tool command exited with status 3\npartial");
        // A command that never reads stdin must not turn into a broken-pipe error.
        let cmd = ToolCommand::parse("quick=true").unwrap();
        let big = "x".repeat(1 << 20);
        let out = run(&cmd, &call("quick", &big)).await.unwrap();
        assert!(!out.failed);
    }
}
