//! API keys: read from the environment variable a profile names, or from the stdout of its
//! `api_key_cmd` (for `pass`, Vault, the 1Password CLI, cloud secret managers), once per
//! process and only when an endpoint is first used. Keys live in memory only, inside
//! [`Secret`], whose `Debug` and `Display` never show the value.
//!
//! A missing key is a configuration error (exit 2), detected before anything is sent; a key
//! the server refuses is an authentication error (exit 3).

use std::fmt;

use tokio::sync::OnceCell;

use crate::settings::KeySource;

/// A key. Never printed, logged or recorded.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for building auth headers only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// A key source and its value once resolved.
#[derive(Debug)]
pub struct Key {
    source: KeySource,
    profile: String,
    /// The config field of the command (`api_key_cmd`, `client_secret_cmd`), for messages.
    cmd_field: &'static str,
    value: OnceCell<Result<Option<Secret>, String>>,
}

impl Key {
    pub fn new(source: KeySource, profile: &str) -> Key {
        Key { source, profile: profile.to_string(), cmd_field: "api_key_cmd", value: OnceCell::new() }
    }

    /// An OAuth2 client secret (`client_secret_env` / `client_secret_cmd`): same resolution,
    /// messages naming those fields.
    pub fn client_secret(source: KeySource, profile: &str) -> Key {
        Key { cmd_field: "client_secret_cmd", ..Key::new(source, profile) }
    }

    /// The name of where the key comes from (recorded in ledgers instead of the key).
    pub fn name(&self) -> Option<String> {
        match &self.source {
            KeySource::None => None,
            KeySource::Env(var) => Some(var.clone()),
            KeySource::Cmd(_) => Some(self.cmd_field.to_string()),
        }
    }

    /// The key (`None` for keyless endpoints), resolved on first use. The error is one line
    /// for humans and never contains the key.
    pub async fn get(&self) -> Result<Option<Secret>, String> {
        self.value.get_or_init(|| resolve(&self.source, &self.profile, self.cmd_field)).await.clone()
    }
}

async fn resolve(source: &KeySource, profile: &str, cmd_field: &str) -> Result<Option<Secret>, String> {
    match source {
        KeySource::None => Ok(None),
        KeySource::Env(var) => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Some(Secret(v.trim().to_string()))),
            _ if cmd_field == "client_secret_cmd" => Err(format!(
                "no client secret: environment variable {var} is not set (profile `{profile}`; set it, or \
                 use client_secret_cmd)"
            )),
            _ => Err(format!(
                "no API key: environment variable {var} is not set (profile `{profile}`; set it, or name \
                 another variable with --api-key-env / api_key_env, or use api_key_cmd)"
            )),
        },
        KeySource::Cmd(cmd) => {
            let out = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .stdin(std::process::Stdio::null())
                .kill_on_drop(true)
                .output()
                .await
                .map_err(|e| format!("profile `{profile}`: cannot run {cmd_field}: {e}"))?;
            if !out.status.success() {
                // stderr is shown (first line) so the user sees why; stdout may hold a key.
                let err = String::from_utf8_lossy(&out.stderr);
                let first = err.lines().next().unwrap_or("").trim();
                return Err(format!("profile `{profile}`: {cmd_field} failed ({}): {first}", out.status));
            }
            let key = String::from_utf8(out.stdout).map_err(|_| {
                format!("profile `{profile}`: {cmd_field} printed something that is not UTF-8")
            })?;
            let key = key.trim();
            if key.is_empty() {
                return Err(format!("profile `{profile}`: {cmd_field} printed nothing"));
            }
            Ok(Some(Secret(key.to_string())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_format() {
        let s = Secret::new("sk-live-123");
        assert!(!format!("{s:?} {s}").contains("sk-live"));
    }

    #[tokio::test]
    async fn command_keys_are_trimmed_and_cached() {
        let dir = tempfile::tempdir().unwrap();
        let counter = dir.path().join("n");
        let cmd = format!("echo x >> {}; printf '  sk-cmd-1\\n'", counter.display());
        let key = Key::new(KeySource::Cmd(cmd), "p");
        assert_eq!(key.get().await.unwrap().unwrap().expose(), "sk-cmd-1");
        assert_eq!(key.get().await.unwrap().unwrap().expose(), "sk-cmd-1");
        assert_eq!(std::fs::read_to_string(&counter).unwrap().lines().count(), 1, "run once");
        assert_eq!(key.name().as_deref(), Some("api_key_cmd"));
    }

    #[tokio::test]
    async fn failures_are_clear_and_keyless() {
        let err = Key::new(KeySource::Cmd("echo sk-leak; echo nope >&2; exit 3".into()), "p")
            .get()
            .await
            .unwrap_err();
        assert!(err.contains("api_key_cmd failed") && err.contains("nope"), "{err}");
        assert!(!err.contains("sk-leak"));
        let err =
            Key::new(KeySource::Env("LLMKIT_TEST_SURELY_UNSET_VAR".into()), "p").get().await.unwrap_err();
        assert!(err.contains("LLMKIT_TEST_SURELY_UNSET_VAR"), "{err}");
        assert_eq!(Key::new(KeySource::None, "p").get().await, Ok(None));
    }
}
