//! CLI tests of `llmkit tokens`, against counts produced by OpenAI's Python tiktoken
//! (tests/fixtures/tokens/expected.tsv) and against properties that must hold (round trips,
//! prefixes, exit codes).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn llmkit() -> Command {
    let mut cmd = Command::cargo_bin("llmkit").expect("binary builds");
    cmd.env_remove("LLMKIT_CONFIG").env("NO_COLOR", "1");
    cmd
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tokens")
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).expect("stdout is UTF-8")
}

fn json_of(cmd: &mut Command) -> Value {
    serde_json::from_str(&stdout_of(cmd)).expect("stdout is one JSON document")
}

/// (file, o200k_base, cl100k_base) from the committed expected counts.
fn expected_counts() -> Vec<(String, u64, u64)> {
    let text = std::fs::read_to_string(fixtures().join("expected.tsv")).expect("expected.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].parse().expect("count"), f[2].parse().expect("count"))
        })
        .collect()
}

#[test]
fn bare_count_from_stdin() {
    llmkit().arg("tokens").write_stdin("hello world").assert().success().stdout("2\n");
    llmkit().args(["tokens", "-"]).write_stdin("hello world").assert().success().stdout("2\n");
    llmkit().args(["tokens", "-m", "gpt-4"]).write_stdin("").assert().success().stdout("0\n");
}

#[test]
fn corpus_counts_equal_tiktoken() {
    let expected = expected_counts();
    assert!(expected.len() >= 10);
    for (encoding, column) in [("o200k_base", 1), ("cl100k_base", 2)] {
        let doc = json_of(llmkit().args(["tokens", "-e", encoding, "--format", "json"]).arg(fixtures()));
        assert_eq!(doc["encoding"], encoding);
        let files = doc["files"].as_array().expect("files");
        for (name, o200k, cl100k) in &expected {
            let want = if column == 1 { *o200k } else { *cl100k };
            let got = files
                .iter()
                .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(&format!("/{name}"))))
                .unwrap_or_else(|| panic!("{name} counted"));
            assert_eq!(got["tokens"], want, "{name} with {encoding}");
        }
        // One file alone, bare, through the other code path (stdin, single input).
        for (name, o200k, cl100k) in &expected {
            let want = if column == 1 { *o200k } else { *cl100k };
            let text = std::fs::read(fixtures().join(name)).expect("fixture");
            llmkit()
                .args(["tokens", "-e", encoding])
                .write_stdin(text)
                .assert()
                .success()
                .stdout(format!("{want}\n"));
        }
    }
}

#[test]
fn several_files_make_a_table_with_a_total() {
    let dir = fixtures();
    let out = stdout_of(llmkit().arg("tokens").arg(dir.join("english.txt")).arg(dir.join("code.rs")));
    assert!(out.contains("english.txt") && out.contains("code.rs"), "{out}");
    assert!(out.contains("total (2 files)"), "{out}");
    assert!(out.contains(&(180 + 151).to_string()), "{out}");
    let csv = stdout_of(
        llmkit().args(["tokens", "--format", "csv"]).arg(dir.join("english.txt")).arg(dir.join("code.rs")),
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "path,tokens,bytes");
    assert_eq!(lines.len(), 3, "{csv}");
}

#[test]
fn json_has_the_stable_shape() {
    let doc = json_of(llmkit().args(["tokens", "--format", "json"]).write_stdin("hello world"));
    assert_eq!(doc["encoding"], "o200k_base");
    assert_eq!(doc["files"][0]["path"], "-");
    assert_eq!(doc["files"][0]["tokens"], 2);
    assert_eq!(doc["files"][0]["bytes"], 11);
    assert_eq!(doc["total"]["tokens"], 2);
    assert_eq!(doc["total"]["bytes"], 11);
    assert_eq!(doc["approximate"], false);
}

