//! What an event changed: the fields that differ, each with its value before and after, and
//! secrets replaced by [`REDACTED`] before anything is stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The value recorded in place of a sensitive field's value.
pub const REDACTED: &str = "[redacted]";

/// How a field name is matched against [`SENSITIVE_FIELDS`] (always in lowercase).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SensitiveName {
    /// The name contains this text.
    Contains(&'static str),
    /// The name ends with this text.
    EndsWith(&'static str),
    /// The name is exactly this text.
    Exactly(&'static str),
}

/// The one list of field names whose values are never recorded, only the fact that they
/// changed. Applies to top-level fields and to keys nested inside recorded values.
pub const SENSITIVE_FIELDS: &[SensitiveName] = &[
    SensitiveName::Contains("password"),
    SensitiveName::Contains("secret"),
    SensitiveName::Contains("token_hash"),
    SensitiveName::Contains("recovery"),
    SensitiveName::Contains("private_key"),
    SensitiveName::EndsWith("_hash"),
    SensitiveName::EndsWith("_token"),
    SensitiveName::Exactly("token"),
];

/// Whether a field's value must be redacted (case-insensitive; see [`SENSITIVE_FIELDS`]).
pub fn is_sensitive_field(name: &str) -> bool {
    let name = name.to_lowercase();
    SENSITIVE_FIELDS.iter().any(|rule| match rule {
        SensitiveName::Contains(text) => name.contains(text),
        SensitiveName::EndsWith(text) => name.ends_with(text),
        SensitiveName::Exactly(text) => name == *text,
    })
}

/// One field's change. `None` means the field did not exist on that side (an event that
/// creates a record has no `before`); `Some(Value::Null)` means it existed and was null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldChange {
    /// The value before the change; absent for a creation.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub before: Option<Value>,
    /// The value after the change; absent for a deletion.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub after: Option<Value>,
}

/// Keeps an explicit `null` as `Some(Value::Null)` (serde's default reads it as `None`).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// The diff an audit event records: changed fields only, `field → {before, after}`, with
/// sensitive fields redacted on the way in.
///
/// Stored as canonical JSON (keys sorted), for example
/// `{"password_hash":{"after":"[redacted]","before":"[redacted]"},"status":{"after":"won","before":"open"}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct Changes(BTreeMap<String, FieldChange>);

impl Changes {
    /// No changes yet; add some with [`Changes::set`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A record was created: every field of `record`, with its value as `after`.
    ///
    /// `record` should serialize to a JSON object; any other value is recorded as the field
    /// `value`, and a value that fails to serialize as the field `_error` with the reason.
    pub fn created(record: &impl Serialize) -> Self {
        let mut changes = Self::new();
        for (field, value) in to_object(record) {
            changes.insert(field, None, Some(value));
        }
        changes
    }

    /// A record was deleted: every field of `record`, with its value as `before`.
    ///
    /// Non-objects are handled as in [`Changes::created`].
    pub fn deleted(record: &impl Serialize) -> Self {
        let mut changes = Self::new();
        for (field, value) in to_object(record) {
            changes.insert(field, Some(value), None);
        }
        changes
    }

    /// A record was updated: the top-level fields whose values differ between `before` and
    /// `after` (a field present on one side only counts as changed).
    ///
    /// Non-objects are handled as in [`Changes::created`].
    pub fn between(before: &impl Serialize, after: &impl Serialize) -> Self {
        let mut before = to_object(before);
        let after = to_object(after);
        let mut changes = Self::new();
        for (field, new) in after {
            match before.remove(&field) {
                Some(old) if old == new => {}
                old => changes.insert(field, old, Some(new)),
            }
        }
        for (field, old) in before {
            changes.insert(field, Some(old), None);
        }
        changes
    }

    /// Adds (or replaces) one field's change; builder style.
    ///
    /// A value that fails to serialize is recorded as a string naming the reason.
    #[must_use]
    pub fn set(mut self, field: impl Into<String>, before: impl Serialize, after: impl Serialize) -> Self {
        self.insert(field.into(), Some(to_value(&before)), Some(to_value(&after)));
        self
    }

    /// Whether no field changed (an update that changed nothing usually records nothing).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many fields changed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// One field's change.
    pub fn get(&self, field: &str) -> Option<&FieldChange> {
        self.0.get(field)
    }

    /// The changed fields and their changes, by field name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FieldChange)> {
        self.0.iter().map(|(field, change)| (field.as_str(), change))
    }

    /// The canonical JSON text stored and hashed (see [`crate::chain`]).
    pub fn to_canonical_json(&self) -> String {
        let value = serde_json::to_value(self).expect("strings and JSON values serialize");
        crate::chain::canonical_json(&value)
    }

    fn insert(&mut self, field: String, before: Option<Value>, after: Option<Value>) {
        let change = if is_sensitive_field(&field) {
            FieldChange { before: before.map(|_| redacted()), after: after.map(|_| redacted()) }
        } else {
            FieldChange { before: before.map(redact_nested), after: after.map(redact_nested) }
        };
        self.0.insert(field, change);
    }
}

fn redacted() -> Value {
    Value::String(REDACTED.to_owned())
}

/// Redacts sensitive keys inside objects at any depth (`{"settings": {"api_secret": …}}`).
fn redact_nested(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, item)| {
                    let item = if is_sensitive_field(&key) { redacted() } else { redact_nested(item) };
                    (key, item)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_nested).collect()),
        scalar => scalar,
    }
}

fn to_value(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or_else(|error| Value::String(format!("[unserializable: {error}]")))
}

fn to_object(record: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(record) {
        Ok(Value::Object(map)) => map,
        Ok(other) => Map::from_iter([("value".to_owned(), other)]),
        Err(error) => Map::from_iter([("_error".to_owned(), Value::String(error.to_string()))]),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sensitive_names_are_matched_case_insensitively() {
        for name in ["password", "new_Password", "api_secret", "token_hash", "recovery_codes", "totp_hash"] {
            assert!(is_sensitive_field(name), "{name}");
        }
        for name in ["email", "hash_algorithm", "status", "tokens_used"] {
            assert!(!is_sensitive_field(name), "{name}");
        }
    }

    #[test]
    fn between_keeps_changed_fields_only_and_redacts() {
        let before = json!({"status": "open", "amount": 10, "password_hash": "x", "gone": 1, "note": null});
        let after = json!({"status": "won", "amount": 10, "password_hash": "y", "new": 2, "note": null});
        let changes = Changes::between(&before, &after);
        assert_eq!(
            serde_json::to_value(&changes).unwrap(),
            json!({
                "status": {"before": "open", "after": "won"},
                "password_hash": {"before": REDACTED, "after": REDACTED},
                "gone": {"before": 1},
                "new": {"after": 2},
            })
        );
    }

    #[test]
    fn explicit_nulls_survive_a_round_trip() {
        let changes = Changes::new().set("note", Value::Null, "hi");
        let text = changes.to_canonical_json();
        assert_eq!(text, r#"{"note":{"after":"hi","before":null}}"#);
        assert_eq!(serde_json::from_str::<Changes>(&text).unwrap(), changes);
    }

    #[test]
    fn nested_secrets_and_non_objects() {
        let changes = Changes::created(&json!({"settings": {"smtp": {"password": "p", "host": "h"}}}));
        assert_eq!(
            changes.get("settings").unwrap().after,
            Some(json!({"smtp": {"password": REDACTED, "host": "h"}}))
        );
        assert_eq!(Changes::created(&"text").get("value").unwrap().after, Some(json!("text")));
        assert!(Changes::between(&json!({"a": 1}), &json!({"a": 1})).is_empty());
    }
}
