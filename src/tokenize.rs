//! Tokenizer encodings and the model -> encoding map.
//!
//! Counting uses `bpe-openai` for o200k_base and cl100k_base (linear time, faster than
//! tiktoken) and `tiktoken-rs` for the other encodings. All counts follow tiktoken's
//! `encode_ordinary`: special-token strings such as `<|endoftext|>` are plain text.
//!
//! Stable API used across the crate (other modules depend on these signatures):
//! [`Encoding::from_name`], [`Encoding::for_model`], [`Encoding::name`], [`Encoding::count`],
//! [`count_chat_request`], [`encoding_for_model_or_default`].

pub mod words;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;

/// A BPE encoding known to tiktoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    O200kBase,
    O200kHarmony,
    Cl100kBase,
    P50kBase,
    P50kEdit,
    R50kBase,
}

impl Encoding {
    pub const ALL: [Encoding; 6] = [
        Encoding::O200kBase,
        Encoding::O200kHarmony,
        Encoding::Cl100kBase,
        Encoding::P50kBase,
        Encoding::P50kEdit,
        Encoding::R50kBase,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::O200kHarmony => "o200k_harmony",
            Encoding::Cl100kBase => "cl100k_base",
            Encoding::P50kBase => "p50k_base",
            Encoding::P50kEdit => "p50k_edit",
            Encoding::R50kBase => "r50k_base",
        }
    }

    /// The encoding called `name` (tiktoken's names; `gpt2` is r50k_base under another name).
    pub fn from_name(name: &str) -> Option<Encoding> {
        if name == "gpt2" {
            return Some(Encoding::R50kBase);
        }
        Encoding::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The encoding OpenAI's `tiktoken` uses for `model` (the tables of tiktoken 0.14's
    /// `model.py`, exact names first, then prefixes in tiktoken's order), or `None` for models
    /// with no local tokenizer (Claude, Gemini, ...). Encoding names are accepted where a model
    /// is expected; provider prefixes (`openai/gpt-4o`, `azure/gpt-4o`) are ignored.
    pub fn for_model(model: &str) -> Option<Encoding> {
        let model = model.rsplit('/').next().unwrap_or(model);
        if let Some(e) = Encoding::from_name(model) {
            return Some(e);
        }
        if let Some((_, e)) = MODEL_TO_ENCODING.iter().find(|(m, _)| *m == model) {
            return Some(*e);
        }
        MODEL_PREFIX_TO_ENCODING.iter().find(|(p, _)| model.starts_with(p)).map(|(_, e)| *e)
    }

    /// Number of tokens in `text`, as tiktoken's `len(encode_ordinary(text))`.
    pub fn count(self, text: &str) -> usize {
        if let Some(ids) = self.encode_small(text) {
            return ids.len();
        }
        match self.backend() {
            Backend::Bpe(tok) => count_pieces(self, tok, text),
            Backend::Tiktoken(bpe) => bpe.encode_ordinary(text).len(),
        }
    }

    /// Like [`Encoding::count`], or, with `allow_special`, like tiktoken's
    /// `len(encode(text, allowed_special="all"))`: special-token strings cost one token each.
    pub fn count_text(self, text: &str, allow_special: bool) -> usize {
        if !allow_special {
            return self.count(text);
        }
        self.segments(text)
            .map(|seg| match seg {
                Segment::Text(t) => self.count(t),
                Segment::Special(_) => 1,
            })
            .sum()
    }

    /// Token ids of `text`: tiktoken's `encode_ordinary`, or `encode(allowed_special="all")`
    /// with `allow_special`.
    pub fn encode(self, text: &str, allow_special: bool) -> Vec<u32> {
        if !allow_special {
            return self.encode_ordinary(text);
        }
        let mut ids = Vec::with_capacity(text.len() / 3);
        for seg in self.segments(text) {
            match seg {
                Segment::Text(t) => ids.extend(self.encode_ordinary(t)),
                Segment::Special(id) => ids.push(id),
            }
        }
        ids
    }

    fn encode_ordinary(self, text: &str) -> Vec<u32> {
        if let Some(ids) = self.encode_small(text) {
            return ids;
        }
        match self.backend() {
            Backend::Bpe(tok) => tok.encode(text),
            Backend::Tiktoken(bpe) => bpe.encode_ordinary(text),
        }
    }

    /// The bytes of `ids` (special tokens decode to their strings). The bytes need not be valid
    /// UTF-8: a token can hold part of a character. Unknown ids are an error naming the id.
    pub fn decode_bytes(self, ids: &[u32]) -> Result<Vec<u8>, String> {
        let unknown = |id: u32| format!("token id {id} is not in {}", self.name());
        match self.backend() {
            Backend::Bpe(tok) => {
                let vocab = tok.bpe.num_tokens() as u32;
                let mut out = Vec::with_capacity(ids.len() * 4);
                for &id in ids {
                    if id < vocab {
                        out.extend_from_slice(tok.bpe.token_bytes(id));
                    } else {
                        let special = self.special_token_name(id).ok_or_else(|| unknown(id))?;
                        out.extend_from_slice(special.as_bytes());
                    }
                }
                Ok(out)
            }
            Backend::Tiktoken(bpe) => {
                // Decode one id at a time only to name the bad one.
                bpe.decode_bytes(ids).map_err(|_| {
                    let bad = ids.iter().find(|id| bpe.decode_bytes(&[**id]).is_err());
                    unknown(bad.copied().unwrap_or(u32::MAX))
                })
            }
        }
    }

    /// The id of a special-token string (`<|endoftext|>`), if this encoding has it.
    pub fn special_token_id(self, text: &str) -> Option<u32> {
        match self {
            Encoding::O200kBase => O200K_SPECIALS.iter().find(|(s, _)| *s == text).map(|(_, id)| *id),
            Encoding::Cl100kBase => CL100K_SPECIALS.iter().find(|(s, _)| *s == text).map(|(_, id)| *id),
            Encoding::O200kHarmony => harmony_special_id(text),
            Encoding::P50kEdit => P50K_EDIT_SPECIALS.iter().find(|(s, _)| *s == text).map(|(_, id)| *id),
            Encoding::P50kBase | Encoding::R50kBase => (text == ENDOFTEXT).then_some(50256),
        }
    }

    /// The string of a special token id, as tiktoken decodes it.
    pub fn special_token_name(self, id: u32) -> Option<Cow<'static, str>> {
        let table = match self {
            Encoding::O200kBase => O200K_SPECIALS,
            Encoding::Cl100kBase => CL100K_SPECIALS,
            Encoding::O200kHarmony => return harmony_special_name(id),
            Encoding::P50kEdit => P50K_EDIT_SPECIALS,
            Encoding::P50kBase | Encoding::R50kBase => &[(ENDOFTEXT, 50256)],
        };
        table.iter().find(|(_, i)| *i == id).map(|(s, _)| Cow::Borrowed(*s))
    }

    /// Split `text` into plain text and special tokens, the way tiktoken's `encode` does with
    /// `allowed_special="all"`: the leftmost special-token string wins.
    pub fn segments(self, text: &str) -> impl Iterator<Item = Segment<'_>> + '_ {
        Segments { enc: self, rest: text, pending: None }
    }

    /// Counting and encoding backends. o200k_harmony is o200k_base plus special tokens (same
    /// ranks, same pattern in tiktoken), so its plain text goes through the linear-time
    /// encoder too; only the legacy 50k encodings need tiktoken-rs.
    fn backend(self) -> Backend {
        // Once the linear-time tables are built, they are the faster choice for everything.
        SMALL_BUDGET.store(0, Ordering::Relaxed);
        match self {
            Encoding::O200kBase | Encoding::O200kHarmony => Backend::Bpe(bpe_openai::o200k_base()),
            Encoding::Cl100kBase => Backend::Bpe(bpe_openai::cl100k_base()),
            Encoding::P50kBase => Backend::Tiktoken(tiktoken_rs::p50k_base_singleton()),
            Encoding::P50kEdit => Backend::Tiktoken(tiktoken_rs::p50k_edit_singleton()),
            Encoding::R50kBase => Backend::Tiktoken(tiktoken_rs::r50k_base_singleton()),
        }
    }
}

/// Bytes of text the start-up-free small tokenizer may still take in this process. Small
/// inputs (a prompt, `echo hi`) never pay for building the linear-time tables; once more text
/// than this has come, building them is cheaper than merging on.
static SMALL_BUDGET: AtomicUsize = AtomicUsize::new(32 * 1024);
/// Texts longer than this always go to the linear-time tokenizer.
const SMALL_TEXT: usize = 8 * 1024;

impl Encoding {
    /// Plain-text tokens from the small tokenizer, when the text and the budget allow it.
    fn encode_small(self, text: &str) -> Option<Vec<u32>> {
        if text.len() > SMALL_TEXT {
            return None;
        }
        let small = match self {
            Encoding::O200kBase | Encoding::O200kHarmony => small::o200k,
            Encoding::Cl100kBase => small::cl100k,
            _ => return None,
        };
        SMALL_BUDGET
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(text.len()))
            .ok()?;
        let mut ids = Vec::with_capacity(text.len() / 3 + 1);
        small()?.encode(text, &mut ids)?;
        Some(ids)
    }
}

