//! The customer list and a customer's detail: a converted lead shows up with its link back,
//! newest first, page by page; bad paging is refused; another organization's customers do
//! not exist.

use baseops_core::{Cursor, MAX_LIMIT};
use baseops_test_support::TestApp;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::converted_lead;

#[tokio::test]
async fn a_converted_lead_appears_in_the_customer_list_with_its_lead_link() {
    let app = TestApp::new().await;
    let sales = app.as_role("sales").await;
    let empty = sales.get(&app, "/api/v1/customers").await;
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert_eq!(empty.json(), json!({"items": [], "next_cursor": null}));

    let lead = json!({
        "first_name": "Buyer", "company": "Buyer Ltd", "email": "b@buyer.test", "phone": "+44 20 7946 0958",
    });
    let converted = converted_lead(&app, &sales, lead).await;

    let listed = sales.get(&app, "/api/v1/customers").await.json();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(listed["next_cursor"], json!(null));
    let customer = &items[0];
    assert_eq!(customer["id"], converted.customer_id.as_str());
    assert_eq!(customer["lead_id"], converted.lead_id.as_str(), "the customer links back to its lead");
    assert_eq!(customer["name"], "Buyer Ltd", "a company's customer is named after it");
    assert_eq!(customer["company"], "Buyer Ltd");
    assert_eq!(customer["email"], "b@buyer.test");
    assert!(customer["phone"].as_str().is_some_and(|phone| phone.starts_with('+')), "{customer}");
    assert_eq!(customer["version"], 1);
    assert!(customer["created_at"].is_string());

    let detail = sales.get(&app, &format!("/api/v1/customers/{}", converted.customer_id)).await;
    assert_eq!(detail.status, 200, "{}", detail.text());
    assert_eq!(&detail.json(), customer, "the detail is the listed customer");
    let lead = sales.get(&app, &format!("/api/v1/leads/{}", converted.lead_id)).await.json();
    assert_eq!(lead["customer_id"], converted.customer_id.as_str(), "the lead links to its customer");

    let audit = app.audit(Some(sales.organization_id), "customer.create").await;
    assert_eq!(audit.len(), 1, "the customer's creation is audited");
}

#[tokio::test]
async fn the_list_is_newest_first_and_pages_with_a_cursor() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(
            converted_lead(&app, &owner, json!({"first_name": format!("Buyer {n}")})).await.customer_id,
        );
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();

    let first = owner.get(&app, "/api/v1/customers?limit=2").await.json();
    let ids = |page: &serde_json::Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids(&first), newest_first[..2]);
    let cursor = first["next_cursor"].as_str().expect("more pages follow");
    let second = owner.get(&app, &format!("/api/v1/customers?limit=2&cursor={cursor}")).await.json();
    assert_eq!(ids(&second), newest_first[2..4]);
    let cursor = second["next_cursor"].as_str().expect("one more page");
    let last = owner.get(&app, &format!("/api/v1/customers?limit=2&cursor={cursor}")).await.json();
    assert_eq!(ids(&last), newest_first[4..]);
    assert_eq!(last["next_cursor"], json!(null), "the last page says so");

    let all: Vec<String> = owner
        .all_pages(&app, "/api/v1/customers?limit=1")
        .await
        .iter()
        .map(|customer| customer["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(all, newest_first, "every customer once, newest first");
    let default_page = owner.get(&app, "/api/v1/customers").await.json();
    assert_eq!(ids(&default_page), newest_first, "the default page holds them all");
}

#[tokio::test]
async fn bad_limits_and_cursors_are_client_errors() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    converted_lead(&app, &owner, json!({"first_name": "Only"})).await;
    let list = |query: String| format!("/api/v1/customers?{query}");
    for limit in [0, MAX_LIMIT + 1] {
        let response = owner.get(&app, &list(format!("limit={limit}"))).await;
        let problem = response.assert_problem(422, "validation_failed");
        assert!(problem.to_string().contains("limit"), "the problem names the field: {problem}");
    }
    for limit in ["many", "-1", "18446744073709551616"] {
        let response = owner.get(&app, &list(format!("limit={limit}"))).await;
        assert_eq!(response.status, 400, "limit={limit}: {}", response.text());
    }
    let largest = owner.get(&app, &list(format!("limit={MAX_LIMIT}"))).await;
    assert_eq!(largest.status, 200, "the largest page is fine: {}", largest.text());

    // A cursor made for another order is not this list's, nor is anything that does not decode.
    let another_order = Cursor::encode("-updated", Value::Null, Uuid::now_v7());
    for cursor in [another_order, "not-a-cursor!".to_owned(), "a".repeat(600)] {
        owner.get(&app, &list(format!("cursor={cursor}"))).await.assert_problem(400, "invalid_cursor");
    }
    let unknown = owner.get(&app, &list("unknown=1".to_owned())).await;
    assert_eq!(unknown.status, 400, "an unknown parameter: {}", unknown.text());
}

#[tokio::test]
async fn another_organizations_customer_does_not_exist() {
    let app = TestApp::new().await;
    let acme = app.org().await.owner.clone();
    let converted =
        converted_lead(&app, &acme, json!({"first_name": "Acme's", "company": "Acme Buyer"})).await;
    let path = format!("/api/v1/customers/{}", converted.customer_id);
    assert_eq!(acme.get(&app, &path).await.status, 200);

    let globex = app.organization("Globex").await.owner;
    globex.get(&app, &path).await.assert_problem(404, "not_found");
    let listed = globex.get(&app, "/api/v1/customers").await.json();
    assert_eq!(listed["items"], json!([]), "Globex lists none of Acme's customers");
    // Naming the other organization does not help a non-member either.
    let globex_in_acme = globex.clone().in_org(acme.organization_id);
    assert!(globex_in_acme.get(&app, &path).await.status.is_client_error());

    acme.get(&app, &format!("/api/v1/customers/{}", Uuid::now_v7())).await.assert_problem(404, "not_found");
    let malformed = acme.get(&app, "/api/v1/customers/not-a-uuid").await;
    assert_eq!(malformed.status, 400, "{}", malformed.text());
}
