//! Engine benchmarks (internal; run by `benches/engine-pacing.sh` and
//! `benches/engine-overhead.sh`, results in `benches/engine.md`).
//!
//! ```text
//! cargo run --release --example engine_bench -- pacing   [--rpm R] [--tpm T] [--server-rpm R] [--server-tpm T] [--secs S] [-j N] [--max-tokens M]
//! cargo run --release --example engine_bench -- overhead [--secs S] [-j N]
//! ```
//!
//! The embedded mock runs on its own thread and runtime (2 workers), the client on another
//! runtime (2 workers), so client and server share the machine's cores as they would as two
//! processes. Every request goes through `Engine::execute`.

use std::time::{Duration, Instant};

use llmkit::cli::ProviderKind;
use llmkit::engine::{ChatRequest, Engine, EngineOptions, LedgerMode};
use llmkit::mock::{spawn_thread, MockConfig};
use llmkit::provider::ChatBody;
use llmkit::settings::{EndpointSettings, EngineSettings, KeySource};

struct Args {
    mode: String,
    rpm: Option<f64>,
    tpm: Option<f64>,
    server_rpm: Option<u32>,
    server_tpm: Option<u32>,
    secs: f64,
    jobs: usize,
    max_tokens: u64,
}

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mode = it.next().ok_or("usage: engine_bench pacing|overhead [flags]")?;
    let mut a = Args {
        mode,
        rpm: None,
        tpm: None,
        server_rpm: None,
        server_tpm: None,
        secs: 30.0,
        jobs: 64,
        max_tokens: 16,
    };
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<f64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--rpm" => a.rpm = Some(num(&v)?),
            "--tpm" => a.tpm = Some(num(&v)?),
            "--server-rpm" => a.server_rpm = Some(num(&v)? as u32),
            "--server-tpm" => a.server_tpm = Some(num(&v)? as u32),
            "--secs" => a.secs = num(&v)?,
            "-j" => a.jobs = num(&v)? as usize,
            "--max-tokens" => a.max_tokens = num(&v)? as u64,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(a)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse()?;
    let mock = spawn_thread(MockConfig {
        rpm: args.server_rpm,
        tpm: args.server_tpm,
        reply_tokens: 16,
        ..MockConfig::default()
    })?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(run(&args, mock.openai_base_url()))
}

async fn run(args: &Args, url: String) -> Result<(), Box<dyn std::error::Error>> {
    // BENCH_VERBOSE=1 shows every retry and its reason on stderr.
    let mut printer = llmkit::output::Printer::silent();
    printer.verbose = u8::from(std::env::var_os("BENCH_VERBOSE").is_some());
    let settings = EngineSettings {
        endpoints: vec![EndpointSettings {
            profile: "mock".into(),
            provider: ProviderKind::Openai,
            base_url: Some(url),
            key: KeySource::None,
            model: Some("gpt-4o-mini".into()),
            api_version: None,
            auth: Default::default(),
        }],
        rpm: args.rpm,
        tpm: args.tpm,
        concurrency: Some(args.jobs),
        max_retries: 10,
        timeout: Duration::from_secs(30),
        mock: false,
        record: None,
        ledger: None,
        cache: None,
        prices: None,
    };
    let engine = Engine::new(
        settings,
        EngineOptions { command: "bench", ledger: LedgerMode::Off, printer, ..EngineOptions::default() },
    )
    .await?;
    let mut body = ChatBody::user_prompt("", "Benchmark prompt: say something short.");
    body.max_tokens = Some(args.max_tokens);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(args.secs);
    let mut workers = Vec::new();
    for _ in 0..args.jobs {
        let (engine, body) = (engine.clone(), body.clone());
        workers.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            let mut failed = 0u64;
            while Instant::now() < deadline {
                let out = engine.execute(ChatRequest::new(body.clone())).await;
                if out.result.is_err() {
                    failed += 1;
                }
                if let Some(t) = out.record.sent {
                    sent.push(t);
                }
            }
            (sent, failed)
        }));
    }
    let mut sent = Vec::new();
    let mut failed = 0;
    for w in workers {
        let (s, f) = w.await?;
        sent.extend(s);
        failed += f;
    }
    let wall = start.elapsed().as_secs_f64();
    let totals = engine.totals();
    sent.sort();
    let in_window: Vec<f64> =
        sent.iter().map(|t| (*t - start).as_secs_f64()).filter(|t| *t < args.secs).collect();
    match args.mode.as_str() {
        "overhead" => {
            println!(
                "{{\"mode\":\"overhead\",\"jobs\":{},\"secs\":{:.2},\"completed\":{},\"failed\":{},\"req_per_s\":{:.0}}}",
                args.jobs,
                wall,
                totals.succeeded,
                failed,
                totals.succeeded as f64 / wall
            );
        }
        _ => {
            // Per-second counts after the first second (which holds the initial burst).
            let secs = args.secs.floor() as usize;
            let mut bins = vec![0u64; secs];
            for t in &in_window {
                let b = *t as usize;
                if b < secs {
                    bins[b] += 1;
                }
            }
            let steady = &bins[1..];
            let mean = steady.iter().sum::<u64>() as f64 / steady.len() as f64;
            // Largest count in any 1 s sliding window, and the bucket bound for it.
            let mut max_window = 0usize;
            let mut j = 0;
            for i in 0..in_window.len() {
                while in_window[i] - in_window[j] >= 1.0 {
                    j += 1;
                }
                max_window = max_window.max(i - j + 1);
            }
            // In any 1 s: the capacity (rpm/60) plus one second of refill; after the burst,
            // one second of refill (+1 for a window that holds both ends).
            let bound = args.rpm.map(|r| (r / 60.0 * 2.0).round());
            let steady_bound = args.rpm.map(|r| (r / 60.0 + 1.0).round());
            let mut max_steady = 0usize;
            let mut j = 0;
            let steady_times: Vec<f64> = in_window.iter().copied().filter(|t| *t >= 1.0).collect();
            for i in 0..steady_times.len() {
                while steady_times[i] - steady_times[j] >= 1.0 {
                    j += 1;
                }
                max_steady = max_steady.max(i - j + 1);
            }
            let report = serde_json::json!({
                "mode": "pacing",
                "client_rpm": args.rpm,
                "client_tpm": args.tpm,
                "server_rpm": args.server_rpm,
                "server_tpm": args.server_tpm,
                "secs": args.secs,
                "requests": totals.requests,
                "succeeded": totals.succeeded,
                "http_attempts": totals.requests + totals.retries,
                "answered_429": totals.rate_limited,
                "pct_429": 100.0 * totals.rate_limited as f64 / (totals.requests + totals.retries).max(1) as f64,
                "mean_per_s_after_1s": mean,
                "min_bin": steady.iter().min(),
                "max_bin": steady.iter().max(),
                "max_any_1s_window": max_window,
                "bucket_bound_1s": bound,
                "max_1s_window_after_burst": max_steady,
                "steady_bound": steady_bound,
                "final_concurrency": engine.concurrency_limit(),
            });
            println!("{report}");
        }
    }
    Ok(())
}
