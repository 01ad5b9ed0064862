//! `llmkit check`: a health check of configured endpoints for people and scripts.
//!
//! One row per profile (every profile in the config file, or only the one chosen with
//! `--profile` / `LLMKIT_PROFILE`; the default endpoint when the config defines none). The
//! exit code is the failure class of the first profile that fails (2 missing key or bad
//! config, 3 key refused, 4 request rejected, 5 unavailable after retries), 0 when all pass,
//! so `llmkit check -q && deploy` does what it says.

use std::io::Write;

use serde::Serialize;

use crate::cli::{CheckArgs, EngineArgs, Format, OutputArgs};
use crate::config::Config;
use crate::engine::probe::ProbeReport;
use crate::engine::record::provider_name;
use crate::engine::{Engine, EngineOptions, LedgerMode};
use crate::error::ExitStatus;
use crate::output::{write_report, Printer};
use crate::settings::EngineSettings;

/// Resolve the settings of every profile to check (before any I/O).
pub fn targets(args: &CheckArgs, config: &Config) -> anyhow::Result<Vec<EngineSettings>> {
    let CheckArgs { engine, output: _ } = args;
    let chosen = engine.profile.is_some() || engine.mock || config.profiles.is_empty();
    if chosen {
        return Ok(vec![EngineSettings::resolve(&without_fallback(engine, engine.profile.clone()), config)?]);
    }
    config
        .profiles
        .keys()
        .map(|name| EngineSettings::resolve(&without_fallback(engine, Some(name.clone())), config))
        .collect()
}

/// The probe checks one endpoint; fallbacks are checked as their own rows.
fn without_fallback(args: &EngineArgs, profile: Option<String>) -> EngineArgs {
    EngineArgs { profile, fallback: Vec::new(), no_ledger: true, cache: None, record: None, ..args.clone() }
}

#[derive(Debug, Serialize)]
struct Row {
    profile: String,
    provider: &'static str,
    base_url: String,
    model: Option<String>,
    tls: bool,
    reachable: bool,
    key_accepted: Option<bool>,
    model_listed: Option<bool>,
    latency_ms: Option<f64>,
    rate_limit_headers: bool,
    /// OAuth2 profiles: a token was obtained (`None` for static keys).
    token_obtained: Option<bool>,
    /// Seconds left on the token when it was obtained.
    token_expires_in_s: Option<u64>,
    token_type: Option<String>,
    ok: bool,
    exit_code: u8,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Report {
    profiles: Vec<Row>,
}

fn yes_no(v: Option<bool>) -> String {
    match v {
        Some(true) => "yes".into(),
        Some(false) => "NO".into(),
        None => "-".into(),
    }
}

fn row(r: &ProbeReport) -> Row {
    Row {
        profile: r.profile.clone(),
        provider: provider_name(r.provider),
        base_url: r.base_url.clone(),
        model: r.model.clone(),
        tls: r.tls,
        reachable: r.reachable,
        key_accepted: r.key_accepted,
        model_listed: r.model_listed,
        latency_ms: r.latency.map(|d| (d.as_secs_f64() * 1e4).round() / 10.0),
        rate_limit_headers: r.rate_headers,
        token_obtained: match (&r.token, r.oauth) {
            (Some(_), _) => Some(true),
            (None, true) => Some(false),
            (None, false) => None,
        },
        token_expires_in_s: r.token.as_ref().and_then(|t| t.expires_in).map(|d| d.as_secs()),
        token_type: r.token.as_ref().map(|t| t.token_type.clone()),
        ok: r.ok(),
        exit_code: r.error.as_ref().map_or(0, |e| e.exit_code()),
        error: r.error.as_ref().map(|e| format!("{}: {}", e.kind.as_str(), e.message)),
    }
}

pub async fn run(
    targets: Vec<EngineSettings>,
    output: OutputArgs,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let OutputArgs { format, no_progress: _ } = output;
    let mut rows = Vec::new();
    for settings in targets {
        let label = settings.primary().profile.clone();
        printer.verbose(format!("checking profile `{label}`"));
        let engine = Engine::new(
            settings,
            EngineOptions { command: "check", ledger: LedgerMode::Off, printer, ..EngineOptions::default() },
        )
        .await;
        match engine {
            Ok(engine) => {
                if let Some(report) = engine.probe(0).await {
                    if let Some(t) = &report.token {
                        printer.info(format!(
                            "profile `{}`: token obtained from {} (expires in {}, token_type {})",
                            report.profile,
                            t.token_url,
                            t.expires_in.map_or("unknown".to_string(), |d| format!("{} s", d.as_secs())),
                            t.token_type
                        ));
                    }
                    rows.push(row(&report));
                }
            }
            // A profile that cannot even be set up (no base URL) is a config failure row.
            Err(e) => rows.push(Row {
                profile: label,
                provider: "-",
                base_url: String::new(),
                model: None,
                tls: false,
                reachable: false,
                key_accepted: None,
                model_listed: None,
                latency_ms: None,
                rate_limit_headers: false,
                token_obtained: None,
                token_expires_in_s: None,
                token_type: None,
                ok: false,
                exit_code: crate::error::exit_code_for(&e),
                error: Some(format!("{e:#}")),
            }),
        }
    }
    // The token column appears only when some profile uses OAuth2.
    let with_token = rows.iter().any(|r| r.token_obtained.is_some());
    let mut headers = vec!["profile", "provider", "url", "tls", "reachable", "key"];
    if with_token {
        headers.push("token");
    }
    headers.extend(["model", "latency_ms", "rate_limits", "status"]);
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut cells = vec![
                r.profile.clone(),
                r.provider.to_string(),
                r.base_url.clone(),
                yes_no(Some(r.tls)),
                yes_no(Some(r.reachable)),
                yes_no(r.key_accepted),
            ];
            if with_token {
                cells.push(match (r.token_obtained, r.token_expires_in_s) {
                    (Some(true), Some(s)) => format!("yes (expires in {s} s)"),
                    (Some(true), None) => "yes".into(),
                    (Some(false), _) => "NO".into(),
                    (None, _) => "-".into(),
                });
            }
            cells.extend([
                match (&r.model, r.model_listed) {
                    (Some(m), Some(true)) => format!("{m} (listed)"),
                    (Some(m), Some(false)) => format!("{m} (NOT listed)"),
                    (Some(m), None) => m.clone(),
                    (None, _) => "-".into(),
                },
                r.latency_ms.map_or("-".into(), |l| format!("{l:.1}")),
                yes_no(Some(r.rate_limit_headers)),
                match &r.error {
                    None => "ok".into(),
                    Some(e) => crate::provider::truncate(e, if format == Format::Table { 80 } else { 1000 }),
                },
            ]);
            cells
        })
        .collect();
    let report = Report { profiles: rows };
    let mut out = std::io::stdout().lock();
    write_report(&mut out, format, &headers, &table, &report, printer.stdout_tty)?;
    out.flush()?;
    // The table cuts long statuses; the server's whole message goes to stderr.
    if format == Format::Table {
        for r in report.profiles.iter().filter(|r| r.error.as_ref().is_some_and(|e| e.chars().count() > 80)) {
            printer.warn(format!("profile `{}`: {}", r.profile, r.error.as_deref().unwrap_or_default()));
        }
    }
    let code = report.profiles.iter().find(|r| !r.ok).map_or(0, |r| r.exit_code);
    Ok(if code == 0 { ExitStatus::Success } else { ExitStatus::Code(code) })
}
