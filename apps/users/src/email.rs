//! Outgoing e-mail: the [`Email`] a flow wants sent and the [`EmailSender`] that sends it.
//!
//! Two backends exist, chosen by `email.backend`: [`ConsoleEmailSender`] writes each message
//! to the log and [`FileEmailSender`] writes each one as a file (development and tests read
//! them there). An SMTP backend is one more implementation of [`EmailSender`] and one more
//! arm in [`sender_for`].
//!
//! Flows send only after their transaction commits, so no message carries a link whose token
//! was rolled back; [`deliver`] does that last step and logs, rather than returns, a failure:
//! the change is already made and the user can ask for the message again.

use std::fmt::Write as _;
use std::path::PathBuf;

use baseops_config::{EmailBackend, Settings};
use chrono::Utc;
use uuid::Uuid;

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body (always present).
    pub text: String,
    /// An HTML alternative of the body.
    pub html: Option<String>,
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// A header value (recipient, subject, sender) holds a line break or another control
    /// character, which could inject headers.
    #[error("the {0} header holds a control character")]
    InvalidHeader(&'static str),
    /// The backend could not write or hand over the message.
    #[error("the message could not be written: {0}")]
    Io(#[from] std::io::Error),
    /// A transport refused the message (for backends that talk to a server).
    #[error("the mail transport refused the message: {0}")]
    Transport(String),
}

/// Sends messages. Implementations must be cheap to construct: [`sender_for`] builds one
/// per use from the settings.
#[async_trait::async_trait]
pub trait EmailSender: Send + Sync {
    /// Sends one message.
    ///
    /// # Errors
    /// [`EmailError`] when the message could not be sent.
    async fn send(&self, email: &Email) -> Result<(), EmailError>;
}

/// The sender `email.backend` selects.
pub fn sender_for(settings: &Settings) -> Box<dyn EmailSender> {
    let from = settings.email.from.clone();
    match settings.email.backend {
        EmailBackend::Console => Box::new(ConsoleEmailSender { from }),
        EmailBackend::File => Box::new(FileEmailSender { dir: settings.email.file_dir.clone(), from }),
    }
}

/// Sends `email` with the configured backend; a failure is logged at error level and
/// otherwise ignored. Call it after the transaction that made the message's links commits.
pub async fn deliver(settings: &Settings, email: &Email) {
    if let Err(error) = sender_for(settings).send(email).await {
        tracing::error!(target: "baseops_email", %error, subject = %email.subject, "e-mail not sent");
    }
}

/// Writes each message, headers and body, to the log at info level (target
/// `baseops_email`). For development: the links in the messages are secrets.
#[derive(Debug, Clone)]
pub struct ConsoleEmailSender {
    /// The `From` header.
    pub from: String,
}

#[async_trait::async_trait]
impl EmailSender for ConsoleEmailSender {
    async fn send(&self, email: &Email) -> Result<(), EmailError> {
        let message = render(&self.from, email)?;
        tracing::info!(target: "baseops_email", to = %email.to, subject = %email.subject, "\n{message}");
        Ok(())
    }
}

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
        let message = render(&self.from, email)?;
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

fn check_header(name: &'static str, value: &str) -> Result<(), EmailError> {
    if value.chars().any(char::is_control) { Err(EmailError::InvalidHeader(name)) } else { Ok(()) }
}

/// The message as RFC 5322 text (UTF-8 bodies, sent as 8bit).
fn render(from: &str, email: &Email) -> Result<String, EmailError> {
    check_header("From", from)?;
    check_header("To", &email.to)?;
    check_header("Subject", &email.subject)?;
    let mut message = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        message,
        "From: {from}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}@baseops>\r\nMIME-Version: 1.0\r\n",
        email.to,
        email.subject,
        Utc::now().to_rfc2822(),
        Uuid::now_v7(),
    );
    match &email.html {
        None => {
            let _ = write!(
                message,
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
                email.text
            );
        }
        Some(html) => {
            let boundary = format!("baseops-{}", Uuid::now_v7().simple());
            let _ = write!(
                message,
                "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
                 --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n\
                 --{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{html}\r\n\
                 --{boundary}--\r\n",
                email.text
            );
        }
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(html: Option<&str>) -> Email {
        Email {
            to: "jane@example.com".into(),
            subject: "Reset your password".into(),
            text: "Open the link.".into(),
            html: html.map(str::to_owned),
        }
    }

    #[test]
    fn messages_carry_their_headers_and_bodies() {
        let plain = render("baseops <no-reply@localhost>", &email(None)).unwrap();
        for line in ["From: baseops <no-reply@localhost>\r\n", "To: jane@example.com\r\n", "Subject: Reset"] {
            assert!(plain.contains(line), "{plain}");
        }
        assert!(plain.contains("\r\nDate: ") && plain.ends_with("\r\n\r\nOpen the link."), "{plain}");
        let both = render("a@b.co", &email(Some("<p>Open the link.</p>"))).unwrap();
        assert!(both.contains("multipart/alternative") && both.contains("<p>Open the link.</p>"), "{both}");
    }

    #[test]
    fn line_breaks_in_headers_are_refused() {
        let mut injected = email(None);
        injected.subject = "Hi\r\nBcc: everyone@example.com".into();
        assert!(matches!(render("a@b.co", &injected), Err(EmailError::InvalidHeader("Subject"))));
        assert!(render("a@b.co\n", &email(None)).is_err());
    }

    #[tokio::test]
    async fn the_file_backend_writes_one_file_per_message() {
        let dir = tempfile::tempdir().unwrap();
        let sender = FileEmailSender { dir: dir.path().join("outbox"), from: "a@b.co".into() };
        sender.send(&email(None)).await.unwrap();
        sender.send(&email(None)).await.unwrap();
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
        assert!(matches!(sender.send(&email(None)).await, Err(EmailError::Io(_))));
    }
}
