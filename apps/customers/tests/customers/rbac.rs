//! Who sees customers: every default role that holds `customers.view`, nobody else, and
//! nobody anonymous.

use baseops_test_support::{Client, TestApp};
use serde_json::json;

use crate::support::converted_lead;

/// Each default role, and whether it sees the organization's customers
/// (`docs/permissions_rbac.md`).
const SEES_CUSTOMERS: [(&str, bool); 8] = [
    ("owner", true),
    ("admin", true),
    ("manager", true),
    ("sales", true),
    ("accountant", true),
    ("marketer", false),
    ("support", true),
    ("viewer", true),
];

#[tokio::test]
async fn each_default_role_sees_customers_as_customers_view_says() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let converted = converted_lead(&app, &owner, json!({"first_name": "Seen", "company": "Seen Ltd"})).await;
    let detail = format!("/api/v1/customers/{}", converted.customer_id);

    for (role, sees) in SEES_CUSTOMERS {
        let member = app.as_role(role).await;
        let held = app.state().permissions().grants_of(app.state().permissions().default_role(role).unwrap());
        assert_eq!(
            held.iter().any(|(name, _)| *name == "customers.view"),
            sees,
            "{role}: the table above disagrees with the default grants"
        );
        let list = member.get(&app, "/api/v1/customers").await;
        let one = member.get(&app, &detail).await;
        if sees {
            assert_eq!(list.status, 200, "{role}: {}", list.text());
            assert_eq!(list.json()["items"].as_array().map(Vec::len), Some(1), "{role}");
            assert_eq!(one.status, 200, "{role}: {}", one.text());
            assert_eq!(one.json()["lead_id"], converted.lead_id.as_str(), "{role}");
        } else {
            list.assert_problem(403, "forbidden");
            one.assert_problem(403, "forbidden");
        }
    }

    let signed_in = app.signed_in_as_role("support").await;
    assert_eq!(signed_in.get(&app, &detail).await.status, 200, "a console session works as a token does");
    for anonymous in [Client::anonymous(), Client::anonymous().in_org(owner.organization_id)] {
        anonymous.get(&app, "/api/v1/customers").await.assert_problem(401, "unauthenticated");
        anonymous.get(&app, &detail).await.assert_problem(401, "unauthenticated");
    }
}
