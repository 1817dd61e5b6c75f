//! What the leads stories share beyond the test kit: creating a lead, reading every page,
//! uploading a CSV file, the default pipeline's stages.

use std::collections::HashMap;

use baseops_test_support::{Client, TestApp, TestResponse};
use serde_json::Value;

/// Creates a lead, asserting 201, and returns it.
pub async fn create_lead(app: &TestApp, member: &Client, body: Value) -> Value {
    let response = member.post(app, "/api/v1/leads", body).await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

/// Every lead the member sees, with extra filters (`&status=open`).
pub async fn all_leads(app: &TestApp, member: &Client, query: &str) -> Vec<Value> {
    member.all_pages(app, &format!("/api/v1/leads?limit=200{query}")).await
}

/// Uploads a CSV file for import, with optional form fields.
pub async fn upload_csv(
    app: &TestApp,
    member: &Client,
    file: &[u8],
    fields: &[(&str, &str)],
) -> TestResponse {
    member.upload(app, "/api/v1/leads/imports", fields, "file", ("leads.csv", "text/csv", file)).await
}

/// The default pipeline's stages by name → id.
pub async fn stages(app: &TestApp, member: &Client) -> HashMap<String, String> {
    let response = member.get(app, "/api/v1/leads/pipelines").await;
    assert_eq!(response.status, 200, "{}", response.text());
    let pipelines = response.json();
    let default = pipelines.as_array().unwrap().iter().find(|p| p["is_default"] == true).unwrap().clone();
    default["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|stage| (stage["name"].as_str().unwrap().to_owned(), stage["id"].as_str().unwrap().to_owned()))
        .collect()
}
