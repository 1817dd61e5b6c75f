//! Creating users, changing profiles and passwords, deactivating. What a user is made of
//! arrives checked ([`NewUser::check`], [`ProfileChange::check`], [`Password::parse`]); only an
//! address already taken is found here.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::{AuthSettings, Settings};
use baseops_core::{Acting, ApiError, Email, FieldErrors, check_version};
use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde::Serialize;
use uuid::Uuid;

use super::conflict_on_unique;
use super::security_mail::{PasswordSetBy, security_notice};
use crate::model::user;
use crate::password::{Password, PasswordHashing};
use crate::session_store::SessionStore;
use crate::validate::{check_time_zone, clean_name};

/// What a new user starts with, as the edges that make users (an accepted invitation,
/// `baseops createsuperuser`) have it.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// E-mail address (normalized by the check).
    pub email: &'a str,
    /// Display name.
    pub display_name: &'a str,
    /// Password; `None` for an account that will set one through a link.
    pub password: Option<&'a str>,
    /// Superusers hold every permission everywhere.
    pub is_superuser: bool,
}

/// A new user, checked: a valid address (lower-case, not yet known to be free), a trimmed
/// display name of 1 to 100 printable characters, and a password that passed the strength
/// rule for that address. Only [`NewUser::check`] makes one.
#[derive(Debug, Clone)]
pub struct UserFields {
    pub(crate) email: Email,
    pub(crate) display_name: String,
    pub(crate) password: Option<Password>,
    pub(crate) is_superuser: bool,
}

impl NewUser<'_> {
    /// Checks every field; the password against the strength rule of `settings`.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn check(self, settings: &AuthSettings) -> Result<UserFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = Email::parse(self.email)
            .map_err(|error| {
                errors.add("email", error.to_string());
            })
            .ok();
        let display_name = clean_name(self.display_name, "display_name", &mut errors);
        // A bad address is compared as empty: the password is still judged, on its own.
        let address = email.as_ref().map_or("", Email::as_str);
        let password = self.password.and_then(|text| {
            Password::parse(text, address, settings)
                .map_err(|weak| {
                    errors.add("password", weak.to_string());
                })
                .ok()
        });
        match email {
            Some(email) if errors.is_empty() => {
                Ok(UserFields { email, display_name, password, is_superuser: self.is_superuser })
            }
            _ => Err(errors),
        }
    }
}

/// The audited shape of a user: never the password hash.
#[derive(Serialize)]
struct Audited<'a> {
    email: &'a str,
    display_name: &'a str,
    time_zone: &'a str,
    locale: &'a str,
    is_active: bool,
    is_superuser: bool,
}

fn audited(model: &user::Model) -> Audited<'_> {
    Audited {
        email: &model.email,
        display_name: &model.display_name,
        time_zone: &model.time_zone,
        locale: &model.locale,
        is_active: model.is_active,
        is_superuser: model.is_superuser,
    }
}

/// Creates a user from checked fields ([`NewUser::check`]).
///
/// # Errors
/// 409 `email_taken`; database errors are 500.
pub async fn user_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    new: UserFields,
    hashing: &PasswordHashing,
) -> Result<user::Model, ApiError> {
    let UserFields { email, display_name, password, is_superuser } = new;
    let password_hash = match &password {
        Some(password) => Some(hashing.hash(password.as_str()).await.map_err(ApiError::internal)?),
        None => None,
    };

    let now = Utc::now();
    let model = user::Model {
        id: Uuid::now_v7(),
        email: email.into_inner(),
        display_name,
        time_zone: "UTC".to_owned(),
        locale: "en".to_owned(),
        avatar_key: None,
        password_hash,
        is_active: true,
        is_superuser,
        email_verified_at: None,
        last_login_at: None,
        created_at: now,
        updated_at: now,
        totp_secret: None,
        totp_enabled_at: None,
        totp_last_step: None,
        version: 1,
    };
    user::Entity::insert(model.clone().into_active_model()).exec_without_returning(txn).await.map_err(
        |error| conflict_on_unique(error, "email_taken", "A user with this e-mail address exists."),
    )?;
    record(
        txn,
        AuditEntry::new(acting, None, "user.create", "user", model.id)
            .changes(Changes::created(&audited(&model))),
    )
    .await?;
    Ok(model)
}

