//! The local-disk store through its public interface: round trip, limits, keys.

use baseops_config::{StorageBackend, StorageSettings};
use baseops_storage::{Storage, StorageError};
use bytes::Bytes;

fn settings(dir: &std::path::Path) -> StorageSettings {
    StorageSettings {
        backend: StorageBackend::Local,
        local_dir: dir.join("media").display().to_string(),
        max_file_bytes: 64,
        allowed_types: vec!["text/plain".into(), "image/*".into(), "application/pdf".into()],
    }
}

#[tokio::test]
async fn files_round_trip_on_the_local_disk_and_are_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::from_settings(&settings(dir.path())).unwrap();
    let stored =
        storage.put("tasks/org/1/a.txt", "text/plain; charset=utf-8", Bytes::from("hello")).await.unwrap();
    assert_eq!((stored.size, stored.content_type.as_str()), (5, "text/plain"));
    assert!(dir.path().join("media/tasks/org/1/a.txt").is_file(), "it is on the disk under local_dir");
    assert_eq!(storage.get("tasks/org/1/a.txt").await.unwrap(), Bytes::from("hello"));
    storage.delete("tasks/org/1/a.txt").await.unwrap();
    assert!(matches!(storage.get("tasks/org/1/a.txt").await, Err(StorageError::NotFound(_))));
    storage.delete("tasks/org/1/a.txt").await.expect("deleting twice is fine");
}

#[tokio::test]
async fn size_type_and_content_limits_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::from_settings(&settings(dir.path())).unwrap();
    let big = Bytes::from(vec![b'a'; 65]);
    assert!(matches!(storage.put("k", "text/plain", big).await, Err(StorageError::TooLarge { limit: 64 })));
    assert!(
        storage.put("k", "text/plain", Bytes::from(vec![b'a'; 64])).await.is_ok(),
        "the limit itself is fine"
    );
    for (media_type, body) in [
        ("text/html", &b"<p>hi</p>"[..]),
        ("application/x-msdownload", b"MZ"),
        ("image/png", b"<svg onload=alert(1)>"),
        ("application/pdf", b"not a pdf"),
    ] {
        let refused = storage.put("k", media_type, Bytes::from_static(body)).await;
        assert!(matches!(refused, Err(StorageError::UnsupportedType(_))), "{media_type}");
    }
    let gif = storage.put("k.gif", "image/gif", Bytes::from_static(b"GIF89a....")).await.unwrap();
    assert_eq!(gif.content_type, "image/gif", "image/* admits the family");
}

#[tokio::test]
async fn keys_cannot_escape_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::from_settings(&settings(dir.path())).unwrap();
    for key in ["", "../etc/passwd", "a/../../b", "/abs", "a//b", "sp ace", "a/./b", "ünï"] {
        let refused = storage.put(key, "text/plain", Bytes::from("x")).await;
        assert!(matches!(refused, Err(StorageError::InvalidKey(_))), "{key:?}");
    }
    assert!(!dir.path().join("etc").exists());
}

#[tokio::test]
async fn the_in_memory_store_keeps_the_same_limits() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::in_memory(&settings(dir.path()));
    assert!(matches!(
        storage.put("k", "text/plain", Bytes::from(vec![b'a'; 65])).await,
        Err(StorageError::TooLarge { .. })
    ));
    storage.put("k", "text/plain", Bytes::from("x")).await.unwrap();
    assert_eq!(storage.get("k").await.unwrap(), Bytes::from("x"));
    assert!(!dir.path().join("media").exists(), "nothing touched the disk");
}
