//! The per-process store of compiled settings, shared by every request the PHP worker serves.

use crate::core::cache::VersionCache;
use crate::core::{Error, ErrorKind, Settings};
use parking_lot::RwLock;
use std::sync::{Arc, LazyLock};

/// A handful of versions is plenty: a site has one live version, plus the one being saved.
static COMPILED: LazyLock<RwLock<VersionCache<Settings>>> =
    LazyLock::new(|| RwLock::new(VersionCache::new(8)));

/// Stores compiled settings under `version`.
pub fn put(version: String, settings: Arc<Settings>) {
    COMPILED.write().insert(version, settings);
}

/// The compiled settings of `version`.
pub fn get(version: &str) -> Result<Arc<Settings>, Error> {
    COMPILED.read().get(version).ok_or_else(|| Error {
        kind: ErrorKind::NotCompiled,
        path: String::new(),
        message: format!(
            "settings version {version:?} is not compiled in this process; call tagbridge_compile_settings() first"
        ),
    })
}

/// True when `version` is compiled.
pub fn has(version: &str) -> bool {
    COMPILED.read().get(version).is_some()
}
