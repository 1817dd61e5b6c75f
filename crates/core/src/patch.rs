//! Partial updates (`PATCH`): telling a field that was left out from one sent as `null`.

use serde::{Deserialize, Deserializer};

/// Keeps an explicit `null` apart from an absent field: absent is `None` (with
/// `#[serde(default)]`), `null` is `Some(None)`, a value is `Some(Some(value))`. Use it as
/// `#[serde(default, deserialize_with = "baseops_core::patch::present")]`.
///
/// # Errors
/// The value's own deserialization errors.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}