/// Profile fields a user may change about themself; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    /// New display name.
    pub display_name: Option<String>,
    /// New IANA time zone.
    #[schema(pattern = "^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$", max_length = 64)]
    pub time_zone: Option<String>,
    /// New locale (`en`, `fr-CA`).
    pub locale: Option<String>,
}

/// Longest locale tag.
const MAX_LOCALE_LEN: usize = 16;

/// A checked [`ProfileChange`] (`None`: unchanged): a trimmed display name of 1 to 100
/// printable characters, a time zone shaped like an IANA name, a locale shaped like a language
/// tag. Only [`ProfileChange::check`] makes one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileUpdate {
    pub(crate) display_name: Option<String>,
    pub(crate) time_zone: Option<String>,
    pub(crate) locale: Option<String>,
}

impl ProfileChange {
    /// Checks every field given.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn check(self) -> Result<ProfileUpdate, FieldErrors> {
        let mut errors = FieldErrors::new();
        let display_name = self.display_name.map(|name| clean_name(&name, "display_name", &mut errors));
        if let Some(zone) = &self.time_zone
            && let Err(message) = check_time_zone(zone)
        {
            errors.add("time_zone", message);
        }
        if let Some(locale) = &self.locale {
            let ok = (2..=MAX_LOCALE_LEN).contains(&locale.len())
                && locale.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                errors.add("locale", "must be a language tag such as en or fr-CA");
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ProfileUpdate { display_name, time_zone: self.time_zone, locale: self.locale })
    }
}

/// Updates a user's own profile. With `expected` (the client's `If-Match`) the change
/// applies only at that profile version: one `UPDATE … WHERE id = ? AND version = ?`, so of
/// two writers holding the same version the second gets 412. Every change bumps the
/// version; a request that changes nothing leaves it. `update` was checked at the edge
/// ([`ProfileChange::check`]).
///
/// # Errors
/// 404 for an unknown user, 412 `version_mismatch`.
pub async fn user_update_profile(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    expected: Option<i32>,
    update: ProfileUpdate,
) -> Result<user::Model, ApiError> {
    let before = user::Entity::find_by_id(user_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    check_version(before.version, expected)?;
    let mut after = before.clone();
    let ProfileUpdate { display_name, time_zone, locale } = update;
    after.display_name = display_name.unwrap_or(after.display_name);
    after.time_zone = time_zone.unwrap_or(after.time_zone);
    after.locale = locale.unwrap_or(after.locale);
    let changes = Changes::between(&audited(&before), &audited(&after));
    if changes.is_empty() {
        return Ok(before);
    }
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::DisplayName, Expr::value(after.display_name.clone()))
        .col_expr(user::Column::TimeZone, Expr::value(after.time_zone.clone()))
        .col_expr(user::Column::Locale, Expr::value(after.locale.clone()))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(user::Column::Version, Expr::col(user::Column::Version).add(1))
        .filter(user::Column::Id.eq(user_id));
    if let Some(expected) = expected {
        update = update.filter(user::Column::Version.eq(expected));
    }
    if update.exec(txn).await?.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    record(txn, AuditEntry::new(acting, None, "user.update", "user", user_id).changes(changes)).await?;
    if before.display_name != after.display_name {
        // Cached principals carry the name the console's frame shows.
        baseops_roles::epoch::access_changed(txn).await?;
    }
    user::Entity::find_by_id(user_id).one(txn).await?.ok_or(ApiError::NotFound)
}

/// A new password, and which sessions survive it.
#[derive(Debug, Clone)]
pub struct NewPassword<'a> {
    /// The new password, checked for strength against the user's address by whoever asked
    /// for the change ([`Password::parse`]).
    pub password: Password,
    /// The session that made the change, which stays; every other one ends.
    pub keep_session: Option<Uuid>,
    /// Where sessions live.
    pub sessions: &'a SessionStore,
}

