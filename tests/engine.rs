//! The engine against independent fixtures (wiremock, and a raw TCP server for connections
//! that break mid-stream): retry classification, server waits, header-driven slow-down, 429
//! cooldown, breaker, fallback, broken streams, Anthropic translation, cache, and that the
//! API key never appears in anything the engine writes.

use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use llmkit::cli::ProviderKind;
use llmkit::engine::{
    BreakerConfig, BreakerState, ChatRequest, Engine, EngineOptions, ErrorKind, LedgerMode, Outcome,
    RetryPolicy, StreamEvent,
};
use llmkit::output::Printer;
use llmkit::provider::ChatBody;
use llmkit::settings::{CacheMode, CacheSettings, EndpointSettings, EngineSettings, KeySource};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The key every test uses; nothing the engine writes may contain it.
const SENTINEL: &str = "sk-sentinel-7f3a9c2e";

/// A file holding the key, read by `api_key_cmd` (the command line itself holds no key).
fn key_file() -> &'static Path {
    static FILE: std::sync::OnceLock<tempfile::TempPath> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "{SENTINEL}").unwrap();
        f.into_temp_path()
    })
}

fn endpoint(profile: &str, provider: ProviderKind, base_url: &str) -> EndpointSettings {
    EndpointSettings {
        profile: profile.into(),
        provider,
        base_url: Some(base_url.into()),
        key: KeySource::Cmd(format!("cat '{}'", key_file().display())),
        model: Some("test-model".into()),
        api_version: None,
        auth: Default::default(),
    }
}

fn settings(endpoints: Vec<EndpointSettings>) -> EngineSettings {
    EngineSettings {
        endpoints,
        rpm: None,
        tpm: None,
        concurrency: Some(8),
        max_retries: 3,
        timeout: Duration::from_secs(5),
        mock: false,
        record: None,
        ledger: None,
        cache: None,
        prices: None,
    }
}

fn options() -> EngineOptions {
    EngineOptions {
        command: "test",
        ledger: LedgerMode::Auto,
        printer: Printer::silent(),
        retry: Some(RetryPolicy::with_backoff(3, false)),
        breaker: BreakerConfig::default(),
        ..EngineOptions::default()
    }
}

/// Settings whose recording and ledger go to `dir` (scanned for the key by `no_key_in`).
fn recorded(mut s: EngineSettings, dir: &Path) -> EngineSettings {
    s.record = Some(dir.join("rec.jsonl"));
    s.ledger = Some(dir.join("ledger.jsonl"));
    s
}

async fn engine(s: EngineSettings) -> Engine {
    Engine::new(s, options()).await.unwrap()
}

fn body() -> ChatBody {
    ChatBody::user_prompt("", "Say hello")
}

fn completion(text: &str) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    })
}

fn ok(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(completion(text))
}

fn error_body(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"error": {"message": message, "type": "x"}}))
}

