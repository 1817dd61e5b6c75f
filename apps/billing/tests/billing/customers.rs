//! A customer's billing profile shapes their invoices: their currency and payment terms are
//! the defaults, and an exempt or reverse-charge customer is charged no tax.

use baseops_test_support::TestApp;
use serde_json::json;

use crate::support::{draft, tax_rate};

#[tokio::test]
async fn the_customers_currency_terms_and_tax_treatment_shape_their_invoices() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let vat = tax_rate(&app, &owner, "VAT 19", "19", false).await;
    let add = |body| {
        let (app, owner) = (&app, &owner);
        async move {
            let made = owner.post(app, "/api/v1/customers", body).await;
            assert_eq!(made.status, 201, "{}", made.text());
            made.json()["id"].as_str().unwrap().to_owned()
        }
    };
    let lines =
        json!([{"description": "Audit", "quantity": 1, "unit_amount": 10_000, "tax_rate_ids": [vat]}]);

    let taxed = add(json!({"name": "US Buyer", "currency": "USD", "payment_terms_days": 14})).await;
    let invoice = draft(&app, &owner, json!({"customer_id": taxed, "lines": lines})).await;
    assert_eq!(
        (invoice["currency"].as_str(), invoice["payment_terms_days"].as_i64()),
        (Some("USD"), Some(14))
    );
    assert_eq!((invoice["tax_total"].as_i64(), invoice["total"].as_i64()), (Some(1_900), Some(11_900)));
    let given = draft(
        &app,
        &owner,
        json!({"customer_id": taxed, "currency": "EUR", "payment_terms_days": 30, "lines": lines}),
    )
    .await;
    assert_eq!(
        (given["currency"].as_str(), given["payment_terms_days"].as_i64()),
        (Some("EUR"), Some(30)),
        "what is sent wins"
    );

    for treatment in ["exempt", "reverse"] {
        let customer = add(json!({"name": format!("{treatment} buyer"), "tax_exempt": treatment})).await;
        let invoice = draft(&app, &owner, json!({"customer_id": customer, "lines": lines})).await;
        assert_eq!(
            (invoice["tax_total"].as_i64(), invoice["total"].as_i64()),
            (Some(0), Some(10_000)),
            "{treatment}"
        );
        assert_eq!(invoice["lines"][0]["tax_rate_ids"], json!([]), "{treatment}");
    }
}
