//! Everything that prints: the [`Printer`] (quiet / verbose / TTY aware), report tables, CSV
//! and JSON writers, and progress bars. Commands print results to stdout through the writers
//! here and messages to stderr through the printer, so `-q`, `NO_COLOR` and pipes behave the
//! same everywhere.

pub mod progress;
pub mod table;

use std::io::{IsTerminal, Write};

use crate::cli::{Format, GlobalArgs};

/// Where messages for humans go. Results never go through here: they are written to stdout
/// by the command, so they stay clean when stderr is noisy and vice versa.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub quiet: bool,
    pub verbose: u8,
    /// stderr is a terminal (progress bars and colour only then).
    pub stderr_tty: bool,
    /// stdout is a terminal.
    pub stdout_tty: bool,
    /// Colour allowed (a terminal and no `NO_COLOR`).
    pub color: bool,
}

impl Printer {
    pub fn from_global(global: &GlobalArgs) -> Self {
        let stderr_tty = std::io::stderr().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Printer {
            quiet: global.quiet,
            verbose: global.verbose,
            stderr_tty,
            stdout_tty: std::io::stdout().is_terminal(),
            color: stderr_tty && !no_color,
        }
    }

    /// A printer that prints nothing to stderr (library use and tests).
    pub fn silent() -> Self {
        Printer { quiet: true, verbose: 0, stderr_tty: false, stdout_tty: false, color: false }
    }

    /// A status line for humans (hidden by `-q`).
    pub fn info(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    /// Detail shown with `-v`.
    pub fn verbose(&self, msg: impl std::fmt::Display) {
        if self.verbose > 0 {
            eprintln!("{msg}");
        }
    }

    /// A warning: always shown, even with `-q`, because it says something went wrong.
    pub fn warn(&self, msg: impl std::fmt::Display) {
        if self.color {
            eprintln!("\x1b[33mwarning:\x1b[0m {msg}");
        } else {
            eprintln!("warning: {msg}");
        }
    }

    /// Progress bars are drawn only on a terminal, never with `-q` or `--no-progress`.
    pub fn progress_enabled(&self, no_progress: bool) -> bool {
        self.stderr_tty && !self.quiet && !no_progress
    }
}

/// Write one JSON document (pretty when stdout is a terminal, compact otherwise) and a newline.
pub fn write_json<T: serde::Serialize>(out: &mut dyn Write, value: &T, pretty: bool) -> anyhow::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(&mut *out, value)?;
    } else {
        serde_json::to_writer(&mut *out, value)?;
    }
    out.write_all(b"\n")?;
    Ok(())
}

/// Write rows as CSV with a header line.
pub fn write_csv(out: &mut dyn Write, headers: &[&str], rows: &[Vec<String>]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(headers)?;
    for row in rows {
        w.write_record(row)?;
    }
    w.flush()?;
    Ok(())
}

/// Render rows in the chosen format. `json` is the caller's typed document because its shape
/// is part of the stable script interface (DESIGN.md "Stable outputs").
pub fn write_report<T: serde::Serialize>(
    out: &mut dyn Write,
    format: Format,
    headers: &[&str],
    rows: &[Vec<String>],
    json: &T,
    pretty: bool,
) -> anyhow::Result<()> {
    match format {
        Format::Table => {
            out.write_all(table::render(headers, rows).as_bytes())?;
            out.write_all(b"\n")?;
        }
        Format::Csv => write_csv(out, headers, rows)?,
        Format::Json | Format::Jsonl => write_json(out, json, pretty && format == Format::Json)?,
    }
    Ok(())
}

/// Render a one-record report given as `[name, value]` rows: a two-column table, a CSV with
/// the names as the header and one row of values, or the caller's typed JSON document.
pub fn write_key_values<T: serde::Serialize>(
    out: &mut dyn Write,
    format: Format,
    rows: &[Vec<String>],
    json: &T,
    pretty: bool,
) -> anyhow::Result<()> {
    if format != Format::Csv {
        return write_report(out, format, &["", "value"], rows, json, pretty);
    }
    let header: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let values: Vec<String> = rows.iter().map(|r| r[1].clone()).collect();
    write_csv(out, &header, &[values])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_fields_that_need_it() {
        let mut buf = Vec::new();
        write_csv(&mut buf, &["a", "b"], &[vec!["x,y".into(), "z".into()]]).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), "a,b\n\"x,y\",z\n");
    }

    #[test]
    fn report_formats_differ_as_documented() {
        let rows = vec![vec!["gpt-4o".to_string(), "12".to_string()]];
        let json = serde_json::json!({"rows": [{"model": "gpt-4o", "tokens": 12}]});
        let mut t = Vec::new();
        write_report(&mut t, Format::Table, &["model", "tokens"], &rows, &json, false).unwrap();
        let t = String::from_utf8(t).unwrap();
        assert!(t.contains("gpt-4o") && t.contains("model"), "{t}");
        let mut j = Vec::new();
        write_report(&mut j, Format::Json, &["model", "tokens"], &rows, &json, false).unwrap();
        assert_eq!(String::from_utf8(j).unwrap(), "{\"rows\":[{\"model\":\"gpt-4o\",\"tokens\":12}]}\n");
    }

    #[test]
    fn silent_printer_never_draws_progress() {
        assert!(!Printer::silent().progress_enabled(false));
    }
}
