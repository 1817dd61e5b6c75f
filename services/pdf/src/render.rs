//! Lays a [`Document`] out on A4 pages and writes the PDF.
//!
//! Pages are laid out top to bottom with a cursor; the page count is known only at the end,
//! so every page's content stays open until "Page N of M" can be added to it.

use pdf_writer::{Content, Name, Str};

use crate::font::{Font, encode, wrap};
use crate::model::{Align, Document};
use crate::writer::write_pdf;

/// A4 in points.
pub(crate) const PAGE_WIDTH: f32 = 595.28;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 50.0;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// The top of the content on pages after the first, under their short header.
const CONTINUED_TOP: f32 = PAGE_HEIGHT - MARGIN - 28.0;
/// The page number's baseline.
const PAGE_NUMBER_Y: f32 = 28.0;

const BODY: f32 = 9.0;
const LEADING: f32 = 11.5;
const SMALL: f32 = 7.5;
const SMALL_LEADING: f32 = 9.5;
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 4.0;
const HEADER_ROW: f32 = 18.0;
/// A footer longer than this many lines is printed once at the end instead of on each page.
const FOOTER_MAX_LINES: usize = 4;

/// Renders the document to the bytes of a PDF file.
pub fn render(document: &Document) -> Vec<u8> {
    let mut layout = Layout::new(document);
    layout.header();
    layout.table();
    layout.summary();
    layout.notes();
    layout.finish()
}

struct Layout<'a> {
    document: &'a Document,
    pages: Vec<Content>,
    /// Where the next thing goes: its top, in points from the bottom of the page.
    y: f32,
    /// How low content may reach on this page.
    bottom: f32,
    /// The footer drawn on each page, when short enough.
    footer: Vec<Vec<u8>>,
    /// Column edges: left x and width of each column.
    columns: Vec<(f32, f32)>,
}

impl<'a> Layout<'a> {
    fn new(document: &'a Document) -> Self {
        let footer = document
            .footer
            .as_deref()
            .filter(|text| !text.trim().is_empty())
            .map(|text| wrap(text, Font::Regular, SMALL, CONTENT_WIDTH))
            .unwrap_or_default();
        let footer = if footer.len() <= FOOTER_MAX_LINES { footer } else { Vec::new() };
        let bottom = PAGE_NUMBER_Y + 20.0 + footer.len() as f32 * SMALL_LEADING;
        let total: f32 = document.table.columns.iter().map(|column| column.width.max(0.01)).sum();
        let mut left = MARGIN;
        let columns = document
            .table
            .columns
            .iter()
            .map(|column| {
                let width = CONTENT_WIDTH * column.width.max(0.01) / total;
                left += width;
                (left - width, width)
            })
            .collect();
        let mut layout = Self { document, pages: Vec::new(), y: 0.0, bottom, footer, columns };
        layout.page(false);
        layout
    }

    fn content(&mut self) -> &mut Content {
        // `new` starts the first page, so there is always one.
        self.pages.last_mut().expect("a page")
    }

    fn text(&mut self, x: f32, y: f32, font: Font, size: f32, encoded: &[u8]) {
        if encoded.is_empty() {
            return;
        }
        let content = self.content();
        content.begin_text();
        content.set_font(Name(font.resource()), size);
        content.next_line(x, y);
        content.show(Str(encoded));
        content.end_text();
    }

    fn text_right(&mut self, right: f32, y: f32, font: Font, size: f32, encoded: &[u8]) {
        let width = font.measure(encoded, size);
        self.text(right - width, y, font, size, encoded);
    }

    fn gray(&mut self, level: f32) {
        self.content().set_fill_gray(level);
    }

    fn rule(&mut self, from: f32, to: f32, y: f32, level: f32) {
        let content = self.content();
        content.set_stroke_gray(level);
        content.set_line_width(0.5);
        content.move_to(from, y);
        content.line_to(to, y);
        content.stroke();
    }

    /// Starts a page: the draft mark behind everything, the footer, and on pages after the
    /// first a short header naming the document.
    fn page(&mut self, continued: bool) {
        self.pages.push(Content::new());
        if self.document.draft {
            self.draft_mark();
        }
        self.gray(0.35);
        for (at, line) in self.footer.clone().iter().enumerate() {
            let y = PAGE_NUMBER_Y + 16.0 + (self.footer.len() - 1 - at) as f32 * SMALL_LEADING;
            self.text(MARGIN, y, Font::Regular, SMALL, line);
        }
        self.gray(0.0);
        self.y = PAGE_HEIGHT - MARGIN;
        if continued {
            let name = encode(&self.document.issuer.name);
            self.text(MARGIN, self.y - 9.0, Font::Bold, BODY, &name);
            let heading = encode(&self.heading());
            self.text_right(RIGHT, self.y - 9.0, Font::Regular, BODY, &heading);
            self.rule(MARGIN, RIGHT, self.y - 14.0, 0.6);
            self.y = CONTINUED_TOP;
        }
    }