/// Sets a new password, ends every session but `keep_session`, and mails the owner a
/// security notice saying how it was set.
///
/// # Errors
/// 404 for an unknown user; 500 for a notice that does not render.
pub async fn user_set_password(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    change: NewPassword<'_>,
    hashing: &PasswordHashing,
    by: PasswordSetBy,
    settings: &Settings,
) -> Result<(), ApiError> {
    let NewPassword { password, keep_session, sessions } = change;
    let found = user::Entity::find_by_id(user_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    let hash = hashing.hash(password.as_str()).await.map_err(ApiError::internal)?;
    let now = Utc::now();
    security_notice(txn, acting, &found, by.into(), settings, now).await?;
    let mut active = found.into_active_model();
    active.password_hash = Set(Some(hash));
    active.updated_at = Set(now);
    active.update(txn).await?;
    sessions.remove_for_user(txn, user_id, keep_session).await?;
    record(
        txn,
        AuditEntry::new(acting, None, "user.password_change", "user", user_id).changes(Changes::new().set(
            "password",
            "[redacted]",
            "[redacted]",
        )),
    )
    .await?;
    Ok(())
}

/// Deactivates a user: they can no longer log in, their sessions end and their tokens are
/// revoked. The row stays: users with history are never deleted.
///
/// # Errors
/// 404 for an unknown user.
pub async fn user_deactivate(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    sessions: &SessionStore,
) -> Result<(), ApiError> {
    let found = user::Entity::find_by_id(user_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    if !found.is_active {
        return Ok(());
    }
    let now = Utc::now();
    let mut active = found.into_active_model();
    active.is_active = Set(false);
    active.updated_at = Set(now);
    active.update(txn).await?;
    sessions.remove_for_user(txn, user_id, None).await?;
    super::token::token_revoke_all(txn, user_id).await?;
    record(
        txn,
        AuditEntry::new(acting, None, "user.deactivate", "user", user_id).changes(Changes::new().set(
            "is_active",
            true,
            false,
        )),
    )
    .await?;
    baseops_roles::epoch::access_changed(txn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::tests::settings;

    fn fields(errors: &FieldErrors) -> Vec<&str> {
        errors.iter().map(|(field, _)| field).collect()
    }

    #[test]
    fn a_new_user_is_normalized_and_their_password_judged_against_their_address() {
        let new = NewUser {
            email: " Ada@Example.COM ",
            display_name: "  Ada ",
            password: Some("blue-kettle-41-marsh"),
            is_superuser: false,
        };
        let checked = new.clone().check(&settings()).expect("accepted");
        assert_eq!(checked.email.as_str(), "ada@example.com");
        assert_eq!(checked.display_name, "Ada");
        assert!(checked.password.is_some());

        let own =
            NewUser { email: "adaking@example.com", password: Some("ADAKING@example.com"), ..new.clone() };
        let errors = own.check(&settings()).expect_err("refused");
        assert_eq!(errors.get("password"), Some(&["is too easy to guess".to_owned()][..]));

        let bad = NewUser { email: "not an address", display_name: "", password: Some("short"), ..new };
        let errors = bad.check(&settings()).expect_err("refused");
        assert_eq!(fields(&errors), ["display_name", "email", "password"], "every problem at once");
    }

    #[test]
    fn profile_changes_are_checked_field_by_field() {
        let change = ProfileChange {
            display_name: Some(" Ada ".into()),
            time_zone: Some("Europe/Paris".into()),
            locale: Some("fr-CA".into()),
        };
        let update = change.check().expect("accepted");
        assert_eq!(update.display_name.as_deref(), Some("Ada"));
        assert_eq!(ProfileChange::default().check(), Ok(ProfileUpdate::default()));
        let change = ProfileChange {
            display_name: Some("x".repeat(101)),
            time_zone: Some("../etc/passwd".into()),
            locale: Some("e".into()),
        };
        let errors = change.check().expect_err("refused");
        assert_eq!(fields(&errors), ["display_name", "locale", "time_zone"]);
    }
}
