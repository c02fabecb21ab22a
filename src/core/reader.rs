//! A typed, path-tracking reader over `serde_json::Value`.
//!
//! Settings and facts arrive as loosely typed data (a PHP array or JSON). Reading them through this
//! module gives every refusal the exact path of the entry (`role_links[2].tag`) and refuses keys
//! nobody reads, so a typo in a setting is an error instead of a silently ignored option.

use super::error::{Error, Result};
use serde_json::{Map, Value};
use std::ops::Deref;
use std::rc::Rc;

/// One step below a container. Paths are made text only when asked for (an error), and a
/// container's own path once for all its children, never once per value read.
#[derive(Clone, Copy)]
enum Seg<'a> {
    /// A list item: `parent[i]`.
    Index(usize),
    /// A key read from a map: `parent.key`, or `key` at an unnamed root.
    Field(&'a str),
    /// A key of a map read as entries: `parent.key`.
    Entry(&'a str),
}

fn join(parent: &str, seg: Option<Seg<'_>>) -> String {
    match seg {
        None => parent.to_string(),
        Some(Seg::Index(i)) => format!("{parent}[{i}]"),
        Some(Seg::Field(k)) if parent.is_empty() => k.to_string(),
        Some(Seg::Field(k) | Seg::Entry(k)) => format!("{parent}.{k}"),
    }
}

/// The path text of a container, shared by its children.
#[derive(Clone)]
enum Text<'a> {
    Borrowed(&'a str),
    Shared(Rc<str>),
}

impl Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Self::Borrowed(s) => s,
            Self::Shared(s) => s,
        }
    }
}

/// One value and where it sits in the input: its container's path and its step below it.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    value: &'a Value,
    parent: &'a str,
    seg: Option<Seg<'a>>,
}

/// A value inside a container; holds the container's path so that `Node` stays `Copy`.
pub struct Child<'a> {
    value: &'a Value,
    parent: Text<'a>,
    seg: Seg<'a>,
}

impl<'a> Child<'a> {
    /// Borrow as a node.
    pub fn node(&self) -> Node<'_> {
        Node { value: self.value, parent: &self.parent, seg: Some(self.seg) }
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

impl NameProblem {
    /// The problem as said of a name at most `max` bytes long.
    pub fn message(self, max: usize) -> String {
        match self {
            Self::Empty => "must not be empty".to_string(),
            Self::TooLong => format!("is longer than {max} bytes"),
            Self::Control => "must not contain control characters".to_string(),
        }
    }
}

/// `s` trimmed, when it is a usable name (role slug, tag, capability): not empty, at most `max`
/// bytes, no control characters. [`Node::name`] and the binding's direct readers both use it.
pub fn name(s: &str, max: usize) -> std::result::Result<&str, NameProblem> {
    // Nearly every name is printable ASCII: then only spaces can be trimmed and nothing is a control
    // character, which is much cheaper to check than Unicode whitespace and controls.
    let printable = s.bytes().all(|b| (b' '..=b'~').contains(&b));
    let s = if printable { s.trim_ascii() } else { s.trim() };
    if s.is_empty() {
        Err(NameProblem::Empty)
    } else if s.len() > max {
        Err(NameProblem::TooLong)
    } else if !printable && s.chars().any(char::is_control) {
        Err(NameProblem::Control)
    } else {
        Ok(s)
    }
}

impl<'a> Node<'a> {
    /// The root of an input, named `root` in error paths.
    pub fn root(value: &'a Value, root: &'a str) -> Self {
        Self { value, parent: root, seg: None }
    }

    /// The raw value.
    pub fn value(&self) -> &'a Value {
        self.value
    }

    /// The path of this node (`role_links[2].tag`).
    pub fn path(&self) -> String {
        join(self.parent, self.seg)
    }

    /// This node's path as the parent text of its children.
    fn text(&self) -> Text<'a> {
        match self.seg {
            None => Text::Borrowed(self.parent),
            Some(_) => Text::Shared(self.path().into()),
        }
    }

    /// An input error at this node.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::input(self.path(), message)
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
        name(self.str()?, max).map_err(|problem| self.error(problem.message(max)))
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
            Value::Array(items) if items.is_empty() => Ok(Vec::new()),
            Value::Array(items) => {
                let parent = self.text();
                Ok(items
                    .iter()
                    .enumerate()
                    .map(|(i, value)| Child { value, parent: parent.clone(), seg: Seg::Index(i) })
                    .collect())
            }
            Value::Object(m) if m.is_empty() => Ok(Vec::new()),
            other => Err(self.error(format!("expected a list, got {}", describe(other)))),
        }
    }

    /// A map whose keys must all be read before [`Obj::finish`]. An empty list counts as an empty map.
    pub fn object(&self) -> Result<Obj<'a>> {
        match self.value {
            Value::Object(map) => Ok(Obj { map: Some(map), node: *self, text: None, read: Vec::new() }),
            Value::Array(items) if items.is_empty() => {
                Ok(Obj { map: None, node: *self, text: None, read: Vec::new() })
            }
            other => Err(self.error(format!("expected a map, got {}", describe(other)))),
        }
    }

    /// A map read as arbitrary key → child pairs (for maps keyed by data, such as role slugs).
    pub fn entries(&self) -> Result<Vec<(&'a str, Child<'a>)>> {
        match self.value {
            Value::Object(map) if map.is_empty() => Ok(Vec::new()),
            Value::Object(map) => {
                let parent = self.text();
                Ok(map
                    .iter()
                    .map(|(k, value)| {
                        (k.as_str(), Child { value, parent: parent.clone(), seg: Seg::Entry(k.as_str()) })
                    })
                    .collect())
            }
            Value::Array(items) if items.is_empty() => Ok(Vec::new()),
            other => Err(self.error(format!("expected a map, got {}", describe(other)))),
        }
    }
}

/// A map being read; unknown keys are refused by [`Obj::finish`].
pub struct Obj<'a> {
    map: Option<&'a Map<String, Value>>,
    node: Node<'a>,
    /// The map's path, made on the first child and shared by the rest.
    text: Option<Text<'a>>,
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
        let parent = self.text.get_or_insert_with(|| self.node.text()).clone();
        Some(Child { value, parent, seg: Seg::Field(key) })
    }

    /// The child at `key`, which must be present.
    pub fn require(&mut self, key: &'static str) -> Result<Child<'a>> {
        self.get(key).ok_or_else(|| Error::input(self.child_path(key), "is required"))
    }

    fn child_path(&self, key: &str) -> String {
        join(&self.node.path(), Some(Seg::Field(key)))
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
