//! Dunning: the organization's schedule sends each reminder once, the latest step reached
//! only, to the customer's billing addresses; the first reminder after the due date charges
//! the late fee on an invoice of its own (never a fee on a fee); paying stops the reminders.

use baseops_billing::service::dunning::remind::{Reminders, remind_due};
use baseops_test_support::{Client, TestApp, TestResponse};
use chrono::{DateTime, Duration, Utc};
use http::Method;
use serde_json::{Value, json};

use crate::support::{act, customer, draft, invoice, post_keyed};

async fn put_policy(app: &TestApp, member: &Client, version: i64, body: Value) -> TestResponse {
    let etag = format!("\"{version}\"");
    member.send(app, Method::PUT, "/api/v1/billing/dunning", Some(body), &[("if-match", &etag)]).await
}

/// A finalized invoice of `amount` for `customer`, due in ten days; its id and number.
async fn due_in_ten_days(app: &TestApp, member: &Client, customer: &str, amount: i64) -> (String, String) {
    let lines = json!([{"description": "Consulting", "quantity": 1, "unit_amount": amount}]);
    let made =
        draft(app, member, json!({"customer_id": customer, "lines": lines, "payment_terms_days": 10})).await;
    let id = made["id"].as_str().unwrap().to_owned();
    let finalized = act(app, member, &id, "finalize").await;
    assert_eq!(finalized.status, 200, "{}", finalized.text());
    (id, finalized.json()["number"].as_str().unwrap().to_owned())
}

async fn remind(app: &TestApp, at: DateTime<Utc>) -> Reminders {
    remind_due(app.state(), at, 10_000).await.unwrap()
}

/// The messages sent so far that name `number`.
async fn mails_about(app: &TestApp, number: &str) -> Vec<String> {
    app.emails().await.into_iter().filter(|mail| mail.contains(number)).collect()
}

