//! Fault injection: which requests fail (`--fail-rate`), and how (`--fail-kinds`).
//!
//! Retry, backoff, circuit breaking and stream continuation in the engine are only as good as
//! the failures they were tested against, so the mock produces the real ones: error statuses
//! with the bodies and `retry-after` headers real services send, connections closed with no
//! answer (`drop`), streams and bodies that stop half-way (`cut`), and requests that never get
//! an answer (`hang`). The choice is a pure function of the seed and a request counter, so a
//! run with the same seed fails the same requests in the same order.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use tokio::sync::Notify;

use super::reply::{mix, Rng};

/// One way to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailKind {
    /// Answer with this HTTP status (400..=599) and a matching error body.
    Status(u16),
    /// Close the TCP connection without sending anything.
    Drop,
    /// Send the status, headers and part of the body (some SSE events, or a truncated JSON
    /// body), then abort the connection.
    Cut,
    /// Never answer; only the client's timeout ends the request.
    Hang,
}

impl fmt::Display for FailKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailKind::Status(s) => write!(f, "{s}"),
            FailKind::Drop => f.write_str("drop"),
            FailKind::Cut => f.write_str("cut"),
            FailKind::Hang => f.write_str("hang"),
        }
    }
}

impl FromStr for FailKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "drop" => Ok(FailKind::Drop),
            "cut" => Ok(FailKind::Cut),
            "hang" => Ok(FailKind::Hang),
            other => match other.parse::<u16>() {
                Ok(code) if (400..=599).contains(&code) => Ok(FailKind::Status(code)),
                _ => Err(format!(
                    "unknown failure kind `{s}`: expected an HTTP status 400-599, `drop`, `cut` or `hang`"
                )),
            },
        }
    }
}

/// `--fail-kinds` entry: a kind and its relative weight (`500:3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeightedKind {
    pub kind: FailKind,
    pub weight: u32,
}

impl FromStr for WeightedKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, weight) = match s.split_once(':') {
            Some((k, w)) => {
                let weight = w
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|w| *w > 0)
                    .ok_or_else(|| format!("invalid weight in `{s}`: expected a positive integer"))?;
                (k, weight)
            }
            None => (s, 1),
        };
        Ok(WeightedKind { kind: kind.parse()?, weight })
    }
}

/// The failure plan of a server.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    pub rate: f64,
    pub kinds: Vec<WeightedKind>,
}

impl FaultPlan {
    pub fn none() -> Self {
        FaultPlan { rate: 0.0, kinds: Vec::new() }
    }

    /// Does request number `n` fail, and how? Deterministic in (`seed`, `n`).
    pub fn draw(&self, seed: u64, n: u64) -> Option<FailKind> {
        if self.rate <= 0.0 || self.kinds.is_empty() {
            return None;
        }
        let mut rng = Rng::new(mix(seed ^ 0xFA17_FA17, n));
        if rng.unit() >= self.rate {
            return None;
        }
        let total: u64 = self.kinds.iter().map(|k| u64::from(k.weight)).sum();
        let mut pick = rng.next_u64() % total.max(1);
        for k in &self.kinds {
            if pick < u64::from(k.weight) {
                return Some(k.kind);
            }
            pick -= u64::from(k.weight);
        }
        self.kinds.last().map(|k| k.kind)
    }
}

/// Per-connection handle that lets a handler close its own TCP connection without answering
/// (`drop`). The accept loop owns the connection and watches [`ConnControl::killed`].
#[derive(Debug, Clone, Default)]
pub struct ConnControl {
    kill: Arc<Notify>,
}

impl ConnControl {
    /// Ask the connection's task to drop the connection.
    pub fn kill(&self) {
        self.kill.notify_one();
    }

    /// Resolves once [`ConnControl::kill`] was called.
    pub async fn killed(&self) {
        self.kill.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_with_weights_and_reject_nonsense() {
        assert_eq!("503".parse::<FailKind>(), Ok(FailKind::Status(503)));
        assert_eq!("DROP".parse::<FailKind>(), Ok(FailKind::Drop));
        assert_eq!("cut:3".parse::<WeightedKind>(), Ok(WeightedKind { kind: FailKind::Cut, weight: 3 }));
        assert_eq!("hang".parse::<WeightedKind>(), Ok(WeightedKind { kind: FailKind::Hang, weight: 1 }));
        assert!("200".parse::<FailKind>().is_err());
        assert!("600".parse::<FailKind>().is_err());
        assert!("boom".parse::<FailKind>().is_err());
        assert!("500:0".parse::<WeightedKind>().is_err());
        assert!("500:x".parse::<WeightedKind>().is_err());
    }

    #[test]
    fn draws_are_deterministic_and_follow_rate_and_weights() {
        let plan = FaultPlan {
            rate: 0.3,
            kinds: vec![
                WeightedKind { kind: FailKind::Status(500), weight: 3 },
                WeightedKind { kind: FailKind::Drop, weight: 1 },
            ],
        };
        let a: Vec<_> = (0..2000).map(|n| plan.draw(9, n)).collect();
        let b: Vec<_> = (0..2000).map(|n| plan.draw(9, n)).collect();
        assert_eq!(a, b);
        let c: Vec<_> = (0..2000).map(|n| plan.draw(10, n)).collect();
        assert_ne!(a, c);
        let failed = a.iter().flatten().count();
        assert!((500..700).contains(&failed), "{failed}");
        let drops = a.iter().flatten().filter(|k| **k == FailKind::Drop).count();
        assert!((100..200).contains(&drops), "{drops} of {failed}");
    }

    #[test]
    fn rate_zero_and_one_are_exact() {
        let kinds = vec![WeightedKind { kind: FailKind::Hang, weight: 1 }];
        let never = FaultPlan { rate: 0.0, kinds: kinds.clone() };
        let always = FaultPlan { rate: 1.0, kinds };
        assert!((0..500).all(|n| never.draw(1, n).is_none()));
        assert!((0..500).all(|n| always.draw(1, n) == Some(FailKind::Hang)));
    }
}
