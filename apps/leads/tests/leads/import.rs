//! CSV import (a messy 10k-row file, its report, duplicates, the background commit) and the
//! export round trip.

use baseops_test_support::{Client, TestApp};
use serde_json::json;

use crate::support::{all_leads, create_lead, upload_csv};

/// A file as spreadsheets write them: BOM, `;`, German headers, quoted newlines, bad
/// e-mails every 500 rows, a repeated e-mail every 1000 rows.
fn messy_file(rows: usize) -> Vec<u8> {
    let mut text = String::from("\u{feff}Vorname;Nachname;E-Mail;Telefon;Firma;Notes;Tags;Value\r\n");
    for i in 0..rows {
        let email = if i % 500 == 7 {
            format!("broken-email-{i}")
        } else if i % 1000 == 999 {
            format!("USER{}@Example.com", i - 1)
        } else {
            format!("user{i}@example.com")
        };
        let phone = if i % 10 == 0 { format!("+49 30 {}", 1_000_000 + i) } else { String::new() };
        let notes =
            if i % 100 == 0 { "\"line one\nline two; with a semicolon\"".to_owned() } else { String::new() };
        let tags = if i % 3 == 0 { "imported, batch" } else { "" };
        text.push_str(
            &format!("First{i};Last{i};{email};{phone};Company {};{notes};{tags};\"1.234,5\"\r\n", i % 50)
                .replace("\"1.234,5\"", if i % 4 == 0 { "1234.50" } else { "" }),
        );
    }
    text.into_bytes()
}

async fn wait_for(
    app: &baseops_test_support::TestApp,
    member: &Client,
    id: &str,
    status: &str,
) -> serde_json::Value {
    app.run_jobs().await;
    let import = member.get(app, &format!("/api/v1/leads/imports/{id}")).await;
    assert_eq!(import.status, 200, "{}", import.text());
    let import = import.json();
    assert_eq!(import["status"], status, "{import}");
    import
}

#[tokio::test]
async fn a_messy_10k_row_file_is_validated_reported_deduplicated_and_imported() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let sales = app.member_with_email(owner.organization_id, "sales@acme.test", "sales").await;
    for i in [10, 11, 12] {
        create_lead(&app, &owner, json!({"first_name": "Existing", "email": format!("user{i}@example.com")}))
            .await;
    }
    let file = messy_file(10_000);
    upload_csv(&app, &sales, &file, &[]).await.assert_problem(403, "forbidden");

    let uploaded = upload_csv(&app, &owner, &file, &[]).await;
    assert_eq!(uploaded.status, 202, "{}", uploaded.text());
    let uploaded = uploaded.json();
    assert_eq!(uploaded["delimiter"], ";");
    assert_eq!(uploaded["columns"][0], "Vorname", "the BOM is not part of the first header");
    assert_eq!(uploaded["mapping"]["E-Mail"], "email");
    assert_eq!(uploaded["mapping"]["Vorname"], "first_name");
    assert_eq!(uploaded["mapping"]["Telefon"], "phone");
    let id = uploaded["id"].as_str().unwrap().to_owned();
    owner
        .post(&app, &format!("/api/v1/leads/imports/{id}/commit"), json!({}))
        .await
        .assert_problem(409, "import_not_ready");

    let validated = wait_for(&app, &owner, &id, "validated").await;
    let report = &validated["report"];
    assert_eq!(report["rows_total"], 10_000);
    assert_eq!(report["rows_invalid"], 20);
    assert_eq!(report["rows_valid"], 9_980);
    assert_eq!(report["duplicates_in_file"], 10);
    assert_eq!(report["duplicates_existing"], 3);
    assert_eq!(report["problems_total"], 20);
    let first = &report["problems"][0];
    assert_eq!(
        (first["row"].as_u64(), first["field"].as_str()),
        (Some(9), Some("email")),
        "row 1 is the header"
    );
    assert_eq!(validated["rows_total"], 10_000);
    assert_eq!(all_leads(&app, &owner, "").await.len(), 3, "nothing is written before the commit");

    let started = owner.post(&app, &format!("/api/v1/leads/imports/{id}/commit"), json!({})).await;
    assert_eq!(started.status, 202, "{}", started.text());
    let done = wait_for(&app, &owner, &id, "completed").await;
    assert_eq!(done["report"]["created"], 9_967);
    assert_eq!(done["report"]["skipped"], 33);
    assert_eq!(done["report"]["updated"], 0);
    assert_eq!(done["rows_done"], 10_000);
    let all = all_leads(&app, &owner, "").await;
    assert_eq!(all.len(), 9_970);
    let with_notes = all_leads(&app, &owner, "&q=first100%20last100").await;
    assert_eq!(with_notes[0]["notes"], "line one\nline two; with a semicolon");
    assert_eq!(with_notes[0]["source"], "import");
    let valued = all_leads(&app, &owner, "&q=first4%20last4").await;
    let lead4 = valued.iter().find(|lead| lead["first_name"] == "First4").unwrap();
    assert_eq!((lead4["value_amount"].as_i64(), lead4["currency"].as_str()), (Some(123_450), Some("EUR")));
    assert_eq!(all_leads(&app, &owner, "&tag=batch").await.len(), 3_322);
    let batches = app.audit(Some(owner.organization_id), "lead.import_batch").await;
    assert_eq!(batches.len(), 20, "one audit event per batch of 500");
    assert_eq!(app.audit(Some(owner.organization_id), "lead_import.complete").await.len(), 1);
}

