//! Core scenarios and properties, run with plain `cargo test` (no PHP involved).

mod settings;
