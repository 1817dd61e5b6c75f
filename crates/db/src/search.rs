//! Word-prefix search, the same on SQLite and PostgreSQL: an app keeps a table of the words
//! of each record (`organization_id, word, record_id`, the word compared byte by byte:
//! `COLLATE "C"` on PostgreSQL, SQLite's default binary collation), and a query scans the
//! index range of one word prefix ([`prefix_range`]) instead of `LIKE '%…%'` over every row.
//!
//! [`words`] makes the words of a record's texts and of a query alike, so a query's words are
//! prefixes of the record's words they are meant to find. [`search`] runs a query: it scans
//! the range of the query's longest word for a bounded batch of candidates, lets the app load
//! those of them the caller may see, keeps the records every other word of the query is a
//! prefix of, and ranks exact words first, then newest — a few batches at most, so a query
//! costs the same on a thousand rows as on ten million.

use std::collections::HashSet;
use std::future::Future;

use sea_orm::prelude::Uuid;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};

/// Longest word kept, in characters (a longer one is cut to this).
pub const MAX_WORD_CHARS: usize = 64;
/// Most words kept of one set of texts (the first ones).
pub const MAX_WORDS: usize = 32;
/// Fewest digits for a text made of digits and phone punctuation to count as a phone number.
const MIN_PHONE_DIGITS: usize = 7;

/// The search words of `texts`, in order of first appearance: lower-case (Unicode), split on
/// everything that is not a letter or a digit; an e-mail address is kept whole and with its
/// local part as well (`ada.lovelace@example.com`, `ada.lovelace`, `ada`, `lovelace`,
/// `example`, `com`); a text that is a phone number (`+1 (201) 555-0123`) gives its digits
/// only (`12015550123`). No duplicates, no empty word, no NUL, each at most
/// [`MAX_WORD_CHARS`] characters, at most [`MAX_WORDS`] of them.
pub fn words(texts: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let push = |word: &str, out: &mut Vec<String>| {
        let word: String = word.chars().filter(|c| *c != '\0').take(MAX_WORD_CHARS).collect();
        if !word.is_empty() && out.len() < MAX_WORDS && !out.contains(&word) {
            out.push(word);
        }
    };
    for text in texts {
        let text = text.to_lowercase();
        if let Some(digits) = phone_digits(&text) {
            push(&digits, &mut out);
            continue;
        }
        for piece in text.split(char::is_whitespace) {
            if let Some((whole, local)) = email_parts(piece) {
                push(whole, &mut out);
                push(local, &mut out);
            }
            for word in piece.split(|c: char| !c.is_alphanumeric()) {
                push(word, &mut out);
            }
        }
    }
    out
}

/// The digits of a text made only of digits and phone punctuation, with enough digits.
fn phone_digits(text: &str) -> Option<String> {
    let text = text.trim();
    let phone_like =
        text.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | '.' | '/' | ' '));
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    (phone_like && digits.len() >= MIN_PHONE_DIGITS).then_some(digits)
}

/// An e-mail address in `piece` (surrounding punctuation such as `<…>,` ignored): the whole
/// address and its local part.
fn email_parts(piece: &str) -> Option<(&str, &str)> {
    let address = piece.trim_matches(|c: char| !c.is_alphanumeric());
    let (local, domain) = address.split_once('@')?;
    let sensible = !local.is_empty() && !domain.is_empty() && !domain.contains('@');
    sensible.then_some((address, local))
}

/// The bounds `[word, word + U+10FFFF)` of the words that start with `word`: `word >= low AND
/// word < high` is an index range scan, exact with a binary collation (a byte prefix on both
/// engines, UTF-8 being ordered as code points).
pub fn prefix_range(word: &str) -> (String, String) {
    let mut high = String::with_capacity(word.len() + 4);
    high.push_str(word);
    high.push(char::MAX);
    (word.to_owned(), high)
}

/// Whether some of `record_words` starts with `token`.
pub fn prefix_matches(token: &str, record_words: &[String]) -> bool {
    record_words.iter().any(|word| word.starts_with(token))
}

