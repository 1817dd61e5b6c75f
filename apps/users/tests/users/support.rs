//! What the users stories share beyond the test kit: finding a member in the members list.

use serde_json::Value;

/// The membership id of `email` in a `GET /api/v1/members` answer.
pub fn member_id(members: &Value, email: &str) -> String {
    members
        .as_array()
        .expect("a list of members")
        .iter()
        .find(|m| m["email"] == email)
        .unwrap_or_else(|| panic!("{email} is no member: {members}"))["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}
