//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of
//! clock skew either way) and recovery codes.
//!
//! A code is accepted once: the step it matched is stored and older or equal steps are
//! refused, so a code seen over a shoulder cannot be replayed within its window.

use totp_rs::{Algorithm, Builder, Totp};

/// Bytes of a new TOTP secret (160 bits, as RFC 4226 recommends).
pub const SECRET_LEN: usize = 20;
/// Recovery codes issued when two-factor login is enabled.
pub const RECOVERY_CODES: usize = 10;

/// A new random secret.
///
/// # Panics
/// When the operating system has no randomness to give.
pub fn new_secret() -> [u8; SECRET_LEN] {
    let mut secret = [0_u8; SECRET_LEN];
    getrandom::fill(&mut secret).expect("the operating system's random number generator");
    secret
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding: how authenticator apps take a secret typed in.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes [`base32`] output; `None` for anything else.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let value = BASE32.iter().position(|&b| b == c)?;
        buffer = (buffer << 5) | u32::try_from(value).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

fn totp(secret: &[u8], account: &str) -> Option<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret.to_vec())
        .with_account_name(account)
        .with_issuer(Some("baseops"))
        .build()
        .ok()
}

/// The `otpauth://` URL an authenticator app scans.
pub fn otpauth_url(secret: &[u8], account: &str) -> Option<String> {
    totp(secret, account)?.to_url().ok()
}

/// The enrolment QR code of `url`, as an SVG document.
pub fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).build())
}

/// The step `code` matches at `unix_time`, if it is valid and newer than `last_step`.
pub fn check(secret: &[u8], code: &str, unix_time: u64, last_step: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = i64::try_from(totp(secret, "check")?.check(&code, unix_time)?).ok()?;
    (last_step.is_none_or(|last| step > last)).then_some(step)
}

/// The code for `unix_time` (tests and `baseops` tooling).
pub fn code_at(secret: &[u8], unix_time: u64) -> Option<String> {
    Some(totp(secret, "code")?.generate(unix_time).to_string())
}

/// Ten recovery codes like `7KQ2-M9XD-4HTP`: 60 random bits each.
pub fn recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0_u8; 8];
            getrandom::fill(&mut bytes).expect("the operating system's random number generator");
            let text = base32(&bytes);
            format!("{}-{}-{}", &text[0..4], &text[4..8], &text[8..12])
        })
        .collect()
}

/// A recovery code as typed: upper-case, without spaces or dashes.
pub fn normalize_recovery_code(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(from_base32("MZXW6YTBOI").unwrap(), b"foobar");
        assert!(from_base32("not base32!").is_none());
    }

    #[test]
    fn rfc_6238_vectors_and_replay() {
        // RFC 6238 appendix B, SHA-1, 8 digits truncated to our 6: 94287082 → 287082 at T=59.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59).unwrap(), "287082");
        let step = check(secret, "287 082", 59, None).expect("valid code");
        assert_eq!(step, 1);
        assert!(check(secret, "287082", 59, Some(step)).is_none(), "a code was accepted twice");
        assert!(check(secret, "000000", 59, None).is_none());
        assert!(check(secret, "28708", 59, None).is_none());
        // One step of skew either way, not two.
        assert!(check(secret, &code_at(secret, 1_000_000).unwrap(), 1_000_030, None).is_some());
        assert!(check(secret, &code_at(secret, 1_000_000).unwrap(), 1_000_090, None).is_none());
    }

    #[test]
    fn enrolment_and_recovery_codes() {
        let secret = new_secret();
        let url = otpauth_url(&secret, "jane@example.com").unwrap();
        assert!(url.starts_with("otpauth://totp/baseops:jane%40example.com?"), "{url}");
        assert!(url.contains(&format!("secret={}", base32(&secret))), "{url}");
        assert!(qr_svg(&url).unwrap().starts_with("<?xml"));
        let codes = recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(codes[0].len(), 14);
        assert_eq!(normalize_recovery_code(" 7kq2-m9xd-4htp "), "7KQ2M9XD4HTP");
    }
}
