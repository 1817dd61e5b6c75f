//! The business document as the renderer takes it: already formatted text in typed slots,
//! so an invoice, a credit note or a quote are all the same shape.

use crate::format::Locale;

/// A document to print: header, a table of lines, the figures under it, notes and a footer.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The language of the words the renderer adds itself ("Page 1 of 2", "DRAFT").
    pub locale: Locale,
    /// "Invoice", "Credit note".
    pub title: String,
    /// The document's number (`INV-2026-000042`), empty for a draft.
    pub number: String,
    /// Who issues it, printed top left.
    pub issuer: Party,
    /// Who it is for, under the issuer.
    pub recipient: Party,
    /// A heading over the recipient ("Bill to"), none when empty.
    pub recipient_label: String,
    /// Label and value pairs printed under the title (issue date, due date, currency).
    pub facts: Vec<(String, String)>,
    /// The lines.
    pub table: Table,
    /// The figures after the table: subtotal, discount, each tax, total, paid, due.
    pub summary: Vec<SummaryRow>,
    /// Paragraphs after the figures (the memo, a reason).
    pub notes: Vec<String>,
    /// Small print: at the bottom of every page when short (up to four lines), else once at
    /// the end.
    pub footer: Option<String>,
    /// Marks every page with a large "DRAFT".
    pub draft: bool,
}

/// A name and the lines of its address (or of its contact details).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    /// The name, printed bold.
    pub name: String,
    /// The lines under it.
    pub lines: Vec<String>,
}

/// A table: its columns and its rows of cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The columns, left to right.
    pub columns: Vec<Column>,
    /// The rows, each with one cell per column (missing cells are empty, extra ones ignored).
    pub rows: Vec<Vec<String>>,
}

/// A column of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Its heading, repeated on every page.
    pub heading: String,
    /// How its cells are aligned.
    pub align: Align,
    /// Its share of the width, relative to the other columns' (`4.0` next to `1.0`s).
    pub width: f32,
}

impl Column {
    /// A column with a heading, an alignment and a relative width.
    pub fn new(heading: impl Into<String>, align: Align, width: f32) -> Self {
        Self { heading: heading.into(), align, width }
    }
}

/// How text sits in its cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    /// Against the left edge (text).
    #[default]
    Left,
    /// Against the right edge (figures).
    Right,
}

/// A line of the figures under the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    /// "Subtotal", "VAT 19 %".
    pub label: String,
    /// The formatted figure.
    pub value: String,
    /// Bold with a rule above (the total, what is due).
    pub bold: bool,
}

impl SummaryRow {
    /// A row, bold or not.
    pub fn new(label: impl Into<String>, value: impl Into<String>, bold: bool) -> Self {
        Self { label: label.into(), value: value.into(), bold }
    }
}