#[tokio::test]
async fn duplicates_can_update_existing_leads_and_mappings_can_change() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let existing = create_lead(
        &app,
        &owner,
        json!({"first_name": "Old", "email": "known@example.com", "tags": ["kept"]}),
    )
    .await;
    let file = b"Name,Mail,Org,Label\nNew Name,known@example.com,New Co,fresh\nSecond,second@example.com,,\nThird,second@example.com,Third Co,\n";
    let uploaded = upload_csv(&app, &owner, file, &[("on_duplicate", "update")]).await;
    assert_eq!(uploaded.status, 202, "{}", uploaded.text());
    let uploaded = uploaded.json();
    let id = uploaded["id"].as_str().unwrap().to_owned();
    assert_eq!(uploaded["mapping"]["Mail"], "email");
    assert_eq!(uploaded["mapping"]["Label"], "tags");
    assert_eq!(uploaded["mapping"]["Org"], "company");
    wait_for(&app, &owner, &id, "validated").await;
    let path = format!("/api/v1/leads/imports/{id}/validate");
    owner
        .post(&app, &path, json!({"mapping": {"Nope": "email"}}))
        .await
        .assert_problem(422, "validation_failed");
    let remapped = owner
        .post(
            &app,
            &path,
            json!({"mapping": {"Name": "full_name", "Mail": "email", "Org": "company", "Label": "tags"}}),
        )
        .await;
    assert_eq!(remapped.status, 202, "{}", remapped.text());
    let validated = wait_for(&app, &owner, &id, "validated").await;
    assert_eq!(validated["report"]["duplicates_existing"], 1);
    assert_eq!(validated["report"]["duplicates_in_file"], 1);
    let commit = owner.post(&app, &format!("/api/v1/leads/imports/{id}/commit"), json!({})).await;
    assert_eq!(commit.status, 202, "{}", commit.text());
    let done = wait_for(&app, &owner, &id, "completed").await;
    assert_eq!((done["report"]["created"].as_u64(), done["report"]["updated"].as_u64()), (Some(1), Some(2)));
    let lead = owner.get(&app, &format!("/api/v1/leads/{}", existing["id"].as_str().unwrap())).await.json();
    assert_eq!((lead["first_name"].as_str(), lead["last_name"].as_str()), (Some("New"), Some("Name")));
    assert_eq!(lead["company"], "New Co");
    assert_eq!(lead["tags"], json!(["kept", "fresh"]));
    let second = all_leads(&app, &owner, "&q=second@example.com").await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0]["company"], "Third Co", "a later row of the file fills the earlier one's lead");
    owner.post(&app, &path, json!({})).await.assert_problem(409, "import_finished");
}

