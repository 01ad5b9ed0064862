//! The config file: schema and loading. Keys are never stored here, only the name of the
//! environment variable (or command) that yields them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::cli::ProviderKind;
use crate::error::Error;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Profile used when neither `--profile` nor `LLMKIT_PROFILE` names one.
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One endpoint and how to call it.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub provider: Option<ProviderKind>,
    pub base_url: Option<String>,
    /// Environment variable holding the key (e.g. `OPENAI_API_KEY`).
    pub api_key_env: Option<String>,
    /// A command whose stdout is the key (`pass show openai`, `op read ...`).
    pub api_key_cmd: Option<String>,
    pub model: Option<String>,
    pub rpm: Option<f64>,
    pub tpm: Option<f64>,
    pub concurrency: Option<usize>,
    pub max_retries: Option<u32>,
    /// A duration such as `60s`.
    pub timeout: Option<String>,
    /// Azure OpenAI `api-version` query parameter.
    pub api_version: Option<String>,
    /// Profiles tried in order when this one fails or its breaker is open.
    #[serde(default)]
    pub fallback: Vec<String>,
}

impl Config {
    /// Load the config: an explicit path must exist; the default path may be missing.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Config> {
        match explicit {
            Some(path) => Self::from_file(path),
            None => match default_path() {
                Some(path) if path.exists() => Self::from_file(&path),
                _ => Ok(Config::default()),
            },
        }
    }

    pub fn from_file(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))
            .map_err(|e| Error::usage(format!("{e:#}")))?;
        Self::parse(&text).map_err(|e| Error::usage(format!("{}: {e}", path.display())).into())
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.message().to_string())?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        if let Some(name) = &self.default_profile {
            if !self.profiles.contains_key(name) {
                return Err(format!("default_profile `{name}` is not defined under [profiles]"));
            }
        }
        for (name, profile) in &self.profiles {
            for fb in &profile.fallback {
                if !self.profiles.contains_key(fb) {
                    return Err(format!("profiles.{name}.fallback names unknown profile `{fb}`"));
                }
            }
            if let Some(t) = &profile.timeout {
                crate::cli::parse_duration(t).map_err(|e| format!("profiles.{name}.timeout: {e}"))?;
            }
        }
        Ok(())
    }
}

/// `$XDG_CONFIG_HOME/llmkit/config.toml`, else `~/.config/llmkit/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    xdg_dir("XDG_CONFIG_HOME", ".config").map(|d| d.join("llmkit").join("config.toml"))
}

/// `$VAR`, else `$HOME/<fallback>`; `None` when neither is known.
pub fn xdg_dir(var: &str, fallback: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(fallback)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let cfg = Config::parse(
            r#"
            default_profile = "openai"
            [profiles.openai]
            provider = "openai"
            base_url = "https://api.openai.com/v1"
            api_key_env = "OPENAI_API_KEY"
            model = "gpt-4o-mini"
            rpm = 500
            tpm = 200000
            max_retries = 5
            timeout = "60s"
            fallback = ["backup"]
            [profiles.backup]
            provider = "anthropic"
            "#,
        )
        .unwrap();
        let p = &cfg.profiles["openai"];
        assert_eq!(p.provider, Some(ProviderKind::Openai));
        assert_eq!(p.rpm, Some(500.0));
        assert_eq!(p.fallback, vec!["backup".to_string()]);
    }

    #[test]
    fn rejects_unknown_fields_and_dangling_names() {
        let err = Config::parse("[profiles.a]\nmodle = \"x\"\n").unwrap_err();
        assert!(err.contains("modle"), "{err}");
        let err = Config::parse("default_profile = \"nope\"\n").unwrap_err();
        assert!(err.contains("nope"), "{err}");
        let err = Config::parse("[profiles.a]\nfallback = [\"b\"]\n").unwrap_err();
        assert!(err.contains("`b`"), "{err}");
        let err = Config::parse("[profiles.a]\ntimeout = \"soon\"\n").unwrap_err();
        assert!(err.contains("profiles.a.timeout"), "{err}");
    }
}
