//! The users app's [`Directory`]: users, organizations and memberships for the other apps.

use baseops_core::{Directory, OrganizationRef, UserRef};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, SimpleExpr};
use sea_orm::{ColumnTrait, DatabaseExecutor, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::model::{membership, organization, user};
use crate::selector::organization_get_by_ref;

/// The users app's directory, installed in the application state by its `App`.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsersDirectory;

#[async_trait::async_trait]
impl Directory for UsersDirectory {
    async fn organization(
        &self,
        db: DatabaseExecutor<'_>,
        reference: &str,
    ) -> Result<Option<OrganizationRef>, DbErr> {
        Ok(organization_get_by_ref(&db, reference).await?.map(|org| OrganizationRef {
            id: org.id,
            slug: org.slug,
            name: org.name,
            currency: org.currency,
            time_zone: org.time_zone,
        }))
    }

    async fn organization_ids(&self, db: DatabaseExecutor<'_>) -> Result<Vec<Uuid>, DbErr> {
        organization::Entity::find()
            .select_only()
            .column(organization::Column::Id)
            .order_by_asc(organization::Column::Id)
            .into_tuple()
            .all(&db)
            .await
    }

    async fn users(&self, db: DatabaseExecutor<'_>, ids: &[Uuid]) -> Result<Vec<UserRef>, DbErr> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(baseops_core::MAX_DIRECTORY_IDS) {
            let rows =
                user::Entity::find().filter(user::Column::Id.is_in(chunk.iter().copied())).all(&db).await?;
            found.extend(rows.into_iter().map(|row| UserRef {
                id: row.id,
                email: row.email,
                display_name: row.display_name,
                locale: row.locale,
                is_active: row.is_active,
            }));
        }
        Ok(found)
    }

    async fn active_members(
        &self,
        db: DatabaseExecutor<'_>,
        organization_id: Uuid,
        user_ids: &[Uuid],
    ) -> Result<Vec<Uuid>, DbErr> {
        baseops_core::active_members(&db, self, organization_id, user_ids).await
    }

    fn active_members_query(&self, organization_id: Uuid, user_ids: &[Uuid]) -> SelectStatement {
        Query::select()
            .column((membership::Entity, membership::Column::UserId))
            .from(membership::Entity)
            .inner_join(
                user::Entity,
                Expr::col((user::Entity, user::Column::Id))
                    .equals((membership::Entity, membership::Column::UserId)),
            )
            .and_where(
                Expr::col((membership::Entity, membership::Column::OrganizationId)).eq(organization_id),
            )
            .and_where(
                Expr::col((membership::Entity, membership::Column::UserId)).is_in(user_ids.iter().copied()),
            )
            .and_where(Expr::col((user::Entity, user::Column::IsActive)).eq(true))
            .to_owned()
    }

    async fn member_ids(&self, db: DatabaseExecutor<'_>, organization_id: Uuid) -> Result<Vec<Uuid>, DbErr> {
        membership::Entity::find()
            .select_only()
            .column(membership::Column::UserId)
            .inner_join(user::Entity)
            .filter(membership::Column::OrganizationId.eq(organization_id))
            .filter(user::Column::IsActive.eq(true))
            .order_by_asc(membership::Column::CreatedAt)
            .order_by_asc(membership::Column::Id)
            .into_tuple()
            .all(&db)
            .await
    }

    fn is_member(&self, organization: SimpleExpr, user: SimpleExpr) -> SimpleExpr {
        // Deactivated users keep their memberships (and history) but are given no new work.
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(membership::Entity)
                .inner_join(
                    user::Entity,
                    Expr::col((user::Entity, user::Column::Id))
                        .equals((membership::Entity, membership::Column::UserId)),
                )
                .and_where(
                    Expr::col((membership::Entity, membership::Column::OrganizationId)).eq(organization),
                )
                .and_where(Expr::col((membership::Entity, membership::Column::UserId)).eq(user))
                .and_where(Expr::col((user::Entity, user::Column::IsActive)).eq(true))
                .to_owned(),
        )
    }

    fn organization_currency(&self, organization_expr: SimpleExpr) -> SimpleExpr {
        Query::select()
            .column((organization::Entity, organization::Column::Currency))
            .from(organization::Entity)
            .and_where(Expr::col((organization::Entity, organization::Column::Id)).eq(organization_expr))
            .to_owned()
            .into()
    }

    fn members_by_email_query(&self, organization_id: Uuid, emails: &[String]) -> SelectStatement {
        // Addresses are stored normalized (trimmed, lower-case; `validate::normalize_email`),
        // so plain equality matches and the unique index on `users.email` serves it.
        Query::select()
            .column((membership::Entity, membership::Column::UserId))
            .column((user::Entity, user::Column::Email))
            .from(membership::Entity)
            .inner_join(
                user::Entity,
                Expr::col((user::Entity, user::Column::Id))
                    .equals((membership::Entity, membership::Column::UserId)),
            )
            .and_where(
                Expr::col((membership::Entity, membership::Column::OrganizationId)).eq(organization_id),
            )
            .and_where(Expr::col((user::Entity, user::Column::Email)).is_in(emails.iter().cloned()))
            .and_where(Expr::col((user::Entity, user::Column::IsActive)).eq(true))
            .to_owned()
    }
}