#[tokio::test]
async fn broken_uploads_are_refused_clearly() {
    let app = leads_app_small().await;
    let owner = app.organization("Acme").await.owner;
    upload_csv(&app, &owner, b"", &[]).await.assert_problem(422, "validation_failed");
    upload_csv(&app, &owner, b"whatever,columns\n1,2\n", &[]).await.assert_problem(422, "validation_failed");
    upload_csv(&app, &owner, &vec![b'a'; 5_000], &[]).await.assert_problem(413, "payload_too_large");
    upload_csv(&app, &owner, b"email\na@b.co\n", &[("on_duplicate", "explode")])
        .await
        .assert_problem(422, "validation_failed");
    upload_csv(&app, &owner, b"email\na@b.co\n", &[("mapping", "{not json")])
        .await
        .assert_problem(422, "validation_failed");
    let not_multipart = owner.post(&app, "/api/v1/leads/imports", json!({"file": "x"})).await;
    not_multipart.assert_problem(415, "unsupported_media_type");
    let too_many = upload_csv(&app, &owner, b"email\na@b.co\nb@b.co\nc@b.co\n", &[]).await.json();
    let import = wait_for(&app, &owner, too_many["id"].as_str().unwrap(), "failed").await;
    assert!(import["error"].as_str().unwrap().contains("more than 2 rows"));
}

async fn leads_app_small() -> baseops_test_support::TestApp {
    TestApp::with_settings(&[
        ("BASEOPS_LEADS__IMPORT_MAX_BYTES", "4096"),
        ("BASEOPS_LEADS__IMPORT_MAX_ROWS", "2"),
    ])
    .await
}

#[tokio::test]
async fn an_export_reads_back_through_the_import() {
    let app = TestApp::new().await;
    let acme = app.organization("Acme").await.owner;
    let sales = app.member_with_email(acme.organization_id, "sales@acme.test", "sales").await;
    create_lead(&app, &acme,
        json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958",
               "company": "Engines, Ltd.", "title": "=cmd|' /C calc'!A0", "value_amount": 1_234_567, "currency": "JPY",
               "tags": ["vip", "uk"], "score": 42, "utm_source": "newsletter", "utm_campaign": "spring",
               "notes": "Met at \"the\" fair,\nfollow up", "address": "1 Main St\nLondon"}),
    )
    .await;
    for i in 0..450 {
        create_lead(&app, &acme, json!({"first_name": format!("Bulk{i}"), "email": format!("bulk{i}@example.com"), "value_amount": i})).await;
    }
    create_lead(&app, &sales, json!({"first_name": "SalesOwn"})).await;

    let export = acme.get(&app, "/api/v1/leads/export").await;
    assert_eq!(export.status, 200);
    assert_eq!(export.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = export.text();
    assert!(text.starts_with("id,first_name,last_name,email,phone"));
    assert_eq!(text.matches("@example.com").count(), 451, "every page streamed");
    assert!(text.contains("'=cmd"), "formulas are defused");
    // Browsers ask for gzip: the stream must survive the compression layer, whole.
    let zipped = acme
        .send(&app, http::Method::GET, "/api/v1/leads/export", None, &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(zipped.status, 200);
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    let mut unzipped = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(zipped.body.as_slice()), &mut unzipped)
        .unwrap();
    assert_eq!(unzipped, text, "the same file with and without gzip");
    let own = sales.get(&app, "/api/v1/leads/export").await;
    assert_eq!(own.status, 200, "{}", own.text());
    assert_eq!(own.text().lines().count(), 2, "own scope exports own leads only");
    let filtered = acme.get(&app, "/api/v1/leads/export?q=ada").await;
    assert_eq!(filtered.status, 200, "{}", filtered.text());
    let filtered = filtered.text();
    assert_eq!(filtered.matches("@example.com").count(), 1);

    let globex = app.organization("Globex").await.owner;
    let uploaded = upload_csv(&app, &globex, filtered.as_bytes(), &[]).await;
    assert_eq!(uploaded.status, 202, "{}", uploaded.text());
    let id = uploaded.json()["id"].as_str().unwrap().to_owned();
    let validated = wait_for(&app, &globex, &id, "validated").await;
    assert_eq!(validated["report"]["rows_valid"], 1, "{validated}");
    let commit = globex.post(&app, &format!("/api/v1/leads/imports/{id}/commit"), json!({})).await;
    assert_eq!(commit.status, 202, "{}", commit.text());
    wait_for(&app, &globex, &id, "completed").await;
    let original = all_leads(&app, &acme, "&q=ada").await.remove(0);
    let copy = all_leads(&app, &globex, "").await.remove(0);
    for field in [
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "title",
        "value_amount",
        "currency",
        "tags",
        "score",
        "utm_source",
        "utm_campaign",
        "notes",
        "address",
        "source",
    ] {
        assert_eq!(copy[field], original[field], "{field}");
    }
}
