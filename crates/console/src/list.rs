//! What every list page shares: filter fields as browsers send them, the URL of a list's
//! first page with its filters (the cursor dropped), and the columns a person chose to see,
//! remembered per list in a cookie set by `POST /admin/columns`.

use axum::Form;
use axum::response::{IntoResponse, Redirect, Response};
use baseops_core::{ApiError, AppState};
use http::{HeaderMap, HeaderValue, header};
use serde::Serialize;

use crate::{ConsoleError, Signed, is_local_page};

/// A column a list can show or hide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Column {
    /// Its key in the cookie and the template (`company`).
    pub key: &'static str,
    /// Its heading.
    pub label: &'static str,
    /// Whether it is shown before the person chooses.
    pub shown: bool,
}

/// The list's columns as this person sees them: `shown` as they chose (their cookie for
/// `list`), else as declared. A choice naming no known column shows the declared ones.
pub fn columns(signed: &Signed, list: &str, declared: &[Column]) -> Vec<Column> {
    let Some(chosen) = signed.chosen_columns(list) else { return declared.to_vec() };
    let chosen: Vec<&str> = chosen.split('.').collect();
    if !declared.iter().any(|column| chosen.contains(&column.key)) {
        return declared.to_vec();
    }
    declared.iter().map(|column| Column { shown: chosen.contains(&column.key), ..*column }).collect()
}

/// Column key → shown, for templates: `{% if show.company %}`.
pub fn shown(columns: &[Column]) -> std::collections::BTreeMap<&'static str, bool> {
    columns.iter().map(|column| (column.key, column.shown)).collect()
}

/// Prefix of the cookies that remember a list's columns.
const COOKIE_PREFIX: &str = "baseops_cols_";
/// Longest list name or column key.
const MAX_KEY_LEN: usize = 32;
/// Most columns a choice names.
const MAX_COLUMNS: usize = 30;

/// A list name or column key: lower-case letters, digits and `_`, 1 to 32 of them.
fn is_key(text: &str) -> bool {
    (1..=MAX_KEY_LEN).contains(&text.len())
        && text.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
}

/// Every list's chosen columns in the request's cookies, as `(list, "a.b.c")`; malformed
/// ones are ignored.
pub(crate) fn chosen_columns(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter_map(|(name, value)| Some((name.strip_prefix(COOKIE_PREFIX)?, value)))
        .filter(|(list, value)| is_key(list) && value.split('.').take(MAX_COLUMNS + 1).all(is_key))
        .take(MAX_COLUMNS)
        .map(|(list, value)| (list.to_owned(), value.to_owned()))
        .collect()
}

/// `POST /admin/columns`: `list`, the `cols` ticked and the page to go `back` to. Remembers
/// the choice for a year in the list's cookie (the list ignores keys it does not know).
pub(crate) async fn choose(
    axum::extract::State(state): axum::extract::State<AppState>,
    _signed: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let field =
        |name: &str| fields.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str());
    let list = field("list");
    if !is_key(list) {
        return Err(ApiError::invalid("list", "is not a list").into());
    }
    let cols: Vec<&str> =
        fields.iter().filter(|(key, _)| key == "cols").map(|(_, value)| value.as_str()).collect();
    if cols.len() > MAX_COLUMNS || !cols.iter().all(|key| is_key(key)) {
        return Err(ApiError::invalid("cols", "are not columns of the list").into());
    }
    let back = field("back");
    let back = if is_local_page(back) { back } else { "/admin" };
    let secure = if state.settings().session.cookie_secure { "; Secure" } else { "" };
    // No column ticked forgets the choice: the list shows its own again.
    let (value, age) = if cols.is_empty() { (String::new(), 0) } else { (cols.join("."), 31_536_000) };
    let cookie =
        format!("{COOKIE_PREFIX}{list}={value}; Path=/admin; HttpOnly; SameSite=Lax; Max-Age={age}{secure}");
    let mut response = Redirect::to(back).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie)
            .map_err(|_| ApiError::invalid("cols", "are not columns of the list"))?,
    );
    Ok(response)
}

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
    fn chosen_columns_come_from_well_formed_cookies_only() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static(
                "a=b; baseops_cols_leads=company.email; baseops_cols_Bad=x; baseops_cols_tasks=due.<x>",
            ),
        );
        assert_eq!(chosen_columns(&headers), [("leads".to_owned(), "company.email".to_owned())]);
        assert!(is_key("utm_campaign") && !is_key("") && !is_key(&"a".repeat(33)) && !is_key("a-b"));
    }

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
