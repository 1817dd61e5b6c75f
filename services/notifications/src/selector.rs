//! Reads: a user's notifications (newest first, by cursor), the unread count, what a
//! reconnecting stream missed, and preferences with their effective channels.

use baseops_core::Paging;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{notification, preference};

/// The order cursors of the list are made for.
pub const SORT: &str = "-created";
/// The preference row that holds a user's default for every kind.
pub const ANY_KIND: &str = "*";

/// A notification as its user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationOut {
    /// The notification's id (UUIDv7: ordered by creation).
    pub id: Uuid,
    /// What it is about: the event kind, such as `task.assigned`.
    pub kind: String,
    /// One line.
    pub title: String,
    /// Plain text.
    pub body: String,
    /// Where it leads in the console, such as `/tasks/0190…`.
    pub link: Option<String>,
    /// The organization it belongs to, if any.
    pub organization_id: Option<Uuid>,
    /// When it was read; `None` while unread.
    pub read_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<notification::Model> for NotificationOut {
    fn from(row: notification::Model) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            title: row.title,
            body: row.body,
            link: row.link,
            organization_id: row.organization_id,
            read_at: row.read_at,
            created_at: row.created_at,
        }
    }
}

/// Which notifications to list.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Only unread ones.
    pub unread_only: bool,
    /// Only this organization's.
    pub organization_id: Option<Uuid>,
    /// The page asked for.
    pub paging: Paging,
}

/// A page of notifications.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationPage {
    /// Newest first.
    pub items: Vec<NotificationOut>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// The user's unread notifications in all (within `organization_id` when filtered).
    pub unread: u64,
}

fn in_app_of(user_id: Uuid) -> sea_orm::Select<notification::Entity> {
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::InApp.eq(true))
}

/// A page of `user_id`'s in-app notifications.
///
/// # Errors
/// Database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    filter: &Filter,
) -> Result<NotificationPage, DbErr> {
    let mut query = in_app_of(user_id);
    if filter.unread_only {
        query = query.filter(notification::Column::ReadAt.is_null());
    }
    if let Some(organization_id) = filter.organization_id {
        query = query.filter(notification::Column::OrganizationId.eq(organization_id));
    }
    let paging = &filter.paging;
    if let Some(after) = &paging.after {
        query = query.filter(notification::Column::Id.lt(after.id));
    }
    let rows = query.order_by_desc(notification::Column::Id).limit(paging.fetch()).all(db).await?;
    let page = paging.page(rows, SORT, |row| (serde_json::Value::Null, row.id), NotificationOut::from);
    let unread = unread_count(db, user_id, filter.organization_id).await?;
    Ok(NotificationPage { items: page.items, next_cursor: page.next_cursor, unread })
}

/// One of `user_id`'s in-app notifications.
///
/// # Errors
/// Database errors.
pub async fn get(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<NotificationOut>, DbErr> {
    Ok(in_app_of(user_id).filter(notification::Column::Id.eq(id)).one(db).await?.map(NotificationOut::from))
}

/// How many in-app notifications `user_id` has not read.
///
/// # Errors
/// Database errors.
pub async fn unread_count(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    organization_id: Option<Uuid>,
) -> Result<u64, DbErr> {
    let mut query = in_app_of(user_id).filter(notification::Column::ReadAt.is_null());
    if let Some(organization_id) = organization_id {
        query = query.filter(notification::Column::OrganizationId.eq(organization_id));
    }
    query.count(db).await
}

/// `user_id`'s in-app notifications created after `last` (oldest first, at most `limit`):
/// what a reconnecting stream missed.
///
/// # Errors
/// Database errors.
pub async fn after(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    last: Uuid,
    limit: u64,
) -> Result<Vec<notification::Model>, DbErr> {
    in_app_of(user_id)
        .filter(notification::Column::Id.gt(last))
        .order_by_asc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The channels a notification reaches a user on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Channels {
    /// Listed in the console and pushed live.
    pub in_app: bool,
    /// E-mailed at once.
    pub email: bool,
    /// Included in the daily digest e-mail while unread.
    pub digest: bool,
}

impl Channels {
    /// What a user gets without preferences: in-app only.
    pub const DEFAULT: Self = Self { in_app: true, email: false, digest: false };
}

impl From<&preference::Model> for Channels {
    fn from(row: &preference::Model) -> Self {
        Self { in_app: row.in_app, email: row.email, digest: row.digest }
    }
}

/// The preference rows of `users`.
///
/// # Errors
/// Database errors.
pub async fn preferences_of(
    db: &impl ConnectionTrait,
    users: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<preference::Model>, DbErr> {
    preference::Entity::find()
        .filter(preference::Column::UserId.is_in(users))
        .order_by_asc(preference::Column::Kind)
        .all(db)
        .await
}

/// The channels of `kind` for `user_id`: their row for the kind, else their `*` row, else
/// [`Channels::DEFAULT`].
pub fn effective(preferences: &[preference::Model], user_id: Uuid, kind: &str) -> Channels {
    let find = |wanted: &str| preferences.iter().find(|row| row.user_id == user_id && row.kind == wanted);
    find(kind).or_else(|| find(ANY_KIND)).map_or(Channels::DEFAULT, Channels::from)
}
