//! What the roles stories share beyond the test kit: reading roles and members from the API.

use baseops_test_support::{Client, TestApp, TestResponse};
use serde_json::{Map, Value, json};

/// The organization's roles as `GET /api/v1/roles` lists them.
pub async fn roles(app: &TestApp, client: &Client) -> Vec<Value> {
    let response = client.get(app, "/api/v1/roles").await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json().as_array().expect("a list of roles").clone()
}

/// The id of the role with this default key (`owner`, `sales`, …).
pub async fn role_id(app: &TestApp, client: &Client, key: &str) -> String {
    let roles = roles(app, client).await;
    roles.iter().find(|role| role["key"] == key).unwrap_or_else(|| panic!("no {key} role: {roles:?}"))["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// Creates a custom role, asserting 201, and returns it.
pub async fn create_role(app: &TestApp, client: &Client, body: Value) -> Value {
    let response = client.post(app, "/api/v1/roles", body).await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

/// The organization's members as `GET /api/v1/members` lists them.
pub async fn members(app: &TestApp, client: &Client) -> Value {
    let response = client.get(app, "/api/v1/members").await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// The member `email` in a `GET /api/v1/members` answer.
pub fn member<'a>(members: &'a Value, email: &str) -> &'a Value {
    members
        .as_array()
        .expect("a list of members")
        .iter()
        .find(|m| m["email"] == email)
        .unwrap_or_else(|| panic!("{email} is no member: {members}"))
}

/// The role ids of the member `email` in a `GET /api/v1/members` answer, sorted.
pub fn role_ids(members: &Value, email: &str) -> Vec<String> {
    let mut ids: Vec<String> = member(members, email)["role_ids"]
        .as_array()
        .expect("role ids")
        .iter()
        .map(|id| id.as_str().expect("an id").to_owned())
        .collect();
    ids.sort();
    ids
}

/// `PUT /api/v1/members/{membership}/roles` with these role ids.
pub async fn set_member_roles(
    app: &TestApp,
    client: &Client,
    membership: &str,
    roles: &[&str],
) -> TestResponse {
    client.put(app, &format!("/api/v1/members/{membership}/roles"), json!({ "roles": roles })).await
}

/// The effective permissions `GET /api/v1/me` shows.
pub async fn my_permissions(app: &TestApp, client: &Client) -> Value {
    let response = client.get(app, "/api/v1/me").await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["permissions"].clone()
}

/// What the build's registry says a default role gets, as the API shows grants.
pub fn declared_grants(app: &TestApp, key: &str) -> Value {
    let registry = app.state().permissions();
    let role = registry.default_role(key).unwrap_or_else(|| panic!("{key} is no default role"));
    let grants: Map<String, Value> = registry
        .grants_of(role)
        .into_iter()
        .map(|(name, scope)| (name.to_owned(), json!(scope.as_str())))
        .collect();
    Value::Object(grants)
}
