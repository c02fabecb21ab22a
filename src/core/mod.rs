//! The pure core: every TagBridge decision, with no PHP types, no I/O and no globals.
//!
//! Inputs are plain data (`serde_json::Value` read through [`reader`]), outputs are plain data.
//! The binding layer (`crate::php`) converts PHP values in and out and decides nothing.

#![forbid(unsafe_code)]

pub mod cache;
pub mod calendar;
pub mod countries;
pub mod error;
pub mod facts;
pub mod field_format;
pub mod field_plan;
pub mod fields;
pub mod format_profile;
pub mod phone;
pub mod plan;
pub mod reader;
pub mod reconcile;
pub mod serialized;
pub mod settings;
pub mod site_rules;

pub use error::{Error, ErrorKind, Result};
pub use facts::{Event, Truth, UserFacts};
pub use plan::Plan;
pub use settings::{Settings, Site};
pub mod outbox;
pub mod webhook;
