//! Tax rates. A rate's percentage and kind never change once made — invoices refer to it —
//! so a new rate replaces an old one, which is archived: kept for the documents that used it,
//! offered to no new line.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors, check_version};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::decimal::{Decimal4, SCALE};
use crate::model::tax_rate;

/// Most tax rates an organization keeps (archived included).
pub const MAX_TAX_RATES: u64 = 500;

/// A tax rate as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TaxRateOut {
    /// Id.
    pub id: Uuid,
    /// Name shown on invoices (`VAT`, `GST`).
    pub name: String,
    /// Where it applies (`DE`, `CA-QC`).
    pub jurisdiction: Option<String>,
    /// The percentage, up to 4 decimals.
    pub percent: Decimal4,
    /// Included in prices rather than added to them.
    pub inclusive: bool,
    /// Applied over a line's other taxes as well.
    pub compound: bool,
    /// No longer offered for new lines.
    pub archived: bool,
    /// The first day it applies (inclusive); none: since always.
    pub effective_from: Option<NaiveDate>,
    /// The last day it applies (inclusive); none: until further notice.
    pub effective_to: Option<NaiveDate>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl From<tax_rate::Model> for TaxRateOut {
    fn from(row: tax_rate::Model) -> Self {
        Self {
            id: row.id,
            name: row.name,
            jurisdiction: row.jurisdiction,
            percent: Decimal4::from_ten_thousandths(row.percent),
            inclusive: row.inclusive,
            compound: row.compound,
            archived: row.archived,
            effective_from: row.effective_from,
            effective_to: row.effective_to,
            version: row.version,
        }
    }
}

/// A new tax rate.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaxRate {
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Up to 100 characters.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub jurisdiction: Option<String>,
    /// 0–100, up to 4 decimals (`"19"`, `"8.875"`).
    pub percent: Decimal4,
    /// Included in prices (default false).
    #[serde(default)]
    pub inclusive: bool,
    /// Compound (default false; never with inclusive).
    #[serde(default)]
    pub compound: bool,
    /// The first day it applies (inclusive); none: since always.
    #[serde(default)]
    pub effective_from: Option<NaiveDate>,
    /// The last day it applies (inclusive), not before `effective_from`; none: until further
    /// notice.
    #[serde(default)]
    pub effective_to: Option<NaiveDate>,
}

/// Changes to a rate: its name, jurisdiction, the days it applies, or archiving it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxRateChanges {
    /// 1–100 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Up to 100 characters; `null` clears it.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub jurisdiction: Option<Option<String>>,
    /// Archive or restore.
    #[serde(default)]
    pub archived: Option<bool>,
    /// The first day it applies; `null` clears it.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub effective_from: Option<Option<NaiveDate>>,
    /// The last day it applies; `null` clears it.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub effective_to: Option<Option<NaiveDate>>,
}

/// A 422 on `effective_to` when the rate would end before it starts.
fn check_dates(from: Option<NaiveDate>, to: Option<NaiveDate>, errors: &mut FieldErrors) {
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        errors.add("effective_to", "must not be before effective_from");
    }
}

fn check_text(field: &str, text: &str, required: bool, errors: &mut FieldErrors) -> Option<String> {
    let text = text.trim();
    let count = text.chars().count();
    if (required && count == 0) || count > 100 || text.contains('\0') || text.chars().any(char::is_control) {
        errors.add(field, "must be 1 to 100 printable characters");
    }
    (!text.is_empty()).then(|| text.to_owned())
}

/// The organization's tax rates, oldest first (at most [`MAX_TAX_RATES`]).
///
/// # Errors
/// Database errors.
pub async fn tax_rate_list(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Vec<TaxRateOut>, DbErr> {
    let rows = tax_rate::Entity::find()
        .filter(tax_rate::Column::OrganizationId.eq(organization_id))
        .order_by_asc(tax_rate::Column::Id)
        .limit(MAX_TAX_RATES)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(TaxRateOut::from).collect())
}

