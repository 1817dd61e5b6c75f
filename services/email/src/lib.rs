//! Outgoing e-mail: messages rendered from templates, sent by the worker through the job
//! queue, delivered by the backend `email.backend` selects.
//!
//! A flow that mails someone renders the message with [`Templates`] and enqueues it with
//! [`enqueue_email`] **in the transaction of its change**: the message exists exactly when the
//! change commits (no mail carries a link whose token was rolled back, and no committed change
//! loses its mail). The worker runs the [`SendEmail`] job on the `email` queue; a transient
//! failure (a 4xx reply, a refused connection, a timeout) is retried with back-off, a
//! permanent one (a 5xx reply, an address that does not parse) makes the job dead at once
//! with the error recorded.
//!
//! Backends ([`EmailSender`]): [`ConsoleEmailSender`] (the log, for development),
//! [`FileEmailSender`] (one `.eml` file per message, for tests) and [`SmtpEmailSender`]
//! (lettre over SMTP with STARTTLS or TLS, authentication, timeouts and a connection pool).
//! The composition root installs one [`Mailer`] in the application state so the SMTP pool is
//! shared by every job. See `services/email/README.md`.

mod backend;
mod job;
mod message;
mod template;

use baseops_app::App;

pub use backend::{ConsoleEmailSender, EmailSender, FileEmailSender, Mailer, SmtpEmailSender, sender_for};
pub use job::{QUEUE, SendEmail, enqueue_email};
pub use message::{Email, EmailError};
pub use template::{BUILT_IN, TemplateError, Templates};

/// The e-mail service: the `email.send` job and the [`Mailer`] every send shares.
pub fn app() -> App {
    App::new("email").depends_on(&["jobs"]).with_jobs(|jobs| jobs.register::<SendEmail>()).with_services(
        |state| {
            let mailer = Mailer::from_settings(&state.settings().email);
            Ok(state.with_extension(mailer))
        },
    )
}