#[test]
fn directories_respect_gitignore_and_skip_binaries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(root.join(".gitignore"), "ignored.txt\nbuild/\n").expect("write");
    std::fs::write(root.join("a.txt"), "hello world").expect("write");
    std::fs::create_dir(root.join("sub")).expect("mkdir");
    std::fs::write(root.join("sub/b.txt"), "hello").expect("write");
    std::fs::write(root.join("ignored.txt"), "not counted").expect("write");
    std::fs::create_dir(root.join("build")).expect("mkdir");
    std::fs::write(root.join("build/out.txt"), "not counted").expect("write");
    std::fs::write(root.join("image.bin"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("write");
    std::fs::write(root.join("latin1.txt"), b"caf\xe9").expect("write");

    let assert = llmkit().args(["tokens", "--format", "json"]).arg(root).assert().success();
    let doc: Value = serde_json::from_slice(&assert.get_output().stdout).expect("json");
    let paths: Vec<&str> =
        doc["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(paths[0].ends_with("a.txt") && paths[1].ends_with("b.txt"), "{paths:?}");
    assert_eq!(doc["total"]["tokens"], 3);
    let skipped: Vec<&str> =
        doc["skipped"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("image.bin") && stderr.contains("latin1.txt"), "{stderr}");

    // --no-ignore counts what .gitignore hides.
    let doc = json_of(llmkit().args(["tokens", "--no-ignore", "--format", "json"]).arg(root));
    assert_eq!(doc["files"].as_array().unwrap().len(), 4);
}

#[test]
fn bad_files_are_named_and_the_rest_still_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, b"ok \xff\xfe").expect("write");
    let good = dir.path().join("good.txt");
    std::fs::write(&good, "hello world").expect("write");
    let missing = dir.path().join("missing.txt");
    llmkit()
        .args(["tokens", "--format", "json"])
        .arg(&bad)
        .arg(&good)
        .arg(&missing)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("\"tokens\":2"))
        .stderr(predicate::str::contains("bad.txt: not valid UTF-8 (byte 3)"))
        .stderr(predicate::str::contains("missing.txt"));
    // A single explicit binary file is an error too, not a silent skip.
    llmkit().arg("tokens").arg(&bad).assert().code(2).stdout("").stderr(predicate::str::contains("bad.txt"));
}

