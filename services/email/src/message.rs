//! One message ([`Email`]), why sending it failed ([`EmailError`]), and its RFC 5322 text for
//! the backends that write messages out themselves (console, file).

use std::fmt::Write as _;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One message to send: stored as the [`crate::SendEmail`] job's input until the worker sends
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body (always present).
    pub text: String,
    /// An HTML alternative of the body; with it the message is `multipart/alternative`.
    pub html: Option<String>,
}

impl Email {
    /// Refuses header values that hold a line break or another control character, which
    /// could inject headers (`Bcc:`) into the message.
    ///
    /// # Errors
    /// [`EmailError::InvalidHeader`] naming the header.
    pub fn check_headers(&self, from: &str) -> Result<(), EmailError> {
        check_header("From", from)?;
        check_header("To", &self.to)?;
        check_header("Subject", &self.subject)
    }
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// A header value (recipient, subject, sender) holds a line break or another control
    /// character, which could inject headers.
    #[error("the {0} header holds a control character")]
    InvalidHeader(&'static str),
    /// An address that does not parse as one.
    #[error("the {field} address is not an e-mail address: {message}")]
    InvalidAddress {
        /// `From` or `To`.
        field: &'static str,
        /// Why it does not parse.
        message: String,
    },
    /// The backend could not write the message.
    #[error("the message could not be written: {0}")]
    Io(#[from] std::io::Error),
    /// The server refused the message for good (a 5xx reply): sending it again fails the same
    /// way.
    #[error("the SMTP server refused the message: {0}")]
    Rejected(String),
    /// The server could not be reached, timed out, or asked to try later (a 4xx reply).
    #[error("the SMTP server is unavailable: {0}")]
    Unavailable(String),
    /// The settings cannot make a working transport (a host name TLS cannot verify).
    #[error("the e-mail settings do not work: {0}")]
    Config(String),
}

impl EmailError {
    /// Whether sending the same message again is bound to fail the same way.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::InvalidHeader(_) | Self::InvalidAddress { .. } | Self::Rejected(_))
    }
}

fn check_header(name: &'static str, value: &str) -> Result<(), EmailError> {
    if value.chars().any(char::is_control) { Err(EmailError::InvalidHeader(name)) } else { Ok(()) }
}

/// The message as RFC 5322 text with UTF-8 bodies sent as 8bit: readable as it is, which is
/// what the console and file backends are for.
pub(crate) fn to_rfc5322(from: &str, email: &Email) -> Result<String, EmailError> {
    email.check_headers(from)?;
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
        let plain = to_rfc5322("baseops <no-reply@localhost>", &email(None)).unwrap();
        for line in ["From: baseops <no-reply@localhost>\r\n", "To: jane@example.com\r\n", "Subject: Reset"] {
            assert!(plain.contains(line), "{plain}");
        }
        assert!(plain.contains("\r\nDate: ") && plain.ends_with("\r\n\r\nOpen the link."), "{plain}");
        let both = to_rfc5322("a@b.co", &email(Some("<p>Open the link.</p>"))).unwrap();
        assert!(both.contains("multipart/alternative") && both.contains("<p>Open the link.</p>"), "{both}");
    }

    #[test]
    fn line_breaks_in_headers_are_refused() {
        let mut injected = email(None);
        injected.subject = "Hi\r\nBcc: everyone@example.com".into();
        assert!(matches!(to_rfc5322("a@b.co", &injected), Err(EmailError::InvalidHeader("Subject"))));
        assert!(to_rfc5322("a@b.co\n", &email(None)).is_err());
        let mut to = email(None);
        to.to = "jane@example.com\nBcc: x@example.com".into();
        assert!(matches!(to.check_headers("a@b.co"), Err(EmailError::InvalidHeader("To"))));
    }

    #[test]
    fn only_refusals_are_permanent() {
        assert!(EmailError::Rejected("550 no such user".into()).is_permanent());
        assert!(EmailError::InvalidHeader("To").is_permanent());
        assert!(!EmailError::Unavailable("connection refused".into()).is_permanent());
        assert!(!EmailError::Config("bad host".into()).is_permanent());
    }
}
