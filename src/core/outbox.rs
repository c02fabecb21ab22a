//! The outbox's decisions: how one contact's pending changes become CRM calls (coalescing), and
//! when a failed delivery is tried again or parked (the retry schedule).
//!
//! The shell stores every change first, claims one contact's changes, asks [`coalesce`] what to
//! send, sends it, and on failure asks [`schedule`] what to do next. Nothing here does I/O or reads
//! the clock: `now` and the item id come in as plain numbers, so every decision is reproducible.

use super::error::Result;
use super::reader::Node;
use super::settings::MAX_NAME;
use serde_json::{Map, Value, json};

/// One stored change for one contact, in the order it was enqueued.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    /// The outbox row id (echoed so the shell knows which rows a delivery covers).
    pub id: u64,
    /// CRM field → value.
    pub fields: Map<String, Value>,
    /// Tags to apply.
    pub apply_tags: Vec<String>,
    /// Tags to remove.
    pub remove_tags: Vec<String>,
}

impl Change {
    /// Reads `['id' => int, 'fields' => [crm_field => value], 'apply_tags' => [...], 'remove_tags' => [...]]`
    /// (every key but `id` optional).
    pub fn read(node: Node<'_>) -> Result<Self> {
        let mut o = node.object()?;
        let id = o.require("id")?.node().u64()?;
        let mut fields = Map::new();
        if let Some(c) = o.get("fields") {
            for (key, value) in c.node().entries()? {
                if key.trim().is_empty() || key.len() > MAX_NAME {
                    return Err(value.node().error(format!("field names must be 1 to {MAX_NAME} bytes")));
                }
                fields.insert(key.to_string(), value.node().value().clone());
            }
        }
        let apply_tags = tags(o.get("apply_tags").as_ref().map(|c| c.node()))?;
        let remove_tags = tags(o.get("remove_tags").as_ref().map(|c| c.node()))?;
        o.finish()?;
        Ok(Self { id, fields, apply_tags, remove_tags })
    }
}

fn tags(node: Option<Node<'_>>) -> Result<Vec<String>> {
    let Some(node) = node else { return Ok(Vec::new()) };
    node.list()?.iter().map(|c| c.node().name(MAX_NAME).map(str::to_string)).collect()
}

/// One CRM call of a delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// Create the contact with these fields and these tags (the shell adds the email). Only for a
    /// contact whose id is unknown; where the email already exists the CRM refuses it (duplicate)
    /// and changes nothing, and the shell looks the contact up and coalesces again with
    /// `has_contact`, so nothing is lost and a contact's status is never overwritten.
    Create {
        /// Fields to set (may be empty).
        fields: Map<String, Value>,
        /// Tags to apply (may be empty).
        apply: Vec<String>,
    },
    /// Update these fields.
    Update(Map<String, Value>),
    /// Apply these tags.
    Apply(Vec<String>),
    /// Remove these tags.
    Remove(Vec<String>),
    /// Fields and tags in one request.
    Combined {
        /// Fields to update (may be empty).
        fields: Map<String, Value>,
        /// Tags to apply (may be empty).
        apply: Vec<String>,
        /// Tags to remove (may be empty).
        remove: Vec<String>,
    },
}

/// Everything one contact's pending changes amount to, and the calls that send it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delivery {
    /// The rows this delivery covers, in order.
    pub ids: Vec<u64>,
    /// Net fields (last write wins per field).
    pub fields: Map<String, Value>,
    /// Net tags to apply, in order of their last change.
    pub apply_tags: Vec<String>,
    /// Net tags to remove, in order of their last change.
    pub remove_tags: Vec<String>,
    /// The calls, in the order they must be made.
    pub calls: Vec<Call>,
}

/// How the target CRM takes a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The contact already exists (its id is known); otherwise the one call is a create.
    pub has_contact: bool,
    /// The CRM takes fields and tags in one request.
    pub combined: bool,
}

