//! OAuth2 client credentials end to end: the binary against the embedded mock's
//! `/oauth/token` (tokens that expire in the middle of a batch, refused credentials, query
//! placement, `check`, `--dry-run`), and the engine against a wiremock server that refuses the
//! first token, to pin the single-flight refresh on 401.

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use llmkit::mock::{spawn_thread, MockConfig, MockStats, OAuthClient, ThreadedMock};
use serde_json::Value;

const SECRET: &str = "oauth-client-secret-5f2c9a";
const WRONG: &str = "oauth-wrong-secret-77d1e0";
/// Every token the mock issues starts with this: it must never reach any output.
const TOKEN_PREFIX: &str = "mock-at-";

fn llmkit() -> Command {
    let mut c = Command::cargo_bin("llmkit").unwrap();
    c.env_remove("LLMKIT_PROFILE")
        .env_remove("LLMKIT_MODEL")
        .env_remove("LLMKIT_PRICES")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env("XDG_CONFIG_HOME", "/nonexistent-llmkit-test")
        .env("LLMKIT_TEST_NO_BACKOFF", "1")
        .env("NO_COLOR", "1");
    c
}

/// The binary with config file `config` and `secret` as the OAuth client secret.
fn llmkit_with(config: &Path, secret: &str) -> Command {
    let mut c = llmkit();
    c.env("LLMKIT_TEST_OAUTH_SECRET", secret).arg("--config").arg(config);
    c
}

fn mock(ttl: Duration, ttft: Duration) -> ThreadedMock {
    spawn_thread(MockConfig {
        oauth_clients: vec![OAuthClient { id: "app".into(), secret: SECRET.into() }],
        token_ttl: ttl,
        ttft,
        ..MockConfig::default()
    })
    .unwrap()
}

/// `GET /mock/stats` over a plain socket (the tests are synchronous).
fn stats(m: &ThreadedMock) -> MockStats {
    let mut s = std::net::TcpStream::connect(m.addr()).unwrap();
    write!(s, "GET /mock/stats HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", m.addr()).unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap();
    serde_json::from_str(body).unwrap()
}

/// A config with profile `gw` (oauth2 against the mock) and the given extra lines.
fn config(dir: &Path, m: &ThreadedMock, extra: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[profiles.gw]
base_url = "{base}"
model = "gpt-4o-mini"
auth = "oauth2"
token_url = "{url}/oauth/token"
client_id = "app"
client_secret_env = "LLMKIT_TEST_OAUTH_SECRET"
scope = "llm.invoke"
{extra}
"#,
            base = m.openai_base_url(),
            url = m.url(),
        ),
    )
    .unwrap();
    path
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for secret in [SECRET, WRONG, TOKEN_PREFIX] {
        assert!(!text.contains(secret), "{what} contains `{secret}`:\n{text}");
    }
}

#[test]
fn a_batch_of_2000_spans_several_token_lifetimes_with_one_fetch_per_lifetime() {
    let ttl = Duration::from_millis(250);
    let m = mock(ttl, Duration::from_millis(25));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &m, "");
    let input = dir.path().join("in.txt");
    let prompts: Vec<String> = (0..2000).map(|i| format!("question {i}")).collect();
    std::fs::write(&input, prompts.join("\n") + "\n").unwrap();
    let output = dir.path().join("out.jsonl");
    let ledger = dir.path().join("ledger.jsonl");
    let started = Instant::now();
    let out = llmkit_with(&cfg, SECRET)
        .env("LLMKIT_LEDGER", &ledger)
        .args(["batch", "--text", "--profile", "gw", "-j", "48", "--no-progress", "--format", "json"])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    let wall = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["succeeded"], 2000, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(summary["retries"], 0, "a token refresh is not a retry: {summary}");

    let s = stats(&m);
    // Tokens are refreshed 10% before expiry, so one lasts 0.9 ttl: about wall / (0.9 ttl)
    // fetches (+1 for the first, +slack for 401 races), never one per request or worker.
    let upper = (wall.as_secs_f64() / (0.9 * ttl.as_secs_f64())).ceil() as u64 + 3;
    eprintln!("wall {wall:?}, ttl {ttl:?}, stats {s:?}, bound {upper}");
    assert!(wall > ttl * 3, "the run must span several token lifetimes (wall {wall:?})");
    assert!(s.oauth_tokens_issued >= 2, "{s:?}");
    assert!(s.oauth_tokens_issued <= upper, "{} token fetches in {wall:?}: {s:?}", s.oauth_tokens_issued);
    assert_eq!(s.oauth_token_refusals, 0);

    assert_clean("stdout", &out.stdout);
    assert_clean("stderr", &out.stderr);
    assert_clean("output", &std::fs::read(&output).unwrap());
    let ledger = std::fs::read(&ledger).unwrap();
    assert_clean("ledger", &ledger);
    let first: Value = serde_json::from_slice(ledger.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(
        first["key_name"], "LLMKIT_TEST_OAUTH_SECRET",
        "the ledger names the secret's source: {first}"
    );
}

