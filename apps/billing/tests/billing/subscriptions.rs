//! The catalog and subscriptions: a recurring price subscribed to is invoiced at once, then
//! once per period by the renewal run — exactly once even with two runs at the same time or a
//! run repeated — and trials, pauses and cancellations change what is invoiced as documented.

use baseops_billing::job::RenewSubscriptions;
use baseops_billing::model::subscription;
use baseops_billing::service::subscription::{Renewals, renew_due};
use baseops_jobs::Enqueue;
use baseops_test_support::{Client, TestApp, TestResponse};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::{Value, json};

use crate::support::{customer, invoice, tax_rate, verify};

/// A product with a 20 % rate and a monthly EUR price of `amount`; the price's id.
async fn monthly_price(app: &TestApp, member: &Client, amount: i64) -> String {
    let vat = tax_rate(app, member, "VAT 20", "20", false).await;
    let product = member
        .post(app, "/api/v1/billing/products", json!({"name": "Pro plan", "tax_rate_ids": [vat]}))
        .await;
    assert_eq!(product.status, 201, "{}", product.text());
    let id = product.json()["id"].as_str().unwrap().to_owned();
    let price = json!({"unit_amount": amount, "recurring": {"interval": "month"}});
    let made = member.post(app, &format!("/api/v1/billing/products/{id}/prices"), price).await;
    assert_eq!(made.status, 201, "{}", made.text());
    made.json()["id"].as_str().unwrap().to_owned()
}

async fn subscribe(app: &TestApp, member: &Client, body: Value) -> TestResponse {
    member.post(app, "/api/v1/billing/subscriptions", body).await
}

async fn detail(app: &TestApp, member: &Client, id: &str) -> Value {
    member.get(app, &format!("/api/v1/billing/subscriptions/{id}")).await.json()
}

async fn renew(app: &TestApp, at: DateTime<Utc>) -> Renewals {
    renew_due(app.state(), at, 10_000).await.unwrap()
}

