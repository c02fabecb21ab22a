//! The only place where core errors become PHP exceptions.
//!
//! PHP sees one base class, `TagBridge\Ext\Exception`, with a subclass per error kind, so callers
//! can catch all of TagBridge's refusals at once or one kind precisely. Wrong PHP types still raise
//! PHP's own `TypeError` (from ext-php-rs) before any of this code runs.

use crate::core::{Error, ErrorKind};
use ext_php_rs::exception::PhpException;
use ext_php_rs::prelude::*;
use ext_php_rs::zend::ce;

/// Base class of every exception the extension throws on purpose.
#[php_class]
#[php(name = "TagBridge\\Ext\\Exception")]
#[php(extends(ce = ce::exception, stub = "\\Exception"))]
#[derive(Default)]
pub struct TagBridgeException;

/// Settings were refused; the message starts with the path of the bad entry.
#[php_class]
#[php(name = "TagBridge\\Ext\\SettingsException")]
#[php(extends(TagBridgeException))]
#[derive(Default)]
pub struct SettingsException;

/// A call's input was refused (malformed, not UTF-8, too large or too deep).
#[php_class]
#[php(name = "TagBridge\\Ext\\InputException")]
#[php(extends(TagBridgeException))]
#[derive(Default)]
pub struct InputException;

/// The settings version named by a call has not been compiled in this PHP process.
#[php_class]
#[php(name = "TagBridge\\Ext\\NotCompiledException")]
#[php(extends(TagBridgeException))]
#[derive(Default)]
pub struct NotCompiledException;

/// Converts a core error into the matching PHP exception.
pub fn to_php(error: &Error) -> PhpException {
    let message = error.to_string();
    match error.kind {
        ErrorKind::Settings => PhpException::from_class::<SettingsException>(message),
        ErrorKind::Input => PhpException::from_class::<InputException>(message),
        ErrorKind::NotCompiled => PhpException::from_class::<NotCompiledException>(message),
    }
}

/// Registers the exception classes.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module
        .class::<TagBridgeException>()
        .class::<SettingsException>()
        .class::<InputException>()
        .class::<NotCompiledException>()
}
