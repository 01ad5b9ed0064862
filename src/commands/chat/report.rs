//! The `-u/--usage` line: what one answer cost, on one line of stderr so it never mixes with
//! the answer on stdout and is easy to grep from a log.
//!
//! Format (fields always in this order; `key=value` separated by single spaces):
//! `usage: in=1234 cached=1000 out=56 reasoning=0 cost=$0.000123 saved=$0.000090 latency=812ms ttft=230ms retries=0`
//! `cost=unpriced` when the price table does not know the model; `saved` only when the prompt
//! cache was used (negative on a first Anthropic cache write, which costs more than input); `requests=N` is added when tool rounds made more than one request.

use std::time::Duration;

use crate::usage::Usage;

/// What the usage line reports, summed over every request of one answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    pub usage: Usage,
    /// USD; `None` when the model is not in the price table.
    pub cost: Option<f64>,
    /// USD that cache reads saved against full input price (`None`: unpriced or no cache).
    pub saved: Option<f64>,
    /// Wall time from the first request sent to the last byte received.
    pub latency: Duration,
    /// Time to the first output token of the first request (streams only).
    pub ttft: Option<Duration>,
    pub retries: u32,
    pub requests: u32,
}

impl Totals {
    /// Add one more request of the same answer (a tool round).
    pub fn add(&mut self, other: &Totals) {
        self.usage.add(&other.usage);
        self.cost = match (self.cost, other.cost) {
            (Some(a), Some(b)) => Some(a + b),
            (None, x) if self.requests == 0 => x,
            _ => None,
        };
        self.saved = match (self.saved, other.saved) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.latency += other.latency;
        self.ttft = self.ttft.or(other.ttft);
        self.retries += other.retries;
        self.requests += other.requests;
    }

    pub fn line(&self) -> String {
        let u = &self.usage;
        let mut s = format!(
            "usage: in={} cached={} out={} reasoning={}",
            u.input_tokens, u.cached_tokens, u.output_tokens, u.reasoning_tokens
        );
        match self.cost {
            Some(c) => s.push_str(&format!(" cost={}", usd(c))),
            None => s.push_str(" cost=unpriced"),
        }
        if let Some(saved) = self.saved.filter(|_| u.cached_tokens > 0 || u.cache_write_tokens > 0) {
            s.push_str(&format!(" saved={}", usd(saved)));
        }
        s.push_str(&format!(" latency={}", ms(self.latency)));
        if let Some(t) = self.ttft {
            s.push_str(&format!(" ttft={}", ms(t)));
        }
        s.push_str(&format!(" retries={}", self.retries));
        if self.requests > 1 {
            s.push_str(&format!(" requests={}", self.requests));
        }
        s
    }
}

/// Dollars with enough digits for single cheap requests.
fn usd(v: f64) -> String {
    let sign = if v < 0.0 { "-" } else { "" };
    let v = v.abs();
    if v != 0.0 && v < 0.01 {
        format!("{sign}${v:.6}")
    } else {
        format!("{sign}${v:.4}")
    }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1}ms")
    } else {
        format!("{ms:.0}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_has_every_field_in_order() {
        let t = Totals {
            usage: Usage {
                input_tokens: 1234,
                cached_tokens: 1000,
                output_tokens: 56,
                reasoning_tokens: 8,
                ..Default::default()
            },
            cost: Some(0.000123),
            saved: Some(0.00009),
            latency: Duration::from_millis(812),
            ttft: Some(Duration::from_micros(2500)),
            retries: 1,
            requests: 1,
        };
        assert_eq!(
            t.line(),
            "usage: in=1234 cached=1000 out=56 reasoning=8 cost=$0.000123 saved=$0.000090 latency=812ms ttft=2.5ms retries=1"
        );
    }

    #[test]
    fn unpriced_and_uncached_and_non_streamed() {
        let t = Totals {
            usage: Usage { input_tokens: 5, output_tokens: 7, ..Default::default() },
            saved: Some(0.0),
            latency: Duration::from_millis(40),
            requests: 1,
            ..Default::default()
        };
        assert_eq!(t.line(), "usage: in=5 cached=0 out=7 reasoning=0 cost=unpriced latency=40ms retries=0");
    }

    #[test]
    fn tool_rounds_add_up() {
        let one = Totals {
            usage: Usage { input_tokens: 10, output_tokens: 2, ..Default::default() },
            cost: Some(0.5),
            latency: Duration::from_millis(10),
            ttft: Some(Duration::from_millis(3)),
            retries: 1,
            requests: 1,
            ..Default::default()
        };
        let mut sum = Totals::default();
        sum.add(&one);
        sum.add(&Totals { ttft: Some(Duration::from_millis(9)), ..one.clone() });
        assert_eq!(sum.usage.input_tokens, 20);
        assert_eq!(sum.cost, Some(1.0));
        assert_eq!(sum.ttft, Some(Duration::from_millis(3)), "TTFT is the first request's");
        assert!(
            sum.line().ends_with("cost=$1.0000 latency=20ms ttft=3.0ms retries=2 requests=2"),
            "{}",
            sum.line()
        );
        // One unpriced request makes the sum unpriced rather than silently low.
        sum.add(&Totals { cost: None, ..one });
        assert_eq!(sum.cost, None);
    }
}
