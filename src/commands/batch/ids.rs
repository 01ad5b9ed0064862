//! Custom ids: the stable shard hash, and a compact set of ids for 1M-line jobs.
//!
//! A resumable job must remember which `custom_id`s are already done and which appear twice in
//! the input, without holding a million strings in memory. [`IdSet`] keeps a sorted vector of
//! 64-bit digests instead (8 bytes per id, 8 MB per million), looked up by binary search.
//! Duplicate detection never trusts a digest alone: equal digests are confirmed by comparing the
//! ids themselves (see `input::scan`), so a digest collision can never reject a valid line.
//! For the done set a false match would need an id that is in the output but not in the input
//! (the input changed between runs) *and* a 64-bit collision: about n²/2⁶⁵, 3e-8 at a million.

use std::hash::{Hash, Hasher};

/// Digest of an id for the in-memory sets (SipHash-1-3 with fixed keys: stable within a build,
/// which is all an in-memory set needs).
pub fn digest(id: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// FNV-1a 64 of the UTF-8 bytes of `custom_id`. This is the documented shard function: shard
/// `k` of `n` (1-based) takes the ids with `fnv1a64(id) % n == k - 1`. It is fixed forever so
/// that the machines of a CI matrix, and scripts in any language, agree on the split.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// `--shard K/N`: this process runs only the ids of shard K (1-based) out of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: u64,
    pub n: u64,
}

impl Shard {
    pub fn parse(s: &str) -> Result<Shard, String> {
        let err = || format!("--shard `{s}` must look like K/N with 1 <= K <= N (e.g. 2/8)");
        let (k, n) = s.split_once('/').ok_or_else(err)?;
        let k: u64 = k.trim().parse().map_err(|_| err())?;
        let n: u64 = n.trim().parse().map_err(|_| err())?;
        if k == 0 || n == 0 || k > n {
            return Err(err());
        }
        Ok(Shard { k, n })
    }

    /// True when `custom_id` belongs to this shard.
    pub fn contains(&self, custom_id: &str) -> bool {
        fnv1a64(custom_id.as_bytes()) % self.n == self.k - 1
    }
}

/// A set of ids kept as sorted 64-bit digests. Build with `push` then `seal`; query after.
#[derive(Debug, Default, Clone)]
pub struct IdSet {
    digests: Vec<u64>,
    sealed: bool,
}

impl IdSet {
    pub fn new() -> Self {
        IdSet::default()
    }

    pub fn push(&mut self, id: &str) {
        self.push_digest(digest(id));
    }

    pub fn push_digest(&mut self, d: u64) {
        self.digests.push(d);
        self.sealed = false;
    }

    /// Sort and drop repeats; must be called before `contains`.
    pub fn seal(&mut self) {
        self.digests.sort_unstable();
        self.digests.dedup();
        self.digests.shrink_to_fit();
        self.sealed = true;
    }

    /// Sort, and return the digests that were pushed more than once (each once), leaving the
    /// set sealed.
    pub fn seal_returning_repeats(&mut self) -> Vec<u64> {
        self.digests.sort_unstable();
        let mut repeats = Vec::new();
        for w in self.digests.windows(2) {
            if w[0] == w[1] && repeats.last() != Some(&w[0]) {
                repeats.push(w[0]);
            }
        }
        self.digests.dedup();
        self.digests.shrink_to_fit();
        self.sealed = true;
        repeats
    }

    pub fn contains(&self, id: &str) -> bool {
        self.contains_digest(digest(id))
    }

    pub fn contains_digest(&self, d: u64) -> bool {
        debug_assert!(self.sealed || self.digests.is_empty(), "IdSet queried before seal()");
        self.digests.binary_search(&d).is_ok()
    }

    pub fn len(&self) -> usize {
        self.digests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Heap bytes held (for the memory notes in benches/batch.md).
    pub fn heap_bytes(&self) -> usize {
        self.digests.capacity() * std::mem::size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_published_test_vectors() {
        // From the FNV reference (isthe.com/chongo/tech/comp/fnv): "" and "a" and "foobar".
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn shard_flag_parses_and_rejects() {
        assert_eq!(Shard::parse("2/8"), Ok(Shard { k: 2, n: 8 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_partition_ids_evenly_and_completely() {
        let n = 4;
        let shards: Vec<Shard> = (1..=n).map(|k| Shard { k, n }).collect();
        let mut counts = [0u32; 4];
        for i in 0..10_000 {
            let id = format!("req-{i}");
            let owners: Vec<usize> =
                shards.iter().enumerate().filter(|(_, s)| s.contains(&id)).map(|(i, _)| i).collect();
            assert_eq!(owners.len(), 1, "{id} must belong to exactly one shard");
            counts[owners[0]] += 1;
        }
        for c in counts {
            assert!((2200..2800).contains(&c), "uneven split: {counts:?}");
        }
    }

    #[test]
    fn id_set_finds_members_and_repeats() {
        let mut set = IdSet::new();
        for id in ["a", "b", "c", "b", "a", "a"] {
            set.push(id);
        }
        let repeats = set.seal_returning_repeats();
        assert_eq!(repeats.len(), 2);
        assert!(repeats.contains(&digest("a")) && repeats.contains(&digest("b")));
        assert!(set.contains("c") && !set.contains("d"));
        assert_eq!(set.len(), 3);
    }
}
