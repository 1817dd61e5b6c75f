//! The unsealed part of the trail: how far sealing lags, and rows only partly sealed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::SealingLag;
use crate::model::audit_event;

/// Per chain (one, or all), the events waiting to be sealed and the age of the oldest at
/// `now`.
pub(super) async fn lag(
    db: &impl ConnectionTrait,
    chain: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<SealingLag>, DbErr> {
    use audit_event::Column;
    let mut query = audit_event::Entity::find()
        .select_only()
        .column(Column::Chain)
        .column_as(Expr::col(Column::Id).count(), "events")
        .column_as(Expr::col(Column::CreatedAt).min(), "oldest")
        .filter(unsealed());
    if let Some(chain) = chain {
        query = query.filter(Column::Chain.eq(chain));
    }
    let rows = query
        .group_by(Column::Chain)
        .order_by_asc(Column::Chain)
        .into_tuple::<(String, i64, String)>()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(chain, events, oldest)| {
            let oldest_created_at = DateTime::parse_from_rfc3339(&oldest)
                .map_err(|error| DbErr::Type(format!("audit chain {chain}: created_at {oldest:?}: {error}")))?
                .with_timezone(&Utc);
            let oldest_age_ms = u64::try_from((now - oldest_created_at).num_milliseconds()).unwrap_or(0);
            Ok(SealingLag {
                chain,
                events: u64::try_from(events).unwrap_or(0),
                oldest_created_at,
                oldest_age_ms,
            })
        })
        .collect()
}

/// Per chain (one, or all), the oldest event that has a hash or `prev_hash` but no `seq`.
pub(super) async fn partly_sealed(
    db: &impl ConnectionTrait,
    chain: Option<&str>,
) -> Result<HashMap<String, Uuid>, DbErr> {
    use audit_event::Column;
    let mut query = audit_event::Entity::find()
        .select_only()
        .column(Column::Chain)
        .column(Column::Id)
        .filter(Column::Seq.is_null())
        .filter(Condition::any().add(Column::PrevHash.is_not_null()).add(Column::Hash.is_not_null()));
    if let Some(chain) = chain {
        query = query.filter(Column::Chain.eq(chain));
    }
    let rows = query.order_by_desc(Column::Id).into_tuple::<(String, Uuid)>().all(db).await?;
    // Newest first, so the oldest of each chain is the one left in the map.
    Ok(rows.into_iter().collect())
}

/// What [`crate::seal()`] takes: no `seq`, no `prev_hash`, no `hash`.
fn unsealed() -> Condition {
    Condition::all()
        .add(audit_event::Column::Seq.is_null())
        .add(audit_event::Column::PrevHash.is_null())
        .add(audit_event::Column::Hash.is_null())
}