fn invoice_ids(sub: &Value) -> Vec<String> {
    sub["periods"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["invoice_id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_subscription_is_invoiced_at_once_then_exactly_once_per_period() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Rae").await;
    let price = monthly_price(&app, &owner, 1_000).await;
    let made = subscribe(&app, &owner, json!({"customer_id": buyer, "price_id": price, "quantity": 3})).await;
    assert_eq!(made.status, 201, "{}", made.text());
    let sub = made.json();
    let id = sub["id"].as_str().unwrap().to_owned();
    assert_eq!(sub["status"], "active");
    let first = invoice_ids(&sub);
    assert_eq!(first.len(), 1, "the first period is invoiced at once");
    let bill = invoice(&app, &owner, &first[0]).await;
    assert_eq!(
        (bill["status"].as_str(), bill["total"].as_i64()),
        (Some("open"), Some(3_600)),
        "3 × 1,000 + 20 %"
    );
    assert!(bill["number"].as_str().unwrap().starts_with("INV-"));
    assert!(bill["lines"][0]["description"].as_str().unwrap().starts_with("Pro plan ("));

    // Nothing is due before the period ends.
    assert_eq!(renew(&app, Utc::now()).await.renewed, 0);
    let end: DateTime<Utc> = sub["current_period_end"].as_str().unwrap().parse().unwrap();
    assert_eq!(renew(&app, end).await.renewed, 1);
    assert_eq!(renew(&app, end).await.renewed, 0, "a second run renews nothing");
    let after = detail(&app, &owner, &id).await;
    assert_eq!(invoice_ids(&after).len(), 2);
    assert_eq!(after["current_period_start"], sub["current_period_end"]);

    // Two runs at once, two periods late: each period once, in order.
    let late = end + Duration::days(62);
    let (a, b) = tokio::join!(renew(&app, late), renew(&app, late));
    assert_eq!(a.renewed + b.renewed, 2, "{a:?} {b:?}");
    assert_eq!(a.failed + b.failed, 0, "{a:?} {b:?}");
    let after = detail(&app, &owner, &id).await;
    let periods: Vec<i64> =
        after["periods"].as_array().unwrap().iter().map(|p| p["index"].as_i64().unwrap()).collect();
    assert_eq!(periods, [3, 2, 1, 0]);
    let ids = invoice_ids(&after);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4, "one invoice per period");
    let listed = owner.get(&app, &format!("/api/v1/billing/invoices?customer_id={buyer}")).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 4);
    let report = verify(&app).await;
    assert!(report.is_ok(), "{report}");
    let audit =
        owner.get(&app, &format!("/api/v1/audit/events?action=subscription.renew&entity_id={id}")).await;
    assert_eq!(audit.json()["items"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn trials_pauses_and_cancellations_change_what_is_invoiced() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Sol").await;
    let price = monthly_price(&app, &owner, 500).await;
    let trial = subscribe(&app, &owner, json!({"customer_id": buyer, "price_id": price, "trial_days": 14}))
        .await
        .json();
    let id = trial["id"].as_str().unwrap().to_owned();
    assert_eq!((trial["status"].as_str(), invoice_ids(&trial).len()), (Some("trialing"), 0));
    let trial_end: DateTime<Utc> = trial["trial_end"].as_str().unwrap().parse().unwrap();
    assert_eq!(renew(&app, trial_end - Duration::seconds(1)).await.renewed, 0);
    assert_eq!(renew(&app, trial_end).await.renewed, 1);
    let active = detail(&app, &owner, &id).await;
    assert_eq!((active["status"].as_str(), invoice_ids(&active).len()), (Some("active"), 1));

    // Paused: the period goes on without an invoice; resumed: invoiced again.
    let paused = owner.post(&app, &format!("/api/v1/billing/subscriptions/{id}/pause"), json!({})).await;
    assert_eq!(paused.json()["status"], "paused");
    owner
        .post(&app, &format!("/api/v1/billing/subscriptions/{id}/pause"), json!({}))
        .await
        .assert_problem(409, "invalid_transition");
    let end: DateTime<Utc> = active["current_period_end"].as_str().unwrap().parse().unwrap();
    assert_eq!(renew(&app, end).await.renewed, 1);
    let after = detail(&app, &owner, &id).await;
    assert_eq!((after["periods"][0]["invoice_id"].clone(), invoice_ids(&after).len()), (Value::Null, 1));
    let resumed = owner.post(&app, &format!("/api/v1/billing/subscriptions/{id}/resume"), json!({})).await;
    assert_eq!(resumed.json()["status"], "active");

    // Set to end with the period: the renewal ends it instead of invoicing.
    let version = resumed.json()["version"].as_i64().unwrap();
    let patched = owner
        .send(
            &app,
            http::Method::PATCH,
            &format!("/api/v1/billing/subscriptions/{id}"),
            Some(json!({"cancel_at_period_end": true, "quantity": 2})),
            &[("if-match", &format!("\"{version}\""))],
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let end: DateTime<Utc> = patched.json()["current_period_end"].as_str().unwrap().parse().unwrap();
    let run = renew(&app, end + Duration::days(400)).await;
    assert_eq!((run.renewed, run.canceled), (0, 1));
    let ended = detail(&app, &owner, &id).await;
    assert_eq!((ended["status"].as_str(), invoice_ids(&ended).len()), (Some("canceled"), 1));
    owner
        .post(&app, &format!("/api/v1/billing/subscriptions/{id}/cancel"), json!({}))
        .await
        .assert_problem(409, "invalid_transition");
    let events =
        owner.get(&app, &format!("/api/v1/audit/events?entity_id={id}&action=subscription.cancel")).await;
    assert_eq!(events.json()["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_subscriptions_and_prices_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Tam").await;
    let price = monthly_price(&app, &owner, 500).await;
    let product = owner.get(&app, "/api/v1/billing/products").await.json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let prices = format!("/api/v1/billing/products/{product}/prices");
    let one_off = owner.post(&app, &prices, json!({"unit_amount": 9_900})).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (body, field) in [
        (json!({"unit_amount": -1}), "unit_amount"),
        (
            json!({"unit_amount": 1, "recurring": {"interval": "month", "interval_count": 37}}),
            "recurring.interval_count",
        ),
        (json!({"unit_amount": 1, "currency": "XXQ"}), ""),
    ] {
        let refused = owner.post(&app, &prices, body).await;
        assert_eq!(refused.status, 422, "{}", refused.text());
        assert!(refused.text().contains(field), "{}", refused.text());
    }
    let elsewhere = app.organization("Elsewhere").await.owner;
    for (body, field) in [
        (json!({"customer_id": buyer, "price_id": one_off}), "price_id"),
        (json!({"customer_id": buyer, "price_id": price, "quantity": 0}), "quantity"),
        (json!({"customer_id": buyer, "price_id": price, "trial_days": 731}), "trial_days"),
        (json!({"customer_id": buyer, "price_id": uuid::Uuid::now_v7()}), "price_id"),
    ] {
        let refused = subscribe(&app, &owner, body).await;
        assert_eq!(refused.status, 422, "{}", refused.text());
        assert!(refused.text().contains(field), "{}", refused.text());
    }
    let theirs = subscribe(&app, &elsewhere, json!({"customer_id": buyer, "price_id": price})).await;
    assert_eq!(theirs.status, 422, "another organization's customer and price: {}", theirs.text());
    let archived = owner
        .send(
            &app,
            http::Method::PATCH,
            &format!("/api/v1/billing/prices/{price}"),
            Some(json!({"active": false})),
            &[],
        )
        .await;
    assert_eq!(archived.json()["active"], false);
    subscribe(&app, &owner, json!({"customer_id": buyer, "price_id": price}))
        .await
        .assert_problem(422, "validation_failed");
    let viewer = app.as_role("sales").await;
    subscribe(&app, &viewer, json!({"customer_id": buyer, "price_id": price}))
        .await
        .assert_problem(403, "forbidden");
    let none = owner.get(&app, "/api/v1/billing/subscriptions").await.json();
    assert_eq!(none["items"], json!([]));
    assert_eq!(owner.get(&app, "/api/v1/billing/invoices").await.json()["items"], json!([]));
}

#[tokio::test]
async fn the_worker_renews_what_is_due() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Uma").await;
    let price = monthly_price(&app, &owner, 700).await;
    let sub = subscribe(&app, &owner, json!({"customer_id": buyer, "price_id": price})).await.json();
    let id: uuid::Uuid = sub["id"].as_str().unwrap().parse().unwrap();
    // A period that ended a minute ago, as if the month had passed.
    subscription::Entity::update_many()
        .col_expr(subscription::Column::CurrentPeriodEnd, Expr::value(Utc::now() - Duration::minutes(1)))
        .filter(subscription::Column::Id.eq(id))
        .exec(app.state().db().write())
        .await
        .unwrap();
    let txn = app.state().db().write().begin().await.unwrap();
    baseops_jobs::enqueue(&txn, Enqueue::new(&RenewSubscriptions).unwrap()).await.unwrap();
    txn.commit().await.unwrap();
    app.run_jobs().await;
    let after = detail(&app, &owner, &id.to_string()).await;
    assert_eq!(invoice_ids(&after).len(), 2, "{after}");
}

#[tokio::test]
async fn a_subscription_that_cannot_be_invoiced_fails_alone_and_the_rest_of_its_batch_renews() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Vera").await;
    let cheap = monthly_price(&app, &owner, 100).await;
    let good = subscribe(&app, &owner, json!({"customer_id": buyer, "price_id": cheap})).await.json();
    let bad = subscribe(&app, &owner, json!({"customer_id": buyer, "price_id": cheap})).await.json();
    // A quantity no invoice can hold, set behind the service's back.
    let bad_id: uuid::Uuid = bad["id"].as_str().unwrap().parse().unwrap();
    subscription::Entity::update_many()
        .col_expr(subscription::Column::Quantity, Expr::value(i32::MAX))
        .filter(subscription::Column::Id.eq(bad_id))
        .exec(app.state().db().write())
        .await
        .unwrap();
    let product = owner.get(&app, "/api/v1/billing/products").await.json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let huge = json!({"unit_amount": 1_000_000_000_000_000_i64, "recurring": {"interval": "month"}});
    let huge = owner.post(&app, &format!("/api/v1/billing/products/{product}/prices"), huge).await.json();
    subscription::Entity::update_many()
        .col_expr(
            subscription::Column::PriceId,
            Expr::value(huge["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap()),
        )
        .filter(subscription::Column::Id.eq(bad_id))
        .exec(app.state().db().write())
        .await
        .unwrap();
    let end: DateTime<Utc> = bad["current_period_end"].as_str().unwrap().parse().unwrap();
    let run = renew(&app, end).await;
    assert_eq!((run.renewed, run.failed), (1, 1), "{run:?}");
    assert_eq!(invoice_ids(&detail(&app, &owner, good["id"].as_str().unwrap()).await).len(), 2);
    let unchanged = detail(&app, &owner, &bad_id.to_string()).await;
    assert_eq!((invoice_ids(&unchanged).len(), unchanged["version"].clone()), (1, bad["version"].clone()));
    assert_eq!(renew(&app, end).await.failed, 1, "retried by the next run, failing again");
    let report = verify(&app).await;
    assert!(report.is_ok(), "{report}");
}