#[test]
fn unknown_encodings_and_models_exit_2() {
    llmkit()
        .args(["tokens", "-e", "o300k_base"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown encoding `o300k_base`"));
    llmkit()
        .args(["tokens", "-m", "my-model"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown model `my-model`"));
}

#[test]
fn models_pick_their_encoding_or_say_approximate() {
    let text = "日本語のテキストです";
    let o200k = stdout_of(llmkit().args(["tokens", "-m", "gpt-4o"]).write_stdin(text));
    let cl100k = stdout_of(llmkit().args(["tokens", "-m", "gpt-4"]).write_stdin(text));
    assert_ne!(o200k, cl100k);
    assert_eq!(stdout_of(llmkit().args(["tokens", "-e", "cl100k_base"]).write_stdin(text)), cl100k);
    llmkit()
        .args(["tokens", "-m", "claude-sonnet-4-5"])
        .write_stdin(text)
        .assert()
        .success()
        .stdout(o200k)
        .stderr(predicate::str::contains("approximation"));
    let doc =
        json_of(llmkit().args(["tokens", "-m", "claude-sonnet-4-5", "--format", "json"]).write_stdin(text));
    assert_eq!(doc["approximate"], true);
    assert_eq!(doc["model"], "claude-sonnet-4-5");
}

#[test]
fn encode_then_decode_round_trips() {
    let text = std::fs::read_to_string(fixtures().join("mixed.txt")).expect("fixture");
    for encoding in ["o200k_base", "cl100k_base", "r50k_base", "o200k_harmony"] {
        let ids = stdout_of(llmkit().args(["tokens", "--encode", "-e", encoding]).write_stdin(text.clone()));
        assert!(ids.trim().split(' ').all(|id| id.parse::<u32>().is_ok()), "{ids}");
        let back = stdout_of(llmkit().args(["tokens", "--decode", "-e", encoding]).write_stdin(ids));
        assert_eq!(back, text, "{encoding}");
    }
    let doc = json_of(llmkit().args(["tokens", "--encode", "--format", "json"]).write_stdin("hello world"));
    assert_eq!(doc["ids"], serde_json::json!([24912, 2375]));
    assert_eq!(doc["tokens"], 2);
    // Ids as arguments, and the JSON of --encode as input.
    llmkit().args(["tokens", "--decode", "24912", "2375"]).assert().success().stdout("hello world");
    llmkit()
        .args(["tokens", "--decode"])
        .write_stdin(serde_json::to_string(&doc).unwrap())
        .assert()
        .success()
        .stdout("hello world");
    llmkit()
        .args(["tokens", "--decode", "999999999"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("token id 999999999 is not in o200k_base"));
}

#[test]
fn truncate_gives_a_prefix_within_the_budget() {
    let text = std::fs::read_to_string(fixtures().join("emoji.txt")).expect("fixture");
    for n in [0u64, 1, 5, 17, 40, 1000] {
        let out =
            stdout_of(llmkit().args(["tokens", "--truncate", &n.to_string()]).write_stdin(text.clone()));
        assert!(text.starts_with(&out), "{n}: {out:?}");
        let count: u64 = stdout_of(llmkit().arg("tokens").write_stdin(out.clone())).trim().parse().unwrap();
        assert!(count <= n, "{n}: {count}");
        if n >= 105 {
            assert_eq!(out, text);
        }
    }
    let doc =
        json_of(llmkit().args(["tokens", "--truncate", "1", "--format", "json"]).write_stdin("hello world"));
    assert_eq!(doc["text"], "hello");
    assert_eq!(doc["truncated"], true);
}

#[test]
fn chunks_are_jsonl_and_concatenate_to_the_input() {
    let text = std::fs::read_to_string(fixtures().join("all.txt")).expect("fixture");
    let out = stdout_of(llmkit().args(["tokens", "--chunk", "100"]).write_stdin(text.clone()));
    let mut joined = String::new();
    let mut total = 0;
    for (i, line) in out.lines().enumerate() {
        let v: Value = serde_json::from_str(line).expect("JSONL");
        assert_eq!(v["index"], i as u64);
        let n = v["tokens"].as_u64().unwrap();
        assert!(n <= 100 && n > 0, "{line}");
        total += n;
        joined.push_str(v["text"].as_str().unwrap());
    }
    assert_eq!(joined, text);
    assert_eq!(total, 9472, "the pieces hold exactly the input's tokens");
    llmkit().args(["tokens", "--chunk", "0"]).write_stdin("x").assert().code(2);
}

#[test]
fn allow_special_turns_markers_into_single_tokens() {
    let text = "a<|endoftext|>b";
    let plain: u64 = stdout_of(llmkit().arg("tokens").write_stdin(text)).trim().parse().unwrap();
    let special: u64 =
        stdout_of(llmkit().args(["tokens", "--allow-special"]).write_stdin(text)).trim().parse().unwrap();
    assert_eq!(special, 3);
    assert!(plain > special);
    let ids = stdout_of(llmkit().args(["tokens", "--encode", "--allow-special"]).write_stdin(text));
    assert!(ids.split_whitespace().any(|id| id == "199999"), "{ids}");
    let ids = stdout_of(
        llmkit().args(["tokens", "--encode", "--allow-special", "-e", "cl100k_base"]).write_stdin(text),
    );
    assert!(ids.split_whitespace().any(|id| id == "100257"), "{ids}");
}

#[test]
fn messages_count_a_request_and_an_array() {
    let request =
        r#"{"model":"gpt-4o","max_tokens":50,"messages":[{"role":"user","content":"hello world"}]}"#;
    // 3 + "user" 1 + "hello world" 2 + 3 primer
    llmkit().args(["tokens", "--messages"]).write_stdin(request).assert().success().stdout("9\n");
    llmkit()
        .args(["tokens", "--messages"])
        .write_stdin(r#"[{"role":"user","content":"hello world"}]"#)
        .assert()
        .success()
        .stdout("9\n");
    let doc = json_of(llmkit().args(["tokens", "--messages", "--format", "json"]).write_stdin(request));
    assert_eq!(doc["requests"][0]["prompt_tokens"], 9);
    assert_eq!(doc["requests"][0]["max_tokens"], 50);
    assert_eq!(doc["total"]["max_total_tokens"], 59);
}

#[test]
fn messages_count_a_batch_file_line_by_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("batch.jsonl");
    let lines = [
        r#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","max_tokens":10,"messages":[{"role":"user","content":"hello world"}]}}"#,
        r#"{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}}"#,
        r#"{"custom_id":"c","messages":[{"role":"user","content":"hello world"}],"max_completion_tokens":5}"#,
        r#"{"prompt":"hello world"}"#,
        r#"{"custom_id":"bad","body":{"messages":[{"role":"user","content":7}]}}"#,
        r#"not json"#,
        r#"{"custom_id":"e","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":["hello world","hi"]}}"#,
    ];
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    let assert = llmkit().args(["tokens", "--messages", "--format", "json"]).arg(&path).assert().code(2);
    let doc: Value = serde_json::from_slice(&assert.get_output().stdout).expect("json");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("batch.jsonl:5: body.messages[0]"), "{stderr}");
    assert!(stderr.contains("batch.jsonl:6: not JSON"), "{stderr}");
    let requests = doc["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 5);
    assert_eq!(requests[0]["custom_id"], "a");
    assert_eq!(requests[0]["prompt_tokens"], 9);
    assert_eq!(requests[0]["max_tokens"], 10);
    assert_eq!(requests[1]["encoding"], "cl100k_base", "each line's own model picks the tokenizer");
    assert_eq!(requests[2]["max_tokens"], 5);
    assert_eq!(requests[3]["prompt_tokens"], 9, "the prompt shorthand is one user message");
    assert_eq!(requests[4]["prompt_tokens"], 3, "embeddings: plain text, no chat overhead");
    assert_eq!(doc["errors"].as_array().unwrap().len(), 2);
    assert_eq!(doc["total"]["requests"], 5);

    let table =
        llmkit().args(["tokens", "--messages"]).arg(&path).assert().code(2).get_output().stdout.clone();
    let table = String::from_utf8(table).unwrap();
    assert!(table.contains("total (5 requests)") && table.contains("gpt-4o"), "{table}");
}

#[test]
fn context_shows_what_is_left() {
    let doc = json_of(
        llmkit().args(["tokens", "--context", "-m", "gpt-4", "--format", "json"]).write_stdin("hello world"),
    );
    assert_eq!(doc["context"]["context_window"], 8192);
    assert_eq!(doc["context"]["remaining"], 8190);
    assert_eq!(doc["context"]["fits"], true);
    let table = stdout_of(llmkit().args(["tokens", "--context", "-m", "gpt-4o"]).write_stdin("hello world"));
    assert!(table.contains("128000") && table.contains("127998"), "{table}");
    llmkit()
        .args(["tokens", "--context"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--context needs -m"));
    let request = r#"{"max_tokens":8190,"messages":[{"role":"user","content":"hello world"}]}"#;
    let doc = json_of(
        llmkit()
            .args(["tokens", "--messages", "--context", "-m", "gpt-4", "--format", "json"])
            .write_stdin(request),
    );
    assert_eq!(doc["requests"][0]["context"]["fits"], false);
}