/// Makes a tax rate.
///
/// # Errors
/// 422 for bad fields or too many rates.
pub async fn tax_rate_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    new: NewTaxRate,
) -> Result<TaxRateOut, ApiError> {
    let mut errors = FieldErrors::new();
    let name = check_text("name", &new.name, true, &mut errors);
    let jurisdiction =
        new.jurisdiction.as_deref().and_then(|text| check_text("jurisdiction", text, false, &mut errors));
    if !(0..=100 * SCALE).contains(&new.percent.ten_thousandths()) {
        errors.add("percent", "must be between 0 and 100");
    }
    if new.inclusive && new.compound {
        errors.add("compound", "a compound rate cannot be inclusive");
    }
    check_dates(new.effective_from, new.effective_to, &mut errors);
    errors.into_result()?;
    let count = tax_rate::Entity::find()
        .filter(tax_rate::Column::OrganizationId.eq(organization_id))
        .select_only()
        .column(tax_rate::Column::Id)
        .limit(MAX_TAX_RATES)
        .into_tuple::<Uuid>()
        .all(txn)
        .await?
        .len();
    if count as u64 >= MAX_TAX_RATES {
        return Err(ApiError::invalid(
            "name",
            format!("an organization keeps at most {MAX_TAX_RATES} tax rates"),
        ));
    }
    let now = Utc::now();
    let row = tax_rate::Model {
        id: Uuid::now_v7(),
        organization_id,
        name: name.unwrap_or_default(),
        jurisdiction,
        percent: new.percent.ten_thousandths(),
        inclusive: new.inclusive,
        compound: new.compound,
        archived: false,
        created_at: now,
        updated_at: now,
        version: 1,
        effective_from: new.effective_from,
        effective_to: new.effective_to,
    };
    tax_rate::Entity::insert(row.clone().into_active_model()).exec_without_returning(txn).await?;
    let out = TaxRateOut::from(row);
    let entry = AuditEntry::new(acting, Some(organization_id), "tax_rate.create", "tax_rate", out.id);
    record(txn, entry.changes(Changes::created(&serde_json::to_value(&out).map_err(ApiError::internal)?)))
        .await?;
    Ok(out)
}

/// Renames, re-places, re-dates or archives a rate, at `expected` version when given.
///
/// # Errors
/// 404, 412, 422.
pub async fn tax_rate_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
    changes: TaxRateChanges,
) -> Result<TaxRateOut, ApiError> {
    let before = tax_rate::Entity::find_by_id(id)
        .filter(tax_rate::Column::OrganizationId.eq(organization_id))
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    check_version(before.version, expected)?;
    let mut errors = FieldErrors::new();
    let name = changes.name.as_deref().map(|text| check_text("name", text, true, &mut errors));
    let jurisdiction = changes
        .jurisdiction
        .map(|text| text.as_deref().and_then(|text| check_text("jurisdiction", text, false, &mut errors)));
    let mut after = before.clone();
    if let Some(Some(name)) = name {
        after.name = name;
    }
    if let Some(jurisdiction) = jurisdiction {
        after.jurisdiction = jurisdiction;
    }
    after.archived = changes.archived.unwrap_or(after.archived);
    after.effective_from = changes.effective_from.unwrap_or(after.effective_from);
    after.effective_to = changes.effective_to.unwrap_or(after.effective_to);
    check_dates(after.effective_from, after.effective_to, &mut errors);
    errors.into_result()?;
    let (old, new) = (TaxRateOut::from(before.clone()), TaxRateOut::from(after.clone()));
    let diff = Changes::between(
        &serde_json::to_value(&old).map_err(ApiError::internal)?,
        &serde_json::to_value(&new).map_err(ApiError::internal)?,
    );
    if diff.is_empty() {
        return Ok(old);
    }
    let updated = tax_rate::Entity::update_many()
        .col_expr(tax_rate::Column::Name, Expr::value(after.name.clone()))
        .col_expr(tax_rate::Column::Jurisdiction, Expr::value(after.jurisdiction.clone()))
        .col_expr(tax_rate::Column::Archived, Expr::value(after.archived))
        .col_expr(tax_rate::Column::EffectiveFrom, Expr::value(after.effective_from))
        .col_expr(tax_rate::Column::EffectiveTo, Expr::value(after.effective_to))
        .col_expr(tax_rate::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(tax_rate::Column::Version, Expr::value(before.version + 1))
        .filter(tax_rate::Column::Id.eq(id))
        .filter(tax_rate::Column::Version.eq(before.version))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "tax_rate.update", "tax_rate", id).changes(diff),
    )
    .await?;
    Ok(TaxRateOut { version: before.version + 1, ..new })
}

/// The organization's rates among `ids`, in no particular order.
///
/// # Errors
/// Database errors.
pub(crate) async fn rates_by_id(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<tax_rate::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    tax_rate::Entity::find()
        .filter(tax_rate::Column::OrganizationId.eq(organization_id))
        .filter(tax_rate::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}
