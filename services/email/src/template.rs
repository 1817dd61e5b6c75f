//! Messages from templates: minijinja, a plain-text and an HTML part per message, a shared
//! layout, per-locale variants, built-in templates overridable from a directory.
//!
//! A message `<name>` is made of `<name>.txt` (required: its `subject` block is the subject,
//! the rest the plain-text body) and `<name>.html` (optional: the HTML alternative). Both
//! usually extend `layout.txt` / `layout.html`. For a locale such as `pt-BR` the variants
//! `<name>.pt-BR.txt`, then `<name>.pt.txt`, are preferred when they exist; each part falls
//! back on its own.
//!
//! Each template is looked up in `email.templates_dir` first, then among the built-in ones
//! ([`BUILT_IN`], compiled into the binary), so an integrator overrides one file — the layout,
//! or one message in one language — without copying the rest. HTML templates (`.html`) are
//! autoescaped; plain-text ones are not. An undefined variable is an error, not an empty
//! string.

use std::path::{Path, PathBuf};

use baseops_config::Settings;
use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, context};
use serde::Serialize;

use crate::message::Email;

/// The templates compiled into the binary, by name.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("layout.txt", include_str!("../templates/layout.txt")),
    ("layout.html", include_str!("../templates/layout.html")),
    ("password_reset.txt", include_str!("../templates/password_reset.txt")),
    ("password_reset.html", include_str!("../templates/password_reset.html")),
    ("email_verification.txt", include_str!("../templates/email_verification.txt")),
    ("email_verification.html", include_str!("../templates/email_verification.html")),
    ("invitation.txt", include_str!("../templates/invitation.txt")),
    ("invitation.html", include_str!("../templates/invitation.html")),
    ("invoice_reminder.txt", include_str!("../templates/invoice_reminder.txt")),
    ("invoice_reminder.html", include_str!("../templates/invoice_reminder.html")),
    ("notification.txt", include_str!("../templates/notification.txt")),
    ("notification.html", include_str!("../templates/notification.html")),
    ("notification_digest.txt", include_str!("../templates/notification_digest.txt")),
    ("notification_digest.html", include_str!("../templates/notification_digest.html")),
    ("security_layout.txt", include_str!("../templates/security_layout.txt")),
    ("security_layout.html", include_str!("../templates/security_layout.html")),
    ("security_password_changed.txt", include_str!("../templates/security_password_changed.txt")),
    ("security_password_changed.html", include_str!("../templates/security_password_changed.html")),
    ("security_password_reset.txt", include_str!("../templates/security_password_reset.txt")),
    ("security_password_reset.html", include_str!("../templates/security_password_reset.html")),
    ("security_two_factor_enabled.txt", include_str!("../templates/security_two_factor_enabled.txt")),
    ("security_two_factor_enabled.html", include_str!("../templates/security_two_factor_enabled.html")),
    ("security_two_factor_disabled.txt", include_str!("../templates/security_two_factor_disabled.txt")),
    ("security_two_factor_disabled.html", include_str!("../templates/security_two_factor_disabled.html")),
    ("security_token_created.txt", include_str!("../templates/security_token_created.txt")),
    ("security_token_created.html", include_str!("../templates/security_token_created.html")),
];

/// Longest accepted locale tag (BCP 47 tags in use are far shorter).
const MAX_LOCALE_LEN: usize = 35;

/// Why a message could not be rendered: a bug in a template or in its caller.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// Neither the templates directory nor the built-in templates have `<name>.txt`.
    #[error("no e-mail template named {0}")]
    NotFound(String),
    /// A template does not parse, reads an undefined variable, or renders an empty subject.
    #[error("the e-mail template {name} does not render: {message}")]
    Render {
        /// The template's file name.
        name: String,
        /// What went wrong, with its causes.
        message: String,
    },
}

