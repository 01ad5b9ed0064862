//! Response bodies with emulated latency, and bodies that break on purpose.
//!
//! A reply is written once into a buffer, with pause marks between the parts a real model would
//! emit at different times (first token after `--ttft`, then one token every `--itl`). With no
//! latency knobs there are no marks and the body is one `Bytes` sent in one write, which is what
//! makes the mock fast enough to benchmark clients against. With marks the body becomes a stream
//! paced against absolute deadlines from the start of the reply (no drift), by
//! [`super::timer`] (tokio's timer alone is late by 1-2 ms; no busy waiting either).
//!
//! A `cut` fault reuses the same plan: it keeps the bytes before a cut point and then fails the
//! body stream, which makes hyper abort the connection, so the client sees a truncated body or
//! an SSE stream without `[DONE]`.

use std::time::Duration;

use axum::body::Body;
use bytes::{BufMut, Bytes, BytesMut};

use super::reply::Rng;

/// The latency knobs of one request, with jitter applied from a per-request generator.
#[derive(Debug, Clone)]
pub struct Latency {
    pub ttft: Duration,
    pub itl: Duration,
    /// Each delay is stretched by a uniform random fraction in `[0, jitter)`.
    pub jitter: f64,
}

impl Latency {
    pub fn is_zero(&self) -> bool {
        self.ttft.is_zero() && self.itl.is_zero()
    }

    /// One delay with jitter.
    pub fn sample(&self, base: Duration, rng: &mut Rng) -> Duration {
        if base.is_zero() || self.jitter <= 0.0 {
            base
        } else {
            base.mul_f64(1.0 + rng.unit() * self.jitter)
        }
    }

    /// Time to produce a whole reply of `tokens` tokens: the first token after TTFT, each next
    /// one after an ITL. A non-streamed answer is sent after this much time.
    pub fn total(&self, tokens: usize, rng: &mut Rng) -> Duration {
        let mut total = self.sample(self.ttft, rng);
        if !self.itl.is_zero() {
            for _ in 1..tokens {
                total = total.saturating_add(self.sample(self.itl, rng));
            }
        }
        total
    }
}

/// A body being written, with pauses between parts.
#[derive(Debug)]
pub struct PacedWriter {
    buf: BytesMut,
    /// Finished parts: (delay after the previous part, bytes).
    parts: Vec<(Duration, Bytes)>,
    /// Delay before the part now in `buf`.
    pending: Duration,
    /// Bytes in `parts`.
    flushed: usize,
}

impl PacedWriter {
    pub fn with_capacity(bytes: usize) -> Self {
        PacedWriter {
            buf: BytesMut::with_capacity(bytes),
            parts: Vec::new(),
            pending: Duration::ZERO,
            flushed: 0,
        }
    }

    pub fn put(&mut self, bytes: &[u8]) {
        self.buf.put_slice(bytes);
    }

    /// Everything written so far is sent first; what follows is sent `delay` later.
    /// A zero delay is not a pause.
    pub fn pause(&mut self, delay: Duration) {
        if delay.is_zero() {
            return;
        }
        if !self.buf.is_empty() || !self.pending.is_zero() {
            let part = self.buf.split().freeze();
            self.flushed += part.len();
            self.parts.push((self.pending, part));
            self.pending = Duration::ZERO;
        }
        self.pending += delay;
    }

    /// Byte offset of the next write (for choosing a cut point).
    pub fn offset(&self) -> usize {
        self.flushed + self.buf.len()
    }

    pub fn finish(mut self) -> Paced {
        if !self.buf.is_empty() || !self.pending.is_zero() || self.parts.is_empty() {
            let part = self.buf.split().freeze();
            self.parts.push((self.pending, part));
        }
        Paced { parts: self.parts }
    }
}

/// A finished body: parts and the delay before each.
#[derive(Debug)]
pub struct Paced {
    parts: Vec<(Duration, Bytes)>,
}

impl Paced {
    /// A body with no pauses, sent at once.
    pub fn immediate(bytes: Bytes) -> Self {
        Paced { parts: vec![(Duration::ZERO, bytes)] }
    }

    /// The body as hyper will send it.
    pub fn into_body(mut self) -> Body {
        if self.parts.len() == 1 && self.parts[0].0.is_zero() {
            let (_, bytes) = self.parts.remove(0);
            return Body::from(bytes);
        }
        stream_body(self.parts, false)
    }

    /// The body truncated to its first `at` bytes, then an aborted connection.
    pub fn into_cut_body(self, at: usize) -> Body {
        let mut kept = Vec::new();
        let mut left = at;
        for (delay, bytes) in self.parts {
            if left == 0 {
                break;
            }
            let take = left.min(bytes.len());
            kept.push((delay, bytes.slice(..take)));
            left -= take;
        }
        stream_body(kept, true)
    }
}

