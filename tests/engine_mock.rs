//! The engine against the embedded mock server (`crate::mock`), with every fault knob:
//! error statuses, dropped connections, cut bodies and streams, hangs, rate limits, required
//! keys, and the Anthropic route. `--mock` wiring is tested through `EngineSettings::mock`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use llmkit::cli::ProviderKind;
use llmkit::engine::{
    ChatRequest, Engine, EngineOptions, ErrorKind, LedgerMode, Outcome, RetryPolicy, StreamEvent,
};
use llmkit::mock::{FailKind, FaultPlan, MockConfig, WeightedKind};
use llmkit::provider::ChatBody;
use llmkit::settings::{EndpointSettings, EngineSettings, KeySource};

const SENTINEL: &str = "sk-mock-sentinel-4b1d";

fn faults(rate: f64, kinds: &[FailKind]) -> FaultPlan {
    FaultPlan { rate, kinds: kinds.iter().map(|k| WeightedKind { kind: *k, weight: 1 }).collect() }
}

fn settings(provider: ProviderKind, base_url: &str, retries: u32) -> EngineSettings {
    EngineSettings {
        endpoints: vec![EndpointSettings {
            profile: "mock".into(),
            provider,
            base_url: Some(base_url.into()),
            key: KeySource::None,
            model: Some("gpt-4o-mini".into()),
            api_version: None,
            auth: Default::default(),
        }],
        rpm: None,
        tpm: None,
        concurrency: Some(8),
        max_retries: retries,
        timeout: Duration::from_secs(5),
        mock: false,
        record: None,
        ledger: None,
        cache: None,
        prices: None,
    }
}

fn options(retries: u32) -> EngineOptions {
    EngineOptions {
        command: "test",
        ledger: LedgerMode::Off,
        retry: Some(RetryPolicy::with_backoff(retries, false)),
        ..EngineOptions::default()
    }
}

async fn against(
    config: MockConfig,
    provider: ProviderKind,
    retries: u32,
) -> (Engine, llmkit::mock::MockServer) {
    let server = llmkit::mock::start(config).await.unwrap();
    let url = match provider {
        ProviderKind::Anthropic => server.anthropic_base_url(),
        _ => server.openai_base_url(),
    };
    let e = Engine::new(settings(provider, &url, retries), options(retries)).await.unwrap();
    (e, server)
}

fn body() -> ChatBody {
    let mut b = ChatBody::user_prompt("", "Tell me something");
    b.max_tokens = Some(12);
    b
}

async fn stream_text(e: &Engine, req: ChatRequest) -> (Outcome, String, u32) {
    let text = Arc::new(Mutex::new(String::new()));
    let resumed = Arc::new(Mutex::new(0u32));
    let (t, r) = (text.clone(), resumed.clone());
    let out = e
        .stream(req, move |ev| {
            match ev {
                StreamEvent::Chunk { chunk, .. } => {
                    if let Some(s) = chunk.text() {
                        t.lock().unwrap().push_str(s);
                    }
                }
                StreamEvent::Resumed { .. } => *r.lock().unwrap() += 1,
            }
            Ok(())
        })
        .await;
    let text = text.lock().unwrap().clone();
    let resumed = *resumed.lock().unwrap();
    (out, text, resumed)
}

#[tokio::test]
async fn mock_flag_starts_the_embedded_server() {
    let mut s = settings(ProviderKind::Openai, "unused", 0);
    s.endpoints[0].base_url = None;
    s.endpoints[0].model = None;
    s.mock = true;
    let e = Engine::new(s, EngineOptions::default()).await.unwrap();
    let out = e.execute(ChatRequest::new(body())).await;
    let resp = out.result.unwrap();
    assert!(!resp.text().is_empty());
    assert!(out.record.url.starts_with("http://127.0.0.1:"), "{}", out.record.url);
    assert_eq!(out.record.usage.unwrap().output_tokens, 12, "max_tokens cuts the mock's reply");
    let cost = out.record.cost_usd.expect("gpt-4o-mini is priced");
    assert!(cost > 0.0 && cost < 0.001, "{cost}");
    assert_eq!(e.price("no-such-model-xyz", &out.record.usage.unwrap()), None, "unpriced is None, not 0");
    let (out, text, _) = stream_text(&e, ChatRequest::new(body())).await;
    assert_eq!(out.result.unwrap().text(), text);
    let totals = e.totals();
    assert_eq!(totals.succeeded, 2);
    assert!(totals.cost_usd.is_some_and(|c| (c - 2.0 * cost).abs() < 1e-6), "{totals:?}");
}

