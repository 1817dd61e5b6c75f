//! Customers made the way production makes them — a lead created, moved to the won stage
//! and converted — for the stories of the apps that bill them.

use serde_json::{Value, json};

use crate::{Client, TestApp};

/// The customer a won lead converted into, and that lead.
pub struct Converted {
    /// The customer's id.
    pub customer_id: String,
    /// The lead's id.
    pub lead_id: String,
}

/// Creates a lead from `lead` as `member`, moves it to the default pipeline's won stage and
/// converts it, asserting each step; returns the customer and the lead.
pub async fn converted_lead(app: &TestApp, member: &Client, lead: Value) -> Converted {
    let created = member.post(app, "/api/v1/leads", lead).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let lead_id = created.json()["id"].as_str().unwrap().to_owned();
    let won = won_stage(app, member).await;
    let moved = member.post(app, &format!("/api/v1/leads/{lead_id}/stage"), json!({"stage_id": won})).await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    let converted = member.post(app, &format!("/api/v1/leads/{lead_id}/convert"), json!({})).await;
    assert_eq!(converted.status, 201, "{}", converted.text());
    let customer_id = converted.json()["customer_id"].as_str().unwrap().to_owned();
    Converted { customer_id, lead_id }
}

/// The id of the default pipeline's "Won" stage.
pub async fn won_stage(app: &TestApp, member: &Client) -> String {
    let response = member.get(app, "/api/v1/leads/pipelines").await;
    assert_eq!(response.status, 200, "{}", response.text());
    let pipelines = response.json();
    let default =
        pipelines.as_array().unwrap().iter().find(|pipeline| pipeline["is_default"] == true).unwrap();
    let stages = default["stages"].as_array().unwrap();
    let won = stages.iter().find(|stage| stage["name"] == "Won").expect("a Won stage");
    won["id"].as_str().unwrap().to_owned()
}
