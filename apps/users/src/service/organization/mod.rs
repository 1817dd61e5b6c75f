//! Organizations and their members: creating one (the creator becomes a member with the
//! owner role, and the default roles are seeded), editing and deleting it, adding and
//! removing members and replacing their roles. Bodies arrive checked ([`input`]); what only
//! the database can tell — a slug taken, a membership of this organization, the last owner —
//! is checked here.

mod input;

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, PermissionRegistry, check_version};
use baseops_roles::{OWNER, member_role_give, role_seed_defaults};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter};
use serde::Serialize;
use uuid::Uuid;

use super::conflict_on_unique;
use crate::model::{membership, organization};

pub use input::{
    MAX_MEMBER_ROLES, MemberRoles, NewOrganization, OrganizationChange, OrganizationFields,
    OrganizationUpdate, RoleSet,
};

/// Most organizations one user may create.
pub const MAX_ORGANIZATIONS_PER_USER: u64 = 100;

#[derive(Serialize)]
struct Audited<'a> {
    name: &'a str,
    slug: &'a str,
    currency: &'a str,
    time_zone: &'a str,
}

/// Creates an organization owned by `owner_id`; `new` was checked at the edge
/// ([`NewOrganization::check`]).
///
/// # Errors
/// 409 `slug_taken`, 409 `too_many_organizations`.
pub async fn organization_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    owner_id: Uuid,
    new: OrganizationFields,
    registry: &PermissionRegistry,
) -> Result<organization::Model, ApiError> {
    let OrganizationFields { name, slug, currency, time_zone } = new;
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
        currency: currency.code().to_owned(),
        time_zone,
        created_at: now,
        updated_at: now,
        version: 1,
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
    let member = member_add(txn, acting, org.id, owner_id).await?;
    let roles = role_seed_defaults(txn, acting, org.id, registry).await?;
    member_role_give(txn, acting, org.id, member.id, roles[OWNER]).await?;
    Ok(org)
}

