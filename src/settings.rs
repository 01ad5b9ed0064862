//! Flags + environment + config file -> validated settings, before any I/O.
//!
//! Precedence is always: flag > environment > config file > built-in default. Nothing here
//! holds clap types past `resolve`, and nothing here touches the network. Keys are never read
//! here: a [`KeySource`] says where the engine will find one.

pub mod cost;

use std::path::PathBuf;
use std::time::Duration;

pub use crate::cli::CacheMode;
use crate::cli::{EngineArgs, ProviderKind};
use crate::config::{AuthKind, Config, Profile};
pub use crate::config::{ClientAuth, TokenPlacement};
use crate::error::Error;

/// Where an API key comes from. The key itself is read by the engine when it is needed and is
/// never stored, printed or recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// No key (local endpoints, the mock).
    None,
    /// The value of this environment variable.
    Env(String),
    /// The stdout of this shell command (trimmed).
    Cmd(String),
}

/// One endpoint of the fallback chain, fully resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointSettings {
    /// Profile name (`default` when no profile was involved).
    pub profile: String,
    pub provider: ProviderKind,
    /// `None` only for the mock, whose address is known once it is started.
    pub base_url: Option<String>,
    pub key: KeySource,
    pub model: Option<String>,
    /// Azure `api-version`.
    pub api_version: Option<String>,
    /// How requests authenticate (with `Auth::OAuth2`, `key` is `KeySource::None`).
    pub auth: Auth,
}

/// How an endpoint's requests authenticate (profile setting `auth`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// The provider's usual header: `Authorization: Bearer` (OpenAI and compatible),
    /// `api-key` (Azure), `x-api-key` (Anthropic).
    #[default]
    Provider,
    /// The static key as `Authorization: Bearer KEY`, whatever the provider.
    Bearer,
    /// The static key in the provider's key header (`x-api-key` for Anthropic, else `api-key`).
    ApiKey,
    /// A token from an OAuth2 client-credentials exchange, fetched and refreshed by the engine.
    OAuth2(OAuth2Settings),
}

/// `auth = "oauth2"`: the client-credentials grant (RFC 6749 section 4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Settings {
    pub token_url: String,
    pub client_id: String,
    /// Where the client secret comes from (read by the engine, never stored here).
    pub client_secret: KeySource,
    pub scope: Option<String>,
    pub audience: Option<String>,
    pub placement: TokenPlacement,
    pub client_auth: ClientAuth,
}

/// Settings of the request engine, shared by every network subcommand.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineSettings {
    /// The primary endpoint first, then its fallbacks in order.
    pub endpoints: Vec<EndpointSettings>,
    pub rpm: Option<f64>,
    pub tpm: Option<f64>,
    pub concurrency: Option<usize>,
    pub max_retries: u32,
    pub timeout: Duration,
    /// Run against the embedded mock started in-process.
    pub mock: bool,
    pub record: Option<PathBuf>,
    /// The usage ledger to append to; `None` with `--no-ledger` and for `--mock` runs.
    /// Commands that never keep a ledger (bench) pass `LedgerMode::Off` to the engine.
    pub ledger: Option<PathBuf>,
    /// The response cache, when `--cache` is given.
    pub cache: Option<CacheSettings>,
    /// Price file merged over the embedded snapshot (`LLMKIT_PRICES`), for record costs.
    pub prices: Option<PathBuf>,
}

/// The response cache (`--cache`, `--cache-ttl`, `--cache-dir`).
#[derive(Debug, Clone, PartialEq)]
pub struct CacheSettings {
    pub mode: CacheMode,
    pub ttl: Duration,
    pub dir: PathBuf,
}

pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

pub const DEFAULT_MAX_RETRIES: u32 = 5;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

impl EngineSettings {
    /// Resolve engine flags against the process environment and the config file.
    pub fn resolve(args: &EngineArgs, config: &Config) -> anyhow::Result<Self> {
        Self::resolve_with(args, config, &|k| std::env::var(k).ok())
    }

