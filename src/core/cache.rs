//! A small bounded map from settings version to compiled settings.
//!
//! The binding keeps one of these per PHP process behind a lock, so that every request after the
//! first finds its compiled settings by version instead of re-reading the option.

use std::collections::VecDeque;
use std::sync::Arc;

/// Keeps at most `capacity` entries; the oldest inserted goes first.
#[derive(Debug)]
pub struct VersionCache<T> {
    capacity: usize,
    entries: VecDeque<(String, Arc<T>)>,
}

impl<T> VersionCache<T> {
    /// An empty cache holding at most `capacity` (at least one) versions.
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), entries: VecDeque::new() }
    }

    /// The compiled value of `version`, if present.
    pub fn get(&self, version: &str) -> Option<Arc<T>> {
        self.entries.iter().find(|(v, _)| v == version).map(|(_, c)| Arc::clone(c))
    }

    /// Stores `value` under `version`, replacing an older value of the same version.
    pub fn insert(&mut self, version: String, value: Arc<T>) {
        self.entries.retain(|(v, _)| *v != version);
        while self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back((version, value));
    }

    /// How many versions are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets every version.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_oldest_and_replaces_same_version() {
        let mut c = VersionCache::new(2);
        c.insert("a".into(), Arc::new(1));
        c.insert("b".into(), Arc::new(2));
        c.insert("a".into(), Arc::new(3));
        assert_eq!(c.get("a").as_deref(), Some(&3));
        c.insert("c".into(), Arc::new(4));
        assert!(c.get("b").is_none(), "b was the oldest after a was replaced");
        assert_eq!(c.len(), 2);
    }
}
