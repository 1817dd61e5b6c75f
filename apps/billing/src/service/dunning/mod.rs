//! Dunning: an organization's reminder schedule — days before or after an invoice's due date
//! (`[-3, 0, 7, 14]`) — and an optional late fee, charged once, with the first reminder after
//! the due date. The worker sends the reminders ([`remind::remind_due`]); an invoice paid,
//! voided or written off gets none.

pub mod remind;

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors, Money, check_version};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::decimal::Decimal4;
use crate::input::DiscountIn;
use crate::model::dunning_policy;
use crate::service::settings::save_versioned;

/// Most steps a schedule has.
pub const MAX_STEPS: usize = 10;
/// The earliest step: days before the due date.
pub const FIRST_STEP: i32 = -60;
/// The latest step: days after the due date.
pub const LAST_STEP: i32 = 365;

/// The schedule as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DunningPolicyOut {
    /// Days from the due date a reminder goes out on, ascending (negative: before it); empty
    /// sends none.
    pub steps: Vec<i32>,
    /// Charged once, on an invoice of its own, with the first reminder after the due date.
    pub late_fee: Option<DiscountIn>,
    /// Optimistic-concurrency version (0 until first saved).
    pub version: i32,
}

/// The whole schedule, replacing the old one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DunningPolicyIn {
    /// At most 10 distinct days from the due date, each from -60 to 365.
    #[schema(schema_with = steps_schema)]
    pub steps: Vec<i32>,
    /// `{"percent": "1.5"}` of the amount due (over 0, at most 100) or `{"amount": 500}` in
    /// minor units of the invoice's currency (1 to 10^15); `null` or left out: none.
    #[serde(default)]
    pub late_fee: Option<DiscountIn>,
}

/// `steps` as documented: at most 10 distinct integers from -60 to 365.
fn steps_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(FIRST_STEP))
                .maximum(Some(LAST_STEP)),
        )
        .max_items(Some(MAX_STEPS))
        .unique_items(true)
        .description(Some("Days from the due date (negative: before it), each once; empty sends none."))
        .build()
}

/// The schedule stored for `row`, or none.
pub(crate) fn out(row: Option<dunning_policy::Model>) -> DunningPolicyOut {
    match row {
        Some(row) => DunningPolicyOut {
            steps: serde_json::from_str(&row.steps).unwrap_or_default(),
            late_fee: DiscountIn::from_stored(row.late_fee_percent, row.late_fee_amount),
            version: row.version,
        },
        None => DunningPolicyOut { steps: Vec::new(), late_fee: None, version: 0 },
    }
}

/// The organization's schedule (no steps until one is saved).
///
/// # Errors
/// Database errors.
pub async fn policy_of(db: &impl ConnectionTrait, organization_id: Uuid) -> Result<DunningPolicyOut, DbErr> {
    Ok(out(dunning_policy::Entity::find_by_id(organization_id).one(db).await?))
}

/// The problems of `new`, by field; its steps sorted.
fn check(new: DunningPolicyIn) -> Result<(Vec<i32>, Option<DiscountIn>), ApiError> {
    let mut errors = FieldErrors::new();
    let mut steps = new.steps;
    if steps.len() > MAX_STEPS {
        errors.add("steps", format!("at most {MAX_STEPS} steps"));
    } else {
        for (index, step) in steps.iter().enumerate() {
            if !(FIRST_STEP..=LAST_STEP).contains(step) {
                errors.add(format!("steps[{index}]"), format!("must be {FIRST_STEP} to {LAST_STEP} days"));
            }
        }
        steps.sort_unstable();
        if steps.windows(2).any(|pair| pair[0] == pair[1]) {
            errors.add("steps", "each day once");
        }
    }
    if let Some(fee) = new.late_fee {
        match (fee.percent, fee.amount) {
            (Some(percent), None)
                if percent > Decimal4::ZERO && percent <= Decimal4::from_ten_thousandths(1_000_000) => {}
            (Some(_), None) => {
                errors.add("late_fee.percent", "must be over 0 and at most 100");
            }
            (None, Some(amount)) if (1..=Money::MAX_AMOUNT).contains(&amount) => {}
            (None, Some(_)) => {
                errors.add("late_fee.amount", "must be 1 to 10^15 minor units");
            }
            _ => {
                errors.add("late_fee", "give exactly one of percent and amount");
            }
        }
    }
    errors.into_result().map(|()| (steps, new.late_fee))
}

/// Replaces the schedule, at `expected` version (`If-Match`; 0 before the first save).
///
/// # Errors
/// 422 by field, 412 for a stale version.
pub async fn policy_put(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    expected: Option<i32>,
    new: DunningPolicyIn,
) -> Result<DunningPolicyOut, ApiError> {
    let (steps, late_fee) = check(new)?;
    let before = policy_of(txn, organization_id).await?;
    check_version(before.version, expected)?;
    let after = DunningPolicyOut { steps, late_fee, version: before.version + 1 };
    let view =
        |policy: &DunningPolicyOut| serde_json::json!({"steps": policy.steps, "late_fee": policy.late_fee});
    let diff = Changes::between(&view(&before), &view(&after));
    if diff.is_empty() {
        return Ok(before);
    }
    let row = dunning_policy::Model {
        organization_id,
        steps: serde_json::to_string(&after.steps).map_err(ApiError::internal)?,
        late_fee_percent: after.late_fee.and_then(|fee| fee.percent).map(Decimal4::ten_thousandths),
        late_fee_amount: after.late_fee.and_then(|fee| fee.amount),
        updated_at: Utc::now(),
        version: after.version,
    };
    let update = dunning_policy::Entity::update_many()
        .col_expr(dunning_policy::Column::Steps, Expr::value(row.steps.clone()))
        .col_expr(dunning_policy::Column::LateFeePercent, Expr::value(row.late_fee_percent))
        .col_expr(dunning_policy::Column::LateFeeAmount, Expr::value(row.late_fee_amount))
        .col_expr(dunning_policy::Column::UpdatedAt, Expr::value(row.updated_at))
        .col_expr(dunning_policy::Column::Version, Expr::value(row.version))
        .filter(dunning_policy::Column::OrganizationId.eq(organization_id))
        .filter(dunning_policy::Column::Version.eq(before.version));
    save_versioned(txn, before.version, row.into_active_model(), update).await?;
    let entry = AuditEntry::new(
        acting,
        Some(organization_id),
        "dunning_policy.update",
        "dunning_policy",
        organization_id,
    );
    record(txn, entry.changes(diff)).await?;
    Ok(after)
}