fn sse(events: &[String]) -> ResponseTemplate {
    let mut body = String::new();
    for e in events {
        body.push_str(e);
        body.push_str("\n\n");
    }
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

fn chunk(text: &str) -> String {
    format!(
        "data: {}",
        json!({"id": "c", "object": "chat.completion.chunk", "model": "test-model",
               "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
    )
}

fn finish_chunks() -> Vec<String> {
    vec![
        format!(
            "data: {}",
            json!({"id": "c", "model": "test-model", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        ),
        format!(
            "data: {}",
            json!({"id": "c", "model": "test-model", "choices": [],
                   "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}})
        ),
        "data: [DONE]".to_string(),
    ]
}

async fn count(server: &MockServer) -> usize {
    server.received_requests().await.map(|r| r.len()).unwrap_or(0)
}

/// Stream a request, collecting delivered text and events.
async fn stream_text(e: &Engine, req: ChatRequest) -> (Outcome, String, Vec<String>) {
    let text = Arc::new(Mutex::new(String::new()));
    let events = Arc::new(Mutex::new(Vec::new()));
    let (t, ev) = (text.clone(), events.clone());
    let outcome = e
        .stream(req, move |event| {
            match event {
                StreamEvent::Chunk { chunk, .. } => {
                    if let Some(s) = chunk.text() {
                        t.lock().unwrap().push_str(s);
                    }
                }
                StreamEvent::Resumed { continued, .. } => {
                    ev.lock().unwrap().push(format!("resumed:{continued}"))
                }
            }
            Ok(())
        })
        .await;
    let text = text.lock().unwrap().clone();
    let events = events.lock().unwrap().clone();
    (outcome, text, events)
}

/// Assert no file under `dir` and no given text contains the sentinel key.
fn no_key_in(dir: &Path, texts: &[&str]) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            let content = std::fs::read_to_string(&p).unwrap();
            assert!(!content.contains(SENTINEL), "key found in {}", p.display());
        }
    }
    for t in texts {
        assert!(!t.contains(SENTINEL), "key found in output: {t}");
    }
}

#[tokio::test]
async fn every_transient_status_is_retried() {
    for status in [408u16, 409, 429, 500, 502, 503, 504, 529] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(error_body(status, "try again").insert_header("retry-after-ms", "1"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("POST")).respond_with(ok("hi")).mount(&server).await;
        let e = engine(settings(vec![endpoint("p", ProviderKind::Openai, &format!("{}/v1", server.uri()))]))
            .await;
        let out = e.execute(ChatRequest::new(body())).await;
        assert_eq!(out.record.retries, 1, "status {status}");
        assert_eq!(out.result.unwrap().text(), "hi", "status {status}");
        assert_eq!(count(&server).await, 2);
    }
}

#[tokio::test]
async fn fatal_statuses_fail_at_once_with_the_servers_message() {
    for (status, code) in [(400u16, 4u8), (401, 3), (403, 3), (404, 4), (422, 4), (418, 4)] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(error_body(status, "the server says no"))
            .mount(&server)
            .await;
        let e = engine(settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())])).await;
        let out = e.execute(ChatRequest::new(body())).await;
        assert_eq!(count(&server).await, 1, "status {status} is not retried");
        assert_eq!(out.record.status, Some(status));
        let err = anyhow::Error::new(out.result.unwrap_err());
        assert_eq!(llmkit::error::exit_code_for(&err), code, "status {status}");
        assert!(format!("{err:#}").contains("the server says no"), "{err:#}");
    }
}

#[tokio::test]
async fn retries_exhausted_is_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(error_body(503, "overloaded")).mount(&server).await;
    let mut s = settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())]);
    s.max_retries = 2;
    let e = Engine::new(s, EngineOptions { retry: Some(RetryPolicy::with_backoff(2, false)), ..options() })
        .await
        .unwrap();
    let out = e.execute(ChatRequest::new(body())).await;
    assert_eq!(count(&server).await, 3);
    assert_eq!(out.record.retries, 2);
    let err = out.result.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Server);
    assert_eq!(err.exit_code(), 5);
    assert!(err.message.contains("overloaded") && err.message.contains("after 2 retries"), "{}", err.message);
}

#[tokio::test]
async fn x_should_retry_overrides_the_status() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error_body(500, "do not retry").insert_header("x-should-retry", "false"))
        .mount(&server)
        .await;
    let e = engine(settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())])).await;
    let out = e.execute(ChatRequest::new(body())).await;
    assert_eq!(count(&server).await, 1);
    assert_eq!(out.result.unwrap_err().exit_code(), 5);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error_body(400, "retry me").insert_header("x-should-retry", "true"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ok("fine")).mount(&server).await;
    let e = engine(settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())])).await;
    let out = e.execute(ChatRequest::new(body())).await;
    assert_eq!(out.result.unwrap().text(), "fine");
    assert_eq!(out.record.retries, 1);
}

/// The wait between the first attempt (answered with `first`) and the second, as the server
/// saw it.
async fn waited(first: ResponseTemplate) -> Duration {
    let server = MockServer::start().await;
    let times = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let t = times.clone();
    Mock::given(method("POST"))
        .respond_with(move |_: &Request| {
            let mut v = t.lock().unwrap();
            v.push(Instant::now());
            if v.len() == 1 {
                first.clone()
            } else {
                ok("after the wait")
            }
        })
        .mount(&server)
        .await;
    let e = engine(settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())])).await;
    let out = e.execute(ChatRequest::new(body())).await;
    assert_eq!(out.result.unwrap().text(), "after the wait");
    let v = times.lock().unwrap();
    v[1] - v[0]
}