/// The pre-tokenizers of o200k_base and cl100k_base written out by hand for ASCII text.
///
/// On real text the regex split costs more than the byte-pair merge of memoized pieces; on
/// ASCII the patterns reduce to a few byte classes, and a direct scan is several times faster.
/// Each function returns where the piece starting at `i` ends, exactly as the pattern's first
/// matching alternative would (`b` must be all ASCII, and its end is treated as the end of
/// the text). Tests compare every piece with the regex on random and adversarial text.
mod ascii {
    fn is_space(c: u8) -> bool {
        matches!(c, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
    }

    fn is_newline(c: u8) -> bool {
        c == b'\r' || c == b'\n'
    }

    /// `[^\s\p{L}\p{N}]`: punctuation, symbols and control characters.
    fn is_punct(c: u8) -> bool {
        !is_space(c) && !c.is_ascii_alphanumeric()
    }

    /// `[^\r\n\p{L}\p{N}]`: what may precede a word in the same piece.
    fn is_word_prefix(c: u8) -> bool {
        !is_newline(c) && !c.is_ascii_alphanumeric()
    }

    fn run(b: &[u8], mut i: usize, class: impl Fn(u8) -> bool) -> usize {
        while i < b.len() && class(b[i]) {
            i += 1;
        }
        i
    }

    /// Length of a contraction (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`, any case) at `i`.
    fn contraction(b: &[u8], i: usize) -> usize {
        if b.get(i) != Some(&b'\'') {
            return 0;
        }
        let lower = |k: usize| b.get(i + k).map(u8::to_ascii_lowercase);
        match (lower(1), lower(2)) {
            (Some(b's' | b't' | b'm' | b'd'), _) => 2,
            (Some(b'r'), Some(b'e')) | (Some(b'v'), Some(b'e')) | (Some(b'l'), Some(b'l')) => 3,
            _ => 0,
        }
    }

    /// Whitespace handling shared by both patterns after their own `\s*[\r\n]` rule.
    fn whitespace_tail(b: &[u8], i: usize, end: usize) -> usize {
        if end == b.len() || end - i == 1 {
            end // `\s+(?!\S)` at the end of text, or the single-character `\s+` / `\s`
        } else {
            end - 1 // `\s+(?!\S)`: the last space goes with what follows
        }
    }

    pub fn o200k_piece_end(b: &[u8], i: usize) -> usize {
        let c = b[i];
        // [^\r\n\p{L}\p{N}]?[\p{Lu}...]*[\p{Ll}...]+ | [^\r\n\p{L}\p{N}]?[\p{Lu}...]+[\p{Ll}...]*
        let letters = if c.is_ascii_alphabetic() {
            Some(i)
        } else if is_word_prefix(c) && b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            Some(i + 1)
        } else {
            None
        };
        if let Some(start) = letters {
            let upper_end = run(b, start, |x| x.is_ascii_uppercase());
            let lower_end = run(b, upper_end, |x| x.is_ascii_lowercase());
            return lower_end + contraction(b, lower_end);
        }
        if c.is_ascii_digit() {
            return run(b, i, |x| x.is_ascii_digit()).min(i + 3);
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
        let p = if c == b' ' { i + 1 } else { i };
        if b.get(p).is_some_and(|&x| is_punct(x)) {
            let end = run(b, p, is_punct);
            return run(b, end, |x| is_newline(x) || x == b'/');
        }
        // Whitespace: `\s*[\r\n]+`, then `\s+(?!\S)`, then `\s+`.
        let end = run(b, i, is_space);
        if let Some(last) = b[i..end].iter().rposition(|&x| is_newline(x)) {
            return i + last + 1;
        }
        whitespace_tail(b, i, end)
    }

    pub fn cl100k_piece_end(b: &[u8], i: usize) -> usize {
        let c = b[i];
        let n = contraction(b, i);
        if n > 0 {
            return i + n;
        }
        // [^\r\n\p{L}\p{N}]?+\p{L}++
        if c.is_ascii_alphabetic() {
            return run(b, i, |x| x.is_ascii_alphabetic());
        }
        if is_word_prefix(c) && b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            return run(b, i + 1, |x| x.is_ascii_alphabetic());
        }
        if c.is_ascii_digit() {
            return run(b, i, |x| x.is_ascii_digit()).min(i + 3);
        }
        // ` ?[^\s\p{L}\p{N}]++[\r\n]*+`
        let p = if c == b' ' { i + 1 } else { i };
        if b.get(p).is_some_and(|&x| is_punct(x)) {
            let end = run(b, p, is_punct);
            return run(b, end, is_newline);
        }
        // Whitespace: `\s++$`, then `\s*[\r\n]`, then `\s+(?!\S)`, then `\s`.
        let end = run(b, i, is_space);
        if end == b.len() {
            return end;
        }
        if let Some(last) = b[i..end].iter().rposition(|&x| is_newline(x)) {
            return i + last + 1;
        }
        whitespace_tail(b, i, end)
    }
}

/// Calls `f` with every pre-tokenizer piece of `text`, using the hand-written ASCII scanner for
/// stretches of ASCII and the regex elsewhere. Stretches are cut at [split points](is_split_point),
/// where pieces cannot cross, so the pieces are exactly the regex's pieces of the whole text.
fn for_each_piece(enc: Encoding, tok: &bpe_openai::Tokenizer, text: &str, mut f: impl FnMut(&str)) {
    let piece_end = match enc {
        Encoding::O200kBase | Encoding::O200kHarmony => ascii::o200k_piece_end,
        Encoding::Cl100kBase => ascii::cl100k_piece_end,
        _ => {
            tok.split(text).for_each(f);
            return;
        }
    };
    fn ascii_pieces(
        text: &str,
        from: usize,
        to: usize,
        piece_end: fn(&[u8], usize) -> usize,
        f: &mut impl FnMut(&str),
    ) {
        let seg = &text.as_bytes()[from..to];
        let mut i = 0;
        while i < seg.len() {
            let end = piece_end(seg, i);
            f(&text[from + i..from + end]);
            i = end;
        }
    }
    let b = text.as_bytes();
    let mut pos = 0;
    while pos < b.len() {
        let Some(q) = b[pos..].iter().position(|&x| x >= 0x80).map(|k| pos + k) else {
            ascii_pieces(text, pos, b.len(), piece_end, &mut f);
            return;
        };
        // ASCII up to the last split point before the first non-ASCII byte.
        if let Some(p) = (pos + 1..q).rev().find(|&p| is_split_point(b, p)) {
            ascii_pieces(text, pos, p, piece_end, &mut f);
            pos = p;
        }
        // The regex from there to the first split point after it.
        let end = (q + 1..b.len()).find(|&p| is_split_point(b, p)).unwrap_or(b.len());
        tok.split(&text[pos..end]).for_each(&mut f);
        pos = end;
    }
}

/// Pieces at most this long have their counts remembered (longer ones rarely repeat).
const MEMO_PIECE: usize = 32;
/// Entries per thread and vocabulary before the memo starts over (a few MB at most).
const MEMO_ENTRIES: usize = 1 << 15;

thread_local! {
    /// Token counts of recently seen pieces, per thread, one map per vocabulary (o200k and its
    /// harmony variant share one). Text repeats its words, so most pieces are found here and
    /// skip the byte-pair merge: about half the counting time on real text. Exact by
    /// construction: the count of a piece depends only on its bytes.
    static PIECE_MEMO: std::cell::RefCell<[PieceMemo; 2]> = std::cell::RefCell::new(Default::default());
}

type PieceMemo = std::collections::HashMap<Box<[u8]>, u32, std::hash::BuildHasherDefault<FxHasher>>;

/// Count `text` piece by piece with the linear-time encoder, remembering short pieces.
fn count_pieces(enc: Encoding, tok: &bpe_openai::Tokenizer, text: &str) -> usize {
    let slot = usize::from(enc == Encoding::Cl100kBase);
    PIECE_MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        let memo = &mut memo[slot];
        let mut n = 0usize;
        for_each_piece(enc, tok, text, |piece| {
            let bytes = piece.as_bytes();
            if bytes.len() >= PARALLEL_PIECE {
                n += encode_long_piece(&tok.bpe, piece).len();
                return;
            }
            if bytes.len() > MEMO_PIECE {
                n += tok.bpe.count(bytes);
                return;
            }
            if let Some(&c) = memo.get(bytes) {
                n += c as usize;
                return;
            }
            let c = tok.bpe.count(bytes);
            if memo.len() >= MEMO_ENTRIES {
                memo.clear();
            }
            memo.insert(bytes.into(), c as u32);
            n += c;
        });
        n
    })
}

/// Pieces at least this long are encoded in parallel by [`encode_long_piece`]. Ordinary text
/// has no such pieces; text without spaces or punctuation (CJK, base64, minified data) is one.
const PARALLEL_PIECE: usize = 64 * 1024;

/// The byte-pair encoding of one long piece, using every rayon thread.
///
/// The piece is cut into segments at character boundaries, each is encoded on its own, and
/// the seams are repaired. Exact, by the property the linear-time encoder itself rests on: a
/// token sequence is *the* encoding of its text if and only if every pair of neighbours is
/// compatible (re-encoding the two tokens' bytes gives back the same two tokens). Inside a
/// segment that holds; at a seam it is checked, and when it fails the tokens on both sides of
/// the seam are re-encoded together, over a window that doubles until both new seams are
/// compatible (at worst the whole piece, which is then simply the sequential encoding).
fn encode_long_piece(bpe: &bpe_openai::byte_pair_encoding::BytePairEncoding, piece: &str) -> Vec<u32> {
    let parts = rayon::current_num_threads().min(piece.len() / (PARALLEL_PIECE / 2)).max(1);
    encode_in_parts(bpe, piece, parts)
}

/// [`encode_long_piece`] with the number of segments chosen by the caller (tests use many).
fn encode_in_parts(
    bpe: &bpe_openai::byte_pair_encoding::BytePairEncoding,
    piece: &str,
    parts: usize,
) -> Vec<u32> {
    if parts <= 1 {
        return bpe.encode_via_backtracking(piece.as_bytes());
    }
    let mut cuts = vec![0];
    for k in 1..parts {
        let mut at = piece.len() * k / parts;
        while !piece.is_char_boundary(at) {
            at += 1;
        }
        if at > *cuts.last().unwrap_or(&0) && at < piece.len() {
            cuts.push(at);
        }
    }
    cuts.push(piece.len());
    let segments: Vec<Vec<u32>> = {
        use rayon::prelude::*;
        cuts.par_windows(2).map(|w| bpe.encode_via_backtracking(&piece.as_bytes()[w[0]..w[1]])).collect()
    };
    let mut segments = segments.into_iter();
    let mut out = segments.next().unwrap_or_default();
    for right in segments {
        stitch(bpe, &mut out, right);
    }
    out
}

/// Append `right` (the encoding of the text after `left`'s) to `left`, repairing the seam.
fn stitch(bpe: &bpe_openai::byte_pair_encoding::BytePairEncoding, left: &mut Vec<u32>, right: Vec<u32>) {
    let compatible = |a: u32, b: u32| {
        let mut bytes = bpe.token_bytes(a).to_vec();
        bytes.extend_from_slice(bpe.token_bytes(b));
        bpe.encode_via_backtracking(&bytes) == [a, b]
    };
    let (Some(&last), Some(&first)) = (left.last(), right.first()) else {
        left.extend(right);
        return;
    };
    if compatible(last, first) {
        left.extend(right);
        return;
    }
    let mut k = 1;
    loop {
        let i = left.len().saturating_sub(k);
        let j = k.min(right.len());
        let mut window = Vec::new();
        for &t in left[i..].iter().chain(&right[..j]) {
            window.extend_from_slice(bpe.token_bytes(t));
        }
        let middle = bpe.encode_via_backtracking(&window);
        let left_ok = i == 0 || middle.first().is_some_and(|&m| compatible(left[i - 1], m));
        let right_ok = j == right.len() || middle.last().is_some_and(|&m| compatible(m, right[j]));
        if (left_ok && right_ok) || (i == 0 && j == right.len()) {
            left.truncate(i);
            left.extend(middle);
            left.extend_from_slice(&right[j..]);
            return;
        }
        k *= 2;
    }
}

