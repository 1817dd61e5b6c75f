//! The daily aggregates: `analytics_daily` rebuilt from `analytics_events` (counts per
//! organization, day, metric and dimension) and, for today only, snapshots the leads and
//! tasks apps compute for us (open pipeline value by stage, overdue tasks). A rebuild
//! deletes the range's rows and inserts them again in one transaction, so it is idempotent.

use std::collections::BTreeMap;

use baseops_core::AppState;
use baseops_jobs::{Enqueue, Job, JobContext, JobError, Recurring};
use chrono::{NaiveDate, TimeDelta, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::metric;
use crate::table::{AnalyticsDaily, AnalyticsEvents};

/// Rebuilds the aggregates of `from..=to` (default: yesterday and today, UTC).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Aggregate {
    /// First day.
    pub from: Option<NaiveDate>,
    /// Last day.
    pub to: Option<NaiveDate>,
}

/// [`Aggregate`] every hour, so the dashboard is at most an hour behind.
pub const AGGREGATE_HOURLY: Recurring = Recurring {
    name: "analytics_aggregate",
    cron: "23 * * * *",
    job: || Enqueue::new(&Aggregate { from: None, to: None }),
};

#[async_trait::async_trait]
impl Job for Aggregate {
    const NAME: &'static str = "analytics.aggregate";
    const TIMEOUT_SECS: i32 = 1800;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let today = Utc::now().date_naive();
        let from = self.from.unwrap_or(today - TimeDelta::days(1));
        let to = self.to.unwrap_or(today);
        rebuild(&ctx.state, from, to).await.map(|_| ()).map_err(JobError::retry)
    }
}

/// One event-derived metric: the analytics event it counts, and whether it splits by the
/// `source` property.
struct Counted {
    metric: &'static str,
    event: &'static str,
    by_source: bool,
}

const COUNTED: &[Counted] = &[
    Counted { metric: metric::LEADS_NEW, event: "lead.created", by_source: true },
    Counted { metric: metric::LEADS_WON, event: "lead.won", by_source: true },
    Counted { metric: metric::LEADS_LOST, event: "lead.lost", by_source: true },
    Counted { metric: metric::LEADS_CONVERTED, event: "lead.converted", by_source: true },
    Counted { metric: metric::TASKS_CREATED, event: "task.created", by_source: false },
    Counted { metric: metric::TASKS_COMPLETED, event: "task.completed", by_source: false },
];

/// A row of `analytics_daily`, keyed as its primary key.
type Rows = BTreeMap<(Uuid, NaiveDate, &'static str, String, String), i64>;

/// Rebuilds `from..=to` for every organization and returns how many rows it wrote. Past
/// days keep their snapshots (they cannot be taken again); today's are taken now.
///
/// # Errors
/// Database errors; a range of more than 3660 days.
pub async fn rebuild(state: &AppState, from: NaiveDate, to: NaiveDate) -> Result<u64, DbErr> {
    if to < from || (to - from).num_days() > 3660 {
        return Err(DbErr::Custom("the range must run forwards and span at most 3660 days".to_owned()));
    }
    let db = state.db().write();
    let today = Utc::now().date_naive();
    let mut rows = Rows::new();
    let snapshot = (from..=to).contains(&today);
    let organizations = baseops_core::directory(state).organization_ids(db.into()).await?;
    for organization_id in organizations {
        count_range(db, organization_id, from, to, &mut rows).await?;
        if snapshot {
            take_snapshots(db, organization_id, today, &mut rows).await?;
        }
    }
    let txn = db.begin().await?;
    let event_metrics: Vec<&str> = COUNTED.iter().map(|counted| counted.metric).collect();
    let mut delete = Query::delete();
    delete
        .from_table(AnalyticsDaily::Table)
        .and_where(Expr::col(AnalyticsDaily::Day).gte(from))
        .and_where(Expr::col(AnalyticsDaily::Day).lte(to))
        .and_where(Expr::col(AnalyticsDaily::Metric).is_in(event_metrics));
    txn.execute(&delete).await?;
    if snapshot {
        let mut delete = Query::delete();
        delete
            .from_table(AnalyticsDaily::Table)
            .and_where(Expr::col(AnalyticsDaily::Day).eq(today))
            .and_where(Expr::col(AnalyticsDaily::Metric).is_in(metric::SNAPSHOTS.to_vec()));
        txn.execute(&delete).await?;
    }
    let written = rows.len() as u64;
    let entries: Vec<_> = rows.into_iter().collect();
    for chunk in entries.chunks(500) {
        let mut insert = Query::insert();
        insert.into_table(AnalyticsDaily::Table).columns([
            AnalyticsDaily::OrganizationId,
            AnalyticsDaily::Day,
            AnalyticsDaily::Metric,
            AnalyticsDaily::Dimension,
            AnalyticsDaily::Currency,
            AnalyticsDaily::Value,
        ]);
        for ((organization_id, day, metric, dimension, currency), value) in chunk {
            insert.values_panic([
                (*organization_id).into(),
                (*day).into(),
                (*metric).into(),
                dimension.clone().into(),
                currency.clone().into(),
                (*value).into(),
            ]);
        }
        txn.execute(&insert).await?;
    }
    txn.commit().await?;
    if snapshot {
        crate::gauge::publish(db, today).await?;
    }
    tracing::info!(%from, %to, written, "analytics aggregates rebuilt");
    Ok(written)
}

/// The expression reading a JSON property of `analytics_events.properties` as text.
fn property(backend: DbBackend, key: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("CAST(properties AS JSONB) ->> '{key}'"),
        _ => format!("json_extract(properties, '$.{key}')"),
    }
}