#[tokio::test]
async fn server_named_waits_are_honoured_in_every_form() {
    let ms = waited(error_body(429, "slow down").insert_header("retry-after-ms", "150")).await;
    assert!(ms >= Duration::from_millis(150) && ms < Duration::from_millis(600), "retry-after-ms: {ms:?}");
    let secs = waited(error_body(503, "busy").insert_header("retry-after", "0.2")).await;
    assert!(
        secs >= Duration::from_millis(200) && secs < Duration::from_millis(700),
        "retry-after seconds: {secs:?}"
    );
    // An HTTP date has one-second resolution: a date one second ahead waits (0, 1] s.
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(1));
    let d = waited(error_body(503, "busy").insert_header("retry-after", date.as_str())).await;
    assert!(d > Duration::from_millis(1) && d <= Duration::from_millis(1500), "retry-after date: {d:?}");
}

#[tokio::test]
async fn rate_limit_headers_slow_the_client_before_a_429() {
    let server = MockServer::start().await;
    // 600 rpm and nothing left: the client learns the window and waits ~100 ms.
    Mock::given(method("POST"))
        .respond_with(
            ok("x")
                .insert_header("x-ratelimit-limit-requests", "600")
                .insert_header("x-ratelimit-remaining-requests", "0")
                .insert_header("x-ratelimit-reset-requests", "100ms"),
        )
        .mount(&server)
        .await;
    let e = engine(settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())])).await;
    let first = e.execute(ChatRequest::new(body())).await;
    assert!(first.result.is_ok());
    let t = Instant::now();
    let second = e.execute(ChatRequest::new(body())).await;
    assert!(second.result.is_ok());
    let waited = second.record.sent.unwrap() - t;
    assert!(waited >= Duration::from_millis(90), "{waited:?}");
}

#[tokio::test]
async fn a_429_pauses_every_worker() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error_body(429, "rate limited").insert_header("retry-after-ms", "300"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ok("ok")).mount(&server).await;
    let mut s = settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())]);
    s.rpm = Some(1e6); // fixed concurrency (no AIMD slow start) so workers really run together
    let e = engine(s).await;
    let t0 = Instant::now();
    let first = tokio::spawn({
        let e = e.clone();
        async move { e.execute(ChatRequest::new(body())).await }
    });
    while count(&server).await == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    let mut others = Vec::new();
    for _ in 0..4 {
        let e = e.clone();
        others.push(tokio::spawn(async move { e.execute(ChatRequest::new(body())).await }));
    }
    let first = first.await.unwrap();
    assert_eq!(first.record.rate_limited, 1);
    for o in others {
        let o = o.await.unwrap();
        assert!(o.result.is_ok());
        let sent = o.record.sent.unwrap() - t0;
        assert!(sent >= Duration::from_millis(290), "a worker went during the cooldown: {sent:?}");
    }
    assert_eq!(e.totals().rate_limited, 1);
}

#[tokio::test]
async fn breaker_opens_half_opens_and_closes() {
    let (a, b) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST")).respond_with(error_body(500, "down")).up_to_n_times(2).mount(&a).await;
    Mock::given(method("POST")).respond_with(ok("a is back")).mount(&a).await;
    Mock::given(method("POST")).respond_with(ok("from b")).mount(&b).await;
    let mut s = settings(vec![
        endpoint("a", ProviderKind::Openai, &a.uri()),
        endpoint("b", ProviderKind::Openai, &b.uri()),
    ]);
    s.max_retries = 0;
    let opts = EngineOptions {
        retry: Some(RetryPolicy::with_backoff(0, false)),
        breaker: BreakerConfig {
            window: Duration::from_secs(10),
            min_requests: 2,
            failure_ratio: 0.5,
            open_for: Duration::from_millis(200),
        },
        ..options()
    };
    let e = Engine::new(s, opts).await.unwrap();
    for _ in 0..2 {
        let out = e.execute(ChatRequest::new(body())).await;
        assert_eq!(out.result.unwrap().text(), "from b");
    }
    assert_eq!(e.breaker_state(0), Some(BreakerState::Open));
    let out = e.execute(ChatRequest::new(body())).await;
    assert_eq!((out.record.profile.as_str(), out.result.unwrap().text()), ("b", "from b"));
    assert_eq!(count(&a).await, 2, "an open breaker sends nothing to its endpoint");
    tokio::time::sleep(Duration::from_millis(220)).await;
    assert_eq!(e.breaker_state(0), Some(BreakerState::HalfOpen));
    let probe = e.execute(ChatRequest::new(body())).await;
    assert_eq!(probe.result.unwrap().text(), "a is back");
    assert_eq!(e.breaker_state(0), Some(BreakerState::Closed));
}