/// A small, fast, non-cryptographic hasher for short byte strings (the multiply-rotate scheme
/// of rustc's FxHasher); the memo's keys are not attacker-chosen in any way that matters.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

enum Backend {
    Bpe(&'static bpe_openai::Tokenizer),
    Tiktoken(&'static tiktoken_rs::CoreBPE),
}

/// A piece of text as tiktoken's `encode(allowed_special="all")` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    Special(u32),
}

struct Segments<'a> {
    enc: Encoding,
    rest: &'a str,
    pending: Option<(u32, usize)>,
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    fn next(&mut self) -> Option<Segment<'a>> {
        if let Some((id, len)) = self.pending.take() {
            self.rest = &self.rest[len..];
            return Some(Segment::Special(id));
        }
        if self.rest.is_empty() {
            return None;
        }
        // Every special token has the form `<|...|>`: look for the next `<|` and check whether
        // a special token starts there.
        let mut from = 0;
        while let Some(pos) = memchr::memmem::find(&self.rest.as_bytes()[from..], b"<|") {
            let start = from + pos;
            if let Some(end) = memchr::memmem::find(&self.rest.as_bytes()[start + 2..], b"|>") {
                let candidate = &self.rest[start..start + 2 + end + 2];
                if let Some(id) = self.enc.special_token_id(candidate) {
                    let text = &self.rest[..start];
                    self.rest = &self.rest[start..];
                    if text.is_empty() {
                        self.rest = &self.rest[candidate.len()..];
                        return Some(Segment::Special(id));
                    }
                    self.pending = Some((id, candidate.len()));
                    return Some(Segment::Text(text));
                }
            }
            from = start + 1;
        }
        let text = self.rest;
        self.rest = "";
        Some(Segment::Text(text))
    }
}

const ENDOFTEXT: &str = "<|endoftext|>";
const O200K_SPECIALS: &[(&str, u32)] = &[(ENDOFTEXT, 199999), ("<|endofprompt|>", 200018)];
const CL100K_SPECIALS: &[(&str, u32)] = &[
    (ENDOFTEXT, 100257),
    ("<|fim_prefix|>", 100258),
    ("<|fim_middle|>", 100259),
    ("<|fim_suffix|>", 100260),
    ("<|endofprompt|>", 100276),
];
const P50K_EDIT_SPECIALS: &[(&str, u32)] =
    &[(ENDOFTEXT, 50256), ("<|fim_prefix|>", 50281), ("<|fim_middle|>", 50282), ("<|fim_suffix|>", 50283)];
/// o200k_harmony's named special tokens; every other id in 200000..201088 is `<|reserved_ID|>`.
const HARMONY_NAMED: &[(&str, u32)] = &[
    ("<|startoftext|>", 199998),
    (ENDOFTEXT, 199999),
    ("<|return|>", 200002),
    ("<|constrain|>", 200003),
    ("<|channel|>", 200005),
    ("<|start|>", 200006),
    ("<|end|>", 200007),
    ("<|message|>", 200008),
    ("<|call|>", 200012),
];
const HARMONY_RESERVED: std::ops::Range<u32> = 200000..201088;

fn harmony_special_id(text: &str) -> Option<u32> {
    if let Some((_, id)) = HARMONY_NAMED.iter().find(|(s, _)| *s == text) {
        return Some(*id);
    }
    // tiktoken builds harmony's table on top of o200k_base's, so `<|endofprompt|>` stays.
    if text == "<|endofprompt|>" {
        return Some(200018);
    }
    let id: u32 = text.strip_prefix("<|reserved_")?.strip_suffix("|>")?.parse().ok()?;
    (HARMONY_RESERVED.contains(&id) && harmony_special_name(id).is_some_and(|n| n == text)).then_some(id)
}

fn harmony_special_name(id: u32) -> Option<Cow<'static, str>> {
    if let Some((s, _)) = HARMONY_NAMED.iter().find(|(_, i)| *i == id) {
        return Some(Cow::Borrowed(*s));
    }
    HARMONY_RESERVED.contains(&id).then(|| Cow::Owned(format!("<|reserved_{id}|>")))
}

/// tiktoken's `MODEL_TO_ENCODING` (tiktoken 0.14 `model.py`).
const MODEL_TO_ENCODING: &[(&str, Encoding)] = &[
    ("o1", Encoding::O200kBase),
    ("o3", Encoding::O200kBase),
    ("o4-mini", Encoding::O200kBase),
    ("gpt-5", Encoding::O200kBase),
    ("gpt-4.1", Encoding::O200kBase),
    ("gpt-4o", Encoding::O200kBase),
    ("gpt-4", Encoding::Cl100kBase),
    ("gpt-3.5-turbo", Encoding::Cl100kBase),
    ("gpt-3.5", Encoding::Cl100kBase),
    ("gpt-35-turbo", Encoding::Cl100kBase),
    ("davinci-002", Encoding::Cl100kBase),
    ("babbage-002", Encoding::Cl100kBase),
    ("text-embedding-ada-002", Encoding::Cl100kBase),
    ("text-embedding-3-small", Encoding::Cl100kBase),
    ("text-embedding-3-large", Encoding::Cl100kBase),
    ("text-davinci-003", Encoding::P50kBase),
    ("text-davinci-002", Encoding::P50kBase),
    ("text-davinci-001", Encoding::R50kBase),
    ("text-curie-001", Encoding::R50kBase),
    ("text-babbage-001", Encoding::R50kBase),
    ("text-ada-001", Encoding::R50kBase),
    ("davinci", Encoding::R50kBase),
    ("curie", Encoding::R50kBase),
    ("babbage", Encoding::R50kBase),
    ("ada", Encoding::R50kBase),
    ("code-davinci-002", Encoding::P50kBase),
    ("code-davinci-001", Encoding::P50kBase),
    ("code-cushman-002", Encoding::P50kBase),
    ("code-cushman-001", Encoding::P50kBase),
    ("davinci-codex", Encoding::P50kBase),
    ("cushman-codex", Encoding::P50kBase),
    ("text-davinci-edit-001", Encoding::P50kEdit),
    ("code-davinci-edit-001", Encoding::P50kEdit),
    ("text-similarity-davinci-001", Encoding::R50kBase),
    ("text-similarity-curie-001", Encoding::R50kBase),
    ("text-similarity-babbage-001", Encoding::R50kBase),
    ("text-similarity-ada-001", Encoding::R50kBase),
    ("text-search-davinci-doc-001", Encoding::R50kBase),
    ("text-search-curie-doc-001", Encoding::R50kBase),
    ("text-search-babbage-doc-001", Encoding::R50kBase),
    ("text-search-ada-doc-001", Encoding::R50kBase),
    ("code-search-babbage-code-001", Encoding::R50kBase),
    ("code-search-ada-code-001", Encoding::R50kBase),
    // tiktoken's `gpt2` encoding has exactly r50k_base's ranks, pattern and special token.
    ("gpt2", Encoding::R50kBase),
    ("gpt-2", Encoding::R50kBase),
];

/// tiktoken's `MODEL_PREFIX_TO_ENCODING`, in tiktoken's order (the first match wins).
const MODEL_PREFIX_TO_ENCODING: &[(&str, Encoding)] = &[
    ("o1-", Encoding::O200kBase),
    ("o3-", Encoding::O200kBase),
    ("o4-mini-", Encoding::O200kBase),
    ("gpt-5", Encoding::O200kBase),
    ("gpt-4.5-", Encoding::O200kBase),
    ("gpt-4.1-", Encoding::O200kBase),
    ("chatgpt-4o-", Encoding::O200kBase),
    ("gpt-4o-", Encoding::O200kBase),
    ("gpt-4-", Encoding::Cl100kBase),
    ("gpt-3.5-turbo-", Encoding::Cl100kBase),
    ("gpt-35-turbo-", Encoding::Cl100kBase),
    ("gpt-oss-", Encoding::O200kHarmony),
    ("ft:gpt-4o", Encoding::O200kBase),
    ("ft:gpt-4", Encoding::Cl100kBase),
    ("ft:gpt-3.5-turbo", Encoding::Cl100kBase),
    ("ft:davinci-002", Encoding::Cl100kBase),
    ("ft:babbage-002", Encoding::Cl100kBase),
];

/// Families of models whose tokenizer is not available locally, and the encoding whose count
/// stands in for theirs. The stand-in is the count itself, unscaled: we have no way to
/// calibrate a factor offline, and a made-up factor would look more precise than it is.
/// Llama 3 uses a 128k vocabulary whose first 100k tokens are cl100k_base's, so cl100k is its
/// closest stand-in; the others use o200k_base, the largest OpenAI vocabulary, whose counts on
/// English text are typically within some tens of percent of other modern tokenizers'.
const ESTIMATED_FAMILIES: &[(&str, Encoding)] = &[
    ("llama", Encoding::Cl100kBase),
    ("claude", Encoding::O200kBase),
    ("gemini", Encoding::O200kBase),
    ("gemma", Encoding::O200kBase),
    ("mistral", Encoding::O200kBase),
    ("mixtral", Encoding::O200kBase),
    ("ministral", Encoding::O200kBase),
    ("magistral", Encoding::O200kBase),
    ("codestral", Encoding::O200kBase),
    ("devstral", Encoding::O200kBase),
    ("pixtral", Encoding::O200kBase),
    ("command", Encoding::O200kBase),
    ("deepseek", Encoding::O200kBase),
    ("qwen", Encoding::O200kBase),
    ("qwq", Encoding::O200kBase),
    ("grok", Encoding::O200kBase),
    ("phi-", Encoding::O200kBase),
    ("kimi", Encoding::O200kBase),
    ("glm", Encoding::O200kBase),
    ("nova", Encoding::O200kBase),
    ("jamba", Encoding::O200kBase),
    ("sonar", Encoding::O200kBase),
];

/// For a model with no local tokenizer, the encoding whose count is used as an estimate and
/// the family that matched (`claude`, `gemini`, ...). `None` for models we do not recognise.
pub fn estimate_encoding_for_model(model: &str) -> Option<(Encoding, &'static str)> {
    let m = model.to_ascii_lowercase();
    ESTIMATED_FAMILIES.iter().find(|(family, _)| m.contains(family)).map(|(f, e)| (*e, *f))
}

