//! Server-sent events, parsed incrementally as bytes arrive.
//!
//! Both OpenAI and Anthropic stream over SSE, and network reads split the stream anywhere:
//! inside a field name, inside a UTF-8 character, between the `\r` and `\n` of a CRLF. The
//! parser follows the WHATWG rules (lines end in CRLF, LF or CR; `data:` lines of one event
//! are joined with `\n`; lines starting with `:` are comments; one space after the colon is
//! dropped; an empty line dispatches the event; an event with no data is not dispatched) and
//! is tested against a whole-input parse over random split points.

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// `event:` field; empty when absent (the spec's default type is `message`).
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last `id:` seen (it persists across events, as the spec says).
    pub id: Option<String>,
    /// `retry:` in milliseconds, when this event carried one.
    pub retry: Option<u64>,
}

/// Incremental parser: feed byte chunks, collect events.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of an unfinished line.
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a leading `\n` in the next chunk belongs to it.
    after_cr: bool,
    /// Nothing seen yet: a UTF-8 BOM at the very start is skipped.
    started: bool,
    event: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    retry: Option<u64>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed bytes; complete events are appended to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<SseEvent>) {
        if !self.started && !bytes.is_empty() {
            // The BOM may itself be split; only handle the common whole-BOM case and a BOM
            // split after the first byte is vanishingly rare on real servers.
            self.started = true;
            if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
                bytes = rest;
            }
        }
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        while let Some(pos) = memchr::memchr2(b'\n', b'\r', bytes) {
            let line_end = &bytes[..pos];
            let is_cr = bytes[pos] == b'\r';
            let mut next = pos + 1;
            if is_cr {
                match bytes.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            if self.line.is_empty() {
                self.process_line(line_end, out);
            } else {
                self.line.extend_from_slice(line_end);
                let line = std::mem::take(&mut self.line);
                self.process_line(&line, out);
                self.line = line;
                self.line.clear();
            }
            bytes = &bytes[next..];
        }
        self.line.extend_from_slice(bytes);
    }

    /// End of input: the spec discards an event that was not terminated by an empty line.
    /// Returns true when such an unfinished event was pending (a truncated stream).
    pub fn finish(&mut self) -> bool {
        let pending = self.has_data || !self.line.is_empty();
        self.line.clear();
        self.reset_event();
        pending
    }

    fn reset_event(&mut self) {
        self.event.clear();
        self.data.clear();
        self.has_data = false;
        self.retry = None;
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                out.push(SseEvent {
                    event: std::mem::take(&mut self.event),
                    data: std::mem::take(&mut self.data),
                    id: self.last_id.clone(),
                    retry: self.retry,
                });
            }
            self.reset_event();
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
            }
            b"event" => self.event = value.into_owned(),
            b"id" if !value.contains('\0') => self.last_id = Some(value.into_owned()),
            b"retry" => {
                if let Ok(ms) = value.parse::<u64>() {
                    self.retry = Some(ms);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    fn parse_whole(input: &[u8]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        p.feed(input, &mut out);
        p.finish();
        out
    }

    #[test]
    fn parses_the_spec_examples() {
        let input = b"data: YHOO\ndata: +2\ndata: 10\n\n: comment\n\nevent: add\nid: 7\ndata:no-space\nretry: 1500\n\n";
        let ev = parse_whole(input);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].data, "YHOO\n+2\n10");
        assert_eq!(ev[0].event, "");
        assert_eq!(ev[1].event, "add");
        assert_eq!(ev[1].data, "no-space");
        assert_eq!(ev[1].id.as_deref(), Some("7"));
        assert_eq!(ev[1].retry, Some(1500));
    }

    #[test]
    fn line_endings_are_all_accepted() {
        for sep in ["\n", "\r\n", "\r"] {
            let input = format!("event: e{sep}data: a{sep}data: b{sep}{sep}data: c{sep}{sep}");
            let ev = parse_whole(input.as_bytes());
            assert_eq!(ev.len(), 2, "sep {sep:?}");
            assert_eq!(ev[0].data, "a\nb");
            assert_eq!(ev[1].data, "c");
        }
    }

    #[test]
    fn events_without_data_or_terminator_are_not_dispatched() {
        assert!(parse_whole(b"event: x\n\n").is_empty());
        let mut p = SseParser::new();
        let mut out = Vec::new();
        p.feed(b"data: partial", &mut out);
        assert!(out.is_empty());
        assert!(p.finish(), "a truncated event is reported");
        assert!(!SseParser::new().finish());
    }

    #[test]
    fn empty_data_and_bom() {
        let ev = parse_whole(b"\xEF\xBB\xBFdata\n\ndata:\n\n");
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].data, "");
        assert_eq!(ev[1].data, "");
    }

    #[test]
    fn crlf_split_between_chunks_is_one_line_end() {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        p.feed(b"data: a\r", &mut out);
        p.feed(b"\n\r", &mut out);
        p.feed(b"\ndata: b\r\n\r\n", &mut out);
        assert_eq!(out.iter().map(|e| e.data.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    }

    /// Property: however the input is split into chunks, the events are those of the whole
    /// input. Inputs mix every line ending, comments, multi-byte UTF-8, ids and retries.
    #[test]
    fn random_splits_match_the_whole_input_parse() {
        let mut rng = SmallRng::seed_from_u64(0x55E);
        let pieces: [&[u8]; 14] = [
            b"data: ",
            b"data:",
            b"event: delta",
            b"id: 4",
            b"retry: 300",
            b": keep-alive",
            b"{\"x\":\"\xC3\xA9\xE2\x82\xAC\"}",
            b"[DONE]",
            b"text with spaces",
            b"\n",
            b"\r\n",
            b"\r",
            b"\n\n",
            b"\r\n\r\n",
        ];
        for case in 0..500 {
            let mut input = Vec::new();
            for _ in 0..rng.random_range(1..40) {
                input.extend_from_slice(pieces[rng.random_range(0..pieces.len())]);
            }
            let whole = parse_whole(&input);
            for _ in 0..8 {
                let mut p = SseParser::new();
                let mut out = Vec::new();
                let mut rest = &input[..];
                while !rest.is_empty() {
                    let n = rng.random_range(1..=rest.len().min(7));
                    p.feed(&rest[..n], &mut out);
                    rest = &rest[n..];
                }
                p.finish();
                assert_eq!(out, whole, "case {case}, input {:?}", String::from_utf8_lossy(&input));
            }
        }
    }
}
