//! What the shell tells the planner about one user and what just happened to them.

use super::error::Result;
use super::reader::{NameProblem, Node, name};
use super::serialized;
use super::settings::{MAX_NAME, Settings};
use std::collections::BTreeSet;

/// Which side wins where a role and its linked tag disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    /// Tags follow the roles users hold.
    Roles,
    /// Roles follow the tags users have.
    Tags,
}

/// One user's current state, read after the change happened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFacts {
    /// WordPress user id (echoed in the plan).
    pub user_id: u64,
    /// Roles the user holds now.
    pub roles: BTreeSet<String>,
    /// Tags the user has now.
    pub tags: BTreeSet<String>,
    /// Capabilities granted to the user directly (not through a role).
    pub caps: BTreeSet<String>,
    /// Network super admin (multisite).
    pub super_admin: bool,
}

/// One user's facts borrowed from the caller's data: the form the planner reads, so a batch can be
/// planned without copying every name. Built from [`UserFacts`] or read straight from PHP arrays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserRef<'a> {
    /// WordPress user id (echoed in the plan).
    pub user_id: u64,
    /// Roles the user holds now.
    pub roles: Names<'a>,
    /// Tags the user has now.
    pub tags: Names<'a>,
    /// Capabilities granted to the user directly.
    pub caps: Names<'a>,
    /// Network super admin (multisite).
    pub super_admin: bool,
}

/// Sorted, distinct names: the same order and contents as a `BTreeSet`, but a user holds only a
/// few, and one vector (reusable from user to user) is far cheaper to fill and search than a tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names<'a>(Vec<&'a str>);

impl<'a> Names<'a> {
    /// The names in `names`, sorted and without duplicates.
    pub fn new(mut names: Vec<&'a str>) -> Self {
        names.sort_unstable();
        names.dedup();
        Self(names)
    }

    /// The emptied buffer, to fill with the next user's names.
    pub fn into_buffer(self) -> Vec<&'a str> {
        let mut names = self.0;
        names.clear();
        names
    }

    /// True when `name` is one of the names.
    pub fn contains(&self, name: &str) -> bool {
        self.0.binary_search(&name).is_ok()
    }

    /// The names in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.0.iter().copied()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> FromIterator<&'a String> for Names<'a> {
    fn from_iter<I: IntoIterator<Item = &'a String>>(iter: I) -> Self {
        Self::new(iter.into_iter().map(String::as_str).collect())
    }
}

/// What happened: the net changes of a request, or a full resync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// Roles added over the request.
    pub roles_added: BTreeSet<String>,
    /// Roles removed over the request.
    pub roles_removed: BTreeSet<String>,
    /// Tags applied (by the CRM, a webhook, the API...).
    pub tags_applied: BTreeSet<String>,
    /// Tags removed.
    pub tags_removed: BTreeSet<String>,
    /// Reconcile every link, with this side as the truth.
    pub resync: Option<Truth>,
    /// When set, the resync covers only the links of these roles (the links an administrator just
    /// changed), leaving every other link alone.
    pub resync_roles: Option<BTreeSet<String>>,
}

impl Event {
    /// Which side is the truth for the link `role` ↔ `tag`, or `None` when the event leaves it alone.
    /// A tag change wins over a role change of the same link: the CRM decides access.
    pub fn truth_for(&self, role: &str, tag: &str) -> Option<Truth> {
        if self.tags_applied.contains(tag) || self.tags_removed.contains(tag) {
            Some(Truth::Tags)
        } else if self.roles_added.contains(role) || self.roles_removed.contains(role) {
            Some(Truth::Roles)
        } else if self.resync_roles.as_ref().is_some_and(|only| !only.contains(role)) {
            None
        } else {
            self.resync
        }
    }

