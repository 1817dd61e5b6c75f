//! The daily digest: one e-mail per user who chose the digest for some kind, listing their
//! unread notifications of those kinds that no digest has covered yet.

use baseops_core::{Acting, Actor, Origin};
use baseops_jobs::{Enqueue, Job, JobContext, JobError, Recurring};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::notification;
use crate::selector::{effective, preferences_of};

/// Notifications older than this are left out of digests.
const LOOK_BACK: chrono::TimeDelta = chrono::TimeDelta::days(7);
/// Most notifications listed in one digest (the mail says how many more there are).
const MAX_LISTED: usize = 50;
/// Users handled per query.
const USERS_PER_PAGE: u64 = 500;

/// E-mails each digest user their undigested unread notifications.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendDigests;

/// [`SendDigests`] every morning (in `jobs.timezone`; see `[jobs.schedules.notifications_digest]`).
pub const DIGEST_DAILY: Recurring =
    Recurring { name: "notifications_digest", cron: "0 7 * * *", job: || Enqueue::new(&SendDigests) };

#[async_trait::async_trait]
impl Job for SendDigests {
    const NAME: &'static str = "notifications.digest";
    const TIMEOUT_SECS: i32 = 1800;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let db = ctx.state.db().write();
        let since = Utc::now() - LOOK_BACK;
        let mut after: Option<Uuid> = None;
        let mut sent = 0;
        loop {
            let mut query = notification::Entity::find()
                .select_only()
                .column(notification::Column::UserId)
                .distinct()
                .filter(notification::Column::DigestedAt.is_null())
                .filter(notification::Column::CreatedAt.gte(since))
                .order_by_asc(notification::Column::UserId)
                .limit(USERS_PER_PAGE);
            if let Some(after) = after {
                query = query.filter(notification::Column::UserId.gt(after));
            }
            let users: Vec<Uuid> = query.into_tuple().all(db).await.map_err(JobError::retry)?;
            let Some(last) = users.last().copied() else { break };
            for user_id in users {
                sent += u32::from(digest_one(ctx, user_id, since).await.map_err(JobError::retry)?);
            }
            after = Some(last);
        }
        tracing::info!(sent, "notification digests sent");
        Ok(())
    }
}

/// Sends `user_id` their digest, if anything is in it, and marks what it considered — in one
/// transaction, so a retried job neither loses nor repeats a digest.
async fn digest_one(
    ctx: &JobContext,
    user_id: Uuid,
    since: chrono::DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let db = ctx.state.db().write();
    let txn = db.begin().await?;
    let pending = notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::DigestedAt.is_null())
        .filter(notification::Column::CreatedAt.gte(since))
        .order_by_desc(notification::Column::Id)
        .all(&txn)
        .await?;
    let preferences = preferences_of(&txn, [user_id]).await?;
    let recipient = baseops_core::directory(&ctx.state)
        .users((&txn).into(), &[user_id])
        .await?
        .into_iter()
        .find(|found| found.is_active);
    let listed: Vec<&notification::Model> = pending
        .iter()
        .filter(|row| row.read_at.is_none() && effective(&preferences, user_id, &row.kind).digest)
        .collect();
    let mut sent = false;
    if let (Some(recipient), false) = (&recipient, listed.is_empty()) {
        let base = ctx.state.settings().server.public_url.as_str().trim_end_matches('/').to_owned();
        let items: Vec<serde_json::Value> = listed
            .iter()
            .take(MAX_LISTED)
            .map(|row| {
                serde_json::json!({
                    "title": row.title,
                    "body": row.body,
                    "url": row.link.as_ref().map(|link| format!("{base}{link}")),
                    "created_at": row.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                })
            })
            .collect();
        let context = serde_json::json!({
            "name": recipient.display_name,
            "count": listed.len(),
            "more": listed.len().saturating_sub(MAX_LISTED),
            "items": items,
            "url": format!("{base}/notifications"),
        });
        let message = baseops_email::Templates::from_settings(ctx.state.settings())
            .render("notification_digest", Some(&recipient.locale), &recipient.email, context)
            .map_err(|error| sea_orm::DbErr::Custom(error.to_string()))?;
        let actor = Actor::System { name: "notifications.digest".to_owned() };
        let origin = Origin::internal();
        baseops_email::enqueue_email(&txn, Acting { actor: &actor, origin: &origin }, None, message).await?;
        sent = true;
    }
    let considered: Vec<Uuid> = pending.iter().map(|row| row.id).collect();
    notification::Entity::update_many()
        .col_expr(notification::Column::DigestedAt, Expr::value(Utc::now()))
        .filter(notification::Column::Id.is_in(considered))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(sent)
}
