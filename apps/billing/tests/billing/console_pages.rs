//! The rest of the billing console: payments, credit notes, subscriptions with their moves,
//! the catalog's forms, the reports and the billing card of the home page — each showing
//! records made through the API, closed to people without `billing.view`, 404 for another
//! organization's records, and every form refused (nothing changed) when stale or wrong.

use baseops_test_support::{Client, TestApp};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::support::{customer, finalized, post_keyed, simple_draft};

/// A product "Pro plan" with a monthly EUR price of `amount`: the product's and price's ids.
async fn monthly_price(app: &TestApp, member: &Client, amount: i64) -> (String, String) {
    let product = member.post(app, "/api/v1/billing/products", json!({"name": "Pro plan"})).await;
    assert_eq!(product.status, 201, "{}", product.text());
    let id = product.json()["id"].as_str().unwrap().to_owned();
    let price = json!({"unit_amount": amount, "recurring": {"interval": "month"}});
    let made = member.post(app, &format!("/api/v1/billing/products/{id}/prices"), price).await;
    assert_eq!(made.status, 201, "{}", made.text());
    (id, made.json()["id"].as_str().unwrap().to_owned())
}

/// A link to `path` as the console's templates write one from a value (slashes escaped).
fn href(path: &str) -> String {
    format!("href=\"{}\"", path.replace('/', "&#x2f;"))
}

/// The API's view of a record.
async fn api(app: &TestApp, member: &Client, path: &str) -> Value {
    let found = member.get(app, &format!("/api/v1/billing/{path}")).await;
    assert_eq!(found.status, 200, "{}", found.text());
    found.json()
}

/// Moves `id`'s invoice's due date a week back: overdue.
async fn overdue(app: &TestApp, id: &str) {
    use baseops_billing::model::invoice as row;
    use sea_orm::{ActiveValue::Set, EntityTrait};
    row::Entity::update(row::ActiveModel {
        id: Set(id.parse().unwrap()),
        due_on: Set(Some((Utc::now() - Duration::days(7)).date_naive())),
        ..Default::default()
    })
    .exec(app.state().db().write())
    .await
    .unwrap();
}

#[tokio::test]
async fn payments_and_credit_notes_are_listed_with_their_customers_and_invoices() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let nia = customer(&app, &owner, "Nia").await;
    let oz = customer(&app, &owner, "Oz").await;
    let invoice = finalized(&app, &owner, &nia, 10_000).await;
    let number =
        api(&app, &owner, &format!("invoices/{invoice}")).await["number"].as_str().unwrap().to_owned();
    let body = json!({"customer_id": nia, "amount": 3_000, "method": "bank_transfer", "reference": "SEPA 77",
        "allocations": [{"invoice_id": invoice, "amount": 3_000}]});
    let paid = post_keyed(&app, &owner, "/api/v1/billing/payments", "pay-1", body).await;
    assert_eq!(paid.status, 201, "{}", paid.text());
    let payment = paid.json()["id"].as_str().unwrap().to_owned();
    let other = json!({"customer_id": oz, "amount": 4_200, "method": "cash"});
    assert_eq!(post_keyed(&app, &owner, "/api/v1/billing/payments", "pay-2", other).await.status, 201);
    let note_path = format!("/api/v1/billing/invoices/{invoice}/credit-notes");
    let noted =
        post_keyed(&app, &owner, &note_path, "cn-1", json!({"amount": 1_000, "reason": "other"})).await;
    assert_eq!(noted.status, 201, "{}", noted.text());
    let note_number = noted.json()["number"].as_str().unwrap().to_owned();

    let accountant = app.signed_in_as_role("accountant").await;
    let list = accountant.get(&app, "/admin/payments").await;
    assert_eq!(list.status, 200, "{}", list.text());
    let text = list.text();
    for shown in ["Nia Ltd", "30.00 EUR", "SEPA 77", "bank transfer", "Oz Ltd", "42.00 EUR"] {
        assert!(text.contains(shown), "the list shows {shown}: {text}");
    }
    assert!(text.contains(&format!("href=\"/admin/payments/{payment}\"")));
    let only_nia = accountant.get(&app, &format!("/admin/payments?customer_id={nia}")).await.text();
    assert!(only_nia.contains("SEPA 77") && !only_nia.contains("42.00 EUR"), "filtered to Nia: {only_nia}");
    assert_eq!(accountant.get(&app, "/admin/payments?customer_id=nobody").await.status, 422);

    let page = accountant.get(&app, &format!("/admin/payments/{payment}")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    assert!(text.contains(&format!("<a href=\"/admin/invoices/{invoice}\">{number}</a>")), "{text}");
    assert!(text.contains("SEPA 77") && text.contains("Nia Ltd"));

    let notes = accountant.get(&app, "/admin/credit-notes").await;
    assert_eq!(notes.status, 200, "{}", notes.text());
    let text = notes.text();
    assert!(text.contains(&note_number) && text.contains("10.00 EUR"), "{text}");
    assert!(text.contains(&format!("<a href=\"/admin/invoices/{invoice}\">{number}</a>")), "{text}");
    assert!(
        accountant.get(&app, "/admin/invoices").await.text().contains("href=\"/admin/credit-notes\""),
        "the invoice list links the credit notes"
    );

    let stranger = app.organization("Far").await.owner;
    let stranger = Client::logged_in(&app, &stranger.email).await;
    assert_eq!(stranger.get(&app, &format!("/admin/payments/{payment}")).await.status, 404);
    let theirs = stranger.get(&app, "/admin/payments").await;
    assert_eq!(theirs.status, 200);
    assert!(!theirs.text().contains("SEPA 77"), "another organization's payments stay out");
}