/// Context window (input + output tokens) of well-known models, longest prefix first.
///
/// A stop-gap: the price table (`pricing`, LiteLLM's `max_input_tokens`) is the real source and
/// replaces this when it is wired in. Kept small and to figures published by the providers.
const BUILTIN_CONTEXT_WINDOWS: &[(&str, u64)] = &[
    ("gpt-5-chat", 128_000),
    ("gpt-5", 400_000),
    ("gpt-4.1", 1_047_576),
    ("gpt-4.5", 128_000),
    ("gpt-4o", 128_000),
    ("chatgpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-4-1106", 128_000),
    ("gpt-4-0125", 128_000),
    ("gpt-4-32k", 32_768),
    ("gpt-4", 8_192),
    ("gpt-3.5-turbo-instruct", 4_096),
    ("gpt-3.5-turbo", 16_385),
    ("gpt-oss", 131_072),
    ("o1-mini", 128_000),
    ("o1-preview", 128_000),
    ("o1", 200_000),
    ("o3", 200_000),
    ("o4-mini", 200_000),
    ("text-embedding", 8_191),
    ("claude", 200_000),
    ("gemini-1.5-pro", 2_097_152),
    ("gemini-1.5-flash", 1_048_576),
    ("gemini-2", 1_048_576),
];

/// The context window of `model` from the built-in table (provider prefixes ignored), or
/// `None` when the model is not in it.
pub fn builtin_context_window(model: &str) -> Option<u64> {
    let model = model.rsplit('/').next().unwrap_or(model);
    BUILTIN_CONTEXT_WINDOWS
        .iter()
        .filter(|(prefix, _)| model.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, n)| *n)
}

/// A tokenizer for small inputs that needs no start-up work, so that `echo hi | llmkit tokens`
/// does not pay the tens of milliseconds `bpe-openai` spends building its tables.
///
/// It is tiktoken's reference algorithm: split with the encoding's pattern, then merge the
/// lowest-ranked adjacent pair until none is left. Ranks are looked up in place in
/// `data/<encoding>.vocab` (tokens sorted by bytes, front-coded in blocks; generated by
/// `scripts/gen-vocab-tables.py` from OpenAI's files). Merging is quadratic in the length of a
/// piece, so callers use it only for small texts and it declines pieces longer than
/// [`MAX_PIECE`]; the linear-time encoder takes over from there. Tests check that both give
/// the same tokens.
mod small {
    use std::sync::OnceLock;

    use regex_automata::meta::Regex;
    use regex_automata::{Anchored, Input};

    /// Longest piece merged here (quadratic work beyond this is the other encoder's job).
    pub const MAX_PIECE: usize = 1024;

    /// The pre-tokenizer patterns of tiktoken without look-around (which regex-automata does not
    /// have): `\s+(?!\S)` becomes `\s+$` (at the end of text) plus `\s+\s` whose last character
    /// is given back, which matches the same text; cl100k's possessive quantifiers are dropped,
    /// which cannot change these matches. The same rewrite as the `bpe-openai` crate's.
    const O200K_PATTERN: &str = concat!(
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        r"|\p{N}{1,3}",
        r"| ?[^\s\p{L}\p{N}]+[\r\n/]*",
        r"|\s*[\r\n]+",
        r"|\s+$",
    );
    const CL100K_PATTERN: &str = concat!(
        r"(?i:'s|'t|'re|'ve|'m|'ll|'d)",
        r"|[^\r\n\p{L}\p{N}]?\p{L}+",
        r"|\p{N}{1,3}",
        r"| ?[^\s\p{L}\p{N}]+[\r\n]*",
        r"|\s*[\r\n]+",
        r"|\s+$",
    );
    /// The second pattern's last character is a look-ahead and is given back.
    const LOOKAHEAD: &str = r"\s+\s";
    const REST: &str = r"\s+";

    static O200K_VOCAB: &[u8] = include_bytes!("../data/o200k_base.vocab");
    static CL100K_VOCAB: &[u8] = include_bytes!("../data/cl100k_base.vocab");

    pub struct Small {
        vocab: Vocab,
        pre: Regex,
    }

    pub fn o200k() -> Option<&'static Small> {
        static CELL: OnceLock<Option<Small>> = OnceLock::new();
        CELL.get_or_init(|| Small::new(O200K_VOCAB, O200K_PATTERN)).as_ref()
    }

    pub fn cl100k() -> Option<&'static Small> {
        static CELL: OnceLock<Option<Small>> = OnceLock::new();
        CELL.get_or_init(|| Small::new(CL100K_VOCAB, CL100K_PATTERN)).as_ref()
    }

    impl Small {
        fn new(vocab: &'static [u8], pattern: &str) -> Option<Small> {
            Some(Small {
                vocab: Vocab::parse(vocab)?,
                pre: Regex::new_many(&[pattern, LOOKAHEAD, REST]).ok()?,
            })
        }

        /// Tokens of `text` passed to `out`, or `None` (nothing passed) when a piece is too long
        /// for this encoder.
        pub fn encode(&self, text: &str, out: &mut Vec<u32>) -> Option<()> {
            let start = out.len();
            let mut at = 0;
            let mut parts: Vec<(usize, u32)> = Vec::new();
            while at < text.len() {
                let m = self.pre.find(Input::new(&text[at..]).anchored(Anchored::Yes));
                let Some(m) = m else {
                    // Every character matches some pattern, so this does not happen; refuse
                    // rather than guess.
                    out.truncate(start);
                    return None;
                };
                let mut end = at + m.end();
                if m.pattern().as_usize() == 1 {
                    let last = text[at..end].chars().next_back().map_or(0, char::len_utf8);
                    end -= last;
                }
                if end == at || end - at > MAX_PIECE {
                    out.truncate(start);
                    return None;
                }
                if !self.merge(&text.as_bytes()[at..end], &mut parts, out) {
                    out.truncate(start);
                    return None;
                }
                at = end;
            }
            Some(())
        }

        /// tiktoken's byte-pair merge of one piece.
        fn merge(&self, piece: &[u8], parts: &mut Vec<(usize, u32)>, out: &mut Vec<u32>) -> bool {
            if let Some(rank) = self.vocab.rank(piece) {
                out.push(rank);
                return true;
            }
            let rank_of = |parts: &[(usize, u32)], i: usize| -> u32 {
                if i + 3 < parts.len() {
                    self.vocab.rank(&piece[parts[i].0..parts[i + 3].0]).unwrap_or(u32::MAX)
                } else {
                    u32::MAX
                }
            };
            parts.clear();
            for i in 0..piece.len() - 1 {
                parts.push((i, self.vocab.rank(&piece[i..i + 2]).unwrap_or(u32::MAX)));
            }
            parts.push((piece.len() - 1, u32::MAX));
            parts.push((piece.len(), u32::MAX));
            while let Some((i, &(_, min))) =
                parts[..parts.len() - 1].iter().enumerate().min_by_key(|(_, (_, r))| *r)
            {
                if min == u32::MAX {
                    break;
                }
                parts[i].1 = rank_of(parts, i);
                if i > 0 {
                    parts[i - 1].1 = rank_of(parts, i - 1);
                }
                parts.remove(i + 1);
            }
            for w in parts.windows(2) {
                match self.vocab.rank(&piece[w[0].0..w[1].0]) {
                    Some(r) => out.push(r),
                    None => return false,
                }
            }
            true
        }
    }

    /// The in-place token table (see `scripts/gen-vocab-tables.py` for the format).
    struct Vocab {
        offsets: &'static [u8],
        entries: &'static [u8],
        blocks: usize,
        block_size: usize,
    }

    fn u32_at(b: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
    }

    impl Vocab {
        fn parse(bytes: &'static [u8]) -> Option<Vocab> {
            if bytes.get(..4)? != b"LKV1" {
                return None;
            }
            let blocks = u32_at(bytes, 8)? as usize;
            let block_size = u32_at(bytes, 12)? as usize;
            let offsets = bytes.get(16..16 + 4 * blocks)?;
            let entries = bytes.get(16 + 4 * blocks..)?;
            Some(Vocab { offsets, entries, blocks, block_size })
        }

        fn block_start(&self, b: usize) -> usize {
            u32_at(self.offsets, 4 * b).unwrap_or(u32::MAX) as usize
        }

        /// The first token of block `b` (stored whole).
        fn first_key(&self, b: usize) -> &'static [u8] {
            let at = self.block_start(b);
            let len = self.entries.get(at + 1).copied().unwrap_or(0) as usize;
            self.entries.get(at + 2..at + 2 + len).unwrap_or(&[])
        }

        fn rank(&self, key: &[u8]) -> Option<u32> {
            // The last block whose first token is <= key.
            let (mut lo, mut hi) = (0, self.blocks);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if self.first_key(mid) <= key {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            let block = lo.checked_sub(1)?;
            let mut at = self.block_start(block);
            let mut current = [0u8; 256];
            for _ in 0..self.block_size {
                let shared = *self.entries.get(at)? as usize;
                let len = *self.entries.get(at + 1)? as usize;
                let suffix = self.entries.get(at + 2..at + 2 + len)?;
                current[shared..shared + len].copy_from_slice(suffix);
                let token = &current[..shared + len];
                let rank_bytes = self.entries.get(at + 2 + len..at + 5 + len)?;
                match token.cmp(key) {
                    std::cmp::Ordering::Equal => {
                        return Some(u32::from_le_bytes([rank_bytes[0], rank_bytes[1], rank_bytes[2], 0]));
                    }
                    std::cmp::Ordering::Greater => return None,
                    std::cmp::Ordering::Less => {}
                }
                at += 5 + len;
            }
            None
        }
    }
}

/// The encoding to count `model`'s text with, and whether that count is exact.
///
/// Models tiktoken knows map to their encoding (`exact = true`). Any other model (Claude,
/// Gemini, Llama, a typo) is counted with o200k_base and `exact = false`: the number is an
/// estimate. No model at all means the default encoding, o200k_base, counted exactly.
pub fn encoding_for_model_or_default(model: Option<&str>) -> (Encoding, bool) {
    match model {
        None => (Encoding::O200kBase, true),
        Some(m) => match Encoding::for_model(m) {
            Some(e) => (e, true),
            None => (Encoding::O200kBase, false),
        },
    }
}

/// Prompt size and output budget of one chat request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChatCount {
    /// Tokens the prompt will cost, chat overhead and tool definitions included.
    pub prompt_tokens: u64,
    /// `max_completion_tokens`, else `max_tokens` (else `max_output_tokens`), when the request
    /// sets one.
    pub max_output_tokens: Option<u64>,
}

/// Tokens every message costs on top of its fields (`<|start|>{role}<|message|>...<|end|>`:
/// the role itself is counted as text).
pub const TOKENS_PER_MESSAGE: u64 = 3;
/// Extra token for a message that carries `name`.
pub const TOKENS_PER_NAME: u64 = 1;
/// Every reply is primed with `<|start|>assistant<|message|>`.
pub const REPLY_PRIMER_TOKENS: u64 = 3;
/// Estimate for one image part. The real cost depends on the image size, which a request that
/// only holds a URL does not tell: 85 is OpenAI's cost of a `detail: low` image, 765 the cost of
/// a 1024x1024 image at high detail (85 + 4 tiles of 170), used for `high`/`auto`.
pub const IMAGE_TOKENS_LOW: u64 = 85;
pub const IMAGE_TOKENS_HIGH: u64 = 765;