#[tokio::test]
async fn each_reminder_goes_once_the_late_fee_once_and_paying_stops_them() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let made = owner
        .post(
            &app,
            "/api/v1/customers",
            json!({"name": "Ada Ltd", "email": "ada@example.com",
                   "billing_emails": ["ap@ada.example", "cfo@ada.example"]}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let ada = made.json()["id"].as_str().unwrap().to_owned();
    let silent = customer(&app, &owner, "Quiet").await;
    let saved =
        put_policy(&app, &owner, 0, json!({"steps": [14, -3, 0, 7], "late_fee": {"percent": "2"}})).await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    assert_eq!(saved.json()["steps"], json!([-3, 0, 7, 14]));
    let (id, number) = due_in_ten_days(&app, &owner, &ada, 10_000).await;
    let (quiet_id, _) = due_in_ten_days(&app, &owner, &silent, 4_000).await;
    let now = Utc::now();

    assert_eq!(remind(&app, now + Duration::days(5)).await, Reminders::default(), "no step reached yet");
    let first = remind(&app, now + Duration::days(7)).await;
    assert_eq!((first.sent, first.late_fees), (2, 0), "both invoices, three days before they are due");
    assert_eq!(remind(&app, now + Duration::days(7)).await.sent, 0, "a step is sent once");
    let mails = mails_about(&app, &number).await;
    assert_eq!(mails.len(), 2, "one message per billing address, none to the contact address");
    assert!(mails.iter().any(|mail| mail.contains("To: ap@ada.example")), "{mails:?}");
    assert!(
        mails.iter().all(|mail| mail.contains(&format!("Subject: Invoice {number} is due on"))),
        "{mails:?}"
    );
    assert!(mails[0].contains("100.00"), "the amount due: {}", mails[0]);
    let quiet = invoice(&app, &owner, &quiet_id).await;
    assert_eq!(quiet["reminders"][0]["to"], Value::Null, "recorded, not sent: no address");

    // Eight days late: the 7-day step (the due day's was missed and is not sent late), with
    // the 2 % late fee on an invoice of its own.
    let late = remind(&app, now + Duration::days(18)).await;
    assert_eq!((late.sent, late.late_fees), (2, 2));
    let overdue = invoice(&app, &owner, &id).await;
    let steps: Vec<i64> =
        overdue["reminders"].as_array().unwrap().iter().map(|r| r["step"].as_i64().unwrap()).collect();
    assert_eq!(steps, [-3, 7]);
    let fee_id = overdue["reminders"][1]["late_fee_invoice_id"].as_str().unwrap().to_owned();
    let fee = invoice(&app, &owner, &fee_id).await;
    assert_eq!((fee["status"].as_str(), fee["total"].as_i64()), (Some("open"), Some(200)));
    assert!(mails_about(&app, &number).await.iter().any(|mail| mail.contains("late fee of")));
    assert_eq!(app.audit(Some(app.org().await.id), "invoice.remind").await.len(), 4);

    // Paid: no more reminders for it. The fee invoice, due at once, is reminded in turn — but
    // charged no fee of its own.
    let paid = post_keyed(
        &app,
        &owner,
        "/api/v1/billing/payments",
        "pay-ada",
        json!({"customer_id": ada, "amount": 10_000, "method": "bank_transfer",
               "allocations": [{"invoice_id": id, "amount": 10_000}]}),
    )
    .await;
    assert_eq!(paid.status, 201, "{}", paid.text());
    let after = remind(&app, now + Duration::days(26)).await;
    assert_eq!(
        (after.sent, after.late_fees),
        (3, 0),
        "the quiet invoice's 14-day step and both fee invoices' 7-day one, without fees of their own"
    );
    assert_eq!(invoice(&app, &owner, &id).await["reminders"].as_array().unwrap().len(), 2);
    assert_eq!(invoice(&app, &owner, &fee_id).await["reminders"][0]["step"], 7);
}

#[tokio::test]
async fn overdue_invoices_are_flagged_and_listed() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Late").await;
    let lines = json!([{"description": "Audit", "quantity": 1, "unit_amount": 900}]);
    let made =
        draft(&app, &owner, json!({"customer_id": buyer, "lines": lines, "payment_terms_days": 0})).await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(act(&app, &owner, &id, "finalize").await.status, 200);
    let (current, _) = due_in_ten_days(&app, &owner, &buyer, 500).await;
    // Due today is not overdue yet; moved back a week it is.
    assert_eq!(invoice(&app, &owner, &id).await["overdue"], false);
    use baseops_billing::model::invoice as row;
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let week_ago = (Utc::now() - Duration::days(7)).date_naive();
    row::Entity::update(row::ActiveModel {
        id: Set(id.parse().unwrap()),
        due_on: Set(Some(week_ago)),
        ..Default::default()
    })
    .exec(app.state().db().write())
    .await
    .unwrap();
    assert_eq!(invoice(&app, &owner, &id).await["overdue"], true);
    let listed = |body: Value| -> Vec<String> {
        body["items"].as_array().unwrap().iter().map(|item| item["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(
        listed(owner.get(&app, "/api/v1/billing/invoices?overdue=true").await.json()),
        std::slice::from_ref(&id)
    );
    assert_eq!(listed(owner.get(&app, "/api/v1/billing/invoices?overdue=false").await.json()), [current]);
    let person = Client::logged_in(&app, &owner.email).await;
    let page = person.get(&app, "/admin/invoices?overdue=1").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("overdue"), "{}", page.text());
}

#[tokio::test]
async fn bad_schedules_are_refused_by_field_and_change_nothing() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    for (body, field) in [
        (json!({"steps": (0..11).collect::<Vec<i32>>()}), "steps"),
        (json!({"steps": [400]}), "steps[0]"),
        (json!({"steps": [-61]}), "steps[0]"),
        (json!({"steps": [3, 3]}), "steps"),
        (json!({"steps": [1], "late_fee": {"percent": "2", "amount": 5}}), "late_fee"),
        (json!({"steps": [1], "late_fee": {"percent": "0"}}), "late_fee.percent"),
        (json!({"steps": [1], "late_fee": {"percent": "100.5"}}), "late_fee.percent"),
        (json!({"steps": [1], "late_fee": {"amount": 0}}), "late_fee.amount"),
    ] {
        let refused = put_policy(&app, &owner, 0, body).await;
        refused.assert_problem(422, "validation_failed");
        assert!(refused.text().contains(field), "{field}: {}", refused.text());
    }
    let keyless =
        owner.send(&app, Method::PUT, "/api/v1/billing/dunning", Some(json!({"steps": [1]})), &[]).await;
    assert_eq!(keyless.status, 428, "{}", keyless.text());
    put_policy(&app, &owner, 3, json!({"steps": [1]})).await.assert_problem(412, "version_mismatch");
    // A malformed body is a 422 whatever the version: here and in the billing settings.
    put_policy(&app, &owner, 3, json!({"steps": [999]})).await.assert_problem(422, "validation_failed");
    owner
        .send(
            &app,
            Method::PATCH,
            "/api/v1/billing/settings",
            Some(json!({"invoice_prefix": "bad prefix"})),
            &[("if-match", "\"7\"")],
        )
        .await
        .assert_problem(422, "validation_failed");
    let sales = app.as_role("sales").await;
    put_policy(&app, &sales, 0, json!({"steps": [1]})).await.assert_problem(403, "forbidden");
    let policy = owner.get(&app, "/api/v1/billing/dunning").await;
    assert_eq!(policy.json(), json!({"steps": [], "late_fee": null, "version": 0}));
    assert_eq!(policy.header("etag"), Some("\"0\""));
}
