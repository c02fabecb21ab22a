//! `tagbridge_plan()` and `tagbridge_plan_batch()`: the roles ↔ tags planner for PHP.
//!
//! These are the hot calls (one per user change, or a whole site), so facts are read straight from
//! the PHP arrays into borrowed form and plans are written straight into PHP arrays. The direct
//! reader only accepts input that the checked path (`from_zval`, then `UserFacts::read` and
//! `Event::read`) accepts with the same result; on anything else it gives up and the checked path
//! runs, so refusals keep their exact messages and paths.

use super::cache;
use super::convert::{Limits, from_zval};
use super::errors::to_php;
use crate::core::facts::{Names, UserRef, split_capabilities};
use crate::core::plan::{Change, Note, Plan};
use crate::core::reader::{Node, name};
use crate::core::reconcile::{plan, plan_batch, plan_ref};
use crate::core::serialized;
use crate::core::settings::MAX_NAME;
use crate::core::{Error, Event, Settings, Truth, UserFacts};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::prelude::*;
use ext_php_rs::types::array::Iter;
use ext_php_rs::types::{ArrayKey, ZendEmptyArray, ZendHashTable, ZendStr, Zval};
use std::collections::BTreeSet;

/// Plans the role and tag changes that bring one user's roles and tags into agreement.
///
/// @param string $version A compiled settings version (see tagbridge_compile_settings()).
/// @param array $user `['user_id' => int, 'roles' => list<string>, 'tags' => list<string>, 'caps' => list<string>, 'super_admin' => bool]`; or, in place of roles and caps, `'capabilities' => string`, the user's `{prefix}capabilities` meta as stored (serialized), split as WP_User splits it: granted keys naming a registered role are roles, other granted keys capabilities. Only the shape WordPress writes (string keys, true/false values) is read; anything else is refused (InputException), to be unserialized by the caller.
/// @param array $event `['roles_added' => [], 'roles_removed' => [], 'tags_applied' => [], 'tags_removed' => [], 'resync' => null|'roles'|'tags', 'resync_roles' => null|[]]` (resync_roles limits a resync to those roles' links).
/// @return array{user_id: int, add_roles: list<array{role: string, reason: string, detail: string}>, remove_roles: list<array{role: string, reason: string, detail: string}>, apply_tags: list<array{tag: string, reason: string, detail: string}>, remove_tags: list<array{tag: string, reason: string, detail: string}>, notes: list<array{code: string, message: string}>}
/// @throws \TagBridge\Ext\NotCompiledException when `$version` is not compiled in this process.
/// @throws \TagBridge\Ext\InputException when the facts are malformed.
#[php_function]
pub fn tagbridge_plan(version: String, user: &Zval, event: &Zval) -> PhpResult<ZBox<ZendHashTable>> {
    single(&version, user, event).map_err(|e| to_php(&e))
}

fn single(version: &str, user: &Zval, event: &Zval) -> Result<ZBox<ZendHashTable>, Error> {
    let settings = cache::get(version)?;
    let keys = Keys::text();
    let mut user_reader = Direct::new(Limits::FACTS);
    let mut event_reader = Direct::new(Limits::FACTS);
    if let (Some(u), Some(e)) =
        (user_reader.user(user, &keys, Buffers::default(), &settings), event_reader.event(event, &keys))
    {
        return Ok(keys.plan(&plan_ref(&settings, &u, &e)));
    }
    let user = from_zval(user, "user", Limits::FACTS)?;
    let user = UserFacts::read(Node::root(&user, "user"), &settings)?;
    let event = checked_event(event)?;
    Ok(keys.plan(&plan(&settings, &user, &event)))
}

/// Plans many users with one event, for reconciling a whole site; returns only the plans that
/// change something, in input order.
///
/// @param string $version A compiled settings version.
/// @param array $users A list of user facts, each as for tagbridge_plan().
/// @param array $event The event, as for tagbridge_plan() (usually `['resync' => 'roles'|'tags']`).
/// @return list<array> Plans shaped as tagbridge_plan()'s.
/// @throws \TagBridge\Ext\NotCompiledException when `$version` is not compiled in this process.
/// @throws \TagBridge\Ext\InputException when the facts are malformed.
#[php_function]
pub fn tagbridge_plan_batch(version: String, users: &Zval, event: &Zval) -> PhpResult<ZBox<ZendHashTable>> {
    batch(&version, users, event).map_err(|e| to_php(&e))
}