/// Count a chat request the way OpenAI's cookbook ("How to count tokens with tiktoken") does:
/// 3 tokens per message plus the text of every string field of it (role, content, name, ...),
/// 1 more per `name`, 3 for the reply primer; text parts of multi-part content; tool calls by
/// function name and arguments; tool definitions as described at [`count_tools`].
///
/// Accepts OpenAI chat bodies, Anthropic Messages bodies (`system`, content blocks), Responses
/// bodies (`instructions`, `input`) and the batch shorthand `{"prompt": "..."}` (one user
/// message). This function never fails: a body that does not have the shape of a request is
/// counted as its JSON text, which is what a server would at worst have to read. Use
/// [`try_count_chat_request`] to learn why a body is malformed.
pub fn count_chat_request(enc: Encoding, body: &serde_json::Value) -> ChatCount {
    match try_count_chat_request(enc, body) {
        Ok(count) => count,
        Err(_) => ChatCount { prompt_tokens: enc.count(&body.to_string()) as u64, max_output_tokens: None },
    }
}

/// [`count_chat_request`] that says what is wrong with a malformed body (one line, for
/// reports such as `file:line: reason`).
pub fn try_count_chat_request(enc: Encoding, body: &serde_json::Value) -> Result<ChatCount, String> {
    if !body.is_object() {
        return Err("a request must be a JSON object".into());
    }
    let req: ChatRequestView<'_> = serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        }
    })?;
    // A message we build from a top-level field (Anthropic `system`, Responses `instructions`
    // and `input` text, the batch `prompt` shorthand) costs what the same message would.
    let synthetic = |role: &str, content: &ContentView<'_>| -> u64 {
        TOKENS_PER_MESSAGE + enc.count(role) as u64 + content.count(enc)
    };
    let mut n = 0u64;
    let mut messages = req.messages.len();
    if let Some(system) = &req.system {
        n += synthetic("system", system);
        messages += 1;
    }
    if let Some(instructions) = &req.instructions {
        n += synthetic("developer", &ContentView::Text(instructions.clone()));
        messages += 1;
    }
    n += req.messages.iter().map(|m| m.count(enc)).sum::<u64>();
    match &req.input {
        Some(InputView::Text(t)) => {
            n += synthetic("user", &ContentView::Text(t.clone()));
            messages += 1;
        }
        Some(InputView::Items(items)) => {
            n += items.iter().map(|m| m.count(enc)).sum::<u64>();
            messages += items.len();
        }
        None => {}
    }
    if req.messages.is_empty() && req.input.is_none() {
        let prompts: Vec<&Cow<'_, str>> = match &req.prompt {
            Some(PromptView::Text(t)) => vec![t],
            Some(PromptView::Many(ts)) => ts.iter().collect(),
            None => Vec::new(),
        };
        for t in prompts {
            n += synthetic("user", &ContentView::Text(t.clone()));
            messages += 1;
        }
    }
    if messages == 0 {
        return Err("no messages: expected `messages`, `input`, `prompt` or `system`".into());
    }
    n += REPLY_PRIMER_TOKENS;
    let mut functions: Vec<FunctionView<'_>> = Vec::new();
    for t in req.tools {
        match t {
            ToolView::OpenAi { function } => functions.push(function),
            ToolView::Bare(f) => functions.push(f),
        }
    }
    functions.extend(req.functions);
    n += count_tools(enc, &functions);
    let max_output_tokens = req.max_completion_tokens.or(req.max_tokens).or(req.max_output_tokens);
    Ok(ChatCount { prompt_tokens: n, max_output_tokens })
}

/// Tool (function) definitions, after the cookbook's `num_tokens_for_tools`, which OpenAI fitted
/// to what the API bills: per function `func_init` (7 for o200k models, 10 for cl100k ones) plus
/// the text `name:description` (a final `.` dropped); when it has properties, 3 more, and per
/// top-level property 3 plus `key:type:description`, an enum costing 3 per item plus the item
/// text minus 3 once; 12 at the end when there is any function.
///
/// Approximation beyond the cookbook (which ignores them): nested schemas (`properties` or
/// `items` inside a property) are counted as their compact JSON text, and a property whose type
/// is a list (`["string","null"]`) writes the types joined by `,`.
fn count_tools(enc: Encoding, functions: &[FunctionView<'_>]) -> u64 {
    const PROP_INIT: i64 = 3;
    const PROP_KEY: i64 = 3;
    const ENUM_INIT: i64 = -3;
    const ENUM_ITEM: i64 = 3;
    const FUNC_END: i64 = 12;
    if functions.iter().all(|f| f.name.is_none()) {
        return 0;
    }
    let func_init: i64 = match enc {
        Encoding::O200kBase | Encoding::O200kHarmony => 7,
        _ => 10,
    };
    let count = |s: &str| enc.count(s) as i64;
    let mut n: i64 = 0;
    for f in functions {
        let Some(name) = &f.name else { continue };
        n += func_init;
        let desc = f.description.as_deref().unwrap_or("");
        n += count(&format!("{name}:{}", desc.strip_suffix('.').unwrap_or(desc)));
        let props = f.parameters.as_ref().or(f.input_schema.as_ref()).map(|p| &p.properties);
        if let Some(props) = props.filter(|p| !p.is_empty()) {
            n += PROP_INIT;
            for (key, prop) in props {
                n += PROP_KEY;
                if let Some(items) = &prop.enum_values {
                    n += ENUM_INIT;
                    for item in items {
                        n += ENUM_ITEM;
                        n += match item {
                            serde_json::Value::String(s) => count(s),
                            other => count(&other.to_string()),
                        };
                    }
                }
                let ty = match &prop.ty {
                    Some(TypeView::One(t)) => t.to_string(),
                    Some(TypeView::Many(ts)) => ts.join(","),
                    None => String::new(),
                };
                let desc = prop.description.as_deref().unwrap_or("");
                n += count(&format!("{key}:{ty}:{}", desc.strip_suffix('.').unwrap_or(desc)));
                for nested in [&prop.properties, &prop.items].into_iter().flatten() {
                    n += count(&nested.to_string());
                }
            }
        }
    }
    n += FUNC_END;
    n.max(0) as u64
}

/// Read-only view of a chat request: only the fields that cost prompt tokens. Unknown fields
/// are ignored; strings are borrowed from the caller's JSON.
#[derive(Debug, Deserialize)]
struct ChatRequestView<'a> {
    #[serde(default, borrow)]
    messages: Vec<MessageView<'a>>,
    #[serde(default, borrow)]
    system: Option<ContentView<'a>>,
    #[serde(default, borrow)]
    instructions: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    input: Option<InputView<'a>>,
    #[serde(default, borrow)]
    prompt: Option<PromptView<'a>>,
    #[serde(default, borrow)]
    tools: Vec<ToolView<'a>>,
    #[serde(default, borrow)]
    functions: Vec<FunctionView<'a>>,
    #[serde(default)]
    max_completion_tokens: Option<u64>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a string or an array of messages")]
enum InputView<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Items(#[serde(borrow)] Vec<MessageView<'a>>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a string or an array of strings")]
enum PromptView<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Many(#[serde(borrow)] Vec<Cow<'a, str>>),
}

/// One message. Every string field counts (the cookbook encodes every value of the message),
/// so fields we do not name are collected in `other` and the strings among them counted.
#[derive(Debug, Deserialize)]
struct MessageView<'a> {
    #[serde(default, borrow)]
    content: Option<ContentView<'a>>,
    #[serde(default, borrow)]
    tool_calls: Vec<ToolCallView<'a>>,
    #[serde(default, borrow)]
    function_call: Option<FunctionCallView<'a>>,
    #[serde(flatten, borrow)]
    other: BTreeMap<Cow<'a, str>, FieldView<'a>>,
}

impl MessageView<'_> {
    fn count(&self, enc: Encoding) -> u64 {
        let mut n = TOKENS_PER_MESSAGE;
        n += self.content.as_ref().map_or(0, |c| c.count(enc));
        for call in &self.tool_calls {
            if let Some(f) = &call.function {
                n += f.count(enc);
            }
        }
        if let Some(f) = &self.function_call {
            n += f.count(enc);
        }
        for (key, value) in &self.other {
            if let FieldView::Text(s) = value {
                n += enc.count(s) as u64;
                if key == "name" {
                    n += TOKENS_PER_NAME;
                }
            }
        }
        n
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "any JSON value")]
enum FieldView<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Other(serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a string or an array of content parts")]
enum ContentView<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Parts(#[serde(borrow)] Vec<PartView<'a>>),
}

impl ContentView<'_> {
    fn count(&self, enc: Encoding) -> u64 {
        match self {
            ContentView::Text(t) => enc.count(t) as u64,
            ContentView::Parts(parts) => parts.iter().map(|p| p.count(enc)).sum(),
        }
    }
}

/// A content part: OpenAI (`text`, `input_text`, `output_text`, `image_url`, `input_image`)
/// and Anthropic (`text`, `image`, `tool_use`, `tool_result`) blocks. Parts with no text that we
/// cannot size (audio, files) count 0.
#[derive(Debug, Deserialize)]
struct PartView<'a> {
    #[serde(default, rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    image_url: Option<ImageUrlView<'a>>,
    #[serde(default, borrow)]
    detail: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    input: Option<serde_json::Value>,
    #[serde(default, borrow)]
    content: Option<ContentView<'a>>,
}

impl PartView<'_> {
    fn count(&self, enc: Encoding) -> u64 {
        let mut n = self.text.as_ref().map_or(0, |t| enc.count(t) as u64);
        match self.kind.as_deref() {
            Some("image_url" | "input_image" | "image") => {
                let detail = match &self.image_url {
                    Some(ImageUrlView::Object { detail, .. }) => detail.as_deref(),
                    _ => self.detail.as_deref(),
                };
                n += if detail == Some("low") { IMAGE_TOKENS_LOW } else { IMAGE_TOKENS_HIGH };
            }
            Some("tool_use") => {
                n += self.name.as_ref().map_or(0, |s| enc.count(s) as u64);
                n += self.input.as_ref().map_or(0, |v| enc.count(&v.to_string()) as u64);
            }
            _ => {}
        }
        n + self.content.as_ref().map_or(0, |c| c.count(enc))
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a URL string or an object with `url`")]
enum ImageUrlView<'a> {
    Object {
        #[serde(default, borrow)]
        detail: Option<Cow<'a, str>>,
    },
    Url(#[allow(dead_code)] serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
struct ToolCallView<'a> {
    #[serde(default, borrow)]
    function: Option<FunctionCallView<'a>>,
}

#[derive(Debug, Deserialize)]
struct FunctionCallView<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    arguments: Option<Cow<'a, str>>,
}

