//! Saved conversations: one JSON file per conversation under
//! `$XDG_DATA_HOME/llmkit/conversations`, so `-c`, `--cid` and `--session` can pick a thread
//! up again from any shell, and the files stay readable (and editable) by hand.
//!
//! Files are replaced atomically (write a temporary file in the same directory, flush, rename)
//! so a crash or Ctrl-C mid-write never leaves a truncated conversation behind. Long histories
//! are trimmed here too, oldest turns first, never the system prompt or the new question.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::message::{self, is_system, is_user, Message};
use crate::error::Error;
use crate::usage::Usage;

/// One conversation as stored on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    /// The `--session` name, when it was started as one (then `id == name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// RFC 3339 UTC.
    pub created: String,
    /// RFC 3339 UTC of the last exchange.
    pub updated: String,
    /// Model of the last exchange (reused when continuing without `-m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub messages: Vec<Message>,
    /// Token totals over every request of the conversation.
    #[serde(default)]
    pub usage: Usage,
    #[serde(default)]
    pub requests: u64,
}

impl Conversation {
    /// A new, empty conversation with a fresh id (or the session name as id).
    pub fn new(session: Option<&str>) -> Self {
        let now = now_rfc3339();
        let id = match session {
            Some(name) => name.to_string(),
            None => new_id(),
        };
        Conversation {
            id,
            name: session.map(str::to_string),
            created: now.clone(),
            updated: now,
            model: None,
            messages: Vec::new(),
            usage: Usage::default(),
            requests: 0,
        }
    }

    /// The first user message, shortened to one line (for `--list`).
    pub fn preview(&self, width: usize) -> String {
        let first = self.messages.iter().find(|m| is_user(m)).map(message::plain_text).unwrap_or_default();
        let line: String = first.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.chars().count() <= width {
            line
        } else {
            let cut: String = line.chars().take(width.saturating_sub(1)).collect();
            format!("{cut}…")
        }
    }

    /// Number of user turns.
    pub fn turns(&self) -> usize {
        self.messages.iter().filter(|m| is_user(m)).count()
    }

    pub fn touch(&mut self) {
        self.updated = now_rfc3339();
    }
}

/// A fresh id: UTC time (sorts by age) plus 4 random hex digits (unique within a second).
pub fn new_id() -> String {
    let now = jiff::Timestamp::now();
    format!("{}-{:04x}", now.strftime("%Y%m%d-%H%M%S"), rand::random::<u16>())
}

fn now_rfc3339() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Ids and session names become file names, so they are restricted to a safe alphabet (no
/// path separators, no leading dot).
pub fn check_id(id: &str, what: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} `{id}` must be 1-100 characters of a-z, A-Z, 0-9, -, _ or . (not starting with .)"
        ))
    }
}

/// The directory of conversation files.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: PathBuf) -> Self {
        Store { dir }
    }

    /// `$XDG_DATA_HOME/llmkit/conversations` (else `~/.local/share/...`).
    pub fn default_dir() -> Option<PathBuf> {
        crate::config::xdg_dir("XDG_DATA_HOME", ".local/share")
            .map(|d| d.join("llmkit").join("conversations"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Load a conversation by id; a missing one is a usage error that says how to list them.
    pub fn load(&self, id: &str) -> anyhow::Result<Conversation> {
        check_id(id, "conversation id").map_err(Error::usage)?;
        match self.read(&self.path(id))? {
            Some(c) => Ok(c),
            None => Err(Error::usage(format!("no conversation `{id}` (see `llmkit chat --list`)")).into()),
        }
    }

    /// Load the named session, or start it.
    pub fn session(&self, name: &str) -> anyhow::Result<Conversation> {
        check_id(name, "session name").map_err(Error::usage)?;
        Ok(self.read(&self.path(name))?.unwrap_or_else(|| Conversation::new(Some(name))))
    }

    /// The most recently written conversation.
    pub fn last(&self) -> anyhow::Result<Conversation> {
        let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
        for path in self.files()? {
            let Ok(modified) = std::fs::metadata(&path).and_then(|m| m.modified()) else { continue };
            if newest.as_ref().is_none_or(|(t, p)| (modified, &path) > (*t, p)) {
                newest = Some((modified, path));
            }
        }
        let Some((_, path)) = newest else {
            return Err(
                Error::usage("no saved conversation to continue (run `llmkit chat` once first)").into()
            );
        };
        self.read(&path)?
            .ok_or_else(|| Error::usage(format!("{} vanished while reading it", path.display())).into())
    }

    /// Every conversation file, newest first, plus the ones that could not be read (path and
    /// reason) so `--list` can warn without failing.
    pub fn list(&self) -> anyhow::Result<(Vec<Conversation>, Vec<String>)> {
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for path in self.files()? {
            match self.read(&path) {
                Ok(Some(c)) => good.push(c),
                Ok(None) => {}
                Err(e) => bad.push(format!("{e:#}")),
            }
        }
        good.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| b.id.cmp(&a.id)));
        Ok((good, bad))
    }

    /// Write atomically: temporary file in the same directory, fsync, rename over the old one.
    pub fn save(&self, conv: &Conversation) -> anyhow::Result<PathBuf> {
        use std::io::Write;
        check_id(&conv.id, "conversation id").map_err(Error::usage)?;
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", self.dir.display()))?;
        let path = self.path(&conv.id);
        let tmp = self.dir.join(format!(".{}.json.tmp-{}", conv.id, std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            serde_json::to_writer_pretty(&mut f, conv)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(anyhow::anyhow!("cannot save conversation {}: {e}", path.display()));
        }
        Ok(path)
    }

    fn files(&self) -> anyhow::Result<Vec<PathBuf>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", self.dir.display())),
        };
        let mut files = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".json") && !name.starts_with('.') {
                files.push(path);
            }
        }
        Ok(files)
    }

    /// `None` when the file does not exist.
    fn read(&self, path: &Path) -> anyhow::Result<Option<Conversation>> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::usage(format!("cannot read {}: {e}", path.display())).into()),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            Error::usage(format!("{}: line {}, column {}: {e}", path.display(), e.line(), e.column())).into()
        })
    }
}

