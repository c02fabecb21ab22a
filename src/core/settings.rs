//! Settings: the stored WordPress option (`tagbridge_settings`) validated and compiled once.
//!
//! Compiling is the only fallible step: it checks every entry against the site's real roles and
//! refuses bad settings with the path of the bad entry. The compiled form holds the indexes the
//! planners need (role → tag, tag → roles, protected roles), so deciding never fails.

use super::error::{Error, ErrorKind, Result};
use super::fields::{FieldMapping, FieldSync, read_field_sync, read_fields};
use super::reader::Node;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// Longest role slug, tag or field key accepted (the database columns hold 191 characters).
pub const MAX_NAME: usize = 191;

/// Capabilities that make a role (and any user holding them) protected unless the settings say
/// otherwise: anyone with one of these can take over the site, so no tag may grant them.
pub const DEFAULT_PROTECTED_CAPABILITIES: &[&str] = &[
    "manage_options",
    "promote_users",
    "edit_users",
    "create_users",
    "delete_users",
    "remove_users",
    "activate_plugins",
    "install_plugins",
    "edit_plugins",
    "update_plugins",
    "delete_plugins",
    "install_themes",
    "edit_themes",
    "switch_themes",
    "update_core",
    "edit_files",
    "unfiltered_html",
    "unfiltered_upload",
    "manage_network",
    "manage_sites",
    "manage_network_users",
    "manage_network_options",
];

/// A role of the site as WordPress reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteRole {
    /// Display name.
    pub name: String,
    /// Capabilities granted by the role.
    pub capabilities: BTreeSet<String>,
}

/// Facts about the site that settings are checked against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    /// Registered roles by slug.
    pub roles: BTreeMap<String, SiteRole>,
    /// The role given to users left with none (WordPress `default_role`, or UM's registration role).
    pub fallback_role: Option<String>,
}

impl Site {
    /// Reads `['roles' => wp_roles()->roles, 'fallback_role' => 'subscriber']`.
    pub fn read(value: &Value) -> Result<Self> {
        let root = Node::root(value, "site");
        let mut obj = root.object()?;
        let mut roles = BTreeMap::new();
        if let Some(child) = obj.get("roles") {
            for (slug, role) in child.node().entries()? {
                let node = role.node();
                let mut r = node.object()?;
                let name = match r.get("name") {
                    Some(n) => n.node().str()?.to_string(),
                    None => slug.to_string(),
                };
                let mut capabilities = BTreeSet::new();
                if let Some(caps) = r.get("capabilities") {
                    for (cap, granted) in caps.node().entries()? {
                        // WordPress stores granted caps as true; false means explicitly denied.
                        if granted.node().value().as_bool().unwrap_or(false) {
                            capabilities.insert(cap.to_string());
                        }
                    }
                }
                r.finish()?;
                roles.insert(slug.to_string(), SiteRole { name, capabilities });
            }
        }
        let fallback_role = match obj.get("fallback_role") {
            Some(c) => Some(c.node().name(MAX_NAME)?.to_string()),
            None => None,
        };
        obj.finish()?;
        Ok(Self { roles, fallback_role })
    }
}

/// One role ↔ tag link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleLink {
    /// Role slug.
    pub role: String,
    /// CRM tag.
    pub tag: String,
    /// Whether the tag may grant the role (false for protected roles not explicitly allowed).
    pub may_grant: bool,
}

/// Role or tag → position of its link. The planner looks up every user's roles and tags here, so
/// the hash is FNV-1a: a few instructions per byte of a short name, where SipHash costs many times
/// that; its resistance to chosen keys is not needed for a table built from the owner's settings.
type LinkIndex = HashMap<String, usize, BuildHasherDefault<Fnv>>;

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
}

/// Settings after validation, with the indexes the planners use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Links in stored order.
    pub role_links: Vec<RoleLink>,
    /// Capabilities that protect a user and a role.
    pub protected_capabilities: BTreeSet<String>,
    /// Roles holding a protected capability.
    pub protected_roles: BTreeSet<String>,
    /// Protected roles the owner explicitly allowed tags to grant.
    pub allowed_protected_roles: BTreeSet<String>,
    /// Role granted when removing linked roles would leave a user with none.
    pub fallback_role: Option<String>,
    /// Slugs of the site's registered roles.
    pub roles: BTreeSet<String>,
    /// Field map.
    pub fields: Vec<FieldMapping>,
    /// How mapped fields are formatted and pulled.
    pub field_sync: FieldSync,
    /// Non-fatal notes for the owner (a protected role linked without being allowed, ...).
    pub warnings: Vec<String>,
    role_to_tag: LinkIndex,
    tag_to_link: LinkIndex,
}

impl Settings {
    /// Validates `raw` (the stored option) against `site` and builds the compiled form.
    pub fn compile(raw: &Value, site: &Site) -> Result<Self> {
        compile(raw, site).map_err(|e| e.with_kind(ErrorKind::Settings))
    }

    /// Whether `name` is a registered role of the site (`WP_Roles::is_role()`).
    pub fn is_role(&self, name: &str) -> bool {
        self.roles.contains(name)
    }

    /// The link of `role`, if any.
    pub fn link_for_role(&self, role: &str) -> Option<&RoleLink> {
        self.role_to_tag.get(role).map(|&i| &self.role_links[i])
    }

