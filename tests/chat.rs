//! `llmkit chat` as a user runs it: the real binary (assert_cmd) against the embedded mock
//! server (`llmkit::mock::spawn_thread`, `--mock`) and against independent wiremock fixtures
//! written from the providers' documented wire formats.
//!
//! Every test runs in its own data/config directories, with a sentinel API key that must never
//! appear in anything llmkit prints or writes.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use llmkit::mock::{self, FailKind, FaultPlan, MockConfig, WeightedKind};
use serde_json::{json, Value};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SENTINEL: &str = "sk-sentinel-chat-5b1e0d";

/// Private directories and a clean environment for one test.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn conversations(&self) -> PathBuf {
        self.path().join("data/llmkit/conversations")
    }

    fn ledger(&self) -> PathBuf {
        self.path().join("ledger.jsonl")
    }

    /// `llmkit chat` against an OpenAI-compatible wiremock `server` with `gpt-4o-mini`.
    fn chat_to(&self, server: &MockServer) -> Command {
        let mut cmd = self.chat();
        cmd.args(["--base-url", &format!("{}/v1", server.uri()), "-m", "gpt-4o-mini"]);
        cmd
    }

    /// `llmkit chat ...` with the sentinel key in both key variables.
    fn chat(&self) -> Command {
        let mut cmd = Command::cargo_bin("llmkit").unwrap();
        for var in [
            "LLMKIT_CONFIG",
            "LLMKIT_PROFILE",
            "LLMKIT_MODEL",
            "LLMKIT_PRICES",
            "OPENAI_BASE_URL",
            "ANTHROPIC_BASE_URL",
            "NO_COLOR",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.path())
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_CACHE_HOME", self.path().join("cache"))
            .env("LLMKIT_LEDGER", self.ledger())
            .env("LLMKIT_TEST_NO_BACKOFF", "1")
            .env("OPENAI_API_KEY", SENTINEL)
            .env("ANTHROPIC_API_KEY", SENTINEL)
            .arg("chat")
            .timeout(Duration::from_secs(60));
        cmd
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Nothing llmkit printed or wrote under `dir` contains the key.
fn assert_no_key(o: &Output, dir: &Path) {
    assert!(!stdout(o).contains(SENTINEL), "key on stdout");
    assert!(!stderr(o).contains(SENTINEL), "key on stderr");
    for entry in walk(dir) {
        let text = std::fs::read(&entry).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&text).contains(SENTINEL), "key in {}", entry.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Fixtures in the providers' wire formats.

fn completion(content: &str, model: &str) -> Value {
    json!({
        "id": "chatcmpl-fixture",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
    })
}

fn tool_call_completion(calls: &[(&str, &str, &str)]) -> Value {
    let calls: Vec<Value> = calls
        .iter()
        .map(|(id, name, args)| json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}}))
        .collect();
    json!({
        "id": "chatcmpl-tools",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": calls}, "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 9, "total_tokens": 49}
    })
}

/// An OpenAI SSE body delivering `pieces` in order, then usage, then `[DONE]`.
fn sse(pieces: &[&str], usage: Value) -> String {
    let mut s = String::new();
    let chunk = |delta: Value, finish: Value| {
        json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    s += &format!("data: {}\n\n", chunk(json!({"role": "assistant", "content": ""}), Value::Null));
    for p in pieces {
        s += &format!("data: {}\n\n", chunk(json!({"content": p}), Value::Null));
    }
    s += &format!("data: {}\n\n", chunk(json!({}), json!("stop")));
    s += &format!(
        "data: {}\n\n",
        json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini", "choices": [], "usage": usage})
    );
    s += "data: [DONE]\n\n";
    s
}

fn sse_response(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).insert_header("content-type", "text/event-stream").set_body_string(body)
}

fn error_body(message: &str, kind: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": null}})
}

/// The JSON body of the `i`-th request the fixture received.
async fn request_body(server: &MockServer, i: usize) -> Value {
    let reqs: Vec<Request> = server.received_requests().await.unwrap();
    serde_json::from_slice(&reqs[i].body).unwrap()
}

/// Run a blocking command from an async test (the fixture keeps serving meanwhile).
async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// Prompt assembly.

