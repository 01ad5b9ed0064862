//! `llmkit cost` flags + environment -> validated settings, before any file is read.
//!
//! Everything a user can get wrong on the command line (a budget that is not a number, an
//! `--fx` without a rate, cached tokens larger than the prompt, an unknown projection method)
//! is rejected here with exit code 2, so the commands only deal with file contents.

use std::path::PathBuf;

use crate::cli::{
    CostArgs, CostCommand, CostEstimateArgs, CostGroupBy, CostPer, CostPricesArgs, CostReportArgs, Format,
};
use crate::error::Error;
use crate::usage::logs::parse_timestamp;

#[derive(Debug, Clone, PartialEq)]
pub struct CostSettings {
    /// `--prices` / `LLMKIT_PRICES`: merged over the embedded snapshot.
    pub prices: Option<PathBuf>,
    pub command: CostCommandSettings,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CostCommandSettings {
    Prices(PricesSettings),
    Estimate(EstimateSettings),
    BatchFile(BatchFileSettings),
    Report(ReportSettings),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PricesSettings {
    pub pattern: Option<String>,
    pub provider: Option<String>,
    pub format: Format,
}

/// Where the prompt size of an estimate comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptSize {
    Tokens(u64),
    /// Counted per model with its tokenizer, as one user message.
    File(PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Month,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EstimateSettings {
    pub models: Vec<String>,
    pub input: PromptSize,
    pub output: u64,
    pub cached: u64,
    pub cache_write: u64,
    pub reasoning: u64,
    /// Requests per `per`.
    pub requests: u64,
    pub per: Period,
    pub batch: bool,
    pub format: Format,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BatchFileSettings {
    pub path: PathBuf,
    /// Price the file as if sent to these models instead of each line's own model.
    pub models: Vec<String>,
    pub assume_output: Option<u64>,
    pub format: Format,
}

/// A `--by` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    Model,
    Provider,
    Day,
    Week,
    Month,
    User,
    Project,
    Key,
    Batch,
}

impl GroupBy {
    pub fn name(self) -> &'static str {
        match self {
            GroupBy::Model => "model",
            GroupBy::Provider => "provider",
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
            GroupBy::User => "user",
            GroupBy::Project => "project",
            GroupBy::Key => "key",
            GroupBy::Batch => "batch",
        }
    }
}

/// How `cost report` projects monthly spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projection {
    /// Spend so far in the latest calendar month, extrapolated to the whole month.
    MonthToDate,
    /// Average daily spend over the last N days, times the days of the month.
    Trailing(u32),
}

impl Projection {
    pub fn parse(s: &str) -> Option<Projection> {
        match s.trim().to_ascii_lowercase().as_str() {
            "month-to-date" | "mtd" | "calendar" => Some(Projection::MonthToDate),
            "trailing" => Some(Projection::Trailing(7)),
            other => {
                let n = other.strip_prefix("trailing-")?;
                let n = n.strip_suffix('d').unwrap_or(n);
                n.parse().ok().filter(|n| (1..=366).contains(n)).map(Projection::Trailing)
            }
        }
    }
}

/// A currency conversion column.
#[derive(Debug, Clone, PartialEq)]
pub struct Fx {
    /// Upper-case currency code as given (`CNY`).
    pub currency: String,
    /// Units of `currency` per USD.
    pub rate: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportSettings {
    pub files: Vec<PathBuf>,
    /// The files are the default ledger (not named by the user).
    pub default_ledger: bool,
    pub by: Vec<GroupBy>,
    /// Inclusive bounds, unix seconds.
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub projection: Option<Projection>,
    pub budget: Option<f64>,
    pub fx: Vec<Fx>,
    pub strict: bool,
    pub format: Format,
    pub no_progress: bool,
}

impl CostSettings {
    pub fn resolve(args: &CostArgs) -> anyhow::Result<CostSettings> {
        Self::resolve_with(args, &|k| std::env::var(k).ok())
    }