/// An app's words table: `table (organization_id, word, <record>)`, keyed in that order.
#[derive(Debug, Clone, Copy)]
pub struct WordTable {
    /// The table.
    pub table: &'static str,
    /// The column of the record's id.
    pub record: &'static str,
}

/// Fewest candidates read from the words table per round.
pub const MIN_CANDIDATES_PER_ROUND: u64 = 24;
/// Most candidates read from the words table per round.
pub const MAX_CANDIDATES_PER_ROUND: u64 = 100;
/// Most candidates one search reads (over all its rounds), when the caller may see few of
/// them: what bounds its latency.
pub const MAX_CANDIDATES: u64 = 500;

/// Which words of one prefix a [`scan`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The words equal to it, newest record first.
    Exact,
    /// The longer words starting with it, in (word, record) order.
    Longer,
}

/// One batch of `(word, record)` of the organization whose word is `prefix` ([`Part::Exact`])
/// or starts with it ([`Part::Longer`]), after `after` in that part's order: an index range
/// scan.
///
/// # Errors
/// Database errors.
pub async fn scan(
    db: &impl ConnectionTrait,
    table: WordTable,
    organization_id: Uuid,
    prefix: &str,
    part: Part,
    after: Option<&(String, Uuid)>,
    limit: u64,
) -> Result<Vec<(String, Uuid)>, DbErr> {
    let (word, record) = (Alias::new("word"), Alias::new(table.record));
    let mut select = Query::select();
    select
        .column(word.clone())
        .column(record.clone())
        .from(Alias::new(table.table))
        .and_where(Expr::col(Alias::new("organization_id")).eq(organization_id))
        .limit(limit);
    match part {
        Part::Exact => {
            select.and_where(Expr::col(word.clone()).eq(prefix)).order_by(record.clone(), Order::Desc);
            if let Some((_, last_id)) = after {
                select.and_where(Expr::col(record).lt(*last_id));
            }
        }
        Part::Longer => {
            let (_, high) = prefix_range(prefix);
            select
                .and_where(Expr::col(word.clone()).gt(prefix))
                .and_where(Expr::col(word.clone()).lt(high))
                .order_by(word.clone(), Order::Asc)
                .order_by(record.clone(), Order::Asc);
            if let Some((last_word, last_id)) = after {
                select.and_where(
                    Expr::col(word.clone())
                        .gt(last_word.clone())
                        .or(Expr::col(word).eq(last_word.clone()).and(Expr::col(record).gt(*last_id))),
                );
            }
        }
    }
    db.query_all(&select)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("", "word")?, row.try_get("", table.record)?)))
        .collect()
}

