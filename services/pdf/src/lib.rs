//! PDF documents rendered in the process: a typed business [`Document`] (issuer, recipient,
//! facts, a table of lines, the figures, notes, footer) laid out on A4 pages by [`render`],
//! and the locale-aware [`format`]s the apps fill it with.
//!
//! Text uses the standard Type1 fonts Helvetica and Helvetica-Bold in WinAnsiEncoding, which
//! every PDF reader has built in: no font is embedded, so a file is small and rendering is
//! fast. The limit is WinAnsi's repertoire (Western European Latin, `€ £ ¥`, typographic
//! quotes and dashes): any other character prints as `?`. See `services/pdf/README.md`.

mod font;
pub mod format;
mod model;
mod render;
#[cfg(test)]
mod tests;
mod writer;

pub use format::Locale;
pub use model::{Align, Column, Document, Party, SummaryRow, Table};
pub use render::render;
