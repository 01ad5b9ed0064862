//! `llmkit cost estimate --batch-file`: what a batch input file will cost before it runs.