#[tokio::test(flavor = "multi_thread")]
async fn piped_text_then_a_blank_line_then_the_argument() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("feat: add x", "gpt-4o-mini")))
        .mount(&server)
        .await;
    let env = Env::new();
    let mut cmd = env.chat_to(&server);
    cmd.arg("--no-stream")
        .args(["-s", "You write commit messages.", "write", "a", "commit", "message"])
        .write_stdin("diff --git a/x b/x\n+x\n");
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "feat: add x\n");
    let body = request_body(&server, 0).await;
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "You write commit messages."},
            {"role": "user", "content": "diff --git a/x b/x\n+x\n\nwrite a commit message"}
        ])
    );
    assert_eq!(body["model"], "gpt-4o-mini");
    assert!(body.get("stream").is_none_or(|s| s == false), "{body}");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs[0].headers.get("authorization").unwrap(), &format!("Bearer {SENTINEL}"));
    assert_no_key(&out, env.path());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sampling_flag_reaches_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("ok", "gpt-4o-mini")))
        .mount(&server)
        .await;
    let env = Env::new();
    let mut cmd = env.chat_to(&server);
    cmd.arg("--no-stream")
        .args([
            "--temperature",
            "0.3",
            "--top-p",
            "0.8",
            "--max-tokens",
            "50",
            "--stop",
            "END",
            "--stop",
            "FIN",
        ])
        .args(["--seed", "42", "-o", "n=1", "-o", "user=alice", "-o", r#"metadata={"k":"v"}"#, "hi"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let body = request_body(&server, 0).await;
    assert_eq!(body["temperature"], 0.3);
    assert_eq!(body["top_p"], 0.8);
    assert_eq!(body["max_tokens"], 50);
    assert_eq!(body["stop"], json!(["END", "FIN"]));
    assert_eq!(body["seed"], 42);
    assert_eq!(body["n"], 1);
    assert_eq!(body["user"], "alice");
    assert_eq!(body["metadata"], json!({"k": "v"}));
}

#[test]
fn no_prompt_and_no_terminal_is_a_usage_error() {
    let env = Env::new();
    let out = env.chat().arg("--mock").write_stdin("").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no prompt"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_file_is_sent_whole() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("4", "gpt-4o-mini")))
        .mount(&server)
        .await;
    let env = Env::new();
    let msgs = json!([
        {"role": "system", "content": "Answer with a number."},
        {"role": "user", "content": "2+2?"}
    ]);
    let mut cmd = env.chat();
    cmd.args([
        "--base-url",
        &format!("{}/v1", server.uri()),
        "-m",
        "gpt-4o-mini",
        "--no-stream",
        "--messages",
        "-",
    ])
    .write_stdin(msgs.to_string());
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "4\n");
    assert_eq!(request_body(&server, 0).await["messages"], msgs);

    let bad = env.write("bad.json", r#"[{"role":"wizard","content":"x"}]"#);
    let out = env.chat().args(["--mock", "--messages"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("message #1: unknown role `wizard`"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// Streaming.

#[tokio::test(flavor = "multi_thread")]
async fn stream_chunks_are_printed_in_order() {
    let server = MockServer::start().await;
    let usage = json!({"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13});
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(sse_response(sse(&["Hel", "lo", ",", " world"], usage)))
        .mount(&server)
        .await;
    let env = Env::new();
    let mut cmd = env.chat_to(&server);
    cmd.arg("hello");
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Hello, world\n");
    let body = request_body(&server, 0).await;
    assert_eq!(body["stream"], true);
    // Piped stdout: nothing but the text (no colour, no cursor codes).
    assert!(!out.stdout.iter().any(|b| b.is_ascii_control() && *b != b'\n'), "{:?}", stdout(&out));
}

/// With a paced mock, the first words reach the pipe long before the answer is complete:
/// chunks are flushed as they arrive, not buffered until the end.
#[test]
fn chunks_reach_stdout_while_the_stream_is_still_running() {
    use std::io::Read;
    let cfg = MockConfig { reply_tokens: 12, itl: Duration::from_millis(40), ..MockConfig::default() };
    let server = mock::spawn_thread(cfg).unwrap();
    let env = Env::new();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("llmkit"))
        .args(["chat", "--base-url", &server.openai_base_url(), "-m", "gpt-4o-mini", "--no-ledger", "hi"])
        .env("HOME", env.path())
        .env("XDG_DATA_HOME", env.path().join("data"))
        .env("OPENAI_API_KEY", SENTINEL)
        .env_remove("LLMKIT_CONFIG")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    let first_at = Instant::now();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let end_at = Instant::now();
    assert!(child.wait().unwrap().success());
    // 11 gaps of 40 ms follow the first token.
    assert!(
        end_at - first_at >= Duration::from_millis(300),
        "first byte only {:?} before the end",
        end_at - first_at
    );
    let text = format!("{}{}", first[0] as char, String::from_utf8_lossy(&rest));
    assert!(text.ends_with(".\n") && text.len() > 20, "{text:?}");
}

// ---------------------------------------------------------------------------------------------
// Usage line.

#[test]
fn usage_line_against_the_embedded_mock() {
    let env = Env::new();
    let out = env.chat().args(["--mock", "-m", "gpt-4o-mini", "-u", "say something"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let line =
        err.lines().find(|l| l.starts_with("usage: ")).unwrap_or_else(|| panic!("no usage line in {err}"));
    let fields: Vec<&str> = line.trim_start_matches("usage: ").split(' ').collect();
    let keys: Vec<&str> = fields.iter().map(|f| f.split('=').next().unwrap()).collect();
    assert_eq!(keys, ["in", "cached", "out", "reasoning", "cost", "latency", "ttft", "retries"], "{line}");
    assert!(line.contains(" out=16 "), "mock replies are 16 tokens: {line}");
    let input: f64 = fields[0].trim_start_matches("in=").parse().unwrap();
    // gpt-4o-mini: $0.15/M input, $0.60/M output.
    let cost = input * 0.15e-6 + 16.0 * 0.6e-6;
    assert_eq!(fields[4], format!("cost=${cost:.6}"), "{line}");
    assert!(line.ends_with(" retries=0"), "{line}");
    assert!(!stdout(&out).trim().is_empty());

    // A model the price table does not know is reported as unpriced, never as $0.
    let out = env.chat().args(["--mock", "-m", "my-finetune-xyz", "-u", "q"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(" cost=unpriced "), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_line_prices_cached_tokens_and_what_they_saved() {
    let server = MockServer::start().await;
    let mut body = completion("ok", "gpt-4o-mini");
    body["usage"] = json!({"prompt_tokens": 2000, "completion_tokens": 10, "total_tokens": 2010,
                           "prompt_tokens_details": {"cached_tokens": 1536},
                           "completion_tokens_details": {"reasoning_tokens": 0}});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let env = Env::new();
    let mut cmd = env.chat_to(&server);
    cmd.args(["--no-stream", "-u", "q"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let line = err.lines().find(|l| l.starts_with("usage: ")).unwrap();
    assert!(line.starts_with("usage: in=2000 cached=1536 out=10 reasoning=0 cost=$"), "{line}");
    assert!(line.contains(" saved=$"), "{line}");
    assert!(!line.contains("ttft="), "no TTFT without streaming: {line}");
    // gpt-4o-mini: $0.15/M input, $0.075/M cached, $0.60/M output.
    let cost = 464.0 * 0.15e-6 + 1536.0 * 0.075e-6 + 10.0 * 0.6e-6;
    assert!(line.contains(&format!("cost=${cost:.6}")), "{line} vs {cost}");
}

// ---------------------------------------------------------------------------------------------
// Structured output.

const PERSON: &str = r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0}},"required":["name","age"]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn schema_is_sent_and_the_reply_validated() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(completion(r#"{"name":"Ada","age":36}"#, "gpt-4o-mini")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(completion(r#"{"name":"Ada","age":-3}"#, "gpt-4o-mini")),
        )
        .mount(&server)
        .await;
    let env = Env::new();
    let schema = env.write("person.json", PERSON);
    let base = format!("{}/v1", server.uri());

    let mut cmd = env.chat();
    cmd.args(["--base-url", &base, "-m", "gpt-4o-mini", "--no-stream", "--schema"]).arg(&schema).arg("Ada");
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "{\"name\":\"Ada\",\"age\":36}\n");
    let body = request_body(&server, 0).await;
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["name"], "person");
    assert_eq!(
        body["response_format"]["json_schema"]["schema"],
        serde_json::from_str::<Value>(PERSON).unwrap()
    );

    let mut cmd = env.chat();
    cmd.args(["--base-url", &base, "-m", "gpt-4o-mini", "--no-stream", "--schema"]).arg(&schema).arg("Ada");
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "{\"name\":\"Ada\",\"age\":-3}\n", "the reply is still printed");
    let err = stderr(&out);
    assert!(
        err.contains("does not match --schema") && err.contains("at /age") && err.contains("minimum"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn json_mode_requires_json() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("Sure! {oops", "gpt-4o-mini")))
        .mount(&server)
        .await;
    let env = Env::new();
    let mut cmd = env.chat();
    cmd.args([
        "--base-url",
        &format!("{}/v1", server.uri()),
        "-m",
        "gpt-4o-mini",
        "--no-stream",
        "--json",
        "q",
    ]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("does not match --json: the reply is not JSON"), "{}", stderr(&out));
    assert_eq!(request_body(&server, 0).await["response_format"], json!({"type": "json_object"}));
}

// ---------------------------------------------------------------------------------------------
// Tools.

const TOOLS: &str = r#"[{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]"#;

/// A streamed answer that asks for two calls, their arguments split across chunks as OpenAI
/// sends them.
fn tool_call_stream() -> String {
    let chunk = |delta: Value, finish: Value| {
        format!(
            "data: {}\n\n",
            json!({"id": "chatcmpl-t", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        )
    };
    let call = |i: u32, id: &str| json!({"tool_calls": [{"index": i, "id": id, "type": "function", "function": {"name": "get_weather", "arguments": ""}}]});
    let args = |i: u32, part: &str| json!({"tool_calls": [{"index": i, "function": {"arguments": part}}]});
    let mut s = chunk(json!({"role": "assistant", "content": null}), Value::Null);
    s += &chunk(call(0, "call_1"), Value::Null);
    s += &chunk(args(0, "{\"city\""), Value::Null);
    s += &chunk(args(0, ":\"Oslo\"}"), Value::Null);
    s += &chunk(call(1, "call_2"), Value::Null);
    s += &chunk(args(1, "{\"city\":\"Lima\"}"), Value::Null);
    s += &chunk(json!({}), json!("tool_calls"));
    s += "data: [DONE]\n\n";
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_calls_are_printed_as_json_lines_with_exit_10() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(sse_response(tool_call_stream())).mount(&server).await;
    let env = Env::new();
    let tools = env.write("tools.json", TOOLS);
    let mut cmd = env.chat_to(&server);
    cmd.arg("--tools").arg(&tools).arg("weather in Oslo and Lima?");
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "{\"id\":\"call_1\",\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\"}}\n\
         {\"id\":\"call_2\",\"name\":\"get_weather\",\"arguments\":{\"city\":\"Lima\"}}\n"
    );
    let body = request_body(&server, 0).await;
    assert_eq!(body["tools"][0]["type"], "function");
    assert_eq!(body["tools"][0]["function"]["name"], "get_weather");
}

/// A server for one tool round trip: first a `get_weather` call for Oslo with id `call_id`,
/// then, once a request carries the tool result, the final `answer`.
async fn tool_round_trip_server(call_id: &str, answer: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("\"role\":\"tool\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion(answer, "gpt-4o-mini")))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tool_call_completion(&[(
            call_id,
            "get_weather",
            r#"{"city":"Oslo"}"#,
        )])))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_commands_run_and_their_output_goes_back() {
    let server = tool_round_trip_server("call_9", "It is 21C in Oslo.").await;
    let env = Env::new();
    let tools = env.write("tools.json", TOOLS);
    let seen = env.path().join("seen.json");
    let tool = format!("get_weather=cat > '{}'; echo '{{\"temp_c\":21}}'", seen.display());
    let mut cmd = env.chat_to(&server);
    cmd.args(["--no-stream", "--tools"]).arg(&tools).args(["--tool", &tool, "-u", "weather in Oslo?"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "It is 21C in Oslo.\n");
    assert_eq!(
        std::fs::read_to_string(&seen).unwrap(),
        r#"{"city":"Oslo"}"#,
        "arguments on the command's stdin"
    );
    let second = request_body(&server, 1).await;
    let msgs = second["messages"].as_array().unwrap();
    assert_eq!(msgs[1]["tool_calls"][0]["id"], "call_9");
    assert_eq!(msgs[2], json!({"role": "tool", "content": "{\"temp_c\":21}", "tool_call_id": "call_9"}));
    assert!(stderr(&out).contains(" requests=2"), "usage sums both rounds: {}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hung_tool_command_is_killed_and_the_model_told() {
    let server = tool_round_trip_server("call_1", "No weather today.").await;
    let env = Env::new();
    let tools = env.write("tools.json", TOOLS);
    let started = std::time::Instant::now();
    let mut cmd = env.chat_to(&server);
    cmd.args(["--no-stream", "--tools"]).arg(&tools).args([
        "--tool",
        "get_weather=sleep 30",
        "--tool-timeout",
        "300ms",
        "weather?",
    ]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "the command was not killed");
    assert_eq!(stdout(&out), "No weather today.\n");
    assert!(stderr(&out).contains("did not finish within 300ms"), "{}", stderr(&out));
    let second = request_body(&server, 1).await;
    let result = second["messages"][2]["content"].as_str().unwrap_or_default();
    assert!(result.contains("did not finish within 300ms and was killed"), "{result}");
    // Zero is refused before anything is sent.
    let mut cmd = env.chat_to(&server);
    cmd.args(["--tool-timeout", "0"]).args(["--tool", "get_weather=true", "q"]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--tool-timeout"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn only_named_tools_run_and_rounds_are_bounded() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tool_call_completion(&[(
            "c1",
            "get_weather",
            r#"{"city":"X"}"#,
        )])))
        .mount(&server)
        .await;
    let env = Env::new();
    let tools = env.write("tools.json", TOOLS);
    let marker = env.path().join("ran");
    // A command for another tool never runs for get_weather.
    let mut cmd = env.chat_to(&server);
    cmd.args(["--no-stream", "--tools"]).arg(&tools).args([
        "--tool",
        &format!("other=touch '{}'", marker.display()),
        "q",
    ]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(10));
    assert!(!marker.exists(), "an unnamed tool's command ran");
    // A model that never stops asking: stopped after --max-tool-rounds.
    let mut cmd = env.chat_to(&server);
    cmd.args(["--no-stream", "--tools"]).arg(&tools).args([
        "--tool",
        "get_weather=echo 1",
        "--max-tool-rounds",
        "2",
        "q",
    ]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(10));
    assert!(stderr(&out).contains("after 2 rounds"), "{}", stderr(&out));
    // 1 request above + 3 here (2 rounds answered, the third asks again).
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

// ---------------------------------------------------------------------------------------------
// Conversations.

fn conversation_files(env: &Env) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walk(&env.conversations());
    files.sort();
    files
}

fn read_conv(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn sessions_and_continue_keep_the_history() {
    let env = Env::new();
    let out = env
        .chat()
        .args(["--mock", "--session", "work", "-s", "Be terse.", "first question"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let first_answer = stdout(&out).trim_end().to_string();
    let file = env.conversations().join("work.json");
    let conv = read_conv(&file);
    assert_eq!(conv["id"], "work");
    assert_eq!(conv["name"], "work");
    assert_eq!(conv["messages"].as_array().unwrap().len(), 3);
    assert_eq!(conv["messages"][2], json!({"role": "assistant", "content": first_answer}));

    let out = env.chat().args(["--mock", "--session", "work", "second question"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let conv = read_conv(&file);
    let roles: Vec<&str> =
        conv["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "user", "assistant"]);
    assert_eq!(conv["messages"][3]["content"], "second question");
    assert_eq!(conv["requests"], 2);

    // A new conversation, then -c continues it (the most recent), not `work`.
    let out = env.chat().args(["--mock", "standalone"]).output().unwrap();
    assert!(out.status.success());
    let files = conversation_files(&env);
    assert_eq!(files.len(), 2, "{files:?}");
    let new_file = files.iter().find(|f| !f.ends_with("work.json")).unwrap().clone();
    let out = env.chat().args(["--mock", "-c", "-v", "follow-up"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("continuing conversation"), "{}", stderr(&out));
    let conv = read_conv(&new_file);
    assert_eq!(conv["messages"].as_array().unwrap().len(), 4);
    // --cid picks one by id.
    let id = conv["id"].as_str().unwrap().to_string();
    let out = env.chat().args(["--mock", "--cid", &id, "third"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(read_conv(&new_file)["messages"].as_array().unwrap().len(), 6);
    let out = env.chat().args(["--mock", "--cid", "nope-123", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no conversation `nope-123`"), "{}", stderr(&out));

    // --list: tab-separated when piped, newest first.
    let out = env.chat().arg("--list").output().unwrap();
    assert!(out.status.success());
    let listing = stdout(&out);
    let ids: Vec<&str> = listing.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{listing}");
    assert!(ids.contains(&"work") && ids.contains(&id.as_str()), "{listing}");
    assert!(listing.contains("first question"), "{listing}");

    // --no-save leaves nothing behind.
    let out = env.chat().args(["--mock", "--no-save", "ephemeral"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(conversation_files(&env).len(), 2);
    // No temporary files are left next to the conversations.
    assert!(walk(&env.conversations()).iter().all(|p| p.extension().is_some_and(|e| e == "json")));
}

#[tokio::test(flavor = "multi_thread")]
async fn continuing_sends_the_saved_history() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("answer", "gpt-4o-mini")))
        .mount(&server)
        .await;
    let env = Env::new();
    let base = format!("{}/v1", server.uri());
    let mut cmd = env.chat();
    cmd.args(["--base-url", &base, "-m", "gpt-4o-mini", "--no-stream", "one"]);
    assert!(run(cmd).await.status.success());
    // No -m: the conversation's model is reused.
    let mut cmd = env.chat();
    cmd.args(["--base-url", &base, "--no-stream", "-c", "two"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let body = request_body(&server, 1).await;
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "answer"},
            {"role": "user", "content": "two"}
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn long_histories_are_trimmed_oldest_first() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("ok", "gpt-4")))
        .mount(&server)
        .await;
    let env = Env::new();
    // gpt-4 has an 8192-token window: a saved history of ~3 x 3000 tokens cannot all fit.
    let long = "word ".repeat(3000);
    let conv = json!({
        "id": "big", "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z", "model": "gpt-4",
        "messages": [
            {"role": "system", "content": "Keep me."},
            {"role": "user", "content": format!("oldest {long}")},
            {"role": "assistant", "content": "a1"},
            {"role": "user", "content": format!("middle {long}")},
            {"role": "assistant", "content": "a2"},
            {"role": "user", "content": format!("newest {long}")},
            {"role": "assistant", "content": "a3"}
        ]
    });
    std::fs::create_dir_all(env.conversations()).unwrap();
    std::fs::write(env.conversations().join("big.json"), conv.to_string()).unwrap();
    let mut cmd = env.chat();
    cmd.args([
        "--base-url",
        &format!("{}/v1", server.uri()),
        "--no-stream",
        "-v",
        "--cid",
        "big",
        "question",
    ]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("trimmed 2 old message(s) to fit gpt-4's context window"),
        "{}",
        stderr(&out)
    );
    let sent = request_body(&server, 0).await;
    let firsts: Vec<String> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(firsts, ["Keep", "middle", "a2", "newest", "a3", "question"]);
    // The file keeps everything.
    assert_eq!(read_conv(&env.conversations().join("big.json"))["messages"].as_array().unwrap().len(), 9);
}

// ---------------------------------------------------------------------------------------------
// Anthropic.

#[test]
fn anthropic_against_the_embedded_mock() {
    let env = Env::new();
    for extra in [&[][..], &["--no-stream"][..]] {
        let out = env
            .chat()
            .args(["--mock", "--provider", "anthropic", "-m", "claude-haiku-4-5", "-u", "-s", "sys"])
            .args(extra)
            .arg("hello")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).trim_end().ends_with('.'), "{}", stdout(&out));
        assert!(stderr(&out).contains(" out=16 "), "{}", stderr(&out));
        assert!(stderr(&out).contains(" cost=$"), "claude-haiku-4-5 is priced: {}", stderr(&out));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_wire_format_and_cache_system() {
    let server = MockServer::start().await;
    let reply = json!({
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
        "content": [{"type": "text", "text": "Bonjour"}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 20, "output_tokens": 2, "cache_read_input_tokens": 2000, "cache_creation_input_tokens": 0}
    });
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", SENTINEL))
        .and(header("anthropic-version", "2023-06-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply))
        .mount(&server)
        .await;
    let env = Env::new();
    let mut cmd = env.chat();
    cmd.args(["--provider", "anthropic", "--base-url", &server.uri(), "-m", "claude-haiku-4-5-20251001"])
        .args(["--no-stream", "--cache-system", "-u", "-s", "Long rules.", "--max-tokens", "100", "say hi"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Bonjour\n");
    let body = request_body(&server, 0).await;
    assert_eq!(
        body["system"],
        json!([{"type": "text", "text": "Long rules.", "cache_control": {"type": "ephemeral"}}])
    );
    assert_eq!(body["messages"], json!([{"role": "user", "content": [{"type": "text", "text": "say hi"}]}]));
    assert_eq!(body["max_tokens"], 100);
    let line = stderr(&out);
    assert!(line.contains("usage: in=2020 cached=2000 out=2 "), "{line}");
    assert!(line.contains(" saved=$"), "{line}");
    assert_no_key(&out, env.path());
}

// ---------------------------------------------------------------------------------------------
// Errors: every class, its exit code, and the server's own message.

#[tokio::test(flavor = "multi_thread")]
async fn every_error_class_has_its_exit_code_and_the_servers_message() {
    let cases: [(u16, &str, i32); 6] = [
        (401, "Incorrect API key provided.", 3),
        (403, "Project does not have access to model gpt-x.", 3),
        (400, "Invalid value for 'temperature': must be <= 2.", 4),
        (404, "The model `gpt-x` does not exist.", 4),
        (429, "Rate limit reached for requests.", 5),
        (503, "The server is overloaded.", 5),
    ];
    for (status, message, code) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(status).set_body_json(error_body(message, "invalid_request_error")),
            )
            .mount(&server)
            .await;
        let env = Env::new();
        for stream in [true, false] {
            let mut cmd = env.chat();
            cmd.args([
                "--base-url",
                &format!("{}/v1", server.uri()),
                "-m",
                "gpt-x",
                "--max-retries",
                "1",
                "-v",
                "q",
            ]);
            if !stream {
                cmd.arg("--no-stream");
            }
            let out = run(cmd).await;
            assert_eq!(out.status.code(), Some(code), "{status}: {}", stderr(&out));
            let err = stderr(&out);
            assert!(err.contains(message), "{status}: the server's message is missing from {err}");
            assert_eq!(err.matches("llmkit: error:").count(), 1, "printed once: {err}");
            assert!(stdout(&out).is_empty());
            assert_no_key(&out, env.path());
        }
        let tries = server.received_requests().await.unwrap().len();
        let expected = if code == 5 { 4 } else { 2 };
        assert_eq!(tries, expected, "{status}: transient errors are retried, fatal ones are not");
    }
}

#[test]
fn connection_refused_is_unavailable_and_bad_flags_are_usage() {
    let env = Env::new();
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = env
        .chat()
        .args(["--base-url", &format!("http://127.0.0.1:{port}/v1"), "-m", "m", "--max-retries", "0", "q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let out = env.chat().args(["--mock", "--temperature", "9", "q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--temperature must be between 0 and 2"), "{}", stderr(&out));
    let out = env.chat().args(["--mock", "--schema", "/nonexistent.json", "q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read --schema /nonexistent.json"), "{}", stderr(&out));
}

#[test]
fn auth_refused_by_the_embedded_mock() {
    let cfg = MockConfig { require_key: Some("the-right-key".into()), ..MockConfig::default() };
    let server = mock::spawn_thread(cfg).unwrap();
    let env = Env::new();
    let out = env
        .chat()
        .args(["--base-url", &server.openai_base_url(), "-m", "gpt-4o-mini", "q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("authentication failed (401)"), "{}", stderr(&out));
    assert_no_key(&out, env.path());
}

// ---------------------------------------------------------------------------------------------
// A stream cut mid-way is continued, and nothing is printed twice.

/// A seed whose first request is cut and whose second is not (the plan is a pure function of
/// seed and request number, so the search is deterministic).
fn seed_cutting_only_the_first_request(plan: &FaultPlan) -> u64 {
    (0..10_000).find(|s| plan.draw(*s, 0) == Some(FailKind::Cut) && plan.draw(*s, 1).is_none()).unwrap()
}

#[test]
fn a_cut_stream_is_continued_without_duplicated_text() {
    let plan = FaultPlan { rate: 0.5, kinds: vec![WeightedKind { kind: FailKind::Cut, weight: 1 }] };
    let seed = seed_cutting_only_the_first_request(&plan);
    let env = Env::new();
    // The answer an unbroken stream gives for the same seed and request.
    let whole = {
        let server =
            mock::spawn_thread(MockConfig { seed, reply_tokens: 40, ..MockConfig::default() }).unwrap();
        let out = env
            .chat()
            .args(["--base-url", &server.openai_base_url(), "-m", "gpt-4o-mini", "--no-save", "q"])
            .output()
            .unwrap();
        assert!(out.status.success());
        stdout(&out).trim_end().to_string()
    };
    let server =
        mock::spawn_thread(MockConfig { seed, reply_tokens: 40, faults: plan, ..MockConfig::default() })
            .unwrap();
    let rec = env.path().join("rec.jsonl");
    let out = env
        .chat()
        .args(["--base-url", &server.openai_base_url(), "-m", "gpt-4o-mini", "-v", "--record"])
        .arg(&rec)
        .arg("q")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("stream broke"), "{}", stderr(&out));
    let text = stdout(&out);
    // The mock cuts half-way through the reply: the part before the cut is printed once, then
    // the continuation follows (a new generation, so it differs from the unbroken reply).
    let common = text.bytes().zip(whole.bytes()).take_while(|(a, b)| a == b).count();
    assert!(common >= whole.len() / 4, "the delivered part is missing:\n{text}\nvs unbroken:\n{whole}");
    assert!(common < whole.len(), "no cut happened:\n{text}");
    let opening = &whole[..whole.len() / 4];
    assert_eq!(text.matches(opening).count(), 1, "the delivered part was printed twice:\n{text}");
    assert!(text.trim_end().len() > common, "no continuation after the cut:\n{text}");
    // The recording holds the request, continuation included, and no key.
    let lines: Vec<Value> =
        std::fs::read_to_string(&rec).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "one request, continued inside the engine");
    assert_no_key(&out, env.path());
}

// ---------------------------------------------------------------------------------------------
// Dry run, raw, secrets.

#[test]
fn dry_run_prints_the_exact_request_with_the_key_redacted() {
    let env = Env::new();
    let out = env
        .chat()
        .args(["--base-url", "http://127.0.0.1:9/v1", "-m", "gpt-4o-mini", "--dry-run", "-v", "-s", "S", "Q"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let req: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(req["method"], "POST");
    assert_eq!(req["url"], "http://127.0.0.1:9/v1/chat/completions");
    assert_eq!(req["headers"]["authorization"], "[REDACTED]");
    assert_eq!(
        req["body"]["messages"],
        json!([{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}])
    );
    assert_eq!(req["body"]["stream"], true);
    assert_no_key(&out, env.path());
    assert!(walk(&env.conversations()).is_empty(), "a dry run saves nothing");

    let out = env
        .chat()
        .args([
            "--provider",
            "anthropic",
            "--base-url",
            "http://127.0.0.1:9",
            "-m",
            "claude-x",
            "--dry-run",
            "Q",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let req: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(req["url"], "http://127.0.0.1:9/v1/messages");
    assert_eq!(req["headers"]["x-api-key"], "[REDACTED]");
    assert_no_key(&out, env.path());
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_prints_the_response_document() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("hi", "gpt-4o-mini")))
        .mount(&server)
        .await;
    let env = Env::new();
    let mut cmd = env.chat_to(&server);
    cmd.args(["--raw", "q"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["choices"][0]["message"]["content"], "hi");
    assert_eq!(doc["usage"]["prompt_tokens"], 12);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_request_lands_in_the_ledger_without_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("hi", "gpt-4o-mini")))
        .mount(&server)
        .await;
    let env = Env::new();
    let rec = env.path().join("rec.jsonl");
    let mut cmd = env.chat();
    cmd.args([
        "--base-url",
        &format!("{}/v1", server.uri()),
        "-m",
        "gpt-4o-mini",
        "--no-stream",
        "-vv",
        "--record",
    ])
    .arg(&rec)
    .arg("q");
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let ledger = std::fs::read_to_string(env.ledger()).unwrap();
    let lines: Vec<Value> = ledger.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{ledger}");
    assert_eq!(lines[0]["command"], "chat");
    assert_eq!(lines[0]["model"], "gpt-4o-mini");
    assert_eq!(lines[0]["usage"]["input_tokens"], 12);
    assert!(rec.exists());
    assert_no_key(&out, env.path());

    let mut cmd = env.chat();
    cmd.args(["--base-url", &format!("{}/v1", server.uri()), "-m", "m", "--no-stream", "--no-ledger", "q"]);
    let out = run(cmd).await;
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(env.ledger()).unwrap().lines().count(), 1);
}