fn batch(version: &str, users: &Zval, event: &Zval) -> Result<ZBox<ZendHashTable>, Error> {
    let settings = cache::get(version)?;
    let keys = Keys::shared();
    if let Some(plans) = direct_batch(&settings, users, event, &keys) {
        return Ok(plans);
    }
    let raw = from_zval(users, "users", Limits::BATCH)?;
    let facts = Node::root(&raw, "users")
        .list()?
        .iter()
        .map(|c| UserFacts::read(c.node(), &settings))
        .collect::<Result<Vec<_>, _>>()?;
    let event = checked_event(event)?;
    let mut out = ZendHashTable::new();
    for plan in plan_batch(&settings, &facts, &event) {
        let _ = out.push(keys.plan(&plan));
    }
    Ok(out)
}

/// The batch through the direct reader, or `None` when some input needs the checked path.
fn direct_batch(settings: &Settings, users: &Zval, event: &Zval, keys: &Keys) -> Option<ZBox<ZendHashTable>> {
    let event = Direct::new(Limits::FACTS).event(event, keys)?;
    let mut reader = Direct::new(Limits::BATCH);
    let mut buffers = Buffers::default();
    let mut out = ZendHashTable::new();
    for user in reader.list(users)? {
        let user = reader.user(user, keys, buffers, settings)?;
        let plan = plan_ref(settings, &user, &event);
        // Plans that change nothing are dropped before anything is built for them.
        if !plan.is_empty() {
            let _ = out.push(keys.plan(&plan));
        }
        buffers = Buffers::from(user);
    }
    Some(out)
}

fn checked_event(event: &Zval) -> Result<Event, Error> {
    let raw = from_zval(event, "event", Limits::FACTS)?;
    Event::read(Node::root(&raw, "event"))
}

/// PHP gives packed arrays (element i has key i) this hash mask, and only them (and arrays not yet
/// used); hashed arrays have a mask of at most -16.
const PACKED_MASK: u32 = u32::MAX - 1;

/// Calls `f` with each value of `ht` in order, or gives up when the keys are not 0..n in order (the
/// checked path reads such an array as a map).
fn each_in_list<'a>(ht: &'a ZendHashTable, mut f: impl FnMut(&'a Zval) -> Option<()>) -> Option<()> {
    if ht.nTableMask == PACKED_MASK && ht.nNumUsed == ht.nNumOfElements {
        // Packed without holes: keys are 0..n in order, so index straight in.
        for i in 0..i64::from(ht.nNumUsed) {
            f(ht.get_index(i)?)?;
        }
        return Some(());
    }
    let mut it = Iter::new(ht);
    let mut i = 0;
    while let Some((key, value)) = it.next_zval() {
        if key.long()? != i {
            return None;
        }
        f(value)?;
        i += 1;
    }
    Some(())
}

/// Name buffers handed from one user of a batch to the next, so reading allocates once.
#[derive(Default)]
struct Buffers<'a> {
    roles: Vec<&'a str>,
    tags: Vec<&'a str>,
    caps: Vec<&'a str>,
}

impl<'a> From<UserRef<'a>> for Buffers<'a> {
    fn from(user: UserRef<'a>) -> Self {
        Self { roles: user.roles.into_buffer(), tags: user.tags.into_buffer(), caps: user.caps.into_buffer() }
    }
}

/// Reads facts straight from PHP values, borrowing their strings. Every method returns `None` on
/// anything the checked path might refuse or read differently: wrong types, unknown or non-string
/// keys, lists that are not 0..n in order, bad names or UTF-8, too many elements. Nesting is fixed
/// by the shape read, well within the depth limits.
struct Direct {
    limits: Limits,
    nodes: usize,
}

impl Direct {
    fn new(limits: Limits) -> Self {
        // The root itself counts, as in `from_zval`.
        Self { limits, nodes: 1 }
    }

    /// Counts `n` more elements against the limit.
    fn count(&mut self, n: usize) -> Option<()> {
        self.nodes += n;
        (self.nodes <= self.limits.max_nodes).then_some(())
    }

