//! Demo and benchmark data: `baseops demo-data subscriptions --org <slug> --count N` makes a
//! "Demo plan" product with a monthly EUR price, N customers and one subscription each, all
//! due — the next renewal run (`baseops billing renew`, or the worker) invoices their first
//! period. Multi-row inserts of 1,000 rows, 50,000 per transaction; one audit event per batch.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, AppState};
use chrono::Utc;
use sea_orm::sea_query::{Alias, InsertStatement, Query};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, TransactionTrait};
use uuid::Uuid;

use crate::model::{price, product};
use crate::selector::subscription::SubscriptionStatus;

/// Rows per INSERT statement.
const ROWS_PER_INSERT: u64 = 1_000;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: u64 = 50_000;
/// Most subscriptions one call creates.
pub const MAX_COUNT: u64 = 1_000_000;

fn insert(table: &str, columns: &[&str]) -> InsertStatement {
    Query::insert().into_table(Alias::new(table)).columns(columns.iter().map(|c| Alias::new(*c))).to_owned()
}

/// Makes the demo plan and `count` customers subscribed to it, due now. Calls `progress`
/// with the running total after each transaction.
///
/// # Errors
/// Database errors (the transaction in flight rolls back; earlier ones stay).
pub async fn seed_subscriptions(
    state: &AppState,
    acting: Acting<'_>,
    organization_id: Uuid,
    count: u64,
    progress: impl Fn(u64),
) -> Result<u64, DbErr> {
    let count = Ord::min(count, MAX_COUNT);
    let db = state.db().write();
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let plan = product::Model {
        id: Uuid::now_v7(),
        organization_id,
        name: "Demo plan".to_owned(),
        description: Some("Seeded by `baseops demo-data`.".to_owned()),
        tax_rate_ids: "[]".to_owned(),
        active: true,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let monthly = price::Model {
        id: Uuid::now_v7(),
        organization_id,
        product_id: plan.id,
        currency: "EUR".to_owned(),
        unit_amount: 2_900,
        interval: Some("month".to_owned()),
        interval_count: Some(1),
        active: true,
        created_at: now,
    };
    product::Entity::insert(plan.into_active_model()).exec_without_returning(db).await?;
    price::Entity::insert(monthly.clone().into_active_model()).exec_without_returning(db).await?;
    let mut done = 0;
    while done < count {
        let txn = db.begin().await?;
        let in_this = Ord::min(count - done, ROWS_PER_TRANSACTION);
        let mut written = 0;
        while written < in_this {
            let rows = Ord::min(in_this - written, ROWS_PER_INSERT);
            let mut customers = insert(
                "customers",
                &["id", "organization_id", "name", "email", "created_at", "updated_at", "version"],
            );
            let mut subscriptions = insert(
                "billing_subscriptions",
                &[
                    "id",
                    "organization_id",
                    "customer_id",
                    "price_id",
                    "quantity",
                    "status",
                    "anchor",
                    "period_index",
                    "current_period_start",
                    "current_period_end",
                    "cancel_at_period_end",
                    "created_at",
                    "updated_at",
                    "version",
                ],
            );
            for n in 0..rows {
                let (customer_id, subscription_id) = (Uuid::now_v7(), Uuid::now_v7());
                let number = done + written + n + 1;
                customers.values_panic([
                    customer_id.into(),
                    organization_id.into(),
                    format!("Demo customer {number}").into(),
                    format!("billing{number}@demo.example").into(),
                    now.into(),
                    now.into(),
                    1.into(),
                ]);
                subscriptions.values_panic([
                    subscription_id.into(),
                    organization_id.into(),
                    customer_id.into(),
                    monthly.id.into(),
                    1.into(),
                    SubscriptionStatus::Active.as_str().into(),
                    now.into(),
                    (-1).into(),
                    now.into(),
                    now.into(),
                    false.into(),
                    now.into(),
                    now.into(),
                    1.into(),
                ]);
            }
            txn.execute(&customers).await?;
            txn.execute(&subscriptions).await?;
            written += rows;
        }
        let changes = Changes::new().set("subscriptions", 0, in_this).set("price_id", None::<()>, monthly.id);
        let entry = AuditEntry::new(acting, Some(organization_id), "subscription.seed", "price", monthly.id);
        record(&txn, entry.changes(changes)).await?;
        txn.commit().await?;
        done += in_this;
        progress(done);
    }
    Ok(done)
}
