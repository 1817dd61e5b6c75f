//! An organization's billing settings: rounding, the invoice number prefix, default payment
//! terms and footer. An organization that never saved them has the defaults.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors, RoundingMode, check_version};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::input::{check_note, check_terms};
use crate::model::settings;
use crate::totals::{Rounding, RoundingLevel};

/// The default invoice number prefix.
pub const DEFAULT_PREFIX: &str = "INV";
/// The default payment terms, in days.
pub const DEFAULT_TERMS_DAYS: i32 = 30;

/// The settings as the API shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BillingSettingsOut {
    /// How exact halves are rounded.
    pub rounding_mode: RoundingMode,
    /// Whether taxes are rounded per line or per document.
    pub rounding_level: RoundingLevel,
    /// Invoice numbers read `{prefix}-{year}-{number:06}`.
    pub invoice_prefix: String,
    /// Days from finalizing to the due date.
    pub payment_terms_days: i32,
    /// The default footer of invoices.
    pub footer: Option<String>,
    /// Optimistic-concurrency version (0 until first saved).
    pub version: i32,
}

impl BillingSettingsOut {
    /// How invoices round.
    pub fn rounding(&self) -> Rounding {
        Rounding { mode: self.rounding_mode, level: self.rounding_level }
    }
}

/// Changes to the settings; what is left out stays, `footer: null` clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChanges {
    /// `half_even` or `half_up`.
    #[serde(default)]
    pub rounding_mode: Option<RoundingMode>,
    /// `line` or `document`.
    #[serde(default)]
    pub rounding_level: Option<RoundingLevel>,
    /// 1–10 characters: capital letters, digits and `-`.
    #[serde(default)]
    #[schema(pattern = "^[A-Z0-9-]{1,10}$")]
    pub invoice_prefix: Option<String>,
    /// 0–365.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
    /// Up to 5,000 characters.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub footer: Option<Option<String>>,
}

pub(crate) fn mode_name(mode: RoundingMode) -> &'static str {
    match mode {
        RoundingMode::HalfEven => "half_even",
        RoundingMode::HalfUp => "half_up",
    }
}

pub(crate) fn level_name(level: RoundingLevel) -> &'static str {
    match level {
        RoundingLevel::Line => "line",
        RoundingLevel::Document => "document",
    }
}

/// The rounding stored as `mode` and `level` (the defaults for unknown names).
pub(crate) fn rounding_of(mode: &str, level: &str) -> Rounding {
    Rounding {
        mode: if mode == "half_up" { RoundingMode::HalfUp } else { RoundingMode::HalfEven },
        level: if level == "document" { RoundingLevel::Document } else { RoundingLevel::Line },
    }
}

fn out(row: Option<settings::Model>) -> BillingSettingsOut {
    match row {
        Some(row) => {
            let rounding = rounding_of(&row.rounding_mode, &row.rounding_level);
            BillingSettingsOut {
                rounding_mode: rounding.mode,
                rounding_level: rounding.level,
                invoice_prefix: row.invoice_prefix,
                payment_terms_days: row.payment_terms_days,
                footer: row.footer,
                version: row.version,
            }
        }
        None => BillingSettingsOut {
            rounding_mode: RoundingMode::HalfEven,
            rounding_level: RoundingLevel::Line,
            invoice_prefix: DEFAULT_PREFIX.to_owned(),
            payment_terms_days: DEFAULT_TERMS_DAYS,
            footer: None,
            version: 0,
        },
    }
}

