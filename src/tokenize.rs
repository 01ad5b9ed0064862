//! Tokenizer encodings and the model -> encoding map.
//!
//! Counting uses `bpe-openai` for o200k_base and cl100k_base (linear time, faster than
//! tiktoken) and `tiktoken-rs` for the other encodings. All counts follow tiktoken's
//! `encode_ordinary`: special-token strings such as `<|endoftext|>` are plain text.
//!
//! Stable API used across the crate (other modules depend on these signatures):
//! [`Encoding::from_name`], [`Encoding::for_model`], [`Encoding::name`], [`Encoding::count`].

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

    pub fn from_name(name: &str) -> Option<Encoding> {
        Encoding::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The encoding OpenAI's `tiktoken` uses for `model`, or `None` for models with no local
    /// tokenizer (Claude, Gemini, ...). Provider prefixes (`openai/gpt-4o`) are ignored.
    pub fn for_model(model: &str) -> Option<Encoding> {
        let model = model.rsplit('/').next().unwrap_or(model);
        if let Some(e) = Encoding::from_name(model) {
            return Some(e);
        }
        // Exact names first, then prefixes, as in tiktoken/model.py.
        const EXACT: &[(&str, Encoding)] = &[
            ("gpt-3.5-turbo", Encoding::Cl100kBase),
            ("gpt-4", Encoding::Cl100kBase),
            ("text-embedding-ada-002", Encoding::Cl100kBase),
            ("text-embedding-3-small", Encoding::Cl100kBase),
            ("text-embedding-3-large", Encoding::Cl100kBase),
            ("davinci-002", Encoding::Cl100kBase),
            ("babbage-002", Encoding::Cl100kBase),
            ("text-davinci-003", Encoding::P50kBase),
            ("text-davinci-002", Encoding::P50kBase),
            ("code-davinci-002", Encoding::P50kBase),
            ("text-davinci-edit-001", Encoding::P50kEdit),
            ("code-davinci-edit-001", Encoding::P50kEdit),
            ("davinci", Encoding::R50kBase),
            ("curie", Encoding::R50kBase),
            ("babbage", Encoding::R50kBase),
            ("ada", Encoding::R50kBase),
        ];
        const PREFIX: &[(&str, Encoding)] = &[
            ("gpt-oss-", Encoding::O200kHarmony),
            ("o1", Encoding::O200kBase),
            ("o3", Encoding::O200kBase),
            ("o4", Encoding::O200kBase),
            ("chatgpt-4o-", Encoding::O200kBase),
            ("gpt-5", Encoding::O200kBase),
            ("gpt-4.5-", Encoding::O200kBase),
            ("gpt-4.1", Encoding::O200kBase),
            ("gpt-4o", Encoding::O200kBase),
            ("gpt-4-", Encoding::Cl100kBase),
            ("gpt-3.5-turbo-", Encoding::Cl100kBase),
            ("gpt-35-turbo", Encoding::Cl100kBase),
            ("ft:gpt-4o", Encoding::O200kBase),
            ("ft:gpt-4", Encoding::Cl100kBase),
            ("ft:gpt-3.5-turbo", Encoding::Cl100kBase),
            ("ft:davinci-002", Encoding::Cl100kBase),
            ("ft:babbage-002", Encoding::Cl100kBase),
        ];
        if let Some((_, e)) = EXACT.iter().find(|(m, _)| *m == model) {
            return Some(*e);
        }
        PREFIX.iter().find(|(p, _)| model.starts_with(p)).map(|(_, e)| *e)
    }

    /// Number of tokens in `text`, as tiktoken's `len(encode_ordinary(text))`.
    pub fn count(self, text: &str) -> usize {
        match self {
            Encoding::O200kBase => bpe_openai::o200k_base().count(text),
            Encoding::Cl100kBase => bpe_openai::cl100k_base().count(text),
            other => other.tiktoken().encode_ordinary(text).len(),
        }
    }

    fn tiktoken(self) -> &'static tiktoken_rs::CoreBPE {
        match self {
            Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
            Encoding::O200kHarmony => tiktoken_rs::o200k_harmony_singleton(),
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
            Encoding::P50kBase => tiktoken_rs::p50k_base_singleton(),
            Encoding::P50kEdit => tiktoken_rs::p50k_edit_singleton(),
            Encoding::R50kBase => tiktoken_rs::r50k_base_singleton(),
        }
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
    fn counts_are_plain_text_counts() {
        assert_eq!(Encoding::O200kBase.count("hello world"), 2);
        assert_eq!(Encoding::Cl100kBase.count("hello world"), 2);
        // encode_ordinary: the special token is text, several tokens.
        assert!(Encoding::O200kBase.count("<|endoftext|>") > 1);
    }
}