#[tokio::test]
async fn a_chain_whose_breakers_are_all_open_fails_fast() {
    let (a, b) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST")).respond_with(error_body(502, "bad gateway")).mount(&a).await;
    Mock::given(method("POST")).respond_with(error_body(502, "bad gateway")).mount(&b).await;
    let mut s = settings(vec![
        endpoint("a", ProviderKind::Openai, &a.uri()),
        endpoint("b", ProviderKind::Openai, &b.uri()),
    ]);
    s.max_retries = 0;
    let opts = EngineOptions {
        retry: Some(RetryPolicy::with_backoff(0, false)),
        breaker: BreakerConfig { min_requests: 1, ..BreakerConfig::default() },
        ..options()
    };
    let e = Engine::new(s, opts).await.unwrap();
    assert_eq!(e.execute(ChatRequest::new(body())).await.result.unwrap_err().kind, ErrorKind::Server);
    let err = e.execute(ChatRequest::new(body())).await.result.unwrap_err();
    assert_eq!((err.kind, err.exit_code()), (ErrorKind::BreakerOpen, 5));
    assert_eq!((count(&a).await, count(&b).await), (1, 1));
}

#[tokio::test]
async fn a_single_endpoints_breaker_never_refuses() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(error_body(500, "down")).up_to_n_times(3).mount(&server).await;
    Mock::given(method("POST")).respond_with(ok("up")).mount(&server).await;
    let mut s = settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())]);
    s.max_retries = 0;
    let opts = EngineOptions {
        retry: Some(RetryPolicy::with_backoff(0, false)),
        breaker: BreakerConfig { min_requests: 1, ..BreakerConfig::default() },
        ..options()
    };
    let e = Engine::new(s, opts).await.unwrap();
    for _ in 0..3 {
        assert_eq!(e.execute(ChatRequest::new(body())).await.result.unwrap_err().kind, ErrorKind::Server);
    }
    assert_eq!(e.breaker_state(0), Some(BreakerState::Open));
    assert_eq!(e.execute(ChatRequest::new(body())).await.result.unwrap().text(), "up");
}

#[tokio::test]
async fn fallback_goes_down_the_chain_in_order() {
    let (a, b, c) = (MockServer::start().await, MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST")).respond_with(error_body(503, "a is down")).mount(&a).await;
    Mock::given(method("POST")).respond_with(error_body(401, "b refuses the key")).mount(&b).await;
    Mock::given(method("POST")).respond_with(ok("from c")).mount(&c).await;
    let e = engine(settings(vec![
        endpoint("a", ProviderKind::Openai, &a.uri()),
        endpoint("b", ProviderKind::Openai, &b.uri()),
        endpoint("c", ProviderKind::Openai, &c.uri()),
    ]))
    .await;
    let out = e.execute(ChatRequest::new(body())).await;
    assert_eq!(out.result.unwrap().text(), "from c");
    assert_eq!(out.record.profile, "c");
    assert_eq!((count(&a).await, count(&b).await, count(&c).await), (4, 1, 1));

    // A request the server rejects as malformed does not fall back.
    let (a, b) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST")).respond_with(error_body(400, "bad field")).mount(&a).await;
    Mock::given(method("POST")).respond_with(ok("unused")).mount(&b).await;
    let e = engine(settings(vec![
        endpoint("a", ProviderKind::Openai, &a.uri()),
        endpoint("b", ProviderKind::Openai, &b.uri()),
    ]))
    .await;
    let err = e.execute(ChatRequest::new(body())).await.result.unwrap_err();
    assert_eq!((err.kind, err.profile.as_str()), (ErrorKind::Rejected, "a"));
    assert_eq!(count(&b).await, 0);
}

#[tokio::test]
async fn all_endpoints_failing_reports_each() {
    let (a, b) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST")).respond_with(error_body(503, "a down")).mount(&a).await;
    Mock::given(method("POST")).respond_with(error_body(404, "no such model")).mount(&b).await;
    let e = engine(settings(vec![
        endpoint("a", ProviderKind::Openai, &a.uri()),
        endpoint("b", ProviderKind::Openai, &b.uri()),
    ]))
    .await;
    let err = e.execute(ChatRequest::new(body())).await.result.unwrap_err();
    assert_eq!(err.exit_code(), 5, "the primary's class");
    assert!(
        err.message.contains("a down") && err.message.contains("fallback `b`: no such model"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn timeouts_are_retried_then_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok("late").set_delay(Duration::from_millis(400)))
        .mount(&server)
        .await;
    let mut s = settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())]);
    s.timeout = Duration::from_millis(100);
    s.max_retries = 1;
    let e = Engine::new(s, EngineOptions { retry: Some(RetryPolicy::with_backoff(1, false)), ..options() })
        .await
        .unwrap();
    let out = e.execute(ChatRequest::new(body())).await;
    let err = out.result.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert_eq!(err.exit_code(), 5);
    assert_eq!(out.record.retries, 1);
}