/// Coalesces one contact's pending changes (in enqueue order) into one delivery.
///
/// Fields merge, last write wins per field. For each tag only its last change counts: an apply
/// and a remove of the same tag cancel each other, and the later one is sent alone — sending both
/// let them land out of order (WP Fusion's 3.38.44 bug), and sending neither would keep a tag the
/// CRM already had.
///
/// A contact whose id is unknown gets exactly one call, a create carrying the merged fields and
/// the tags to apply, with no lookup before it: a new contact has no tags, so removals are left
/// out of the call (they stay in the delivery's net change). When the contact exists after all
/// (the CRM answers duplicate and changes nothing), the shell looks it up and coalesces the same
/// changes again with `has_contact`, which sends everything, removals included. A known contact
/// gets one combined call where the CRM takes fields and tags together, else an update, a removal
/// and an application, each only when there is something to send.
pub fn coalesce(changes: &[Change], target: Target) -> Delivery {
    let mut fields = Map::new();
    // tag → (true = apply, last position); positions keep the order of each tag's last change.
    let mut tag_state: Vec<(String, bool)> = Vec::new();
    for change in changes {
        for (k, v) in &change.fields {
            fields.insert(k.clone(), v.clone());
        }
        for (list, apply) in [(&change.apply_tags, true), (&change.remove_tags, false)] {
            for tag in list {
                tag_state.retain(|(t, _)| t != tag);
                tag_state.push((tag.clone(), apply));
            }
        }
    }
    let apply_tags: Vec<String> = tag_state.iter().filter(|(_, a)| *a).map(|(t, _)| t.clone()).collect();
    let remove_tags: Vec<String> = tag_state.iter().filter(|(_, a)| !*a).map(|(t, _)| t.clone()).collect();

    let mut calls = Vec::new();
    if !target.has_contact {
        calls.push(Call::Create { fields: fields.clone(), apply: apply_tags.clone() });
    } else if target.combined {
        if !fields.is_empty() || !apply_tags.is_empty() || !remove_tags.is_empty() {
            calls.push(Call::Combined {
                fields: fields.clone(),
                apply: apply_tags.clone(),
                remove: remove_tags.clone(),
            });
        }
    } else {
        if !fields.is_empty() {
            calls.push(Call::Update(fields.clone()));
        }
        if !remove_tags.is_empty() {
            calls.push(Call::Remove(remove_tags.clone()));
        }
        if !apply_tags.is_empty() {
            calls.push(Call::Apply(apply_tags.clone()));
        }
    }
    Delivery { ids: changes.iter().map(|c| c.id).collect(), fields, apply_tags, remove_tags, calls }
}

impl Delivery {
    /// The delivery as plain data for PHP.
    pub fn to_value(&self) -> Value {
        let calls: Vec<Value> = self
            .calls
            .iter()
            .map(|c| match c {
                Call::Create { fields, apply } => {
                    json!({"op": "create", "fields": fields, "apply_tags": apply})
                }
                Call::Update(f) => json!({"op": "update", "fields": f}),
                Call::Apply(t) => json!({"op": "apply", "tags": t}),
                Call::Remove(t) => json!({"op": "remove", "tags": t}),
                Call::Combined { fields, apply, remove } => {
                    json!({"op": "combined", "fields": fields, "apply_tags": apply, "remove_tags": remove})
                }
            })
            .collect();
        json!({
            "ids": self.ids,
            "fields": self.fields,
            "apply_tags": self.apply_tags,
            "remove_tags": self.remove_tags,
            "calls": calls,
        })
    }
}

/// Why a CRM call failed, as the adapters report it (`TagBridge\Crm\Result` statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Timeout, refused connection, 5xx.
    Transient,
    /// 429 and the like, maybe with a retry-after.
    RateLimited,
    /// The contact vanished in the CRM (deleted or merged): the shell forgets its id and retries.
    NotFound,
    /// Credentials refused.
    AuthFailed,
    /// The CRM refused the request itself.
    Permanent,
    /// A write the CRM refused as a duplicate that the shell could not resolve (an email taken by
    /// another contact).
    Duplicate,
}

