//! `llmkit bench` from the outside: flag validation, `bench report` merging, and runs against
//! the embedded mock and hand-written broken servers.

use std::path::Path;

use assert_cmd::Command;
use llmkit::commands::bench::record::{BenchRecord, ErrorClass, TokenSource};
use predicates::prelude::*;

fn llmkit() -> Command {
    let mut cmd = Command::cargo_bin("llmkit").expect("binary built");
    cmd.env_remove("LLMKIT_CONFIG").env("XDG_CONFIG_HOME", "/nonexistent").env("NO_COLOR", "1");
    cmd
}

#[test]
fn bad_flags_exit_2_with_a_clear_message() {
    let cases: &[(&[&str], &str)] = &[
        (&["--rate", "0"], "must be greater than 0, got 0"),
        (&["--rate", "-3"], "must be greater than 0, got -3"),
        (&["--prompt-tokens", "-5"], "must be a whole number of at least 1, got -5"),
        (&["--max-tokens", "0"], "at least 1"),
        (&["--rate", "5", "--arrival", "zipf"], "invalid value 'zipf' for '--arrival"),
        (&["--rate", "5", "--burstiness", "2"], "--burstiness applies to --arrival gamma only"),
        (&["--sweep", "concurrency=0"], "`0` is not a whole number of at least 1"),
        (&["--slo", "ttft=soon"], "--slo ttft: invalid duration `soon`"),
        (&["--max-error-rate", "1.5"], "--max-error-rate must be a fraction between 0 and 1"),
        (&["-n", "10", "report", "x.jsonl"], "cannot be used with"),
    ];
    for (args, message) in cases {
        llmkit()
            .arg("bench")
            .args(*args)
            .arg("--mock")
            .assert()
            .code(2)
            .stderr(predicate::str::contains(*message))
            .stderr(predicate::str::contains("panicked").not());
    }
}

fn record(level: &str, seq: u64, t0: u64, ttft: u64, itl: u64, n: u64, failed: bool) -> BenchRecord {
    let content: Vec<u64> = if failed { Vec::new() } else { (0..n).map(|i| ttft + i * itl).collect() };
    BenchRecord {
        level: level.into(),
        seq,
        warmup: false,
        stream: true,
        t0_us: t0,
        lag_us: Some(seq % 7),
        send_us: seq % 5,
        first_chunk_us: content.first().map(|c| c - 3),
        end_us: content.last().copied().unwrap_or(1_000) + 50,
        content_us: content,
        output_tokens: if failed { 0 } else { n },
        output_tokens_from: TokenSource::Usage,
        input_tokens: 100 + seq % 3,
        status: Some(if failed { 503 } else { 200 }),
        error: failed.then_some(ErrorClass::Server),
        message: failed.then(|| "503 overloaded".to_string()),
    }
}

fn write_jsonl(path: &Path, records: &[BenchRecord]) {
    let mut text = String::new();
    for r in records {
        text.push_str(&serde_json::to_string(r).unwrap());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

fn report(files: &[&Path], extra: &[&str]) -> (i32, String) {
    let out = llmkit().arg("bench").arg("report").args(files).args(extra).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn report_of_a_union_equals_report_of_the_combined_run() {
    // Two "machines" interleaved in time, two levels, some failures, some warmup.
    let mut all = Vec::new();
    for i in 0..400u64 {
        let level = if i < 200 { "concurrency=1" } else { "concurrency=4" };
        let t0 = 1_700_000_000_000_000 + i * 12_345;
        let mut r =
            record(level, i, t0, 100_000 + (i * 7919) % 50_000, 9_000 + i % 2_000, 1 + i % 40, i % 17 == 0);
        r.warmup = i % 50 == 0;
        all.push(r);
    }
    let dir = tempfile::tempdir().unwrap();
    let (combined, a, b) =
        (dir.path().join("all.jsonl"), dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    write_jsonl(&combined, &all);
    let (mut part_a, mut part_b) = (Vec::new(), Vec::new());
    for (i, r) in all.iter().enumerate() {
        if i % 3 == 1 {
            part_a.push(r.clone())
        } else {
            part_b.push(r.clone())
        }
    }
    write_jsonl(&a, &part_a);
    write_jsonl(&b, &part_b);
    for format in ["json", "csv", "table"] {
        let extra = ["--format", format, "--slo", "ttft=130ms,tpot=10ms", "--slo-attainment", "0.5"];
        let whole = report(&[&combined], &extra);
        assert_eq!(report(&[&a, &b], &extra), whole, "{format}");
        assert_eq!(report(&[&b, &a], &extra), whole, "{format}: order does not matter");
    }
    let (code, json) = report(&[&a, &b], &["--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let levels = v["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 2);
    assert_eq!(levels[0]["level"], "concurrency=1");
    // 200 records per level, 4 of them warmup.
    assert_eq!(levels[0]["requests"], 196);
}

#[test]
fn report_gates_exit_1_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.jsonl");
    let records: Vec<BenchRecord> =
        (0..10).map(|i| record("rate=5", i, 1_000_000 + i * 1000, 200_000, 10_000, 5, i == 3)).collect();
    write_jsonl(&f, &records);
    llmkit().args(["bench", "report"]).arg(&f).args(["--format", "json"]).assert().code(0);
    llmkit()
        .args(["bench", "report"])
        .arg(&f)
        .args(["--max-error-rate", "0.05", "--format", "json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("error rate 10.00% over --max-error-rate 5.00%"));
    llmkit()
        .args(["bench", "report"])
        .arg(&f)
        .args(["--slo", "ttft=100ms", "--format", "json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"goodput\":0.0"))
        .stderr(predicate::str::contains("0.00% of requests met the SLO, below the 99.00% target"));
}

#[test]
fn report_rejects_files_that_are_not_records() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.jsonl");
    std::fs::write(&f, "{\"not\":\"a record\"}\n").unwrap();
    llmkit()
        .args(["bench", "report"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.jsonl:1: not a bench record"));
    llmkit()
        .args(["bench", "report", "/nonexistent/x.jsonl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot open /nonexistent/x.jsonl"));
}

/// A server that reads each request and answers `reply`, then closes: an endpoint that is
/// down in interesting ways (not HTTP, not JSON, refusing the key).
fn raw_server(reply: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let reply = reply.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 1 << 16];
                let mut seen = Vec::new();
                // The request head, then a JSON body ending in `}`.
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    if seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.ends_with(b"}") {
                        break;
                    }
                }
                let _ = s.write_all(&reply);
            });
        }
    });
    format!("http://{addr}/v1")
}

