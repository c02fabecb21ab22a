//! Roles ↔ tags: from a user's facts and what happened, the plan that makes them agree.
//!
//! For each link role R ↔ tag T the event picks a side (see [`Event::truth_for`]); the other side is
//! made to follow. The result satisfies R held ⟺ T present for every link the event touched, except
//! where protection forbids a change, so applying a plan and planning again — with the same event,
//! or with the plan's own changes fed back as events — gives an empty plan (no tag → role → tag loop).
//! Protected users never have their roles changed; protected roles are never granted by a tag unless
//! the settings allow it; a user whose linked roles are all removed gets the fallback role.

use super::facts::{Event, Truth, UserFacts, UserRef};
use super::plan::{Change, Note, Plan, Reason};
use super::settings::{RoleLink, Settings};
use std::collections::{BTreeMap, BTreeSet};

/// True when the user must never have roles changed by TagBridge.
pub fn is_protected(settings: &Settings, user: &UserFacts) -> bool {
    is_protected_ref(settings, &user.borrowed())
}

fn is_protected_ref(settings: &Settings, user: &UserRef<'_>) -> bool {
    user.super_admin
        || user.roles.iter().any(|r| settings.is_protected_role(r))
        || user.caps.iter().any(|c| settings.protected_capabilities.contains(c))
}

/// Plans one user.
pub fn plan(settings: &Settings, user: &UserFacts, event: &Event) -> Plan {
    plan_ref(settings, &user.borrowed(), event)
}

/// The links that disagree for this user and on which the event picks a side (with that side), in
/// link order. Only the links of the user's own roles and tags can disagree, so only those few are
/// looked at.
fn acting_links<'s>(settings: &'s Settings, user: &UserRef<'_>, event: &Event) -> Vec<(&'s RoleLink, Truth)> {
    // A disagreeing link is found once: from its role if held, else from its tag.
    let role_held =
        user.roles.iter().filter_map(|r| settings.link_for_role(r)).filter(|l| !user.tags.contains(&l.tag));
    let tag_held =
        user.tags.iter().filter_map(|t| settings.link_for_tag(t)).filter(|l| !user.roles.contains(&l.role));
    let mut links: Vec<(&RoleLink, Truth)> =
        role_held.chain(tag_held).filter_map(|l| Some((l, event.truth_for(&l.role, &l.tag)?))).collect();
    // Every link lives in `settings.role_links`, so address order is link order.
    links.sort_unstable_by_key(|(l, _)| std::ptr::from_ref(*l));
    links
}

