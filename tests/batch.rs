//! `llmkit batch` end to end: the binary against files on disk (and, for runs that send, the
//! embedded mock server on 127.0.0.1).

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn llmkit() -> Command {
    let mut cmd = Command::cargo_bin("llmkit").unwrap();
    cmd.env_remove("LLMKIT_CONFIG")
        .env_remove("LLMKIT_PROFILE")
        .env_remove("LLMKIT_MODEL")
        .env_remove("LLMKIT_PRICES")
        .env("XDG_CONFIG_HOME", "/nonexistent-llmkit-test")
        .env("NO_COLOR", "1");
    cmd
}

fn write(path: &Path, lines: &[&str]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

#[test]
fn dry_run_validates_and_estimates_without_sending_or_writing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    write(
        &input,
        &[
            r#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello world"}],"max_tokens":10}}"#,
            r#"{"prompt":"hello world"}"#,
            r#"{"custom_id":"a","prompt":"dup"}"#,
            "{broken",
            r#"{"custom_id":"b","method":"POST","url":"/v1/embeddings","body":{}}"#,
        ],
    );
    let out = dir.path().join("out.jsonl");
    let assert = llmkit()
        .args(["batch", "--dry-run", "--format", "json", "-m", "gpt-4o-mini"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let report: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(report["total"], 2);
    assert_eq!(report["to_run"], 2);
    assert_eq!(report["invalid"], 3);
    // 9 prompt tokens each (cookbook chat format); 10 = max_tokens, 256 = assumed.
    assert_eq!(report["input_tokens"], 18);
    assert_eq!(report["output_tokens"], 10 + 256);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(stderr.contains(":3: duplicate custom_id `a` (first on line 1)"), "{stderr}");
    assert!(stderr.contains(":4: invalid JSON"), "{stderr}");
    assert!(stderr.contains(":5: url must be /v1/chat/completions"), "{stderr}");
    assert!(!out.exists(), "a dry run writes no output");
    assert!(!dir.path().join("out.errors.jsonl").exists(), "a dry run writes no errors file");
}

#[test]
fn text_input_and_shards_cover_every_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("prompts.txt");
    let lines: Vec<String> = (0..300).map(|i| format!("prompt number {i}")).collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    write(&input, &refs);
    let mut total = 0;
    for k in 1..=3 {
        let assert = llmkit()
            .args(["batch", "--text", "--dry-run", "--format", "json", "-m", "gpt-4o-mini"])
            .arg(&input)
            .args(["-o", "unused.jsonl", "--shard", &format!("{k}/3")])
            .current_dir(dir.path())
            .assert()
            .success();
        let report: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
        let n = report["total"].as_u64().unwrap();
        assert!(n > 50, "shard {k} has {n}");
        total += n;
    }
    assert_eq!(total, 300);
}

#[test]
fn bad_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    write(&input, &[r#"{"prompt":"x"}"#]);
    for (flags, needle) in [
        (vec!["--shard", "4/3"], "--shard"),
        (vec!["--max-cost=-1"], "--max-cost"),
        (vec!["--max-cost", "0"], "--max-cost"),
        (vec!["--cancel"], "--cancel"),
    ] {
        let assert = llmkit()
            .arg("batch")
            .arg(&input)
            .args(["-o", "o.jsonl"])
            .args(&flags)
            .current_dir(dir.path())
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
        assert!(stderr.contains(needle), "{flags:?}: {stderr}");
    }
    let assert =
        llmkit().args(["batch", "missing.jsonl", "-o", "o.jsonl"]).current_dir(dir.path()).assert().code(2);
    assert!(String::from_utf8_lossy(&assert.get_output().stderr).contains("missing.jsonl"));
}
