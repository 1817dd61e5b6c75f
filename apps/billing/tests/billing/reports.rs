//! Reports: aging buckets by days past due, revenue by month (invoiced, credited, net,
//! collected), as JSON and as CSV, and refused ranges.

use baseops_test_support::{Client, TestApp};
use chrono::{Datelike, Days, NaiveDate};
use http::Method;
use serde_json::json;

use crate::support::{act, customer, draft};

/// A finalized invoice of `amount` with `terms` days to pay; its id and issue day.
async fn invoice(
    app: &TestApp,
    member: &Client,
    customer: &str,
    amount: i64,
    terms: i64,
) -> (String, NaiveDate) {
    let lines = json!([{"description": "Work", "quantity": 1, "unit_amount": amount}]);
    let made =
        draft(app, member, json!({"customer_id": customer, "lines": lines, "payment_terms_days": terms}))
            .await;
    let done = act(app, member, made["id"].as_str().unwrap(), "finalize").await.json();
    (done["id"].as_str().unwrap().to_owned(), done["issued_on"].as_str().unwrap().parse().unwrap())
}

#[tokio::test]
async fn aging_puts_each_due_amount_in_its_bucket_and_totals_them() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let ann = customer(&app, &owner, "Ann").await;
    let ben = customer(&app, &owner, "Ben").await;
    let (_, issued) = invoice(&app, &owner, &ann, 1_000, 0).await; // due the day it is issued
    invoice(&app, &owner, &ann, 2_000, 30).await;
    let (paid_part, _) = invoice(&app, &owner, &ben, 5_000, 100).await;
    let pay = json!({"customer_id": ben, "amount": 1_500, "method": "cash", "allocations": [{"invoice_id": paid_part, "amount": 1_500}]});
    let paid = owner
        .send(&app, Method::POST, "/api/v1/billing/payments", Some(pay), &[("idempotency-key", "a1")])
        .await;
    assert_eq!(paid.status, 201);

    // 45 days on: the first is 45 days late, the second 15, Ben's not yet due.
    let as_of = issued.checked_add_days(Days::new(45)).unwrap();
    let report = owner.get(&app, &format!("/api/v1/billing/reports/aging?as_of={as_of}")).await;
    assert_eq!(report.status, 200, "{}", report.text());
    let report = report.json();
    let row = |customer: &str| {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["customer_id"] == json!(customer))
            .unwrap()
            .clone()
    };
    let ann_row = row(&ann);
    assert_eq!(
        (ann_row["days_31_60"].as_i64(), ann_row["days_1_30"].as_i64(), ann_row["total"].as_i64()),
        (Some(1_000), Some(2_000), Some(3_000))
    );
    let ben_row = row(&ben);
    assert_eq!((ben_row["current"].as_i64(), ben_row["total"].as_i64()), (Some(3_500), Some(3_500)));
    assert_eq!(report["rows"][0]["customer_id"], json!(ben), "the largest balance first");
    assert_eq!(
        report["totals"],
        json!([{"currency": "EUR", "current": 3_500, "days_1_30": 2_000, "days_31_60": 1_000, "days_61_90": 0, "over_90": 0, "total": 6_500}])
    );
    assert_eq!(report["truncated"], false);

    // 100 days on: 100 and 70 days late.
    let later = issued.checked_add_days(Days::new(100)).unwrap();
    let csv = owner.get(&app, &format!("/api/v1/billing/reports/aging?as_of={later}&format=csv")).await;
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let rows = csv.csv_rows();
    let total = rows.iter().find(|r| r["customer_id"] == "total").unwrap();
    assert_eq!(
        (total["over_90"].as_str(), total["days_61_90"].as_str(), total["current"].as_str()),
        ("1000", "2000", "3500")
    );
}

#[tokio::test]
async fn revenue_by_month_counts_invoiced_credited_and_collected_and_refuses_bad_ranges() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Cat").await;
    let (first, issued) = invoice(&app, &owner, &buyer, 10_000, 30).await;
    let (voided, _) = invoice(&app, &owner, &buyer, 4_000, 30).await;
    assert_eq!(act(&app, &owner, &voided, "void").await.status, 200);
    let pay = json!({"customer_id": buyer, "amount": 6_000, "method": "cash"});
    let paid = owner
        .send(&app, Method::POST, "/api/v1/billing/payments", Some(pay), &[("idempotency-key", "r1")])
        .await;
    assert_eq!(paid.status, 201);
    let note = json!({"amount": 1_000, "reason": "other"});
    let path = format!("/api/v1/billing/invoices/{first}/credit-notes");
    assert_eq!(
        owner.send(&app, Method::POST, &path, Some(note), &[("idempotency-key", "r2")]).await.status,
        201
    );

    let months = owner.get(&app, "/api/v1/billing/reports/revenue").await;
    assert_eq!(months.status, 200, "{}", months.text());
    let month = format!("{}-{:02}", issued.year(), issued.month());
    assert_eq!(
        months.json(),
        json!([{"month": month, "currency": "EUR", "invoiced": 10_000, "credited": 1_000, "net": 9_000, "collected": 6_000}])
    );
    let csv = owner.get(&app, "/api/v1/billing/reports/revenue?format=csv").await.csv_rows();
    assert_eq!(csv[0]["net"], "9000");
    let earlier = issued.checked_sub_months(chrono::Months::new(3)).unwrap();
    let empty =
        owner.get(&app, &format!("/api/v1/billing/reports/revenue?from={earlier}&to={earlier}")).await;
    assert_eq!(empty.json(), json!([]));
    let backwards = format!("/api/v1/billing/reports/revenue?from={issued}&to={earlier}");
    owner.get(&app, &backwards).await.assert_problem(422, "validation_failed");
    let long = owner.get(&app, "/api/v1/billing/reports/revenue?from=2000-01-01&to=2026-01-01").await;
    long.assert_problem(422, "validation_failed");
    app.as_role("marketer")
        .await
        .get(&app, "/api/v1/billing/reports/aging")
        .await
        .assert_problem(403, "forbidden");
}
