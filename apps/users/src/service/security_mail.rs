//! Security notices: the e-mail an account's owner gets after a change to how the account is
//! signed in to — a password changed or reset, two-factor login turned on or off, a new API
//! token — so that someone who did not make the change learns of it.
//!
//! Each notice is rendered and enqueued in the transaction of its change
//! ([`baseops_email::enqueue_email`]), so a change that rolls back mails nothing. It says what
//! happened, when, from which address and user agent when the request had them, and links to
//! the password-reset page for an owner who did not do it. A token notice names the token and
//! its organization, never the token itself.

use baseops_config::Settings;
use baseops_core::{Acting, ApiError};
use baseops_email::{Templates, enqueue_email};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::recovery::RESET_PATH;
use crate::model::user;

/// What happened to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityEvent<'a> {
    /// The owner changed the password.
    PasswordChanged,
    /// The password was set with a reset link.
    PasswordReset,
    /// Two-factor login was turned on.
    TwoFactorEnabled,
    /// Two-factor login was turned off.
    TwoFactorDisabled,
    /// An API token was created.
    TokenCreated {
        /// The token's name.
        name: &'a str,
        /// The name of the organization it acts in.
        organization: &'a str,
    },
}

impl SecurityEvent<'_> {
    /// The message template.
    pub fn template(self) -> &'static str {
        match self {
            Self::PasswordChanged => "security_password_changed",
            Self::PasswordReset => "security_password_reset",
            Self::TwoFactorEnabled => "security_two_factor_enabled",
            Self::TwoFactorDisabled => "security_two_factor_disabled",
            Self::TokenCreated { .. } => "security_token_created",
        }
    }
}

/// How a new password was set: the owner changed it, or a reset link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSetBy {
    /// The owner, giving the current password.
    Change,
    /// A password-reset link.
    Reset,
}

impl From<PasswordSetBy> for SecurityEvent<'static> {
    fn from(by: PasswordSetBy) -> Self {
        match by {
            PasswordSetBy::Change => Self::PasswordChanged,
            PasswordSetBy::Reset => Self::PasswordReset,
        }
    }
}

/// Tells the owner of `account` by e-mail, in their locale, that `event` happened at `now`;
/// the message is enqueued in `txn`. Returns the e-mail job's id.
///
/// # Errors
/// Database errors; 500 for a template that does not render.
pub async fn security_notice(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    account: &user::Model,
    event: SecurityEvent<'_>,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Uuid, ApiError> {
    let (token_name, organization) = match event {
        SecurityEvent::TokenCreated { name, organization } => (Some(name), Some(organization)),
        _ => (None, None),
    };
    let context = NoticeMail {
        email: &account.email,
        at: now.format("%Y-%m-%d %H:%M UTC").to_string(),
        ip: acting.origin.ip.map(|ip| ip.to_string()),
        user_agent: acting.origin.user_agent.as_deref(),
        reset_url: reset_url(settings),
        token_name,
        organization,
    };
    let message = Templates::from_settings(settings)
        .render(event.template(), Some(&account.locale), &account.email, context)
        .map_err(ApiError::internal)?;
    Ok(enqueue_email(txn, acting, None, message).await?)
}

/// What the security notice templates see.
#[derive(serde::Serialize)]
struct NoticeMail<'a> {
    email: &'a str,
    at: String,
    ip: Option<String>,
    user_agent: Option<&'a str>,
    reset_url: String,
    token_name: Option<&'a str>,
    organization: Option<&'a str>,
}

/// The password-reset page, where the request for a link starts: the page the reset flow's
/// links open, without a token.
fn reset_url(settings: &Settings) -> String {
    let mut url = settings.server.public_url.clone();
    let base = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{base}{RESET_PATH}"));
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_renders_both_parts_with_the_reset_page() {
        let templates = Templates::new(None, "http://localhost:8000/");
        let events = [
            (SecurityEvent::PasswordChanged, "Your baseops password was changed"),
            (SecurityEvent::PasswordReset, "Your baseops password was reset"),
            (SecurityEvent::TwoFactorEnabled, "Two-factor login is on for your baseops account"),
            (SecurityEvent::TwoFactorDisabled, "Two-factor login is off for your baseops account"),
            (
                SecurityEvent::TokenCreated { name: "ci <deploy>", organization: "Acme" },
                "New API token for your baseops account",
            ),
        ];
        for (event, subject) in events {
            for (ip, user_agent) in [(Some("203.0.113.9".to_owned()), Some("curl/8.5")), (None, None)] {
                let context = NoticeMail {
                    email: "jane@example.com",
                    at: "2030-01-02 03:04 UTC".into(),
                    ip: ip.clone(),
                    user_agent,
                    reset_url: "http://localhost:8000/admin/reset-password".into(),
                    token_name: Some("ci <deploy>"),
                    organization: Some("Acme"),
                };
                let email = templates.render(event.template(), None, "jane@example.com", context).unwrap();
                assert_eq!(email.subject, subject);
                let html = email.html.unwrap();
                let text = &email.text;
                assert!(text.contains("http://localhost:8000/admin/reset-password\n"), "{event:?}: {text}");
                assert!(html.contains("reset-password\""), "{event:?}: {html}");
                // HTML escapes `/`.
                for (part, agent) in [(text, "curl/8.5"), (&html, "curl&#x2f;8.5")] {
                    assert!(part.contains("2030-01-02 03:04 UTC"), "{event:?}: {part}");
                    assert_eq!(part.contains("203.0.113.9"), ip.is_some(), "{event:?}: {part}");
                    assert_eq!(part.contains(agent), user_agent.is_some(), "{event:?}: {part}");
                }
                if matches!(event, SecurityEvent::TokenCreated { .. }) {
                    assert!(
                        email.text.contains("ci <deploy>") && email.text.contains("Acme"),
                        "{}",
                        email.text
                    );
                    assert!(html.contains("ci &lt;deploy&gt;"), "{html}");
                }
            }
        }
    }
}
