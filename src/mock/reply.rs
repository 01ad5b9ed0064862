//! Deterministic reply text, sized in real tokens.
//!
//! The mock must answer the same request with the same text for a given `--seed` (so tests,
//! recordings and `replay` comparisons are stable), and the reply must be exactly as many tokens
//! as requested, counted by the real tokenizer, so usage numbers and `bench` token rates mean
//! something. Both come from construction rather than from counting at runtime: every piece of
//! the vocabulary below is exactly one token in every tiktoken encoding (with its leading space),
//! and the pre-tokenizers split between pieces, so a reply of `n` pieces is `n` tokens. The unit
//! tests check that claim against the tokenizer for every encoding.
//!
//! The PRNG and hash are tiny and written out here (SplitMix64, FNV-1a) because their output must
//! never change with a dependency upgrade: a seed has to mean the same reply next year.

/// First piece of a reply: a capitalized word with no leading space.
const OPENERS: &[&str] = &[
    "The", "This", "It", "We", "In", "For", "Each", "Every", "Our", "Most", "Some", "Many", "That", "These",
    "When", "If", "Then", "Here", "There", "Today", "Now", "Also", "Still", "Even", "So", "Yet",
];

/// First piece of a later sentence: the same words with a leading space.
const STARTERS: &[&str] = &[
    " The", " This", " It", " We", " In", " For", " Each", " Every", " Our", " Most", " Some", " Many",
    " That", " These", " When", " If", " Then", " Here", " There", " Today", " Now", " Also", " Still",
    " Even", " So", " Yet",
];

/// Body words, each one token with its leading space.
const WORDS: &[&str] = &[
    " the",
    " a",
    " an",
    " of",
    " to",
    " in",
    " for",
    " on",
    " with",
    " as",
    " by",
    " from",
    " at",
    " and",
    " or",
    " but",
    " is",
    " are",
    " was",
    " be",
    " can",
    " will",
    " may",
    " should",
    " model",
    " data",
    " request",
    " server",
    " token",
    " reply",
    " answer",
    " stream",
    " rate",
    " limit",
    " time",
    " value",
    " result",
    " test",
    " system",
    " user",
    " network",
    " client",
    " question",
    " point",
    " line",
    " file",
    " stable",
    " simple",
    " clear",
    " short",
    " small",
    " large",
    " fast",
    " slow",
    " quick",
    " first",
    " last",
    " next",
    " other",
    " new",
    " good",
    " great",
    " many",
    " more",
    " most",
    " some",
    " each",
    " every",
    " this",
    " that",
    " these",
    " those",
    " it",
    " we",
    " they",
    " you",
    " our",
    " your",
    " their",
    " its",
    " which",
    " what",
    " when",
    " where",
    " how",
    " why",
    " not",
    " only",
    " also",
    " very",
    " well",
    " just",
    " then",
    " so",
    " still",
    " even",
    " here",
    " there",
    " now",
    " today",
    " work",
    " works",
    " use",
    " uses",
    " make",
    " makes",
    " run",
    " runs",
    " send",
    " sends",
    " read",
    " reads",
    " write",
    " writes",
    " count",
    " counts",
    " check",
    " checks",
    " keep",
    " keeps",
    " give",
    " gives",
    " take",
    " takes",
    " show",
    " shows",
    " find",
    " finds",
    " call",
    " calls",
    " return",
    " returns",
    " measure",
    " measured",
    " tested",
    " build",
    " built",
    " learn",
    " learned",
    " help",
    " helps",
    " text",
    " word",
    " words",
    " number",
    " numbers",
    " example",
    " examples",
    " idea",
    " ideas",
    " way",
    " ways",
    " part",
    " parts",
    " case",
    " cases",
    " place",
    " world",
    " people",
    " thing",
    " things",
    " day",
    " days",
    " year",
    " years",
    " long",
    " high",
    " low",
    " open",
    " close",
    " end",
    " start",
    " state",
    " level",
    " order",
    " form",
    " change",
    " group",
    " power",
    " field",
    " report",
    " market",
    " process",
    " service",
    " cost",
    " price",
    " plan",
    " team",
    " project",
    " code",
    " type",
    " key",
    " list",
    " set",
    " table",
    " page",
    " view",
    " note",
    " history",
    " record",
    " batch",
    " queue",
    " cache",
    " budget",
    " metric",
    " metrics",
    " window",
    " bucket",
    " engine",
    " endpoint",
    " response",
    " header",
    " body",
    " latency",
    " output",
    " input",
    " prompt",
    " score",
    " sample",
    " signal",
];

const PERIOD: &str = ".";
const COMMA: &str = ",";

/// SplitMix64: a small, fast, well-mixed generator whose sequence is fixed forever.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift (no modulo bias worth caring about here).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One value derived from two, so that nearby inputs (seed 1 vs 2, request 7 vs 8) give
/// unrelated streams.
pub fn mix(a: u64, b: u64) -> u64 {
    Rng::new(a ^ b.rotate_left(32) ^ 0xD1B5_4A32_D192_ED03).next_u64()
}