/// The message templates, with the overrides of `email.templates_dir`.
pub struct Templates {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    /// The built-in templates, overridden by files in `dir`. Templates see the global
    /// `public_url`.
    pub fn new(dir: Option<&Path>, public_url: &str) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None }
        });
        // Jinja's usual settings for text: a block tag's own line break is not output.
        if let Ok(syntax) =
            minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).build()
        {
            env.set_syntax(syntax);
        }
        env.add_global("public_url", public_url.trim_end_matches('/').to_owned());
        let dir: Option<PathBuf> = dir.map(Path::to_path_buf);
        env.set_loader(move |name| load(dir.as_deref(), name));
        Self { env }
    }

    /// The templates of `email.templates_dir`, with `server.public_url` as `public_url`.
    pub fn from_settings(settings: &Settings) -> Self {
        Self::new(settings.email.templates_dir.as_deref(), settings.server.public_url.as_str())
    }

    /// Renders message `name` to `to` in `locale` (the default language when `None` or when
    /// no variant exists). `context` is what the templates see, plus `locale`; the HTML
    /// template also sees `subject`.
    ///
    /// # Errors
    /// [`TemplateError::NotFound`] without `<name>.txt`; [`TemplateError::Render`] for a
    /// template that does not parse, reads an undefined variable, or has an empty subject.
    pub fn render(
        &self,
        name: &str,
        locale: Option<&str>,
        to: &str,
        context: impl Serialize,
    ) -> Result<Email, TemplateError> {
        let locales = candidates(locale);
        let Some(text_name) = self.find(name, &locales, "txt")? else {
            return Err(TemplateError::NotFound(name.to_owned()));
        };
        let html_name = self.find(name, &locales, "html")?;
        let locale = locales.first().cloned().unwrap_or_else(|| "en".to_owned());
        let context = context! { locale => locale, ..Value::from(Serde(&context)) };

        let failed = |template: &str| {
            let template = template.to_owned();
            move |error: minijinja::Error| TemplateError::Render { name: template, message: chain(&error) }
        };
        let text_template = self.env.get_template(&text_name).map_err(failed(&text_name))?;
        let mut captured = text_template.render_captured(context.clone()).map_err(failed(&text_name))?;
        let subject =
            captured.with_state_mut(|state| state.render_block("subject")).map_err(failed(&text_name))?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        if subject.is_empty() {
            return Err(TemplateError::Render {
                name: text_name,
                message: "the subject block is empty".to_owned(),
            });
        }
        let text = captured.into_output();
        let html = match html_name {
            Some(html_name) => {
                let template = self.env.get_template(&html_name).map_err(failed(&html_name))?;
                let context = context! { subject => subject.clone(), ..context };
                Some(template.render(context).map_err(failed(&html_name))?)
            }
            None => None,
        };
        Ok(Email { to: to.to_owned(), subject, text: text.trim().to_owned() + "\n", html })
    }

    /// The first of `<name>.<locale>.<ext>` … `<name>.<ext>` that exists.
    fn find(&self, name: &str, locales: &[String], ext: &str) -> Result<Option<String>, TemplateError> {
        let names =
            locales.iter().map(|locale| format!("{name}.{locale}.{ext}")).chain([format!("{name}.{ext}")]);
        for candidate in names {
            match self.env.get_template(&candidate) {
                Ok(_) => return Ok(Some(candidate)),
                Err(error) if error.kind() == ErrorKind::TemplateNotFound => {}
                Err(error) => return Err(TemplateError::Render { name: candidate, message: chain(&error) }),
            }
        }
        Ok(None)
    }
}

/// `pt-BR` → `["pt-BR", "pt"]`; nothing for a missing or malformed tag (which cannot then
/// name a file outside the templates).
fn candidates(locale: Option<&str>) -> Vec<String> {
    let Some(locale) = locale.map(str::trim).filter(|locale| {
        !locale.is_empty()
            && locale.len() <= MAX_LOCALE_LEN
            && locale.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }) else {
        return Vec::new();
    };
    let tag = locale.replace('_', "-");
    let mut found = vec![tag.clone()];
    if let Some((language, _)) = tag.split_once('-') {
        found.push(language.to_owned());
    }
    found
}

/// A template by name: from `dir` when it has the file, else built in. Names are plain file
/// names; anything else (a path, a hidden file) is not found.
fn load(dir: Option<&Path>, name: &str) -> Result<Option<String>, minijinja::Error> {
    let plain = !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !plain {
        return Ok(None);
    }
    if let Some(dir) = dir {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(source) => return Ok(Some(source)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("cannot read {}", path.display()),
                )
                .with_source(error));
            }
        }
    }
    Ok(BUILT_IN.iter().find(|(built_in, _)| *built_in == name).map(|(_, source)| (*source).to_owned()))
}