#[tokio::test]
async fn streams_deliver_chunks_with_arrival_times_and_usage() {
    let server = MockServer::start().await;
    let mut events = vec![chunk("Hel"), chunk("lo")];
    events.extend(finish_chunks());
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"stream": true, "stream_options": {"include_usage": true}})))
        .respond_with(sse(&events))
        .mount(&server)
        .await;
    let e = engine(settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())])).await;
    let start = Instant::now();
    let (out, text, resumed) = stream_text(&e, ChatRequest::new(body()).with_start(start)).await;
    assert_eq!(text, "Hello");
    assert!(resumed.is_empty());
    let r = &out.record;
    assert!(r.first_byte.unwrap() <= r.first_output.unwrap());
    assert!(r.ttft().unwrap() <= r.latency());
    assert_eq!(r.usage.unwrap().output_tokens, 3);
    let resp = out.result.unwrap();
    assert_eq!(resp.text(), "Hello");
    assert_eq!(resp.finish_reason(), Some("stop"));
}

#[tokio::test]
async fn a_stream_that_ends_before_any_output_is_restarted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("", "text/event-stream"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let mut events = vec![chunk("Whole answer")];
    events.extend(finish_chunks());
    Mock::given(method("POST")).respond_with(sse(&events)).mount(&server).await;
    let e = engine(settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())])).await;
    let (out, text, _) = stream_text(&e, ChatRequest::new(body())).await;
    assert_eq!(text, "Whole answer");
    assert_eq!(out.record.retries, 1);
    assert_eq!(out.record.resumed, 0);
    // The retry is the original request: no continuation messages.
    let reqs = server.received_requests().await.unwrap();
    let second: Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(second["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_stream_cut_after_output_is_continued_without_repeating_text() {
    let server = MockServer::start().await;
    // First attempt: output, then the body ends with no finish and no [DONE].
    Mock::given(method("POST"))
        .respond_with(sse(&[chunk("The quick "), chunk("brown")]))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // The continuation: the model restarts from scratch (the filter drops the repeat).
    let mut events = vec![chunk("The quick bro"), chunk("wn fox.")];
    events.extend(finish_chunks());
    Mock::given(method("POST")).respond_with(sse(&events)).mount(&server).await;
    let e = engine(settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())])).await;
    let (out, text, resumed) = stream_text(&e, ChatRequest::new(body())).await;
    assert_eq!(text, "The quick brown fox.");
    assert_eq!(resumed, ["resumed:true"]);
    assert_eq!(out.record.resumed, 1);
    assert_eq!(out.result.unwrap().text(), "The quick brown fox.");
    let reqs = server.received_requests().await.unwrap();
    let second: Value = serde_json::from_slice(&reqs[1].body).unwrap();
    let msgs = second["messages"].as_array().unwrap();
    assert_eq!(msgs[1], json!({"role": "assistant", "content": "The quick brown"}));
    assert_eq!(msgs[2]["role"], "user");
}

