//! What every bulk endpoint checks first: the records it names.

use uuid::Uuid;

use crate::FieldErrors;

/// 1 to `max` record ids, sorted, without duplicates, so a bulk change visits each record
/// once and in one order (concurrent bulk changes lock rows alike and cannot deadlock).
///
/// # Errors
/// `ids` naming none or more than `max` `noun` (`"must name 1 to 200 leads"`).
pub fn ids(ids: Vec<Uuid>, max: usize, noun: &str) -> Result<Vec<Uuid>, FieldErrors> {
    if ids.is_empty() || ids.len() > max {
        let mut errors = FieldErrors::new();
        errors.add("ids", format!("must name 1 to {max} {noun}"));
        return Err(errors);
    }
    let mut unique = ids;
    unique.sort_unstable();
    unique.dedup();
    Ok(unique)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bounded_sorted_and_distinct() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(ids(vec![b, a, b], 3, "leads").unwrap(), [a, b]);
        for refused in [Vec::new(), vec![a; 4]] {
            let errors = ids(refused, 3, "leads").unwrap_err();
            assert_eq!(errors.get("ids"), Some(&["must name 1 to 3 leads".to_owned()][..]));
        }
    }
}
