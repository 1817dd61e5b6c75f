//! Personal API tokens: `bo_` + 43 random characters, shown once, stored as SHA-256.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::Settings;
use baseops_core::{Acting, ApiError, FieldErrors, Grants, PermissionRegistry, Scope};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use super::security_mail::{SecurityEvent, security_notice};
use crate::model::{api_token, organization, user};
use crate::secret::{digest, random_token};
use crate::selector::grants_of;
use crate::validate::clean_name;

/// The prefix every token starts with, so secret scanners can recognise leaked ones.
pub const TOKEN_PREFIX: &str = "bo_";
/// Most scopes one token may carry.
pub const MAX_SCOPES: usize = 200;
/// Most live tokens per user.
pub const MAX_TOKENS_PER_USER: u64 = 50;

/// A token just created: `token` is shown to the user once.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    /// The secret, shown once.
    pub token: String,
    /// The stored row.
    pub row: api_token::Model,
}

/// What a token is for.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    /// A name to recognise it by.
    pub name: &'a str,
    /// Permission names; each must be one the user holds in the organization.
    pub scopes: &'a [String],
    /// When it stops working; `None` for never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token's fields, checked: a trimmed name of 1 to 100 printable characters, 1 to
/// [`MAX_SCOPES`] permissions the user holds, sorted and without duplicates, and an expiry in
/// the future, if any. Only [`NewToken::check`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFields {
    pub(crate) name: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

impl NewToken<'_> {
    /// Checks the token against `held` (the user's effective permissions in the organization
    /// it is for) at `now`. The number of scopes is checked first; at most [`MAX_SCOPES`] are
    /// then looked at one by one.
    ///
    /// # Errors
    /// Every problem, by field (`scopes[i]` for a permission not held).
    pub fn check(self, held: &Grants, now: DateTime<Utc>) -> Result<TokenFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = clean_name(self.name, "name", &mut errors);
        if self.scopes.is_empty() {
            errors.add("scopes", "must name at least one permission");
        } else if self.scopes.len() > MAX_SCOPES {
            errors.add("scopes", format!("must name at most {MAX_SCOPES} permissions"));
        }
        for (index, scope) in self.scopes.iter().enumerate().take(MAX_SCOPES) {
            if !held.contains_key(scope) {
                errors.add(format!("scopes[{index}]"), "is not a permission you hold in this organization");
            }
        }
        if self.expires_at.is_some_and(|at| at <= now) {
            errors.add("expires_at", "must be in the future");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut scopes = self.scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        Ok(TokenFields { name, scopes, expires_at: self.expires_at })
    }
}

/// Creates a token for `user_id` in `organization_id` from checked fields
/// ([`NewToken::check`], against the user's permissions there), and mails the owner a
/// security notice naming the token and the organization.
///
/// # Errors
/// As [`token_create`]; 404 for an unknown user or organization; 500 for a notice that does
/// not render.
pub async fn token_create_and_notify(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    organization_id: Uuid,
    new: TokenFields,
    settings: &Settings,
) -> Result<CreatedToken, ApiError> {
    let owner = user::Entity::find_by_id(user_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    let organization =
        organization::Entity::find_by_id(organization_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    let created = token_create(txn, acting, user_id, organization_id, new).await?;
    let event = SecurityEvent::TokenCreated { name: &created.row.name, organization: &organization.name };
    security_notice(txn, acting, &owner, event, settings, created.row.created_at).await?;
    Ok(created)
}

/// Creates a token as [`token_create_and_notify`] does, without telling the owner: for
/// fixtures that make people with tokens (the test kit). Every flow a person or an operator
/// starts goes through [`token_create_and_notify`].
///
/// # Errors
/// 409 `too_many_tokens`.
pub async fn token_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    organization_id: Uuid,
    new: TokenFields,
) -> Result<CreatedToken, ApiError> {
    let TokenFields { name, scopes, expires_at } = new;
    let now = Utc::now();
    let live = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .count(txn)
        .await?;
    if live >= MAX_TOKENS_PER_USER {
        return Err(ApiError::Conflict {
            code: "too_many_tokens",
            detail: format!("You have {MAX_TOKENS_PER_USER} live tokens; revoke one first."),
        });
    }

    let token = format!("{TOKEN_PREFIX}{}", random_token());
    let row = api_token::Model {
        id: Uuid::now_v7(),
        user_id,
        organization_id: Some(organization_id),
        name,
        prefix: token.chars().take(10).collect(),
        token_hash: digest(&token),
        scopes: serde_json::to_string(&scopes).map_err(ApiError::internal)?,
        expires_at,
        last_used_at: None,
        revoked_at: None,
        created_at: now,
    };
    api_token::Entity::insert(row.clone().into_active_model()).exec_without_returning(txn).await?;
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "token.create", "api_token", row.id).changes(
            Changes::new().set("name", None::<String>, &row.name).set("scopes", None::<()>, &scopes).set(
                "expires_at",
                None::<()>,
                row.expires_at,
            ),
        ),
    )
    .await?;
    Ok(CreatedToken { token, row })
}

