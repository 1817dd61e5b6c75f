//! `baseops leads import FILE --org SLUG` end to end on the database of a running build: the
//! report on stderr, the summary on stdout, the exit code, and the leads the API then shows —
//! a row repeating an e-mail address is skipped, a bad row is reported and skipped, the rest
//! are created once however often the file is imported.

use baseops_test_support::TestApp;
use serde_json::Value;

use crate::binary::{baseops_on, run};

/// A header, two good rows, one repeating the first's address in another case, one bad
/// address (row 5: the header is row 1).
const CONTACTS: &str = "First Name,Last Name,E-Mail,Company\n\
    Ada,Lovelace,ada@example.com,Analytical Engines\n\
    Grace,Hopper,grace@example.com,Navy\n\
    Augusta,King,ADA@Example.com,Duplicate Co\n\
    Bad,Row,not-an-email,\n";

/// Every lead of the organization, as its owner sees them, by e-mail address.
async fn leads(app: &TestApp) -> Vec<(String, Value)> {
    let owner = &app.org().await.owner;
    let mut leads: Vec<(String, Value)> = owner
        .all_pages(app, "/api/v1/leads?limit=200")
        .await
        .into_iter()
        .map(|lead| (lead["email"].as_str().unwrap_or_default().to_owned(), lead))
        .collect();
    leads.sort_by(|a, b| a.0.cmp(&b.0));
    leads
}

#[tokio::test]
async fn leads_import_reports_skips_duplicates_and_bad_rows_and_creates_the_rest_once() {
    let app = TestApp::new().await;
    let slug = app.org().await.slug.clone();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("contacts.csv");
    std::fs::write(&file, CONTACTS).unwrap();
    let import = |extra: &[&str]| {
        let mut command = baseops_on(dir.path(), app.database().url());
        command.args(["leads", "import"]).arg(&file).args(extra);
        run(&mut command)
    };

    // A dry run reports and writes nothing.
    let (code, stdout, stderr) = import(&["--org", &slug, "--dry-run"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("4 rows: 3 valid, 1 invalid; duplicates: 1 within the file"), "{stderr}");
    assert!(stderr.contains("dry run: nothing imported"), "{stderr}");
    assert!(leads(&app).await.is_empty(), "a dry run imported");

    let (code, stdout, stderr) = import(&["--org", &slug]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("E-Mail → email"), "the suggested mapping is shown: {stderr}");
    assert!(
        stderr.contains("4 rows: 3 valid, 1 invalid; duplicates: 1 within the file, 0 of existing leads"),
        "{stderr}"
    );
    assert!(stderr.contains("  row 5: email"), "the bad row is named: {stderr}");
    assert!(
        stdout.starts_with(&format!("imported into {slug}: 2 created, 0 updated, 2 skipped (import ")),
        "{stdout}"
    );
    let created = leads(&app).await;
    let emails: Vec<&str> = created.iter().map(|(email, _)| email.as_str()).collect();
    assert_eq!(emails, ["ada@example.com", "grace@example.com"]);
    let ada = &created[0].1;
    assert_eq!(
        (ada["first_name"].as_str(), ada["last_name"].as_str(), ada["company"].as_str()),
        (Some("Ada"), Some("Lovelace"), Some("Analytical Engines")),
        "the first row wins over its duplicate: {ada}"
    );
    assert_eq!(ada["source"], "import");

    // The same file again: every good row now matches a lead, so nothing more is created.
    let (code, stdout, stderr) = import(&["--org", &slug]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(": 0 created, 0 updated, 4 skipped"), "{stdout}");
    assert_eq!(leads(&app).await.len(), 2, "a second import duplicated leads");

    // An organization that does not exist, a file without one valid row: exit 1, nothing written.
    let (code, stdout, stderr) = import(&["--org", "globex"]);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert!(stderr.contains("no organization \"globex\""), "{stderr}");
    std::fs::write(&file, "E-Mail\nnot-an-email\n").unwrap();
    let (code, stdout, stderr) = import(&["--org", &slug]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("no valid row to import"), "{stderr}");
    assert_eq!(leads(&app).await.len(), 2);
}
