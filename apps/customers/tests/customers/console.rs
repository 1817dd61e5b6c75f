//! Customers in the console: a converted lead is listed and has its page; a role without
//! `customers.view` sees no entry and is refused; another organization's customer is 404.

use baseops_test_support::{Client, TestApp};
use serde_json::json;

use crate::support::converted_lead;

#[tokio::test]
async fn converted_leads_are_listed_and_have_their_page() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let other = app.organization("Other").await.owner;
    let converted =
        converted_lead(&app, &owner, json!({"first_name": "Buyer", "company": "Buyer & Sons"})).await;
    let theirs = converted_lead(&app, &other, json!({"first_name": "Hidden"})).await;
    let person = Client::logged_in(&app, &owner.email).await;

    let list = person.get(&app, "/admin/customers").await;
    assert_eq!(list.status, 200, "{}", list.text());
    assert!(list.text().contains("Buyer &amp; Sons") && !list.text().contains("Hidden"), "{}", list.text());
    let page = person.get(&app, &format!("/admin/customers/{}", converted.customer_id)).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains(&format!("/admin/leads/{}", converted.lead_id)), "{}", page.text());
    assert_eq!(person.get(&app, &format!("/admin/customers/{}", theirs.customer_id)).await.status, 404);
    assert_eq!(person.get(&app, "/admin/customers?cursor=bogus").await.status, 400);

    app.member_with_email(owner.organization_id, "marketer@acme.test", "marketer").await;
    let marketer = Client::logged_in(&app, "marketer@acme.test").await;
    assert!(!marketer.get(&app, "/admin").await.text().contains("&#x2f;admin&#x2f;customers"));
    assert_eq!(marketer.get(&app, "/admin/customers").await.status, 403);
}

#[tokio::test]
async fn a_customers_page_shows_their_billing_profile() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let profile = json!({
        "name": "Globex", "legal_name": "Globex Ltd", "tax_exempt": "reverse", "payment_terms_days": 14,
        "billing_address": {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"},
        "tax_ids": [{"type": "us_ein", "value": "12-3456789"}], "billing_emails": ["ap@globex.test"],
    });
    let made = owner.post(&app, "/api/v1/customers", profile).await;
    assert_eq!(made.status, 201, "{}", made.text());
    let person = Client::logged_in(&app, &owner.email).await;
    let page = person.get(&app, &format!("/admin/customers/{}", made.json()["id"].as_str().unwrap())).await;
    assert_eq!(page.status, 200);
    for shown in [
        "Globex Ltd",
        "1 Main St",
        "12345 Springfield",
        "123456789 (us_ein)",
        "Reverse charge",
        "14 days",
        "ap@globex.test",
    ] {
        assert!(page.text().contains(shown), "{shown} is not on the page:\n{}", page.text());
    }
}