impl FunctionCallView<'_> {
    fn count(&self, enc: Encoding) -> u64 {
        [&self.name, &self.arguments].into_iter().flatten().map(|s| enc.count(s) as u64).sum()
    }
}

/// `{"type": "function", "function": {...}}` (OpenAI) or a bare function (Anthropic tools,
/// Responses tools, legacy `functions`).
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a tool definition object")]
enum ToolView<'a> {
    OpenAi {
        #[serde(borrow)]
        function: FunctionView<'a>,
    },
    Bare(#[serde(borrow)] FunctionView<'a>),
}

/// A function definition, as far as its cost goes.
#[derive(Debug, Deserialize)]
struct FunctionView<'a> {
    /// Built-in tools (`{"type": "web_search"}`) have no name and cost nothing here.
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    description: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    parameters: Option<SchemaView<'a>>,
    #[serde(default, borrow)]
    input_schema: Option<SchemaView<'a>>,
}

#[derive(Debug, Deserialize)]
struct SchemaView<'a> {
    #[serde(default, borrow)]
    properties: BTreeMap<Cow<'a, str>, PropertyView<'a>>,
}

#[derive(Debug, Deserialize)]
struct PropertyView<'a> {
    #[serde(default, rename = "type", borrow)]
    ty: Option<TypeView<'a>>,
    #[serde(default, borrow)]
    description: Option<Cow<'a, str>>,
    #[serde(default, rename = "enum")]
    enum_values: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    properties: Option<serde_json::Value>,
    #[serde(default)]
    items: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a type name or an array of type names")]
enum TypeView<'a> {
    One(#[serde(borrow)] Cow<'a, str>),
    Many(#[serde(borrow)] Vec<Cow<'a, str>>),
}

/// Where text can be cut so that counting the two sides separately gives the count of the
/// whole (for every encoding here): `p` is a split point when the character before it is an
/// ASCII letter, an ASCII digit, or a CJK ideograph, kana or Hangul syllable (all `\p{L}`), and
/// the byte at `p` is ASCII and cannot continue that character's pre-tokenizer piece.
///
/// Why this is safe: in every tiktoken pattern a letter belongs only to a letter piece
/// (`[^\r\n\p{L}\p{N}]?\p{L}+`-like, or a contraction `'s`), which can only go on with another
/// letter, a mark (`\p{M}`, o200k) or an apostrophe; a digit belongs only to a digit piece
/// (`\p{N}{1,3}`), which only goes on with a digit. So the piece holding the character before `p`
/// ends at `p`, whatever follows. Nothing in the patterns looks behind, so the pieces from `p`
/// on are the same alone; and no match attempt before `p` can read past that character (every
/// alternative that reaches it stops there, and `$`/`(?!\S)` only apply to whitespace runs,
/// which cannot end at `p`), so the pieces before `p` are the same alone. BPE works within a
/// piece, hence equal tokens. Text without such points (1 GB of CJK with no ASCII in it) has
/// no cut point: the chunk reader then holds the whole run, as it must.
pub fn is_split_point(text: &[u8], p: usize) -> bool {
    if p == 0 || p >= text.len() {
        return false;
    }
    let next = text[p];
    if !next.is_ascii() {
        return false;
    }
    let prev = text[p - 1];
    if prev.is_ascii_alphabetic() {
        return !next.is_ascii_alphabetic() && next != b'\'';
    }
    if prev.is_ascii_digit() {
        return !next.is_ascii_digit();
    }
    // A 3-byte UTF-8 character ending at p: CJK ideographs, kana and Hangul are letters (Lo).
    if prev >= 0x80 && p >= 3 {
        if let Ok(s) = std::str::from_utf8(&text[p - 3..p]) {
            if let Some(c) = s.chars().next() {
                let cp = c as u32;
                let letter = (0x4E00..=0x9FEF).contains(&cp)
                    || (0x3041..=0x3096).contains(&cp)
                    || (0x30A1..=0x30FA).contains(&cp)
                    || (0xAC00..=0xD7A3).contains(&cp);
                return letter && !next.is_ascii_alphabetic() && next != b'\'';
            }
        }
    }
    false
}

/// True when `p` is inside something that looks like a special token (`<|...|>`), or might be
/// (an unclosed `<|` shortly before `p`). With special tokens allowed, text is never cut there.
fn inside_special_token(text: &[u8], p: usize) -> bool {
    const LONGEST: usize = 40;
    let from = p.saturating_sub(LONGEST);
    let Some(open) = memchr::memmem::rfind(&text[from..p], b"<|").map(|i| from + i) else {
        return false;
    };
    match memchr::memmem::find(&text[open + 2..], b"|>") {
        Some(close) => open + 2 + close + 2 > p,
        None => true,
    }
}

/// The last split point in `text[min..]`, if any.
pub fn last_split_point(text: &[u8], min: usize, avoid_special: bool) -> Option<usize> {
    (min.max(1)..text.len())
        .rev()
        .find(|&p| is_split_point(text, p) && !(avoid_special && inside_special_token(text, p)))
}

/// A failure while reading text for counting.
#[derive(Debug)]
pub enum ReadTextError {
    Io(std::io::Error),
    /// Not UTF-8; the byte offset of the first bad byte.
    InvalidUtf8 {
        offset: u64,
    },
    /// A NUL byte (only reported when the reader was asked to detect binary files).
    Binary {
        offset: u64,
    },
}

impl std::fmt::Display for ReadTextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadTextError::Io(e) => write!(f, "{e}"),
            ReadTextError::InvalidUtf8 { offset } => write!(f, "not valid UTF-8 (byte {offset})"),
            ReadTextError::Binary { offset } => write!(f, "binary file (NUL byte at {offset})"),
        }
    }
}

impl std::error::Error for ReadTextError {}

/// Reads text in chunks of about `target` bytes that end at [split points](is_split_point), so
/// counting chunk by chunk gives exactly the count of the whole text while memory stays
/// bounded (a chunk grows past `target` only when no split point is in sight).
pub struct TextChunks<R> {
    reader: R,
    buf: Vec<u8>,
    target: usize,
    offset: u64,
    eof: bool,
    detect_binary: bool,
    avoid_special: bool,
}

impl<R: std::io::Read> TextChunks<R> {
    pub fn new(reader: R, target: usize) -> Self {
        TextChunks {
            reader,
            buf: Vec::new(),
            target: target.max(16),
            offset: 0,
            eof: false,
            detect_binary: false,
            avoid_special: false,
        }
    }

    /// Fail with [`ReadTextError::Binary`] on a NUL byte (for files found by walking a tree).
    pub fn detect_binary(mut self, yes: bool) -> Self {
        self.detect_binary = yes;
        self
    }

    /// Never cut inside a special-token string (needed when special tokens are allowed).
    pub fn avoid_special_tokens(mut self, yes: bool) -> Self {
        self.avoid_special = yes;
        self
    }

    /// Bytes handed out so far.
    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    /// Read until the buffer holds `want` bytes or the input ends.
    fn fill(&mut self, want: usize) -> Result<(), ReadTextError> {
        while !self.eof && self.buf.len() < want {
            let start = self.buf.len();
            self.buf.resize(want, 0);
            match self.reader.read(&mut self.buf[start..]) {
                Ok(0) => {
                    self.buf.truncate(start);
                    self.eof = true;
                }
                Ok(n) => self.buf.truncate(start + n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => self.buf.truncate(start),
                Err(e) => {
                    self.buf.truncate(start);
                    return Err(ReadTextError::Io(e));
                }
            }
        }
        Ok(())
    }

    /// The next chunk, `None` at the end of the input.
    pub fn next_chunk(&mut self) -> Result<Option<String>, ReadTextError> {
        let mut want = self.target;
        let cut = loop {
            self.fill(want)?;
            if self.eof {
                break self.buf.len();
            }
            // Search only the second half of what we have, so chunks stay near `target`.
            if let Some(p) = last_split_point(&self.buf, self.buf.len() / 2, self.avoid_special) {
                break p;
            }
            want = self.buf.len() * 2;
        };
        if cut == 0 {
            return Ok(None);
        }
        let rest = self.buf.split_off(cut);
        let chunk = std::mem::replace(&mut self.buf, rest);
        let start = self.offset;
        self.offset += chunk.len() as u64;
        if self.detect_binary {
            if let Some(i) = memchr::memchr(0, &chunk) {
                return Err(ReadTextError::Binary { offset: start + i as u64 });
            }
        }
        String::from_utf8(chunk)
            .map(Some)
            .map_err(|e| ReadTextError::InvalidUtf8 { offset: start + e.utf8_error().valid_up_to() as u64 })
    }
}

impl<R: std::io::Read> Iterator for TextChunks<R> {
    type Item = Result<String, ReadTextError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_chunk().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_map_like_tiktoken() {
        assert_eq!(Encoding::for_model("gpt-4o-mini"), Some(Encoding::O200kBase));
        assert_eq!(Encoding::for_model("gpt-4-0613"), Some(Encoding::Cl100kBase));
        assert_eq!(Encoding::for_model("gpt-oss-120b"), Some(Encoding::O200kHarmony));
        assert_eq!(Encoding::for_model("openai/gpt-4.1"), Some(Encoding::O200kBase));
        assert_eq!(Encoding::for_model("cl100k_base"), Some(Encoding::Cl100kBase));
        assert_eq!(Encoding::for_model("claude-3-5-sonnet"), None);
    }

    #[test]
    fn long_pieces_encode_in_parts_exactly() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let cjk: String =
            (0..3000).map(|_| char::from_u32(rng.random_range(0x4E00..0x9FA5)).unwrap_or('x')).collect();
        let b64: String = (0..6000)
            .map(|_| {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[rng.random_range(0..64)]
                    as char
            })
            .collect();
        let texts = [cjk, b64, "a".repeat(5000), "ab".repeat(3001), "\u{e9}t\u{e9}".repeat(999)];
        for tok in [bpe_openai::o200k_base(), bpe_openai::cl100k_base()] {
            for text in &texts {
                let whole = tok.bpe.encode_via_backtracking(text.as_bytes());
                for parts in [2, 3, 5, 16, 97] {
                    assert_eq!(
                        encode_in_parts(&tok.bpe, text, parts),
                        whole,
                        "{parts} parts of {:.20}",
                        text
                    );
                }
            }
        }
    }

