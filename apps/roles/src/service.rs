//! Writes: seeding default roles and giving members roles. Every function runs inside the
//! caller's transaction and records its audit event there.

use std::collections::BTreeMap;

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, PermissionDef};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::defaults::{DEFAULT_ROLES, grants};
use crate::model::{membership_role, role, role_grant};

/// Creates every default role the organization lacks (by key), with the grants the rules
/// give over `registry`. Roles that exist — renamed or edited — are left as they are.
/// Returns the id of every default role, by key.
///
/// # Errors
/// Database errors; the caller's transaction should roll back.
pub async fn seed_defaults(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    registry: &[PermissionDef],
) -> Result<BTreeMap<&'static str, Uuid>, DbErr> {
    let existing = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(organization_id))
        .filter(role::Column::Key.is_not_null())
        .all(txn)
        .await?;
    let mut ids = BTreeMap::new();
    for default in DEFAULT_ROLES {
        if let Some(found) = existing.iter().find(|role| role.key.as_deref() == Some(default.key)) {
            ids.insert(default.key, found.id);
            continue;
        }
        let now = chrono::Utc::now();
        let id = Uuid::now_v7();
        let granted = grants(default, registry);
        role::Entity::insert(role::ActiveModel {
            id: Set(id),
            organization_id: Set(organization_id),
            key: Set(Some(default.key.to_owned())),
            name: Set(default.name.to_owned()),
            description: Set(default.description.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
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
pub async fn give_role(
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
    }
    Ok(())
}
