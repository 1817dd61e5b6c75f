//! Gap-free numbers: the next value of an organization's series for a kind of document and a
//! year, taken inside the transaction that uses it (see `migration.rs` for why that makes the
//! numbers gap-free and unique on both databases).

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
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
    // One statement: the first use inserts the series having handed out 1; every later one
    // updates the row, which takes its lock (PostgreSQL) or is the single writer (SQLite)
    // before the value is read back, so two transactions never get the same number.
    let row = number_series::Model { organization_id, kind: kind.to_owned(), year, next_value: 2 };
    let keys =
        [number_series::Column::OrganizationId, number_series::Column::Kind, number_series::Column::Year];
    let taken = Expr::col((number_series::Entity, number_series::Column::NextValue)).add(1);
    let series = number_series::Entity::insert(row.into_active_model())
        .on_conflict(OnConflict::columns(keys).value(number_series::Column::NextValue, taken).to_owned())
        .exec_with_returning(txn)
        .await?;
    Ok(series.next_value - 1)
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