#[tokio::test]
async fn every_billing_page_is_closed_without_billing_view_and_left_out_of_the_navigation() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Ike").await;
    simple_draft(&app, &owner, &buyer, 100).await;
    let marketer = app.signed_in_as_role("marketer").await;
    for path in [
        "/admin/payments",
        "/admin/credit-notes",
        "/admin/subscriptions",
        "/admin/catalog",
        "/admin/billing-reports",
    ] {
        assert_eq!(marketer.get(&app, path).await.status, 403, "{path}");
    }
    let home = marketer.get(&app, "/admin/work").await.text();
    assert!(!home.contains("open invoices"), "no billing card without billing.view: {home}");
    let page = marketer.get(&app, "/admin/tasks").await.text();
    assert!(page.contains(&href("/admin/tasks")), "the navigation is there: {page}");
    assert!(!page.contains(&href("/admin/subscriptions")), "no billing entry in the navigation");
    let csrf = baseops_test_support::csrf_token_in(&page);
    let made = marketer.post_form(&app, "/admin/catalog", &[("csrf_token", &csrf), ("name", "Sneaky")]).await;
    assert_eq!(made.status, 403);
    assert_eq!(api(&app, &owner, "products").await["items"].as_array().unwrap().len(), 0);

    let accountant = app.signed_in_as_role("accountant").await;
    let page = accountant.get(&app, "/admin/invoices").await.text();
    for entry in ["/admin/invoices", "/admin/subscriptions", "/admin/catalog", "/admin/payments"] {
        assert!(page.contains(&href(entry)), "the navigation has {entry}");
    }
}

