//! The most common breached passwords (OWASP ASVS 2.1.7), shipped inside the binary so the check
//! needs no network and leaks nothing.
//!
//! `common_passwords.txt` is the first 20,000 entries, most common first, of `src/passwords.json`
//! in the npm package `@zxcvbn-ts/language-common` 4.1.3 (MIT licence; © 2012-2016 Dan Wheeler
//! and Dropbox, Inc., © 2021 zxcvbn-ts). zxcvbn-ts ranks it by frequency in Mark Burnett's ten
//! million leaked passwords (xato.net), lowercased and ASCII only. One entry a line, no header.

use std::collections::HashSet;
use std::sync::LazyLock;

const LIST: &str = include_str!("common_passwords.txt");

/// The list, hashed once on first use rather than at every start.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| LIST.lines().collect());

/// Shortest stripped word still looked up: the list holds "abc" and "xyz", and a password whose
/// strength is all in its digits and symbols must not be refused for the three letters left.
const MIN_CORE: usize = 4;

/// Whether `password` is one of the most common breached passwords, or one of them in the
/// disguises every cracking rule set tries first: capitals, digits and symbols around it
/// (`Summer2024!`) and leetspeak (`P@ssw0rd!`).
pub fn is_common(password: &str) -> bool {
    any_common(&variants(password))
}

/// Whether any of `variants` (from [`variants`]) is on the list.
pub(super) fn any_common(variants: &[String]) -> bool {
    variants.iter().any(|variant| COMMON.contains(variant.as_str()))
}

/// `password` lowercased, then the words a guesser would derive it from: without the symbols
/// around it, without everything but letters around it, and those with leetspeak undone.
///
/// A fixed number of variants, each one pass over the password: linear in its length. Only
/// whole variants are compared, never substrings, so `correct horse battery staple 7` is not
/// refused for containing "horse".
pub(super) fn variants(password: &str) -> Vec<String> {
    let lower = password.to_lowercase();
    let mut variants = vec![lower.clone()];
    let mut add = |variant: String| {
        if variant.chars().count() >= MIN_CORE && !variants.contains(&variant) {
            variants.push(variant);
        }
    };
    // Keeps list entries that end in digits (`abc123!!` → `abc123`).
    add(lower.trim_matches(|c: char| !c.is_alphanumeric()).to_owned());

    let not_letter = |c: char| !c.is_alphabetic();
    let start = lower.len() - lower.trim_start_matches(not_letter).len();
    let end = lower.trim_end_matches(not_letter).len();
    if start >= end {
        return variants;
    }
    // A leetspeak letter at either end of the word was stripped with the digits around it
    // (`$ummer2024`, `l0v3123`): try the word with it put back.
    let before =
        lower[..start].chars().next_back().filter(|&c| is_leet(c)).map_or(start, |c| start - c.len_utf8());
    let after = lower[end..].chars().next().filter(|&c| is_leet(c)).map_or(end, |c| end + c.len_utf8());
    for (from, to) in [(start, end), (before, end), (start, after), (before, after)] {
        let word = &lower[from..to];
        add(word.to_owned());
        if word.contains(is_leet) {
            add(undo_leet(word, 'i'));
            if word.contains('1') {
                add(undo_leet(word, 'l'));
            }
        }
    }
    variants
}

fn is_leet(c: char) -> bool {
    matches!(c, '@' | '4' | '0' | '1' | '3' | '$' | '5' | '7')
}

/// `text` with the common leetspeak substitutions undone; `1` stands for `one` (`i` or `l`:
/// both are common, so the caller tries each).
fn undo_leet(text: &str, one: char) -> String {
    text.chars()
        .map(|c| match c {
            '@' | '4' => 'a',
            '0' => 'o',
            '1' => one,
            '3' => 'e',
            '$' | '5' => 's',
            '7' => 't',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_in_their_usual_disguises_are_refused() {
        for password in [
            "password",
            "Password1!",
            "Summer2024!",
            "qwerty1234",
            "P@ssw0rd!",
            "$ummer2024!",
            "L0v3123456",
            "!!Michael1987",
            "monkey12345",
            "abc123!!!!",
            "1qaz2wsx!!",
            "ILOVEYOU",
        ] {
            assert!(is_common(password), "{password} was accepted");
        }
    }

    #[test]
    fn strong_passwords_and_passphrases_are_accepted() {
        for password in [
            "correct horse battery staple 7",
            "correct horse battery",
            "blue-kettle-41-marsh",
            "violet-harbor-77-lamp",
            "Tr0ub4dor&3",
            "xK9#mQ2$vL7p",
            "staple-orbit-9-cactus",
            "bench-password-0123456789",
            "abc-8472910384756",
            "Grüße aus Köln 2024",
            "",
        ] {
            assert!(!is_common(password), "{password} was refused");
        }
    }

    #[test]
    fn only_whole_words_are_compared() {
        // "horse" and "dragon" are on the list; phrases that merely contain them are not.
        assert!(COMMON.contains("horse") && COMMON.contains("dragon"));
        assert!(!is_common("horse-stapler-dragon"));
        assert!(!is_common("dragonfly-orchestra-88"));
    }

    #[test]
    fn the_list_is_large_and_clean() {
        assert!(COMMON.len() >= 10_000, "only {} entries", COMMON.len());
        assert_eq!(COMMON.len(), LIST.lines().count(), "duplicate entries");
        for entry in LIST.lines() {
            assert!(!entry.is_empty(), "an empty line");
            assert!(entry.is_ascii(), "{entry:?} is not ASCII");
            assert_eq!(entry, entry.to_lowercase(), "{entry:?} is not lowercase");
            assert_eq!(entry, entry.trim(), "{entry:?} has spaces at an end");
        }
        assert_eq!(LIST.lines().next(), Some("123456"), "not in ranked order");
    }

    #[test]
    fn a_long_password_yields_a_bounded_number_of_variants() {
        let long = format!("7{}7", "p@ss".repeat(60));
        let variants = variants(&long);
        assert!(variants.len() <= 14, "{} variants", variants.len());
        assert!(variants.iter().all(|variant| variant.len() <= long.len()));
    }
}