    /// Resolve with an explicit environment lookup (tests pass a map).
    pub fn resolve_with(
        args: &EngineArgs,
        config: &Config,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let EngineArgs {
            profile,
            base_url,
            provider,
            model,
            api_key_env,
            rpm,
            tpm,
            concurrency,
            max_retries,
            timeout,
            fallback,
            mock,
            record,
            no_ledger,
            cache,
            cache_ttl,
            cache_dir,
        } = args;

        let primary_name = profile.clone().or_else(|| config.default_profile.clone());
        let primary_profile = match &primary_name {
            Some(name) => lookup_profile(config, name)?,
            None => Profile::default(),
        };
        let primary_label = primary_name.clone().unwrap_or_else(|| "default".to_string());

        let mut primary = endpoint_from_profile(&primary_label, &primary_profile, env);
        // Flags override the primary endpoint only; fallbacks keep their own profiles.
        if let Some(p) = provider {
            primary.provider = *p;
            if base_url.is_none() && primary_profile.base_url.is_none() {
                primary.base_url = default_base_url(*p, env);
            }
            if api_key_env.is_none()
                && primary_profile.api_key_env.is_none()
                && !matches!(primary.auth, Auth::OAuth2(_))
            {
                primary.key = default_key(*p);
            }
        }
        if let Some(url) = base_url {
            primary.base_url = Some(validate_url(url)?);
        }
        if let Some(var) = api_key_env {
            if matches!(primary.auth, Auth::OAuth2(_)) {
                return Err(Error::usage(format!(
                    "--api-key-env cannot be used with profile `{primary_label}`: it has auth = \"oauth2\" \
                     (its client secret comes from client_secret_env / client_secret_cmd)"
                ))
                .into());
            }
            primary.key = KeySource::Env(var.clone());
        }
        if let Some(m) = model {
            primary.model = Some(m.clone());
        }
        if *mock {
            if primary.provider != ProviderKind::Anthropic {
                primary.provider = ProviderKind::Openai;
            }
            primary.base_url = None;
            primary.key = KeySource::None;
            // The embedded server of `--mock` needs no credentials of the profile's kind.
            primary.auth = Auth::Provider;
        }

        let fallback_names =
            if fallback.is_empty() { primary_profile.fallback.clone() } else { fallback.clone() };
        let mut endpoints = vec![primary];
        for name in &fallback_names {
            if Some(name) == primary_name.as_ref() {
                return Err(Error::usage(format!("profile `{name}` cannot fall back to itself")).into());
            }
            let p = lookup_profile(config, name)?;
            let mut ep = endpoint_from_profile(name, &p, env);
            if ep.model.is_none() {
                ep.model = endpoints[0].model.clone();
            }
            endpoints.push(ep);
        }

        let profile_timeout = match &primary_profile.timeout {
            Some(t) => Some(crate::cli::parse_duration(t).map_err(Error::usage)?),
            None => None,
        };
        let settings = EngineSettings {
            endpoints,
            rpm: rpm.or(primary_profile.rpm),
            tpm: tpm.or(primary_profile.tpm),
            concurrency: concurrency.or(primary_profile.concurrency),
            max_retries: max_retries.or(primary_profile.max_retries).unwrap_or(DEFAULT_MAX_RETRIES),
            timeout: timeout.or(profile_timeout).unwrap_or(DEFAULT_TIMEOUT),
            mock: *mock,
            record: record.clone(),
            ledger: if *no_ledger || *mock { None } else { ledger_path(env) },
            cache: match cache {
                Some(mode) => Some(CacheSettings {
                    mode: *mode,
                    ttl: cache_ttl.unwrap_or(DEFAULT_CACHE_TTL),
                    dir: match cache_dir {
                        Some(d) => d.clone(),
                        None => env_dir(env, "XDG_CACHE_HOME", ".cache")
                            .map(|d| d.join("llmkit").join("responses"))
                            .ok_or_else(|| {
                                Error::usage("--cache needs --cache-dir (no $XDG_CACHE_HOME or $HOME)")
                            })?,
                    },
                }),
                None => None,
            },
            prices: env("LLMKIT_PRICES").filter(|p| !p.is_empty()).map(PathBuf::from),
        };
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        for (name, v) in [("--rpm", self.rpm), ("--tpm", self.tpm)] {
            if let Some(v) = v {
                if !(v.is_finite() && v > 0.0) {
                    return Err(Error::usage(format!("{name} must be a positive number, got {v}")).into());
                }
            }
        }
        if self.concurrency == Some(0) {
            return Err(Error::usage("--concurrency must be at least 1").into());
        }
        if let Some(c) = &self.cache {
            if c.ttl < Duration::from_secs(1) {
                return Err(Error::usage("--cache-ttl must be at least 1s").into());
            }
        }
        if self.timeout.is_zero() {
            return Err(Error::usage("--timeout must be greater than zero").into());
        }
        Ok(())
    }

