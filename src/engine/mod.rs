//! The request engine: the only code that touches the network.

pub mod sse;
