//! Gap-free numbers: the next value of an organization's series for a kind of document and a
//! year, taken inside the transaction that uses it (see `migration.rs` for why that makes the
//! numbers gap-free and unique on both databases).

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::model::number_series;

/// Takes the next number of the series `kind` of `year`: 1 for the first document.
///
/// # Errors
/// Database errors (the transaction then rolls back, and the number is not used).
pub(crate) async fn next_number(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    kind: &str,
    year: i32,
) -> Result<i64, DbErr> {
    let row = number_series::Model { organization_id, kind: kind.to_owned(), year, next_value: 1 };
    let keys =
        [number_series::Column::OrganizationId, number_series::Column::Kind, number_series::Column::Year];
    number_series::Entity::insert(row.into_active_model())
        .on_conflict(OnConflict::columns(keys).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    // The update takes the row's lock (PostgreSQL) or is the single writer (SQLite) before the
    // value is read, so two transactions never read the same value.
    let series = || {
        number_series::Entity::find()
            .filter(number_series::Column::OrganizationId.eq(organization_id))
            .filter(number_series::Column::Kind.eq(kind))
            .filter(number_series::Column::Year.eq(year))
    };
    number_series::Entity::update_many()
        .col_expr(number_series::Column::NextValue, Expr::col(number_series::Column::NextValue).add(1))
        .filter(number_series::Column::OrganizationId.eq(organization_id))
        .filter(number_series::Column::Kind.eq(kind))
        .filter(number_series::Column::Year.eq(year))
        .exec(txn)
        .await?;
    let next: Option<i64> =
        series().select_only().column(number_series::Column::NextValue).into_tuple().one(txn).await?;
    next.map(|next| next - 1).ok_or_else(|| DbErr::RecordNotFound("the number series".to_owned()))
}

/// `INV-2026-000042`: the prefix, the year and the number, padded to six digits.
pub fn format_number(prefix: &str, year: i32, number: i64) -> String {
    format!("{prefix}-{year}-{number:06}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_read_as_documented() {
        assert_eq!(super::format_number("INV", 2026, 42), "INV-2026-000042");
        assert_eq!(super::format_number("CN", 2027, 1_234_567), "CN-2027-1234567");
    }
}
