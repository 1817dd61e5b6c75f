//! One CSV row → checked lead fields, or the problems that keep it out.

use baseops_core::{Currency, Email, FieldErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::contact::parse_amount;
use crate::import::ImportField;
use crate::service::lead_input::{
    self as input, LeadFields, MAX_ADDRESS_LEN, MAX_COMPANY_LEN, MAX_NAME_LEN, MAX_NOTES_LEN, MAX_UTM_LEN,
};

/// One problem with one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowProblem {
    /// The row (the header is row 1; a quoted newline does not start a row).
    pub row: u64,
    /// The lead field (or `row` for the row as a whole).
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

/// What a row becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowOutcome {
    /// The lead's fields, when the row is valid.
    pub fields: Option<LeadFields>,
    /// The owner's e-mail address, when a column names one.
    pub owner_email: Option<String>,
    /// Every problem found.
    pub problems: Vec<RowProblem>,
}

/// A cell as written before an export defused it: `'+4930…` → `+4930…` (a `'` before `=`,
/// `+`, `-`, `@`, a tab or a carriage return keeps spreadsheets from reading a formula; the
/// export adds it to exactly those). Trimmed again, as every cell is.
fn undefused(value: &str) -> String {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.trim_start().to_owned(),
        _ => value.to_owned(),
    }
}

/// The record's value for `field`: trimmed, undefused; `None` when blank or not mapped.
fn cell_of(record: &csv::StringRecord, columns: &[ImportField], field: ImportField) -> Option<String> {
    let index = columns.iter().position(|column| *column == field)?;
    record.get(index).map(str::trim).filter(|value| !value.is_empty()).map(undefused)
}

/// The owner's e-mail address a record names, as [`read_row`] reads it (lower-case);
/// `None` when blank, not an address, or no column is mapped to it. An import resolves
/// these to members before reading its rows.
pub fn owner_email(record: &csv::StringRecord, columns: &[ImportField]) -> Option<String> {
    let text = cell_of(record, columns, ImportField::OwnerEmail)?;
    Email::parse(&text).ok().map(Email::into_inner)
}

