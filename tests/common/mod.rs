//! Helpers shared by the batch test files (`mod common;`), so a change to how tests start the
//! binary or talk to the Batch APIs is made once. Each test file uses only some of them.
#![allow(dead_code)]

use std::path::Path;

use llmkit::commands::batch::remote::{ApiCall, ApiReply, Transport};
use serde_json::Value;

/// The binary with the user's configuration out of the way.
pub fn llmkit() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("llmkit").unwrap();
    cmd.env_remove("LLMKIT_CONFIG")
        .env_remove("LLMKIT_PROFILE")
        .env_remove("LLMKIT_MODEL")
        .env_remove("LLMKIT_PRICES")
        .env("XDG_CONFIG_HOME", "/nonexistent-llmkit-test")
        .env("XDG_DATA_HOME", "/nonexistent-llmkit-test")
        .env("NO_COLOR", "1");
    cmd
}

/// A client that never goes through a proxy (the servers are on 127.0.0.1).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A plain HTTP [`Transport`] for driving `batch --remote` through the library: `base` is the
/// API root the call paths are joined to, `headers` go on every call.
#[derive(Clone)]
pub struct Http {
    pub base: String,
    pub client: reqwest::Client,
    pub headers: &'static [(&'static str, &'static str)],
}

impl Http {
    pub fn new(base: String, headers: &'static [(&'static str, &'static str)]) -> Self {
        Http { base, client: client(), headers }
    }
}

impl Transport for Http {
    async fn call(&self, call: ApiCall) -> anyhow::Result<ApiReply> {
        let url = format!("{}{}", self.base, call.path);
        let mut req = match call.method {
            "GET" => self.client.get(url),
            "DELETE" => self.client.delete(url),
            _ => self.client.post(url),
        };
        if let Some(ct) = call.content_type {
            req = req.header("content-type", ct);
        }
        for (name, value) in self.headers {
            req = req.header(*name, *value);
        }
        let resp = req.body(call.body).send().await?;
        Ok(ApiReply { status: resp.status().as_u16(), body: resp.bytes().await?.to_vec() })
    }
}

/// POST a JSON body and read the JSON answer.
pub async fn post_json(url: String, body: &Value) -> Value {
    client().post(url).json(body).send().await.unwrap().json().await.unwrap()
}

/// `n` batch input lines `{"custom_id":"r<i>","prompt":"question <i>"}`.
pub fn write_input(path: &Path, n: usize) {
    let text: String =
        (0..n).map(|i| format!("{{\"custom_id\":\"r{i}\",\"prompt\":\"question {i}\"}}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// The JSON lines of a file (none when it does not exist).
pub fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The sorted `custom_id`s of an output file, which must exist.
pub fn ids(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut ids: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["custom_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// The sorted ids [`write_input`] gives `n` lines.
pub fn expected(n: usize) -> Vec<String> {
    let mut v: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
    v.sort();
    v
}

/// Run a command that must succeed with `--format json`: its JSON summary and its stderr.
pub fn run_json(cmd: &mut assert_cmd::Command) -> (Value, String) {
    let assert = cmd.assert().success();
    let out = assert.get_output();
    (serde_json::from_slice(&out.stdout).unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The id of the first batch a `batch --remote` run announced on stderr (`batch <id> ...`).
pub fn first_batch_id(stderr: &str) -> String {
    stderr.split("batch ").nth(1).unwrap().split(' ').next().unwrap().to_string()
}
