//! A typed, path-tracking reader over `serde_json::Value`.
//!
//! Settings and facts arrive as loosely typed data (a PHP array or JSON). Reading them through this
//! module gives every refusal the exact path of the entry (`role_links[2].tag`) and refuses keys
//! nobody reads, so a typo in a setting is an error instead of a silently ignored option.

use super::error::{Error, Result};
use serde_json::{Map, Value};

/// One value and where it sits in the input.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    value: &'a Value,
    path: &'a str,
}

/// Owned path text for children; kept separate so `Node` stays `Copy`.
pub struct Child<'a> {
    value: &'a Value,
    path: String,
}

impl<'a> Child<'a> {
    /// Borrow as a node.
    pub fn node(&self) -> Node<'_> {
        Node { value: self.value, path: &self.path }
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) if s.chars().count() > 40 => "a long string".into(),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

/// Why a string is not a usable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    /// Empty once trimmed.
    Empty,
    /// Longer than allowed once trimmed.
    TooLong,
    /// Holds a control character.
    Control,
}

/// `s` trimmed, when it is a usable name (role slug, tag, capability): not empty, at most `max`
/// bytes, no control characters. [`Node::name`] and the binding's direct readers both use it.
pub fn name(s: &str, max: usize) -> std::result::Result<&str, NameProblem> {
    let s = s.trim();
    if s.is_empty() {
        Err(NameProblem::Empty)
    } else if s.len() > max {
        Err(NameProblem::TooLong)
    } else if s.chars().any(char::is_control) {
        Err(NameProblem::Control)
    } else {
        Ok(s)
    }
}

impl<'a> Node<'a> {
    /// The root of an input, named `root` in error paths.
    pub fn root(value: &'a Value, root: &'a str) -> Self {
        Self { value, path: root }
    }

    /// The raw value.
    pub fn value(&self) -> &'a Value {
        self.value
    }

    /// The path of this node.
    pub fn path(&self) -> &str {
        self.path
    }

    /// An input error at this node.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::input(self.path, message)
    }

    /// True when the value is `null`.
    pub fn is_null(&self) -> bool {
        self.value.is_null()
    }

    /// A string.
    pub fn str(&self) -> Result<&'a str> {
        self.value
            .as_str()
            .ok_or_else(|| self.error(format!("expected a string, got {}", describe(self.value))))
    }

    /// A string that is not empty once trimmed, at most `max` bytes; returned trimmed.
    pub fn name(&self, max: usize) -> Result<&'a str> {
        name(self.str()?, max).map_err(|problem| match problem {
            NameProblem::Empty => self.error("must not be empty"),
            NameProblem::TooLong => self.error(format!("is longer than {max} bytes")),
            NameProblem::Control => self.error("must not contain control characters"),
        })
    }

    /// A boolean (strictly `true`/`false`).
    pub fn bool(&self) -> Result<bool> {
        self.value
            .as_bool()
            .ok_or_else(|| self.error(format!("expected true or false, got {}", describe(self.value))))
    }

    /// A non-negative integer.
    pub fn u64(&self) -> Result<u64> {
        self.value.as_u64().ok_or_else(|| {
            self.error(format!("expected a whole number of zero or more, got {}", describe(self.value)))
        })
    }

    /// A list. An empty map counts as an empty list, because PHP's `[]` is both.
    pub fn list(&self) -> Result<Vec<Child<'a>>> {
        match self.value {
            Value::Array(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, value)| Child { value, path: format!("{}[{i}]", self.path) })
                .collect()),
            Value::Object(m) if m.is_empty() => Ok(Vec::new()),
            other => Err(self.error(format!("expected a list, got {}", describe(other)))),
        }
    }

    /// A map whose keys must all be read before [`Obj::finish`]. An empty list counts as an empty map.
    pub fn object(&self) -> Result<Obj<'a>> {
        match self.value {
            Value::Object(map) => Ok(Obj { map: Some(map), path: self.path.to_string(), read: Vec::new() }),
            Value::Array(items) if items.is_empty() => {
                Ok(Obj { map: None, path: self.path.to_string(), read: Vec::new() })
            }
            other => Err(self.error(format!("expected a map, got {}", describe(other)))),
        }
    }

    /// A map read as arbitrary key → child pairs (for maps keyed by data, such as role slugs).
    pub fn entries(&self) -> Result<Vec<(&'a str, Child<'a>)>> {
        match self.value {
            Value::Object(map) => Ok(map
                .iter()
                .map(|(k, value)| (k.as_str(), Child { value, path: format!("{}.{k}", self.path) }))
                .collect()),
            Value::Array(items) if items.is_empty() => Ok(Vec::new()),
            other => Err(self.error(format!("expected a map, got {}", describe(other)))),
        }
    }
}

/// A map being read; unknown keys are refused by [`Obj::finish`].
pub struct Obj<'a> {
    map: Option<&'a Map<String, Value>>,
    path: String,
    read: Vec<&'static str>,
}

impl<'a> Obj<'a> {
    /// The child at `key`, if present and not `null`.
    pub fn get(&mut self, key: &'static str) -> Option<Child<'a>> {
        self.read.push(key);
        let value = self.map?.get(key)?;
        if value.is_null() {
            return None;
        }
        Some(Child { value, path: self.child_path(key) })
    }

    /// The child at `key`, which must be present.
    pub fn require(&mut self, key: &'static str) -> Result<Child<'a>> {
        self.get(key).ok_or_else(|| Error::input(self.child_path(key), "is required"))
    }

    fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_string() } else { format!("{}.{key}", self.path) }
    }

    /// Refuses any key that was not read, naming it and the keys that are accepted.
    pub fn finish(self) -> Result<()> {
        let Some(map) = self.map else { return Ok(()) };
        if let Some(unknown) = map.keys().find(|k| !self.read.contains(&k.as_str())) {
            let mut known = self.read.clone();
            known.sort_unstable();
            return Err(Error::input(
                self.child_path(unknown),
                format!("unknown key (accepted here: {})", known.join(", ")),
            ));
        }
        Ok(())
    }
}