/// A raw HTTP server: the first connection sends the headers and some SSE, then drops the
/// connection mid-body (a real broken stream); later connections get `rest`.
async fn breaking_server(first: Vec<String>, rest: Vec<String>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((mut sock, _)) = listener.accept().await {
            n += 1;
            let events = if n == 1 { first.clone() } else { rest.clone() };
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                // Read headers + body (Content-Length).
                loop {
                    let k = sock.read(&mut tmp).await.unwrap_or(0);
                    if k == 0 {
                        return;
                    }
                    buf.extend_from_slice(&tmp[..k]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(hdr_end) = text.find("\r\n\r\n") {
                        let len = text[..hdr_end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= hdr_end + 4 + len {
                            seen.lock().unwrap().push(text[hdr_end + 4..].to_string());
                            break;
                        }
                    }
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
                let _ = sock.write_all(head.as_bytes()).await;
                for e in &events {
                    let data = format!("{e}\n\n");
                    let _ = sock.write_all(format!("{:x}\r\n{data}\r\n", data.len()).as_bytes()).await;
                    let _ = sock.flush().await;
                }
                if n > 1 {
                    let _ = sock.write_all(b"0\r\n\r\n").await;
                }
                // n == 1: drop the socket mid-body.
            });
        }
    });
    (format!("http://{addr}/v1"), bodies)
}

#[tokio::test]
async fn a_connection_dropped_mid_stream_is_continued() {
    let mut rest = vec![chunk(" jumps.")];
    rest.extend(finish_chunks());
    let (url, bodies) = breaking_server(vec![chunk("The fox")], rest).await;
    let e = engine(settings(vec![endpoint("p", ProviderKind::Openai, &url)])).await;
    let (out, text, resumed) = stream_text(&e, ChatRequest::new(body())).await;
    assert_eq!(text, "The fox jumps.");
    assert_eq!(resumed, ["resumed:true"]);
    assert!(out.result.is_ok());
    let bodies = bodies.lock().unwrap();
    assert!(bodies[1].contains("\"The fox\""), "{}", bodies[1]);
}

#[tokio::test]
async fn anthropic_round_trip_non_stream() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", SENTINEL))
        .and(header("anthropic-version", "2023-06-01"))
        .and(body_partial_json(json!({
            "model": "claude-test", "max_tokens": 4096, "system": "Be brief.",
            "stop_sequences": ["END"], "messages": [{"role": "user", "content": [{"type": "text", "text": "Say hello"}]}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [{"type": "text", "text": "Hello!"}], "stop_reason": "max_tokens",
            "usage": {"input_tokens": 9, "output_tokens": 2, "cache_read_input_tokens": 4}
        })))
        .mount(&server)
        .await;
    let mut ep = endpoint("claude", ProviderKind::Anthropic, &server.uri());
    ep.model = Some("claude-test".into());
    let e = engine(settings(vec![ep])).await;
    let mut b = body();
    b.messages.insert(0, llmkit::provider::Message::text("system", "Be brief."));
    b.stop = Some(llmkit::provider::Stop::One("END".into()));
    let out = e.execute(ChatRequest::new(b)).await;
    let resp = out.result.unwrap();
    assert_eq!(resp.text(), "Hello!");
    assert_eq!(resp.finish_reason(), Some("length"));
    let u = out.record.usage.unwrap();
    assert_eq!((u.input_tokens, u.cached_tokens, u.output_tokens), (13, 4, 2));
    assert_eq!(out.record.model, "claude-test");
}

#[tokio::test]
async fn anthropic_round_trip_stream_and_errors() {
    let server = MockServer::start().await;
    let ev = |name: &str, data: Value| format!("event: {name}\ndata: {data}");
    let events = vec![
        ev(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_2", "model": "claude-test", "usage": {"input_tokens": 7, "output_tokens": 1}}}),
        ),
        ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        ev("ping", json!({"type": "ping"})),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi "}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "there"}}),
        ),
        ev("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
        ev(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 4}}),
        ),
        ev("message_stop", json!({"type": "message_stop"})),
    ];
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(json!({"stream": true})))
        .respond_with(sse(&events))
        .mount(&server)
        .await;
    let e = engine(settings(vec![endpoint("claude", ProviderKind::Anthropic, &server.uri())])).await;
    let (out, text, _) = stream_text(&e, ChatRequest::new(body())).await;
    assert_eq!(text, "Hi there");
    let u = out.record.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (7, 4));
    assert_eq!(out.result.unwrap().finish_reason(), Some("stop"));

    // Anthropic's overloaded 529 is retried; its error body's message is shown on failure.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})))
        .mount(&server)
        .await;
    let e = engine(settings(vec![endpoint("claude", ProviderKind::Anthropic, &server.uri())])).await;
    let err = e.execute(ChatRequest::new(body())).await.result.unwrap_err();
    assert_eq!((err.exit_code(), err.message.as_str()), (3, "invalid x-api-key"));
}

