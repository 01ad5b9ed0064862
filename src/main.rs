//! The `llmkit` binary: parse, run, map the result to an exit code. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;

/// jemalloc instead of the system allocator: loading a tokenizer's tables allocates ~60 MB in
/// one go, and with glibc's malloc a quarter of `llmkit tokens` on a 1 MB file was the kernel
/// faulting those pages in 4 KiB at a time. jemalloc asks for transparent huge pages (below).
#[cfg(unix)]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's compile-time options: back its memory with transparent huge pages where the
/// kernel allows them (`madvise` mode is the common default).
#[cfg(unix)]
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8] = b"thp:always,metadata_thp:auto\0";

fn main() -> ExitCode {
    let cli = llmkit::cli::Cli::parse();
    match llmkit::run(cli) {
        Ok(status) => status.into(),
        Err(err) if llmkit::error::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("llmkit: error: {err:#}");
            ExitCode::from(llmkit::error::exit_code_for(&err))
        }
    }
}