    /// The values of a list (keys 0..n in order), or of an empty array.
    fn list<'a>(&mut self, zv: &'a Zval) -> Option<Vec<&'a Zval>> {
        let ht = zv.array()?;
        self.count(ht.len())?;
        let mut values = Vec::with_capacity(ht.len());
        each_in_list(ht, |v| {
            values.push(v);
            Some(())
        })?;
        Some(values)
    }

    /// A map with only the given keys: each key's value, `None` when absent or `null`.
    fn map<'a, const N: usize>(
        &mut self,
        zv: &'a Zval,
        keys: &Keys,
        names: [K; N],
    ) -> Option<[Option<&'a Zval>; N]> {
        let ht = zv.array()?;
        let len = ht.len();
        if len == 0 {
            return Some([None; N]);
        }
        self.count(len)?;
        let mut found = 0;
        let values = names.map(|k| {
            let v = ht.get(keys.get(k)).map(Zval::dereference);
            found += usize::from(v.is_some());
            v.filter(|v| !v.is_null())
        });
        // Any other key is unknown (or not a string): the checked path names it.
        (found == len).then_some(values)
    }

    fn names<'a>(&mut self, zv: Option<&'a Zval>, mut buffer: Vec<&'a str>) -> Option<Names<'a>> {
        if let Some(zv) = zv {
            let ht = zv.array()?;
            self.count(ht.len())?;
            let max_string = self.limits.max_string;
            each_in_list(ht, |v| {
                let bytes = v.zend_str()?.as_bytes();
                if bytes.len() > max_string {
                    return None;
                }
                buffer.push(name(std::str::from_utf8(bytes).ok()?, MAX_NAME).ok()?);
                Some(())
            })?;
        }
        Some(Names::new(buffer))
    }

    fn owned_names(&mut self, zv: Option<&Zval>) -> Option<BTreeSet<String>> {
        Some(self.names(zv, Vec::new())?.iter().map(str::to_string).collect())
    }

    /// As `UserFacts::read`.
    fn user<'a>(
        &mut self,
        zv: &'a Zval,
        keys: &Keys,
        buffers: Buffers<'a>,
        settings: &Settings,
    ) -> Option<UserRef<'a>> {
        let [user_id, roles, tags, caps, capabilities, super_admin] =
            self.map(zv, keys, [K::UserId, K::Roles, K::Tags, K::Caps, K::Capabilities, K::SuperAdmin])?;
        let user_id = u64::try_from(user_id?.long()?).ok()?;
        let (roles, caps) = match capabilities {
            None => (self.names(roles, buffers.roles)?, self.names(caps, buffers.caps)?),
            Some(_) if roles.is_some() || caps.is_some() => return None,
            Some(raw) => {
                let raw = raw.zend_str()?.as_bytes();
                if raw.len() > self.limits.max_string {
                    return None;
                }
                let entries = serialized::capabilities(raw).ok()?;
                let (mut roles, mut caps) = (buffers.roles, buffers.caps);
                split_capabilities(settings, &entries, &mut roles, &mut caps).ok()?;
                (Names::new(roles), Names::new(caps))
            }
        };
        Some(UserRef {
            user_id,
            roles,
            tags: self.names(tags, buffers.tags)?,
            caps,
            super_admin: match super_admin {
                Some(b) => b.bool()?,
                None => false,
            },
        })
    }

    /// As `Event::read`.
    fn event(&mut self, zv: &Zval, keys: &Keys) -> Option<Event> {
        let [roles_added, roles_removed, tags_applied, tags_removed, resync, resync_roles] = self.map(
            zv,
            keys,
            [K::RolesAdded, K::RolesRemoved, K::TagsApplied, K::TagsRemoved, K::Resync, K::ResyncRoles],
        )?;
        Some(Event {
            roles_added: self.owned_names(roles_added)?,
            roles_removed: self.owned_names(roles_removed)?,
            tags_applied: self.owned_names(tags_applied)?,
            tags_removed: self.owned_names(tags_removed)?,
            resync: match resync {
                None => None,
                Some(side) => match side.zend_str()?.as_bytes() {
                    b"roles" => Some(Truth::Roles),
                    b"tags" => Some(Truth::Tags),
                    _ => return None,
                },
            },
            resync_roles: match resync_roles {
                None => None,
                Some(_) => Some(self.owned_names(resync_roles)?),
            },
        })
    }
}