    fn heading(&self) -> String {
        format!("{} {}", self.document.title, self.document.number).trim().to_owned()
    }

    /// A red stamp at the top of the page. Horizontal on purpose: a diagonal watermark across
    /// the lines scrambles the text readers and screen readers extract.
    fn draft_mark(&mut self) {
        let word = encode(self.document.locale.draft());
        let size = 16.0;
        let width = Font::Bold.measure(&word, size);
        let (x, y) = (PAGE_WIDTH / 2.0 - width / 2.0, PAGE_HEIGHT - 36.0);
        let content = self.content();
        content.save_state();
        content.set_fill_rgb(0.8, 0.1, 0.1);
        content.set_stroke_rgb(0.8, 0.1, 0.1);
        content.set_line_width(1.5);
        content.rect(x - 8.0, y - 6.0, width + 16.0, size + 7.0);
        content.stroke();
        content.begin_text();
        content.set_font(Name(Font::Bold.resource()), size);
        content.next_line(x, y);
        content.show(Str(&word));
        content.end_text();
        content.restore_state();
    }

    /// Moves to a new page unless `height` fits above the bottom.
    fn room(&mut self, height: f32) {
        if self.y - height < self.bottom {
            self.page(true);
        }
    }

    /// Issuer top left, title, number and facts top right, the recipient under the issuer.
    fn header(&mut self) {
        let document = self.document;
        let top = self.y;
        let half = CONTENT_WIDTH / 2.0 - 10.0;
        let mut left = top - 14.0;
        self.text(MARGIN, left, Font::Bold, 14.0, &encode(&document.issuer.name));
        left -= 4.0;
        for line in document.issuer.lines.iter().flat_map(|line| wrap(line, Font::Regular, BODY, half)) {
            left -= LEADING;
            self.text(MARGIN, left, Font::Regular, BODY, &line);
        }
        let mut right = top - 18.0;
        self.text_right(RIGHT, right, Font::Bold, 20.0, &encode(&document.title));
        if !document.number.is_empty() {
            right -= 16.0;
            self.text_right(RIGHT, right, Font::Bold, 11.0, &encode(&document.number));
        }
        right -= 6.0;
        let facts_left = RIGHT - half.min(230.0);
        for (label, value) in &document.facts {
            right -= LEADING;
            self.gray(0.35);
            self.text(facts_left, right, Font::Regular, BODY, &encode(label));
            self.gray(0.0);
            self.text_right(RIGHT, right, Font::Regular, BODY, &encode(value));
        }
        left -= 26.0;
        if !document.recipient_label.is_empty() {
            self.gray(0.35);
            self.text(MARGIN, left, Font::Bold, SMALL, &encode(&document.recipient_label.to_uppercase()));
            self.gray(0.0);
            left -= LEADING + 1.0;
        }
        self.text(MARGIN, left, Font::Bold, 10.5, &encode(&document.recipient.name));
        for line in document.recipient.lines.iter().flat_map(|line| wrap(line, Font::Regular, BODY, half)) {
            left -= LEADING;
            self.text(MARGIN, left, Font::Regular, BODY, &line);
        }
        self.y = left.min(right) - 24.0;
    }

    fn table_header(&mut self) {
        let top = self.y;
        let content = self.content();
        content.set_fill_gray(0.92);
        content.rect(MARGIN, top - HEADER_ROW, CONTENT_WIDTH, HEADER_ROW);
        content.fill_nonzero();
        content.set_fill_gray(0.0);
        let baseline = top - HEADER_ROW + 6.0;
        for (index, column) in self.document.table.columns.iter().enumerate() {
            let (left, width) = self.columns[index];
            let heading = encode(&column.heading);
            match column.align {
                Align::Left => self.text(left + CELL_PAD_X, baseline, Font::Bold, 8.5, &heading),
                Align::Right => {
                    self.text_right(left + width - CELL_PAD_X, baseline, Font::Bold, 8.5, &heading)
                }
            }
        }
        self.y = top - HEADER_ROW;
    }

    /// The rows, each cell wrapped in its column; the heading row opens every page the table
    /// reaches, and a row taller than a whole page is split between pages.
    fn table(&mut self) {
        let document = self.document;
        if document.table.columns.is_empty() {
            return;
        }
        self.room(HEADER_ROW + LEADING + 2.0 * CELL_PAD_Y);
        self.table_header();
        for row in &document.table.rows {
            let cells: Vec<Vec<Vec<u8>>> = self
                .columns
                .iter()
                .enumerate()
                .map(|(index, (_, width))| {
                    let text = row.get(index).map_or("", String::as_str);
                    wrap(text, Font::Regular, BODY, width - 2.0 * CELL_PAD_X)
                })
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let mut from = 0;
            let mut rows_on_page = self.y < CONTINUED_TOP - HEADER_ROW - 1.0;
            while from < height {
                let fits = ((self.y - self.bottom - 2.0 * CELL_PAD_Y) / LEADING).floor().max(0.0) as usize;
                // A row moves whole to the next page unless it alone is taller than a page.
                if fits < height - from && rows_on_page {
                    self.page(true);
                    self.table_header();
                    rows_on_page = false;
                    continue;
                }
                // At least one line on a fresh page, so that no layout can loop.
                let to = height.min(from + fits.max(1));
                self.cells(&cells, from, to);
                from = to;
                rows_on_page = true;
            }
        }
    }

