//! Cursor pagination, one way for every list: `?limit=&cursor=` in, and
//! `{"items": […], "next_cursor": "…" | null}` out.
//!
//! Lists are keyset-paginated: a page is the rows after the last row of the previous page
//! in the list's order, so a page costs the same at any depth and rows inserted meanwhile
//! never shift what comes next. The cursor names the order it was made for and the last
//! row's sort value and id; it is opaque to clients (base64url of a small JSON array), and
//! one made for another order, or one that does not decode, is 400 `invalid_cursor`.
//!
//! ```ignore
//! let paging = Paging::new(query.limit, query.cursor.as_deref(), sort.name())?;
//! let mut condition = …;
//! if let Some(after) = &paging.after { condition = condition.add(id.lt(after.id)); }
//! let rows = query.filter(condition).limit(paging.fetch()).all(db).await?;
//! Ok(paging.page(rows, sort.name(), |row| (Value::Null, row.id), Into::into))
//! ```

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::ApiError;

/// Page size when the client names none.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest page a client may ask for.
pub const MAX_LIMIT: u64 = 200;
/// Longest cursor accepted; every cursor this API makes is far shorter.
pub const MAX_CURSOR_LEN: usize = 512;

/// How many rows a list holds, counted only up to a bound: lists never count a whole big
/// table to print a number nobody reads to the last digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BoundedCount {
    /// The count, or the bound when there are more.
    pub count: u64,
    /// Whether `count` is exact; `false` means "more than `count`".
    pub exact: bool,
}

impl BoundedCount {
    /// Rows to fetch to count up to `bound`: one more, to tell "exactly" from "more".
    pub fn fetch(bound: u64) -> u64 {
        bound.saturating_add(1)
    }

    /// The count of `found` rows fetched with [`BoundedCount::fetch`].
    pub fn of(found: u64, bound: u64) -> Self {
        if found > bound { Self { count: bound, exact: false } } else { Self { count: found, exact: true } }
    }

    /// The count as a person reads it: `12`, or `1000+` when there are more.
    pub fn shown(&self) -> String {
        if self.exact { self.count.to_string() } else { format!("{}+", self.count) }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `?limit=&cursor=` of a list that has no other parameter. Lists with filters declare
/// `limit` and `cursor` among them and check both with [`Paging::new`].
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// For an export sharing its list's parameters: it reads every match, so `limit` and
/// `cursor`, which page the list, are refused instead of silently ignored.
///
/// # Errors
/// 422 on the parameter given.
pub fn refuse_paging(limit: Option<u64>, cursor: Option<&str>) -> Result<(), ApiError> {
    let mut errors = crate::FieldErrors::new();
    if limit.is_some() {
        errors.add("limit", "pages the list only; an export has every match");
    }
    if cursor.is_some() {
        errors.add("cursor", "pages the list only; an export has every match");
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The last row's value of the sort column (`null` when the list is ordered by id).
    pub value: Value,
    /// The last row's id, which breaks ties.
    pub id: Uuid,
}

/// A checked page request: how many rows, after which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    /// The page size.
    pub limit: u64,
    /// Where the previous page ended; `None` for the first page.
    pub after: Option<Cursor>,
}

/// The answer to a cursor this list did not make.
pub fn invalid_cursor() -> ApiError {
    ApiError::BadRequest {
        code: "invalid_cursor",
        detail: "The cursor is not one this list produced; start again from the first page.".into(),
    }
}

impl Cursor {
    /// The opaque text of a cursor for the list ordered by `sort`.
    pub fn encode(sort: &str, value: Value, id: Uuid) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::json!([sort, value, id]).to_string())
    }

    /// Reads a cursor made by [`Cursor::encode`] for the same `sort`.
    ///
    /// # Errors
    /// 400 `invalid_cursor`.
    pub fn decode(sort: &str, text: &str) -> Result<Self, ApiError> {
        if text.len() > MAX_CURSOR_LEN {
            return Err(invalid_cursor());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid_cursor())?;
        match serde_json::from_slice::<Value>(&bytes).map_err(|_| invalid_cursor())? {
            Value::Array(parts) => match <[Value; 3]>::try_from(parts) {
                Ok([Value::String(name), value, Value::String(id)]) if name == sort => {
                    Ok(Self { value, id: Uuid::parse_str(&id).map_err(|_| invalid_cursor())? })
                }
                _ => Err(invalid_cursor()),
            },
            _ => Err(invalid_cursor()),
        }
    }

