//! Resume: what an earlier run already wrote, and the repairs that keep "exactly one line per
//! custom_id" true whatever moment an earlier run was killed at.
//!
//! The invariants, and why each step keeps them:
//! - A run only appends lines for ids that are absent from the output when it starts, and
//!   sends each id once, so a run never adds a second line for an id.
//! - A run killed mid-`write` can leave a torn last line (no trailing newline): it is cut off
//!   before anything else (`set_len` to just after the last newline), so that request is simply
//!   not done yet.
//! - `--retry-failed` (and any repair of a damaged file: unparsable lines, repeated ids) writes
//!   the lines to keep into `<output>.llmkit-tmp`, syncs it, and renames it over the output.
//!   `rename` is atomic: a kill before it leaves the old file intact (the stale tmp is removed
//!   on the next start), a kill after it leaves the new file. Either way every id still has at
//!   most one line; a failed id whose line was dropped is simply run again.
//! - An advisory lock (`flock`) on `<output>.lock` stops two runs from appending to the same
//!   output at once; the kernel releases it when a process dies, even by `kill -9`.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::ids::{digest, IdSet};
use super::input::{DoneLookup, LineReader};
use crate::error::Error;

/// Just enough of an output line to know its id and whether it succeeded.
#[derive(Deserialize)]
struct ScanLine {
    custom_id: Option<String>,
    response: Option<ScanResponse>,
    error: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct ScanResponse {
    status_code: u16,
}

impl ScanLine {
    fn is_success(&self) -> bool {
        self.error.is_none() && self.response.as_ref().is_some_and(|r| (200..300).contains(&r.status_code))
    }
}

/// The state of the output file when a run starts.
#[derive(Debug, Default)]
pub struct Existing {
    pub succeeded: IdSet,
    pub failed: IdSet,
    /// Lines in the file after repairs.
    pub lines: u64,
    /// Bytes of a torn last line that were cut off.
    pub torn_bytes: u64,
    /// Lines dropped by a rewrite: unparsable, repeated ids, or failures being retried.
    pub dropped_bad: u64,
    pub dropped_repeats: u64,
    pub dropped_failed: u64,
}

impl DoneLookup for Existing {
    fn succeeded(&self, id: &str) -> bool {
        self.succeeded.contains(id)
    }
    fn failed(&self, id: &str) -> bool {
        self.failed.contains(id)
    }
}

/// The temporary file a rewrite goes through.
pub fn tmp_path(output: &Path) -> PathBuf {
    sibling(output, "llmkit-tmp")
}

fn sibling(output: &Path, suffix: &str) -> PathBuf {
    let mut name = output.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".");
    name.push(suffix);
    output.with_file_name(name)
}

/// Held for the whole run; dropping it (or dying) releases the lock.
#[derive(Debug)]
pub struct OutputLock {
    _file: File,
}

/// Take the advisory lock on `<output>.lock`, or fail at once if another run holds it.
pub fn lock(output: &Path) -> anyhow::Result<OutputLock> {
    let path = sibling(output, "lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot create lock file {}", path.display()))?;
    #[cfg(unix)]
    {
        use rustix::fs::{flock, FlockOperation};
        if let Err(e) = flock(&file, FlockOperation::NonBlockingLockExclusive) {
            if e == rustix::io::Errno::WOULDBLOCK {
                return Err(Error::usage(format!(
                    "another llmkit batch is writing {} (lock {} is held)",
                    output.display(),
                    path.display()
                ))
                .into());
            }
            return Err(std::io::Error::from(e)).with_context(|| format!("locking {}", path.display()));
        }
    }
    Ok(OutputLock { _file: file })
}

/// Read the existing output (if any), repair it, and return what is already done. With
/// `retry_failed`, failed lines are removed (atomically) so their ids run again.
pub fn prepare(output: &Path, retry_failed: bool) -> anyhow::Result<Existing> {
    let tmp = tmp_path(output);
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("removing stale {}", tmp.display())),
    }
    if !output.exists() {
        return Ok(Existing::default());
    }
    let torn_bytes = repair_torn_tail(output)?;
    let scan = scan_output(output)?;
    let needs_rewrite =
        scan.bad > 0 || !scan.repeats.is_empty() || (retry_failed && !scan.existing.failed.is_empty());
    if !needs_rewrite {
        return Ok(Existing { torn_bytes, ..scan.existing });
    }
    let dropped = rewrite(output, &tmp, &scan, retry_failed)?;
    let rescan = scan_output(output)?;
    Ok(Existing {
        torn_bytes,
        dropped_bad: dropped.bad,
        dropped_repeats: dropped.repeats,
        dropped_failed: dropped.failed,
        ..rescan.existing
    })
}

