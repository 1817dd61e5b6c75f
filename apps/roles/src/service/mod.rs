//! Writes: seeding default roles, custom roles, and giving members roles. Every function runs
//! inside the caller's transaction and records its audit event there. A custom role's fields
//! arrive checked ([`RoleInput`]'s checks, made by the handler); what only the database can
//! tell — a name taken, the organization's role count, the owner role — is checked here.

mod granter;
mod role_input;

use std::collections::BTreeMap;

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, PermissionRegistry, Scope, check_version};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter,
};
use uuid::Uuid;

use crate::defaults::OWNER;
use crate::epoch::access_changed;
use crate::model::{membership_role, role, role_grant};

pub use granter::Granter;
pub use role_input::{
    MAX_ROLE_DESCRIPTION_LEN, MAX_ROLE_NAME_LEN, MAX_ROLES_PER_ORGANIZATION, RoleChanges, RoleFields,
    RoleInput,
};

/// Creates every default role of `registry` the organization lacks (by key), with the grants
/// its rules and the apps give it. Roles that exist — renamed or edited — are left as they are.
/// Returns the id of every default role, by key.
///
/// # Errors
/// Database errors; the caller's transaction should roll back.
pub async fn role_seed_defaults(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    registry: &PermissionRegistry,
) -> Result<BTreeMap<&'static str, Uuid>, DbErr> {
    let existing = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(organization_id))
        .filter(role::Column::Key.is_not_null())
        .all(txn)
        .await?;
    let mut ids = BTreeMap::new();
    for default in registry.default_roles() {
        if let Some(found) = existing.iter().find(|role| role.key.as_deref() == Some(default.key)) {
            ids.insert(default.key, found.id);
            continue;
        }
        let now = chrono::Utc::now();
        let id = Uuid::now_v7();
        let granted = registry.grants_of(default);
        role::Entity::insert(role::ActiveModel {
            id: Set(id),
            organization_id: Set(organization_id),
            key: Set(Some(default.key.to_owned())),
            name: Set(default.name.to_owned()),
            description: Set(default.description.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        })
        .exec_without_returning(txn)
        .await?;
        insert_grants(txn, id, granted.iter().map(|(name, scope)| (name.to_string(), scope.as_str())))
            .await?;
        let summary: BTreeMap<&str, &str> =
            granted.iter().map(|(name, scope)| (*name, scope.as_str())).collect();
        record(
            txn,
            AuditEntry::new(acting, Some(organization_id), "role.create", "role", id).changes(
                Changes::new().set("name", None::<String>, default.name).set("grants", None::<()>, summary),
            ),
        )
        .await?;
        ids.insert(default.key, id);
    }
    Ok(ids)
}

