//! Control characters no text field holds, refused in one place for every app's input.
//!
//! A NUL in a string is a 500 on PostgreSQL (its text type cannot hold it) and is stored on
//! SQLite; other C0 and C1 controls hide in logs and exports. The JSON body extractor and the
//! query-string extractor refuse them (422 and 400), so both engines see the same input, and
//! import paths (CSV cells) ask [`first_forbidden`] the same question. Tab, line feed and
//! carriage return stay allowed: descriptions, comments and notes have lines.

/// Whether no text field may hold `c`: a C0 control other than tab, line feed and carriage
/// return, DEL, or a C1 control.
pub fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// The first character of `text` no text field may hold.
pub fn first_forbidden(text: &str) -> Option<char> {
    text.chars().find(|c| is_forbidden(*c))
}

/// The first forbidden character inside a string of a JSON document (escaped as `\u0000`,
/// `\b`, `\f`, or written raw as DEL or a C1 control), found in one pass without parsing.
/// Malformed JSON is left to the parser.
pub fn json_first_forbidden(json: &[u8]) -> Option<char> {
    let mut in_string = false;
    let mut index = 0;
    while index < json.len() {
        let byte = json[index];
        index += 1;
        if !in_string {
            in_string = byte == b'"';
            continue;
        }
        match byte {
            b'"' => in_string = false,
            b'\\' => match json.get(index) {
                Some(b'b') => return Some('\u{8}'),
                Some(b'f') => return Some('\u{c}'),
                Some(b'u') => {
                    let unit = json.get(index + 1..index + 5).and_then(|hex| {
                        std::str::from_utf8(hex).ok().and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    });
                    if let Some(c) = unit.and_then(char::from_u32).filter(|c| is_forbidden(*c)) {
                        return Some(c);
                    }
                    index += 5;
                }
                _ => index += 1,
            },
            0x7f => return Some('\u{7f}'),
            // C1 controls are U+0080–U+009F: 0xC2 0x80–0x9F in UTF-8.
            0xc2 if json.get(index).is_some_and(|next| (0x80..=0x9f).contains(next)) => {
                return char::from_u32(u32::from(json[index]));
            }
            _ => {}
        }
    }
    None
}

/// `U+0000`: how a refused character is named in messages.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// A spreadsheet cell's text with formulas defused: a value starting with `=`, `+`, `-`, `@`,
/// tab or carriage return gets a `'` first, so a spreadsheet shows it instead of running it
/// (CSV injection). Imports take the `'` off again.
pub fn defused(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() }
}

/// One CSV field: [`defused`], in double quotes, inner quotes doubled.
pub fn csv_field(value: &str) -> String {
    format!("\"{}\"", defused(value).replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_and_raw_controls_are_found_and_text_is_left_alone() {
        assert_eq!(json_first_forbidden(br#"{"a": "x\u0000y"}"#), Some('\0'));
        assert_eq!(json_first_forbidden(br#"{"a\u001f": 1}"#), Some('\u{1f}'), "keys too");
        assert_eq!(json_first_forbidden(br#"["\b"]"#), Some('\u{8}'));
        assert_eq!(json_first_forbidden("[\"\u{7f}\"]".as_bytes()), Some('\u{7f}'));
        assert_eq!(json_first_forbidden("[\"\u{85}\"]".as_bytes()), Some('\u{85}'));
        for fine in [
            r#"{"a": "line\nbreak\ttab\r", "b": "\\u0000 is just text", "c": "\u00e9\u20ac", "d": "\""}"#,
            "{\"e\": \"é€ 😀\"}",
            r#"{"n": 1, "x": [true, null]}"#,
        ] {
            assert_eq!(json_first_forbidden(fine.as_bytes()), None, "{fine}");
        }
        assert_eq!(first_forbidden("ok\n"), None);
        assert_eq!(first_forbidden("a\u{0}b").map(code_point).as_deref(), Some("U+0000"));
    }

    #[test]
    fn spreadsheet_formulas_are_defused_and_fields_quoted() {
        assert_eq!(defused("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(defused("-5"), "'-5");
        assert_eq!(defused("Acme"), "Acme");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("@cmd"), "\"'@cmd\"");
    }
}