#[tokio::test]
async fn anthropic_stream_cut_is_continued_with_a_prefill() {
    let ev = |name: &str, data: Value| format!("event: {name}\ndata: {data}");
    let first = vec![
        ev(
            "message_start",
            json!({"type": "message_start", "message": {"id": "m", "model": "c", "usage": {"input_tokens": 7}}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "One two "}}),
        ),
    ];
    let rest = vec![
        ev(
            "message_start",
            json!({"type": "message_start", "message": {"id": "m2", "model": "c", "usage": {"input_tokens": 9}}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " three"}}),
        ),
        ev(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}}),
        ),
        ev("message_stop", json!({"type": "message_stop"})),
    ];
    let (url, bodies) = breaking_server(first, rest).await;
    let e = engine(settings(vec![endpoint("claude", ProviderKind::Anthropic, url.trim_end_matches("/v1"))]))
        .await;
    let (out, text, _) = stream_text(&e, ChatRequest::new(body())).await;
    assert_eq!(text, "One two three", "the prefill's trimmed space is not repeated");
    assert!(out.result.is_ok());
    let second: Value = serde_json::from_str(&bodies.lock().unwrap()[1]).unwrap();
    assert_eq!(
        second["messages"][1],
        json!({"role": "assistant", "content": [{"type": "text", "text": "One two"}]})
    );
}

#[tokio::test]
async fn cache_answers_repeats_and_marks_hits() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ok("cached answer")).mount(&server).await;
    let mut s = settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())]);
    s.cache = Some(CacheSettings {
        mode: CacheMode::Deterministic,
        ttl: Duration::from_secs(60),
        dir: dir.path().join("c"),
    });
    s.ledger = Some(dir.path().join("ledger.jsonl"));
    let e = engine(s).await;
    let mut b = body();
    b.temperature = Some(0.0);
    let first = e.execute(ChatRequest::new(b.clone())).await;
    assert!(!first.record.cache_hit);
    let second = e.execute(ChatRequest::new(b.clone())).await;
    assert!(second.record.cache_hit);
    assert_eq!(second.result.unwrap().text(), "cached answer");
    let (streamed, text, _) = stream_text(&e, ChatRequest::new(b.clone())).await;
    assert!(streamed.record.cache_hit);
    assert_eq!(text, "cached answer");
    // Sampled requests are not cached by default.
    let mut sampled = body();
    sampled.temperature = Some(0.9);
    e.execute(ChatRequest::new(sampled.clone())).await;
    e.execute(ChatRequest::new(sampled)).await;
    assert_eq!(count(&server).await, 3);
    e.flush().await;
    let ledger = std::fs::read_to_string(dir.path().join("ledger.jsonl")).unwrap();
    let hits: Vec<Value> = ledger
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &Value| v["cache_hit"] == true)
        .collect();
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|h| h["cost_usd"] == 0.0));
    assert_eq!(e.totals().cache_hits, 2);
}

#[tokio::test]
async fn recordings_and_ledger_lines_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ok("recorded")).mount(&server).await;
    let e = engine(recorded(settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())]), dir.path()))
        .await;
    let mut b = body();
    b.extra.insert("vendor_field".into(), json!({"keep": true}));
    let out = e.execute(ChatRequest::new(b).with_id("line-1")).await;
    assert!(out.result.is_ok());
    e.flush().await;
    let rec: Value =
        serde_json::from_str(std::fs::read_to_string(dir.path().join("rec.jsonl")).unwrap().trim()).unwrap();
    assert_eq!(rec["id"], "line-1");
    assert_eq!(rec["request"]["vendor_field"], json!({"keep": true}), "unknown fields are recorded");
    assert_eq!(rec["request"]["model"], "test-model");
    assert_eq!(rec["response"]["choices"][0]["message"]["content"], "recorded");
    assert_eq!(rec["usage"]["input_tokens"], 5);
    assert_eq!(rec["key_name"], "api_key_cmd");
    let ledger: Value =
        serde_json::from_str(std::fs::read_to_string(dir.path().join("ledger.jsonl")).unwrap().trim())
            .unwrap();
    assert!(ledger.get("request").is_none() && ledger.get("response").is_none());
    assert_eq!(ledger["command"], "test");
}

