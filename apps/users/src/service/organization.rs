//! Creating organizations: the creator becomes a member with the owner role, and the
//! default roles are seeded.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors, PermissionDef};
use baseops_roles::{OWNER, give_role, seed_defaults};
use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::conflict_on_unique;
use crate::model::{membership, organization};
use crate::validate::{check_currency, check_slug, check_time_zone, clean_name, slugify};

/// Most organizations one user may create.
pub const MAX_ORGANIZATIONS_PER_USER: u64 = 100;

/// A new organization, as the API accepts it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    /// Display name, 1–100 characters.
    pub name: String,
    /// URL name; made from the name when absent.
    pub slug: Option<String>,
    /// ISO 4217 code; `USD` when absent.
    pub currency: Option<String>,
    /// IANA time zone; `UTC` when absent.
    pub time_zone: Option<String>,
}

#[derive(Serialize)]
struct Audited<'a> {
    name: &'a str,
    slug: &'a str,
    currency: &'a str,
    time_zone: &'a str,
}

/// Creates an organization owned by `owner_id`.
///
/// # Errors
/// 422 for bad fields, 409 `slug_taken`, 409 `too_many_organizations`.
pub async fn create_organization(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    owner_id: Uuid,
    new: NewOrganization,
    registry: &[PermissionDef],
) -> Result<organization::Model, ApiError> {
    let mut errors = FieldErrors::new();
    let name = clean_name(&new.name, "name", &mut errors);
    let slug = new.slug.unwrap_or_else(|| slugify(&name));
    if let Err(message) = check_slug(&slug) {
        errors.add("slug", message);
    }
    let currency = new.currency.unwrap_or_else(|| "USD".to_owned());
    if let Err(message) = check_currency(&currency) {
        errors.add("currency", message);
    }
    let time_zone = new.time_zone.unwrap_or_else(|| "UTC".to_owned());
    if let Err(message) = check_time_zone(&time_zone) {
        errors.add("time_zone", message);
    }
    errors.into_result()?;
    let owned = membership::Entity::find().filter(membership::Column::UserId.eq(owner_id)).count(txn).await?;
    if owned >= MAX_ORGANIZATIONS_PER_USER {
        return Err(ApiError::Conflict {
            code: "too_many_organizations",
            detail: format!("A user may belong to at most {MAX_ORGANIZATIONS_PER_USER} organizations."),
        });
    }

    let now = Utc::now();
    let org = organization::Model {
        id: Uuid::now_v7(),
        name,
        slug,
        currency,
        time_zone,
        created_at: now,
        updated_at: now,
    };
    organization::Entity::insert(org.clone().into_active_model())
        .exec_without_returning(txn)
        .await
        .map_err(|error| conflict_on_unique(error, "slug_taken", "An organization with this slug exists."))?;
    record(
        txn,
        AuditEntry::new(acting, Some(org.id), "organization.create", "organization", org.id).changes(
            Changes::created(&Audited {
                name: &org.name,
                slug: &org.slug,
                currency: &org.currency,
                time_zone: &org.time_zone,
            }),
        ),
    )
    .await?;
    let member = add_member(txn, acting, org.id, owner_id).await?;
    let roles = seed_defaults(txn, acting, org.id, registry).await?;
    give_role(txn, acting, org.id, member.id, roles[OWNER]).await?;
    Ok(org)
}

/// Makes a user a member of an organization (no roles yet).
///
/// # Errors
/// 409 `already_member`.
pub async fn add_member(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<membership::Model, ApiError> {
    let member = membership::Model { id: Uuid::now_v7(), organization_id, user_id, created_at: Utc::now() };
    membership::Entity::insert(member.clone().into_active_model())
        .exec_without_returning(txn)
        .await
        .map_err(|error| conflict_on_unique(error, "already_member", "The user is already a member."))?;
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "membership.create", "membership", member.id)
            .changes(Changes::new().set("user_id", None::<Uuid>, user_id)),
    )
    .await?;
    Ok(member)
}

