//! Turning level statistics into what the user reads: a table, JSON or CSV; and reading
//! `--out` record files back for `bench report`.
//!
//! JSON is the stable script interface (DESIGN.md "Stable outputs"): one level prints one
//! object with `requests, errors, wall_s, request_throughput, output_token_throughput,
//! ttft_ms, tpot_ms, itl_ms, e2e_ms` and more; a sweep prints `{"levels": [...]}` with one
//! such object per level.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use serde::Serialize;

use super::metrics::{LatencySummary, LevelStats, LevelSummary, Slo};
use super::record::BenchRecord;
use crate::cli::Format;
use crate::error::Error;

/// Levels in a stable order: by their first t0, then by name. A function of the records only,
/// so merged files come out in the same order whatever order they were given in.
pub fn ordered(levels: impl IntoIterator<Item = LevelStats>) -> Vec<LevelStats> {
    let mut v: Vec<LevelStats> = levels.into_iter().collect();
    v.sort_by(|a, b| (a.first_t0_us, &a.level).cmp(&(b.first_t0_us, &b.level)));
    v
}

/// Read record files (`--out` of one or more runs) and fold them per level. Warmup records
/// are skipped. Errors name the file and line.
pub fn read_records(paths: &[impl AsRef<Path>], slo: Option<&Slo>) -> anyhow::Result<Vec<LevelStats>> {
    let mut levels: BTreeMap<String, LevelStats> = BTreeMap::new();
    for path in paths {
        let path = path.as_ref();
        let file = std::fs::File::open(path)
            .map_err(|e| Error::usage(format!("cannot open {}: {e}", path.display())))?;
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| Error::usage(format!("{}:{}: {e}", path.display(), i + 1)))?;
            if line.trim().is_empty() {
                continue;
            }
            let record: BenchRecord = serde_json::from_str(&line).map_err(|e| {
                Error::usage(format!("{}:{}: not a bench record: {e}", path.display(), i + 1))
            })?;
            record.validate().map_err(|e| Error::usage(format!("{}:{}: {e}", path.display(), i + 1)))?;
            if record.warmup {
                continue;
            }
            levels
                .entry(record.level.clone())
                .or_insert_with(|| LevelStats::new(record.level.clone()))
                .add(&record, slo);
        }
    }
    if levels.is_empty() {
        return Err(Error::usage("no measured requests in the given files").into());
    }
    Ok(ordered(levels.into_values()))
}

#[derive(Serialize)]
struct Sweep<'a> {
    levels: &'a [LevelSummary],
}

/// Print the report in `format`.
pub fn write(
    out: &mut dyn Write,
    format: Format,
    levels: &[LevelSummary],
    pretty: bool,
) -> anyhow::Result<()> {
    match format {
        Format::Json | Format::Jsonl => match levels {
            [one] => crate::output::write_json(out, one, pretty && format == Format::Json),
            many => crate::output::write_json(out, &Sweep { levels: many }, pretty && format == Format::Json),
        },
        Format::Csv => {
            let (headers, rows) = csv_rows(levels);
            let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
            crate::output::write_csv(out, &headers, &rows)
        }
        Format::Table => {
            out.write_all(table(levels).as_bytes())?;
            Ok(())
        }
    }
}

