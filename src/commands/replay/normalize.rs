//! Request normalization: when are two requests "the same request"?
//!
//! `serve --replay` answers a request from a recording when their normalized bodies are
//! equal. Normalized means: object keys sorted (key order is an accident of the client
//! library), whitespace gone (compact JSON), numbers that are whole written as integers
//! (`1.0` and `1` are the same temperature), and the transport fields `stream` and
//! `stream_options` left out (they say how to deliver the answer, not what it is: a
//! streaming request is answered from a non-streaming recording and vice versa).
//! `--match-on model,messages` narrows the comparison to the named fields.
//!
//! When nothing matches, [`closest`] names the most similar recorded request and the fields
//! that differ, because "no recording for this request" alone is useless when debugging a
//! test that changed a prompt by one word.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Fields that say how an answer is delivered, not what it is.
pub const TRANSPORT_FIELDS: &[&str] = &["stream", "stream_options"];

/// Which parts of a body decide a match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MatchOn {
    /// The whole body without [`TRANSPORT_FIELDS`].
    #[default]
    Body,
    /// Only these fields (dotted paths into objects, e.g. `response_format.type`).
    Fields(Vec<String>),
}

impl MatchOn {
    /// Parse `--match-on`: a comma-separated list of field paths; empty means the whole body.
    pub fn parse(spec: &str) -> Result<MatchOn, String> {
        let fields: Vec<String> =
            spec.split(',').map(str::trim).filter(|f| !f.is_empty()).map(str::to_string).collect();
        if fields.is_empty() {
            return Ok(MatchOn::Body);
        }
        for f in &fields {
            if f.split('.').any(str::is_empty) {
                return Err(format!("--match-on: `{f}` is not a field path"));
            }
        }
        Ok(MatchOn::Fields(fields))
    }

    /// The part of `body` that decides a match, as a JSON value.
    pub fn project(&self, body: &Value) -> Value {
        match self {
            MatchOn::Body => match body {
                Value::Object(map) => Value::Object(
                    map.iter()
                        .filter(|(k, _)| !TRANSPORT_FIELDS.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
                other => other.clone(),
            },
            MatchOn::Fields(fields) => {
                let mut out = Map::new();
                for f in fields {
                    // A missing field is part of the key too (`null`), so a request that lacks
                    // a field does not match one that has it.
                    out.insert(f.clone(), get_path(body, f).cloned().unwrap_or(Value::Null));
                }
                Value::Object(out)
            }
        }
    }

    /// The match key of a body: canonical JSON of its projection.
    pub fn key(&self, body: &Value) -> String {
        canonical(&self.project(body))
    }
}

/// Look up a dotted path (`a.b.c`) in nested objects.
pub fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |cur, part| cur.as_object()?.get(part))
}

pub use crate::engine::cache::{canonical, canonical_number};

/// A bag of the words of a canonical key (letters and digits runs), for ranking near misses.
pub fn word_bag(text: &str) -> HashMap<String, u32> {
    let mut bag = HashMap::new();
    for w in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        *bag.entry(w.to_lowercase()).or_insert(0) += 1;
    }
    bag
}

/// Dice coefficient of two word bags: 2·|A∩B| / (|A|+|B|), with multiplicity. 1 = same words.
pub fn bag_similarity(a: &HashMap<String, u32>, b: &HashMap<String, u32>) -> f64 {
    let total: u32 = a.values().sum::<u32>() + b.values().sum::<u32>();
    if total == 0 {
        return 1.0;
    }
    let common: u32 = a.iter().map(|(w, n)| (*n).min(b.get(w).copied().unwrap_or(0))).sum();
    f64::from(2 * common) / f64::from(total)
}

/// Top-level fields whose values differ between two projected bodies (sorted).
pub fn differing_fields(a: &Value, b: &Value) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return if canonical(a) == canonical(b) { vec![] } else { vec!["(body)".into()] };
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| {
            let va = a.get(*k).map(canonical);
            let vb = b.get(*k).map(canonical);
            va != vb
        })
        .cloned()
        .collect()
}

