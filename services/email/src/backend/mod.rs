//! Where messages go: the [`EmailSender`] trait, its three backends, and the [`Mailer`] the
//! application state holds.

mod console;
mod file;
mod smtp;

use std::sync::Arc;

use baseops_config::{EmailBackend, EmailSettings};

pub use console::ConsoleEmailSender;
pub use file::FileEmailSender;
pub use smtp::SmtpEmailSender;

use crate::message::{Email, EmailError};

/// Sends messages.
#[async_trait::async_trait]
pub trait EmailSender: Send + Sync {
    /// Sends one message.
    ///
    /// # Errors
    /// [`EmailError`] when the message could not be sent; [`EmailError::is_permanent`] tells
    /// whether trying again can help.
    async fn send(&self, email: &Email) -> Result<(), EmailError>;
}

/// The sender `email.backend` selects.
///
/// # Errors
/// [`EmailError::Config`] when the SMTP settings cannot make a transport (no host, a host
/// name TLS cannot verify).
pub fn sender_for(settings: &EmailSettings) -> Result<Arc<dyn EmailSender>, EmailError> {
    let from = settings.from.clone();
    Ok(match settings.backend {
        EmailBackend::Console => Arc::new(ConsoleEmailSender { from }),
        EmailBackend::File => Arc::new(FileEmailSender { dir: settings.file_dir.clone(), from }),
        EmailBackend::Smtp => Arc::new(SmtpEmailSender::new(settings)?),
    })
}

/// The process's sender, built once from the settings and kept in the application state
/// (`state.with_extension(Mailer::from_settings(…))`), so every job shares the SMTP
/// connection pool. Cloning shares the sender.
#[derive(Clone)]
pub struct Mailer {
    sender: Result<Arc<dyn EmailSender>, Arc<str>>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("ready", &self.sender.is_ok()).finish()
    }
}

impl Mailer {
    /// The sender of `email.backend`. Settings that cannot make one (validation catches
    /// most) give a mailer whose every send fails with the reason, retryably, so messages
    /// wait in the queue until the settings are fixed. The SMTP pool is created here: call
    /// it inside the Tokio runtime.
    pub fn from_settings(settings: &EmailSettings) -> Self {
        let sender = sender_for(settings).map_err(|error| {
            tracing::error!(target: "baseops_email", %error, "e-mail cannot be sent with these settings");
            Arc::from(error.to_string())
        });
        Self { sender }
    }

    /// A mailer over any sender (tests, custom backends).
    pub fn new(sender: Arc<dyn EmailSender>) -> Self {
        Self { sender: Ok(sender) }
    }

    /// Sends one message.
    ///
    /// # Errors
    /// As [`EmailSender::send`]; [`EmailError::Config`] when the settings made no sender.
    pub async fn send(&self, email: &Email) -> Result<(), EmailError> {
        match &self.sender {
            Ok(sender) => sender.send(email).await,
            Err(reason) => Err(EmailError::Config(reason.to_string())),
        }
    }
}
