//! How big and how deep a JSON body may be, checked in one linear pass before it is parsed.
//!
//! A field's own limit ("at most 20 tags") is checked after deserialization, by which time a
//! body of 100,000 tags has been turned into 100,000 strings — and any per-element work
//! before that check (deduplicating, normalising) runs on all of them. This scan refuses an
//! array or object with more than [`MAX_ITEMS`] members, or nesting deeper than
//! [`MAX_DEPTH`], while only counting bytes, so no request's work grows faster than its size.
//! No field of the API takes more items than this; bulk data comes as a file upload.

/// The most members an array or an object of a request body may have.
pub const MAX_ITEMS: usize = 1_000;
/// The deepest a request body may nest arrays and objects.
pub const MAX_DEPTH: usize = 32;

/// Why a body's shape is refused, and where (`tags`, `items[3].lines`, `body` for the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeError {
    /// An array or object with more than [`MAX_ITEMS`] members.
    TooManyItems {
        /// The JSON path of the array or object.
        field: String,
    },
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    TooDeep {
        /// The JSON path of the container that went too deep.
        field: String,
    },
}

struct Frame {
    object: bool,
    members: usize,
    /// The byte range of the member key being read (objects) — the path is built only for
    /// an error, from these ranges.
    key: Option<(usize, usize)>,
}

/// Checks the member counts and depth of `json`. Malformed JSON is left to the parser: the
/// scan only guarantees that nothing past the limits is counted.
///
/// # Errors
/// The first [`ShapeError`] met.
pub fn check(json: &[u8]) -> Result<(), ShapeError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut index = 0;
    while index < json.len() {
        let byte = json[index];
        index += 1;
        match byte {
            b'"' => {
                let start = index;
                while index < json.len() && json[index] != b'"' {
                    index += if json[index] == b'\\' { 2 } else { 1 };
                }
                let span = (start, index.min(json.len()));
                index += 1;
                match stack.last_mut() {
                    Some(frame) if frame.object && frame.key.is_none() => frame.key = Some(span),
                    _ => count_member(json, &mut stack)?,
                }
            }
            b'[' | b'{' => {
                count_member(json, &mut stack)?;
                if stack.len() >= MAX_DEPTH {
                    return Err(ShapeError::TooDeep { field: path(json, &stack) });
                }
                stack.push(Frame { object: byte == b'{', members: 0, key: None });
            }
            b']' | b'}' => {
                stack.pop();
            }
            b',' => {
                if let Some(frame) = stack.last_mut() {
                    frame.key = None;
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' | b':' => {}
            // The first byte of a number, `true`, `false` or `null`.
            _ => {
                count_member(json, &mut stack)?;
                while index < json.len() && !b",]}: \t\n\r\"".contains(&json[index]) {
                    index += 1;
                }
            }
        }
    }
    Ok(())
}

/// Counts a value in the innermost container: an array's element, or an object's member
/// (counted at its value).
fn count_member(json: &[u8], stack: &mut [Frame]) -> Result<(), ShapeError> {
    let Some(frame) = stack.last_mut() else { return Ok(()) };
    frame.members += 1;
    if frame.members > MAX_ITEMS {
        return Err(ShapeError::TooManyItems { field: path(json, &stack[..stack.len() - 1]) });
    }
    Ok(())
}

/// The JSON path reached through every frame of `frames` (`body` for none): each object
/// contributes its current key, each array the index of its last member.
fn path(json: &[u8], frames: &[Frame]) -> String {
    let mut path = String::new();
    for frame in frames {
        if frame.object {
            let (start, end) = frame.key.unwrap_or((0, 0));
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&String::from_utf8_lossy(&json[start..end]));
        } else {
            path.push_str(&format!("[{}]", frame.members.saturating_sub(1)));
        }
    }
    if path.is_empty() { "body".to_owned() } else { path }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array(n: usize) -> String {
        format!("[{}]", vec!["\"t\""; n].join(","))
    }

    #[test]
    fn lists_and_objects_up_to_the_limit_pass_and_one_more_is_refused_at_its_path() {
        assert_eq!(check(array(MAX_ITEMS).as_bytes()), Ok(()));
        let body = format!(r#"{{"name": "x", "tags": {}}}"#, array(MAX_ITEMS + 1));
        assert_eq!(check(body.as_bytes()), Err(ShapeError::TooManyItems { field: "tags".into() }));
        let body = format!(r#"{{"a": [{{}}, {{"b": {}}}]}}"#, array(100_000));
        assert_eq!(check(body.as_bytes()), Err(ShapeError::TooManyItems { field: "a[1].b".into() }));
        let numbers = format!("[{}]", vec!["1"; MAX_ITEMS + 1].join(","));
        assert_eq!(check(numbers.as_bytes()), Err(ShapeError::TooManyItems { field: "body".into() }));
        let members: Vec<String> = (0..=MAX_ITEMS).map(|i| format!(r#""k{i}": null"#)).collect();
        let object = format!(r#"{{"custom": {{{}}}}}"#, members.join(","));
        assert_eq!(check(object.as_bytes()), Err(ShapeError::TooManyItems { field: "custom".into() }));
    }

    #[test]
    fn nesting_past_the_limit_is_refused_and_strings_that_look_like_json_are_text() {
        let deep = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(check(deep(MAX_DEPTH).as_bytes()), Ok(()));
        assert!(matches!(check(deep(MAX_DEPTH + 1).as_bytes()), Err(ShapeError::TooDeep { .. })));
        let nested = format!(r#"{{"x": {{"y": {}}}}}"#, deep(MAX_DEPTH));
        assert!(
            matches!(check(nested.as_bytes()), Err(ShapeError::TooDeep { field }) if field.starts_with("x.y"))
        );
        let text = format!(r#"{{"a": "{}", "b": "\" , , [[[ \\"}}"#, "[,".repeat(5_000));
        assert_eq!(check(text.as_bytes()), Ok(()));
    }
}
