//! Paging the customer list past one page (docs/apps/customers.md, docs/api_overview.md
//! "Pagination"): `limit` defaults to 50, walking `next_cursor` yields every customer exactly
//! once, newest first, whatever the page size, and customers added meanwhile neither shift
//! nor repeat what the walk has still to read (keyset paging). A cursor another list made is
//! 400 `invalid_cursor`.

use baseops_core::DEFAULT_LIMIT;
use baseops_test_support::{Client, TestApp};
use serde_json::{Value, json};

use crate::support::converted_lead;

/// `count` customers made by `member`, converted from won leads; their ids, newest first.
async fn customers(app: &TestApp, member: &Client, count: usize, label: &str) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let lead = json!({"first_name": format!("{label} {n}")});
        ids.push(converted_lead(app, member, lead).await.customer_id);
    }
    ids.reverse();
    ids
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|customer| customer["id"].as_str().expect("an id").to_owned()).collect()
}

async fn page(app: &TestApp, member: &Client, query: &str) -> Value {
    let response = member.get(app, &format!("/api/v1/customers{query}")).await;
    assert_eq!(response.status, 200, "{query}: {}", response.text());
    response.json()
}

#[tokio::test]
async fn more_customers_than_one_page_are_each_listed_once_newest_first() {
    let app = TestApp::new().await;
    let sales = app.as_role("sales").await;
    let default = usize::try_from(DEFAULT_LIMIT).unwrap();
    let newest_first = customers(&app, &sales, default + 1, "Buyer").await;

    // Without a limit a page holds 50: one customer is left for a second page, which is the last.
    let first = page(&app, &sales, "").await;
    assert_eq!(ids(first["items"].as_array().unwrap()), newest_first[..default]);
    let cursor = first["next_cursor"].as_str().expect("a second page follows");
    let second = page(&app, &sales, &format!("?cursor={cursor}")).await;
    assert_eq!(ids(second["items"].as_array().unwrap()), newest_first[default..]);
    assert_eq!(second["next_cursor"], Value::Null, "the last page says so");

    // Every page size walks to the same list: one that divides the count and ones that do not.
    for limit in [1, 7, 17, 50, 51, 200] {
        let walked = sales.all_pages(&app, &format!("/api/v1/customers?limit={limit}")).await;
        assert_eq!(ids(&walked), newest_first, "walking pages of {limit}");
    }
    // A page as large as what is left ends the walk: no empty page follows.
    let exact = page(&app, &sales, &format!("?limit={}", default + 1)).await;
    assert_eq!(exact["items"].as_array().unwrap().len(), default + 1);
    assert_eq!(exact["next_cursor"], Value::Null);
}

#[tokio::test]
async fn customers_added_during_a_walk_neither_shift_nor_repeat_what_follows() {
    let app = TestApp::new().await;
    let sales = app.as_role("sales").await;
    let older = customers(&app, &sales, 6, "Early").await;

    let first = page(&app, &sales, "?limit=2").await;
    assert_eq!(ids(first["items"].as_array().unwrap()), older[..2]);
    let mut cursor = first["next_cursor"].as_str().expect("more pages").to_owned();
    // Two customers arrive between pages; with offsets the walk would show two customers again.
    let newer = customers(&app, &sales, 2, "Late").await;

    let mut rest = Vec::new();
    loop {
        let next = page(&app, &sales, &format!("?limit=2&cursor={cursor}")).await;
        rest.extend(ids(next["items"].as_array().unwrap()));
        match next["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(rest, older[2..], "the walk went on where it stopped");

    // A walk started now sees everyone, newest first.
    let everyone: Vec<String> = newer.iter().chain(&older).cloned().collect();
    assert_eq!(ids(&sales.all_pages(&app, "/api/v1/customers?limit=3").await), everyone);
}

#[tokio::test]
async fn a_cursor_from_another_list_is_refused() {
    let app = TestApp::new().await;
    let sales = app.as_role("sales").await;
    customers(&app, &sales, 2, "Buyer").await;
    // A real cursor of the leads list (two leads, converted), not one this list made.
    let leads = sales.get(&app, "/api/v1/leads?limit=1").await;
    assert_eq!(leads.status, 200, "{}", leads.text());
    let theirs = leads.json()["next_cursor"].as_str().expect("a second page of leads").to_owned();
    sales
        .get(&app, &format!("/api/v1/customers?cursor={theirs}"))
        .await
        .assert_problem(400, "invalid_cursor");
    // This list's own cursor, cut short, does not decode.
    let ours = page(&app, &sales, "?limit=1").await["next_cursor"].as_str().expect("a cursor").to_owned();
    sales
        .get(&app, &format!("/api/v1/customers?cursor={}", &ours[..ours.len() - 3]))
        .await
        .assert_problem(400, "invalid_cursor");
    assert_eq!(sales.get(&app, &format!("/api/v1/customers?cursor={ours}")).await.status, 200);
}
