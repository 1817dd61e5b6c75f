//! The console backend: each message, headers and bodies, goes to the log.

use crate::message::{Email, EmailError, to_rfc5322};

use super::EmailSender;

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
        let message = to_rfc5322(&self.from, email)?;
        tracing::info!(target: "baseops_email", to = %email.to, subject = %email.subject, "\n{message}");
        Ok(())
    }
}
