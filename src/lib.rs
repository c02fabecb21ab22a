//! TagBridge: a PHP extension that keeps WordPress roles, profile fields and CRM tags in agreement.
//!
//! * [`core`] — every decision, as pure Rust (no PHP types, no I/O), tested with `cargo test`.
//! * `php` — the thin binding that PHP calls; it converts values and raises exceptions.
#![cfg_attr(windows, feature(abi_vectorcall))]

pub mod core;
mod php;

use ext_php_rs::prelude::*;

/// The module PHP loads: each binding file registers its own functions and classes.
#[php_module]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    let module = php::errors::register(module);
    let module = php::info::register(module);
    let module = php::reconcile::register(module);
    let module = php::outbox::register(module);
    let module = php::fields::register(module);
    let module = php::webhook::register(module);
    let module = php::sites::register(module);
    php::settings::register(module)
}