/// What trimming removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trimmed {
    pub dropped_messages: usize,
    pub tokens_before: u64,
    pub tokens_after: u64,
}

/// Drop the oldest turns until `count(messages) <= budget`. A turn is a user message and the
/// assistant/tool messages after it, removed together so no tool result loses its call. System
/// messages and the last turn (the new question) are never removed; if those alone are over
/// budget the messages are left as they are and the server will say so.
///
/// `count` must be additive over messages plus a constant (as chat-format token counting is):
/// each turn is counted once, not the whole history once per dropped turn.
pub fn trim_to_budget(
    messages: &mut Vec<Message>,
    budget: u64,
    count: &dyn Fn(&[Message]) -> u64,
) -> Option<Trimmed> {
    let before = count(messages);
    if before <= budget {
        return None;
    }
    let base = count(&[]);
    // Turn boundaries among the non-system messages.
    let starts: Vec<usize> =
        messages.iter().enumerate().filter(|(_, m)| is_user(m)).map(|(i, _)| i).collect();
    let &last_start = starts.last()?;
    let mut total = before;
    let mut drop_until = None; // messages[..drop_until] minus system ones go
    for (k, &start) in starts.iter().enumerate() {
        if total <= budget || start == last_start {
            break;
        }
        let end = starts[k + 1];
        // Non-system messages before the first user message belong to the first turn.
        let from = if k == 0 { 0 } else { start };
        let turn: Vec<Message> = messages[from..end].iter().filter(|m| !is_system(m)).cloned().collect();
        total = total.saturating_sub(count(&turn).saturating_sub(base));
        drop_until = Some(end);
    }
    let until = drop_until?;
    let mut dropped = 0;
    let mut i = 0;
    messages.retain(|m| {
        let keep = i >= until || is_system(m);
        i += 1;
        if !keep {
            dropped += 1;
        }
        keep
    });
    Some(Trimmed { dropped_messages: dropped, tokens_before: before, tokens_after: count(messages) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("conversations"));
        (dir, store)
    }

    #[test]
    fn save_then_load_roundtrips_and_leaves_no_temp_files() {
        let (_d, store) = store();
        let mut c = Conversation::new(None);
        c.messages = vec![message::system("s"), message::user("q"), message::assistant("a")];
        c.model = Some("gpt-4o-mini".into());
        let path = store.save(&c).unwrap();
        assert!(path.ends_with(format!("{}.json", c.id)));
        assert_eq!(store.load(&c.id).unwrap(), c);
        let names: Vec<_> = std::fs::read_dir(store.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn last_is_the_most_recently_written() {
        let (_d, store) = store();
        let a = Conversation::new(Some("a"));
        let b = Conversation::new(Some("b"));
        store.save(&a).unwrap();
        store.save(&b).unwrap();
        // Make `a` newer on disk than `b` regardless of the clock's resolution.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(store.dir().join("a.json"))
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert_eq!(store.last().unwrap().id, "a");
    }

    #[test]
    fn missing_things_are_usage_errors() {
        let (_d, store) = store();
        let err = store.last().unwrap_err();
        assert!(err.to_string().contains("no saved conversation"), "{err}");
        let err = store.load("20260101-000000-abcd").unwrap_err();
        assert!(err.to_string().contains("llmkit chat --list"), "{err}");
        assert_eq!(crate::error::exit_code_for(&err), 2);
        let err = store.load("../etc/passwd").unwrap_err();
        assert!(err.to_string().contains("must be 1-100 characters"), "{err}");
        // A session that does not exist yet is started, named after itself.
        let s = store.session("work").unwrap();
        assert_eq!((s.id.as_str(), s.name.as_deref()), ("work", Some("work")));
        assert!(s.messages.is_empty());
    }

    #[test]
    fn list_is_newest_first_and_reports_broken_files() {
        let (_d, store) = store();
        let mut old = Conversation::new(Some("old"));
        old.updated = "2020-01-01T00:00:00Z".into();
        let new = Conversation::new(Some("new"));
        store.save(&old).unwrap();
        store.save(&new).unwrap();
        std::fs::write(store.dir().join("broken.json"), "{").unwrap();
        let (good, bad) = store.list().unwrap();
        let ids: Vec<_> = good.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["new", "old"]);
        assert_eq!(bad.len(), 1);
        assert!(bad[0].contains("broken.json: line 1"), "{}", bad[0]);
    }

    #[test]
    fn ids_are_sortable_and_safe() {
        let id = new_id();
        assert_eq!(id.len(), "20260101-000000-abcd".len(), "{id}");
        check_id(&id, "id").unwrap();
        assert!(check_id(".hidden", "id").is_err());
        assert!(check_id("a/b", "id").is_err());
    }

    #[test]
    fn preview_is_one_shortened_line() {
        let mut c = Conversation::new(None);
        c.messages = vec![message::system("sys"), message::user("hello\n  world, this is long")];
        assert_eq!(c.preview(100), "hello world, this is long");
        assert_eq!(c.preview(8), "hello w…");
        assert_eq!(c.turns(), 1);
    }

    /// A counter shaped like chat-format counting: 3 for the reply primer, 3 + words per message.
    fn words(msgs: &[Message]) -> u64 {
        3 + msgs.iter().map(|m| 3 + message::plain_text(m).split_whitespace().count() as u64).sum::<u64>()
    }

    fn history() -> Vec<Message> {
        vec![
            message::system("be brief"),
            message::user("one two three"),
            message::assistant("four five"),
            message::user("six"),
            message::assistant("seven eight nine ten"),
            message::user("the new question"),
        ]
    }

    #[test]
    fn trimming_drops_oldest_turns_and_keeps_system_and_question() {
        let mut m = history();
        let full = words(&m);
        assert_eq!(trim_to_budget(&mut m, full, &words), None, "fits: untouched");
        // Dropping the first turn (2 messages: 6 + 5 = 11 tokens) is enough.
        let t = trim_to_budget(&mut m, full - 5, &words).unwrap();
        assert_eq!(t, Trimmed { dropped_messages: 2, tokens_before: full, tokens_after: full - 11 });
        assert_eq!(m[0], message::system("be brief"));
        assert_eq!(m[1], message::user("six"));
        // Over budget even with only system + question: everything else goes, the rest stays.
        let mut m = history();
        let t = trim_to_budget(&mut m, 1, &words).unwrap();
        assert_eq!(t.dropped_messages, 4);
        assert_eq!(m, vec![message::system("be brief"), message::user("the new question")]);
    }

    #[test]
    fn trimming_keeps_tool_results_with_their_calls() {
        use crate::commands::chat::message::{FunctionCall, ToolCall};
        let call = ToolCall {
            id: "c".into(),
            kind: "function".into(),
            function: FunctionCall { name: "f".into(), arguments: "{}".into() },
        };
        let mut m = vec![
            message::user("q1"),
            message::assistant_reply("", vec![call]),
            message::tool_result("c", "result"),
            message::assistant("a1"),
            message::user("q2"),
        ];
        let budget = words(&m) - 1;
        let t = trim_to_budget(&mut m, budget, &words).unwrap();
        assert_eq!(t.dropped_messages, 4);
        assert_eq!(m, vec![message::user("q2")]);
    }
}
