//! Invitations: a member with `members.invite` asks someone, by e-mail address, into the
//! organization with one of the default roles; the mailed single-use link makes them a
//! member, creating their account when the address has none.
//!
//! Invitations are tenant-owned: every function takes the organization and finds nothing of
//! another one. The inviter hands out no more than they hold, and only an owner invites an
//! owner ([`baseops_roles::Granter`]).

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::Settings;
use baseops_core::{Acting, Actor, ApiError, Email, FieldErrors};
use baseops_email::{Templates, enqueue_email};
use baseops_roles::{DEFAULT_ROLES, DefaultRole, OWNER, member_role_give, role_get_by_key};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::onetime::{self, NewToken, Purpose, days_after, invalid_link, link};
use super::organization::member_add;
use super::recovery::mark_verified;
use super::user::{NewUser, user_create};
use crate::model::{membership, one_time_token, organization, user};
use crate::password::PasswordHashing;

/// Most pending invitations an organization may have at once.
pub const MAX_PENDING_INVITATIONS: u64 = 200;
/// The console page an invitation link opens.
pub const ACCEPT_PATH: &str = "/admin/accept-invitation";

/// Who is invited, and as what.
#[derive(Debug, Clone, Copy)]
pub struct NewInvitation<'a> {
    /// Their e-mail address (normalized by the check).
    pub email: &'a str,
    /// A default role's key: `owner`, `admin`, `manager`, `sales`, …
    pub role: &'a str,
}

/// An invitation, checked: a valid address (lower-case) and one of the default roles (not yet
/// known to be one the inviter may hand out). Only [`NewInvitation::check`] makes one.
#[derive(Debug, Clone)]
pub struct InvitationFields {
    pub(crate) email: Email,
    pub(crate) role: &'static DefaultRole,
}

impl NewInvitation<'_> {
    /// Checks the address and the role.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn check(self) -> Result<InvitationFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = Email::parse(self.email)
            .map_err(|error| {
                errors.add("email", error.to_string());
            })
            .ok();
        let role = DEFAULT_ROLES.iter().find(|role| role.key == self.role);
        if role.is_none() {
            let keys: Vec<&str> = DEFAULT_ROLES.iter().map(|role| role.key).collect();
            errors.add("role", format!("must be one of {}", keys.join(", ")));
        }
        match (email, role) {
            (Some(email), Some(role)) => Ok(InvitationFields { email, role }),
            _ => Err(errors),
        }
    }
}

/// An invitation just created: its row and the job that mails its link once the transaction
/// commits.
#[derive(Debug, Clone)]
pub struct CreatedInvitation {
    /// The stored invitation.
    pub invitation: one_time_token::Model,
    /// The e-mail job carrying the link.
    pub email_job_id: Uuid,
}