/// Makes a user a member of an organization (no roles yet).
///
/// # Errors
/// 409 `already_member`.
pub async fn member_add(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<membership::Model, ApiError> {
    let member = membership::Model {
        id: Uuid::now_v7(),
        organization_id,
        user_id,
        created_at: Utc::now(),
        version: 1,
    };
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
    baseops_roles::epoch::access_changed(txn).await?;
    Ok(member)
}

/// Removes a member from an organization (their roles there go with the membership). The
/// last owner cannot be removed.
///
/// # Errors
/// 404 for a membership of another organization, 409 `last_owner`.
pub async fn member_remove(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    membership_id: Uuid,
) -> Result<membership::Model, ApiError> {
    let member = member_find(txn, organization_id, membership_id).await?;
    baseops_roles::owner_ensure_not_last(txn, organization_id, membership_id).await?;
    membership::Entity::delete_by_id(membership_id).exec(txn).await?;
    let entry =
        AuditEntry::new(acting, Some(organization_id), "membership.delete", "membership", membership_id);
    record(txn, entry.changes(Changes::new().set("user_id", member.user_id, None::<()>))).await?;
    baseops_roles::epoch::access_changed(txn).await?;
    Ok(member)
}

/// A membership of this organization, or 404.
///
/// # Errors
/// 404, database errors.
pub async fn member_find(
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

/// Replaces a member's roles with `role_ids` (through the roles app's `member_roles_set`),
/// at the membership's version when `expected` (the client's `If-Match`) is given.
///
/// The membership's version is the version of its role set (see
/// [`membership::Model::version`]). A change bumps it first — `UPDATE memberships … WHERE id
/// = ? AND version = ?` — so that, of two writers holding the same version, the second waits
/// for the first and then gets 412 instead of interleaving its rows; a set equal to the
/// current one changes nothing and keeps the version.
///
/// `roles` were checked at the edge ([`MemberRoles::check`]).
///
/// # Errors
/// 404 for a membership of another organization, 412 `version_mismatch`, 422 for roles of
/// another organization or unknown ids, 403 `role_not_allowed` (see
/// [`baseops_roles::Granter`]), 409 `last_owner`.
pub async fn member_roles_replace(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    granter: &baseops_roles::Granter,
    organization_id: Uuid,
    membership_id: Uuid,
    expected: Option<i32>,
    roles: &RoleSet,
) -> Result<membership::Model, ApiError> {
    let member = member_find(txn, organization_id, membership_id).await?;
    check_version(member.version, expected)?;
    let wanted = roles.ids();
    let mut current = baseops_roles::member_role_list(txn, vec![membership_id])
        .await?
        .remove(&membership_id)
        .unwrap_or_default();
    current.sort();
    if current == wanted {
        return Ok(member);
    }
    let mut bump = membership::Entity::update_many()
        .col_expr(membership::Column::Version, Expr::col(membership::Column::Version).add(1))
        .filter(membership::Column::Id.eq(membership_id));
    if let Some(expected) = expected {
        bump = bump.filter(membership::Column::Version.eq(expected));
    }
    if bump.exec(txn).await?.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    baseops_roles::member_roles_set(txn, acting, granter, organization_id, membership_id, wanted).await?;
    member_find(txn, organization_id, membership_id).await
}

/// Edits the organization. With `expected` (the client's `If-Match`) the change applies
/// only at that version: one `UPDATE … WHERE id = ? AND version = ?`, so of two writers
/// holding the same version the second gets 412. Every change bumps the version; a request
/// that changes nothing leaves it. `update` was checked at the edge
/// ([`OrganizationChange::check`]).
///
/// # Errors
/// 404, 412 `version_mismatch`, 409 `slug_taken`.
pub async fn organization_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    expected: Option<i32>,
    update: OrganizationUpdate,
) -> Result<organization::Model, ApiError> {
    let before =
        organization::Entity::find_by_id(organization_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    check_version(before.version, expected)?;
    let mut after = before.clone();
    let OrganizationUpdate { name, slug, currency, time_zone } = update;
    after.name = name.unwrap_or(after.name);
    after.slug = slug.unwrap_or(after.slug);
    after.currency = currency.map_or(after.currency, |currency| currency.code().to_owned());
    after.time_zone = time_zone.unwrap_or(after.time_zone);
    let audited = |org: &organization::Model| serde_json::json!({"name": org.name, "slug": org.slug, "currency": org.currency, "time_zone": org.time_zone});
    let changes = Changes::between(&audited(&before), &audited(&after));
    if changes.is_empty() {
        return Ok(before);
    }
    let mut update = organization::Entity::update_many()
        .col_expr(organization::Column::Name, Expr::value(after.name.clone()))
        .col_expr(organization::Column::Slug, Expr::value(after.slug.clone()))
        .col_expr(organization::Column::Currency, Expr::value(after.currency.clone()))
        .col_expr(organization::Column::TimeZone, Expr::value(after.time_zone.clone()))
        .col_expr(organization::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(organization::Column::Version, Expr::col(organization::Column::Version).add(1))
        .filter(organization::Column::Id.eq(organization_id));
    if let Some(expected) = expected {
        update = update.filter(organization::Column::Version.eq(expected));
    }
    let updated = update
        .exec(txn)
        .await
        .map_err(|error| conflict_on_unique(error, "slug_taken", "An organization with this slug exists."))?;
    if updated.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    let entry = AuditEntry::new(
        acting,
        Some(organization_id),
        "organization.update",
        "organization",
        organization_id,
    );
    record(txn, entry.changes(changes)).await?;
    if before.slug != after.slug || before.name != after.name {
        // A cached principal was resolved from `X-Organization` (maybe the old slug) and
        // carries the names the console's switcher shows.
        baseops_roles::epoch::access_changed(txn).await?;
    }
    organization::Entity::find_by_id(organization_id).one(txn).await?.ok_or(ApiError::NotFound)
}

/// Deletes an organization and everything it owns (memberships, roles, tokens, and the
/// records of every app, by cascade). Its audit trail stays.
///
/// # Errors
/// 404, database errors.
pub async fn organization_delete(
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
    baseops_roles::epoch::access_changed(txn).await?;
    Ok(())
}