    /// Resolve with an explicit environment lookup (tests pass a map).
    pub fn resolve_with(
        args: &CostArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<CostSettings> {
        let CostArgs { prices, command } = args;
        let command = match command {
            CostCommand::Prices(a) => CostCommandSettings::Prices(resolve_prices(a)),
            CostCommand::Estimate(a) => resolve_estimate(a)?,
            CostCommand::Report(a) => CostCommandSettings::Report(resolve_report(a, env)?),
        };
        Ok(CostSettings { prices: prices.clone(), command })
    }
}

fn resolve_prices(args: &CostPricesArgs) -> PricesSettings {
    let CostPricesArgs { pattern, provider, output } = args;
    PricesSettings { pattern: pattern.clone(), provider: provider.clone(), format: output.format }
}

fn usage_err(msg: impl Into<String>) -> anyhow::Error {
    Error::usage(msg).into()
}

fn resolve_estimate(args: &CostEstimateArgs) -> anyhow::Result<CostCommandSettings> {
    let CostEstimateArgs {
        models,
        input,
        prompt_file,
        output,
        cached,
        cache_write,
        reasoning,
        requests,
        per,
        batch,
        batch_file,
        assume_output,
        format,
    } = args;
    if let Some(path) = batch_file {
        return Ok(CostCommandSettings::BatchFile(BatchFileSettings {
            path: path.clone(),
            models: models.clone(),
            assume_output: *assume_output,
            format: format.format,
        }));
    }
    if models.is_empty() {
        return Err(usage_err(
            "give at least one model with -m MODEL (a glob like 'gpt-4o*' compares several)",
        ));
    }
    let input = match (input, prompt_file) {
        (Some(n), _) => PromptSize::Tokens(*n),
        (None, Some(p)) => PromptSize::File(p.clone()),
        (None, None) => return Err(usage_err("give the prompt size with --input N or --prompt-file FILE")),
    };
    let Some(output) = *output else {
        return Err(usage_err("give the output size with --output N (0 for embeddings)"));
    };
    if let PromptSize::Tokens(n) = input {
        if cached + cache_write > n {
            return Err(usage_err(format!(
                "--cached ({cached}) + --cache-write ({cache_write}) cannot exceed --input ({n})"
            )));
        }
    }
    if *reasoning > output {
        return Err(usage_err(format!("--reasoning ({reasoning}) cannot exceed --output ({output})")));
    }
    if *requests == 0 {
        return Err(usage_err("--requests must be at least 1"));
    }
    Ok(CostCommandSettings::Estimate(EstimateSettings {
        models: models.clone(),
        input,
        output,
        cached: *cached,
        cache_write: *cache_write,
        reasoning: *reasoning,
        requests: *requests,
        per: match per {
            CostPer::Day => Period::Day,
            CostPer::Month => Period::Month,
        },
        batch: *batch,
        format: format.format,
    }))
}

fn resolve_report(
    args: &CostReportArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<ReportSettings> {
    let CostReportArgs { files, by, since, until, project, budget, fx, strict, output } = args;
    let (files, default_ledger) =
        if files.is_empty() { (vec![default_ledger(env)?], true) } else { (files.clone(), false) };
    let mut keys = Vec::new();
    for b in by {
        let key = match b {
            CostGroupBy::Model => GroupBy::Model,
            CostGroupBy::Provider => GroupBy::Provider,
            CostGroupBy::Day => GroupBy::Day,
            CostGroupBy::Week => GroupBy::Week,
            CostGroupBy::Month => GroupBy::Month,
            CostGroupBy::User => GroupBy::User,
            CostGroupBy::Project => GroupBy::Project,
            CostGroupBy::Key => GroupBy::Key,
            CostGroupBy::Batch => GroupBy::Batch,
        };
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        keys.push(GroupBy::Model);
    }
    let since = match since {
        Some(s) => Some(
            parse_timestamp(s)
                .ok_or_else(|| usage_err(format!("--since `{s}`: not a date or RFC 3339 time")))?,
        ),
        None => None,
    };
    let until = match until {
        Some(s) => {
            let t = parse_timestamp(s)
                .ok_or_else(|| usage_err(format!("--until `{s}`: not a date or RFC 3339 time")))?;
            // A bare date means the whole day.
            Some(if s.trim().len() == 10 { t + 86_399 } else { t })
        }
        None => None,
    };
    if let (Some(a), Some(b)) = (since, until) {
        if b < a {
            return Err(usage_err("--until is before --since"));
        }
    }
    let mut projection = match project {
        Some(m) => Some(Projection::parse(m).ok_or_else(|| {
            usage_err(format!("--project `{m}`: use month-to-date or trailing-Nd (e.g. trailing-7d)"))
        })?),
        None => None,
    };
    if let Some(b) = budget {
        if !(b.is_finite() && *b > 0.0) {
            return Err(usage_err(format!("--budget must be a positive number of USD, got {b}")));
        }
        projection.get_or_insert(Projection::MonthToDate);
    }
    let fx = fx.iter().map(|s| parse_fx(s)).collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ReportSettings {
        files,
        default_ledger,
        by: keys,
        since,
        until,
        projection,
        budget: *budget,
        fx,
        strict: *strict,
        format: output.format,
        no_progress: output.no_progress,
    })
}

fn parse_fx(s: &str) -> anyhow::Result<Fx> {
    let bad = || usage_err(format!("--fx `{s}`: expected CURRENCY=RATE (units per USD), e.g. CNY=7.2"));
    let (cur, rate) = s.split_once('=').ok_or_else(bad)?;
    let cur = cur.trim();
    let rate: f64 = rate.trim().parse().map_err(|_| bad())?;
    if cur.is_empty() || !cur.chars().all(|c| c.is_ascii_alphabetic()) || !(rate.is_finite() && rate > 0.0) {
        return Err(bad());
    }
    Ok(Fx { currency: cur.to_ascii_uppercase(), rate })
}

/// `$LLMKIT_LEDGER`, else `$XDG_DATA_HOME/llmkit/usage.jsonl` (`~/.local/share/...`).
pub fn default_ledger(env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<PathBuf> {
    if let Some(p) = env("LLMKIT_LEDGER").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let base = match env("XDG_DATA_HOME").filter(|p| !p.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => match env("HOME").filter(|p| !p.is_empty()) {
            Some(h) => PathBuf::from(h).join(".local").join("share"),
            None => return Err(usage_err("no usage ledger: set LLMKIT_LEDGER or pass log files")),
        },
    };
    Ok(base.join("llmkit").join("usage.jsonl"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;
    use std::collections::HashMap;

    fn resolve(argv: &[&str], env: &[(&str, &str)]) -> anyhow::Result<CostSettings> {
        let cli = Cli::try_parse_from(argv).map_err(|e| anyhow::anyhow!("{e}"))?;
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        match cli.command {
            crate::cli::Command::Cost(args) => CostSettings::resolve_with(&args, &|k| env.get(k).cloned()),
            _ => unreachable!("cost command expected"),
        }
    }

    fn report(argv: &[&str]) -> ReportSettings {
        match resolve(argv, &[("HOME", "/home/u")]).unwrap().command {
            CostCommandSettings::Report(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn report_defaults_to_the_ledger_and_model_rows() {
        let r = report(&["llmkit", "cost", "report"]);
        assert_eq!(r.files, vec![PathBuf::from("/home/u/.local/share/llmkit/usage.jsonl")]);
        assert!(r.default_ledger);
        assert_eq!(r.by, vec![GroupBy::Model]);
        let s = resolve(&["llmkit", "cost", "report"], &[("LLMKIT_LEDGER", "/tmp/l.jsonl")]).unwrap();
        let CostCommandSettings::Report(r) = s.command else { panic!() };
        assert_eq!(r.files, vec![PathBuf::from("/tmp/l.jsonl")]);
    }

    #[test]
    fn report_flags_are_validated() {
        let r = report(&[
            "llmkit",
            "cost",
            "report",
            "a.jsonl",
            "--by",
            "day,model",
            "--by",
            "day",
            "--until",
            "2026-01-31",
        ]);
        assert_eq!(r.by, vec![GroupBy::Day, GroupBy::Model]);
        assert_eq!(r.until, Some(parse_timestamp("2026-01-31T23:59:59Z").unwrap()));
        let r = report(&["llmkit", "cost", "report", "a", "--budget", "100"]);
        assert_eq!(r.projection, Some(Projection::MonthToDate), "--budget implies a projection");
        let r = report(&["llmkit", "cost", "report", "a", "--project=trailing-14d", "--fx", "cny=7.2"]);
        assert_eq!(r.projection, Some(Projection::Trailing(14)));
        assert_eq!(r.fx, vec![Fx { currency: "CNY".into(), rate: 7.2 }]);
        let r = report(&["llmkit", "cost", "report", "--project", "a.jsonl"]);
        assert_eq!(r.projection, Some(Projection::MonthToDate));
        assert_eq!(r.files, vec![PathBuf::from("a.jsonl")], "--project never eats the file");
        for bad in [
            &["llmkit", "cost", "report", "a", "--budget", "-1"][..],
            &["llmkit", "cost", "report", "a", "--fx", "CNY"],
            &["llmkit", "cost", "report", "a", "--project=weekly"],
            &["llmkit", "cost", "report", "a", "--since", "soon"],
            &["llmkit", "cost", "report", "a", "--since", "2026-02-01", "--until", "2026-01-01"],
        ] {
            let err = resolve(bad, &[]).unwrap_err();
            assert_eq!(crate::error::exit_code_for(&err), 2, "{bad:?}: {err}");
        }
    }

    #[test]
    fn estimate_requires_sizes_that_add_up() {
        let s = resolve(
            &[
                "llmkit", "cost", "estimate", "-m", "gpt-4o", "--input", "100", "--output", "10", "--cached",
                "40",
            ],
            &[],
        )
        .unwrap();
        let CostCommandSettings::Estimate(e) = s.command else { panic!() };
        assert_eq!(e.input, PromptSize::Tokens(100));
        assert_eq!((e.cached, e.requests, e.per), (40, 1, Period::Day));
        for bad in [
            &["llmkit", "cost", "estimate", "--input", "1", "--output", "1"][..],
            &["llmkit", "cost", "estimate", "-m", "x", "--output", "1"],
            &["llmkit", "cost", "estimate", "-m", "x", "--input", "1"],
            &["llmkit", "cost", "estimate", "-m", "x", "--input", "10", "--output", "1", "--cached", "11"],
            &["llmkit", "cost", "estimate", "-m", "x", "--input", "10", "--output", "1", "--reasoning", "2"],
        ] {
            let err = resolve(bad, &[]).unwrap_err();
            assert_eq!(crate::error::exit_code_for(&err), 2, "{bad:?}: {err}");
        }
        let s =
            resolve(&["llmkit", "cost", "estimate", "--batch-file", "b.jsonl", "--assume-output", "50"], &[])
                .unwrap();
        assert!(matches!(
            s.command,
            CostCommandSettings::BatchFile(BatchFileSettings { assume_output: Some(50), .. })
        ));
    }

    #[test]
    fn projection_methods_parse() {
        assert_eq!(Projection::parse("mtd"), Some(Projection::MonthToDate));
        assert_eq!(Projection::parse("trailing-7d"), Some(Projection::Trailing(7)));
        assert_eq!(Projection::parse("trailing-30"), Some(Projection::Trailing(30)));
        assert_eq!(Projection::parse("trailing-0d"), None);
    }
}