#[tokio::test]
async fn every_injected_status_is_retried_to_success() {
    for status in [429u16, 500, 502, 503, 504, 529] {
        let config =
            MockConfig { seed: 7, faults: faults(0.5, &[FailKind::Status(status)]), ..MockConfig::default() };
        let (e, _server) = against(config, ProviderKind::Openai, 10).await;
        for _ in 0..6 {
            let out = e.execute(ChatRequest::new(body())).await;
            assert!(out.result.is_ok(), "status {status}: {:?}", out.result.err());
        }
        assert!(e.totals().retries > 0, "status {status}: some requests were failed by the mock");
    }
}

#[tokio::test]
async fn injected_fatal_statuses_fail_with_their_class() {
    for (status, code) in [(400u16, 4u8), (401, 3), (403, 3), (404, 4), (422, 4)] {
        let config = MockConfig { faults: faults(1.0, &[FailKind::Status(status)]), ..MockConfig::default() };
        let (e, _server) = against(config, ProviderKind::Openai, 3).await;
        let out = e.execute(ChatRequest::new(body())).await;
        assert_eq!(out.record.retries, 0, "status {status}");
        let err = out.result.unwrap_err();
        assert_eq!(err.exit_code(), code, "status {status}: {}", err.message);
        assert!(!err.message.is_empty());
    }
}

#[tokio::test]
async fn dropped_connections_are_retried() {
    let config = MockConfig { seed: 3, faults: faults(0.5, &[FailKind::Drop]), ..MockConfig::default() };
    let (e, _server) = against(config, ProviderKind::Openai, 10).await;
    for _ in 0..10 {
        assert!(e.execute(ChatRequest::new(body())).await.result.is_ok());
    }
    assert!(e.totals().retries > 0);
    // Always dropped: unavailable after retries (exit 5).
    let config = MockConfig { faults: faults(1.0, &[FailKind::Drop]), ..MockConfig::default() };
    let (e, _server) = against(config, ProviderKind::Openai, 2).await;
    let out = e.execute(ChatRequest::new(body())).await;
    assert_eq!(out.record.retries, 2);
    assert_eq!(out.result.unwrap_err().exit_code(), 5);
}

#[tokio::test]
async fn cut_bodies_are_retried_and_cut_streams_continued() {
    let config = MockConfig { seed: 11, faults: faults(0.5, &[FailKind::Cut]), ..MockConfig::default() };
    let (e, _server) = against(config, ProviderKind::Openai, 10).await;
    let mut continued = 0;
    for _ in 0..10 {
        assert!(e.execute(ChatRequest::new(body())).await.result.is_ok());
        let (out, text, resumed) = stream_text(&e, ChatRequest::new(body())).await;
        continued += out.record.resumed;
        assert!(resumed >= out.record.resumed);
        // What the sink printed is exactly the assembled answer: nothing twice.
        assert_eq!(out.result.unwrap().text(), text);
    }
    assert!(continued > 0, "some streams were cut after output and continued");
}

#[tokio::test]
async fn hangs_end_in_timeouts() {
    let config = MockConfig { faults: faults(1.0, &[FailKind::Hang]), ..MockConfig::default() };
    let server = llmkit::mock::start(config).await.unwrap();
    let mut s = settings(ProviderKind::Openai, &server.openai_base_url(), 1);
    s.timeout = Duration::from_millis(150);
    let e = Engine::new(s, options(1)).await.unwrap();
    let out = e.execute(ChatRequest::new(body())).await;
    let err = out.result.unwrap_err();
    assert_eq!((err.kind, err.exit_code(), out.record.retries), (ErrorKind::Timeout, 5, 1));
}