    /// The link of `tag`, if any.
    pub fn link_for_tag(&self, tag: &str) -> Option<&RoleLink> {
        self.tag_to_link.get(tag).map(|&i| &self.role_links[i])
    }

    /// True when `role` holds a protected capability.
    pub fn is_protected_role(&self, role: &str) -> bool {
        self.protected_roles.contains(role)
    }
}

fn compile(raw: &Value, site: &Site) -> Result<Settings> {
    let root = Node::root(raw, "");
    let mut obj = root.object()?;

    // The plugin's own bookkeeping; validated for type, not used by the planners.
    if let Some(rev) = obj.get("revision") {
        rev.node().u64()?;
    }

    let mut protected_capabilities: BTreeSet<String> =
        DEFAULT_PROTECTED_CAPABILITIES.iter().map(|s| (*s).to_string()).collect();
    let mut allowed_protected_roles = BTreeSet::new();
    if let Some(p) = obj.get("protection") {
        let node = p.node();
        let mut po = node.object()?;
        if let Some(caps) = po.get("capabilities") {
            let list = caps.node().list()?;
            if list.is_empty() {
                return Err(Error::settings(
                    caps.node().path(),
                    "must list at least one capability (administrators are always protected)",
                ));
            }
            protected_capabilities = BTreeSet::new();
            for c in &list {
                protected_capabilities.insert(c.node().name(MAX_NAME)?.to_string());
            }
            // manage_options is what makes an administrator; it can never be unprotected.
            protected_capabilities.insert("manage_options".to_string());
        }
        if let Some(allow) = po.get("allow_roles") {
            for r in &allow.node().list()? {
                let n = r.node();
                let slug = n.name(MAX_NAME)?;
                if !site.roles.contains_key(slug) {
                    return Err(Error::settings(n.path(), format!("unknown role {slug:?}")));
                }
                if site.roles[slug].capabilities.contains("manage_options") {
                    return Err(Error::settings(
                        n.path(),
                        format!("role {slug:?} can manage the site; no tag may ever grant it"),
                    ));
                }
                allowed_protected_roles.insert(slug.to_string());
            }
        }
        po.finish()?;
    }

    let protected_roles: BTreeSet<String> = site
        .roles
        .iter()
        .filter(|(_, r)| r.capabilities.iter().any(|c| protected_capabilities.contains(c)))
        .map(|(slug, _)| slug.clone())
        .collect();

    let mut warnings = Vec::new();
    let mut role_links: Vec<RoleLink> = Vec::new();
    let mut role_to_tag = LinkIndex::default();
    let mut tag_to_link = LinkIndex::default();
    if let Some(links) = obj.get("role_links") {
        for (i, item) in links.node().list()?.iter().enumerate() {
            let node = item.node();
            let mut lo = node.object()?;
            let role_child = lo.require("role")?;
            let role = role_child.node().name(MAX_NAME)?.to_string();
            let tag = lo.require("tag")?.node().name(MAX_NAME)?.to_string();
            lo.finish()?;
            if !site.roles.contains_key(&role) {
                return Err(Error::settings(
                    role_child.node().path(),
                    format!("unknown role {role:?} (not registered on this site)"),
                ));
            }
            if let Some(&first) = role_to_tag.get(&role) {
                return Err(Error::settings(
                    node.path(),
                    format!(
                        "duplicate link: role {role:?} is already linked by role_links[{first}]; a role links to one tag"
                    ),
                ));
            }
            if let Some(&first) = tag_to_link.get(&tag) {
                return Err(Error::settings(
                    node.path(),
                    format!(
                        "tag {tag:?} is already linked to role {:?} by role_links[{first}]; a tag links to one role",
                        role_links[first].role
                    ),
                ));
            }
            let protected = protected_roles.contains(&role);
            let may_grant = !protected || allowed_protected_roles.contains(&role);
            if !may_grant {
                warnings.push(format!(
                    "role_links[{i}]: role {role:?} holds a protected capability, so tag {tag:?} will not grant it (only the role → tag direction works); list it in protection.allow_roles to allow it"
                ));
            }
            role_to_tag.insert(role.clone(), i);
            tag_to_link.insert(tag.clone(), i);
            role_links.push(RoleLink { role, tag, may_grant });
        }
    }

    let fallback_role = match obj.get("fallback_role") {
        Some(c) => Some(c.node().name(MAX_NAME)?.to_string()).map(|r| (r, c.node().path().to_string())),
        None => site.fallback_role.clone().map(|r| (r, "site.fallback_role".to_string())),
    };
    let fallback_role = match fallback_role {
        Some((role, path)) => {
            if !site.roles.contains_key(&role) {
                return Err(Error::settings(path, format!("unknown role {role:?}")));
            }
            if protected_roles.contains(&role) {
                return Err(Error::settings(
                    path,
                    format!("role {role:?} holds a protected capability and cannot be the fallback role"),
                ));
            }
            Some(role)
        }
        None => None,
    };

    let fields = match obj.get("fields") {
        Some(f) => read_fields(f.node())?,
        None => Vec::new(),
    };

    let field_sync = match obj.get("field_sync") {
        Some(f) => read_field_sync(f.node())?,
        None => FieldSync::default(),
    };

    obj.finish()?;
    Ok(Settings {
        role_links,
        protected_capabilities,
        protected_roles,
        allowed_protected_roles,
        fallback_role,
        roles: site.roles.keys().cloned().collect(),
        fields,
        field_sync,
        warnings,
        role_to_tag,
        tag_to_link,
    })
}
