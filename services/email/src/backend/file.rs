//! The file backend: one `.eml` file per message, for tests and for reading mail locally.

use std::path::PathBuf;

use chrono::Utc;
use uuid::Uuid;

use crate::message::{Email, EmailError, to_rfc5322};

use super::EmailSender;

/// Writes each message as a file `<UTC time>-<uuid>.eml` into `dir` (created when missing):
/// `From`, `To`, `Subject` and `Date` headers, then the body. File names sort in the order
/// the messages were sent.
#[derive(Debug, Clone)]
pub struct FileEmailSender {
    /// The directory.
    pub dir: PathBuf,
    /// The `From` header.
    pub from: String,
}

#[async_trait::async_trait]
impl EmailSender for FileEmailSender {
    async fn send(&self, email: &Email) -> Result<(), EmailError> {
        let message = to_rfc5322(&self.from, email)?;
        let name = format!("{}-{}", Utc::now().format("%Y%m%dT%H%M%S%.6fZ"), Uuid::now_v7());
        // A few kilobytes to a local disk, for development and tests: not worth a thread.
        // Written under a temporary name and renamed, so a reader never sees half a message.
        std::fs::create_dir_all(&self.dir)?;
        let partial = self.dir.join(format!("{name}.part"));
        std::fs::write(&partial, message)?;
        std::fs::rename(&partial, self.dir.join(format!("{name}.eml")))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email {
            to: "jane@example.com".into(),
            subject: "Reset your password".into(),
            text: "Open the link.".into(),
            html: None,
        }
    }

    #[tokio::test]
    async fn the_file_backend_writes_one_file_per_message() {
        let dir = tempfile::tempdir().unwrap();
        let sender = FileEmailSender { dir: dir.path().join("outbox"), from: "a@b.co".into() };
        sender.send(&email()).await.unwrap();
        sender.send(&email()).await.unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names.len(), 2);
        assert!(names.iter().all(|name| name.ends_with(".eml")), "{names:?}");
        let first = std::fs::read_to_string(dir.path().join("outbox").join(&names[0])).unwrap();
        assert!(first.contains("To: jane@example.com") && first.contains("Open the link."));
    }

    #[tokio::test]
    async fn an_unwritable_directory_is_an_error() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let sender = FileEmailSender { dir: file.path().join("outbox"), from: "a@b.co".into() };
        let error = sender.send(&email()).await.unwrap_err();
        assert!(matches!(error, EmailError::Io(_)) && !error.is_permanent());
    }
}
