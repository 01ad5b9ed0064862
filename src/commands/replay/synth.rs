//! Prompts of an exact token length, for traces that record only sizes (Azure, Mooncake).
//!
//! Public traces drop prompt text for privacy and keep the token counts, so a replay must
//! send a prompt that the server counts as exactly the recorded number of prompt tokens and
//! ask for the recorded number of output tokens. The text comes from
//! [`crate::tokenize::words`] (shared with `bench`): single-token words, exactly N tokens.
//!
//! Mooncake's `hash_ids` say which 512-token blocks of a prompt are shared with earlier
//! requests (prefix caching). Block `h` is always the same words, so requests with a common
//! prefix of ids get a common prefix of text, and a server's prefix cache sees the same hits
//! it saw in production.

use serde_json::{json, Value};

use crate::tokenize::words::WordPool;
use crate::tokenize::Encoding;

/// Tokens per `hash_ids` block in the Mooncake traces.
pub const MOONCAKE_BLOCK_TOKENS: usize = 512;

/// Builds prompts for one encoding.
#[derive(Debug, Clone)]
pub struct Synthesizer {
    pool: WordPool,
    /// Prompt tokens a one-message chat request adds around its content.
    overhead: u64,
}

impl Synthesizer {
    /// `overhead` is the chat-format cost of a single user message with empty content
    /// (per-message tokens, the role, the reply primer): the server's `prompt_tokens` is
    /// `overhead + content tokens`.
    pub fn new(encoding: Encoding, overhead: u64) -> anyhow::Result<Self> {
        let pool = WordPool::new(encoding).map_err(anyhow::Error::msg)?;
        Ok(Synthesizer { pool, overhead })
    }

    pub fn encoding(&self) -> Encoding {
        self.pool.encoding()
    }

    /// Content tokens for a request whose chat-format prompt is `prompt_tokens`. A prompt
    /// shorter than the chat overhead cannot be made; it gets one content token.
    pub fn content_tokens(&self, prompt_tokens: u64) -> usize {
        usize::try_from(prompt_tokens.saturating_sub(self.overhead)).unwrap_or(usize::MAX).max(1)
    }

    /// Text of exactly `tokens` tokens. The first `hash_ids.len()` blocks of
    /// [`MOONCAKE_BLOCK_TOKENS`] words come from the ids (shared between requests); the rest
    /// is unique to `salt` (the request's line number).
    pub fn text(&self, tokens: usize, hash_ids: &[u64], salt: u64) -> String {
        self.pool.text(tokens, |i| {
            let block = i / MOONCAKE_BLOCK_TOKENS;
            let pos = (i % MOONCAKE_BLOCK_TOKENS) as u64;
            match hash_ids.get(block) {
                Some(&h) => mix(h, pos),
                // Unique filler: a different domain than block ids so it never collides.
                None => mix(salt ^ 0x9e37_79b9_7f4a_7c15, i as u64) ^ 0x5555_5555,
            }
        })
    }

    /// A chat request whose prompt is `prompt_tokens` chat-format tokens and which asks for
    /// `output_tokens` tokens. Streams with usage so TTFT is measured on replay (`--set
    /// stream=false` turns that off).
    pub fn body(
        &self,
        model: &str,
        prompt_tokens: u64,
        output_tokens: u64,
        hash_ids: &[u64],
        salt: u64,
    ) -> Value {
        let text = self.text(self.content_tokens(prompt_tokens), hash_ids, salt);
        json!({
            "model": model,
            "messages": [{"role": "user", "content": text}],
            "max_tokens": output_tokens.max(1),
            "stream": true,
            "stream_options": {"include_usage": true},
        })
    }
}

/// splitmix64 of two words: a cheap, well-spread, deterministic word picker.
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(b).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_have_exactly_the_requested_token_count() {
        for enc in [Encoding::O200kBase, Encoding::Cl100kBase, Encoding::P50kBase] {
            let s = Synthesizer::new(enc, 7).unwrap();
            for n in [1usize, 2, 3, 17, 100, 511, 512, 513, 1500] {
                let t = s.text(n, &[], n as u64);
                assert_eq!(enc.count(&t), n, "{} tokens={n}", enc.name());
            }
            let t = s.text(1200, &[3, 9, 4], 1);
            assert_eq!(enc.count(&t), 1200, "{}", enc.name());
        }
    }

    #[test]
    fn shared_hash_ids_share_a_text_prefix() {
        let s = Synthesizer::new(Encoding::O200kBase, 7).unwrap();
        let a = s.text(1100, &[0, 1, 2], 10);
        let b = s.text(900, &[0, 1, 5], 11);
        // b is blocks 0 and 1 cut to 900 tokens: a prefix of a.
        assert!(a.starts_with(&b));
        let d = s.text(1100, &[0, 1, 5], 11);
        let two_blocks = a.split(' ').take(2 * MOONCAKE_BLOCK_TOKENS).collect::<Vec<_>>().join(" ");
        assert!(d.starts_with(&two_blocks));
        assert!(!d.starts_with(&a[..two_blocks.len() + 40]), "block 2 differs from block 5");
        let c = s.text(900, &[7, 1, 2], 12);
        assert!(a.chars().zip(c.chars()).take_while(|(x, y)| x == y).count() < 200);
        // Deterministic.
        assert_eq!(s.text(300, &[4], 3), s.text(300, &[4], 3));
        assert_ne!(s.text(300, &[], 3), s.text(300, &[], 4));
    }

    #[test]
    fn bodies_ask_for_the_recorded_output_and_subtract_the_chat_overhead() {
        let s = Synthesizer::new(Encoding::O200kBase, 7).unwrap();
        let body = s.body("m", 107, 44, &[], 1);
        assert_eq!(body["max_tokens"], 44);
        assert_eq!(body["model"], "m");
        assert_eq!(body["stream"], true);
        let content = body["messages"][0]["content"].as_str().unwrap();
        assert_eq!(Encoding::O200kBase.count(content), 100);
        // Shorter than the overhead: the smallest prompt possible, never zero output.
        let tiny = s.body("m", 2, 0, &[], 1);
        assert_eq!(Encoding::O200kBase.count(tiny["messages"][0]["content"].as_str().unwrap()), 1);
        assert_eq!(tiny["max_tokens"], 1);
    }
}
