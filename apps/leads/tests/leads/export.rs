//! The CSV export defuses spreadsheet formulas: a cell starting with `=`, `+`, `-`, `@`, a tab
//! or a carriage return gets a leading `'`, so a spreadsheet shows it instead of running it;
//! other cells are exported as stored. The import takes every such `'` off again.

use baseops_leads::model::lead;
use baseops_test_support::TestApp;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::support::{all_leads, create_lead, upload_csv};

#[tokio::test]
async fn cells_that_a_spreadsheet_would_run_as_formulas_are_defused() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let hostile = create_lead(
        &app,
        owner,
        json!({
            "first_name": "=HYPERLINK(\"http://evil.example\",\"x\")", "last_name": "+SUM(1,2)",
            "company": "-2+3", "title": "@SUM(A1)", "phone": "+44 20 7946 0958",
            "utm_source": "a=b", "website": "plain.example",
        }),
    )
    .await;
    let id = hostile["id"].as_str().unwrap();
    // The API trims text, so a leading tab or carriage return only reaches a lead from
    // older data: written here the way such data would sit in the table.
    lead::Entity::update_many()
        .col_expr(lead::Column::Notes, Expr::value("\t=1+1"))
        .col_expr(lead::Column::Address, Expr::value("\r=1+1"))
        .filter(lead::Column::Id.eq(id.parse::<uuid::Uuid>().unwrap()))
        .exec(app.state().db().write())
        .await
        .unwrap();

    let export = owner.get(&app, "/api/v1/leads/export").await;
    assert_eq!(export.status, 200, "{}", export.text());
    let rows = export.csv_rows();
    assert_eq!(rows.len(), 1, "{}", export.text());
    let row = &rows[0];
    for (column, expected) in [
        ("first_name", "'=HYPERLINK(\"http://evil.example\",\"x\")"),
        ("last_name", "'+SUM(1,2)"),
        ("company", "'-2+3"),
        ("title", "'@SUM(A1)"),
        ("phone", "'+442079460958"),
        ("notes", "'\t=1+1"),
        ("address", "'\r=1+1"),
        // Not at the start, or nothing a spreadsheet runs: exported as stored.
        ("utm_source", "a=b"),
        ("website", "https://plain.example"),
        ("id", id),
    ] {
        assert_eq!(row[column], expected, "{column}");
    }

    // Read back by another organization's import: no `'` the export added survives. (The
    // import trims cells as the API does, so the tab and carriage return go too.)
    let globex = app.organization("Globex").await.owner;
    let uploaded = upload_csv(&app, &globex, export.text().as_bytes(), &[]).await;
    assert_eq!(uploaded.status, 202, "{}", uploaded.text());
    let import = format!("/api/v1/leads/imports/{}", uploaded.json()["id"].as_str().unwrap());
    app.run_jobs().await;
    let committed = globex.post(&app, &format!("{import}/commit"), json!({})).await;
    assert_eq!(committed.status, 202, "{}", committed.text());
    app.run_jobs().await;
    let done = globex.get(&app, &import).await;
    assert_eq!(
        (done.status.as_u16(), done.json()["status"].as_str()),
        (200, Some("completed")),
        "{}",
        done.text()
    );
    let copy = all_leads(&app, &globex, "").await.remove(0);
    for field in ["first_name", "last_name", "company", "title", "phone"] {
        assert_eq!(copy[field], hostile[field], "{field}");
    }
    assert_eq!((copy["notes"].as_str(), copy["address"].as_str()), (Some("=1+1"), Some("=1+1")), "{copy}");
}
