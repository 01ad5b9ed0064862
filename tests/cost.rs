//! CLI tests of `llmkit cost`: one fixture per usage-log format with its committed expected
//! report, and the flags of `prices`, `estimate` and `report`.
//!
//! Regenerate the expected reports after a price refresh with
//! `LLMKIT_BLESS=1 cargo test --test cost` (and review the diff).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const FIXTURES: [&str; 10] = [
    "ledger.jsonl",
    "recording.jsonl",
    "openai-batch-output.jsonl",
    "chat-completions.json",
    "chat-completions.jsonl",
    "anthropic-messages.jsonl",
    "anthropic-batch-results.jsonl",
    "openai-org-usage.json",
    "openai-usage-dashboard.csv",
    "generic.csv",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cost").join(name)
}

fn llmkit() -> Command {
    let mut cmd = Command::cargo_bin("llmkit").unwrap();
    cmd.env_remove("LLMKIT_PRICES")
        .env_remove("LLMKIT_LEDGER")
        .env_remove("LLMKIT_CONFIG")
        .env("NO_COLOR", "1");
    cmd
}

fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(out.status.code().is_some(), "killed");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

fn report_json(args: &[&str]) -> Value {
    json_of(llmkit().args(["-q", "cost", "report", "--format", "json"]).args(args))
}