#[tokio::test]
async fn a_subscription_is_shown_and_paused_resumed_and_canceled_from_its_page() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Rae").await;
    let (_, price) = monthly_price(&app, &owner, 1_000).await;
    let made = owner
        .post(
            &app,
            "/api/v1/billing/subscriptions",
            json!({"customer_id": buyer, "price_id": price, "quantity": 3}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let id = made.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/admin/subscriptions/{id}");
    let person = Client::logged_in(&app, &owner.email).await;

    let list = person.get(&app, "/admin/subscriptions?status=active").await;
    assert_eq!(list.status, 200, "{}", list.text());
    assert!(list.text().contains("Rae Ltd") && list.text().contains(&path));
    assert!(!person.get(&app, "/admin/subscriptions?status=paused").await.text().contains("Rae Ltd"));
    assert_eq!(person.get(&app, "/admin/subscriptions?status=sleeping").await.status, 422);

    let page = person.get(&app, &path).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    for shown in ["Rae Ltd", "Pro plan", "10.00 EUR per month", "Next renewal", "Invoice of period 1"] {
        assert!(text.contains(shown), "the page shows {shown}: {text}");
    }
    let end = made.json()["current_period_end"].as_str().unwrap()[..10].to_owned();
    assert!(
        text.contains(&format!("<dt>Next renewal</dt><dd>{end}</dd>")),
        "the renewal is the period's end: {text}"
    );
    assert!(!text.contains("id=\"resume\""), "an active subscription offers no resume");
    let pause = page.form("pause");
    let paused = person.post_form(&app, &format!("{path}/pause"), &pause.pairs()).await;
    assert_eq!(paused.status, 303, "{}", paused.text());
    let shown = person.get(&app, paused.header("location").unwrap()).await;
    assert!(shown.text().contains("The subscription is paused"), "{}", shown.text());
    assert_eq!(api(&app, &owner, &format!("subscriptions/{id}")).await["status"], "paused");

    // The first page's form again: its version is gone, so nothing changes.
    let stale = person.post_form(&app, &format!("{path}/cancel"), &page.form("cancel").pairs()).await;
    assert_eq!(stale.status, 412, "{}", stale.text());
    assert!(stale.text().contains("Someone changed this subscription"), "{}", stale.text());
    assert_eq!(api(&app, &owner, &format!("subscriptions/{id}")).await["status"], "paused");

    let resumed = person.post_form(&app, &format!("{path}/resume"), &shown.form("resume").pairs()).await;
    assert_eq!(resumed.status, 303, "{}", resumed.text());
    let shown = person.get(&app, resumed.header("location").unwrap()).await;
    let ending = person
        .post_form(&app, &format!("{path}/cancel-at-period-end"), &shown.form("cancel-at-period-end").pairs())
        .await;
    assert_eq!(ending.status, 303, "{}", ending.text());
    let sub = api(&app, &owner, &format!("subscriptions/{id}")).await;
    assert_eq!((sub["status"].as_str(), sub["cancel_at_period_end"].as_bool()), (Some("active"), Some(true)));
    let shown = person.get(&app, ending.header("location").unwrap()).await;
    assert!(shown.text().contains("id=\"keep\"") && !shown.text().contains("id=\"cancel-at-period-end\""));
    let canceled = person.post_form(&app, &format!("{path}/cancel"), &shown.form("cancel").pairs()).await;
    assert_eq!(canceled.status, 303, "{}", canceled.text());
    assert_eq!(api(&app, &owner, &format!("subscriptions/{id}")).await["status"], "canceled");
    let text = person.get(&app, canceled.header("location").unwrap()).await.text();
    assert!(text.contains("The subscription is canceled"), "{text}");
    assert!(
        !text.contains("id=\"cancel\"") && !text.contains("id=\"pause\""),
        "a canceled subscription has no moves"
    );

    let sales = app.signed_in_as_role("sales").await;
    let seen = sales.get(&app, &path).await;
    assert_eq!(seen.status, 200);
    let csrf = baseops_test_support::csrf_token_in(&seen.text());
    let refused =
        sales.post_form(&app, &format!("{path}/resume"), &[("csrf_token", &csrf), ("version", "1")]).await;
    assert_eq!(refused.status, 403, "sales may look, not change");
    let stranger = app.organization("Far").await.owner;
    let stranger = Client::logged_in(&app, &stranger.email).await;
    assert_eq!(stranger.get(&app, &path).await.status, 404);
    let csrf = baseops_test_support::csrf_token_in(&stranger.get(&app, "/admin/subscriptions").await.text());
    let theirs =
        stranger.post_form(&app, &format!("{path}/pause"), &[("csrf_token", &csrf), ("version", "1")]).await;
    assert_eq!(theirs.status, 404);
}

#[tokio::test]
async fn products_and_prices_are_made_and_archived_from_the_catalog_and_bad_forms_make_nothing() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let person = Client::logged_in(&app, &owner.email).await;
    let catalog = person.get(&app, "/admin/catalog").await;
    assert_eq!(catalog.status, 200, "{}", catalog.text());

    let blank = person
        .post_form(&app, "/admin/catalog", &catalog.form("product").with(&[("name", "  ")]).pairs())
        .await;
    assert_eq!(blank.status, 422, "{}", blank.text());
    assert!(
        blank.text().contains("id=\"product-name-error\""),
        "the name's problem is shown: {}",
        blank.text()
    );
    assert_eq!(api(&app, &owner, "products").await["items"].as_array().unwrap().len(), 0, "nothing made");

    let form = catalog.form("product").with(&[("name", "Starter"), ("description", "For small teams")]);
    let made = person.post_form(&app, "/admin/catalog", &form.pairs()).await;
    assert_eq!(made.status, 303, "{}", made.text());
    let products = api(&app, &owner, "products").await;
    assert_eq!(products["items"][0]["name"], "Starter");
    let product = products["items"][0]["id"].as_str().unwrap().to_owned();
    let page = person.get(&app, made.header("location").unwrap()).await;
    assert!(page.text().contains("The product is made") && page.text().contains("For small teams"));

    let prices = |body: Value| body["prices"].as_array().unwrap().len();
    let price_form = page.form(&format!("price-{product}"));
    let action = format!("/admin/catalog/{product}/prices");
    for (bad, field) in [
        (&[("unit_amount", "twelve")][..], "unit_amount"),
        (&[("unit_amount", "5"), ("currency", "EURO")][..], "currency"),
        (&[("unit_amount", "5"), ("interval", "year"), ("interval_count", "9")][..], "interval_count"),
    ] {
        let refused = person.post_form(&app, &action, &price_form.clone().with(bad).pairs()).await;
        assert_eq!(refused.status, 422, "{bad:?}: {}", refused.text());
        assert!(
            refused.text().contains(&format!("id=\"price-{product}-{field}-error\"")),
            "{bad:?}: {}",
            refused.text()
        );
    }
    assert_eq!(prices(api(&app, &owner, &format!("products/{product}")).await), 0, "no price made");

    let form = price_form.with(&[("unit_amount", "12.50"), ("interval", "month")]);
    let added = person.post_form(&app, &action, &form.pairs()).await;
    assert_eq!(added.status, 303, "{}", added.text());
    let detail = api(&app, &owner, &format!("products/{product}")).await;
    assert_eq!(
        (detail["prices"][0]["unit_amount"].as_i64(), detail["prices"][0]["interval"].as_str()),
        (Some(1_250), Some("month"))
    );
    let price = detail["prices"][0]["id"].as_str().unwrap().to_owned();
    let page = person.get(&app, "/admin/catalog").await;
    assert!(page.text().contains("12.50 EUR per month"), "{}", page.text());

    let archived = person
        .post_form(
            &app,
            &format!("/admin/catalog/prices/{price}/archive"),
            &page.form(&format!("archive-price-{price}")).pairs(),
        )
        .await;
    assert_eq!(archived.status, 303, "{}", archived.text());
    assert_eq!(api(&app, &owner, &format!("products/{product}")).await["prices"][0]["active"], false);

    // Renamed through the API after the page was shown: the page's archive form is stale.
    let version = api(&app, &owner, &format!("products/{product}")).await["version"].as_i64();
    let renamed = owner
        .patch(&app, &format!("/api/v1/billing/products/{product}"), json!({"name": "Starter+"}), version)
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let stale = page.form(&format!("archive-{product}"));
    let refused = person.post_form(&app, &format!("/admin/catalog/{product}/archive"), &stale.pairs()).await;
    assert_eq!(refused.status, 412, "{}", refused.text());
    assert!(refused.text().contains("Someone changed this product"), "{}", refused.text());
    assert_eq!(api(&app, &owner, &format!("products/{product}")).await["active"], true);
    let page = person.get(&app, "/admin/catalog").await;
    let gone = person
        .post_form(
            &app,
            &format!("/admin/catalog/{product}/archive"),
            &page.form(&format!("archive-{product}")).pairs(),
        )
        .await;
    assert_eq!(gone.status, 303, "{}", gone.text());
    assert_eq!(api(&app, &owner, &format!("products/{product}")).await["active"], false);
    let archived_list = person.get(&app, "/admin/catalog?active=0").await.text();
    assert!(archived_list.contains("Starter") && !archived_list.contains(&format!("id=\"price-{product}\"")));
    assert!(!person.get(&app, "/admin/catalog?active=1").await.text().contains("Starter"));

    let sales = app.signed_in_as_role("sales").await;
    let seen = sales.get(&app, "/admin/catalog").await;
    assert_eq!(seen.status, 200);
    assert!(
        seen.text().contains("Starter") && !seen.text().contains("id=\"product\""),
        "sales may look only"
    );
}

