//! CSV import, the file side: reading a messy file (a UTF-8 BOM, `;` or tab separators,
//! quoted newlines, Latin-1 from old spreadsheets), suggesting a column mapping from the
//! headers, and turning each row into checked [`LeadFields`](crate::service::lead_input::LeadFields)
//! or a list of problems. The database side (de-duplication, batches, progress) is in
//! [`crate::service::import`].

pub mod mapping;
pub mod reader;
pub mod row;

pub use mapping::{ImportField, Mapping, suggest};
pub use reader::{CsvFile, ReadError};
pub use row::{RowOutcome, read_row};