#[test]
fn refused_credentials_exit_3_with_the_servers_message_and_no_secret() {
    let m = mock(Duration::from_secs(60), Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &m, "");
    let ledger = dir.path().join("ledger.jsonl");
    let out = llmkit_with(&cfg, WRONG)
        .env("LLMKIT_LEDGER", &ledger)
        .args(["chat", "--profile", "gw", "hello"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid_client"), "{stderr}");
    assert!(stderr.contains("unknown client_id or wrong client_secret"), "{stderr}");
    assert_clean("stdout", &out.stdout);
    assert_clean("stderr", &out.stderr);
    if ledger.exists() {
        assert_clean("ledger", &std::fs::read(&ledger).unwrap());
    }

    // A batch asks once, then every request fails with the same message.
    let input = dir.path().join("in.txt");
    std::fs::write(&input, (0..40).map(|i| format!("q{i}\n")).collect::<String>()).unwrap();
    let output = dir.path().join("out.jsonl");
    let before = stats(&m).oauth_token_refusals;
    let out = llmkit_with(&cfg, WRONG)
        .env("LLMKIT_LEDGER", &ledger)
        .args(["batch", "--text", "--profile", "gw", "-j", "8", "--no-progress", "--format", "json"])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stats(&m).oauth_token_refusals - before, 1, "refused credentials are asked for once");
    let written = std::fs::read(&output).unwrap();
    assert!(String::from_utf8_lossy(&written).contains("invalid_client"));
    assert_clean("batch stdout", &out.stdout);
    assert_clean("batch stderr", &out.stderr);
    assert_clean("batch output", &written);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            assert_clean(&path.display().to_string(), &std::fs::read(&path).unwrap());
        }
    }
}

#[test]
fn query_placement_works_and_the_token_is_not_recorded() {
    let m = mock(Duration::from_secs(60), Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &m, "token_placement = \"query\"");
    let record = dir.path().join("rec.jsonl");
    let out = llmkit_with(&cfg, SECRET)
        .env("LLMKIT_LEDGER", dir.path().join("ledger.jsonl"))
        .args(["chat", "--profile", "gw", "--record"])
        .arg(&record)
        .arg("hello")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!out.stdout.is_empty());
    let rec = std::fs::read(&record).unwrap();
    assert_clean("recording", &rec);
    assert!(!String::from_utf8_lossy(&rec).contains("access_token"));
    assert_clean("ledger", &std::fs::read(dir.path().join("ledger.jsonl")).unwrap());
    assert_eq!(stats(&m).oauth_tokens_issued, 1);
}