#[tokio::test]
async fn the_reports_show_aging_and_revenue_with_their_csv_and_the_home_card_counts_invoices() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Lou").await;
    let late = finalized(&app, &owner, &buyer, 7_700).await;
    finalized(&app, &owner, &buyer, 2_300).await;
    overdue(&app, &late).await;
    let accountant = app.signed_in_as_role("accountant").await;

    let reports = accountant.get(&app, "/admin/billing-reports").await;
    assert_eq!(reports.status, 200, "{}", reports.text());
    let text = reports.text();
    assert!(text.contains("Lou Ltd") && text.contains("77.00 EUR") && text.contains("100.00 EUR"), "{text}");
    let month = Utc::now().format("%Y-%m").to_string();
    assert!(text.contains(&format!("<td>{month}</td>")), "this month's revenue: {text}");
    let csv_at = text.find("/api/v1/billing/reports/aging?").unwrap();
    let link = text[csv_at..text[csv_at..].find('"').unwrap() + csv_at].replace("&amp;", "&");
    let csv = accountant.get(&app, &link).await;
    assert_eq!(csv.status, 200, "the CSV link works with the console's session: {}", csv.text());
    assert!(csv.text().starts_with("customer_id,currency,current"), "{}", csv.text());
    assert!(text.contains("/api/v1/billing/reports/revenue?"));

    let bad = accountant.get(&app, "/admin/billing-reports?as_of=someday").await;
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert!(bad.text().contains("role=\"alert\"") && bad.text().contains("2026-12-31"), "{}", bad.text());
    let backwards = accountant.get(&app, "/admin/billing-reports?from=2026-06-01&to=2026-01-01").await;
    assert_eq!(backwards.status, 422, "{}", backwards.text());

    let work = accountant.get(&app, "/admin/work").await;
    assert_eq!(work.status, 200);
    let text = work.text();
    assert!(text.contains("<strong>2</strong> open invoices"), "{text}");
    let warned = format!("{} class=\"warn\"><strong>1</strong> overdue", href("/admin/invoices?overdue=1"));
    assert!(text.contains(&warned), "{text}");
    assert!(
        text.contains(&href(&format!("/admin/invoices/{late}"))),
        "the overdue invoice is listed: {text}"
    );
    let filtered = accountant.get(&app, "/admin/invoices?overdue=1").await.text();
    assert!(filtered.contains("77.00 EUR") && !filtered.contains("23.00 EUR"));
}

#[tokio::test]
async fn every_list_renders_empty_for_an_organization_with_no_billing_yet() {
    let app = TestApp::new().await;
    let accountant = app.signed_in_as_role("accountant").await;
    for path in [
        "/admin/payments",
        "/admin/credit-notes",
        "/admin/subscriptions",
        "/admin/catalog",
        "/admin/billing-reports",
    ] {
        let page = accountant.get(&app, path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text());
    }
    let home = accountant.get(&app, "/admin/work").await.text();
    assert!(home.contains("No invoice is overdue."), "{home}");
}