impl Failure {
    /// Parses a `Result` status.
    pub fn parse(status: &str) -> Option<Self> {
        Some(match status {
            "transient" => Self::Transient,
            "rate_limited" => Self::RateLimited,
            "not_found" => Self::NotFound,
            "auth_failed" => Self::AuthFailed,
            "permanent" => Self::Permanent,
            "duplicate" => Self::Duplicate,
            _ => return None,
        })
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try again after this many seconds.
    Retry(u64),
    /// Stop and wait for a person; the code says why.
    Park(&'static str),
}

/// First retry delay, in seconds.
pub const BASE_DELAY: u64 = 30;
/// Longest computed delay (one hour): a CRM that comes back is noticed within the hour.
pub const MAX_DELAY: u64 = 3600;
/// Longest retry-after honoured; a CRM asking for more is asked again after a day.
pub const MAX_RETRY_AFTER: u64 = 86_400;
/// Attempts before a transient failure is parked (about a day of hourly tries after the ramp).
pub const MAX_ATTEMPTS: u32 = 30;
/// Attempts before a contact that keeps vanishing is parked.
pub const MAX_NOT_FOUND_ATTEMPTS: u32 = 3;

/// Decides the next step after attempt number `attempt` (1 = the first try) failed with `failure`.
///
/// Delays double from [`BASE_DELAY`] up to [`MAX_DELAY`], with "equal jitter" (half fixed, half
/// spread) derived from `key` (the oldest row id) and the attempt, so many contacts failing at once
/// do not retry in lockstep, yet a test can predict every delay. A retry-after from the CRM is a
/// floor.
pub fn schedule(key: u64, attempt: u32, failure: Failure, retry_after: Option<u64>) -> Decision {
    let attempt = attempt.max(1);
    match failure {
        Failure::AuthFailed => return Decision::Park("auth_failed"),
        Failure::Permanent => return Decision::Park("permanent"),
        Failure::Duplicate => return Decision::Park("duplicate"),
        Failure::NotFound if attempt >= MAX_NOT_FOUND_ATTEMPTS => return Decision::Park("contact_not_found"),
        // The shell forgot the stale contact id; looking it up again needs no waiting.
        Failure::NotFound => return Decision::Retry(0),
        Failure::Transient | Failure::RateLimited if attempt >= MAX_ATTEMPTS => {
            return Decision::Park("attempts_exhausted");
        }
        Failure::Transient | Failure::RateLimited => {}
    }
    let capped = BASE_DELAY.saturating_mul(1u64 << (attempt - 1).min(20)).min(MAX_DELAY);
    let half = capped / 2;
    let delay = half + mix(key ^ (u64::from(attempt) << 48)) % (capped - half + 1);
    Decision::Retry(delay.max(retry_after.unwrap_or(0).min(MAX_RETRY_AFTER)))
}

/// splitmix64's finaliser: a well-spread, deterministic hash of one number.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Decision {
    /// The decision as plain data for PHP: `{action: "retry", delay}` or `{action: "park", reason}`.
    pub fn to_value(self) -> Value {
        match self {
            Self::Retry(delay) => json!({"action": "retry", "delay": delay, "reason": null}),
            Self::Park(reason) => json!({"action": "park", "delay": null, "reason": reason}),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn change(id: u64, fields: Value, apply: &[&str], remove: &[&str]) -> Change {
        Change {
            id,
            fields: fields.as_object().cloned().unwrap_or_default(),
            apply_tags: apply.iter().map(|s| (*s).to_string()).collect(),
            remove_tags: remove.iter().map(|s| (*s).to_string()).collect(),
        }
    }

    fn fields(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_registration_is_one_create_with_the_fields_and_the_tags() {
        let changes = [
            change(1, json!({"first_name": "Ann", "plan": "Team"}), &[], &[]),
            change(2, json!({"last_name": "Lee", "first_name": "Anna"}), &["member"], &[]),
            change(3, json!({}), &["vip", "trial"], &[]),
            change(4, json!({}), &[], &["trial", "old"]),
        ];
        for combined in [false, true] {
            let d = coalesce(&changes, Target { has_contact: false, combined });
            assert_eq!(d.ids, vec![1, 2, 3, 4]);
            assert_eq!(
                d.calls,
                vec![Call::Create {
                    fields: fields(json!({"first_name": "Anna", "plan": "Team", "last_name": "Lee"})),
                    apply: vec!["member".into(), "vip".into()],
                }],
                "no lookup, no separate tag call, and no removal for a contact that had no tags"
            );
            // The removals stay in the net change: a duplicate answer re-plans with them.
            assert_eq!(d.remove_tags, vec!["trial".to_string(), "old".to_string()]);
        }
    }

    #[test]
    fn a_known_contact_is_one_combined_call_or_separate_calls() {
        let changes = [
            change(1, json!({"first_name": "Ann"}), &["member", "old"], &[]),
            change(2, json!({}), &[], &["old"]),
        ];
        let d = coalesce(&changes, Target { has_contact: true, combined: true });
        assert_eq!(
            d.calls,
            vec![Call::Combined {
                fields: fields(json!({"first_name": "Ann"})),
                apply: vec!["member".into()],
                remove: vec!["old".into()],
            }]
        );
        let d = coalesce(&changes, Target { has_contact: true, combined: false });
        assert_eq!(
            d.calls,
            vec![
                Call::Update(fields(json!({"first_name": "Ann"}))),
                Call::Remove(vec!["old".into()]),
                Call::Apply(vec!["member".into()]),
            ]
        );
    }

    #[test]
    fn apply_then_remove_sends_only_the_remove() {
        let changes = [change(1, json!({}), &["Gold"], &[]), change(2, json!({}), &[], &["Gold"])];
        let d = coalesce(&changes, Target { has_contact: true, combined: true });
        assert!(d.apply_tags.is_empty());
        assert_eq!(d.remove_tags, vec!["Gold".to_string()]);
        assert_eq!(d.calls.len(), 1);
    }

    #[test]
    fn nothing_to_send_makes_no_call() {
        let d = coalesce(&[change(4, json!({}), &[], &[])], Target { has_contact: true, combined: false });
        assert!(d.calls.is_empty());
        assert_eq!(d.ids, vec![4]);
    }

    #[test]
    fn backoff_doubles_with_jitter_caps_and_parks() {
        for attempt in 1..10 {
            let Decision::Retry(d) = schedule(77, attempt, Failure::Transient, None) else { unreachable!() };
            let full = (BASE_DELAY << (attempt - 1)).min(MAX_DELAY);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d}");
        }
        assert_eq!(schedule(77, 3, Failure::Transient, None), schedule(77, 3, Failure::Transient, None));
        assert_eq!(schedule(1, MAX_ATTEMPTS, Failure::Transient, None), Decision::Park("attempts_exhausted"));
        assert_eq!(schedule(1, 1, Failure::RateLimited, Some(7200)), Decision::Retry(7200));
        assert_eq!(
            schedule(1, 1, Failure::RateLimited, Some(10 * MAX_RETRY_AFTER)),
            Decision::Retry(MAX_RETRY_AFTER)
        );
        assert_eq!(schedule(1, 1, Failure::AuthFailed, None), Decision::Park("auth_failed"));
        assert_eq!(schedule(1, 1, Failure::NotFound, None), Decision::Retry(0));
    }
}