/// Removes a member from an organization (their roles there go with the membership). The
/// last owner cannot be removed.
///
/// # Errors
/// 404 for a membership of another organization, 409 `last_owner`.
pub async fn remove_member(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    membership_id: Uuid,
) -> Result<membership::Model, ApiError> {
    let member = find_member(txn, organization_id, membership_id).await?;
    baseops_roles::ensure_not_last_owner(txn, organization_id, membership_id).await?;
    membership::Entity::delete_by_id(membership_id).exec(txn).await?;
    let entry =
        AuditEntry::new(acting, Some(organization_id), "membership.delete", "membership", membership_id);
    record(txn, entry.changes(Changes::new().set("user_id", member.user_id, None::<()>))).await?;
    Ok(member)
}

/// A membership of this organization, or 404.
///
/// # Errors
/// 404, database errors.
pub async fn find_member(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    membership_id: Uuid,
) -> Result<membership::Model, ApiError> {
    membership::Entity::find_by_id(membership_id)
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Changes to an organization; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationChange {
    /// New name.
    pub name: Option<String>,
    /// New slug (links and `X-Organization` values with the old one stop working).
    pub slug: Option<String>,
    /// New default currency.
    pub currency: Option<String>,
    /// New default time zone.
    pub time_zone: Option<String>,
}

/// Edits the organization.
///
/// # Errors
/// 404, 422 for bad fields, 409 `slug_taken`.
pub async fn update_organization(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    change: OrganizationChange,
) -> Result<organization::Model, ApiError> {
    let before =
        organization::Entity::find_by_id(organization_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    let mut after = before.clone();
    let mut errors = FieldErrors::new();
    if let Some(name) = change.name {
        after.name = clean_name(&name, "name", &mut errors);
    }
    if let Some(slug) = change.slug {
        if let Err(message) = check_slug(&slug) {
            errors.add("slug", message);
        }
        after.slug = slug;
    }
    if let Some(currency) = change.currency {
        if let Err(message) = check_currency(&currency) {
            errors.add("currency", message);
        }
        after.currency = currency;
    }
    if let Some(zone) = change.time_zone {
        if let Err(message) = check_time_zone(&zone) {
            errors.add("time_zone", message);
        }
        after.time_zone = zone;
    }
    errors.into_result()?;
    let audited = |org: &organization::Model| serde_json::json!({"name": org.name, "slug": org.slug, "currency": org.currency, "time_zone": org.time_zone});
    let changes = Changes::between(&audited(&before), &audited(&after));
    if changes.is_empty() {
        return Ok(before);
    }
    after.updated_at = Utc::now();
    let mut active = before.clone().into_active_model();
    active.name = Set(after.name.clone());
    active.slug = Set(after.slug.clone());
    active.currency = Set(after.currency.clone());
    active.time_zone = Set(after.time_zone.clone());
    active.updated_at = Set(after.updated_at);
    active
        .update(txn)
        .await
        .map_err(|error| conflict_on_unique(error, "slug_taken", "An organization with this slug exists."))?;
    let entry = AuditEntry::new(
        acting,
        Some(organization_id),
        "organization.update",
        "organization",
        organization_id,
    );
    record(txn, entry.changes(changes)).await?;
    Ok(after)
}

/// Deletes an organization and everything it owns (memberships, roles, tokens, and the
/// records of every app, by cascade). Its audit trail stays.
///
/// # Errors
/// 404, database errors.
pub async fn delete_organization(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
) -> Result<(), ApiError> {
    let found =
        organization::Entity::find_by_id(organization_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    organization::Entity::delete_by_id(organization_id).exec(txn).await?;
    let entry = AuditEntry::new(
        acting,
        Some(organization_id),
        "organization.delete",
        "organization",
        organization_id,
    );
    record(
        txn,
        entry.changes(Changes::new().set("name", &found.name, None::<()>).set(
            "slug",
            &found.slug,
            None::<()>,
        )),
    )
    .await?;
    Ok(())
}
