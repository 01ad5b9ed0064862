//! Prompts of an exact token length, built from common English words.
//!
//! `bench` (synthetic prompts of `--prompt-tokens`) and `replay` (traces that keep only token
//! counts) both need text that a server counts as exactly N tokens. A BPE pre-tokenizer splits
//! text at a space before a letter, so N words that are each a single token, with and without
//! a leading space, joined by single spaces are N tokens. The words that are not single tokens
//! in an encoding are dropped when the pool is built, so one list serves every encoding; the
//! count is still checked with the real tokenizer and corrected, so the guarantee rests on the
//! count, not on that property of the encoding.

use super::Encoding;

/// Fewest usable words for a pool (fewer would make prompts repetitive enough to compress in
/// a server's prefix cache in ways real text does not).
const MIN_WORDS: usize = 16;

/// Candidate words; those that are not single tokens in an encoding are dropped per pool.
const CANDIDATES: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "was",
    "that",
    "for",
    "on",
    "are",
    "with",
    "as",
    "at",
    "be",
    "this",
    "have",
    "from",
    "or",
    "one",
    "had",
    "by",
    "word",
    "but",
    "not",
    "what",
    "all",
    "were",
    "we",
    "when",
    "your",
    "can",
    "said",
    "there",
    "use",
    "an",
    "each",
    "which",
    "she",
    "do",
    "how",
    "their",
    "if",
    "will",
    "up",
    "other",
    "about",
    "out",
    "many",
    "then",
    "them",
    "these",
    "so",
    "some",
    "her",
    "would",
    "make",
    "like",
    "him",
    "into",
    "time",
    "has",
    "look",
    "two",
    "more",
    "write",
    "go",
    "see",
    "number",
    "no",
    "way",
    "could",
    "people",
    "my",
    "than",
    "first",
    "water",
    "been",
    "call",
    "who",
    "oil",
    "its",
    "now",
    "find",
    "long",
    "down",
    "day",
    "did",
    "get",
    "come",
    "made",
    "may",
    "part",
    "over",
    "new",
    "sound",
    "take",
    "only",
    "little",
    "work",
    "know",
    "place",
    "year",
    "live",
    "me",
    "back",
    "give",
    "most",
    "very",
    "after",
    "thing",
    "our",
    "just",
    "name",
    "good",
    "sentence",
    "man",
    "think",
    "say",
    "great",
    "where",
    "help",
    "through",
    "much",
    "before",
    "line",
    "right",
    "too",
    "mean",
    "old",
    "any",
    "same",
    "tell",
    "boy",
    "follow",
    "came",
    "want",
    "show",
    "also",
    "around",
    "form",
    "three",
    "small",
    "set",
    "put",
    "end",
    "does",
    "another",
    "well",
    "large",
    "must",
    "big",
    "even",
    "such",
    "because",
    "turn",
    "here",
    "why",
    "ask",
    "went",
    "men",
    "read",
    "need",
    "land",
    "different",
    "home",
    "us",
    "move",
    "try",
    "kind",
    "hand",
    "picture",
    "again",
    "change",
    "off",
    "play",
    "spell",
    "air",
    "away",
    "animal",
    "house",
    "point",
    "page",
    "letter",
    "mother",
    "answer",
    "found",
    "study",
    "still",
    "learn",
    "should",
    "world",
    "high",
    "every",
    "near",
    "add",
    "food",
    "between",
    "own",
    "below",
    "country",
    "plant",
    "last",
    "school",
    "father",
    "keep",
    "tree",
    "never",
    "start",
    "city",
    "earth",
    "eye",
    "light",
    "thought",
    "head",
    "under",
    "story",
    "saw",
    "left",
    "few",
    "while",
    "along",
    "might",
    "close",
    "something",
    "seem",
    "next",
    "hard",
    "open",
    "example",
    "begin",
    "life",
    "always",
    "those",
    "both",
    "paper",
    "together",
    "got",
    "group",
    "often",
    "run",
    "important",
    "until",
    "children",
    "side",
    "feet",
    "car",
    "mile",
    "night",
    "walk",
    "white",
    "sea",
    "began",
    "grow",
    "took",
    "river",
    "four",
    "carry",
    "state",
    "once",
    "book",
    "hear",
    "stop",
    "without",
    "second",
    "later",
    "miss",
    "idea",
    "enough",
    "eat",
    "face",
    "watch",
    "far",
    "really",
    "almost",
    "let",
    "above",
    "girl",
    "sometimes",
    "mountain",
    "cut",
    "young",
    "talk",
    "soon",
    "list",
    "song",
    "being",
    "leave",
    "family",
];

/// The single-token words of one encoding.
#[derive(Debug, Clone)]
pub struct WordPool {
    encoding: Encoding,
    words: Vec<&'static str>,
}

impl WordPool {
    /// The pool of `encoding`; an error naming the encoding when it has too few such words.
    pub fn new(encoding: Encoding) -> Result<WordPool, String> {
        let mut words: Vec<&'static str> = CANDIDATES
            .iter()
            .copied()
            .filter(|w| encoding.count(w) == 1 && encoding.count(&format!(" {w}")) == 1)
            .collect();
        words.sort_unstable();
        words.dedup();
        if words.len() < MIN_WORDS {
            return Err(format!(
                "encoding {} has too few single-token words to build prompts",
                encoding.name()
            ));
        }
        Ok(WordPool { encoding, words })
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Text of exactly `tokens` tokens (at least one word): word `i` is the one `pick(i)`
    /// chooses (taken modulo the pool size), joined by spaces, then checked with the tokenizer
    /// and corrected word by word in the rare case the encoding merged or split something.
    pub fn text(&self, tokens: usize, mut pick: impl FnMut(usize) -> u64) -> String {
        let n_words = self.words.len() as u64;
        let word = |x: u64| self.words[(x % n_words) as usize];
        let target = tokens.max(1);
        let mut text = String::with_capacity(target * 6);
        for i in 0..target {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(word(pick(i)));
        }
        let mut n = self.encoding.count(&text);
        let mut extra = target;
        for _ in 0..64 {
            if n == target {
                break;
            }
            if n > target {
                match text.rfind(' ') {
                    Some(pos) => text.truncate(pos),
                    None => break,
                }
            } else {
                text.push(' ');
                text.push_str(word(pick(extra)));
                extra += 1;
            }
            n = self.encoding.count(&text);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_have_exactly_the_requested_token_count_in_every_encoding() {
        for enc in Encoding::ALL {
            let pool = WordPool::new(enc).unwrap();
            assert!(pool.len() >= 100, "{}: {}", enc.name(), pool.len());
            for tokens in [1, 2, 7, 100, 1000] {
                let text = pool.text(tokens, |i| (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 7);
                assert_eq!(enc.count(&text), tokens, "{} {tokens}", enc.name());
            }
        }
    }

    #[test]
    fn the_picker_decides_the_words() {
        let pool = WordPool::new(Encoding::O200kBase).unwrap();
        let a = pool.text(20, |i| i as u64);
        assert_eq!(a, pool.text(20, |i| i as u64), "deterministic");
        assert_ne!(a, pool.text(20, |i| i as u64 + 1));
        assert!(!a.starts_with(' ') && !a.ends_with(' '));
        assert_eq!(pool.text(0, |_| 0).split(' ').count(), 1, "at least one word");
    }
}
