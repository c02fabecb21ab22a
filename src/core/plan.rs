//! A plan: the role and tag changes for one user, each with a reason, plus notes for the log.

/// Why a change is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A linked role was added.
    RoleAdded,
    /// A linked role was removed.
    RoleRemoved,
    /// A linked tag was applied.
    TagApplied,
    /// A linked tag was removed.
    TagRemoved,
    /// A full resync found the two sides disagreeing.
    Resync,
    /// The user would have been left with no role.
    Fallback,
}

impl Reason {
    /// Stable code for logs and PHP.
    pub fn code(self) -> &'static str {
        match self {
            Self::RoleAdded => "role_added",
            Self::RoleRemoved => "role_removed",
            Self::TagApplied => "tag_applied",
            Self::TagRemoved => "tag_removed",
            Self::Resync => "resync",
            Self::Fallback => "fallback",
        }
    }
}

/// One planned change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Role slug or tag.
    pub name: String,
    /// Why.
    pub reason: Reason,
    /// A sentence for the activity log.
    pub detail: String,
}

/// Something the planner chose not to do, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Stable code (`protected_user`, `protected_role`, `no_fallback`).
    pub code: &'static str,
    /// A sentence for the activity log.
    pub message: String,
}

impl Note {
    /// A note.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

/// The changes for one user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The user.
    pub user_id: u64,
    /// Roles to add.
    pub add_roles: Vec<Change>,
    /// Roles to remove.
    pub remove_roles: Vec<Change>,
    /// Tags to apply.
    pub apply_tags: Vec<Change>,
    /// Tags to remove.
    pub remove_tags: Vec<Change>,
    /// Things deliberately not done.
    pub notes: Vec<Note>,
}

impl Plan {
    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        self.add_roles.is_empty()
            && self.remove_roles.is_empty()
            && self.apply_tags.is_empty()
            && self.remove_tags.is_empty()
    }
}
