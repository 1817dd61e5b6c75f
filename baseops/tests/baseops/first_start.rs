//! The first `serve` of an empty development database: an administrator whose password is
//! shown once and kept in a file only its owner can read.

use std::os::unix::fs::PermissionsExt;

use crate::crash::Server;

#[tokio::test]
async fn the_first_start_prints_the_admin_password_and_keeps_it_in_an_owner_only_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let url = format!("sqlite://{}/data/baseops.db?mode=rwc", dir.path().display());
    let server = Server::start(dir.path(), &url).await;
    let printed = server.first_lines.join("\n");
    let password = server
        .first_lines
        .iter()
        .find_map(|line| line.trim().strip_prefix("password: "))
        .unwrap_or_else(|| panic!("no password printed: {printed}"))
        .to_owned();
    let file = dir.path().join("data/first-admin.txt");
    assert!(printed.contains(&file.display().to_string()), "the file's path is printed: {printed}");
    let metadata = std::fs::metadata(&file).expect("the credentials file exists");
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600, "readable by its owner only");
    let contents = std::fs::read_to_string(&file).unwrap();
    assert_eq!(contents, format!("e-mail: admin@example.com\npassword: {password}\n"));
    assert_eq!(server.terminate().await, Some(0));

    // A second start creates no administrator and leaves the file alone.
    let server = Server::start(dir.path(), &url).await;
    assert!(!server.first_lines.join("\n").contains("password:"), "{:?}", server.first_lines);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), contents);
    assert_eq!(server.terminate().await, Some(0));
}
