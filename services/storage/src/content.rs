//! Media types: normalizing what a client declares, and checking content against it.

/// `Text/Plain; charset=utf-8` → `text/plain`.
pub fn normalize_media_type(declared: &str) -> String {
    declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// Whether `bytes` start like a file of `media_type`. Types with a signature must carry it;
/// `text/*` must be UTF-8 without NUL bytes; other types are taken at their word.
pub fn matches_signature(media_type: &str, bytes: &[u8]) -> bool {
    let starts = |prefix: &[u8]| bytes.starts_with(prefix);
    match media_type {
        "image/png" => starts(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => starts(b"\xff\xd8\xff"),
        "image/gif" => starts(b"GIF87a") || starts(b"GIF89a"),
        "image/webp" => bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP",
        "application/pdf" => starts(b"%PDF-"),
        "application/zip"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.oasis.opendocument.text" => starts(b"PK\x03\x04") || starts(b"PK\x05\x06"),
        text if text.starts_with("text/") => std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_are_normalized_and_checked() {
        assert_eq!(normalize_media_type(" Text/Plain; charset=UTF-8"), "text/plain");
        assert!(matches_signature("image/png", b"\x89PNG\r\n\x1a\n...."));
        assert!(!matches_signature("image/png", b"<html><script>alert(1)</script>"));
        assert!(matches_signature("application/pdf", b"%PDF-1.7"));
        assert!(!matches_signature("application/pdf", b"PK\x03\x04"));
        assert!(matches_signature("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "));
        assert!(matches_signature("text/csv", "név,e-mail\n".as_bytes()));
        assert!(!matches_signature("text/plain", b"\xff\xfe\x00binary"));
    }
}