    /// Lines `from..to` of a row's cells, then the rule under them.
    fn cells(&mut self, cells: &[Vec<Vec<u8>>], from: usize, to: usize) {
        let top = self.y - CELL_PAD_Y;
        for (index, lines) in cells.iter().enumerate() {
            let (left, width) = self.columns[index];
            let align = self.document.table.columns[index].align;
            for (at, line) in lines.iter().enumerate().take(to).skip(from) {
                let baseline = top - (at - from) as f32 * LEADING - BODY;
                match align {
                    Align::Left => self.text(left + CELL_PAD_X, baseline, Font::Regular, BODY, line),
                    Align::Right => {
                        self.text_right(left + width - CELL_PAD_X, baseline, Font::Regular, BODY, line)
                    }
                }
            }
        }
        self.y = top - (to - from) as f32 * LEADING - CELL_PAD_Y;
        self.rule(MARGIN, RIGHT, self.y, 0.82);
    }

    /// The figures, right-aligned under the table, kept together on one page.
    fn summary(&mut self) {
        let rows = &self.document.summary;
        if rows.is_empty() {
            return;
        }
        let value_right = RIGHT - CELL_PAD_X;
        let label_right = RIGHT - 120.0;
        let labels: Vec<Vec<Vec<u8>>> = rows
            .iter()
            .map(|row| {
                let font = if row.bold { Font::Bold } else { Font::Regular };
                wrap(&row.label, font, BODY, label_right - MARGIN)
            })
            .collect();
        let height: f32 = labels
            .iter()
            .zip(rows)
            .map(|(lines, row)| lines.len() as f32 * LEADING + if row.bold { 6.0 } else { 2.0 })
            .sum();
        self.y -= 10.0;
        self.room(height);
        for (lines, row) in labels.iter().zip(rows) {
            let font = if row.bold { Font::Bold } else { Font::Regular };
            if row.bold {
                self.rule(RIGHT - 260.0, RIGHT, self.y - 2.0, 0.3);
                self.y -= 4.0;
            }
            let baseline = self.y - BODY - 1.0;
            self.text_right(value_right, baseline, font, BODY, &encode(&row.value));
            for (at, line) in lines.iter().enumerate() {
                self.text_right(label_right, baseline - at as f32 * LEADING, font, BODY, line);
            }
            self.y -= lines.len() as f32 * LEADING + 2.0;
        }
    }

    /// Paragraphs across the full width, flowing onto new pages line by line.
    fn paragraphs(&mut self, texts: &[&str], size: f32, leading: f32, gray: f32) {
        for text in texts {
            self.y -= leading * 0.6;
            for line in wrap(text, Font::Regular, size, CONTENT_WIDTH) {
                self.room(leading);
                self.y -= leading;
                // Set per line: a new page starts in black.
                self.gray(gray);
                self.text(MARGIN, self.y + leading - size, Font::Regular, size, &line);
                self.gray(0.0);
            }
        }
    }

    fn notes(&mut self) {
        let document = self.document;
        self.y -= 8.0;
        let notes: Vec<&str> =
            document.notes.iter().map(String::as_str).filter(|note| !note.trim().is_empty()).collect();
        self.paragraphs(&notes, BODY, LEADING, 0.0);
        // A long footer was not put on each page: it closes the document instead.
        let long_footer = document.footer.as_deref().filter(|text| !text.trim().is_empty());
        if let Some(footer) = long_footer.filter(|_| self.footer.is_empty()) {
            self.y -= 8.0;
            self.paragraphs(&[footer], SMALL, SMALL_LEADING, 0.35);
        }
    }

    /// Numbers the pages and writes the file.
    fn finish(mut self) -> Vec<u8> {
        let count = self.pages.len();
        let heading = encode(&self.heading());
        let locale = self.document.locale;
        let mut contents = std::mem::take(&mut self.pages);
        for (index, content) in contents.iter_mut().enumerate() {
            let number = encode(&locale.page_of(index + 1, count));
            content.set_fill_gray(0.35);
            for (x, text) in [(MARGIN, &heading), (RIGHT - Font::Regular.measure(&number, SMALL), &number)] {
                content.begin_text();
                content.set_font(Name(Font::Regular.resource()), SMALL);
                content.next_line(x, PAGE_NUMBER_Y);
                content.show(Str(text));
                content.end_text();
            }
        }
        write_pdf(self.document, contents)
    }
}
