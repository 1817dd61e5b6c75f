//! Uploaded files behind one [`Storage`] value: apps put, get and delete bytes by key and
//! never learn where they live. The backend is an [`object_store::ObjectStore`] — a local
//! directory now (`storage.backend = "local"`), an S3-compatible bucket with the services
//! work — so adding one is a constructor, not a change to any app.
//!
//! Every put is checked against the `[storage]` limits: at most `max_file_bytes`, a media
//! type in `allowed_types`, and content that starts like the type it claims for the types
//! that have a signature (images, PDF, ZIP-based documents) or is UTF-8 text for `text/*` —
//! so an HTML page can't be stored as `image/png` and served back as one.

mod content;

use std::sync::Arc;

use baseops_app::App;
use baseops_config::{StorageBackend, StorageSettings};
use bytes::Bytes;
use object_store::ObjectStore;
use object_store::path::Path;

pub use content::{matches_signature, normalize_media_type};

/// The storage service: the configured [`Storage`], installed in the application state.
pub fn app() -> App {
    App::new("storage").with_services(|state| {
        let storage = Storage::from_settings(&state.settings().storage)?;
        Ok(state.with_extension(storage))
    })
}

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 512;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The file is larger than `storage.max_file_bytes` (413).
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The media type is not in `storage.allowed_types`, or the content does not match it (415).
    #[error("{0}")]
    UnsupportedType(String),
    /// The key is not one this crate accepts (a bug in the caller).
    #[error("invalid storage key {0:?}")]
    InvalidKey(String),
    /// No object under this key.
    #[error("no stored file under {0}")]
    NotFound(String),
    /// The backend failed (disk full, permissions, network).
    #[error("storage backend: {0}")]
    Backend(#[source] object_store::Error),
    /// The local directory cannot be created.
    #[error("cannot create the storage directory {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// What a put stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The key to get or delete it by.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type, normalized (`text/plain`, without parameters).
    pub content_type: String,
}

/// The configured file store with its limits; cheap to clone.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    max_file_bytes: u64,
    allowed_types: Arc<[String]>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("store", &self.store.to_string())
            .field("max_file_bytes", &self.max_file_bytes)
            .finish_non_exhaustive()
    }
}

impl Storage {
    /// The store `[storage]` describes.
    ///
    /// # Errors
    /// [`StorageError::Directory`] when the local directory cannot be created.
    pub fn from_settings(settings: &StorageSettings) -> Result<Self, StorageError> {
        let store: Arc<dyn ObjectStore> = match settings.backend {
            StorageBackend::Local => {
                std::fs::create_dir_all(&settings.local_dir)
                    .map_err(|source| StorageError::Directory { path: settings.local_dir.clone(), source })?;
                let local = object_store::local::LocalFileSystem::new_with_prefix(&settings.local_dir)
                    .map_err(StorageError::Backend)?;
                Arc::new(local)
            }
        };
        Ok(Self::with_store(store, settings))
    }

    /// A store kept in memory, with the limits of `settings` (tests, previews).
    pub fn in_memory(settings: &StorageSettings) -> Self {
        Self::with_store(Arc::new(object_store::memory::InMemory::new()), settings)
    }

    fn with_store(store: Arc<dyn ObjectStore>, settings: &StorageSettings) -> Self {
        let allowed: Vec<String> = settings.allowed_types.iter().map(|t| normalize_media_type(t)).collect();
        Self { store, max_file_bytes: settings.max_file_bytes, allowed_types: allowed.into() }
    }

    /// The largest file accepted.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    /// Checks a file against the limits without storing it; returns its normalized type.
    ///
    /// # Errors
    /// [`StorageError::TooLarge`], [`StorageError::UnsupportedType`].
    pub fn check(&self, content_type: &str, bytes: &[u8]) -> Result<String, StorageError> {
        if bytes.len() as u64 > self.max_file_bytes {
            return Err(StorageError::TooLarge { limit: self.max_file_bytes });
        }
        let media_type = normalize_media_type(content_type);
        let allowed = self.allowed_types.iter().any(|allowed| match allowed.strip_suffix("/*") {
            Some(family) => media_type.split_once('/').is_some_and(|(prefix, _)| prefix == family),
            None => *allowed == media_type,
        });
        if !allowed {
            return Err(StorageError::UnsupportedType(format!(
                "files of type {media_type:?} are not accepted"
            )));
        }
        if !matches_signature(&media_type, bytes) {
            return Err(StorageError::UnsupportedType(format!("the content is not {media_type}")));
        }
        Ok(media_type)
    }

    /// Checks `bytes` against the limits and stores them under `key` (replacing what was there).
    ///
    /// # Errors
    /// The limits' errors, [`StorageError::InvalidKey`], [`StorageError::Backend`].
    pub async fn put(&self, key: &str, content_type: &str, bytes: Bytes) -> Result<StoredFile, StorageError> {
        let content_type = self.check(content_type, &bytes)?;
        let path = path_of(key)?;
        let size = bytes.len() as u64;
        self.store.put(&path, bytes.into()).await.map_err(StorageError::Backend)?;
        Ok(StoredFile { key: key.to_owned(), size, content_type })
    }

    /// The bytes stored under `key`.
    ///
    /// # Errors
    /// [`StorageError::NotFound`], [`StorageError::InvalidKey`], [`StorageError::Backend`].
    pub async fn get(&self, key: &str) -> Result<Bytes, StorageError> {
        let path = path_of(key)?;
        let found = self.store.get(&path).await.map_err(|error| not_found_or(key, error))?;
        found.bytes().await.map_err(|error| not_found_or(key, error))
    }

    /// Deletes the object under `key`; deleting what is not there succeeds.
    ///
    /// # Errors
    /// [`StorageError::InvalidKey`], [`StorageError::Backend`].
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = path_of(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(StorageError::Backend(error)),
        }
    }
}

fn not_found_or(key: &str, error: object_store::Error) -> StorageError {
    match error {
        object_store::Error::NotFound { .. } => StorageError::NotFound(key.to_owned()),
        other => StorageError::Backend(other),
    }
}

/// Keys are `/`-separated segments of `[A-Za-z0-9._-]`, none empty, `.` or `..`: callers
/// build them from ids, never from user input, and this keeps a bug from escaping the store.
fn path_of(key: &str) -> Result<Path, StorageError> {
    let valid = !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        });
    if !valid {
        return Err(StorageError::InvalidKey(key.chars().take(MAX_KEY_LEN).collect()));
    }
    Path::parse(key).map_err(|_| StorageError::InvalidKey(key.to_owned()))
}
