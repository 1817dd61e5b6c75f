//! The PDF file itself: catalog, page tree, the two fonts, one page and one deflated content
//! stream per laid-out page.

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, TextStr};

use crate::font::Font;
use crate::model::Document;
use crate::render::{PAGE_HEIGHT, PAGE_WIDTH};

/// Writes the pages' contents as a PDF file.
pub(crate) fn write_pdf(document: &Document, contents: Vec<Content>) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let info = Ref::new(3);
    let fonts = [(Font::Regular, Ref::new(4)), (Font::Bold, Ref::new(5))];
    let first = 6;
    let page_ids: Vec<Ref> = (0..contents.len()).map(|index| Ref::new(first + 2 * index as i32)).collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(page_ids.len() as i32);
    let title = format!("{} {}", document.title, document.number);
    pdf.document_info(info).title(TextStr(title.trim())).producer(TextStr("baseops"));
    for (font, id) in fonts {
        pdf.type1_font(id).base_font(Name(font.base_name())).encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for (page_id, content) in page_ids.iter().zip(contents) {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)).parent(tree).contents(content_id);
        let mut resources = page.resources();
        let mut dict = resources.fonts();
        for (font, id) in fonts {
            dict.pair(Name(font.resource()), id);
        }
        dict.finish();
        resources.finish();
        page.finish();
        let raw = content.finish();
        pdf.stream(content_id, &deflate(&raw)).filter(Filter::FlateDecode);
    }
    pdf.finish()
}

/// Content streams are mostly repeated operators: deflate makes them about five times smaller.
fn deflate(raw: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::with_capacity(raw.len() / 3), Compression::fast());
    // Writing into a Vec cannot fail.
    encoder.write_all(raw).expect("writes to memory");
    encoder.finish().expect("writes to memory")
}
