//! `llmkit check` as a user runs it: against the embedded mock (with and without a required
//! key), an unreachable endpoint and a missing key; exit codes by failure class; and the key
//! never appears on stdout or stderr.

use assert_cmd::Command;
use llmkit::mock::{spawn_thread, MockConfig};
use serde_json::Value;

const SENTINEL: &str = "sk-check-sentinel-91e0";

fn llmkit() -> Command {
    let mut c = Command::cargo_bin("llmkit").unwrap();
    c.env_remove("LLMKIT_PROFILE")
        .env_remove("LLMKIT_MODEL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env("LLMKIT_TEST_NO_BACKOFF", "1")
        .env("LLMKIT_LEDGER", "/dev/null");
    c
}

fn json_rows(stdout: &[u8]) -> Vec<Value> {
    let v: Value = serde_json::from_slice(stdout).unwrap();
    v["profiles"].as_array().unwrap().clone()
}

fn assert_no_key(out: &std::process::Output) {
    for stream in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(SENTINEL), "the key was printed");
    }
}

#[test]
fn check_mock_passes() {
    let out = llmkit().args(["check", "--mock", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = json_rows(&out.stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["reachable"], true);
    assert_eq!(rows[0]["model_listed"], true);
    assert!(rows[0]["latency_ms"].as_f64().is_some());
}

#[test]
fn every_profile_gets_a_row_and_the_first_failure_sets_the_exit_code() {
    let mock = spawn_thread(MockConfig {
        require_key: Some(SENTINEL.into()),
        rpm: Some(6000),
        ..MockConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[profiles.a_good]
base_url = "{url}"
api_key_env = "CHECK_GOOD_KEY"
model = "gpt-4o-mini"
[profiles.b_wrong_key]
base_url = "{url}"
api_key_env = "CHECK_BAD_KEY"
model = "gpt-4o-mini"
[profiles.c_down]
base_url = "http://127.0.0.1:9/v1"
api_key_env = "CHECK_GOOD_KEY"
model = "gpt-4o-mini"
max_retries = 0
"#,
            url = mock.openai_base_url()
        ),
    )
    .unwrap();
    let out = llmkit()
        .args(["--config", config.to_str().unwrap(), "check", "--format", "json"])
        .env("CHECK_GOOD_KEY", SENTINEL)
        .env("CHECK_BAD_KEY", "sk-wrong")
        .output()
        .unwrap();
    assert_no_key(&out);
    assert_eq!(
        out.status.code(),
        Some(3),
        "b_wrong_key fails first: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let rows = json_rows(&out.stdout);
    let names: Vec<&str> = rows.iter().map(|r| r["profile"].as_str().unwrap()).collect();
    assert_eq!(names, ["a_good", "b_wrong_key", "c_down"]);
    assert_eq!(rows[0]["ok"], true);
    assert_eq!(rows[0]["key_accepted"], true);
    assert_eq!(rows[0]["rate_limit_headers"], true);
    assert_eq!(rows[1]["key_accepted"], false);
    assert_eq!(rows[2]["reachable"], false);
    assert_eq!(rows[2]["exit_code"], 5);

    // Only the chosen profile: the unreachable one alone exits 5.
    let out = llmkit()
        .args(["--config", config.to_str().unwrap(), "check", "--profile", "c_down"])
        .env("CHECK_GOOD_KEY", SENTINEL)
        .output()
        .unwrap();
    assert_no_key(&out);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stdout).contains("c_down"));
}

#[test]
fn a_missing_key_is_a_config_failure_naming_the_variable() {
    let out = llmkit()
        .args(["check", "--base-url", "http://127.0.0.1:9/v1", "-m", "x", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.starts_with("profile,provider,url"), "{csv}");
    assert!(csv.contains("OPENAI_API_KEY"), "{csv}");
}