    /// Reads `['roles_added' => [...], 'roles_removed' => [...], 'tags_applied' => [...],
    /// 'tags_removed' => [...], 'resync' => null|'roles'|'tags', 'resync_roles' => [...]` (every key
    /// optional).
    pub fn read(node: Node<'_>) -> Result<Self> {
        let mut o = node.object()?;
        let event = Self {
            roles_added: names(o.get("roles_added").as_ref().map(|c| c.node()))?,
            roles_removed: names(o.get("roles_removed").as_ref().map(|c| c.node()))?,
            tags_applied: names(o.get("tags_applied").as_ref().map(|c| c.node()))?,
            tags_removed: names(o.get("tags_removed").as_ref().map(|c| c.node()))?,
            resync: match o.get("resync") {
                None => None,
                Some(c) => match c.node().str()? {
                    "roles" => Some(Truth::Roles),
                    "tags" => Some(Truth::Tags),
                    other => {
                        return Err(c
                            .node()
                            .error(format!("unknown resync side {other:?} (known: roles, tags)")));
                    }
                },
            },
            resync_roles: match o.get("resync_roles") {
                None => None,
                Some(c) => Some(names(Some(c.node()))?),
            },
        };
        o.finish()?;
        Ok(event)
    }
}

impl UserFacts {
    /// These facts borrowed, as the planner reads them.
    pub fn borrowed(&self) -> UserRef<'_> {
        UserRef {
            user_id: self.user_id,
            roles: self.roles.iter().collect(),
            tags: self.tags.iter().collect(),
            caps: self.caps.iter().collect(),
            super_admin: self.super_admin,
        }
    }

    /// Reads `['user_id' => 1, 'roles' => [...], 'tags' => [...], 'caps' => [...], 'super_admin' => false]`,
    /// or with `'capabilities' => '<the {prefix}capabilities meta as stored>'` in place of roles and
    /// caps (split with the site's roles in `settings`; see [`split_capabilities`]).
    pub fn read(node: Node<'_>, settings: &Settings) -> Result<Self> {
        let mut o = node.object()?;
        let user_id = o.require("user_id")?.node().u64()?;
        let roles = o.get("roles");
        let tags = o.get("tags");
        let caps = o.get("caps");
        let (roles, tags, caps) = match o.get("capabilities") {
            None => {
                // In this order, so the first bad list is the one reported.
                let roles = names(roles.as_ref().map(|c| c.node()))?;
                let tags = names(tags.as_ref().map(|c| c.node()))?;
                (roles, tags, names(caps.as_ref().map(|c| c.node()))?)
            }
            Some(c) if roles.is_some() || caps.is_some() => {
                return Err(c.node().error("give either capabilities or roles and caps, not both"));
            }
            Some(c) => {
                let node = c.node();
                let entries = serialized::capabilities(node.str()?.as_bytes()).map_err(|refused| {
                    node.error(format!(
                        "not the capabilities meta as WordPress writes it ({refused}); unserialize it and give roles and caps"
                    ))
                })?;
                let (mut roles, mut caps) = (Vec::new(), Vec::new());
                split_capabilities(settings, &entries, &mut roles, &mut caps).map_err(
                    |(entry, problem)| node.error(format!("entry {entry:?} {}", problem.message(MAX_NAME))),
                )?;
                let owned = |names: Vec<&str>| names.into_iter().map(str::to_string).collect();
                (owned(roles), names(tags.as_ref().map(|c| c.node()))?, owned(caps))
            }
        };
        let facts = Self {
            user_id,
            roles,
            tags,
            caps,
            super_admin: match o.get("super_admin") {
                Some(c) => c.node().bool()?,
                None => false,
            },
        };
        o.finish()?;
        Ok(facts)
    }
}

/// Splits the entries of a capabilities meta the way `WP_User` does: granted entries naming a
/// registered role are roles, the other granted entries capabilities, denied entries neither. Each
/// name is checked and trimmed as names given in lists are; the first that fails is returned with
/// its problem.
pub fn split_capabilities<'a>(
    settings: &Settings,
    entries: &[(&'a str, bool)],
    roles: &mut Vec<&'a str>,
    caps: &mut Vec<&'a str>,
) -> std::result::Result<(), (&'a str, NameProblem)> {
    for &(entry, granted) in entries {
        if !granted {
            continue;
        }
        let checked = name(entry, MAX_NAME).map_err(|problem| (entry, problem))?;
        // WordPress asks about the key as stored; the name the planner sees is trimmed.
        if settings.is_role(entry) {
            roles.push(checked);
        } else {
            caps.push(checked);
        }
    }
    Ok(())
}

/// A list of role slugs, tags or capabilities.
fn names(node: Option<Node<'_>>) -> Result<BTreeSet<String>> {
    let Some(node) = node else { return Ok(BTreeSet::new()) };
    node.list()?.iter().map(|c| c.node().name(MAX_NAME).map(str::to_string)).collect()
}
