//! Proration: a mid-period change of quantity or price owes the difference for the rest of the
//! period — invoiced at once (`always_invoice`), taken by the next renewal (`create_prorations`:
//! charges as lines, credits as a discount), or nothing (`none`).

use baseops_billing::model::{proration, subscription};
use baseops_billing::service::subscription::{prorated, renew_due};
use baseops_test_support::{Client, TestApp};
use chrono::{Duration, TimeZone, Utc};
use http::Method;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{customer, invoice};

#[test]
fn the_difference_is_prorated_to_the_second_and_rounded_half_away_from_zero() {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let end = start + Duration::days(30);
    assert_eq!(prorated(3_000, 9_000, (start, end), start + Duration::days(15)), 3_000);
    assert_eq!(prorated(9_000, 3_000, (start, end), start + Duration::days(15)), -3_000);
    assert_eq!(prorated(3_000, 9_000, (start, end), end), 0, "nothing is left of the period");
    assert_eq!(prorated(3_000, 9_000, (start, end), start), 6_000, "the whole period");
    let two = start + Duration::seconds(2);
    assert_eq!(prorated(0, 1, (start, two), start + Duration::seconds(1)), 1, "0.5 rounds up");
    assert_eq!(prorated(1, 0, (start, two), start + Duration::seconds(1)), -1, "-0.5 rounds down");
}

async fn monthly(app: &TestApp, member: &Client, product: &str, amount: i64) -> String {
    let body = json!({"unit_amount": amount, "recurring": {"interval": "month"}});
    let made = member.post(app, &format!("/api/v1/billing/products/{product}/prices"), body).await;
    assert_eq!(made.status, 201, "{}", made.text());
    made.json()["id"].as_str().unwrap().to_owned()
}

async fn change(app: &TestApp, member: &Client, id: &str, body: Value) -> Value {
    let path = format!("/api/v1/billing/subscriptions/{id}");
    let version = member.get(app, &path).await.json()["version"].as_i64().unwrap();
    let etag = format!("\"{version}\"");
    let changed = member.send(app, Method::PATCH, &path, Some(body), &[("if-match", &etag)]).await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    changed.json()
}

async fn invoices(app: &TestApp, member: &Client) -> Vec<Value> {
    member.get(app, "/api/v1/billing/invoices").await.json()["items"].as_array().unwrap().clone()
}

/// Sets the subscription's current period to `start`..`end`.
async fn period(app: &TestApp, id: &str, start: chrono::DateTime<Utc>, end: chrono::DateTime<Utc>) {
    subscription::Entity::update(subscription::ActiveModel {
        id: Set(id.parse().unwrap()),
        current_period_start: Set(start),
        current_period_end: Set(end),
        ..Default::default()
    })
    .exec(app.state().db().write())
    .await
    .unwrap();
}

fn near(actual: &Value, expected: i64) -> bool {
    actual.as_i64().is_some_and(|actual| (actual - expected).abs() <= 1)
}

#[tokio::test]
async fn changes_mid_period_are_invoiced_at_once_carried_to_the_renewal_or_not_at_all() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Pia").await;
    let made = owner.post(&app, "/api/v1/billing/products", json!({"name": "Seats"})).await;
    let product = made.json()["id"].as_str().unwrap().to_owned();
    let basic = monthly(&app, &owner, &product, 3_000).await;
    let plus = monthly(&app, &owner, &product, 5_000).await;
    let sub = owner
        .post(&app, "/api/v1/billing/subscriptions", json!({"customer_id": buyer, "price_id": basic}))
        .await;
    assert_eq!(sub.status, 201, "{}", sub.text());
    let id = sub.json()["id"].as_str().unwrap().to_owned();
    // Half-way through a 30-day period.
    let now = Utc::now();
    let end = now + Duration::days(15);
    period(&app, &id, now - Duration::days(15), end).await;
    assert_eq!(invoices(&app, &owner).await.len(), 1, "the first period's");

    // 1 → 3 seats, invoiced at once: (9,000 − 3,000) × ½.
    change(&app, &owner, &id, json!({"quantity": 3, "proration_behavior": "always_invoice"})).await;
    let all = invoices(&app, &owner).await;
    assert_eq!(all.len(), 2);
    let charged = invoice(&app, &owner, all[0]["id"].as_str().unwrap()).await;
    assert_eq!(charged["status"], "open");
    assert!(near(&charged["total"], 3_000), "{charged}");
    assert!(
        charged["lines"][0]["description"]
            .as_str()
            .unwrap()
            .starts_with("Proration, Seats (quantity 1 to 3)")
    );

    // 3 → 1 seat: a credit of about 3,000 for the next invoice; then the plus price: about
    // 1,000 more; then 2 seats without proration.
    change(&app, &owner, &id, json!({"quantity": 1})).await;
    change(&app, &owner, &id, json!({"price_id": plus, "proration_behavior": "create_prorations"})).await;
    change(&app, &owner, &id, json!({"quantity": 2, "proration_behavior": "none"})).await;
    assert_eq!(invoices(&app, &owner).await.len(), 2, "nothing invoiced for the pending ones");
    let pending = || {
        proration::Entity::find()
            .filter(proration::Column::SubscriptionId.eq(id.parse::<Uuid>().unwrap()))
            .filter(proration::Column::InvoiceId.is_null())
    };
    assert_eq!(pending().count(app.state().db().read()).await.unwrap(), 2);

    // The renewal's invoice: 2 × 5,000, the 1,000 charge as a line, the 3,000 credit as a
    // discount.
    let renewed = renew_due(app.state(), end + Duration::seconds(1), 100).await.unwrap();
    assert_eq!(renewed.renewed, 1);
    let all = invoices(&app, &owner).await;
    let next = invoice(&app, &owner, all[0]["id"].as_str().unwrap()).await;
    let lines = next["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{next}");
    assert_eq!(lines[0]["amount"], 10_000);
    assert!(near(&lines[1]["amount"], 1_000), "{next}");
    assert!(near(&next["discount_total"], 3_000), "{next}");
    assert!(near(&next["total"], 8_000), "{next}");
    assert_eq!(pending().count(app.state().db().read()).await.unwrap(), 0, "taken by the renewal");
    assert_eq!(app.audit(Some(app.org().await.id), "subscription.prorate").await.len(), 3);
}