/// Equal JSON, numbers within 1e-12 (relative for large ones).
fn assert_json_close(got: &Value, want: &Value, path: &str) {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{path}: {a} != {b}");
        }
        (Value::Object(a), Value::Object(b)) => {
            let ka: Vec<_> = a.keys().collect();
            let kb: Vec<_> = b.keys().collect();
            assert_eq!(ka, kb, "{path}: keys differ");
            for (k, v) in a {
                assert_json_close(v, &b[k], &format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: lengths differ");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_json_close(x, y, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(got, want, "{path}"),
    }
}

#[test]
fn every_fixture_matches_its_expected_report() {
    for name in FIXTURES {
        let mut got = report_json(&[fixture(name).to_str().unwrap()]);
        // The price source names the snapshot date; the numbers below pin the prices.
        got.as_object_mut().unwrap().remove("prices");
        let expected_path = fixture(&format!("{name}.expected.json"));
        if std::env::var_os("LLMKIT_BLESS").is_some() {
            std::fs::write(&expected_path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
            continue;
        }
        let want: Value = serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        assert_json_close(&got, &want, name);
    }
}

#[test]
fn report_json_has_the_stable_keys() {
    let doc = report_json(&[fixture("ledger.jsonl").to_str().unwrap(), "--project"]);
    for key in ["rows", "total", "unpriced", "projection", "skipped_lines"] {
        assert!(doc.get(key).is_some(), "missing {key}: {doc}");
    }
    for key in [
        "model",
        "requests",
        "input_tokens",
        "cached_tokens",
        "output_tokens",
        "reasoning_tokens",
        "cost_usd",
    ] {
        assert!(doc["rows"][0].get(key).is_some(), "row lacks {key}");
    }
    assert_eq!(doc["projection"]["method"], "month-to-date");
    assert!(doc["projection"]["monthly_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(doc["unpriced"][0]["model"], "my-local-llama");
}

#[test]
fn mixed_formats_in_one_call_add_up() {
    let paths: Vec<String> = FIXTURES.iter().map(|f| fixture(f).to_str().unwrap().to_string()).collect();
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let all = report_json(&args);
    let (mut requests, mut cost, mut skipped) = (0, 0.0, 0);
    for f in FIXTURES {
        let one = report_json(&[fixture(f).to_str().unwrap()]);
        requests += one["total"]["requests"].as_u64().unwrap();
        cost += one["total"]["cost_usd"].as_f64().unwrap();
        skipped += one["skipped_lines"].as_u64().unwrap();
    }
    assert_eq!(all["total"]["requests"].as_u64().unwrap(), requests);
    assert!((all["total"]["cost_usd"].as_f64().unwrap() - cost).abs() < 1e-9);
    assert_eq!(all["skipped_lines"].as_u64().unwrap(), skipped);
}

#[test]
fn group_by_several_keys() {
    let doc = report_json(&[fixture("ledger.jsonl").to_str().unwrap(), "--by", "day,user", "--by", "batch"]);
    let rows = doc["rows"].as_array().unwrap();
    let keys: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r["day"].as_str().unwrap(), r["user"].as_str().unwrap(), r["batch"].as_str().unwrap()))
        .collect();
    assert!(keys.contains(&("2026-11-02", "(none)", "batch")), "{keys:?}");
    assert!(keys.contains(&("2026-11-02", "alice", "standard")), "{keys:?}");
    let days: Vec<&str> = keys.iter().map(|k| k.0).collect();
    let mut sorted = days.clone();
    sorted.sort();
    assert_eq!(days, sorted, "time keys come in time order");
    let doc =
        report_json(&[fixture("ledger.jsonl").to_str().unwrap(), "--by", "week,month,project,key,provider"]);
    let r = &doc["rows"][0];
    assert_eq!(r["week"], "2026-W44");
    assert_eq!(r["month"], "2026-11");
    assert!(r.get("key").is_some() && r.get("provider").is_some());
}

#[test]
fn since_and_until_select_by_time() {
    let doc = report_json(&[
        fixture("ledger.jsonl").to_str().unwrap(),
        "--since",
        "2026-11-02",
        "--until",
        "2026-11-03",
    ]);
    // 2026-11-02: two claude lines; 2026-11-03: a cache hit, the unpriced llama and a failed call.
    assert_eq!(doc["total"]["requests"], 4);
    assert_eq!(doc["excluded_requests"], 3);
    let doc = report_json(&[fixture("ledger.jsonl").to_str().unwrap(), "--since", "2026-11-03T12:30:00Z"]);
    assert_eq!(doc["total"]["requests"], 2);
}

#[test]
fn budget_gates_on_the_projection() {
    let ledger = fixture("ledger.jsonl");
    // $0.0691645 over Nov 1-4 -> $0.5187/month (month-to-date).
    llmkit().args(["-q", "cost", "report"]).arg(&ledger).args(["--budget", "1"]).assert().code(0);
    llmkit()
        .args(["cost", "report"])
        .arg(&ledger)
        .args(["--budget", "0.5"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("exceeds the budget"));
    // Trailing 2 days (Nov 3-4): $0.00039 + cache hit + unpriced -> $0.00585/month.
    llmkit()
        .args(["-q", "cost", "report"])
        .arg(&ledger)
        .args(["--project=trailing-2d", "--budget", "0.01"])
        .assert()
        .code(0);
    let doc = report_json(&[ledger.to_str().unwrap(), "--project=trailing-2d"]);
    assert!((doc["projection"]["monthly_usd"].as_f64().unwrap() - 0.00039 / 2.0 * 30.0).abs() < 1e-12);
}

#[test]
fn strict_fails_on_skipped_lines_and_verbose_lists_them() {
    let csv = fixture("generic.csv");
    llmkit().args(["-q", "cost", "report", "--strict"]).arg(&csv).assert().code(1);
    llmkit().args(["-q", "cost", "report", "--strict"]).arg(fixture("ledger.jsonl")).assert().code(0);
    llmkit()
        .args(["-v", "cost", "report"])
        .arg(&csv)
        .assert()
        .code(0)
        .stderr(predicates::str::contains("generic.csv:6: invalid number in input_tokens"))
        .stderr(predicates::str::contains("generic.csv:7: missing model"))
        .stdout(predicates::str::contains("Skipped lines: 2"));
}

#[test]
fn fx_adds_a_converted_column() {
    let doc = report_json(&[fixture("ledger.jsonl").to_str().unwrap(), "--fx", "CNY=7.2", "--project"]);
    let usd = doc["total"]["cost_usd"].as_f64().unwrap();
    assert!((doc["total"]["cost_cny"].as_f64().unwrap() - usd * 7.2).abs() < 1e-12);
    assert!(doc["projection"]["monthly_cny"].is_number());
    llmkit()
        .args(["cost", "report", "--fx", "CNY=7.2"])
        .arg(fixture("ledger.jsonl"))
        .assert()
        .stdout(predicates::str::contains("cost CNY"));
}

#[test]
fn report_csv_is_plain_numbers() {
    let out = llmkit()
        .args(["-q", "cost", "report", "--format", "csv"])
        .arg(fixture("recording.jsonl"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("model,requests,input_tokens,cached_tokens,output_tokens,reasoning_tokens,cost_usd")
    );
    assert!(lines.any(|l| l.starts_with("claude-haiku-4-5,1,3040,3000,64,0,0.00066")), "{text}");
}

#[test]
fn default_ledger_comes_from_the_environment() {
    let doc = json_of(
        llmkit()
            .env("LLMKIT_LEDGER", fixture("recording.jsonl"))
            .args(["-q", "cost", "report", "--format", "json"]),
    );
    assert_eq!(doc["total"]["requests"], 2);
    let dir = tempfile::tempdir().unwrap();
    llmkit()
        .env("LLMKIT_LEDGER", dir.path().join("none.jsonl"))
        .args(["cost", "report"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no usage ledger"));
    llmkit().args(["cost", "report", "/nonexistent/usage.jsonl"]).assert().code(2);
}

#[test]
fn estimate_compares_models_cheapest_first() {
    let doc = json_of(llmkit().args([
        "-q",
        "cost",
        "estimate",
        "-m",
        "gpt-4o",
        "-m",
        "claude-*-4-5",
        "--input",
        "3000",
        "--output",
        "500",
        "--requests",
        "1000",
        "--format",
        "json",
    ]));
    let rows = doc["rows"].as_array().unwrap();
    assert!(rows.len() >= 4, "{rows:?}");
    for key in ["model", "input_tokens", "output_tokens", "per_request_usd", "per_day_usd", "per_month_usd"] {
        assert!(rows[0].get(key).is_some(), "{key}");
    }
    let costs: Vec<f64> = rows.iter().map(|r| r["per_request_usd"].as_f64().unwrap()).collect();
    assert!(costs.windows(2).all(|w| w[0] <= w[1]), "{costs:?}");
    let gpt = rows.iter().find(|r| r["model"] == "gpt-4o").unwrap();
    let per_request = 3000.0 * 2.5e-6 + 500.0 * 1e-5;
    assert!((gpt["per_request_usd"].as_f64().unwrap() - per_request).abs() < 1e-12);
    assert!((gpt["per_day_usd"].as_f64().unwrap() - per_request * 1000.0).abs() < 1e-9);
    assert!((gpt["per_month_usd"].as_f64().unwrap() - per_request * 30_000.0).abs() < 1e-9);
}

#[test]
fn estimate_options_and_resolution() {
    let doc = json_of(llmkit().args([
        "-q",
        "cost",
        "estimate",
        "-m",
        "gpt-4o-2031-01-01",
        "--input",
        "1000",
        "--cached",
        "400",
        "--output",
        "500",
        "--requests",
        "3000",
        "--per",
        "month",
        "--batch",
        "--format",
        "json",
    ]));
    let r = &doc["rows"][0];
    assert_eq!(r["resolved"], "gpt-4o");
    // batch: 1000 * 1.25e-6 (cached bills as batch input) + 500 * 5e-6
    assert!((r["per_request_usd"].as_f64().unwrap() - 0.00375).abs() < 1e-12);
    assert!((r["per_month_usd"].as_f64().unwrap() - 0.00375 * 3000.0).abs() < 1e-9);
    llmkit()
        .args(["cost", "estimate", "-m", "gpt-4o-2031-01-01", "--input", "1", "--output", "1"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("gpt-4o-2031-01-01 -> gpt-4o"));
    llmkit()
        .args(["cost", "estimate", "-m", "no-such-model", "--input", "1", "--output", "1"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no price for model `no-such-model`"));
}

#[test]
fn estimate_counts_a_prompt_file_with_the_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    let prompt = dir.path().join("prompt.txt");
    let text = "Summarize the following report in three bullet points.\n".repeat(20);
    std::fs::write(&prompt, &text).unwrap();
    let doc = json_of(
        llmkit()
            .args([
                "-q",
                "cost",
                "estimate",
                "-m",
                "gpt-4o",
                "-m",
                "claude-sonnet-4-5",
                "--output",
                "100",
                "--format",
                "json",
            ])
            .arg("--prompt-file")
            .arg(&prompt),
    );
    let body = serde_json::json!({"messages": [{"role": "user", "content": text}]});
    let want =
        llmkit::tokenize::count_chat_request(llmkit::tokenize::Encoding::O200kBase, &body).prompt_tokens;
    for r in doc["rows"].as_array().unwrap() {
        assert_eq!(r["input_tokens"].as_u64().unwrap(), want);
    }
    let claude = doc["rows"].as_array().unwrap().iter().find(|r| r["model"] == "claude-sonnet-4-5").unwrap();
    assert_eq!(claude["tokenizer_exact"], false);
}

#[test]
fn estimate_a_batch_file_before_running_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.jsonl");
    let bodies = [
        serde_json::json!({"model": "gpt-4o-mini", "max_tokens": 300, "messages": [{"role": "user", "content": "Tell me about tokens."}]}),
        serde_json::json!({"model": "gpt-4o-mini", "max_completion_tokens": 500, "messages": [{"role": "system", "content": "Be short."}, {"role": "user", "content": "Why is the sky blue?"}]}),
    ];
    let mut text = String::new();
    for (i, b) in bodies.iter().enumerate() {
        let line = serde_json::json!({"custom_id": format!("r{i}"), "method": "POST", "url": "/v1/chat/completions", "body": b});
        text.push_str(&line.to_string());
        text.push('\n');
    }
    text.push_str("{\"custom_id\": \"bad\"\n");
    std::fs::write(&file, text).unwrap();
    let doc = json_of(
        llmkit()
            .args(["-q", "cost", "estimate", "--format", "json", "--assume-output", "100", "--batch-file"])
            .arg(&file),
    );
    let r = &doc["rows"][0];
    let enc = llmkit::tokenize::Encoding::O200kBase;
    let input: u64 = bodies.iter().map(|b| llmkit::tokenize::count_chat_request(enc, b).prompt_tokens).sum();
    assert_eq!(r["requests"], 2);
    assert_eq!(r["input_tokens"].as_u64().unwrap(), input);
    assert_eq!(r["output_tokens_max"], 800);
    assert_eq!(r["output_tokens_expected"], 200);
    let local = input as f64 * 1.5e-7 + 800.0 * 6e-7;
    assert!((r["local_usd_max"].as_f64().unwrap() - local).abs() < 1e-12);
    assert!((r["batch_usd_max"].as_f64().unwrap() - local / 2.0).abs() < 1e-12);
    assert_eq!(doc["skipped_lines"], 1);
    // The same file priced for other models side by side.
    let doc = json_of(
        llmkit()
            .args([
                "-q",
                "cost",
                "estimate",
                "--format",
                "json",
                "-m",
                "gpt-4o",
                "-m",
                "gpt-4o-mini",
                "--batch-file",
            ])
            .arg(&file),
    );
    assert_eq!(doc["rows"].as_array().unwrap().len(), 2);
}

#[test]
fn prices_lists_filters_and_names_the_snapshot() {
    llmkit()
        .args(["cost", "prices", "sonnet"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("claude-sonnet-4-5"))
        .stdout(predicates::str::contains("price snapshot of"));
    let doc = json_of(llmkit().args(["cost", "prices", "gpt-4o-mini", "--format", "json"]));
    assert!(!doc["source"]["litellm_version"].as_str().unwrap().is_empty());
    let m = doc["models"].as_array().unwrap().iter().find(|m| m["model"] == "gpt-4o-mini").unwrap();
    assert_eq!(m["input_per_1m"], 0.15);
    assert_eq!(m["batch_output_per_1m"], 0.3);
    assert_eq!(m["max_input_tokens"], 128000);
    let out = llmkit().args(["cost", "prices", "claude-haiku-4-5", "--format", "csv"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("claude-haiku-4-5,anthropic,1,5,0.1,1.25,0.5,2.5,200000,64000")),
        "{text}"
    );
    llmkit().args(["cost", "prices", "--provider", "deepseek"]).assert().code(0);
    llmkit().args(["cost", "prices", "zzz-no-model*"]).assert().code(2);
}

#[test]
fn a_toml_price_file_adds_and_overrides_models() {
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("prices.toml");
    std::fs::write(
        &prices,
        "[models.\"my-local-llama\"]\ninput_cost_per_token = 1e-7\noutput_cost_per_token = 2e-7\n",
    )
    .unwrap();
    let doc = json_of(
        llmkit()
            .env("LLMKIT_PRICES", &prices)
            .args(["-q", "cost", "report", "--format", "json"])
            .arg(fixture("ledger.jsonl")),
    );
    assert!(doc["unpriced"].as_array().unwrap().is_empty(), "{doc}");
    let llama = doc["rows"].as_array().unwrap().iter().find(|r| r["model"] == "my-local-llama").unwrap();
    assert!((llama["cost_usd"].as_f64().unwrap() - (700.0 * 1e-7 + 90.0 * 2e-7)).abs() < 1e-15);
    llmkit()
        .args(["cost", "--prices"])
        .arg(&prices)
        .args(["estimate", "-m", "my-local-llama", "--input", "10", "--output", "10"])
        .assert()
        .code(0);
    std::fs::write(&prices, "[models.x]\ninput_price = 1\n").unwrap();
    llmkit().env("LLMKIT_PRICES", &prices).args(["cost", "prices"]).assert().code(2);
}
