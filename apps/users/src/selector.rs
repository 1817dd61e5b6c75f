//! Reads of the users app.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::model::{api_token, membership, organization, user};

/// A user by id.
///
/// # Errors
/// Database errors.
pub async fn user_get(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

/// Whether any user exists (the first-start path creates one when none does).
///
/// # Errors
/// Database errors.
pub async fn user_exists_any(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(user::Entity::find().one(db).await?.is_some())
}

/// The organizations a user belongs to, by name.
///
/// # Errors
/// Database errors.
pub async fn organization_list_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<organization::Model>, DbErr> {
    let ids: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|member| member.organization_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids))
        .order_by_asc(organization::Column::Name)
        .all(db)
        .await
}

/// An organization by id or slug.
///
/// # Errors
/// Database errors.
pub async fn organization_get_by_ref(
    db: &impl ConnectionTrait,
    reference: &str,
) -> Result<Option<organization::Model>, DbErr> {
    let query = organization::Entity::find();
    match Uuid::parse_str(reference) {
        Ok(id) => query.filter(organization::Column::Id.eq(id)).one(db).await,
        Err(_) => query.filter(organization::Column::Slug.eq(reference.to_lowercase())).one(db).await,
    }
}

/// The user's live and revoked tokens, newest first.
///
/// # Errors
/// Database errors.
pub async fn token_list(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<api_token::Model>, DbErr> {
    api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await
}

/// The effective permissions of a user in an organization (the roles of their membership);
/// `None` when they are not a member.
///
/// # Errors
/// Database errors.
pub async fn grants_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    organization_id: Uuid,
) -> Result<Option<baseops_core::Grants>, DbErr> {
    let membership = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?;
    match membership {
        Some(membership) => Ok(Some(baseops_roles::grants_of_membership(db, membership.id).await?)),
        None => Ok(None),
    }
}