    /// The sort value as an integer.
    ///
    /// # Errors
    /// 400 `invalid_cursor` when it is not one.
    pub fn value_i64(&self) -> Result<i64, ApiError> {
        self.value.as_i64().ok_or_else(invalid_cursor)
    }

    /// The sort value as text.
    ///
    /// # Errors
    /// 400 `invalid_cursor` when it is not text.
    pub fn value_str(&self) -> Result<&str, ApiError> {
        self.value.as_str().ok_or_else(invalid_cursor)
    }
}

impl Paging {
    /// Checks `limit` (1–[`MAX_LIMIT`], default [`DEFAULT_LIMIT`]) and reads `cursor` for the
    /// list ordered by `sort`.
    ///
    /// # Errors
    /// 422 for a limit out of range; 400 `invalid_cursor`.
    pub fn new(limit: Option<u64>, cursor: Option<&str>, sort: &str) -> Result<Self, ApiError> {
        Self::bounded(limit, cursor, sort, DEFAULT_LIMIT, MAX_LIMIT)
    }

    /// As [`Paging::new`], with a list's own default and largest page size.
    ///
    /// # Errors
    /// 422 for a limit out of range; 400 `invalid_cursor`.
    pub fn bounded(
        limit: Option<u64>,
        cursor: Option<&str>,
        sort: &str,
        default: u64,
        max: u64,
    ) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(default);
        if !(1..=max).contains(&limit) {
            return Err(ApiError::invalid("limit", format!("must be between 1 and {max}")));
        }
        let after = cursor.map(|text| Cursor::decode(sort, text)).transpose()?;
        Ok(Self { limit, after })
    }

    /// How many rows to fetch: one more than the page, to learn whether another follows.
    pub fn fetch(&self) -> u64 {
        self.limit.saturating_add(1)
    }

    /// The page made of `rows` (fetched with [`Paging::fetch`] in the list's order): at most
    /// `limit` items, and a cursor after the last when more follow. `key` gives a row's sort
    /// value and id, `item` turns a row into what the list answers.
    pub fn page<R, T>(
        &self,
        mut rows: Vec<R>,
        sort: &str,
        key: impl Fn(&R) -> (Value, Uuid),
        item: impl FnMut(R) -> T,
    ) -> Page<T> {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| {
                let (value, id) = key(last);
                Cursor::encode(sort, value, id)
            })
        } else {
            None
        };
        Page { items: rows.into_iter().map(item).collect(), next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_counts_say_when_there_are_more() {
        assert_eq!(BoundedCount::of(3, 1000).shown(), "3");
        assert_eq!(BoundedCount::of(1000, 1000).shown(), "1000");
        assert_eq!(BoundedCount::of(BoundedCount::fetch(1000), 1000).shown(), "1000+");
    }

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let id = Uuid::now_v7();
        let text = Cursor::encode("-created_at", Value::Null, id);
        assert_eq!(Cursor::decode("-created_at", &text).unwrap(), Cursor { value: Value::Null, id });
        let valued = Cursor::encode("score", Value::from(7), id);
        assert_eq!(Cursor::decode("score", &valued).unwrap().value_i64().unwrap(), 7);
        assert!(Cursor::decode("score", &text).is_err(), "another sort's cursor");
        for junk in ["not-base64!", "", &URL_SAFE_NO_PAD.encode("[1,2]"), &"a".repeat(600)] {
            assert!(Cursor::decode("-created_at", junk).is_err(), "{junk}");
        }
        let bad_id = URL_SAFE_NO_PAD.encode(r#"["s",null,"nope"]"#);
        assert!(Cursor::decode("s", &bad_id).is_err());
    }

    #[test]
    fn limits_are_checked_and_pages_end_where_the_rows_do() {
        assert_eq!(Paging::new(None, None, "s").unwrap().limit, DEFAULT_LIMIT);
        for bad in [0, MAX_LIMIT + 1, u64::MAX] {
            let error = Paging::new(Some(bad), None, "s").unwrap_err();
            assert_eq!(error.problem().status, 422, "{bad}");
        }
        let paging = Paging::new(Some(2), None, "s").unwrap();
        assert_eq!(paging.fetch(), 3);
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let full = paging.page(ids.clone(), "s", |id| (Value::Null, *id), |id| id);
        assert_eq!(full.items, ids[..2]);
        let next = Paging::new(Some(2), full.next_cursor.as_deref(), "s").unwrap();
        assert_eq!(next.after.unwrap().id, ids[1]);
        let last = paging.page(ids[..2].to_vec(), "s", |id| (Value::Null, *id), |id| id);
        assert_eq!(last.next_cursor, None);
    }
}
