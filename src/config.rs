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
    /// How requests authenticate; absent = the provider's usual key header.
    pub auth: Option<AuthKind>,
    /// `auth = "oauth2"`: the token endpoint (client-credentials grant).
    pub token_url: Option<String>,
    /// `auth = "oauth2"`: the client id (not a secret).
    pub client_id: Option<String>,
    /// `auth = "oauth2"`: environment variable holding the client secret.
    pub client_secret_env: Option<String>,
    /// `auth = "oauth2"`: a command whose stdout is the client secret.
    pub client_secret_cmd: Option<String>,
    /// `auth = "oauth2"`: the `scope` form field (Entra ID: `https://cognitiveservices.azure.com/.default`).
    pub scope: Option<String>,
    /// `auth = "oauth2"`: the `audience` form field (Auth0-style servers).
    pub audience: Option<String>,
    /// `auth = "oauth2"`: where the access token goes (default `bearer`).
    pub token_placement: Option<TokenPlacement>,
    /// `auth = "oauth2"`: how the client authenticates to the token endpoint (default `post`).
    pub client_auth: Option<ClientAuth>,
}

/// How an OAuth2 client sends its credentials to the token endpoint (RFC 6749 section 2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    #[default]
    Post,
    /// `Authorization: Basic` (`client_secret_basic`).
    Basic,
}

/// How a profile's requests authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    /// The static key as `Authorization: Bearer KEY`.
    Bearer,
    /// The static key in the provider's key header (`x-api-key` for Anthropic, `api-key`
    /// otherwise).
    ApiKey,
    /// A short-lived token from an OAuth2 client-credentials exchange.
    Oauth2,
}

impl AuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Bearer => "bearer",
            AuthKind::ApiKey => "api-key",
            AuthKind::Oauth2 => "oauth2",
        }
    }
}

/// Where an OAuth2 access token is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenPlacement {
    /// `Authorization: Bearer TOKEN`.
    #[default]
    Bearer,
    /// `?access_token=TOKEN` on the URL (Baidu Qianfan style).
    Query,
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
            profile.validate_auth(name)?;
        }
        Ok(())
    }
}

impl Profile {
    /// `auth = "oauth2"` needs a token URL, a client id and exactly one secret source, and no
    /// static key; the OAuth2 fields mean nothing with any other `auth`.
    fn validate_auth(&self, name: &str) -> Result<(), String> {
        let oauth_fields = [
            ("token_url", self.token_url.is_some()),
            ("client_id", self.client_id.is_some()),
            ("client_secret_env", self.client_secret_env.is_some()),
            ("client_secret_cmd", self.client_secret_cmd.is_some()),
            ("scope", self.scope.is_some()),
            ("audience", self.audience.is_some()),
            ("token_placement", self.token_placement.is_some()),
            ("client_auth", self.client_auth.is_some()),
        ];
        if self.auth != Some(AuthKind::Oauth2) {
            if let Some((field, _)) = oauth_fields.iter().find(|(_, set)| *set) {
                return Err(format!("profiles.{name}.{field} is only used with auth = \"oauth2\""));
            }
            return Ok(());
        }
        match self.token_url.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(format!("profiles.{name}.token_url is required with auth = \"oauth2\""))
            }
            Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
                return Err(format!("profiles.{name}.token_url `{url}` must start with http:// or https://"))
            }
            Some(_) => {}
        }
        if self.client_id.as_deref().is_none_or(|c| c.trim().is_empty()) {
            return Err(format!("profiles.{name}.client_id is required with auth = \"oauth2\""));
        }
        match (&self.client_secret_env, &self.client_secret_cmd) {
            (None, None) => {
                return Err(format!(
                    "profiles.{name}.client_secret_env (or client_secret_cmd) is required with \
                     auth = \"oauth2\""
                ))
            }
            (Some(_), Some(_)) => {
                return Err(format!(
                    "profiles.{name}.client_secret_cmd: set client_secret_env or client_secret_cmd, not both"
                ))
            }
            _ => {}
        }
        for (field, set) in
            [("api_key_env", self.api_key_env.is_some()), ("api_key_cmd", self.api_key_cmd.is_some())]
        {
            if set {
                return Err(format!(
                    "profiles.{name}.{field} is not used with auth = \"oauth2\" (the client secret comes from \
                     client_secret_env or client_secret_cmd)"
                ));
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

    #[test]
    fn oauth2_profiles_parse_and_validate() {
        let ok = r#"
            [profiles.gw]
            auth = "oauth2"
            token_url = "https://login.example/token"
            client_id = "app"
            client_secret_env = "GW_SECRET"
            scope = "api://llm/.default"
            token_placement = "query"
            client_auth = "basic"
            "#;
        let cfg = Config::parse(ok).unwrap();
        let p = &cfg.profiles["gw"];
        assert_eq!(p.auth, Some(AuthKind::Oauth2));
        assert_eq!(p.token_placement, Some(TokenPlacement::Query));
        assert_eq!(p.client_auth, Some(ClientAuth::Basic));
        let cfg = Config::parse("[profiles.k]\nauth = \"api-key\"\n").unwrap();
        assert_eq!(cfg.profiles["k"].auth, Some(AuthKind::ApiKey));

        let cases = [
            ("auth = \"oauth2\"\nclient_id = \"a\"\nclient_secret_env = \"S\"", "profiles.p.token_url"),
            ("auth = \"oauth2\"\ntoken_url = \"ftp://x\"\nclient_id = \"a\"\nclient_secret_env = \"S\"", "profiles.p.token_url"),
            ("auth = \"oauth2\"\ntoken_url = \"http://x\"\nclient_secret_env = \"S\"", "profiles.p.client_id"),
            ("auth = \"oauth2\"\ntoken_url = \"http://x\"\nclient_id = \"a\"", "profiles.p.client_secret_env"),
            (
                "auth = \"oauth2\"\ntoken_url = \"http://x\"\nclient_id = \"a\"\nclient_secret_env = \"S\"\nclient_secret_cmd = \"c\"",
                "profiles.p.client_secret_cmd",
            ),
            (
                "auth = \"oauth2\"\ntoken_url = \"http://x\"\nclient_id = \"a\"\nclient_secret_env = \"S\"\napi_key_env = \"K\"",
                "profiles.p.api_key_env",
            ),
            ("auth = \"bearer\"\ntoken_url = \"http://x\"", "profiles.p.token_url"),
            ("scope = \"s\"", "profiles.p.scope"),
            ("auth = \"oauth3\"", "oauth3"),
            ("auth = \"oauth2\"\ntoken_url = \"http://x\"\nclient_id = \"a\"\nclient_secret_env = \"S\"\ntoken_placement = \"cookie\"", "cookie"),
        ];
        for (body, expected) in cases {
            let err = Config::parse(&format!("[profiles.p]\n{body}\n")).unwrap_err();
            assert!(err.contains(expected), "{body}: {err}");
        }
    }
}
