//! Outbox coalescing and retry schedule: properties over random change sequences.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use tagbridge::core::outbox::{
    BASE_DELAY, Call, Change, Decision, Failure, MAX_DELAY, Target, coalesce, schedule,
};

#[derive(Debug, Clone, Default, PartialEq)]
struct Contact {
    exists: bool,
    /// The contact's subscription status: only a create of a new contact sets it.
    status: String,
    fields: Map<String, Value>,
    tags: BTreeSet<String>,
}

fn apply_change(c: &mut Contact, ch: &Change) {
    if !c.exists {
        c.exists = true;
        c.status = "subscribed".into();
    }
    for (k, v) in &ch.fields {
        c.fields.insert(k.clone(), v.clone());
    }
    // Within one change, applies come before removes (the order the shell's enqueue documents).
    for t in &ch.apply_tags {
        c.tags.insert(t.clone());
    }
    for t in &ch.remove_tags {
        c.tags.remove(t);
    }
}

/// Sends calls to a CRM holding `c`, as FluentCRM behaves (exchanges 19, 99-100 of
/// tests/fixtures/fluentcrm): a create makes a new contact with its fields and tags, and for an
/// email the CRM already has it is refused as a duplicate with nothing changed. Answers whether
/// every call succeeded.
fn apply_calls(c: &mut Contact, calls: &[Call]) -> bool {
    for call in calls {
        match call {
            Call::Create { .. } if c.exists => return false,
            Call::Create { fields, apply } => {
                *c = Contact {
                    exists: true,
                    status: "subscribed".into(),
                    fields: fields.clone(),
                    tags: apply.iter().cloned().collect(),
                };
            }
            Call::Update(f) => c.fields.extend(f.clone()),
            Call::Apply(t) => c.tags.extend(t.iter().cloned()),
            Call::Remove(t) => t.iter().for_each(|t| {
                c.tags.remove(t);
            }),
            Call::Combined { fields, apply, remove } => {
                c.fields.extend(fields.clone());
                c.tags.extend(apply.iter().cloned());
                remove.iter().for_each(|t| {
                    c.tags.remove(t);
                });
            }
        }
    }
    true
}

/// What the shell (`Deliverer::send`) does: sends the delivery; when the create is refused as a
/// duplicate, looks the contact up by email and sends the changes coalesced again for a known
/// contact. Answers the requests the CRM received.
fn deliver(c: &mut Contact, cs: &[Change], has_contact: bool, combined: bool) -> usize {
    let d = coalesce(cs, Target { has_contact, combined });
    if apply_calls(c, &d.calls) {
        return d.calls.len();
    }
    let again = coalesce(cs, Target { has_contact: true, combined });
    assert!(apply_calls(c, &again.calls), "a known contact's calls never fail here");
    // The refused create, the lookup by email, then the known contact's calls.
    2 + again.calls.len()
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "d"]).prop_map(str::to_string)
}

fn change_strategy() -> impl Strategy<Value = Change> {
    (
        prop::collection::vec((name(), 0..5i64), 0..3),
        prop::collection::vec(name(), 0..3),
        prop::collection::vec(name(), 0..3),
    )
        .prop_map(|(fields, apply, remove)| {
            // A single change never applies and removes one tag (enqueue refuses that).
            let remove: Vec<String> = remove.into_iter().filter(|t| !apply.contains(t)).collect();
            Change {
                id: 0,
                fields: fields.into_iter().map(|(k, v)| (k, json!(v))).collect(),
                apply_tags: apply,
                remove_tags: remove,
            }
        })
}

fn changes() -> impl Strategy<Value = Vec<Change>> {
    prop::collection::vec(change_strategy(), 0..12).prop_map(|mut v| {
        for (i, c) in v.iter_mut().enumerate() {
            c.id = i as u64 + 1;
        }
        v
    })
}