/// An error with its causes, on one line.
fn chain(error: &minijinja::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reset_context() -> serde_json::Value {
        json!({
            "email": "jane@example.com",
            "url": "http://localhost:8000/reset-password?token=abc&x=<b>",
            "token": "abc",
            "valid_minutes": 60,
        })
    }

    #[test]
    fn every_built_in_message_renders_both_parts_in_the_layout() {
        let templates = Templates::new(None, "http://localhost:8000/");
        let contexts = [
            ("password_reset", reset_context()),
            ("email_verification", reset_context()),
            (
                "invitation",
                json!({"inviter_name": "Ann", "organization": "Acme", "role": "Sales", "url": "http://x/a?token=t",
                       "token": "t", "valid_days": 7}),
            ),
        ];
        for (name, context) in contexts {
            let email = templates.render(name, None, "jane@example.com", &context).unwrap();
            assert!(!email.subject.is_empty() && !email.subject.contains('\n'), "{name}: {email:?}");
            let html = email.html.as_deref().unwrap();
            assert!(html.starts_with("<!DOCTYPE html>") && html.contains("</html>"), "{name}: {html}");
            assert!(html.contains(&format!("<title>{}</title>", email.subject)), "{name}: {html}");
            assert!(
                email.text.contains("http://localhost:8000") || name == "invitation",
                "{name}: {}",
                email.text
            );
            assert!(!email.text.starts_with('\n') && email.text.ends_with('\n'), "{name}: {:?}", email.text);
        }
    }

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let templates = Templates::new(None, "http://localhost:8000");
        let email = templates.render("password_reset", None, "jane@example.com", reset_context()).unwrap();
        assert_eq!(email.subject, "Reset your baseops password");
        assert!(email.text.contains("token=abc&x=<b>"), "{}", email.text);
        let html = email.html.unwrap();
        assert!(html.contains("token=abc&amp;x=&lt;b&gt;") && !html.contains("<b>"), "{html}");
    }

    #[test]
    fn a_directory_overrides_one_file_and_locales_fall_back() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("password_reset.de.txt"),
            "{% extends \"layout.txt\" %}{% block subject %}Passwort zurücksetzen{% endblock %}\
             {% block body %}Öffne {{ url }}{% endblock %}",
        )
        .unwrap();
        std::fs::write(dir.path().join("layout.html"), "<main>{% block body %}{% endblock %}</main>")
            .unwrap();
        let templates = Templates::new(Some(dir.path()), "http://localhost:8000");

        let german =
            templates.render("password_reset", Some("de-AT"), "jane@example.com", reset_context()).unwrap();
        assert_eq!(german.subject, "Passwort zurücksetzen");
        assert!(german.text.starts_with("Öffne http://localhost:8000/reset-password"), "{}", german.text);
        // No German HTML: the default one, in the overridden layout.
        let html = german.html.unwrap();
        assert!(html.starts_with("<main>") && html.contains("reset-password"), "{html}");

        let english =
            templates.render("password_reset", Some("fr"), "jane@example.com", reset_context()).unwrap();
        assert_eq!(english.subject, "Reset your baseops password");
        // A locale cannot name a path.
        let sneaky =
            templates.render("password_reset", Some("../de"), "jane@example.com", reset_context()).unwrap();
        assert_eq!(sneaky.subject, "Reset your baseops password");
    }

    #[test]
    fn unknown_templates_and_missing_variables_are_errors() {
        let templates = Templates::new(None, "http://localhost:8000");
        assert!(matches!(
            templates.render("nope", None, "a@b.co", json!({})),
            Err(TemplateError::NotFound(_))
        ));
        assert!(matches!(
            templates.render("../layout", None, "a@b.co", json!({})),
            Err(TemplateError::NotFound(_))
        ));
        let error =
            templates.render("password_reset", None, "a@b.co", json!({"email": "a@b.co"})).unwrap_err();
        assert!(
            matches!(&error, TemplateError::Render { name, .. } if name == "password_reset.txt"),
            "{error}"
        );
    }

    #[test]
    fn locale_candidates() {
        assert_eq!(candidates(Some("pt_BR")), ["pt-BR", "pt"]);
        assert_eq!(candidates(Some("de")), ["de"]);
        assert!(candidates(Some("")).is_empty() && candidates(None).is_empty());
        assert!(candidates(Some("a/b")).is_empty());
    }
}