/// What is done, without changing anything (for `--dry-run`): a torn or unreadable line
/// counts as not done, and with `retry_failed` failures count as not done.
pub fn inspect(output: &Path, retry_failed: bool) -> anyhow::Result<Existing> {
    if !output.exists() {
        return Ok(Existing::default());
    }
    let mut existing = scan_output(output)?.existing;
    if retry_failed {
        existing.failed = IdSet::new();
    }
    Ok(existing)
}

/// Cut a last line that has no newline (a write torn by a kill). Returns the bytes removed.
pub fn repair_torn_tail(path: &Path) -> anyhow::Result<u64> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {} to resume", path.display()))?;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(0);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(0);
    }
    // Walk back in blocks to the last newline.
    let mut end = len;
    let mut keep = 0;
    let mut block = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(block.len() as u64);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block[..n])?;
        if let Some(pos) = memchr::memrchr(b'\n', &block[..n]) {
            keep = start + pos as u64 + 1;
            break;
        }
        end = start;
    }
    file.set_len(keep).with_context(|| format!("truncating the torn last line of {}", path.display()))?;
    file.sync_all()?;
    Ok(len - keep)
}

struct OutputScan {
    existing: Existing,
    /// Unparsable lines, or lines without a custom_id.
    bad: u64,
    /// Digests of ids that occur on more than one line.
    repeats: Vec<u64>,
}

fn scan_output(path: &Path) -> anyhow::Result<OutputScan> {
    let mut existing = Existing::default();
    let mut all = IdSet::new();
    let mut bad = 0;
    let mut reader = LineReader::open(path)?;
    while let Some((_, raw)) = reader.next_line().with_context(|| format!("reading {}", path.display()))? {
        if raw.is_empty() {
            continue;
        }
        existing.lines += 1;
        match serde_json::from_slice::<ScanLine>(raw) {
            Ok(ScanLine { custom_id: Some(id), response, error }) => {
                let line = ScanLine { custom_id: None, response, error };
                let d = digest(&id);
                all.push_digest(d);
                if line.is_success() {
                    existing.succeeded.push_digest(d);
                } else {
                    existing.failed.push_digest(d);
                }
            }
            _ => bad += 1,
        }
    }
    let repeats = all.seal_returning_repeats();
    drop(all);
    existing.succeeded.seal();
    existing.failed.seal();
    Ok(OutputScan { existing, bad, repeats })
}

#[derive(Default)]
struct Dropped {
    bad: u64,
    repeats: u64,
    failed: u64,
}