/// The organization's settings, or the defaults.
///
/// # Errors
/// Database errors.
pub async fn settings_of(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<BillingSettingsOut, DbErr> {
    Ok(out(settings::Entity::find_by_id(organization_id).one(db).await?))
}

/// Saves changes to the settings, at `expected` version when given (`If-Match`; 0 for
/// settings never saved).
///
/// # Errors
/// 422 for bad values, 412 for a stale version.
pub async fn settings_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    expected: Option<i32>,
    changes: SettingsChanges,
) -> Result<BillingSettingsOut, ApiError> {
    // The body is checked before the version: a malformed one is a 422 whatever was read.
    let mut errors = FieldErrors::new();
    let prefix = changes.invoice_prefix.map(|prefix| prefix.trim().to_owned());
    if let Some(prefix) = &prefix
        && (prefix.is_empty()
            || prefix.len() > 10
            || !prefix.bytes().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'-'))
    {
        errors.add("invoice_prefix", "1 to 10 capital letters, digits or -");
    }
    let terms = check_terms(changes.payment_terms_days, &mut errors);
    let footer = changes.footer.map(|footer| check_note("footer", footer, &mut errors));
    errors.into_result()?;
    let before = settings_of(txn, organization_id).await?;
    check_version(before.version, expected)?;
    let after = BillingSettingsOut {
        rounding_mode: changes.rounding_mode.unwrap_or(before.rounding_mode),
        rounding_level: changes.rounding_level.unwrap_or(before.rounding_level),
        invoice_prefix: prefix.unwrap_or_else(|| before.invoice_prefix.clone()),
        payment_terms_days: terms.unwrap_or(before.payment_terms_days),
        footer: footer.unwrap_or_else(|| before.footer.clone()),
        version: before.version + 1,
    };
    let audited = |s: &BillingSettingsOut| {
        serde_json::json!({
            "rounding_mode": s.rounding_mode, "rounding_level": s.rounding_level,
            "invoice_prefix": s.invoice_prefix, "payment_terms_days": s.payment_terms_days, "footer": s.footer,
        })
    };
    let diff = Changes::between(&audited(&before), &audited(&after));
    if diff.is_empty() {
        return Ok(before);
    }
    let row = settings::Model {
        organization_id,
        rounding_mode: mode_name(after.rounding_mode).to_owned(),
        rounding_level: level_name(after.rounding_level).to_owned(),
        invoice_prefix: after.invoice_prefix.clone(),
        payment_terms_days: after.payment_terms_days,
        footer: after.footer.clone(),
        updated_at: Utc::now(),
        version: after.version,
    };
    let update = settings::Entity::update_many()
        .col_expr(settings::Column::RoundingMode, Expr::value(row.rounding_mode.clone()))
        .col_expr(settings::Column::RoundingLevel, Expr::value(row.rounding_level.clone()))
        .col_expr(settings::Column::InvoicePrefix, Expr::value(row.invoice_prefix.clone()))
        .col_expr(settings::Column::PaymentTermsDays, Expr::value(row.payment_terms_days))
        .col_expr(settings::Column::Footer, Expr::value(row.footer.clone()))
        .col_expr(settings::Column::UpdatedAt, Expr::value(row.updated_at))
        .col_expr(settings::Column::Version, Expr::value(row.version))
        .filter(settings::Column::OrganizationId.eq(organization_id))
        .filter(settings::Column::Version.eq(before.version));
    save_versioned(txn, before.version, row.into_active_model(), update).await?;
    let entry = AuditEntry::new(
        acting,
        Some(organization_id),
        "billing_settings.update",
        "billing_settings",
        organization_id,
    );
    record(txn, entry.changes(diff)).await?;
    Ok(after)
}

/// Saves an organization's row of settings read at version `read`: inserted when it was never
/// saved (0), otherwise `update` (which must be conditional on `read`). Of two concurrent
/// savers the second gets 412 either way: the insert conflicts, or the update finds no row.
///
/// # Errors
/// 412 when the row moved on; database errors.
pub(crate) async fn save_versioned<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    read: i32,
    insert: E::ActiveModel,
    update: sea_orm::UpdateMany<E>,
) -> Result<(), ApiError> {
    if read == 0 {
        E::insert(insert).exec_without_returning(txn).await.map_err(|error| match error.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ApiError::PreconditionFailed,
            _ => ApiError::from(error),
        })?;
    } else if update.exec(txn).await?.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    Ok(())
}
