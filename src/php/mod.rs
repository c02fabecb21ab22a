//! The binding layer: PHP functions and classes that convert their arguments, call the core and
//! convert the answer back. It makes no decisions of its own.

pub mod cache;
pub mod convert;
pub mod errors;
pub mod fields;
pub mod info;
pub mod outbox;
pub mod reconcile;
pub mod settings;
pub mod sites;
pub mod webhook;
