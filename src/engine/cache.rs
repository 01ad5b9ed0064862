//! Opt-in on-disk response cache (`--cache`), so a rerun of a CI job pays only for what
//! changed.
//!
//! The key is a SHA-256 of the normalized request ([`canonical`]: keys sorted, whole numbers as
//! integers; `stream`/`stream_options` removed: a streamed and a non-streamed call get the same
//! answer), the endpoint URL and the model. By default only deterministic requests are cached (`temperature: 0` or a `seed`);
//! `--cache all` caches every request. Entries are JSON files written atomically (temporary
//! file + rename) under `--cache-dir`, and expire after `--cache-ttl`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::provider::{ChatBody, ChatResponse};
use crate::settings::{CacheMode, CacheSettings};

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    /// Seconds since the Unix epoch when stored.
    created: u64,
    response: ChatResponse,
}

#[derive(Debug, Clone)]
pub struct ResponseCache {
    settings: CacheSettings,
}

impl ResponseCache {
    pub fn new(settings: CacheSettings) -> ResponseCache {
        ResponseCache { settings }
    }

    /// Whether this request may be answered from (and stored in) the cache.
    pub fn applies(&self, body: &ChatBody) -> bool {
        match self.settings.mode {
            CacheMode::All => true,
            CacheMode::Deterministic => body.is_deterministic(),
        }
    }

    /// The cache key of a request sent to `url` for `model`.
    pub fn key(body: &ChatBody, url: &str, model: &str) -> String {
        let mut value = serde_json::to_value(body).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.remove("stream");
            map.remove("stream_options");
            map.remove("model");
        }
        let text = canonical(&value);
        let mut h = Sha256::new();
        h.update(url.as_bytes());
        h.update([0]);
        h.update(model.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn path(&self, key: &str) -> PathBuf {
        self.settings.dir.join(&key[..2]).join(format!("{key}.json"))
    }

    /// A fresh cached response, if any. Unreadable or expired entries are misses.
    pub async fn get(&self, key: &str) -> Option<ChatResponse> {
        let bytes = tokio::fs::read(self.path(key)).await.ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        let age = now_secs().saturating_sub(entry.created);
        (age < self.settings.ttl.as_secs()).then_some(entry.response)
    }

    /// Store a response. Failures are returned for a warning; they never fail the request.
    pub async fn put(&self, key: &str, response: &ChatResponse) -> std::io::Result<()> {
        let path = self.path(key);
        let dir = path.parent().map(PathBuf::from).unwrap_or_default();
        tokio::fs::create_dir_all(&dir).await?;
        let bytes = serde_json::to_vec(&Entry { created: now_secs(), response: response.clone() })?;
        let tmp = dir.join(format!(".{key}.{}.tmp", std::process::id()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await
    }

    pub fn ttl(&self) -> Duration {
        self.settings.ttl
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Compact JSON with sorted keys and whole numbers written as integers, so neither key order
/// nor `1.0` vs `1` makes two requests differ (the cache key here; the match key of
/// `serve --replay` and `replay`).
pub fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Number(n) => out.push_str(&canonical_number(n)),
        other => out.push_str(&other.to_string()),
    }
}

/// `1.0` -> `1`, `-0.0` -> `0`; other numbers as serde_json writes them.
pub fn canonical_number(n: &serde_json::Number) -> String {
    if n.is_f64() {
        if let Some(f) = n.as_f64() {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                return format!("{}", f as i64);
            }
        }
    }
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(raw: &str) -> ChatBody {
        serde_json::from_str(raw).unwrap()
    }

    #[test]
    fn keys_ignore_order_and_streaming_but_not_content() {
        let a = body(r#"{"messages":[{"role":"user","content":"hi"}],"temperature":0,"x":{"b":1,"a":2}}"#);
        let b = body(
            r#"{"x":{"a":2,"b":1},"stream":true,"temperature":0,"messages":[{"content":"hi","role":"user"}]}"#,
        );
        let c = body(r#"{"messages":[{"role":"user","content":"ho"}],"temperature":0}"#);
        let k = |b: &ChatBody| ResponseCache::key(b, "http://u", "m");
        assert_eq!(k(&a), k(&b));
        assert_ne!(k(&a), k(&c));
        assert_ne!(k(&a), ResponseCache::key(&a, "http://u", "other"));
        assert_ne!(k(&a), ResponseCache::key(&a, "http://v", "m"));
    }

    #[tokio::test]
    async fn stores_reads_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = CacheSettings {
            mode: CacheMode::Deterministic,
            ttl: Duration::from_secs(60),
            dir: dir.path().into(),
        };
        let cache = ResponseCache::new(settings.clone());
        assert!(cache.applies(&body(r#"{"messages":[],"seed":1}"#)));
        assert!(!cache.applies(&body(r#"{"messages":[],"temperature":0.7}"#)));
        let resp = ChatResponse { id: "x".into(), model: "m".into(), ..ChatResponse::default() };
        assert!(cache.get("abcd").await.is_none());
        cache.put("abcd", &resp).await.unwrap();
        assert_eq!(cache.get("abcd").await, Some(resp.clone()));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("ab")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files left behind");
        settings.mode = CacheMode::All;
        let all = ResponseCache::new(settings);
        assert!(all.applies(&body(r#"{"messages":[],"temperature":0.7}"#)));
        // An entry older than the TTL is a miss.
        let old = serde_json::to_vec(&Entry { created: now_secs() - 61, response: resp }).unwrap();
        std::fs::write(dir.path().join("ab/abcd.json"), old).unwrap();
        assert!(all.get("abcd").await.is_none());
    }
}