/// Plans one user from borrowed facts.
pub fn plan_ref(settings: &Settings, user: &UserRef<'_>, event: &Event) -> Plan {
    let links = acting_links(settings, user, event);
    // Most users of a batch have nothing to change: no link acts, so no role goes (no fallback)
    // and no note is due. Answer those without building the sets below.
    if links.is_empty() {
        return Plan { user_id: user.user_id, ..Plan::default() };
    }
    let protected = is_protected_ref(settings, user);
    let held_roles: BTreeSet<&str> = user.roles.iter().collect();
    let held_tags: BTreeSet<&str> = user.tags.iter().collect();
    let mut roles = held_roles.clone();
    let mut tags = held_tags.clone();
    let mut why_role: BTreeMap<&str, (Reason, String)> = BTreeMap::new();
    let mut why_tag: BTreeMap<&str, (Reason, String)> = BTreeMap::new();
    let mut notes = Vec::new();

    for (link, truth) in links {
        let has_role = user.roles.contains(&link.role);
        // The link disagrees, so the user has its tag exactly when they lack its role.
        let has_tag = !has_role;
        match truth {
            Truth::Roles => {
                let reason = if event.resync == Some(Truth::Roles)
                    && !event.roles_added.contains(&link.role)
                    && !event.roles_removed.contains(&link.role)
                {
                    Reason::Resync
                } else if has_role {
                    Reason::RoleAdded
                } else {
                    Reason::RoleRemoved
                };
                let detail = if has_role {
                    format!("role {:?} is held, so its linked tag {:?} applies", link.role, link.tag)
                } else {
                    format!("role {:?} is not held, so its linked tag {:?} goes", link.role, link.tag)
                };
                if has_role {
                    tags.insert(&link.tag);
                } else {
                    tags.remove(link.tag.as_str());
                }
                why_tag.insert(&link.tag, (reason, detail));
            }
            Truth::Tags => {
                if protected {
                    notes.push(Note::new(
                        "protected_user",
                        format!(
                            "role {:?} left as it is: this user is protected (administrator or protected capability)",
                            link.role
                        ),
                    ));
                    continue;
                }
                let touched =
                    event.tags_applied.contains(&link.tag) || event.tags_removed.contains(&link.tag);
                if has_tag {
                    if !link.may_grant {
                        notes.push(Note::new(
                            "protected_role",
                            format!(
                                "tag {:?} does not grant role {:?}: the role holds a protected capability",
                                link.tag, link.role
                            ),
                        ));
                        continue;
                    }
                    roles.insert(&link.role);
                    let reason = if touched { Reason::TagApplied } else { Reason::Resync };
                    why_role.insert(
                        &link.role,
                        (
                            reason,
                            format!(
                                "tag {:?} is present, so its linked role {:?} is granted",
                                link.tag, link.role
                            ),
                        ),
                    );
                } else {
                    roles.remove(link.role.as_str());
                    let reason = if touched { Reason::TagRemoved } else { Reason::Resync };
                    why_role.insert(
                        &link.role,
                        (
                            reason,
                            format!(
                                "tag {:?} is absent, so its linked role {:?} is removed",
                                link.tag, link.role
                            ),
                        ),
                    );
                }
            }
        }
    }

    // Never leave a user with no role because of a removal made here.
    if roles.is_empty() && !user.roles.is_empty() {
        match &settings.fallback_role {
            Some(fallback) => {
                roles.insert(fallback);
                why_role.insert(
                    fallback,
                    (
                        Reason::Fallback,
                        format!("no role would be left, so the fallback role {fallback:?} is granted"),
                    ),
                );
                if let Some(link) = settings.link_for_role(fallback) {
                    if tags.insert(&link.tag) {
                        why_tag.insert(
                            &link.tag,
                            (
                                Reason::Fallback,
                                format!(
                                    "the fallback role {fallback:?} is held, so its linked tag {:?} applies",
                                    link.tag
                                ),
                            ),
                        );
                    }
                }
            }
            None => {
                notes.push(Note::new("no_fallback", "the user is left with no role: no fallback role is set"))
            }
        }
    }

    Plan {
        user_id: user.user_id,
        add_roles: changes(&roles, &held_roles, &why_role),
        remove_roles: changes(&held_roles, &roles, &why_role),
        apply_tags: changes(&tags, &held_tags, &why_tag),
        remove_tags: changes(&held_tags, &tags, &why_tag),
        notes,
    }
}

/// Items in `a` but not in `b`, each with its reason.
fn changes(a: &BTreeSet<&str>, b: &BTreeSet<&str>, why: &BTreeMap<&str, (Reason, String)>) -> Vec<Change> {
    a.difference(b)
        .map(|name| {
            let (reason, detail) =
                why.get(name).cloned().unwrap_or((Reason::Resync, "reconciled".to_string()));
            Change { name: (*name).to_string(), reason, detail }
        })
        .collect()
}

/// Plans many users with one event (a whole site after a link changed); returns only the
/// users whose plan is not empty, in input order.
pub fn plan_batch(settings: &Settings, users: &[UserFacts], event: &Event) -> Vec<Plan> {
    users.iter().map(|u| plan(settings, u, event)).filter(|p| !p.is_empty()).collect()
}
