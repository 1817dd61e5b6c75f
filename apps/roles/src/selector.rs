//! Reads: effective permissions and the organization's roles.

use baseops_core::{Grants, Scope};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::model::{membership_role, role_grant};

/// The effective permissions of a membership (the users app finds it): for each permission
/// the widest scope any of its roles grants.
///
/// # Errors
/// Database errors.
pub async fn grants_of_membership(db: &impl ConnectionTrait, membership_id: Uuid) -> Result<Grants, DbErr> {
    let query = Query::select()
        .expr_as(Expr::col((role_grant::Entity, role_grant::Column::Permission)), Alias::new("permission"))
        .expr_as(Expr::col((role_grant::Entity, role_grant::Column::Scope)), Alias::new("scope"))
        .from(membership_role::Entity)
        .join(
            JoinType::InnerJoin,
            role_grant::Entity,
            Expr::col((role_grant::Entity, role_grant::Column::RoleId))
                .equals((membership_role::Entity, membership_role::Column::RoleId)),
        )
        .and_where(
            Expr::col((membership_role::Entity, membership_role::Column::MembershipId)).eq(membership_id),
        )
        .to_owned();
    let mut grants = Grants::new();
    for row in db.query_all(&query).await? {
        let permission: String = row.try_get("", "permission")?;
        let scope: String = row.try_get("", "scope")?;
        if let Some(scope) = Scope::parse(&scope) {
            let entry = grants.entry(permission).or_insert(scope);
            *entry = (*entry).max(scope);
        }
    }
    Ok(grants)
}

/// The id of an organization's role with the given default key (`owner`, `sales`, …).
///
/// # Errors
/// Database errors.
pub async fn role_get_by_key(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    key: &str,
) -> Result<Option<Uuid>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    use crate::model::role;
    let found = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(organization_id))
        .filter(role::Column::Key.eq(key))
        .one(db)
        .await?;
    Ok(found.map(|role| role.id))
}

/// A role with its grants, as the API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RoleOut {
    /// Id.
    pub id: Uuid,
    /// The default role it was seeded from (`owner`, `sales`, …), if any.
    pub key: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Permission name → `own` or `all`.
    pub grants: std::collections::BTreeMap<String, Scope>,
    /// Bumped by every change: send it as `If-Match: "<version>"` to `PATCH /roles/{id}`.
    pub version: i32,
}

/// The organization's roles with their grants, by name.
///
/// # Errors
/// Database errors.
pub async fn role_list(db: &impl ConnectionTrait, organization_id: Uuid) -> Result<Vec<RoleOut>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    use crate::model::role;
    let roles = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(organization_id))
        .order_by_asc(role::Column::Name)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = roles.iter().map(|role| role.id).collect();
    let grants = role_grant::Entity::find().filter(role_grant::Column::RoleId.is_in(ids)).all(db).await?;
    Ok(roles
        .into_iter()
        .map(|role| RoleOut {
            grants: grants
                .iter()
                .filter(|grant| grant.role_id == role.id)
                .filter_map(|grant| Some((grant.permission.clone(), Scope::parse(&grant.scope)?)))
                .collect(),
            id: role.id,
            key: role.key,
            name: role.name,
            description: role.description,
            version: role.version,
        })
        .collect())
}

/// The roles of each given membership: membership id → role ids.
///
/// # Errors
/// Database errors.
pub async fn member_role_list(
    db: &impl ConnectionTrait,
    membership_ids: Vec<Uuid>,
) -> Result<std::collections::BTreeMap<Uuid, Vec<Uuid>>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let rows = membership_role::Entity::find()
        .filter(membership_role::Column::MembershipId.is_in(membership_ids))
        .all(db)
        .await?;
    let mut by_member = std::collections::BTreeMap::<Uuid, Vec<Uuid>>::new();
    for row in rows {
        by_member.entry(row.membership_id).or_default().push(row.role_id);
    }
    Ok(by_member)
}
