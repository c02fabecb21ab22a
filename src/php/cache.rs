//! The per-process store of compiled settings, shared by every request the PHP worker serves.

use crate::core::Settings;
use crate::core::cache::VersionCache;
use parking_lot::RwLock;
use std::sync::{Arc, LazyLock};

/// A handful of versions is plenty: a site has one live version, plus the one being saved.
static COMPILED: LazyLock<RwLock<VersionCache<Settings>>> =
    LazyLock::new(|| RwLock::new(VersionCache::new(8)));

/// Stores compiled settings under `version`.
pub fn put(version: String, settings: Arc<Settings>) {
    COMPILED.write().insert(version, settings);
}

/// True when `version` is compiled.
pub fn has(version: &str) -> bool {
    COMPILED.read().get(version).is_some()
}