    /// The primary endpoint.
    pub fn primary(&self) -> &EndpointSettings {
        &self.endpoints[0]
    }
}

/// `$LLMKIT_LEDGER`, else `$XDG_DATA_HOME/llmkit/usage.jsonl` (`~/.local/share/...`).
fn ledger_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    match env("LLMKIT_LEDGER").filter(|v| !v.is_empty()) {
        Some(p) => Some(PathBuf::from(p)),
        None => env_dir(env, "XDG_DATA_HOME", ".local/share").map(|d| d.join("llmkit").join("usage.jsonl")),
    }
}

/// `$VAR`, else `$HOME/<fallback>`, through the given environment lookup.
fn env_dir(env: &dyn Fn(&str) -> Option<String>, var: &str, fallback: &str) -> Option<PathBuf> {
    match env(var).filter(|v| !v.is_empty()) {
        Some(v) => Some(PathBuf::from(v)),
        None => env("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(fallback)),
    }
}

fn lookup_profile(config: &Config, name: &str) -> anyhow::Result<Profile> {
    if let Some(p) = config.profiles.get(name) {
        return Ok(p.clone());
    }
    // Built-in profiles so `--profile anthropic` works with no config file at all.
    let builtin = match name {
        "openai" => Some(ProviderKind::Openai),
        "anthropic" => Some(ProviderKind::Anthropic),
        "mock" => Some(ProviderKind::Mock),
        _ => None,
    };
    match builtin {
        Some(kind) => Ok(Profile { provider: Some(kind), ..Profile::default() }),
        None => {
            let known: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
            Err(Error::usage(format!(
                "unknown profile `{name}` (config defines: {})",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ))
            .into())
        }
    }
}

fn endpoint_from_profile(name: &str, p: &Profile, env: &dyn Fn(&str) -> Option<String>) -> EndpointSettings {
    let provider = p.provider.unwrap_or(ProviderKind::Openai);
    let key = match (&p.api_key_env, &p.api_key_cmd) {
        (Some(var), _) => KeySource::Env(var.clone()),
        (None, Some(cmd)) => KeySource::Cmd(cmd.clone()),
        (None, None) => default_key(provider),
    };
    let auth = match p.auth {
        None => Auth::Provider,
        Some(AuthKind::Bearer) => Auth::Bearer,
        Some(AuthKind::ApiKey) => Auth::ApiKey,
        // `Config::validate` guarantees the fields; empty strings only if it was bypassed.
        Some(AuthKind::Oauth2) => Auth::OAuth2(OAuth2Settings {
            token_url: p.token_url.clone().unwrap_or_default().trim().to_string(),
            client_id: p.client_id.clone().unwrap_or_default(),
            client_secret: match (&p.client_secret_env, &p.client_secret_cmd) {
                (Some(var), _) => KeySource::Env(var.clone()),
                (None, Some(cmd)) => KeySource::Cmd(cmd.clone()),
                (None, None) => KeySource::None,
            },
            scope: p.scope.clone(),
            audience: p.audience.clone(),
            placement: p.token_placement.unwrap_or_default(),
            client_auth: p.client_auth.unwrap_or_default(),
        }),
    };
    let key = if matches!(auth, Auth::OAuth2(_)) { KeySource::None } else { key };
    EndpointSettings {
        profile: name.to_string(),
        provider,
        base_url: p.base_url.clone().or_else(|| default_base_url(provider, env)),
        key,
        model: p.model.clone(),
        api_version: p.api_version.clone(),
        auth,
    }
}

fn default_key(provider: ProviderKind) -> KeySource {
    match provider {
        ProviderKind::Openai => KeySource::Env("OPENAI_API_KEY".into()),
        ProviderKind::Anthropic => KeySource::Env("ANTHROPIC_API_KEY".into()),
        ProviderKind::Azure => KeySource::Env("AZURE_OPENAI_API_KEY".into()),
        ProviderKind::Mock => KeySource::None,
    }
}

fn default_base_url(provider: ProviderKind, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    match provider {
        ProviderKind::Openai => {
            Some(env("OPENAI_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".into()))
        }
        ProviderKind::Anthropic => {
            Some(env("ANTHROPIC_BASE_URL").unwrap_or_else(|| "https://api.anthropic.com".into()))
        }
        ProviderKind::Azure => env("AZURE_OPENAI_ENDPOINT"),
        ProviderKind::Mock => None,
    }
}

fn validate_url(url: &str) -> anyhow::Result<String> {
    let trimmed = url.trim_end_matches('/');
    if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
        return Err(Error::usage(format!("--base-url `{url}` must start with http:// or https://")).into());
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(args: EngineArgs, cfg: &str, env: &[(&str, &str)]) -> anyhow::Result<EngineSettings> {
        let config = Config::parse(cfg).unwrap();
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        EngineSettings::resolve_with(&args, &config, &|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_point_at_openai_with_its_key_variable() {
        let s = resolve(EngineArgs::default(), "", &[]).unwrap();
        let p = s.primary();
        assert_eq!(p.provider, ProviderKind::Openai);
        assert_eq!(p.base_url.as_deref(), Some("https://api.openai.com/v1"));
        assert_eq!(p.key, KeySource::Env("OPENAI_API_KEY".into()));
        assert_eq!(s.max_retries, DEFAULT_MAX_RETRIES);
    }

    #[test]
    fn flag_beats_env_beats_config() {
        let cfg = "default_profile = \"p\"\n[profiles.p]\nmodel = \"cfg-model\"\nrpm = 10\n";
        let s = resolve(EngineArgs::default(), cfg, &[("OPENAI_BASE_URL", "http://env/v1")]).unwrap();
        assert_eq!(s.primary().model.as_deref(), Some("cfg-model"));
        assert_eq!(s.primary().base_url.as_deref(), Some("http://env/v1"));
        assert_eq!(s.rpm, Some(10.0));
        let args = EngineArgs {
            model: Some("flag-model".into()),
            base_url: Some("http://flag/v1/".into()),
            rpm: Some(20.0),
            ..Default::default()
        };
        let s = resolve(args, cfg, &[("OPENAI_BASE_URL", "http://env/v1")]).unwrap();
        assert_eq!(s.primary().model.as_deref(), Some("flag-model"));
        assert_eq!(s.primary().base_url.as_deref(), Some("http://flag/v1"));
        assert_eq!(s.rpm, Some(20.0));
    }

    #[test]
    fn fallback_chain_comes_from_profile_or_flag() {
        let cfg = "[profiles.a]\nmodel = \"m\"\nfallback = [\"b\"]\n[profiles.b]\nprovider = \"anthropic\"\n[profiles.c]\n";
        let s = resolve(EngineArgs { profile: Some("a".into()), ..Default::default() }, cfg, &[]).unwrap();
        let names: Vec<_> = s.endpoints.iter().map(|e| e.profile.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(s.endpoints[1].provider, ProviderKind::Anthropic);
        assert_eq!(s.endpoints[1].key, KeySource::Env("ANTHROPIC_API_KEY".into()));
        assert_eq!(s.endpoints[1].model.as_deref(), Some("m"), "fallback inherits the model");
        let args = EngineArgs { profile: Some("a".into()), fallback: vec!["c".into()], ..Default::default() };
        let s = resolve(args, cfg, &[]).unwrap();
        let names: Vec<_> = s.endpoints.iter().map(|e| e.profile.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
    }

    #[test]
    fn bad_values_are_usage_errors() {
        let err =
            resolve(EngineArgs { profile: Some("nope".into()), ..Default::default() }, "", &[]).unwrap_err();
        assert!(err.to_string().contains("unknown profile `nope`"));
        assert_eq!(crate::error::exit_code_for(&err), 2);
        let err = resolve(EngineArgs { rpm: Some(0.0), ..Default::default() }, "", &[]).unwrap_err();
        assert!(err.to_string().contains("--rpm"));
        let err = resolve(EngineArgs { base_url: Some("ftp://x".into()), ..Default::default() }, "", &[])
            .unwrap_err();
        assert!(err.to_string().contains("http://"));
    }

    #[test]
    fn mock_clears_url_and_key() {
        let s = resolve(EngineArgs { mock: true, ..Default::default() }, "", &[]).unwrap();
        assert!(s.mock);
        assert_eq!(s.primary().base_url, None);
        assert_eq!(s.primary().key, KeySource::None);
    }

    #[test]
    fn ledger_and_cache_paths_follow_env() {
        let s = resolve(EngineArgs::default(), "", &[("HOME", "/h")]).unwrap();
        assert_eq!(s.ledger, Some(PathBuf::from("/h/.local/share/llmkit/usage.jsonl")));
        let s = resolve(EngineArgs::default(), "", &[("HOME", "/h"), ("LLMKIT_LEDGER", "/l.jsonl")]).unwrap();
        assert_eq!(s.ledger, Some(PathBuf::from("/l.jsonl")));
        let s = resolve(EngineArgs { no_ledger: true, ..Default::default() }, "", &[("HOME", "/h")]).unwrap();
        assert_eq!(s.ledger, None);
        let s = resolve(EngineArgs { mock: true, ..Default::default() }, "", &[("HOME", "/h")]).unwrap();
        assert_eq!(s.ledger, None, "mock runs keep no ledger");
        assert_eq!(s.cache, None);
        let args = EngineArgs { cache: Some(CacheMode::Deterministic), ..Default::default() };
        let s = resolve(args, "", &[("HOME", "/h"), ("XDG_CACHE_HOME", "/c")]).unwrap();
        let c = s.cache.unwrap();
        assert_eq!(c.dir, PathBuf::from("/c/llmkit/responses"));
        assert_eq!(c.ttl, DEFAULT_CACHE_TTL);
        let args = EngineArgs {
            cache: Some(CacheMode::All),
            cache_ttl: Some(Duration::from_millis(10)),
            ..Default::default()
        };
        assert!(resolve(args, "", &[("HOME", "/h")]).is_err());
    }

    #[test]
    fn auth_settings_resolve_per_profile() {
        let cfg = r#"
            [profiles.gw]
            base_url = "https://gw.example/v1"
            auth = "oauth2"
            token_url = "https://login.example/token"
            client_id = "app"
            client_secret_cmd = "pass show gw"
            token_placement = "query"
            [profiles.az]
            provider = "azure"
            base_url = "https://x.openai.azure.com"
            auth = "bearer"
            "#;
        let s = resolve(EngineArgs { profile: Some("gw".into()), ..Default::default() }, cfg, &[]).unwrap();
        let p = s.primary();
        assert_eq!(p.key, KeySource::None, "oauth2 endpoints have no static key");
        let Auth::OAuth2(o) = &p.auth else { panic!("not oauth2: {:?}", p.auth) };
        assert_eq!(o.client_secret, KeySource::Cmd("pass show gw".into()));
        assert_eq!(o.placement, TokenPlacement::Query);
        assert_eq!(o.token_url, "https://login.example/token");
        let s = resolve(EngineArgs { profile: Some("az".into()), ..Default::default() }, cfg, &[]).unwrap();
        assert_eq!(s.primary().auth, Auth::Bearer);
        assert_eq!(s.primary().key, KeySource::Env("AZURE_OPENAI_API_KEY".into()));
        let s = resolve(EngineArgs::default(), cfg, &[]).unwrap();
        assert_eq!(s.primary().auth, Auth::Provider, "no `auth` keeps the provider's header");
        let args =
            EngineArgs { profile: Some("gw".into()), api_key_env: Some("K".into()), ..Default::default() };
        let err = resolve(args, cfg, &[]).unwrap_err();
        assert!(err.to_string().contains("--api-key-env"), "{err}");
        assert_eq!(crate::error::exit_code_for(&err), 2);
        let args = EngineArgs { profile: Some("gw".into()), mock: true, ..Default::default() };
        assert_eq!(resolve(args, cfg, &[]).unwrap().primary().auth, Auth::Provider);
    }

    #[test]
    fn builtin_profiles_exist_without_config() {
        let s =
            resolve(EngineArgs { profile: Some("anthropic".into()), ..Default::default() }, "", &[]).unwrap();
        assert_eq!(s.primary().provider, ProviderKind::Anthropic);
        assert_eq!(s.primary().base_url.as_deref(), Some("https://api.anthropic.com"));
    }
}