/// Invites `new.email` into the organization and enqueues the message carrying the link (in the
/// invited account's language when the address has one). The inviter is a
/// [`baseops_roles::Granter`]: the role's grants must be within their own — nobody hands out
/// more than they hold — and only an owner invites an owner.
///
/// `new` was checked at the edge ([`NewInvitation::check`]).
///
/// # Errors
/// 403 `role_not_allowed` for an owner invitation by a non-owner, or a role granting more than
/// the inviter holds; 409 `already_member`, `already_invited`,
/// `too_many_invitations`, `role_unavailable`; database errors; 500 for a template that does
/// not render.
pub async fn invitation_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    new: InvitationFields,
    inviter: &baseops_roles::Granter,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<CreatedInvitation, ApiError> {
    let InvitationFields { email, role } = new;
    let email = email.into_inner();
    if role.key == OWNER {
        inviter.ensure_owner()?;
    } else {
        let roles = baseops_roles::role_list(txn, organization_id).await?;
        let found = roles.iter().find(|found| found.key.as_deref() == Some(role.key));
        let Some(found) = found else { return Err(role_unavailable()) };
        inviter.ensure_covers(&found.grants, &format!("The {} role", role.name))?;
    }
    let org = organization::Entity::find_by_id(organization_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    if role_get_by_key(txn, organization_id, role.key).await?.is_none() {
        return Err(role_unavailable());
    }
    let existing = user::Entity::find().filter(user::Column::Email.eq(&email)).one(txn).await?;
    if let Some(existing) = &existing
        && is_member(txn, organization_id, existing.id).await?
    {
        return Err(ApiError::Conflict {
            code: "already_member",
            detail: "Someone with this e-mail address is already a member.".into(),
        });
    }
    let pending = pending_query(organization_id, now);
    if pending.clone().filter(one_time_token::Column::Email.eq(&email)).count(txn).await? > 0 {
        return Err(ApiError::Conflict {
            code: "already_invited",
            detail: "This address has a pending invitation; revoke it to send a new one.".into(),
        });
    }
    if pending.count(txn).await? >= MAX_PENDING_INVITATIONS {
        return Err(ApiError::Conflict {
            code: "too_many_invitations",
            detail: format!(
                "The organization has {MAX_PENDING_INVITATIONS} pending invitations; revoke some first."
            ),
        });
    }

    let valid_days = settings.auth.invitation_valid_days;
    let inviter = acting.actor.user_id();
    let issued = onetime::issue(
        txn,
        NewToken {
            purpose: Purpose::Invitation,
            user_id: None,
            organization_id: Some(organization_id),
            email: &email,
            role_key: Some(role.key),
            created_by: inviter,
            expires_at: days_after(now, valid_days),
        },
        now,
    )
    .await?;
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "invitation.create", "invitation", issued.row.id)
            .changes(Changes::new().set("email", None::<()>, &email).set("role", None::<()>, role.key).set(
                "expires_at",
                None::<()>,
                issued.row.expires_at,
            )),
    )
    .await?;

    let inviter_name = match inviter {
        Some(id) => user::Entity::find_by_id(id).one(txn).await?.map(|user| user.display_name),
        None => None,
    }
    .unwrap_or_else(|| "Someone".to_owned());
    let context = InvitationMail {
        inviter_name: &inviter_name,
        organization: &org.name,
        role: role.name,
        url: link(settings, ACCEPT_PATH, &issued.token),
        token: &issued.token,
        valid_days,
    };
    let locale = existing.as_ref().map(|user| user.locale.as_str());
    let message = Templates::from_settings(settings)
        .render("invitation", locale, &email, context)
        .map_err(ApiError::internal)?;
    let email_job_id = enqueue_email(txn, acting, Some(organization_id), message).await?;
    Ok(CreatedInvitation { invitation: issued.row, email_job_id })
}

/// What the invitation templates see.
#[derive(serde::Serialize)]
struct InvitationMail<'a> {
    inviter_name: &'a str,
    organization: &'a str,
    role: &'a str,
    url: String,
    token: &'a str,
    valid_days: u64,
}

/// The organization's pending invitations (not used, not expired), newest first.
///
/// # Errors
/// Database errors.
pub async fn invitation_list_pending(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<one_time_token::Model>, DbErr> {
    pending_query(organization_id, now)
        .order_by_desc(one_time_token::Column::Id)
        .limit(MAX_PENDING_INVITATIONS)
        .all(db)
        .await
}

/// Revokes an invitation of this organization that was not accepted: its link stops working.
///
/// # Errors
/// 404 for an unknown or accepted invitation, or another organization's.
pub async fn invitation_revoke(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    invitation_id: Uuid,
) -> Result<(), ApiError> {
    let found = one_time_token::Entity::find_by_id(invitation_id)
        .filter(one_time_token::Column::OrganizationId.eq(organization_id))
        .filter(one_time_token::Column::Purpose.eq(Purpose::Invitation.as_str()))
        .filter(one_time_token::Column::UsedAt.is_null())
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    one_time_token::Entity::delete_by_id(invitation_id).exec(txn).await?;
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "invitation.revoke", "invitation", invitation_id)
            .changes(Changes::new().set("email", &found.email, None::<()>).set(
                "role",
                &found.role_key,
                None::<()>,
            )),
    )
    .await?;
    Ok(())
}

/// What someone accepting an invitation sends: the link's token and, to create an account
/// when the address has none, a display name and a password.
#[derive(Debug, Clone, Copy)]
pub struct Acceptance<'a> {
    /// The token from the link.
    pub token: &'a str,
    /// Their display name, for a new account.
    pub display_name: Option<&'a str>,
    /// Their password, for a new account.
    pub password: Option<&'a str>,
}

/// The membership an accepted invitation made.
#[derive(Debug, Clone, Copy)]
pub struct Accepted {
    /// The organization joined.
    pub organization_id: Uuid,
    /// The member (created now, or the signed-in user).
    pub user_id: Uuid,
    /// The new membership.
    pub membership_id: Uuid,
}