/// The keys read from facts and written to plans.
#[derive(Clone, Copy)]
enum K {
    UserId,
    Roles,
    Tags,
    Caps,
    Capabilities,
    SuperAdmin,
    RolesAdded,
    RolesRemoved,
    TagsApplied,
    TagsRemoved,
    Resync,
    ResyncRoles,
    AddRoles,
    RemoveRoles,
    ApplyTags,
    RemoveTags,
    Notes,
    Role,
    Tag,
    Reason,
    Detail,
    Code,
    Message,
}

/// The text of each key, in the order of [`K`].
const KEY_NAMES: [&str; 23] = [
    "user_id",
    "roles",
    "tags",
    "caps",
    "capabilities",
    "super_admin",
    "roles_added",
    "roles_removed",
    "tags_applied",
    "tags_removed",
    "resync",
    "resync_roles",
    "add_roles",
    "remove_roles",
    "apply_tags",
    "remove_tags",
    "notes",
    "role",
    "tag",
    "reason",
    "detail",
    "code",
    "message",
];

/// How a call names its keys. A batch makes each key a PHP string once, so every plan shares it
/// and lookups reuse its hash; a single call looks up and writes plain text, which costs less
/// than making strings it would use once.
struct Keys(Option<Vec<ZBox<ZendStr>>>);

impl Keys {
    fn text() -> Self {
        Self(None)
    }

    fn shared() -> Self {
        Self(Some(KEY_NAMES.iter().map(|k| ZendStr::new(k, false)).collect()))
    }

    fn get(&self, key: K) -> ArrayKey<'_> {
        let i = key as usize;
        match self.0.as_ref().and_then(|strings| strings.get(i)) {
            Some(s) => ArrayKey::ZendString(s),
            None => ArrayKey::Str(KEY_NAMES[i]),
        }
    }

    /// The plan as PHP sees it. Keys are in sorted order, as plans have always been returned.
    fn plan(&self, plan: &Plan) -> ZBox<ZendHashTable> {
        let mut ht = ZendHashTable::with_capacity(6);
        let _ = ht.insert(self.get(K::AddRoles), self.changes(&plan.add_roles, K::Role));
        let _ = ht.insert(self.get(K::ApplyTags), self.changes(&plan.apply_tags, K::Tag));
        let _ = ht.insert(self.get(K::Notes), self.notes(&plan.notes));
        let _ = ht.insert(self.get(K::RemoveRoles), self.changes(&plan.remove_roles, K::Role));
        let _ = ht.insert(self.get(K::RemoveTags), self.changes(&plan.remove_tags, K::Tag));
        let mut id = Zval::new();
        match i64::try_from(plan.user_id) {
            Ok(i) => id.set_long(i),
            // As JSON numbers were: beyond PHP's integers, a float.
            Err(_) => id.set_double(plan.user_id as f64),
        }
        let _ = ht.insert(self.get(K::UserId), id);
        ht
    }

    fn changes(&self, changes: &[Change], name_key: K) -> Zval {
        if changes.is_empty() {
            return empty_array();
        }
        let mut list = ZendHashTable::with_capacity(u32::try_from(changes.len()).unwrap_or(u32::MAX));
        for c in changes {
            let mut entry = ZendHashTable::with_capacity(3);
            let _ = entry.insert(self.get(K::Detail), c.detail.as_str());
            let _ = entry.insert(self.get(K::Reason), c.reason.code());
            let _ = entry.insert(self.get(name_key), c.name.as_str());
            let _ = list.push(entry);
        }
        let mut zv = Zval::new();
        zv.set_hashtable(list);
        zv
    }

    fn notes(&self, notes: &[Note]) -> Zval {
        if notes.is_empty() {
            return empty_array();
        }
        let mut list = ZendHashTable::with_capacity(u32::try_from(notes.len()).unwrap_or(u32::MAX));
        for n in notes {
            let mut entry = ZendHashTable::with_capacity(2);
            let _ = entry.insert(self.get(K::Code), n.code);
            let _ = entry.insert(self.get(K::Message), n.message.as_str());
            let _ = list.push(entry);
        }
        let mut zv = Zval::new();
        zv.set_hashtable(list);
        zv
    }
}

/// PHP's shared empty array: most plans have nothing to list, and this costs no allocation.
fn empty_array() -> Zval {
    ZendEmptyArray.into_zval(false).unwrap_or_default()
}

/// Registers the planner functions.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module.function(wrap_function!(tagbridge_plan)).function(wrap_function!(tagbridge_plan_batch))
}
