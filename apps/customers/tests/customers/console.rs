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