/// A streamed body: each part after its delay (measured from the start, so timer slack does
/// not accumulate), then, when `abort`, an error that makes hyper drop the connection.
fn stream_body(parts: Vec<(Duration, Bytes)>, abort: bool) -> Body {
    let start = tokio::time::Instant::now();
    let mut at = Duration::ZERO;
    let schedule: Vec<(tokio::time::Instant, Bytes)> = parts
        .into_iter()
        .map(|(delay, bytes)| {
            at = at.saturating_add(delay);
            (start + at, bytes)
        })
        .collect();
    let stream =
        futures_util::stream::unfold((schedule.into_iter(), abort), |(mut parts, abort)| async move {
            match parts.next() {
                Some((deadline, bytes)) => {
                    super::timer::sleep_until(deadline).await;
                    Some((Ok(bytes), (parts, abort)))
                }
                None if abort => {
                    // Let hyper flush what was sent before failing, so the client really gets the
                    // first part of the body and then a broken connection.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    let err =
                        std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "cut by the mock server");
                    Some((Err(err), (parts, false)))
                }
                None => None,
            }
        });
    Body::from_stream(stream)
}

/// Append one SSE `data:` line with its blank-line terminator.
pub fn sse_data(w: &mut PacedWriter, json: &[u8]) {
    w.put(b"data: ");
    w.put(json);
    w.put(b"\n\n");
}

/// Append one named SSE event.
pub fn sse_event(w: &mut PacedWriter, event: &str, json: &[u8]) {
    w.put(b"event: ");
    w.put(event.as_bytes());
    w.put(b"\ndata: ");
    w.put(json);
    w.put(b"\n\n");
}

/// A JSON object serialized with a placeholder string, split around it, so a chunk per token
/// is `prefix + token + suffix` with no serializer call per token. The placeholder is searched
/// from the end: fields after it are fixed, fields before it (model names) are user-controlled.
#[derive(Debug)]
pub struct Template {
    prefix: Bytes,
    suffix: Bytes,
}

pub const PLACEHOLDER: &str = "@@llmkit-piece@@";

impl Template {
    pub fn new(serialized: &[u8]) -> Option<Template> {
        let text = std::str::from_utf8(serialized).ok()?;
        let at = text.rfind(PLACEHOLDER)?;
        Some(Template {
            prefix: Bytes::copy_from_slice(&serialized[..at]),
            suffix: Bytes::copy_from_slice(&serialized[at + PLACEHOLDER.len()..]),
        })
    }

    /// The object with `piece` in place of the placeholder. `piece` must need no JSON
    /// escaping (the reply vocabulary never does).
    pub fn put(&self, w: &mut PacedWriter, piece: &str) {
        w.put(&self.prefix);
        w.put(piece.as_bytes());
        w.put(&self.suffix);
    }

    pub fn len(&self) -> usize {
        self.prefix.len() + self.suffix.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    async fn collect(body: Body) -> (Vec<u8>, bool) {
        let mut stream = body.into_data_stream();
        let mut out = Vec::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(b) => out.extend_from_slice(&b),
                Err(_) => return (out, true),
            }
        }
        (out, false)
    }

    #[tokio::test]
    async fn unpaused_bodies_are_one_part() {
        let mut w = PacedWriter::with_capacity(16);
        w.put(b"abc");
        w.pause(Duration::ZERO);
        w.put(b"def");
        let paced = w.finish();
        assert_eq!(paced.parts.len(), 1);
        assert_eq!(collect(paced.into_body()).await, (b"abcdef".to_vec(), false));
    }

    #[tokio::test]
    async fn pauses_split_and_delay_parts() {
        let mut w = PacedWriter::with_capacity(16);
        w.pause(Duration::from_millis(30));
        w.put(b"a");
        w.pause(Duration::from_millis(10));
        w.put(b"b");
        assert_eq!(w.offset(), 2);
        let paced = w.finish();
        assert_eq!(paced.parts.len(), 2);
        assert_eq!(paced.parts[0].0, Duration::from_millis(30));
        let t0 = tokio::time::Instant::now();
        let (bytes, aborted) = collect(paced.into_body()).await;
        assert_eq!(bytes, b"ab");
        assert!(!aborted);
        let took = t0.elapsed();
        assert!(took >= Duration::from_millis(40) && took < Duration::from_millis(400), "{took:?}");
    }

    #[tokio::test]
    async fn cut_bodies_stop_early_with_an_error() {
        let paced = Paced::immediate(Bytes::from_static(b"0123456789"));
        let (bytes, aborted) = collect(paced.into_cut_body(4)).await;
        assert_eq!(bytes, b"0123");
        assert!(aborted);
    }

    #[test]
    fn templates_wrap_pieces() {
        let t = Template::new(br#"{"model":"@@llmkit-piece@@","x":"@@llmkit-piece@@","y":1}"#).unwrap();
        let mut w = PacedWriter::with_capacity(64);
        t.put(&mut w, " hi");
        let Paced { parts } = w.finish();
        assert_eq!(&parts[0].1[..], br#"{"model":"@@llmkit-piece@@","x":" hi","y":1}"#);
        assert!(Template::new(b"{}").is_none());
    }

    #[test]
    fn jitter_stretches_within_bounds() {
        let lat = Latency { ttft: Duration::from_millis(100), itl: Duration::from_millis(10), jitter: 0.5 };
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let d = lat.sample(lat.ttft, &mut rng);
            assert!(d >= Duration::from_millis(100) && d < Duration::from_millis(150), "{d:?}");
        }
        let none = Latency { ttft: Duration::from_millis(100), itl: Duration::from_millis(10), jitter: 0.0 };
        assert_eq!(none.total(5, &mut rng), Duration::from_millis(140));
        assert!(Latency { ttft: Duration::ZERO, itl: Duration::ZERO, jitter: 0.3 }.is_zero());
    }
}