/// The permissions `user` holds in the organization, which a token for it may carry: every
/// permission for a superuser (in an organization that exists), the member's grants
/// otherwise. 403 `not_a_member` when the user is not a member (or the organization does not
/// exist), alike, so the answer reveals no other organization.
///
/// # Errors
/// As above, and database errors.
pub async fn held_permissions(
    db: &impl ConnectionTrait,
    user: &user::Model,
    organization_id: Uuid,
    registry: &PermissionRegistry,
) -> Result<Grants, ApiError> {
    let held = if user.is_superuser {
        let exists = organization::Entity::find_by_id(organization_id).count(db).await? > 0;
        exists.then(|| registry.permissions().iter().map(|p| (p.name.to_owned(), Scope::All)).collect())
    } else {
        grants_of(db, user.id, organization_id).await?
    };
    held.ok_or_else(|| ApiError::Refused {
        code: "not_a_member",
        detail: "You are not a member of that organization.".into(),
    })
}

/// Revokes one of the user's own tokens; 404 for anyone else's or an unknown id.
///
/// # Errors
/// As above.
pub async fn token_revoke(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    token_id: Uuid,
) -> Result<(), ApiError> {
    let found = api_token::Entity::find_by_id(token_id)
        .filter(api_token::Column::UserId.eq(user_id))
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    if found.revoked_at.is_some() {
        return Ok(());
    }
    let now = Utc::now();
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
        .filter(api_token::Column::Id.eq(token_id))
        .exec(txn)
        .await?;
    record(
        txn,
        AuditEntry::new(acting, found.organization_id, "token.revoke", "api_token", token_id)
            .changes(Changes::new().set("revoked_at", None::<()>, now)),
    )
    .await?;
    baseops_roles::epoch::access_changed(txn).await?;
    Ok(())
}

/// Revokes every live token of a user (deactivation, and a password reset when
/// `auth.revoke_tokens_on_password_reset` is on); returns how many. The caller records why.
///
/// # Errors
/// Database errors.
pub async fn token_revoke_all(txn: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, ApiError> {
    let revoked = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?
        .rows_affected;
    if revoked > 0 {
        baseops_roles::epoch::access_changed(txn).await?;
    }
    Ok(revoked)
}

/// Parses a token's stored scopes.
pub fn scopes_of(row: &api_token::Model) -> Vec<String> {
    serde_json::from_str(&row.scopes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use baseops_core::Scope;
    use chrono::Duration;

    use super::*;

    fn held() -> Grants {
        [("roles.view", Scope::All), ("tasks.view", Scope::Own)]
            .map(|(name, scope)| (name.to_owned(), scope))
            .into()
    }

    #[test]
    fn a_token_carries_permissions_its_owner_holds() {
        let now = Utc::now();
        let scopes = ["tasks.view".to_owned(), "roles.view".to_owned(), "tasks.view".to_owned()];
        let new = NewToken { name: " ci ", scopes: &scopes, expires_at: Some(now + Duration::days(1)) };
        let checked = new.check(&held(), now).expect("accepted");
        assert_eq!(checked.name, "ci");
        assert_eq!(checked.scopes, ["roles.view", "tasks.view"]);

        let scopes = ["roles.view".to_owned(), "no.such".to_owned()];
        let new = NewToken { name: "", scopes: &scopes, expires_at: Some(now) };
        let errors = new.check(&held(), now).expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["expires_at", "name", "scopes[1]"]);
    }

    #[test]
    fn the_scope_count_comes_before_each_scope() {
        let now = Utc::now();
        let none = NewToken { name: "ci", scopes: &[], expires_at: None }.check(&held(), now);
        assert_eq!(
            none.expect_err("refused").get("scopes"),
            Some(&["must name at least one permission".to_owned()][..])
        );
        let many: Vec<String> = (0..MAX_SCOPES + 5).map(|n| format!("made.up{n}")).collect();
        let errors = NewToken { name: "ci", scopes: &many, expires_at: None }
            .check(&held(), now)
            .expect_err("refused");
        assert_eq!(errors.iter().count(), 1 + MAX_SCOPES, "the count, then the first 200 one by one");
    }
}