#[tokio::test]
async fn dry_run_shows_the_request_with_the_key_redacted() {
    let e = engine(settings(vec![endpoint("p", ProviderKind::Openai, "http://127.0.0.1:9/v1")])).await;
    let spec = e.dry_run(&ChatRequest::new(body()), true).unwrap();
    assert_eq!(spec.url, "http://127.0.0.1:9/v1/chat/completions");
    assert!(spec.headers.contains(&("authorization", "[REDACTED]".to_string())));
    let sent: Value = serde_json::from_slice(&spec.body).unwrap();
    assert_eq!(sent["model"], "test-model");
    assert_eq!(sent["stream"], true);
}

#[tokio::test]
async fn missing_keys_are_config_errors_naming_the_variable() {
    let mut ep = endpoint("p", ProviderKind::Openai, "http://127.0.0.1:9/v1");
    ep.key = KeySource::Env("LLMKIT_TEST_KEY_THAT_IS_NOT_SET".into());
    let e = engine(settings(vec![ep])).await;
    let err = e.execute(ChatRequest::new(body())).await.result.unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.message.contains("LLMKIT_TEST_KEY_THAT_IS_NOT_SET"), "{}", err.message);
}

/// The key is sent (it must be, for auth) but appears in nothing the engine writes or
/// returns: records, ledger, recording, error messages (even when the server echoes it),
/// `Debug` output of outcomes and engines, and dry runs.
#[tokio::test]
async fn the_key_appears_in_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", format!("Bearer {SENTINEL}").as_str()))
        .respond_with(ok("authorized"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(error_body(401, &format!("Incorrect API key provided: {SENTINEL}")))
        .mount(&server)
        .await;
    let e = engine(recorded(settings(vec![endpoint("p", ProviderKind::Openai, &server.uri())]), dir.path()))
        .await;
    let good = e.execute(ChatRequest::new(body())).await;
    assert_eq!(good.result.as_ref().unwrap().text(), "authorized", "the key was sent");
    let bad = e.execute(ChatRequest::new(body())).await;
    let (stream, text, _) = stream_text(&e, ChatRequest::new(body())).await;
    e.flush().await;
    let err = bad.result.as_ref().unwrap_err();
    assert!(err.message.contains("[REDACTED]"));
    let dry = format!("{:?}", e.dry_run(&ChatRequest::new(body()), false).unwrap());
    let texts = [
        format!("{good:?}"),
        format!("{bad:?}"),
        format!("{stream:?}"),
        format!("{:#}", anyhow::Error::new(bad.result.unwrap_err())),
        format!("{e:?}"),
        dry,
        text,
    ];
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    no_key_in(dir.path(), &refs);
    let mut f = std::fs::File::create(dir.path().join("checked.txt")).unwrap();
    writeln!(f, "{}", refs.join("\n")).unwrap();
}

/// Batch API result files are streamed to disk, retried from the start after a transient
/// failure, and an error answer comes back in memory with nothing written.
#[tokio::test]
async fn api_download_streams_to_a_file_and_retries_from_the_start() {
    let server = MockServer::start().await;
    let lines: String = (0..2000).map(|i| format!("{{\"custom_id\":\"line-{i}\"}}\n")).collect();
    Mock::given(method("GET"))
        .and(path("/v1/files/f1/content"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/files/f1/content"))
        .and(header("authorization", format!("Bearer {SENTINEL}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_string(lines.clone()))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/files/missing/content"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {"message": "No such file"}})))
        .mount(&server)
        .await;
    let e =
        engine(settings(vec![endpoint("p", ProviderKind::Openai, &format!("{}/v1", server.uri()))])).await;
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("results.jsonl");
    std::fs::write(&to, "stale content from an earlier try\n").unwrap();
    let (status, body) = e.api_download("/files/f1/content", &to).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.is_empty(), "a successful body goes to the file only");
    assert_eq!(std::fs::read_to_string(&to).unwrap(), lines, "whole file, stale content replaced");
    assert_eq!(server.received_requests().await.unwrap().len(), 2, "the 503 was retried");

    let missing = dir.path().join("missing.jsonl");
    let (status, body) = e.api_download("/files/missing/content", &missing).await.unwrap();
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("No such file"));
    assert!(!missing.exists(), "nothing is written for an error answer");
}