fn latencies(s: &LevelSummary) -> [(&'static str, Option<&LatencySummary>); 7] {
    [
        ("ttft", Some(&s.ttft_ms)),
        ("tpot", Some(&s.tpot_ms)),
        ("itl", Some(&s.itl_ms)),
        ("e2e", Some(&s.e2e_ms)),
        ("ttfc", Some(&s.ttfc_ms)),
        ("sched_lag", s.sched_lag_ms.as_ref()),
        ("send_delay", s.send_delay_ms.as_ref()),
    ]
}

const STATS: [&str; 8] = ["mean", "p50", "p90", "p95", "p99", "p99_9", "max", "count"];

fn stat(l: Option<&LatencySummary>, which: &str) -> Option<f64> {
    let l = l?;
    match which {
        "mean" => l.mean,
        "p50" => l.p50,
        "p90" => l.p90,
        "p95" => l.p95,
        "p99" => l.p99,
        "p99_9" => l.p99_9,
        "max" => l.max,
        "count" => Some(l.count as f64),
        _ => None,
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// One CSV row per level, every number at full precision.
fn csv_rows(levels: &[LevelSummary]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut headers: Vec<String> = [
        "level",
        "requests",
        "succeeded",
        "errors",
        "wall_s",
        "request_throughput",
        "output_token_throughput",
        "input_token_throughput",
        "goodput",
        "input_tokens",
        "output_tokens",
    ]
    .map(String::from)
    .to_vec();
    for (name, _) in latencies(&levels[0]) {
        for s in STATS {
            headers.push(format!("{name}_ms_{s}"));
        }
    }
    let rows = levels
        .iter()
        .map(|s| {
            let mut row = vec![
                s.level.clone(),
                s.requests.to_string(),
                s.succeeded.to_string(),
                s.errors.to_string(),
                s.wall_s.to_string(),
                s.request_throughput.to_string(),
                s.output_token_throughput.to_string(),
                s.input_token_throughput.to_string(),
                opt(s.goodput),
                s.input_tokens.to_string(),
                s.output_tokens.to_string(),
            ];
            for (_, l) in latencies(s) {
                for which in STATS {
                    row.push(opt(stat(l, which)));
                }
            }
            row
        })
        .collect();
    (headers, rows)
}

fn ms(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into())
}

fn rate(x: f64) -> String {
    format!("{x:.1}")
}

/// The human report: for one level, a latency table and a summary; for a sweep, one row per
/// level with the headline numbers.
pub fn table(levels: &[LevelSummary]) -> String {
    use crate::output::table::render;
    let mut out = String::new();
    if let [s] = levels {
        let headers = ["ms", "mean", "p50", "p90", "p95", "p99", "p99.9", "max"];
        let names = [
            ("TTFT", Some(&s.ttft_ms)),
            ("TPOT", Some(&s.tpot_ms)),
            ("ITL", Some(&s.itl_ms)),
            ("E2E", Some(&s.e2e_ms)),
            ("first chunk", Some(&s.ttfc_ms)),
            ("sched lag", s.sched_lag_ms.as_ref()),
            ("send delay", s.send_delay_ms.as_ref()),
        ];
        let rows: Vec<Vec<String>> = names
            .iter()
            .filter_map(|(n, l)| l.filter(|l| l.count > 0).map(|l| (n, l)))
            .map(|(n, l)| {
                vec![
                    n.to_string(),
                    ms(l.mean),
                    ms(l.p50),
                    ms(l.p90),
                    ms(l.p95),
                    ms(l.p99),
                    ms(l.p99_9),
                    ms(l.max),
                ]
            })
            .collect();
        out.push_str(&format!("{}\n", s.level));
        if !rows.is_empty() {
            out.push_str(&render(&headers, &rows));
            out.push('\n');
        }
        let mut summary = vec![
            vec!["requests".into(), s.requests.to_string()],
            vec!["succeeded".into(), s.succeeded.to_string()],
            vec!["errors".into(), format!("{} ({:.2}%)", s.errors, s.error_rate * 100.0)],
            vec!["wall".into(), format!("{:.3} s", s.wall_s)],
            vec!["requests/s".into(), format!("{:.2}", s.request_throughput)],
            vec!["output tokens/s".into(), rate(s.output_token_throughput)],
            vec!["input tokens/s".into(), rate(s.input_token_throughput)],
            vec![
                "tokens in/out".into(),
                format!(
                    "{} / {}{}",
                    s.input_tokens,
                    s.output_tokens,
                    if s.output_tokens_estimated > 0 {
                        format!(" ({} requests counted by tokenizer)", s.output_tokens_estimated)
                    } else {
                        String::new()
                    }
                ),
            ],
        ];
        if let (Some(g), Some(slo)) = (s.goodput, &s.slo) {
            summary.push(vec!["goodput/s".into(), format!("{g:.2}")]);
            summary.push(vec![
                "SLO attainment".into(),
                format!(
                    "{:.2}% (target {:.2}%){}",
                    slo.attainment * 100.0,
                    slo.target * 100.0,
                    if slo.met { "" } else { " MISSED" }
                ),
            ]);
        }
        out.push_str(&render(&["summary", "value"], &summary));
        out.push('\n');
        if s.errors > 0 {
            let mut rows: Vec<Vec<String>> =
                s.errors_by_class.iter().map(|(k, v)| vec![format!("class {k}"), v.to_string()]).collect();
            rows.extend(s.errors_by_status.iter().map(|(k, v)| vec![format!("status {k}"), v.to_string()]));
            out.push_str(&render(&["errors by", "count"], &rows));
            out.push('\n');
        }
        return out;
    }
    let slo = levels.iter().any(|s| s.goodput.is_some());
    let lag = levels.iter().any(|s| s.sched_lag_ms.is_some());
    let mut headers = vec![
        "level",
        "reqs",
        "errors",
        "req/s",
        "out tok/s",
        "TTFT p50",
        "TTFT p99",
        "TPOT p50",
        "TPOT p99",
        "ITL p50",
        "ITL p99",
        "E2E p50",
        "E2E p99",
    ];
    if slo {
        headers.push("goodput/s");
    }
    if lag {
        headers.push("lag p99");
    }
    let rows: Vec<Vec<String>> = levels
        .iter()
        .map(|s| {
            let mut row = vec![
                s.level.clone(),
                s.requests.to_string(),
                s.errors.to_string(),
                format!("{:.2}", s.request_throughput),
                rate(s.output_token_throughput),
                ms(s.ttft_ms.p50),
                ms(s.ttft_ms.p99),
                ms(s.tpot_ms.p50),
                ms(s.tpot_ms.p99),
                ms(s.itl_ms.p50),
                ms(s.itl_ms.p99),
                ms(s.e2e_ms.p50),
                ms(s.e2e_ms.p99),
            ];
            if slo {
                row.push(s.goodput.map(|g| format!("{g:.2}")).unwrap_or_else(|| "-".into()));
            }
            if lag {
                row.push(ms(s.sched_lag_ms.as_ref().and_then(|l| l.p99)));
            }
            row
        })
        .collect();
    out.push_str("latencies in ms\n");
    out.push_str(&render(&headers, &rows));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::bench::record::sample;

    fn stats(level: &str, t0: u64, n: u64) -> LevelStats {
        let mut s = LevelStats::new(level);
        for i in 0..n {
            let mut r = sample(&[150_000, 160_000, 170_000], 3);
            r.level = level.into();
            r.t0_us = t0 + i * 1000;
            s.add(&r, None);
        }
        s
    }

    #[test]
    fn one_level_prints_the_design_keys_at_the_top() {
        let s = stats("concurrency=1", 0, 3).summary(None);
        let mut buf = Vec::new();
        write(&mut buf, Format::Json, &[s], false).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        for key in [
            "requests",
            "errors",
            "wall_s",
            "request_throughput",
            "output_token_throughput",
            "ttft_ms",
            "tpot_ms",
            "itl_ms",
            "e2e_ms",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        for key in ["mean", "p50", "p90", "p95", "p99", "max"] {
            assert!(v["ttft_ms"][key].is_number(), "ttft_ms.{key}");
        }
        assert_eq!(v["ttft_ms"]["p50"], 150.0);
    }

    #[test]
    fn sweeps_print_one_row_per_level() {
        let levels: Vec<LevelSummary> =
            ordered([stats("concurrency=2", 5_000, 2), stats("concurrency=1", 0, 2)])
                .iter()
                .map(|s| s.summary(None))
                .collect();
        assert_eq!(levels[0].level, "concurrency=1");
        let mut json = Vec::new();
        write(&mut json, Format::Json, &levels, false).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["levels"].as_array().unwrap().len(), 2);
        let mut csv = Vec::new();
        write(&mut csv, Format::Csv, &levels, false).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert_eq!(csv.lines().count(), 3);
        assert!(csv.starts_with("level,requests,succeeded,errors,wall_s,"));
        assert!(csv.lines().next().unwrap().contains("ttft_ms_p50"));
        let t = table(&levels);
        assert!(t.contains("concurrency=1") && t.contains("concurrency=2") && t.contains("TTFT p99"), "{t}");
    }

    #[test]
    fn the_single_level_table_names_every_metric() {
        let t = table(&[stats("rate=10", 0, 4).summary(None)]);
        for word in ["TTFT", "TPOT", "ITL", "E2E", "requests/s", "output tokens/s", "150.00"] {
            assert!(t.contains(word), "{word} missing in\n{t}");
        }
    }

    #[test]
    fn record_files_merge_and_bad_lines_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.jsonl");
        let b = dir.path().join("b.jsonl");
        let line = |t0: u64, warmup: bool| {
            let mut r = sample(&[100, 200], 2);
            r.t0_us = t0;
            r.warmup = warmup;
            serde_json::to_string(&r).unwrap()
        };
        std::fs::write(&a, format!("{}\n{}\n", line(0, true), line(10, false))).unwrap();
        std::fs::write(&b, format!("\n{}\n", line(20, false))).unwrap();
        let levels = read_records(&[&a, &b], None).unwrap();
        assert_eq!(levels.len(), 1);
        assert_eq!(levels[0].requests, 2, "warmup skipped");
        std::fs::write(&b, "{\"level\":1}\n").unwrap();
        let err = read_records(&[&a, &b], None).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}:1: not a bench record", b.display())), "{err}");
        let err = read_records(&[dir.path().join("missing")], None).unwrap_err();
        assert_eq!(crate::error::exit_code_for(&err), 2);
    }
}