    #[test]
    fn counts_are_plain_text_counts() {
        assert_eq!(Encoding::O200kBase.count("hello world"), 2);
        assert_eq!(Encoding::Cl100kBase.count("hello world"), 2);
        // encode_ordinary: the special token is text, several tokens.
        assert!(Encoding::O200kBase.count("<|endoftext|>") > 1);
    }

    /// The cookbook's example conversation: its numbers (124 for gpt-4o, 129 for gpt-4) are
    /// the ones the API billed when the cookbook was written.
    fn cookbook_messages() -> serde_json::Value {
        serde_json::json!({"model": "gpt-4o", "messages": [
            {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
            {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
            {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
            {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
            {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
            {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."}
        ]})
    }

    #[test]
    fn chat_overhead_matches_the_cookbook() {
        let body = cookbook_messages();
        assert_eq!(count_chat_request(Encoding::O200kBase, &body).prompt_tokens, 124);
        assert_eq!(count_chat_request(Encoding::Cl100kBase, &body).prompt_tokens, 129);
    }

    #[test]
    fn overhead_rules_one_by_one() {
        let enc = Encoding::O200kBase;
        let one = serde_json::json!({"messages": [{"role": "user", "content": "hello world"}]});
        // 3 per message + "user" (1) + "hello world" (2) + 3 primer.
        assert_eq!(count_chat_request(enc, &one).prompt_tokens, 3 + 1 + 2 + 3);
        let named =
            serde_json::json!({"messages": [{"role": "user", "name": "bob", "content": "hello world"}]});
        assert_eq!(
            count_chat_request(enc, &named).prompt_tokens,
            3 + 1 + 2 + 3 + enc.count("bob") as u64 + TOKENS_PER_NAME
        );
        let parts = serde_json::json!({"messages": [{"role": "user", "content": [
            {"type": "text", "text": "hello"}, {"type": "text", "text": " world"}]}]});
        assert_eq!(count_chat_request(enc, &parts).prompt_tokens, 3 + 1 + 2 + 3);
    }

    #[test]
    fn tools_match_the_cookbook() {
        let body = serde_json::json!({
            "messages": [
                {"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
                {"role": "user", "content": "What's the weather like in San Francisco?"}
            ],
            "tools": [{"type": "function", "function": {
                "name": "get_current_weather",
                "description": "Get the current weather in a given location",
                "parameters": {"type": "object", "properties": {
                    "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                    "unit": {"type": "string", "description": "The unit of temperature to return", "enum": ["celsius", "fahrenheit"]}
                }, "required": ["location"]}
            }}]
        });
        // The cookbook's published counts for gpt-4o (101) and gpt-4 (105).
        assert_eq!(count_chat_request(Encoding::O200kBase, &body).prompt_tokens, 101);
        assert_eq!(count_chat_request(Encoding::Cl100kBase, &body).prompt_tokens, 105);
        // Legacy `functions` cost the same as the same function under `tools`.
        let mut legacy = body.clone();
        if let Some(obj) = legacy.as_object_mut() {
            let f = obj.remove("tools").map(|t| t[0]["function"].clone()).unwrap();
            obj.insert("functions".into(), serde_json::json!([f]));
        }
        assert_eq!(count_chat_request(Encoding::O200kBase, &legacy).prompt_tokens, 101);
        // A built-in tool (no name, no schema) neither fails the request nor costs anything.
        let mut builtin = body.clone();
        if let Some(tools) = builtin.get_mut("tools").and_then(|t| t.as_array_mut()) {
            tools.push(serde_json::json!({"type": "web_search"}));
        }
        assert_eq!(try_count_chat_request(Encoding::O200kBase, &builtin).map(|c| c.prompt_tokens), Ok(101));
    }

    #[test]
    fn max_output_tokens_prefers_max_completion_tokens() {
        let enc = Encoding::O200kBase;
        let m = serde_json::json!([{"role": "user", "content": "hi"}]);
        let both = serde_json::json!({"messages": m, "max_tokens": 10, "max_completion_tokens": 20});
        assert_eq!(count_chat_request(enc, &both).max_output_tokens, Some(20));
        let old = serde_json::json!({"messages": m, "max_tokens": 10});
        assert_eq!(count_chat_request(enc, &old).max_output_tokens, Some(10));
        let none = serde_json::json!({"messages": m});
        assert_eq!(count_chat_request(enc, &none).max_output_tokens, None);
    }

    #[test]
    fn other_request_shapes_count_as_messages() {
        let enc = Encoding::O200kBase;
        let user_hi =
            count_chat_request(enc, &serde_json::json!({"messages": [{"role": "user", "content": "hi"}]}));
        let prompt = count_chat_request(enc, &serde_json::json!({"prompt": "hi"}));
        assert_eq!(prompt, user_hi);
        let responses = count_chat_request(enc, &serde_json::json!({"input": "hi"}));
        assert_eq!(responses, user_hi);
        // Anthropic: top-level system is one more message; content blocks count their text.
        let anthropic = serde_json::json!({"system": "be brief", "max_tokens": 64, "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hi"}]}]});
        let c = count_chat_request(enc, &anthropic);
        assert_eq!(c.prompt_tokens, user_hi.prompt_tokens + 3 + 1 + enc.count("be brief") as u64);
        assert_eq!(c.max_output_tokens, Some(64));
    }

    #[test]
    fn tool_calls_images_and_extra_fields_count() {
        let enc = Encoding::O200kBase;
        let body = serde_json::json!({"messages": [
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "low"}}]}
        ]});
        let expected = 3 * 3
            + enc.count("assistant") as u64
            + enc.count("get_weather") as u64
            + enc.count("{\"city\":\"Paris\"}") as u64
            + enc.count("tool") as u64
            + enc.count("call_1") as u64
            + enc.count("sunny") as u64
            + enc.count("user") as u64
            + IMAGE_TOKENS_LOW
            + REPLY_PRIMER_TOKENS;
        assert_eq!(count_chat_request(enc, &body).prompt_tokens, expected);
    }

    #[test]
    fn malformed_requests_say_where() {
        let enc = Encoding::O200kBase;
        let err =
            try_count_chat_request(enc, &serde_json::json!({"messages": [{"role": "user", "content": 5}]}))
                .unwrap_err();
        assert!(err.contains("messages[0]"), "{err}");
        let err = try_count_chat_request(enc, &serde_json::json!({"model": "gpt-4o"})).unwrap_err();
        assert!(err.contains("no messages"), "{err}");
        assert!(try_count_chat_request(enc, &serde_json::json!([1, 2])).is_err());
        // The infallible form still gives a usable number.
        let body = serde_json::json!({"messages": "not a list"});
        assert_eq!(count_chat_request(enc, &body).prompt_tokens, enc.count(&body.to_string()) as u64);
    }

    #[test]
    fn unknown_models_fall_back_to_o200k_as_an_estimate() {
        assert_eq!(encoding_for_model_or_default(None), (Encoding::O200kBase, true));
        assert_eq!(encoding_for_model_or_default(Some("gpt-4")), (Encoding::Cl100kBase, true));
        assert_eq!(encoding_for_model_or_default(Some("claude-sonnet-4")), (Encoding::O200kBase, false));
    }

    /// Fragments chosen to hit every corner of the pre-tokenizer patterns: case changes,
    /// contractions, marks, digits of several scripts, every kind of whitespace, CJK, emoji,
    /// special-token look-alikes.
    const FRAGMENTS: &[&str] = &[
        "a",
        "Z",
        "hello",
        "HELLO",
        "World",
        " ",
        "  ",
        "\t",
        "\n",
        "\n\n",
        "\r\n",
        "\r",
        "'s",
        "'LL",
        "'",
        "\u{2019}",
        "1",
        "12345",
        "0",
        ".",
        ",",
        "/",
        "//",
        "<|endoftext|>",
        "<|",
        "|>",
        "<|endofprompt|>",
        "<|start|>",
        "\u{4e2d}\u{6587}",
        "\u{65e5}\u{672c}\u{8a9e}",
        "\u{d55c}\u{ad6d}\u{c5b4}",
        "\u{3072}\u{3089}",
        "\u{30ab}\u{30bf}",
        "\u{e9}",
        "e\u{301}",
        "\u{301}",
        "\u{1f600}",
        "\u{1f44d}\u{1f3fd}",
        "\u{a0}",
        "\u{2028}",
        "\u{3000}",
        "\u{2026}",
        "\u{2014}",
        "$",
        "_",
        "-",
        "!?",
        "{",
        "}",
        "\"",
        "\u{df}",
        "\u{130}",
        "\u{1c5}",
        "\u{2b0}",
        "\u{216b}",
        "\u{b2}",
        "\u{663}",
        "\u{200b}",
        "\u{feff}",
        "\0",
        "x\u{301}y",
        "I'M",
        "we'll",
    ];

    fn random_text(rng: &mut rand::rngs::SmallRng, max_fragments: usize) -> String {
        use rand::Rng;
        let n = rng.random_range(0..max_fragments);
        (0..n).map(|_| FRAGMENTS[rng.random_range(0..FRAGMENTS.len())]).collect()
    }

    /// Cut `text` at every split point at once.
    fn cut_everywhere(text: &str, avoid_special: bool) -> Vec<&str> {
        let bytes = text.as_bytes();
        let mut pieces = Vec::new();
        let mut last = 0;
        for p in 1..bytes.len() {
            if is_split_point(bytes, p) && !(avoid_special && inside_special_token(bytes, p)) {
                pieces.push(&text[last..p]);
                last = p;
            }
        }
        pieces.push(&text[last..]);
        pieces
    }

    #[test]
    fn split_points_never_change_tokens() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        for round in 0..600 {
            let text = random_text(&mut rng, 80);
            for enc in Encoding::ALL {
                // The legacy encodings go through tiktoken-rs, which is slow: sample them.
                if !matches!(enc, Encoding::O200kBase | Encoding::Cl100kBase) && round % 10 != 0 {
                    continue;
                }
                for allow_special in [false, true] {
                    let whole = enc.encode(&text, allow_special);
                    let pieces: Vec<u32> = cut_everywhere(&text, allow_special)
                        .into_iter()
                        .flat_map(|piece| enc.encode(piece, allow_special))
                        .collect();
                    assert_eq!(whole, pieces, "{} allow_special={allow_special} {text:?}", enc.name());
                }
            }
        }
    }

    #[test]
    fn adversarial_texts_split_exactly() {
        let texts = [
            "abc".repeat(1000),
            "a ".repeat(500) + &"\u{4e2d}".repeat(300) + "1234567" + &"\n".repeat(9) + "x",
            "it's WE'LL they're I'M\r\nfoo/bar//baz\n/x".repeat(40),
            "12345678901234567890".repeat(50) + "abc123def456",
            "<|endoftext|>abc<|endoftext|>".repeat(30),
            "e\u{301}a\u{301}. x\u{301}: ".repeat(100),
        ];
        for text in &texts {
            for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
                for allow_special in [false, true] {
                    let whole = enc.count_text(text, allow_special);
                    let sum: usize = cut_everywhere(text, allow_special)
                        .iter()
                        .map(|p| enc.count_text(p, allow_special))
                        .sum();
                    assert_eq!(whole, sum, "{} {text:?}", enc.name());
                }
            }
        }
    }

    /// A reader that hands out a few bytes at a time, to exercise chunk boundaries.
    struct Trickle<'a>(&'a [u8], usize);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.1 = self.1 % 7 + 1;
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn chunked_reading_counts_like_the_whole() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::SmallRng::seed_from_u64(11);
        for _ in 0..200 {
            let text = random_text(&mut rng, 200);
            for allow_special in [false, true] {
                let enc = Encoding::O200kBase;
                let mut chunks =
                    TextChunks::new(Trickle(text.as_bytes(), 0), 16).avoid_special_tokens(allow_special);
                let mut total = 0;
                let mut joined = String::new();
                while let Some(chunk) = chunks.next_chunk().unwrap() {
                    total += enc.count_text(&chunk, allow_special);
                    joined.push_str(&chunk);
                }
                assert_eq!(joined, text);
                assert_eq!(chunks.bytes_read(), text.len() as u64);
                assert_eq!(total, enc.count_text(&text, allow_special), "{text:?}");
            }
        }
    }

    #[test]
    fn chunks_stay_near_the_target_on_ordinary_text() {
        let text = "The quick brown fox jumps over the lazy dog.\n".repeat(10_000);
        let mut chunks = TextChunks::new(text.as_bytes(), 4096);
        let mut n = 0;
        while let Some(chunk) = chunks.next_chunk().unwrap() {
            assert!(chunk.len() <= 8192, "{}", chunk.len());
            n += 1;
        }
        assert!(n > 50);
    }

    #[test]
    fn bad_input_is_reported_with_its_offset() {
        let mut bad = b"hello world ".repeat(10);
        bad.push(0xff);
        let err = TextChunks::new(&bad[..], 16).find_map(Result::err).unwrap();
        assert!(matches!(err, ReadTextError::InvalidUtf8 { offset: 120 }), "{err}");
        let truncated = "ab\u{4e2d}".as_bytes();
        let err = TextChunks::new(&truncated[..4], 16).find_map(Result::err).unwrap();
        assert!(matches!(err, ReadTextError::InvalidUtf8 { offset: 2 }), "{err}");
        let nul = b"abc\0def";
        assert!(TextChunks::new(&nul[..], 16).all(|c| c.is_ok()), "NUL is text unless asked");
        let err = TextChunks::new(&nul[..], 16).detect_binary(true).find_map(Result::err).unwrap();
        assert!(matches!(err, ReadTextError::Binary { offset: 3 }), "{err}");
    }

    #[test]
    fn special_tokens_split_encode_and_decode() {
        let enc = Encoding::O200kBase;
        let text = "hi<|endoftext|>there";
        assert_eq!(
            enc.segments(text).collect::<Vec<_>>(),
            [Segment::Text("hi"), Segment::Special(199999), Segment::Text("there")]
        );
        let ids = enc.encode(text, true);
        assert!(ids.contains(&199999));
        assert_eq!(enc.count_text(text, true), ids.len());
        assert_eq!(enc.decode_bytes(&ids).unwrap(), text.as_bytes());
        assert!(enc.count_text(text, false) > ids.len());
        assert_eq!(Encoding::Cl100kBase.special_token_id("<|fim_middle|>"), Some(100259));
        let harmony = Encoding::O200kHarmony;
        assert_eq!(harmony.encode("<|start|>user<|message|>", true)[0], 200006);
        assert_eq!(harmony.special_token_id("<|reserved_200013|>"), Some(200013));
        assert_eq!(harmony.special_token_id("<|reserved_200006|>"), None);
        assert_eq!(harmony.special_token_name(200018).as_deref(), Some("<|reserved_200018|>"));
        let err = enc.decode_bytes(&[1, 250_000]).unwrap_err();
        assert!(err.contains("250000") && err.contains("o200k_base"), "{err}");
        let r50k = Encoding::R50kBase;
        assert_eq!(
            r50k.decode_bytes(&r50k.encode("hello <|endoftext|>", true)).unwrap(),
            b"hello <|endoftext|>"
        );
        assert!(r50k.decode_bytes(&[60_000]).unwrap_err().contains("60000"));
    }

    #[test]
    fn model_table_follows_tiktoken() {
        let cases = [
            ("o1", Some(Encoding::O200kBase)),
            ("o1-mini", Some(Encoding::O200kBase)),
            ("o4-mini-2025-04-16", Some(Encoding::O200kBase)),
            ("gpt-5-mini", Some(Encoding::O200kBase)),
            ("gpt-4.1-nano", Some(Encoding::O200kBase)),
            ("gpt-4.5-preview", Some(Encoding::O200kBase)),
            ("chatgpt-4o-latest", Some(Encoding::O200kBase)),
            ("gpt-4-32k", Some(Encoding::Cl100kBase)),
            ("gpt-3.5", Some(Encoding::Cl100kBase)),
            ("gpt-35-turbo-16k", Some(Encoding::Cl100kBase)),
            ("gpt-oss-20b", Some(Encoding::O200kHarmony)),
            ("ft:gpt-4o-mini:org::abc", Some(Encoding::O200kBase)),
            ("text-davinci-001", Some(Encoding::R50kBase)),
            ("code-cushman-001", Some(Encoding::P50kBase)),
            ("gpt2", Some(Encoding::R50kBase)),
            ("azure/gpt-4o", Some(Encoding::O200kBase)),
            ("p50k_edit", Some(Encoding::P50kEdit)),
            // Not in tiktoken's tables: no guess.
            ("o4", None),
            ("gpt-4.5", None),
            ("claude-3-5-sonnet", None),
        ];
        for (model, want) in cases {
            assert_eq!(Encoding::for_model(model), want, "{model}");
        }
        assert_eq!(
            estimate_encoding_for_model("anthropic/claude-sonnet-4"),
            Some((Encoding::O200kBase, "claude"))
        );
        assert_eq!(estimate_encoding_for_model("Meta-Llama-3.1-8B"), Some((Encoding::Cl100kBase, "llama")));
        assert_eq!(estimate_encoding_for_model("my-own-model"), None);
    }

    #[test]
    fn context_windows_use_the_longest_prefix() {
        assert_eq!(builtin_context_window("gpt-4"), Some(8_192));
        assert_eq!(builtin_context_window("gpt-4-turbo-2024-04-09"), Some(128_000));
        assert_eq!(builtin_context_window("gpt-4o-mini"), Some(128_000));
        assert_eq!(builtin_context_window("openai/gpt-4.1-mini"), Some(1_047_576));
        assert_eq!(builtin_context_window("o1-mini"), Some(128_000));
        assert_eq!(builtin_context_window("claude-sonnet-4-5"), Some(200_000));
        assert_eq!(builtin_context_window("unknown"), None);
    }

    #[test]
    fn small_tokenizer_matches_the_linear_one() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        let cases = [
            (small::o200k().expect("o200k table loads"), bpe_openai::o200k_base()),
            (small::cl100k().expect("cl100k table loads"), bpe_openai::cl100k_base()),
        ];
        for (small, big) in cases {
            let mut texts: Vec<String> = (0..400).map(|_| random_text(&mut rng, 60)).collect();
            texts.push(String::new());
            texts.push("a".repeat(small::MAX_PIECE));
            texts.push("The quick brown fox, naïve café, 日本語, 😀 <|endoftext|>\r\n\t  x".into());
            for text in &texts {
                let mut ids = Vec::new();
                small.encode(text, &mut ids).expect("short pieces are accepted");
                assert_eq!(ids, big.encode(text.as_str()), "{text:?}");
            }
            let mut ids = Vec::new();
            assert!(small.encode(&"a".repeat(small::MAX_PIECE + 1), &mut ids).is_none());
            assert!(ids.is_empty());
        }
    }

    const ASCII_FRAGMENTS: &[&str] = &[
        "a",
        "Z",
        "hello",
        "HELLO",
        "Hello",
        "hELLO",
        "camelCase",
        "XMLHttp",
        " ",
        "  ",
        "   ",
        "\t",
        "\n",
        "\n\n",
        "\r\n",
        "\r",
        " \n",
        "\n ",
        "\x0b",
        "\x0c",
        "\0",
        "\x1f",
        "\x7f",
        "'s",
        "'S",
        "'t",
        "'re",
        "'RE",
        "'ve",
        "'m",
        "'ll",
        "'LL",
        "'d",
        "'x",
        "'",
        "''",
        "1",
        "12",
        "123",
        "1234567",
        ".",
        ",",
        "...",
        "/",
        "//",
        "./",
        "!?",
        "(",
        ")",
        "\"",
        "-",
        "_",
        "#",
        "$",
        "<|endoftext|>",
        "{",
        "}",
        ";",
        ":",
        "@",
        "\\",
        "`",
        "~",
        "^",
    ];

    /// Tokens of `text` through the scanner's pieces, and through bpe-openai's regex. (Pieces
    /// are compared through their tokens: at the very end of a text, cl100k's `\s++$` makes
    /// `"\n "` one piece where bpe-openai's rewrite makes two; no cl100k token ends in a newline
    /// followed by spaces, so the tokens are the same either way.)
    fn pieces_of(enc: Encoding, text: &str) -> (Vec<u32>, Vec<u32>) {
        let tok = match enc {
            Encoding::Cl100kBase => bpe_openai::cl100k_base(),
            _ => bpe_openai::o200k_base(),
        };
        let mut ours = Vec::new();
        for_each_piece(enc, tok, text, |p| ours.extend(tok.bpe.encode_via_backtracking(p.as_bytes())));
        (ours, tok.encode(text))
    }

    #[test]
    fn ascii_scanner_splits_like_the_regex() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
        for round in 0..3000 {
            let n = rng.random_range(0..60);
            let mut text: String =
                (0..n).map(|_| ASCII_FRAGMENTS[rng.random_range(0..ASCII_FRAGMENTS.len())]).collect();
            if round % 3 == 0 {
                // Mixed text: the scanner hands non-ASCII stretches to the regex.
                text.push_str(&random_text(&mut rng, 20));
                text.push_str(&random_text(&mut rng, 20).to_ascii_lowercase());
            }
            for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
                let (ours, theirs) = pieces_of(enc, &text);
                assert_eq!(ours, theirs, "{} {text:?}", enc.name());
            }
        }
    }
}
