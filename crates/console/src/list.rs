//! What every list page shares: filter fields as browsers send them, and the URL of a list's
//! first page with its filters (the cursor dropped).

/// A filter field as a browser sends it: blank means "any".
pub fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The list at `base` with the non-blank `filters` and no cursor: its first page.
pub fn first_page(base: &str, filters: &[(&str, &str)]) -> String {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in filters {
        if let Some(value) = given(value) {
            url.append_pair(key, &value);
        }
    }
    let query = url.finish();
    if query.is_empty() { base.to_owned() } else { format!("{base}?{query}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_filters_are_left_out() {
        assert_eq!(given("  a "), Some("a".to_owned()));
        assert_eq!(given("   "), None);
        assert_eq!(first_page("/admin/leads", &[("q", " "), ("status", "")]), "/admin/leads");
        assert_eq!(
            first_page("/admin/leads", &[("q", "a&b"), ("sort", "-value")]),
            "/admin/leads?q=a%26b&sort=-value"
        );
    }
}