#[tokio::test]
async fn required_keys_are_sent_and_wrong_ones_refused() {
    let config = MockConfig { require_key: Some(SENTINEL.into()), ..MockConfig::default() };
    let server = llmkit::mock::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, SENTINEL).unwrap();
    for (provider, url) in [
        (ProviderKind::Openai, server.openai_base_url()),
        (ProviderKind::Anthropic, server.anthropic_base_url()),
    ] {
        let mut s = settings(provider, &url, 0);
        s.endpoints[0].key = KeySource::Cmd(format!("cat '{}'", key_file.display()));
        s.record = Some(dir.path().join("rec.jsonl"));
        let e = Engine::new(s, options(0)).await.unwrap();
        let out = e.execute(ChatRequest::new(body())).await;
        assert!(out.result.is_ok(), "{provider:?}: {:?}", out.result.err());
        let mut s = settings(provider, &url, 0);
        s.endpoints[0].key = KeySource::Cmd("echo wrong-key".into());
        s.record = Some(dir.path().join("rec.jsonl"));
        let e = Engine::new(s, options(0)).await.unwrap();
        let out = e.execute(ChatRequest::new(body())).await;
        let err = out.result.unwrap_err();
        assert_eq!(err.exit_code(), 3, "{provider:?}");
        e.flush().await;
        assert!(!format!("{err:?} {:?}", out.record).contains(SENTINEL));
    }
    let recording = std::fs::read_to_string(dir.path().join("rec.jsonl")).unwrap();
    assert_eq!(recording.lines().count(), 4);
    assert!(!recording.contains(SENTINEL));
}

#[tokio::test]
async fn anthropic_route_round_trips() {
    let (e, _server) = against(MockConfig::default(), ProviderKind::Anthropic, 0).await;
    let out = e.execute(ChatRequest::new(body())).await;
    let u = out.record.usage.unwrap();
    assert_eq!(u.output_tokens, 12);
    assert!(u.input_tokens > 0);
    let plain = out.result.unwrap();
    assert_eq!(plain.finish_reason(), Some("length"));
    let (out, text, _) = stream_text(&e, ChatRequest::new(body())).await;
    let streamed = out.result.unwrap();
    assert_eq!(streamed.text(), text);
    assert_eq!(text, plain.text(), "the mock is deterministic: stream and non-stream agree");
    assert_eq!(out.record.usage.unwrap().output_tokens, 12);
}

#[tokio::test]
async fn client_with_the_servers_limits_gets_no_429() {
    // 600 rpm = 10/s with a capacity of 10: 25 requests take ~1.5 s.
    let config = MockConfig { rpm: Some(600), tpm: Some(60_000), ..MockConfig::default() };
    let server = llmkit::mock::start(config).await.unwrap();
    let mut s = settings(ProviderKind::Openai, &server.openai_base_url(), 5);
    s.rpm = Some(600.0);
    s.tpm = Some(60_000.0);
    let mut printer = llmkit::output::Printer::silent();
    printer.verbose = 1;
    let e = Engine::new(s, EngineOptions { printer, ..options(5) }).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..25 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            e.execute(ChatRequest::new(body()).with_id(format!("r{i}"))).await
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().result.is_ok());
    }
    assert_eq!(e.totals().rate_limited, 0);
}

#[tokio::test]
async fn client_without_limits_adapts_to_a_limited_server() {
    let config = MockConfig { rpm: Some(1200), ..MockConfig::default() };
    let (e, _server) = against(config, ProviderKind::Openai, 10).await;
    let mut tasks = Vec::new();
    for _ in 0..60 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move { e.execute(ChatRequest::new(body())).await }));
    }
    for t in tasks {
        assert!(t.await.unwrap().result.is_ok());
    }
    let t = e.totals();
    assert!(t.rate_limited * 10 < t.requests, "too many 429s: {t:?}");
}