#[test]
fn http_basic_client_authentication_works() {
    let m = mock(Duration::from_secs(60), Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &m, "client_auth = \"basic\"");
    let out =
        llmkit_with(&cfg, SECRET).args(["chat", "--no-ledger", "--profile", "gw", "hello"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stats(&m).oauth_tokens_issued, 1);
}

#[test]
fn anthropic_profiles_send_the_token_as_bearer() {
    let m = mock(Duration::from_secs(60), Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[profiles.claude]\nprovider = \"anthropic\"\nbase_url = \"{}\"\nmodel = \"claude-3-5-haiku-latest\"\n\
             auth = \"oauth2\"\ntoken_url = \"{}/oauth/token\"\nclient_id = \"app\"\n\
             client_secret_env = \"LLMKIT_TEST_OAUTH_SECRET\"\n",
            m.anthropic_base_url(),
            m.url()
        ),
    )
    .unwrap();
    let out = llmkit_with(&path, SECRET)
        .args(["chat", "--no-ledger", "--profile", "claude", "hello"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stats(&m).oauth_token_rejections, 0);
}

#[test]
fn an_unreachable_token_endpoint_exits_5_after_retries() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[profiles.gw]\nbase_url = \"http://127.0.0.1:{port}/v1\"\nmodel = \"m\"\nauth = \"oauth2\"\n\
             token_url = \"http://127.0.0.1:{port}/token\"\nclient_id = \"app\"\n\
             client_secret_env = \"LLMKIT_TEST_OAUTH_SECRET\"\nmax_retries = 2\n"
        ),
    )
    .unwrap();
    let out = llmkit_with(&path, SECRET)
        .args(["chat", "--no-ledger", "--profile", "gw", "hello"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("token endpoint") && stderr.contains("after 2 retries"), "{stderr}");
    assert_clean("stderr", &out.stderr);
}

