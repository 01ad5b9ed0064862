//! `llmkit completions SHELL`, and the hidden generator of the committed `completions/` and
//! `man/` files. Generated files are regenerated, never edited; a test fails when they are stale.

use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::ExitStatus;
use crate::output::Printer;

/// The shells whose completions are committed under `completions/`.
pub const SHELLS: [Shell; 5] = [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell, Shell::Elvish];

pub fn print(shell: Shell) -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut Cli::command(), "llmkit", &mut out);
    Ok(ExitStatus::Success)
}

/// Every generated file as (relative path, contents).
pub fn generated_files() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for shell in SHELLS {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "llmkit", &mut buf);
        let name = match shell {
            Shell::Bash => "llmkit.bash",
            Shell::Zsh => "_llmkit",
            Shell::Fish => "llmkit.fish",
            Shell::PowerShell => "_llmkit.ps1",
            Shell::Elvish => "llmkit.elv",
            _ => continue,
        };
        files.push((format!("completions/{name}"), buf));
    }
    let mut cmd = Cli::command();
    cmd.build();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    files.push(("man/llmkit.1".to_string(), buf));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        let name = format!("llmkit-{}", sub.get_name());
        let sub = sub.clone().name(name.clone());
        let mut buf = Vec::new();
        clap_mangen::Man::new(sub).render(&mut buf)?;
        files.push((format!("man/{name}.1"), buf));
    }
    Ok(files)
}

pub fn generate_docs(out: &Path, printer: Printer) -> anyhow::Result<ExitStatus> {
    for (rel, contents) in generated_files()? {
        let path = out.join(&rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
        printer.info(format!("wrote {}", path.display()));
    }
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed completions and man pages must match the CLI. Regenerate with
    /// `cargo run -- generate-docs`.
    #[test]
    fn committed_docs_are_fresh() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut stale = Vec::new();
        for (rel, contents) in generated_files().unwrap() {
            match std::fs::read(root.join(&rel)) {
                Ok(on_disk) if on_disk == contents => {}
                _ => stale.push(rel),
            }
        }
        assert!(stale.is_empty(), "stale generated files (run `cargo run -- generate-docs`): {stale:?}");
    }

    #[test]
    fn every_visible_subcommand_gets_a_man_page() {
        let files = generated_files().unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"man/llmkit.1"));
        assert!(names.contains(&"man/llmkit-completions.1"));
        assert!(!names.iter().any(|n| n.contains("generate-docs")));
    }
}
