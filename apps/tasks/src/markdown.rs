//! Markdown to HTML for descriptions and comments, safely: raw HTML in the source is shown
//! as text, never passed through, and links and images keep only `http`, `https` (and for
//! links `mailto`) targets — anything else (`javascript:`, `data:`, relative paths) becomes
//! plain text.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// Renders `source` as HTML that is safe to put in a page.
pub fn render(source: &str) -> String {
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
    // Tracks the links and images dropped, so their end tags are dropped too.
    let mut dropped: Vec<bool> = Vec::new();
    let events = Parser::new_ext(source, options).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link { ref dest_url, .. }) => {
            let keep = allowed_target(dest_url, true);
            dropped.push(!keep);
            keep.then_some(event)
        }
        Event::Start(Tag::Image { ref dest_url, .. }) => {
            let keep = allowed_target(dest_url, false);
            dropped.push(!keep);
            keep.then_some(event)
        }
        Event::End(TagEnd::Link | TagEnd::Image) => {
            let was_dropped = dropped.pop().unwrap_or(false);
            (!was_dropped).then_some(event)
        }
        other => Some(other),
    });
    let mut out = String::with_capacity(source.len() + source.len() / 2);
    html::push_html(&mut out, events);
    out
}

fn allowed_target(url: &str, mailto: bool) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || (mailto && lower.starts_with("mailto:"))
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_renders_and_raw_html_is_escaped() {
        assert_eq!(render("**bold** _it_"), "<p><strong>bold</strong> <em>it</em></p>\n");
        let html = render("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)>");
        assert!(!html.contains("<script") && !html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn only_web_and_mail_links_survive() {
        assert!(render("[a](https://example.com)").contains("<a href=\"https://example.com\">a</a>"));
        assert!(render("[m](mailto:x@example.com)").contains("href=\"mailto:x@example.com\""));
        for bad in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html,hi)",
            "[x](/relative)",
        ] {
            let html = render(bad);
            assert!(!html.contains("<a"), "{bad} → {html}");
            assert!(html.contains('x'), "the text stays: {html}");
        }
        assert!(!render("![i](javascript:x)").contains("<img"));
        assert!(render("![i](https://example.com/i.png)").contains("<img src=\"https://example.com/i.png\""));
    }
}
