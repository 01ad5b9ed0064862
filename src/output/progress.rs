//! Progress bars on stderr (indicatif), drawn only when stderr is a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Printer;

/// A bar for `len` items (or a spinner when the length is unknown). Hidden, and free, when
/// progress is disabled, so callers never branch on it.
pub fn bar(printer: &Printer, no_progress: bool, len: Option<u64>, template: &str) -> ProgressBar {
    if !printer.progress_enabled(no_progress) {
        return ProgressBar::hidden();
    }
    let pb = match len {
        Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr_with_hz(10)),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10)),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_progress_is_hidden() {
        let pb = bar(&Printer::silent(), false, Some(10), "{bar}");
        assert!(pb.is_hidden());
    }
}