#[tokio::test]
async fn a_credit_larger_than_the_invoice_is_carried_to_the_next_and_bad_behaviours_are_refused() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Lou").await;
    let made = owner.post(&app, "/api/v1/billing/products", json!({"name": "Seats"})).await;
    let product = made.json()["id"].as_str().unwrap().to_owned();
    let price = monthly(&app, &owner, &product, 1_000).await;
    let body = json!({"customer_id": buyer, "price_id": price, "quantity": 10});
    let id = owner.post(&app, "/api/v1/billing/subscriptions", body).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = Utc::now();
    let end = now + Duration::seconds(30 * 86_400 - 60);
    period(&app, &id, now - Duration::seconds(60), end).await;
    let path = format!("/api/v1/billing/subscriptions/{id}");
    let refused = owner
        .send(
            &app,
            Method::PATCH,
            &path,
            Some(json!({"quantity": 2, "proration_behavior": "sometimes"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    // 10 → 1 seat at once: about 9,000 of credit, more than the next period's 1,000.
    change(&app, &owner, &id, json!({"quantity": 1})).await;
    renew_due(app.state(), end + Duration::seconds(1), 100).await.unwrap();
    let next = invoice(&app, &owner, invoices(&app, &owner).await[0]["id"].as_str().unwrap()).await;
    assert_eq!((next["total"].as_i64(), next["discount_total"].as_i64()), (Some(0), Some(1_000)), "{next}");
    let left: Vec<i64> = proration::Entity::find()
        .filter(proration::Column::InvoiceId.is_null())
        .all(app.state().db().read())
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.amount)
        .collect();
    assert_eq!(left.len(), 1, "the rest carried over: {left:?}");
    assert!((left[0] + 8_000).abs() <= 5, "{left:?}");
}

#[tokio::test]
async fn an_at_once_proration_is_dated_in_the_organizations_zone_and_an_overflowing_one_is_refused() {
    let app = TestApp::new().await;
    let org = app.org().await;
    let owner = org.owner.clone();
    // A zone whose date is not UTC's right now: 11 hours behind before 10:00 UTC (the day
    // before there), 14 hours ahead from then on (the day after).
    let now = Utc::now();
    let zone: chrono_tz::Tz = if chrono::Timelike::hour(&now) < 10 {
        chrono_tz::Pacific::Pago_Pago
    } else {
        chrono_tz::Pacific::Kiritimati
    };
    let path = format!("/api/v1/organizations/{}", org.id);
    let moved = owner.patch(&app, &path, json!({"time_zone": zone.name()}), None).await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    let buyer = customer(&app, &owner, "Zed").await;
    let made = owner.post(&app, "/api/v1/billing/products", json!({"name": "Seats"})).await;
    let product = made.json()["id"].as_str().unwrap().to_owned();
    let basic = monthly(&app, &owner, &product, 3_000).await;
    let sub = owner
        .post(&app, "/api/v1/billing/subscriptions", json!({"customer_id": buyer, "price_id": basic}))
        .await;
    assert_eq!(sub.status, 201, "{}", sub.text());
    let id = sub.json()["id"].as_str().unwrap().to_owned();
    period(&app, &id, now - Duration::days(15), now + Duration::days(15)).await;

    change(&app, &owner, &id, json!({"quantity": 2, "proration_behavior": "always_invoice"})).await;
    let charged = &invoices(&app, &owner).await[0];
    let local = Utc::now().with_timezone(&zone).date_naive().to_string();
    assert_eq!(charged["issued_on"].as_str(), Some(local.as_str()), "{charged}");
    assert_ne!(local, Utc::now().date_naive().to_string(), "the zone's date differs from UTC's");

    // The largest unit amount times the largest quantity does not fit in an amount: 422.
    let huge = monthly(&app, &owner, &product, 1_000_000_000_000_000).await;
    let before = invoices(&app, &owner).await.len();
    let path = format!("/api/v1/billing/subscriptions/{id}");
    let version = owner.get(&app, &path).await.json()["version"].as_i64().unwrap();
    let body = json!({"price_id": huge, "quantity": 1_000_000, "proration_behavior": "always_invoice"});
    let refused = owner.patch(&app, &path, body, Some(version)).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains("quantity"), "{}", refused.text());
    let after = owner.get(&app, &path).await.json();
    assert_eq!((after["version"].as_i64(), after["quantity"].as_i64()), (Some(version), Some(2)));
    assert_eq!(invoices(&app, &owner).await.len(), before, "nothing invoiced");
}