/// The records of the organization matching `query` (each of its [`words`] a prefix of a
/// word of the record), best first: more of the query's words equal to a word of the record,
/// then newest (the highest UUIDv7), at most `limit`. The query's longest word is scanned,
/// its exact occurrences newest first, then the longer words it begins, in small rounds that
/// stop once `limit` records matched (or [`MAX_CANDIDATES`] were read). `load` gets
/// candidate ids and answers those the caller may see, with their words (as stored) and what
/// to return for them. Empty for a query without words (`%`, `_`, punctuation).
///
/// # Errors
/// What `load` answers; database errors.
pub async fn search<R, E, F, Fut>(
    db: &impl ConnectionTrait,
    table: WordTable,
    organization_id: Uuid,
    query: &str,
    limit: usize,
    mut load: F,
) -> Result<Vec<R>, E>
where
    F: FnMut(Vec<Uuid>) -> Fut,
    Fut: Future<Output = Result<Vec<(Uuid, Vec<String>, R)>, E>>,
    E: From<DbErr>,
{
    let tokens = words(&[query]);
    let Some(longest) = tokens.iter().max_by_key(|token| token.chars().count()) else {
        return Ok(Vec::new());
    };
    let round = u64::try_from(limit.saturating_mul(3))
        .unwrap_or(u64::MAX)
        .clamp(MIN_CANDIDATES_PER_ROUND, MAX_CANDIDATES_PER_ROUND);
    let mut part = Part::Exact;
    let mut after: Option<(String, Uuid)> = None;
    let mut read = 0;
    let mut seen = HashSet::new();
    let mut hits: Vec<(usize, Uuid, R)> = Vec::new();
    while read < MAX_CANDIDATES && hits.len() < limit {
        let rows = scan(db, table, organization_id, longest, part, after.as_ref(), round).await?;
        read += rows.len() as u64;
        let exhausted = (rows.len() as u64) < round;
        let ids: Vec<Uuid> = rows.iter().map(|(_, id)| *id).filter(|id| seen.insert(*id)).collect();
        after = rows.into_iter().last();
        if !ids.is_empty() {
            for (id, record_words, record) in load(ids).await? {
                if tokens.iter().all(|token| prefix_matches(token, &record_words)) {
                    let exact = tokens.iter().filter(|token| record_words.contains(token)).count();
                    hits.push((exact, id, record));
                }
            }
        }
        if exhausted {
            match part {
                Part::Exact => (part, after) = (Part::Longer, None),
                Part::Longer => break,
            }
        }
    }
    hits.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    hits.truncate(limit);
    Ok(hits.into_iter().map(|(_, _, record)| record).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lowercases_and_dedups() {
        assert_eq!(words(&["Ada  LOVELACE", "ada", "Initech, Inc."]), ["ada", "lovelace", "initech", "inc"]);
        assert_eq!(words(&["Ærøskøbing Straße", "ΣΊΣΥΦΟΣ"]), ["ærøskøbing", "straße", "σίσυφος"]);
        assert!(words(&["", "  ", "%_%", "--"]).is_empty());
    }

    #[test]
    fn keeps_email_addresses_and_their_local_part() {
        assert_eq!(
            words(&["Ada.Lovelace@Example.COM"]),
            ["ada.lovelace@example.com", "ada.lovelace", "ada", "lovelace", "example", "com"]
        );
        assert_eq!(words(&["write to <bob@x.io>,"]), ["write", "to", "bob@x.io", "bob", "x", "io"]);
        // A partial address typed in a search keeps its prefix whole.
        assert_eq!(words(&["ada.lo@exa"])[0], "ada.lo@exa");
        assert_eq!(words(&["@home"]), ["home"]);
    }

    #[test]
    fn phone_numbers_are_their_digits() {
        assert_eq!(words(&["+1 (201) 555-0123"]), ["12015550123"]);
        assert_eq!(words(&["+12015550123"]), ["12015550123"]);
        // Too few digits to be a phone number: ordinary words.
        assert_eq!(words(&["10-20"]), ["10", "20"]);
    }

    #[test]
    fn long_words_are_cut_and_the_count_is_capped() {
        let long = "x".repeat(100);
        assert_eq!(words(&[&long]), ["x".repeat(MAX_WORD_CHARS)]);
        let many: String = (0..100).map(|n| format!("w{n} ")).collect();
        let got = words(&[&many]);
        assert_eq!(got.len(), MAX_WORDS);
        assert_eq!(got[0], "w0");
        assert_eq!(got[MAX_WORDS - 1], format!("w{}", MAX_WORDS - 1));
        let wide = "é".repeat(100);
        assert_eq!(words(&[&wide])[0].chars().count(), MAX_WORD_CHARS);
    }

    #[test]
    fn no_nul_bytes() {
        assert_eq!(words(&["a\0b c\0"]), ["a", "b", "c"]);
        assert_eq!(words(&["x\0@y.z"]), ["x@y.z", "x", "y", "z"]);
        assert!(words(&["a\0b@c"]).iter().all(|word| !word.contains('\0')));
    }

    #[test]
    fn prefix_range_bounds_exactly_the_words_with_the_prefix() {
        let (low, high) = prefix_range("smi");
        let inside = |word: &str| word >= low.as_str() && word < high.as_str();
        for word in ["smi", "smith", "smiß", "smi\u{FFFF}"] {
            assert!(inside(word), "{word}");
        }
        for word in ["sm", "smh", "smj", "sn", "", "s"] {
            assert!(!inside(word), "{word}");
        }
        assert!(prefix_matches("smi", &["ada".into(), "smith".into()]));
        assert!(!prefix_matches("smy", &["ada".into(), "smith".into()]));
    }
}
