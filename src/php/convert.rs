//! PHP values ↔ plain data (`serde_json::Value`), with limits.
//!
//! Everything PHP hands the extension is read here, once, into owned data; nothing else in the
//! crate looks at a `Zval`. Bad input — objects, resources, non-UTF-8 strings, NaN, arrays that are
//! too deep or too large — is refused with a path to the bad element, never a panic.

use crate::core::Error;
use ext_php_rs::boxed::ZBox;
use ext_php_rs::flags::DataType;
use ext_php_rs::types::array::Iter;
use ext_php_rs::types::{ZendHashTable, Zval};
use serde_json::{Map, Number, Value};

/// Bounds on what one call may hand over.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of arrays.
    pub max_depth: usize,
    /// Most scalars and arrays in total.
    pub max_nodes: usize,
    /// Longest string, in bytes.
    pub max_string: usize,
}

impl Limits {
    /// Settings and site facts.
    pub const SETTINGS: Self = Self { max_depth: 16, max_nodes: 200_000, max_string: 64 * 1024 };
    /// One user's facts or one event.
    pub const FACTS: Self = Self { max_depth: 4, max_nodes: 20_000, max_string: 4 * 1024 };
    /// A batch of users' facts (a whole site).
    pub const BATCH: Self = Self { max_depth: 5, max_nodes: 10_000_000, max_string: 4 * 1024 };
    /// One contact's queued changes (field values may be long texts).
    pub const OUTBOX: Self = Self { max_depth: 5, max_nodes: 1_000_000, max_string: 64 * 1024 };
}

/// The key of an entry.
enum Seg {
    Index(i64),
    Key(String),
}

impl Seg {
    fn into_key(self) -> String {
        match self {
            Self::Index(i) => i.to_string(),
            Self::Key(k) => k,
        }
    }
}

/// Where a value sits: the named root, or a key below another place. It is made text only for an
/// error, so reading pays nothing for paths.
enum Place<'p> {
    Root(&'p str),
    Below(&'p Place<'p>, &'p Seg),
}

impl Place<'_> {
    fn root(&self) -> &str {
        match self {
            Self::Root(root) => root,
            Self::Below(up, _) => up.root(),
        }
    }

    fn text(&self) -> String {
        match self {
            Self::Root(root) => (*root).to_string(),
            Self::Below(up, Seg::Index(i)) => format!("{}[{i}]", up.text()),
            Self::Below(up, Seg::Key(k)) => format!("{}[{k}]", up.text()),
        }
    }
}

struct Reader {
    limits: Limits,
    nodes: usize,
}

impl Reader {
    fn err(&self, at: &Place<'_>, message: impl Into<String>) -> Error {
        Error::input(at.text(), message)
    }

    fn read(&mut self, at: &Place<'_>, zv: &Zval, depth: usize) -> Result<Value, Error> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(Error::input(at.root(), format!("has more than {} elements", self.limits.max_nodes)));
        }
        let zv = zv.dereference();
        match zv.get_type() {
            DataType::Null | DataType::Undef => Ok(Value::Null),
            DataType::True => Ok(Value::Bool(true)),
            DataType::False => Ok(Value::Bool(false)),
            DataType::Bool => Ok(Value::Bool(zv.bool().unwrap_or(false))),
            DataType::Long => Ok(Value::Number(zv.long().unwrap_or(0).into())),
            DataType::Double => {
                let d = zv.double().unwrap_or(f64::NAN);
                Number::from_f64(d).map(Value::Number).ok_or_else(|| self.err(at, "is not a finite number"))
            }
            DataType::String => self.string(at, zv).map(Value::String),
            DataType::Array => {
                if depth >= self.limits.max_depth {
                    return Err(
                        self.err(at, format!("is nested deeper than {} levels", self.limits.max_depth))
                    );
                }
                let Some(ht) = zv.array() else { return Err(self.err(at, "is not a readable array")) };
                self.array(at, ht, depth + 1)
            }
            other => Err(self.err(
                at,
                format!("must be plain data (string, number, boolean, null or array), got {other}"),
            )),
        }
    }

    fn string(&self, at: &Place<'_>, zv: &Zval) -> Result<String, Error> {
        let Some(s) = zv.zend_str() else { return Err(self.err(at, "is not a readable string")) };
        let bytes = s.as_bytes();
        if bytes.len() > self.limits.max_string {
            return Err(self.err(at, format!("is longer than {} bytes", self.limits.max_string)));
        }
        std::str::from_utf8(bytes)
            .map(str::to_string)
            .map_err(|e| self.err(at, format!("is not valid UTF-8 (bad byte at offset {})", e.valid_up_to())))
    }

    fn array(&mut self, at: &Place<'_>, ht: &ZendHashTable, depth: usize) -> Result<Value, Error> {
        // A PHP list (keys 0..n in order) becomes a JSON list; anything else a map. Keys are read
        // by hand: ext-php-rs's own key conversion panics on a key that is not UTF-8.
        let mut entries = Vec::with_capacity(ht.len());
        let mut is_list = true;
        let mut it = Iter::new(ht);
        while let Some((key, value)) = it.next_zval() {
            let seg = match key.long() {
                Some(i) => {
                    is_list &= usize::try_from(i).is_ok_and(|i| i == entries.len());
                    Seg::Index(i)
                }
                None => {
                    is_list = false;
                    Seg::Key(
                        self.string(at, &key)
                            .map_err(|e| Error::input(e.path, format!("has a key that {}", e.message)))?,
                    )
                }
            };
            let v = self.read(&Place::Below(at, &seg), value, depth)?;
            entries.push((seg, v));
        }
        Ok(if is_list {
            Value::Array(entries.into_iter().map(|(_, v)| v).collect())
        } else {
            Value::Object(entries.into_iter().map(|(k, v)| (k.into_key(), v)).collect::<Map<String, Value>>())
        })
    }
}

