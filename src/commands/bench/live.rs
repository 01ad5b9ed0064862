//! The live view on stderr: progress, current request rate, running TTFT (or E2E) p50/p99 and
//! errors, redrawn a few times a second. Drawn only on a terminal and never with `-q` or
//! `--no-progress`; when hidden it costs one branch per request.

use std::time::Duration;

use indicatif::ProgressBar;
use tokio::time::Instant;

use super::metrics::LevelStats;
use crate::output::{progress, Printer};

/// Redraw at most this often: percentiles walk the histogram, so not on every request.
const REDRAW: Duration = Duration::from_millis(250);

pub struct Live {
    bar: Option<ProgressBar>,
    level: String,
    last_draw: Instant,
    last_count: u64,
}

impl Live {
    pub fn new(printer: &Printer, no_progress: bool) -> Live {
        let enabled = printer.progress_enabled(no_progress);
        Live {
            bar: enabled.then(ProgressBar::hidden),
            level: String::new(),
            last_draw: Instant::now(),
            last_count: 0,
        }
    }

    /// Start drawing a new level (`requests` known for `-n` runs).
    pub fn start_level(&mut self, printer: &Printer, no_progress: bool, level: &str, requests: Option<u64>) {
        if let Some(old) = self.bar.take() {
            old.finish_and_clear();
            let template = match requests {
                Some(_) => "{spinner} [{elapsed_precise}] {bar:24} {pos}/{len} {wide_msg}",
                None => "{spinner} [{elapsed_precise}] {pos} done {wide_msg}",
            };
            let bar = progress::bar(printer, no_progress, requests, template);
            bar.enable_steady_tick(Duration::from_millis(200));
            self.bar = Some(bar);
        }
        self.level = level.to_string();
        self.last_draw = Instant::now();
        self.last_count = 0;
    }

    /// One more measured request finished.
    pub fn update(&mut self, stats: &LevelStats) {
        let Some(bar) = &self.bar else { return };
        bar.set_position(stats.requests);
        let now = Instant::now();
        let dt = now.saturating_duration_since(self.last_draw);
        if dt < REDRAW {
            return;
        }
        let rps = (stats.requests - self.last_count) as f64 / dt.as_secs_f64();
        let (name, lat) = if stats.ttft.count() > 0 { ("TTFT", &stats.ttft) } else { ("E2E", &stats.e2e) };
        let ms =
            |q| lat.quantile_us(q).map(|v| format!("{:.1}", v as f64 / 1000.0)).unwrap_or_else(|| "-".into());
        bar.set_message(format!(
            "{}  {rps:.1} req/s  {name} p50 {} p99 {} ms  errors {}",
            self.level,
            ms(0.5),
            ms(0.99),
            stats.errors
        ));
        self.last_draw = now;
        self.last_count = stats.requests;
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_without_a_terminal() {
        let p = Printer::silent();
        let mut live = Live::new(&p, false);
        live.start_level(&p, false, "concurrency=1", Some(10));
        live.update(&LevelStats::new("x"));
        assert!(live.bar.is_none());
        live.finish();
    }
}
