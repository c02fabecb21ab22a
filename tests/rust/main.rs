//! Core scenarios and properties, run with plain `cargo test` (no PHP involved).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fields;
mod outbox;
mod reader;
mod reconcile;
mod serialized;
mod settings;
mod site_rules;
mod webhook;
