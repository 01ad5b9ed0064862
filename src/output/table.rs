//! Plain-text report tables (tabled), aligned for terminals and readable in CI logs.

use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::{Alignment, Style};

/// Render a table. Columns whose every cell parses as a number are right-aligned.
pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut builder = Builder::default();
    builder.push_record(headers.iter().copied());
    for row in rows {
        builder.push_record(row.iter().map(String::as_str));
    }
    let mut table = builder.build();
    table.with(Style::rounded());
    for col in 0..headers.len() {
        let numeric = !rows.is_empty() && rows.iter().all(|r| r.get(col).is_some_and(|c| looks_numeric(c)));
        if numeric {
            table.modify(Columns::one(col), Alignment::right());
        }
    }
    table.to_string()
}

fn looks_numeric(cell: &str) -> bool {
    let c = cell.trim().trim_start_matches('$').trim_end_matches('%').replace(',', "");
    !c.is_empty() && c.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_right_aligned() {
        let out = render(&["name", "n"], &[vec!["a".into(), "1".into()], vec!["bb".into(), "100".into()]]);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.iter().any(|l| l.contains("│   1 │")), "{out}");
        assert!(lines.iter().any(|l| l.contains("│ a    │")), "{out}");
    }

    #[test]
    fn money_and_percent_count_as_numbers() {
        assert!(looks_numeric("$1,234.50"));
        assert!(looks_numeric("12.5%"));
        assert!(!looks_numeric("gpt-4o"));
    }
}