fn initial() -> impl Strategy<Value = Contact> {
    (
        prop::sample::select(vec!["subscribed", "unsubscribed", "bounced", "complained"]),
        prop::collection::btree_set(name(), 0..4),
        prop::collection::vec((name(), 0..5i64), 0..3),
    )
        .prop_map(|(status, tags, fields)| Contact {
            exists: true,
            status: status.to_string(),
            fields: fields.into_iter().map(|(k, v)| (k, json!(v))).collect(),
            tags,
        })
}

proptest! {
    /// Sending the delivery leaves the contact exactly as sending every change one by one would,
    /// whatever the CRM held before.
    #[test]
    fn coalescing_preserves_the_final_state(start in initial(), cs in changes(), combined: bool) {
        let mut one_by_one = start.clone();
        cs.iter().for_each(|c| apply_change(&mut one_by_one, c));
        let mut delivered = start.clone();
        let calls = coalesce(&cs, Target { has_contact: true, combined }).calls;
        prop_assert!(apply_calls(&mut delivered, &calls));
        prop_assert_eq!(delivered, one_by_one);
    }

    /// A contact whose id is unknown gets exactly one call, a create carrying the merged fields
    /// and the tags to apply (no lookup before it, no removal: a new contact has no tags), and a
    /// new contact then ends as the changes say.
    #[test]
    fn a_new_contact_is_one_create_with_fields_and_tags(cs in changes(), combined: bool) {
        let d = coalesce(&cs, Target { has_contact: false, combined });
        prop_assert_eq!(
            &d.calls,
            &vec![Call::Create { fields: d.fields.clone(), apply: d.apply_tags.clone() }]
        );
        // The delivery creates the contact even when its changes are empty.
        let mut one_by_one = Contact { exists: true, status: "subscribed".into(), ..Contact::default() };
        cs.iter().for_each(|c| apply_change(&mut one_by_one, c));
        let mut delivered = Contact::default();
        prop_assert_eq!(deliver(&mut delivered, &cs, false, combined), 1);
        prop_assert_eq!(delivered, one_by_one);
    }

    /// A contact the CRM already has, whose id the site does not know yet: the create is refused
    /// and changes nothing, then the lookup and the known contact's calls (one combined call where
    /// the CRM allows it) leave it as the changes say — with its subscription status untouched,
    /// whatever it was (consent is never overwritten by a registration).
    #[test]
    fn an_existing_contact_keeps_its_status_and_gets_every_change(start in initial(), cs in changes(), combined: bool) {
        let mut one_by_one = start.clone();
        cs.iter().for_each(|c| apply_change(&mut one_by_one, c));
        let mut delivered = start.clone();
        let requests = deliver(&mut delivered, &cs, false, combined);
        prop_assert_eq!(&delivered.status, &start.status);
        prop_assert_eq!(&delivered, &one_by_one);
        let known = coalesce(&cs, Target { has_contact: true, combined });
        prop_assert_eq!(requests, 2 + known.calls.len());
        if combined {
            prop_assert!(requests <= 3, "refused create, lookup, one combined update");
        }
    }

    /// A known contact: one combined call where the CRM allows it (none when there is nothing to
    /// send), otherwise an update, a removal and an application, each only when needed.
    #[test]
    fn a_known_contact_gets_combined_or_separate_calls(cs in changes()) {
        let d = coalesce(&cs, Target { has_contact: true, combined: true });
        let any = !d.fields.is_empty() || !d.apply_tags.is_empty() || !d.remove_tags.is_empty();
        prop_assert_eq!(d.calls.len(), usize::from(any));
        if any {
            prop_assert_eq!(
                &d.calls[0],
                &Call::Combined { fields: d.fields.clone(), apply: d.apply_tags.clone(), remove: d.remove_tags.clone() }
            );
        }
        let d = coalesce(&cs, Target { has_contact: true, combined: false });
        let mut expected = Vec::new();
        if !d.fields.is_empty() {
            expected.push(Call::Update(d.fields.clone()));
        }
        if !d.remove_tags.is_empty() {
            expected.push(Call::Remove(d.remove_tags.clone()));
        }
        if !d.apply_tags.is_empty() {
            expected.push(Call::Apply(d.apply_tags.clone()));
        }
        prop_assert_eq!(d.calls, expected);
    }

    /// Coalescing a delivery's own net change again changes nothing (idempotent), and sending the
    /// same delivery twice (a retry after a timeout) leaves the same state as sending it once.
    #[test]
    fn coalescing_is_idempotent(start in initial(), cs in changes(), combined: bool, has_contact: bool) {
        let target = Target { has_contact, combined };
        let d = coalesce(&cs, target);
        let again = coalesce(
            &[Change { id: 1, fields: d.fields.clone(), apply_tags: d.apply_tags.clone(), remove_tags: d.remove_tags.clone() }],
            target,
        );
        prop_assert_eq!(&again.fields, &d.fields);
        prop_assert_eq!(&again.apply_tags, &d.apply_tags);
        prop_assert_eq!(&again.remove_tags, &d.remove_tags);
        prop_assert_eq!(&again.calls, &d.calls);
        // A retry of the whole delivery after a lost answer (the create of a new contact included:
        // the retried create is refused, then the changes go to the contact it made).
        let mut once = if has_contact { start.clone() } else { Contact::default() };
        deliver(&mut once, &cs, has_contact, combined);
        let mut twice = once.clone();
        deliver(&mut twice, &cs, has_contact, combined);
        prop_assert_eq!(twice, once);
    }

    /// The delivery covers every row in enqueue order, and each tag appears once, where its last
    /// change put it.
    #[test]
    fn order_is_kept(cs in changes()) {
        let d = coalesce(&cs, Target { has_contact: true, combined: false });
        prop_assert_eq!(d.ids.clone(), cs.iter().map(|c| c.id).collect::<Vec<_>>());
        let mut last: Vec<String> = Vec::new();
        for c in &cs {
            for t in c.apply_tags.iter().chain(&c.remove_tags) {
                last.retain(|x| x != t);
                last.push(t.clone());
            }
        }
        let applied: Vec<&String> = last.iter().filter(|t| d.apply_tags.contains(t)).collect();
        prop_assert_eq!(applied, d.apply_tags.iter().collect::<Vec<_>>());
        let removed: Vec<&String> = last.iter().filter(|t| d.remove_tags.contains(t)).collect();
        prop_assert_eq!(removed, d.remove_tags.iter().collect::<Vec<_>>());
        prop_assert!(d.apply_tags.iter().all(|t| !d.remove_tags.contains(t)));
    }

    /// Retry delays stay within [half, full] of the capped exponential delay, never below a
    /// retry-after, and are the same for the same key and attempt.
    #[test]
    fn retry_delays_are_bounded_and_deterministic(key: u64, attempt in 1u32..29, after in prop::option::of(0u64..10_000)) {
        let full = BASE_DELAY.saturating_mul(1 << (attempt - 1).min(20)).min(MAX_DELAY);
        let d = schedule(key, attempt, Failure::RateLimited, after);
        prop_assert_eq!(d, schedule(key, attempt, Failure::RateLimited, after));
        let Decision::Retry(delay) = d else { return Err(TestCaseError::fail("parked")) };
        prop_assert!(delay >= full / 2);
        prop_assert!(delay <= full.max(after.unwrap_or(0)));
        prop_assert!(delay >= after.unwrap_or(0));
    }
}

#[test]
fn jitter_spreads_contacts_that_fail_together() {
    let delays: BTreeSet<u64> = (1..=50)
        .filter_map(|key| match schedule(key, 6, Failure::Transient, None) {
            Decision::Retry(d) => Some(d),
            Decision::Park(_) => None,
        })
        .collect();
    assert!(delays.len() > 25, "{delays:?}");
}

#[test]
fn permanent_failures_park_at_once_with_their_reason() {
    assert_eq!(schedule(9, 1, Failure::Permanent, None), Decision::Park("permanent"));
    assert_eq!(schedule(9, 1, Failure::Duplicate, None), Decision::Park("duplicate"));
    assert_eq!(schedule(9, 3, Failure::NotFound, None), Decision::Park("contact_not_found"));
}