/// Accepts an invitation. When the invited address has an account, `signed_in` must be that
/// account; otherwise `acceptance` must carry a display name and a password and the account is
/// created (its address counts as verified: the link reached it). The user becomes a member
/// with the invited role, and the link stops working.
///
/// # Errors
/// 400 `invalid_link`; 403 `wrong_account`; 422 for a missing or bad display name or
/// password; 409 `already_member` or `role_unavailable`; database errors.
pub async fn invitation_accept(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    signed_in: Option<Uuid>,
    acceptance: Acceptance<'_>,
    hashing: &PasswordHashing,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Accepted, ApiError> {
    let invitation = onetime::consume(txn, Purpose::Invitation, acceptance.token, now).await?;
    let organization_id = invitation.organization_id.ok_or_else(invalid_link)?;
    let role_key = invitation.role_key.as_deref().ok_or_else(invalid_link)?;
    let role_id = role_get_by_key(txn, organization_id, role_key).await?.ok_or_else(role_unavailable)?;

    let existing = user::Entity::find().filter(user::Column::Email.eq(&invitation.email)).one(txn).await?;
    let (user_id, created) = match existing {
        Some(existing) if signed_in == Some(existing.id) => (existing.id, false),
        Some(_) => {
            return Err(ApiError::Refused {
                code: "wrong_account",
                detail: "This invitation is for an existing account: log in as it, then accept.".into(),
            });
        }
        None => {
            let mut errors = FieldErrors::new();
            if acceptance.display_name.is_none() {
                errors.add("display_name", "is required to create your account");
            }
            if acceptance.password.is_none() {
                errors.add("password", "is required to create your account");
            }
            errors.into_result()?;
            // The account's fields are checked here, not at the edge: whether there is an
            // account to create, and the address its password is judged against, come from
            // the invitation.
            let new = NewUser {
                email: &invitation.email,
                display_name: acceptance.display_name.unwrap_or_default(),
                password: acceptance.password,
                is_superuser: false,
            }
            .check(&settings.auth)
            .map_err(ApiError::Validation)?;
            let created = user_create(txn, acting, new, hashing).await?;
            let id = created.id;
            mark_verified(txn, acting, created, now).await?;
            (id, true)
        }
    };
    // From here on the new member acts: the trail shows who joined, not an anonymous caller.
    let member = Actor::User { user_id };
    let acting = if created { Acting { actor: &member, origin: acting.origin } } else { acting };
    let membership = member_add(txn, acting, organization_id, user_id).await?;
    member_role_give(txn, acting, organization_id, membership.id, role_id).await?;
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "invitation.accept", "invitation", invitation.id)
            .changes(
                Changes::new()
                    .set("user_id", None::<()>, user_id)
                    .set("membership_id", None::<()>, membership.id)
                    .set("account_created", None::<()>, created),
            ),
    )
    .await?;
    Ok(Accepted { organization_id, user_id, membership_id: membership.id })
}

fn role_unavailable() -> ApiError {
    ApiError::Conflict {
        code: "role_unavailable",
        detail: "The organization no longer has the role this invitation grants.".into(),
    }
}

fn pending_query(organization_id: Uuid, now: DateTime<Utc>) -> sea_orm::Select<one_time_token::Entity> {
    one_time_token::Entity::find()
        .filter(one_time_token::Column::OrganizationId.eq(organization_id))
        .filter(one_time_token::Column::Purpose.eq(Purpose::Invitation.as_str()))
        .filter(one_time_token::Column::UsedAt.is_null())
        .filter(one_time_token::Column::ExpiresAt.gt(now))
}

async fn is_member(db: &impl ConnectionTrait, organization_id: Uuid, user_id: Uuid) -> Result<bool, DbErr> {
    let found = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::UserId.eq(user_id))
        .count(db)
        .await?;
    Ok(found > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_names_an_address_and_a_default_role() {
        let checked = NewInvitation { email: " Nina@Example.com", role: "sales" }.check().expect("accepted");
        assert_eq!((checked.email.as_str(), checked.role.key), ("nina@example.com", "sales"));
        let errors =
            NewInvitation { email: "<script>@example.com", role: "king" }.check().expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["email", "role"]);
        let listed = errors.get("role").and_then(|messages| messages.first()).cloned().unwrap_or_default();
        assert!(listed.starts_with("must be one of owner, admin"), "{listed}");
    }
}