/// Reads one record with the columns' fields. `default_currency` applies to values without
/// a currency column; phone numbers are read in `region`.
pub fn read_row(
    row: u64,
    record: &csv::StringRecord,
    columns: &[ImportField],
    default_currency: &str,
    region: &str,
) -> RowOutcome {
    let mut errors = FieldErrors::new();
    let cell = |field: ImportField| cell_of(record, columns, field);
    let (mut first, mut last) = (cell(ImportField::FirstName), cell(ImportField::LastName));
    if let Some(full) = cell(ImportField::FullName) {
        let (given, family) = match full.rsplit_once(char::is_whitespace) {
            Some((given, family)) => (given.trim().to_owned(), family.to_owned()),
            None => (full.clone(), String::new()),
        };
        first = first.or(Some(given).filter(|v| !v.is_empty()));
        last = last.or(Some(family).filter(|v| !v.is_empty()));
    }
    let currency = match cell(ImportField::Currency) {
        Some(code) => match Currency::parse(&code) {
            Ok(currency) => Some(currency),
            Err(error) => {
                errors.add("currency", error.to_string());
                None
            }
        },
        None => Currency::parse(default_currency).ok(),
    };
    let value_amount = cell(ImportField::Value).and_then(|text| {
        let currency = currency?;
        match parse_amount(&text, currency) {
            Ok(amount) => input::value(&mut errors, Some(amount.amount_minor())),
            Err(message) => {
                errors.add("value", message);
                None
            }
        }
    });
    let score = cell(ImportField::Score).and_then(|text| match text.parse::<i32>() {
        Ok(score) => Some(score),
        Err(_) => {
            errors.add("score", "is not a whole number");
            None
        }
    });
    let tags = cell(ImportField::Tags).map(|text| {
        text.split([',', ';', '|']).map(str::trim).filter(|tag| !tag.is_empty()).map(str::to_owned).collect()
    });
    let owner_email = cell(ImportField::OwnerEmail).and_then(|text| match Email::parse(&text) {
        Ok(email) => Some(email.into_inner()),
        Err(error) => {
            errors.add("owner_email", error.to_string());
            None
        }
    });
    let fields = LeadFields {
        first_name: input::text(&mut errors, "first_name", first, MAX_NAME_LEN, false).unwrap_or_default(),
        last_name: input::text(&mut errors, "last_name", last, MAX_NAME_LEN, false).unwrap_or_default(),
        email: input::email(&mut errors, cell(ImportField::Email)),
        phone: input::phone(&mut errors, cell(ImportField::Phone), region),
        company: input::text(&mut errors, "company", cell(ImportField::Company), MAX_COMPANY_LEN, false),
        title: input::text(&mut errors, "title", cell(ImportField::Title), MAX_COMPANY_LEN, false),
        website: input::website(&mut errors, cell(ImportField::Website)),
        address: input::text(&mut errors, "address", cell(ImportField::Address), MAX_ADDRESS_LEN, true),
        source: input::source(
            &mut errors,
            Some(cell(ImportField::Source).unwrap_or_else(|| "import".to_owned())),
        ),
        currency: value_amount.and(currency).map(|currency| currency.code().to_owned()),
        value_amount,
        tags: input::tags(&mut errors, tags),
        score: input::score(&mut errors, score),
        utm: [
            input::text(&mut errors, "utm_source", cell(ImportField::UtmSource), MAX_UTM_LEN, false),
            input::text(&mut errors, "utm_medium", cell(ImportField::UtmMedium), MAX_UTM_LEN, false),
            input::text(&mut errors, "utm_campaign", cell(ImportField::UtmCampaign), MAX_UTM_LEN, false),
            input::text(&mut errors, "utm_term", cell(ImportField::UtmTerm), MAX_UTM_LEN, false),
            input::text(&mut errors, "utm_content", cell(ImportField::UtmContent), MAX_UTM_LEN, false),
        ],
        notes: input::text(&mut errors, "notes", cell(ImportField::Notes), MAX_NOTES_LEN, true),
    };
    fields.require_identity(&mut errors);
    let problems: Vec<RowProblem> = errors
        .iter()
        .flat_map(|(field, messages)| {
            let field = if field == "body" { "row" } else { field };
            messages.iter().map(move |message| RowProblem {
                row,
                field: field.to_owned(),
                problem: message.clone(),
            })
        })
        .collect();
    RowOutcome { fields: problems.is_empty().then_some(fields), owner_email, problems }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_fields_or_problems() {
        use ImportField::*;
        let columns = [FullName, Email, Phone, Value, Tags];
        let good = csv::StringRecord::from(vec![
            "Ada King Lovelace",
            "ADA@example.com",
            "(201) 555-0123",
            "1,200.50",
            "vip; tech",
        ]);
        let outcome = read_row(2, &good, &columns, "EUR", "US");
        let fields = outcome.fields.unwrap();
        assert_eq!((fields.first_name.as_str(), fields.last_name.as_str()), ("Ada King", "Lovelace"));
        assert_eq!(fields.email.as_deref(), Some("ada@example.com"));
        assert_eq!(fields.phone.as_deref(), Some("+12015550123"));
        assert_eq!((fields.value_amount, fields.currency.as_deref()), (Some(120_050), Some("EUR")));
        assert_eq!(fields.tags, ["vip", "tech"]);
        assert_eq!(fields.source, "import");

        let bad = csv::StringRecord::from(vec!["", "not-an-email", "", "12.345", ""]);
        let outcome = read_row(3, &bad, &columns, "EUR", "US");
        assert!(outcome.fields.is_none());
        let fields: Vec<&str> = outcome.problems.iter().map(|problem| problem.field.as_str()).collect();
        assert!(fields.contains(&"email") && fields.contains(&"value"), "{fields:?}");
        assert!(outcome.problems.iter().all(|problem| problem.row == 3));
    }
}
