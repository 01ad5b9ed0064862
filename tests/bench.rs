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
