//! What the users stories share beyond the test kit: finding a member in the members list,
//! logging in from a chosen address.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use baseops_test_support::{Client, TestApp, TestResponse};
use http::{Method, header};
use serde_json::{Value, json};

/// `POST /api/v1/auth/login` from the TCP peer `peer`, with `X-Forwarded-For` when given.
pub async fn login_from(
    app: &TestApp,
    peer: [u8; 4],
    forwarded_for: Option<&str>,
    email: &str,
    password: &str,
) -> TestResponse {
    let headers: Vec<(&str, &str)> = forwarded_for.iter().map(|value| ("x-forwarded-for", *value)).collect();
    let mut request = Client::anonymous()
        .request(Method::POST, "/api/v1/auth/login", &headers)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"email": email, "password": password}).to_string()))
        .expect("a valid request");
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from((peer, 50_000))));
    app.send(request).await
}

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
