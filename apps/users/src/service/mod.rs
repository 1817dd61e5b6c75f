//! Every write of the users app. Each public function either takes the caller's transaction
//! (and records its audit events in it) or opens exactly one of its own.

pub mod invitation;
pub mod onetime;
pub mod organization;
pub mod reauth;
pub mod recovery;
pub mod security_log;
pub mod security_mail;
pub mod session;
pub mod throttle;
pub mod token;
pub mod two_factor;
pub mod user;

use baseops_core::ApiError;

/// Maps a violated unique constraint to 409 `code`, anything else to 500.
pub(crate) fn conflict_on_unique(error: sea_orm::DbErr, code: &'static str, detail: &str) -> ApiError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::Conflict { code, detail: detail.to_owned() }
        }
        _ => ApiError::from(error),
    }
}
