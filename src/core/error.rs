//! The one error type of the core: a closed kind, the path of the offending entry, and a sentence.
//!
//! Expected outcomes (a protected role skipped, a webhook refused) are not errors: they are plan
//! entries with reasons. An `Error` means the caller handed the core something it cannot use.

use std::fmt;

/// What kind of input was refused. The binding maps each kind to one PHP exception class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The settings (role links, field map, policies) are invalid.
    Settings,
    /// A call's facts are malformed: wrong types, bad UTF-8, too large or too deep.
    Input,
    /// The settings handle named by a call is not compiled in this process.
    NotCompiled,
}

/// A refused input: `path` names the entry (`role_links[3].tag`), `message` says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Which family of error this is.
    pub kind: ErrorKind,
    /// Where in the input the problem is; empty when it concerns the whole input.
    pub path: String,
    /// A sentence a site owner can act on.
    pub message: String,
}

impl Error {
    /// A settings error at `path`.
    pub fn settings(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { kind: ErrorKind::Settings, path: path.into(), message: message.into() }
    }

    /// An input error at `path`.
    pub fn input(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { kind: ErrorKind::Input, path: path.into(), message: message.into() }
    }

    /// The same error with another kind (the reader reports input errors; settings re-label them).
    #[must_use]
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// Result alias used throughout the core.
pub type Result<T> = std::result::Result<T, Error>;