fn http_reply(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn bench_against(base_url: &str) -> assert_cmd::assert::Assert {
    llmkit()
        .args(["bench", "--base-url", base_url, "-m", "gpt-4o-mini", "-n", "20", "--timeout", "5s"])
        .args(["--prompt-tokens", "16", "--max-tokens", "4", "--format", "json"])
        .env("OPENAI_API_KEY", "sk-test-not-a-real-key")
        .assert()
}

#[test]
fn an_unreachable_endpoint_exits_5_with_the_connect_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    bench_against(&format!("http://127.0.0.1:{port}/v1"))
        .code(5)
        .stdout(predicate::str::contains("\"connect\":"))
        .stderr(
            predicate::str::is_match(
                // Workers stop after 10 failures with none succeeding, but requests already in
                // flight still finish: anywhere from 10 to all 20 are reported.
                r"no request succeeded \((1\d|20) failed\); first error: .*Connection refused",
            )
            .unwrap(),
        )
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn an_endpoint_answering_garbage_exits_5_and_says_so() {
    bench_against(&raw_server(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()))
        .code(5)
        .stderr(predicate::str::contains("no request succeeded"))
        .stderr(predicate::str::contains("panicked").not());
    bench_against(&raw_server(http_reply("200 OK", "text/html", "<html>hello</html>")))
        .code(5)
        .stdout(predicate::str::contains("\"protocol\":"))
        .stderr(predicate::str::contains("no request succeeded"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn an_endpoint_refusing_the_key_exits_3_with_its_message() {
    let body = r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#;
    bench_against(&raw_server(http_reply("401 Unauthorized", "application/json", body)))
        .code(3)
        .stderr(predicate::str::contains("Incorrect API key provided"))
        .stderr(predicate::str::contains("sk-test").not());
}

#[test]
fn a_missing_api_key_is_a_usage_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    llmkit()
        .args(["bench", "--base-url", &format!("http://127.0.0.1:{port}/v1"), "-m", "m", "-n", "3"])
        .env_remove("OPENAI_API_KEY")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("OPENAI_API_KEY is not set"));
}

fn mock_bench(extra: &[&str]) -> std::process::Output {
    llmkit()
        .args(["bench", "--mock", "--mock-ttft", "20ms", "--mock-itl", "2ms"])
        .args(["--prompt-tokens", "40", "--max-tokens", "5", "--format", "json"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_mock_run_reports_json_and_its_records_rebuild_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records.jsonl");
    let run = mock_bench(&["-c", "4", "-n", "24", "--warmup", "4", "--out", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let json = String::from_utf8(run.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["level"], "concurrency=4");
    assert_eq!(v["requests"], 24);
    assert_eq!(v["errors"], 0);
    // The server counted exactly the prompt size we built, and replied max_tokens tokens.
    assert_eq!(v["input_tokens"], 24 * 40);
    assert_eq!(v["output_tokens"], 24 * 5);
    assert_eq!(v["output_tokens_estimated"], 0);
    let ttft = v["ttft_ms"]["p50"].as_f64().unwrap();
    assert!((20.0..200.0).contains(&ttft), "{ttft}");
    assert_eq!(v["itl_ms"]["count"], 24 * 4);
    assert!(v["sched_lag_ms"].is_null(), "closed loop");

    let lines: Vec<String> = std::fs::read_to_string(&out).unwrap().lines().map(String::from).collect();
    assert_eq!(lines.len(), 28, "warmup records are written too");
    // Split the run's records in two files: their merged report is the run's report.
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    std::fs::write(&a, lines.iter().step_by(2).map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    std::fs::write(&b, lines.iter().skip(1).step_by(2).map(|l| format!("{l}\n")).collect::<String>())
        .unwrap();
    assert_eq!(report(&[&out], &["--format", "json"]), (0, json.clone()));
    assert_eq!(report(&[&a, &b], &["--format", "json"]), (0, json));
}

#[test]
fn an_open_loop_mock_run_reports_scheduler_lag() {
    let run = mock_bench(&["--rate", "400", "--arrival", "constant", "-n", "40"]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(v["level"], "rate=400");
    assert_eq!(v["sched_lag_ms"]["count"], 40);
    // 40 requests 2.5 ms apart, each about 30 ms long.
    let wall = v["wall_s"].as_f64().unwrap();
    assert!((0.1..2.0).contains(&wall), "{wall}");
}

#[test]
fn a_sweep_prints_one_row_per_level() {
    let run = mock_bench(&["--sweep", "concurrency=1,3", "-n", "6"]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let levels: Vec<&str> =
        v["levels"].as_array().unwrap().iter().map(|l| l["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["concurrency=1", "concurrency=3"]);
    let table = llmkit()
        .args(["bench", "--mock", "--sweep", "concurrency=1,2", "-n", "3", "--max-tokens", "3"])
        .output()
        .unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("concurrency=1") && text.contains("concurrency=2") && text.contains("TTFT p50"),
        "{text}"
    );
}

#[test]
fn breached_gates_exit_1() {
    let run = mock_bench(&["-n", "5", "--slo", "ttft=1ms"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("met the SLO"));
    let run = mock_bench(&["-n", "40", "-c", "4", "--mock-fail-rate", "0.5", "--max-errors", "3"]);
    assert_eq!(run.status.code(), Some(1), "{}", String::from_utf8_lossy(&run.stderr));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(v["errors"].as_u64().unwrap() > 3);
    assert!(v["requests"].as_u64().unwrap() < 40, "stopped early");
    assert!(String::from_utf8_lossy(&run.stderr).contains("more than --max-errors 3"));
}

/// The direct path (non-streamed requests on bare connections) and the engine path give the
/// same records: same successes, same failures by class and status, same token counts.
#[test]
fn the_direct_path_counts_exactly_like_the_engine() {
    let run = |extra: &[&str]| -> serde_json::Value {
        let out = llmkit()
            .args(["bench", "--mock", "--mock-fail-rate", "0.3", "--seed", "7", "--no-stream"])
            .args(["-c", "1", "-n", "150", "--prompt-tokens", "30", "--max-tokens", "6"])
            .args(["--format", "json", "-q"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let (direct, engine) = (run(&[]), run(&["--via-engine"]));
    for key in ["requests", "succeeded", "errors", "errors_by_class", "errors_by_status", "input_tokens"] {
        assert_eq!(direct[key], engine[key], "{key}");
    }
    for key in ["output_tokens", "output_tokens_estimated"] {
        assert_eq!(direct[key], engine[key], "{key}");
    }
    assert!(direct["errors"].as_u64().unwrap() > 10, "faults were injected: {direct}");
    assert_eq!(direct["ttft_ms"]["count"], engine["ttft_ms"]["count"]);
}

#[test]
fn the_direct_path_reports_broken_endpoints_like_the_engine() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let no_stream = |url: &str| {
        llmkit()
            .args(["bench", "--base-url", url, "-m", "gpt-4o-mini", "-n", "20", "--timeout", "5s"])
            .args(["--prompt-tokens", "16", "--max-tokens", "4", "--format", "json", "--no-stream"])
            .env("OPENAI_API_KEY", "sk-test-not-a-real-key")
            .assert()
    };
    no_stream(&format!("http://127.0.0.1:{port}/v1"))
        .code(5)
        .stdout(predicate::str::contains("\"connect\":"))
        .stderr(predicate::str::contains("Connection refused"));
    no_stream(&raw_server(http_reply("200 OK", "text/html", "<html>hello</html>")))
        .code(5)
        .stdout(predicate::str::contains("\"protocol\":"));
    let body = r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#;
    no_stream(&raw_server(http_reply("401 Unauthorized", "application/json", body)))
        .code(3)
        .stderr(predicate::str::contains("Incorrect API key provided"))
        .stderr(predicate::str::contains("sk-test").not());
}