#[test]
fn check_shows_the_token_step_and_fails_with_exit_3_when_refused() {
    let m = mock(Duration::from_secs(600), Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &m, "");
    let out =
        llmkit_with(&cfg, SECRET).args(["check", "--profile", "gw", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = &v["profiles"][0];
    assert_eq!(row["token_obtained"], true, "{row}");
    assert_eq!(row["token_type"], "Bearer");
    let left = row["token_expires_in_s"].as_u64().unwrap();
    assert!((590..=600).contains(&left), "{row}");
    assert_eq!(row["key_accepted"], true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("token obtained") && stderr.contains("expires in"), "{stderr}");
    assert_clean("stdout", &out.stdout);
    assert_clean("stderr", &out.stderr);

    let out = llmkit_with(&cfg, SECRET).args(["check", "--profile", "gw"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("token") && table.contains("expires in"), "{table}");

    let out =
        llmkit_with(&cfg, WRONG).args(["check", "--profile", "gw", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = &v["profiles"][0];
    assert_eq!(row["token_obtained"], false, "{row}");
    assert!(row["error"].as_str().unwrap().contains("invalid_client"), "{row}");
    assert_clean("stdout", &out.stdout);
    assert_clean("stderr", &out.stderr);

    // In the table the status is cut; the server's whole message is on stderr.
    let out = llmkit_with(&cfg, WRONG).args(["check", "--profile", "gw"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown client_id or wrong client_secret"), "{stderr}");
    assert_clean("stderr", &out.stderr);
}

#[test]
fn dry_run_shows_neither_token_nor_secret_and_fetches_nothing() {
    let m = mock(Duration::from_secs(60), Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    for (placement, expected) in
        [("", "[REDACTED]"), ("token_placement = \"query\"", "access_token=[REDACTED]")]
    {
        let cfg = config(dir.path(), &m, placement);
        let out = llmkit_with(&cfg, SECRET)
            .args(["chat", "--profile", "gw", "--dry-run", "hello"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(expected), "{text}");
        assert_clean("stdout", &out.stdout);
        assert_clean("stderr", &out.stderr);
    }
    assert_eq!(stats(&m).oauth_tokens_issued, 0, "a dry run asks for no token");
}

#[test]
fn bad_oauth2_profiles_are_config_errors_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[profiles.gw]\nauth = \"oauth2\"\nclient_id = \"a\"\nclient_secret_env = \"S\"\n")
        .unwrap();
    let out = llmkit().arg("--config").arg(&path).args(["chat", "--profile", "gw", "hi"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("profiles.gw.token_url"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

/// The engine against a server that refuses the first token: 64 concurrent requests all see a
/// 401, the token is refreshed once, and each request is resent once, not counted as a retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_401_refreshes_the_token_once_for_all_workers() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

    struct Tokens(Arc<AtomicU64>);
    impl Respond for Tokens {
        fn respond(&self, _: &Request) -> ResponseTemplate {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            // The first token's lifetime is long: only the 401 can make the client refresh.
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(20))
                .set_body_json(serde_json::json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": 3600}))
        }
    }
    let server = MockServer::start().await;
    let fetches = Arc::new(AtomicU64::new(0));
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(Tokens(fetches.clone()))
        .mount(&server)
        .await;
    let completion = serde_json::json!({
        "id": "c1", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    });
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer tok-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_delay(Duration::from_millis(30))
                .set_body_json(serde_json::json!({"error": {"message": "token revoked"}})),
        )
        .with_priority(2)
        .mount(&server)
        .await;

    let config = llmkit::config::Config::parse(&format!(
        r#"
[profiles.gw]
base_url = "{uri}/v1"
model = "m"
auth = "oauth2"
token_url = "{uri}/token"
client_id = "app"
client_secret_cmd = "printf sec"
"#,
        uri = server.uri()
    ))
    .unwrap();
    let args = llmkit::cli::EngineArgs { profile: Some("gw".into()), ..Default::default() };
    let settings = llmkit::settings::EngineSettings::resolve_with(&args, &config, &|_| None).unwrap();
    let engine = llmkit::engine::Engine::new(
        settings,
        llmkit::engine::EngineOptions {
            retry: Some(llmkit::engine::RetryPolicy::with_backoff(2, false)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..64 {
        let e = engine.clone();
        tasks.push(tokio::spawn(async move {
            let body = llmkit::provider::ChatBody::user_prompt("", format!("q{i}"));
            e.execute(llmkit::engine::ChatRequest::new(body)).await
        }));
    }
    for t in tasks {
        let outcome = t.await.unwrap();
        assert_eq!(outcome.record.retries, 0);
        assert!(outcome.result.is_ok(), "{:?}", outcome.result.err());
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 2, "the first token, then one refresh");
    assert_eq!(engine.token_fetches(0), Some(2));
    assert_eq!(engine.totals().retries, 0);
}

#[test]
fn batch_remote_uses_the_token_for_the_batch_api() {
    let m = mock(Duration::from_secs(60), Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &m, "");
    let input = dir.path().join("in.jsonl");
    let lines: String =
        (0..5).map(|i| format!("{{\"messages\":[{{\"role\":\"user\",\"content\":\"q{i}\"}}]}}\n")).collect();
    std::fs::write(&input, lines).unwrap();
    let output = dir.path().join("out.jsonl");
    let out = llmkit_with(&cfg, SECRET)
        .args(["batch", "--no-ledger", "--profile", "gw", "--remote", "--poll-interval", "10ms"])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let results = std::fs::read(&output).unwrap();
    assert_eq!(String::from_utf8_lossy(&results).lines().count(), 5);
    assert!(!dir.path().join("out.jsonl.llmkit-download").exists(), "the streamed results file is removed");
    assert_clean("stdout", &out.stdout);
    assert_clean("stderr", &out.stderr);
    assert_clean("output", &results);
    let s = stats(&m);
    assert_eq!(s.oauth_tokens_issued, 1, "one token for upload, create, polls and download");
    assert_eq!(s.oauth_token_rejections, 0);
}

#[test]
fn bench_non_streamed_on_an_oauth2_profile_uses_the_token() {
    // `bench --no-stream` normally sends on its own direct path; with OAuth2 it must go
    // through the engine, which holds (and refreshes) the token.
    let m = mock(Duration::from_millis(300), Duration::from_millis(5));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &m, "");
    let out = llmkit_with(&cfg, SECRET)
        .args(["bench", "--profile", "gw", "--no-stream", "-c", "4", "--duration", "1s"])
        .args(["--prompt-tokens", "16", "--max-tokens", "4", "--format", "json", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"], 0, "{report}");
    assert!(report["succeeded"].as_u64().unwrap() > 20, "{report}");
    assert_clean("stdout", &out.stdout);
    assert_clean("stderr", &out.stderr);
    let s = stats(&m);
    assert!((2..=8).contains(&s.oauth_tokens_issued), "1 s at ttl 300 ms: {} tokens", s.oauth_tokens_issued);
}