/// Copy the lines to keep into `tmp`, then rename it over `output`. For an id on several lines
/// (a damaged or hand-merged file), the first success is kept, else the first failure.
fn rewrite(output: &Path, tmp: &Path, scan: &OutputScan, retry_failed: bool) -> anyhow::Result<Dropped> {
    let mut dropped = Dropped::default();
    // Exact per-id state, only for ids whose digest repeats: (kept a line, kept a success).
    let mut seen: HashMap<String, (bool, bool)> = HashMap::new();
    let mut out = std::io::BufWriter::new(
        File::create(tmp).with_context(|| format!("cannot create {}", tmp.display()))?,
    );
    let mut reader = LineReader::open(output)?;
    while let Some((_, raw)) = reader.next_line().with_context(|| format!("reading {}", output.display()))? {
        if raw.is_empty() {
            continue;
        }
        let Ok(ScanLine { custom_id: Some(id), response, error }) = serde_json::from_slice::<ScanLine>(raw)
        else {
            dropped.bad += 1;
            continue;
        };
        let success = ScanLine { custom_id: None, response, error }.is_success();
        if !success && retry_failed {
            dropped.failed += 1;
            continue;
        }
        let d = digest(&id);
        if scan.repeats.binary_search(&d).is_ok() {
            let any_success = scan.existing.succeeded.contains_digest(d);
            let state = seen.entry(id).or_insert((false, false));
            let keep = if success { !state.1 } else { !any_success && !state.0 };
            if !keep {
                dropped.repeats += 1;
                continue;
            }
            *state = (true, state.1 || success);
        }
        out.write_all(raw)?;
        out.write_all(b"\n")?;
    }
    let file =
        out.into_inner().map_err(|e| e.into_error()).with_context(|| format!("writing {}", tmp.display()))?;
    file.sync_all().with_context(|| format!("syncing {}", tmp.display()))?;
    drop(file);
    std::fs::rename(tmp, output)
        .with_context(|| format!("replacing {} with its rewritten copy", output.display()))?;
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Make the rename itself durable; best effort (not every filesystem allows it).
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(id: &str) -> String {
        format!(
            r#"{{"id":"x","custom_id":"{id}","response":{{"status_code":200,"request_id":"r","body":{{}}}},"error":null}}"#
        )
    }
    fn fail(id: &str) -> String {
        format!(
            r#"{{"id":"x","custom_id":"{id}","response":{{"status_code":500,"request_id":"r","body":{{}}}},"error":null}}"#
        )
    }
    fn dropped(id: &str) -> String {
        format!(
            r#"{{"id":"x","custom_id":"{id}","response":null,"error":{{"code":"connection_error","message":"m"}}}}"#
        )
    }

    fn ids_in(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<ScanLine>(l).unwrap().custom_id.unwrap())
            .collect()
    }

    #[test]
    fn missing_output_means_nothing_done() {
        let dir = tempfile::tempdir().unwrap();
        let e = prepare(&dir.path().join("none.jsonl"), false).unwrap();
        assert!(e.succeeded.is_empty() && e.failed.is_empty());
    }

    #[test]
    fn torn_last_line_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("o.jsonl");
        let torn = r#"{"id":"x","custom_id":"c","resp"#;
        let text = format!("{}\n{}\n{torn}", ok("a"), fail("b"));
        std::fs::write(&p, &text).unwrap();
        let e = prepare(&p, false).unwrap();
        assert_eq!(e.torn_bytes, torn.len() as u64);
        assert_eq!(e.lines, 2);
        assert!(e.succeeded("a") && e.failed("b") && !e.succeeded("c") && !e.failed("c"));
        assert!(std::fs::read_to_string(&p).unwrap().ends_with("}\n"));
        // A file that is one torn line becomes empty.
        std::fs::write(&p, "{\"id\":").unwrap();
        assert_eq!(repair_torn_tail(&p).unwrap(), 6);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 0);
    }

    #[test]
    fn torn_tail_longer_than_a_block_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("o.jsonl");
        let long = "y".repeat(200_000);
        std::fs::write(&p, format!("{}\n{long}", ok("a"))).unwrap();
        assert_eq!(repair_torn_tail(&p).unwrap(), 200_000);
        assert_eq!(ids_in(&p), ["a"]);
    }

    #[test]
    fn retry_failed_removes_failures_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("o.jsonl");
        std::fs::write(&p, format!("{}\n{}\n{}\n", ok("a"), fail("b"), dropped("c"))).unwrap();
        // Without --retry-failed nothing changes.
        let e = prepare(&p, false).unwrap();
        assert_eq!((e.succeeded.len(), e.failed.len()), (1, 2));
        assert_eq!(ids_in(&p), ["a", "b", "c"]);
        // A stale tmp from a rewrite killed half-way is removed, the output untouched.
        std::fs::write(tmp_path(&p), "half a rewr").unwrap();
        let e = prepare(&p, true).unwrap();
        assert!(!tmp_path(&p).exists());
        assert_eq!(e.dropped_failed, 2);
        assert_eq!((e.succeeded.len(), e.failed.len()), (1, 0));
        assert_eq!(ids_in(&p), ["a"]);
    }

    #[test]
    fn damaged_files_are_reduced_to_one_line_per_id() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("o.jsonl");
        let lines = [fail("a"), ok("a"), ok("a"), "garbage".into(), fail("b"), dropped("b"), ok("c")];
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
        let e = prepare(&p, false).unwrap();
        assert_eq!(e.dropped_bad, 1);
        assert_eq!(e.dropped_repeats, 3);
        assert_eq!(ids_in(&p), ["a", "b", "c"]);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.lines().next().unwrap().contains("200"), "the success of `a` is kept: {text}");
        assert!(e.succeeded("a") && e.failed("b") && e.succeeded("c"));
    }

    #[cfg(unix)]
    #[test]
    fn a_second_run_on_the_same_output_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("o.jsonl");
        let held = lock(&p).unwrap();
        let err = lock(&p).unwrap_err();
        assert!(err.to_string().contains("another llmkit batch"), "{err}");
        drop(held);
        assert!(lock(&p).is_ok());
    }
}