/// The expression reading `occurred_at`'s UTC day as `YYYY-MM-DD` text.
fn day_of(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        // SQLite holds UTC timestamps as RFC 3339 text: the day is its first ten characters.
        _ => "substr(occurred_at, 1, 10)",
    }
}

/// Every counted metric of one organization over `from..=to`: one query on the index
/// `(organization_id, occurred_at)`, grouped in the database by day, event and source.
async fn count_range(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    rows: &mut Rows,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let end = to
        .succ_opt()
        .ok_or_else(|| DbErr::Custom("the range ends past the calendar".to_owned()))?
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let day = day_of(backend);
    // Task events carry no source, so the one expression serves every metric.
    let dimension = format!("COALESCE(CAST({} AS TEXT), '')", property(backend, "source"));
    let mut query = Query::select();
    query
        .expr_as(Expr::cust(day), Alias::new("day"))
        .column(AnalyticsEvents::Name)
        .expr_as(Expr::cust(dimension.clone()), Alias::new("dimension"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("total"))
        .from(AnalyticsEvents::Table)
        .and_where(Expr::col(AnalyticsEvents::OrganizationId).eq(organization_id))
        .and_where(Expr::col(AnalyticsEvents::OccurredAt).gte(start))
        .and_where(Expr::col(AnalyticsEvents::OccurredAt).lt(end))
        .and_where(Expr::col(AnalyticsEvents::Name).is_in(COUNTED.iter().map(|counted| counted.event)))
        .add_group_by([Expr::cust(day), Expr::col(AnalyticsEvents::Name), Expr::cust(dimension)]);
    for row in db.query_all(&query).await? {
        let name: String = row.try_get("", "name")?;
        let Some(counted) = COUNTED.iter().find(|counted| counted.event == name) else { continue };
        let day: String = row.try_get("", "day")?;
        let day =
            NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|error| DbErr::Custom(error.to_string()))?;
        let dimension: String = if counted.by_source {
            row.try_get::<String>("", "dimension")?.chars().take(200).collect()
        } else {
            String::new()
        };
        let total: i64 = row.try_get("", "total")?;
        *rows.entry((organization_id, day, counted.metric, dimension, String::new())).or_default() += total;
    }
    Ok(())
}

/// Today's snapshots of one organization, from the leads and tasks apps' own selectors.
async fn take_snapshots(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    today: NaiveDate,
    rows: &mut Rows,
) -> Result<(), DbErr> {
    for stage in baseops_leads::selector::board::value_by_stage(db, organization_id).await? {
        let name: String = stage.stage.chars().take(200).collect();
        *rows
            .entry((organization_id, today, metric::PIPELINE_OPEN_COUNT, name.clone(), String::new()))
            .or_default() += stage.count;
        if let Some(currency) = stage.currency {
            *rows
                .entry((organization_id, today, metric::PIPELINE_OPEN_VALUE, name, currency))
                .or_default() += stage.amount;
        }
    }
    let overdue = baseops_tasks::selector::overdue_count(db, organization_id, Utc::now()).await?;
    // Written even when zero: it marks the day as snapshotted, so the dashboard never
    // shows an older day's pipeline as the current one.
    rows.insert(
        (organization_id, today, metric::TASKS_OVERDUE, String::new(), String::new()),
        overdue as i64,
    );
    Ok(())
}