/// Reads a PHP value as plain data; errors name `root` and the path below it.
pub fn from_zval(zv: &Zval, root: &str, limits: Limits) -> Result<Value, Error> {
    Reader { limits, nodes: 0 }.read(&Place::Root(root), zv, 0)
}

/// Reads a PHP array, or a JSON document in a string, as plain data.
pub fn from_array_or_json(zv: &Zval, root: &str, limits: Limits) -> Result<Value, Error> {
    let zv = zv.dereference();
    if zv.is_string() {
        let text = Reader { limits: Limits { max_string: 4 * 1024 * 1024, ..limits }, nodes: 0 }
            .string(&Place::Root(root), zv)?;
        let value: Value =
            serde_json::from_str(&text).map_err(|e| Error::input(root, format!("is not valid JSON: {e}")))?;
        check_limits(&value, root, limits, 0, &mut 0)?;
        return Ok(value);
    }
    if !zv.is_array() {
        return Err(Error::input(root, format!("must be an array or a JSON string, got {}", zv.get_type())));
    }
    from_zval(zv, root, limits)
}

fn check_limits(v: &Value, root: &str, limits: Limits, depth: usize, nodes: &mut usize) -> Result<(), Error> {
    *nodes += 1;
    if *nodes > limits.max_nodes {
        return Err(Error::input(root, format!("has more than {} elements", limits.max_nodes)));
    }
    if depth > limits.max_depth {
        return Err(Error::input(root, format!("is nested deeper than {} levels", limits.max_depth)));
    }
    match v {
        Value::Array(items) => items.iter().try_for_each(|i| check_limits(i, root, limits, depth + 1, nodes)),
        Value::Object(m) => m.values().try_for_each(|i| check_limits(i, root, limits, depth + 1, nodes)),
        _ => Ok(()),
    }
}

/// Builds a PHP value from plain data (lists become lists, maps keep their order).
pub fn to_zval(value: &Value) -> Zval {
    let mut zv = Zval::new();
    match value {
        Value::Null => zv.set_null(),
        Value::Bool(b) => zv.set_bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                zv.set_long(i);
            } else {
                zv.set_double(n.as_f64().unwrap_or(0.0));
            }
        }
        Value::String(s) => {
            // Only fails on an interior NUL in persistent strings, which these are not.
            let _ = zv.set_string(s, false);
        }
        Value::Array(_) => zv.set_hashtable(to_array(value)),
        Value::Object(_) => zv.set_hashtable(to_array(value)),
    }
    zv
}

/// Builds a PHP array from a map (or a list); any other value gives an empty array.
pub fn to_array(value: &Value) -> ZBox<ZendHashTable> {
    match value {
        Value::Object(map) => {
            let mut ht = ZendHashTable::with_capacity(u32::try_from(map.len()).unwrap_or(u32::MAX));
            for (k, item) in map {
                let _ = ht.insert(k.as_str(), to_zval(item));
            }
            ht
        }
        Value::Array(items) => {
            let mut ht = ZendHashTable::with_capacity(u32::try_from(items.len()).unwrap_or(u32::MAX));
            for item in items {
                let _ = ht.push(to_zval(item));
            }
            ht
        }
        _ => ZendHashTable::new(),
    }
}

/// Reads a PHP array of key → value where each value is read on its own: a value that cannot be
/// read (not UTF-8, an object, too large) becomes `Err(reason)` for its key, so one bad field is
/// reported alone instead of failing the call. The array itself and its keys must be sound.
pub fn entries_lenient(
    zv: &Zval,
    root: &str,
    limits: Limits,
    max_entries: usize,
) -> Result<std::collections::BTreeMap<String, Result<Value, String>>, Error> {
    let Some(ht) = zv.dereference().array() else {
        return Err(Error::input(root, format!("must be an array, got {}", zv.dereference().get_type())));
    };
    if ht.len() > max_entries {
        return Err(Error::input(root, format!("has more than {max_entries} entries")));
    }
    let mut out = std::collections::BTreeMap::new();
    let mut it = Iter::new(ht);
    let top = Place::Root(root);
    while let Some((key, value)) = it.next_zval() {
        let seg = match key.long() {
            Some(i) => Seg::Index(i),
            None => Seg::Key(
                Reader { limits, nodes: 0 }
                    .string(&top, &key)
                    .map_err(|e| Error::input(e.path, format!("has a key that {}", e.message)))?,
            ),
        };
        let read =
            Reader { limits, nodes: 0 }.read(&Place::Below(&top, &seg), value, 1).map_err(|e| e.message);
        out.insert(seg.into_key(), read);
    }
    Ok(out)
}