async fn insert_grants(
    txn: &impl ConnectionTrait,
    role_id: Uuid,
    grants: impl Iterator<Item = (String, &'static str)>,
) -> Result<(), DbErr> {
    let rows: Vec<role_grant::ActiveModel> = grants
        .map(|(permission, scope)| role_grant::ActiveModel {
            role_id: Set(role_id),
            permission: Set(permission),
            scope: Set(scope.to_owned()),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    role_grant::Entity::insert_many(rows).exec_without_returning(txn).await?;
    Ok(())
}

/// Gives a membership a role (nothing happens when it already has it).
///
/// # Errors
/// Database errors, e.g. a role or membership that does not exist.
pub async fn member_role_give(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    membership_id: Uuid,
    role_id: Uuid,
) -> Result<(), DbErr> {
    let inserted = membership_role::Entity::insert(membership_role::ActiveModel {
        membership_id: Set(membership_id),
        role_id: Set(role_id),
    })
    .on_conflict(
        OnConflict::columns([membership_role::Column::MembershipId, membership_role::Column::RoleId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    if inserted > 0 {
        record(
            txn,
            AuditEntry::new(
                acting,
                Some(organization_id),
                "membership.role_given",
                "membership",
                membership_id,
            )
            .changes(Changes::new().set("role_id", None::<Uuid>, role_id)),
        )
        .await?;
        access_changed(txn).await?;
    }
    Ok(())
}

fn name_taken(error: DbErr) -> ApiError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::Conflict { code: "role_name_taken", detail: "A role with this name exists.".into() }
        }
        _ => ApiError::from(error),
    }
}

async fn grants_of(txn: &impl ConnectionTrait, role_id: Uuid) -> Result<BTreeMap<String, Scope>, DbErr> {
    let rows = role_grant::Entity::find().filter(role_grant::Column::RoleId.eq(role_id)).all(txn).await?;
    Ok(rows.into_iter().filter_map(|row| Some((row.permission, Scope::parse(&row.scope)?))).collect())
}

/// Creates a custom role; `fields` were checked at the edge ([`RoleInput::check_new`]).
///
/// # Errors
/// 403 `role_not_allowed` for grants the granter does not hold; 409 `role_name_taken` or
/// `too_many_roles`.
pub async fn role_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    granter: &Granter,
    organization_id: Uuid,
    fields: RoleFields,
) -> Result<role::Model, ApiError> {
    let RoleFields { name, description, grants } = fields;
    granter.ensure_covers(&grants, &format!("The role {name}"))?;
    let count =
        role::Entity::find().filter(role::Column::OrganizationId.eq(organization_id)).count(txn).await?;
    if count >= MAX_ROLES_PER_ORGANIZATION {
        return Err(ApiError::Conflict {
            code: "too_many_roles",
            detail: format!("An organization has at most {MAX_ROLES_PER_ORGANIZATION} roles."),
        });
    }
    let now = chrono::Utc::now();
    let model = role::Model {
        id: Uuid::now_v7(),
        organization_id,
        key: None,
        name,
        description,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    role::Entity::insert(model.clone().into_active_model())
        .exec_without_returning(txn)
        .await
        .map_err(name_taken)?;
    insert_grants(txn, model.id, grants.iter().map(|(name, scope)| (name.clone(), scope.as_str()))).await?;
    let entry = AuditEntry::new(acting, Some(organization_id), "role.create", "role", model.id);
    record(
        txn,
        entry.changes(Changes::new().set("name", None::<()>, &model.name).set("grants", None::<()>, &grants)),
    )
    .await?;
    Ok(model)
}

/// Edits a role. The owner role's grants are fixed: it always holds every permission, so an
/// organization can never lock itself out.
///
/// With `expected` (the client's `If-Match`) the change applies only at that version: the
/// role row is updated first, `… WHERE id = ? AND version = ?`, so of two writers holding the
/// same version the second waits for the first and then gets 412 before touching the
/// grants. Every change bumps the version; a request that changes nothing leaves it.
/// `changes` were checked at the edge ([`RoleInput::check_changes`]).
///
/// Only a role within the granter's own grants may be edited, and only to grants within them.
///
/// # Errors
/// 404 for another organization's role, 403 `role_not_allowed`, 412 `version_mismatch`, 409
/// `role_name_taken` or `owner_role_fixed`.
pub async fn role_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    granter: &Granter,
    organization_id: Uuid,
    role_id: Uuid,
    expected: Option<i32>,
    changes: RoleChanges,
) -> Result<role::Model, ApiError> {
    let before = find_role(txn, organization_id, role_id).await?;
    check_version(before.version, expected)?;
    let RoleChanges { name, description, grants } = changes;
    if grants.is_some() && before.key.as_deref() == Some(OWNER) {
        return Err(ApiError::Conflict {
            code: "owner_role_fixed",
            detail: "The owner role always holds every permission.".into(),
        });
    }
    let what = format!("The role {}", before.name);
    let old_grants = grants_of(txn, role_id).await?;
    granter.ensure_covers(&old_grants, &what)?;
    if let Some(grants) = &grants {
        granter.ensure_covers(grants, &what)?;
    }
    let mut changes = Changes::new();
    let mut after = before.clone();
    if let Some(name) = name
        && name != before.name
    {
        changes = changes.set("name", &before.name, &name);
        after.name = name;
    }
    if let Some(description) = description
        && description != before.description
    {
        changes = changes.set("description", &before.description, &description);
        after.description = description;
    }
    let mut new_grants = None;
    if let Some(grants) = grants
        && old_grants != grants
    {
        changes = changes.set("grants", &old_grants, &grants);
        new_grants = Some(grants);
    }
    if changes.is_empty() {
        return Ok(before);
    }
    let mut update = role::Entity::update_many()
        .col_expr(role::Column::Name, Expr::value(after.name.clone()))
        .col_expr(role::Column::Description, Expr::value(after.description.clone()))
        .col_expr(role::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .col_expr(role::Column::Version, Expr::col(role::Column::Version).add(1))
        .filter(role::Column::Id.eq(role_id))
        .filter(role::Column::OrganizationId.eq(organization_id));
    if let Some(expected) = expected {
        update = update.filter(role::Column::Version.eq(expected));
    }
    if update.exec(txn).await.map_err(name_taken)?.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    if let Some(grants) = &new_grants {
        role_grant::Entity::delete_many().filter(role_grant::Column::RoleId.eq(role_id)).exec(txn).await?;
        insert_grants(txn, role_id, grants.iter().map(|(name, scope)| (name.clone(), scope.as_str())))
            .await?;
    }
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "role.update", "role", role_id).changes(changes),
    )
    .await?;
    access_changed(txn).await?;
    find_role(txn, organization_id, role_id).await
}

/// Deletes a role (members lose it). The owner role cannot be deleted, nor a role that holds
/// more than the granter.
///
/// # Errors
/// 404 for another organization's role, 403 `role_not_allowed`, 409 `owner_role_fixed`.
pub async fn role_delete(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    granter: &Granter,
    organization_id: Uuid,
    role_id: Uuid,
) -> Result<(), ApiError> {
    let found = find_role(txn, organization_id, role_id).await?;
    if found.key.as_deref() == Some(OWNER) {
        return Err(ApiError::Conflict {
            code: "owner_role_fixed",
            detail: "The owner role cannot be deleted.".into(),
        });
    }
    let grants = grants_of(txn, role_id).await?;
    granter.ensure_covers(&grants, &format!("The role {}", found.name))?;
    role::Entity::delete_by_id(role_id).exec(txn).await?;
    let entry = AuditEntry::new(acting, Some(organization_id), "role.delete", "role", role_id);
    record(
        txn,
        entry.changes(Changes::new().set("name", &found.name, None::<()>).set("grants", &grants, None::<()>)),
    )
    .await?;
    access_changed(txn).await?;
    Ok(())
}

async fn find_role(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    role_id: Uuid,
) -> Result<role::Model, ApiError> {
    role::Entity::find_by_id(role_id)
        .filter(role::Column::OrganizationId.eq(organization_id))
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// How many members of the organization hold its owner role, other than `except`.
async fn other_owners(txn: &impl ConnectionTrait, organization_id: Uuid, except: Uuid) -> Result<u64, DbErr> {
    let Some(owner_role) = crate::selector::role_get_by_key(txn, organization_id, OWNER).await? else {
        return Ok(0);
    };
    membership_role::Entity::find()
        .filter(membership_role::Column::RoleId.eq(owner_role))
        .filter(membership_role::Column::MembershipId.ne(except))
        .count(txn)
        .await
}

/// Refuses a change that would leave the organization without an owner.
///
/// # Errors
/// 409 `last_owner` when `membership_id` is the only owner.
pub async fn owner_ensure_not_last(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    membership_id: Uuid,
) -> Result<(), ApiError> {
    let Some(owner_role) = crate::selector::role_get_by_key(txn, organization_id, OWNER).await? else {
        return Ok(());
    };
    let is_owner = membership_role::Entity::find_by_id((membership_id, owner_role)).one(txn).await?.is_some();
    if is_owner && other_owners(txn, organization_id, membership_id).await? == 0 {
        return Err(ApiError::Conflict {
            code: "last_owner",
            detail: "This is the organization's last owner; make someone else owner first.".into(),
        });
    }
    Ok(())
}

/// Replaces a membership's roles with `role_ids` (roles of the same organization).
///
/// The version clients hold for a member's roles lives on the users app's membership row;
/// call this through `baseops_users`' `member_roles_replace`, which checks and bumps it.
///
/// Every role given must be within the granter's own grants, and only an owner gives or takes
/// away the owner role ([`Granter`]).
///
/// # Errors
/// 422 for roles of another organization or unknown ids, 403 `role_not_allowed`, 409
/// `last_owner`.
pub async fn member_roles_set(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    granter: &Granter,
    organization_id: Uuid,
    membership_id: Uuid,
    role_ids: &[Uuid],
) -> Result<(), ApiError> {
    let mut wanted: Vec<Uuid> = role_ids.to_vec();
    wanted.sort();
    wanted.dedup();
    let known = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(organization_id))
        .filter(role::Column::Id.is_in(wanted.clone()))
        .count(txn)
        .await?;
    if usize::try_from(known).unwrap_or(0) != wanted.len() {
        return Err(ApiError::invalid("roles", "names a role that does not exist in this organization"));
    }
    let current: Vec<Uuid> = membership_role::Entity::find()
        .filter(membership_role::Column::MembershipId.eq(membership_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|row| row.role_id)
        .collect();
    let mut current_sorted = current.clone();
    current_sorted.sort();
    if current_sorted == wanted {
        return Ok(());
    }
    let owner_role = crate::selector::role_get_by_key(txn, organization_id, OWNER).await?;
    if let Some(owner_role) = owner_role
        && current.contains(&owner_role) != wanted.contains(&owner_role)
    {
        granter.ensure_owner()?;
    }
    for added in wanted.iter().filter(|id| !current.contains(id)) {
        if Some(*added) != owner_role {
            let name =
                role::Entity::find_by_id(*added).one(txn).await?.map_or_else(String::new, |found| found.name);
            granter.ensure_covers(&grants_of(txn, *added).await?, &format!("The role {name}"))?;
        }
    }
    if let Some(owner_role) = owner_role
        && current.contains(&owner_role)
        && !wanted.contains(&owner_role)
    {
        owner_ensure_not_last(txn, organization_id, membership_id).await?;
    }
    membership_role::Entity::delete_many()
        .filter(membership_role::Column::MembershipId.eq(membership_id))
        .exec(txn)
        .await?;
    if !wanted.is_empty() {
        let rows = wanted.iter().map(|role_id| membership_role::ActiveModel {
            membership_id: Set(membership_id),
            role_id: Set(*role_id),
        });
        membership_role::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    let entry =
        AuditEntry::new(acting, Some(organization_id), "membership.roles_set", "membership", membership_id);
    record(txn, entry.changes(Changes::new().set("role_ids", &current_sorted, &wanted))).await?;
    access_changed(txn).await?;
    let changed = crate::event::RoleChanged { membership_id, before: current_sorted, after: wanted };
    baseops_jobs::emit(txn, acting, Some(organization_id), &changed).await?;
    Ok(())
}