/// The index of the candidate most similar to `bag` and its similarity, or `None` when there
/// are no candidates.
pub fn closest<'a, I>(bag: &HashMap<String, u32>, candidates: I) -> Option<(usize, f64)>
where
    I: IntoIterator<Item = &'a HashMap<String, u32>>,
{
    candidates.into_iter().enumerate().map(|(i, c)| (i, bag_similarity(bag, c))).fold(None, |best, (i, s)| {
        match best {
            Some((_, bs)) if bs >= s => best,
            _ => Some((i, s)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_whitespace_and_number_spelling_do_not_matter() {
        let a: Value = serde_json::from_str(
            r#"{"model":"m","temperature":1.0,"messages":[{"role":"user","content":"hi"}]}"#,
        )
        .unwrap();
        let b: Value = serde_json::from_str(
            "{ \"messages\" : [ { \"content\" : \"hi\", \"role\" : \"user\" } ],\n \"temperature\": 1, \"model\": \"m\" }",
        )
        .unwrap();
        assert_eq!(MatchOn::Body.key(&a), MatchOn::Body.key(&b));
        assert_eq!(
            MatchOn::Body.key(&a),
            r#"{"messages":[{"content":"hi","role":"user"}],"model":"m","temperature":1}"#
        );
        // Array order does matter (message order is meaning).
        let c = json!({"messages": [{"role": "user", "content": "b"}, {"role": "user", "content": "a"}]});
        let d = json!({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]});
        assert_ne!(MatchOn::Body.key(&c), MatchOn::Body.key(&d));
        assert_eq!(canonical(&json!(0.5)), "0.5");
        assert_eq!(canonical(&json!(-0.0)), "0");
        assert_eq!(canonical(&json!("é\n")), "\"é\\n\"");
    }

    #[test]
    fn streaming_flags_are_not_part_of_the_key() {
        let a =
            json!({"model": "m", "messages": [], "stream": true, "stream_options": {"include_usage": true}});
        let b = json!({"model": "m", "messages": []});
        assert_eq!(MatchOn::Body.key(&a), MatchOn::Body.key(&b));
    }

    #[test]
    fn match_on_narrows_to_fields_and_paths() {
        let spec = MatchOn::parse("model, messages").unwrap();
        let a = json!({"model": "m", "messages": [1], "temperature": 0.2, "user": "x"});
        let b = json!({"model": "m", "messages": [1], "temperature": 0.9});
        assert_eq!(spec.key(&a), spec.key(&b));
        let c = json!({"messages": [1]});
        assert_ne!(spec.key(&a), spec.key(&c), "a missing field is not a wildcard");
        let nested = MatchOn::parse("response_format.type").unwrap();
        assert_eq!(
            nested.key(&json!({"response_format": {"type": "json_object", "x": 1}})),
            r#"{"response_format.type":"json_object"}"#
        );
        assert_eq!(MatchOn::parse(" , ").unwrap(), MatchOn::Body);
        assert!(MatchOn::parse("a..b").is_err());
    }

    #[test]
    fn closest_ranks_by_shared_words_and_names_the_differing_fields() {
        let recorded = [
            json!({"model": "m", "messages": [{"role": "user", "content": "what is the capital of france"}]}),
            json!({"model": "m", "messages": [{"role": "user", "content": "write a haiku about rust"}]}),
        ];
        let bags: Vec<_> = recorded.iter().map(|r| word_bag(&MatchOn::Body.key(r))).collect();
        let miss = json!({"model": "m", "temperature": 0, "messages": [{"role": "user", "content": "what is the capital of spain"}]});
        let (i, sim) = closest(&word_bag(&MatchOn::Body.key(&miss)), &bags).unwrap();
        assert_eq!(i, 0);
        assert!(sim > 0.8 && sim < 1.0, "{sim}");
        assert_eq!(differing_fields(&miss, &recorded[0]), ["messages", "temperature"]);
        assert!(closest(&word_bag("x"), &Vec::new()).is_none());
    }

    #[test]
    fn bag_similarity_is_dice() {
        let a = word_bag("a a b");
        let b = word_bag("a b c");
        assert!((bag_similarity(&a, &b) - (2.0 * 2.0 / 6.0)).abs() < 1e-12);
        assert_eq!(bag_similarity(&word_bag(""), &word_bag("")), 1.0);
    }
}
