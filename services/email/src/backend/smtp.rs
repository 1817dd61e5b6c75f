//! The SMTP backend: lettre over STARTTLS, TLS or (loopback only) plain TCP, with
//! authentication, a timeout on every step, and a pool of open connections.

use std::time::Duration;

use baseops_config::{EmailSettings, SmtpTls};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{AsyncSmtpTransport, AsyncSmtpTransportBuilder, PoolConfig};
use lettre::{AsyncTransport, Message, Tokio1Executor};

use super::EmailSender;
use crate::message::{Email, EmailError};

/// Hands messages to an SMTP server. Cloning shares the connection pool.
#[derive(Clone)]
pub struct SmtpEmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    server: String,
}

impl std::fmt::Debug for SmtpEmailSender {
    // Never the credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpEmailSender").field("server", &self.server).field("from", &self.from).finish()
    }
}

impl SmtpEmailSender {
    /// A sender for `email.smtp_*`. Connects lazily: nothing is sent over the network here.
    /// The pool's clean-up task is spawned on the current Tokio runtime.
    ///
    /// # Errors
    /// [`EmailError::Config`] without `email.smtp_host` or with a host TLS cannot verify;
    /// [`EmailError::InvalidAddress`] for an `email.from` that does not parse.
    pub fn new(settings: &EmailSettings) -> Result<Self, EmailError> {
        let host = settings
            .smtp_host
            .as_deref()
            .map(str::trim)
            .filter(|host| !host.is_empty())
            .ok_or_else(|| EmailError::Config("email.smtp_host is not set".to_owned()))?;
        let from = parse_mailbox("From", &settings.from)?;
        let unverifiable = |error: lettre::transport::smtp::Error| EmailError::Config(error.to_string());
        let builder: AsyncSmtpTransportBuilder = match (settings.smtp_tls, &settings.smtp_ca_file) {
            (SmtpTls::None, _) => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            (SmtpTls::Starttls, None) => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(unverifiable)?
            }
            (SmtpTls::Tls, None) => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(unverifiable)?
            }
            (tls, Some(ca_file)) => {
                // The public roots plus the relay's own CA; the host name is still verified.
                let pem = std::fs::read(ca_file).map_err(|error| {
                    EmailError::Config(format!("email.smtp_ca_file {}: {error}", ca_file.display()))
                })?;
                let ca = Certificate::from_pem(&pem).map_err(unverifiable)?;
                let parameters = TlsParameters::builder(host.to_owned())
                    .add_root_certificate(ca)
                    .build_rustls()
                    .map_err(unverifiable)?;
                let tls =
                    if tls == SmtpTls::Tls { Tls::Wrapper(parameters) } else { Tls::Required(parameters) };
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).tls(tls)
            }
        };
        let timeout = Duration::from_secs(settings.smtp_timeout_secs.max(1));
        let mut builder = builder
            .port(settings.smtp_port)
            .timeout(Some(timeout))
            .pool_config(PoolConfig::new().max_size(settings.smtp_pool_size.max(1)));
        if let (Some(username), Some(password)) = (&settings.smtp_username, &settings.smtp_password) {
            builder = builder.credentials(Credentials::new(username.clone(), password.expose().to_owned()));
        }
        let server = format!("{host}:{}", settings.smtp_port);
        Ok(Self { transport: builder.build(), from, server })
    }
}

#[async_trait::async_trait]
impl EmailSender for SmtpEmailSender {
    async fn send(&self, email: &Email) -> Result<(), EmailError> {
        email.check_headers(&self.from.to_string())?;
        let to = parse_mailbox("To", &email.to)?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            // `<random@this host>`: a retried job sends a new id (a worker lost mid-send may
            // have delivered the first).
            .message_id(None);
        let message = match &email.html {
            Some(html) => {
                builder.multipart(MultiPart::alternative_plain_html(email.text.clone(), html.clone()))
            }
            None => builder.singlepart(SinglePart::plain(email.text.clone())),
        }
        .map_err(|error| EmailError::InvalidAddress { field: "To", message: error.to_string() })?;
        match self.transport.send(message).await {
            Ok(_) => {
                tracing::debug!(target: "baseops_email", server = %self.server, subject = %email.subject, "e-mail handed to the SMTP server");
                Ok(())
            }
            // A 5xx reply: the server will refuse this message every time.
            Err(error) if error.is_permanent() => Err(EmailError::Rejected(error.to_string())),
            // A 4xx reply, a refused or dropped connection, a timeout, a TLS failure.
            Err(error) => Err(EmailError::Unavailable(format!("{}: {error}", self.server))),
        }
    }
}

fn parse_mailbox(field: &'static str, value: &str) -> Result<Mailbox, EmailError> {
    value.trim().parse().map_err(|error: lettre::address::AddressError| EmailError::InvalidAddress {
        field,
        message: format!("{value:?}: {error}"),
    })
}

#[cfg(test)]
mod tests {
    use baseops_config::EmailBackend;

    use super::*;

    fn settings(host: Option<&str>, tls: SmtpTls) -> EmailSettings {
        EmailSettings {
            backend: EmailBackend::Smtp,
            file_dir: "data/outbox".into(),
            from: "baseops <no-reply@example.com>".into(),
            templates_dir: None,
            smtp_host: host.map(str::to_owned),
            smtp_port: 2525,
            smtp_tls: tls,
            smtp_username: Some("mailer".into()),
            smtp_password: Some(baseops_config::Secret::new("hunter2-smtp")),
            smtp_timeout_secs: 1,
            smtp_pool_size: 2,
            smtp_ca_file: None,
        }
    }

    #[tokio::test]
    async fn a_sender_needs_a_host_and_never_shows_its_password() {
        assert!(matches!(SmtpEmailSender::new(&settings(None, SmtpTls::None)), Err(EmailError::Config(_))));
        for tls in [SmtpTls::Starttls, SmtpTls::Tls, SmtpTls::None] {
            let sender = SmtpEmailSender::new(&settings(Some("smtp.example.com"), tls)).unwrap();
            let shown = format!("{sender:?}");
            assert!(shown.contains("smtp.example.com:2525") && !shown.contains("hunter2"), "{shown}");
        }
        let mut bad_from = settings(Some("127.0.0.1"), SmtpTls::None);
        bad_from.from = "not an address".into();
        assert!(matches!(
            SmtpEmailSender::new(&bad_from),
            Err(EmailError::InvalidAddress { field: "From", .. })
        ));
    }

    #[tokio::test]
    async fn a_refused_connection_is_transient_and_a_bad_recipient_permanent() {
        // Port 9 on loopback: nothing listens (discard is never enabled here).
        let mut unreachable = settings(Some("127.0.0.1"), SmtpTls::None);
        unreachable.smtp_port = 9;
        unreachable.smtp_username = None;
        unreachable.smtp_password = None;
        let sender = SmtpEmailSender::new(&unreachable).unwrap();
        let email =
            Email { to: "jane@example.com".into(), subject: "Hi".into(), text: "Hello".into(), html: None };
        let error = sender.send(&email).await.unwrap_err();
        assert!(matches!(error, EmailError::Unavailable(_)) && !error.is_permanent(), "{error}");
        let error = sender.send(&Email { to: "jane".into(), ..email }).await.unwrap_err();
        assert!(
            matches!(error, EmailError::InvalidAddress { field: "To", .. }) && error.is_permanent(),
            "{error}"
        );
    }
}