/// FNV-1a, 64 bit: a stable hash of the parts of a request that decide its reply.
#[derive(Debug, Clone)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// A field: its bytes and a terminator, so `("ab","c")` and `("a","bc")` differ.
    pub fn field(&mut self, s: &str) {
        self.write(s.as_bytes());
        self.write(&[0xff]);
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// The first `take` pieces of the reply whose natural length is `n` tokens (each piece is one
/// token). `take < n` is a reply cut by `max_tokens`: a true prefix of the uncut reply.
///
/// Sentences start with a capitalized word, run 6 to ~20 words with the odd comma, and end with
/// a period; the last piece of the natural reply is a period.
pub fn generate(seed: u64, n: usize, take: usize) -> Vec<&'static str> {
    let mut rng = Rng::new(seed);
    let len = n.min(take);
    let mut out: Vec<&'static str> = Vec::with_capacity(len);
    let mut in_sentence = 0usize;
    let mut since_comma = 0usize;
    for i in 0..len {
        let prev = out.last().copied();
        let piece = if i == 0 {
            OPENERS[rng.below(OPENERS.len())]
        } else if prev == Some(PERIOD) {
            STARTERS[rng.below(STARTERS.len())]
        } else if prev == Some(COMMA) {
            // Punctuation pairs like ",." merge into one token: a word always follows a comma.
            WORDS[rng.below(WORDS.len())]
        } else if i + 1 == n || (in_sentence >= 6 && i + 2 < n && rng.below(10) == 0) {
            PERIOD
        } else if since_comma >= 4 && in_sentence >= 3 && i + 2 < n && rng.below(14) == 0 {
            COMMA
        } else {
            WORDS[rng.below(WORDS.len())]
        };
        match piece {
            PERIOD => {
                in_sentence = 0;
                since_comma = 0;
            }
            COMMA => since_comma = 0,
            _ => {
                in_sentence += 1;
                since_comma += 1;
            }
        }
        out.push(piece);
    }
    out
}

/// The pieces joined into one string.
pub fn join(pieces: &[&str]) -> String {
    let mut s = String::with_capacity(pieces.iter().map(|p| p.len()).sum());
    for p in pieces {
        s.push_str(p);
    }
    s
}

/// Every piece the generator can emit (tests check each is one token and JSON-safe).
#[cfg(test)]
fn all_pieces() -> impl Iterator<Item = &'static str> {
    OPENERS.iter().chain(STARTERS).chain(WORDS).copied().chain([PERIOD, COMMA])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::Encoding;

    #[test]
    fn every_piece_is_one_token_in_every_encoding() {
        for piece in all_pieces() {
            for enc in Encoding::ALL {
                assert_eq!(enc.count(piece), 1, "{piece:?} in {}", enc.name());
            }
        }
    }

    /// The pieces are written into JSON and SSE verbatim, without escaping.
    #[test]
    fn pieces_need_no_json_escaping() {
        for piece in all_pieces() {
            assert!(piece.bytes().all(|b| b.is_ascii_alphabetic() || b == b' ' || b == b'.' || b == b','));
        }
    }

    #[test]
    fn replies_are_exactly_n_tokens_in_every_encoding() {
        for seed in 0..12u64 {
            for n in (1..=40).chain([63, 128, 256, 511]) {
                let pieces = generate(mix(seed, n as u64), n, n);
                assert_eq!(pieces.len(), n);
                let text = join(&pieces);
                for enc in Encoding::ALL {
                    assert_eq!(enc.count(&text), n, "seed {seed} n {n} {}: {text:?}", enc.name());
                }
            }
        }
    }

    #[test]
    fn replies_look_like_sentences() {
        let text = join(&generate(7, 60, usize::MAX));
        assert!(text.chars().next().is_some_and(|c| c.is_ascii_uppercase()), "{text}");
        assert!(text.ends_with('.'), "{text}");
        assert!(!text.contains(". .") && !text.contains(",.") && !text.contains(".."), "{text}");
    }

    #[test]
    fn same_seed_same_reply_other_seed_other_reply() {
        assert_eq!(generate(42, 30, 30), generate(42, 30, 30));
        assert_ne!(generate(42, 30, 30), generate(43, 30, 30));
        // A reply cut by max_tokens is a prefix of the uncut one.
        assert_eq!(generate(42, 30, 30)[..11], generate(42, 30, 11)[..]);
        assert_eq!(generate(42, 30, 99).len(), 30);
    }

    #[test]
    fn prng_and_hash_never_change() {
        // Fixed values: a change here changes every seeded reply users may rely on.
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
        let mut h = Fnv::default();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn below_and_unit_stay_in_range() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            assert!(rng.below(7) < 7);
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
