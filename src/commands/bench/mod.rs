//! `llmkit bench`: load-test an LLM endpoint and report TTFT, TPOT, ITL, E2E, throughput and
//! errors, per load level; `llmkit bench report` merges record files from several runs.
//!
//! The pieces, from the clock to the page: `schedule` (when requests are due), `workload`
//! (what they carry), `runner` (send them, collect records), `record` (one request, the
//! `--out` line), `metrics` (records -> numbers), `report` (numbers -> table/JSON/CSV).

pub mod metrics;
pub mod record;
pub mod runner;
pub mod schedule;
pub mod workload;
