//! TOTP secrets sealed at rest, so that a copy of the database alone mints no second-factor
//! codes.
//!
//! `users.totp_secret` holds `v1:` + base64url(nonce ‖ ciphertext): ChaCha20-Poly1305 under a
//! key derived from `secret_key` with HKDF-SHA256 and the label [`PURPOSE`], a random 96-bit
//! nonce per sealing, and the user's id as associated data, so a value copied to another row
//! does not open. ring provides both primitives and is already in the build through rustls.
//!
//! Secrets stored before sealing (bare base32) are still read, and are sealed the next time
//! they prove right: when enrolment is confirmed or a login code is accepted. There is no
//! start-up upgrade; an unused legacy secret stays in clear until then.
//!
//! Changing `secret_key` leaves sealed secrets unopenable: their users cannot log in with a
//! code (an internal error) until an administrator turns their two-factor login off.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use baseops_config::Settings;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf::{HKDF_SHA256, Salt};
use uuid::Uuid;

use crate::two_factor::from_base32;

/// The HKDF label of the key: a new format gets a new label and a new [`PREFIX`].
pub const PURPOSE: &[u8] = b"baseops totp secret v1";
/// What a sealed value starts with.
pub const PREFIX: &str = "v1:";

/// Why a stored secret could not be read. Neither variant carries the stored value.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Neither a sealed value nor base32.
    #[error("the stored TOTP secret is malformed")]
    Malformed,
    /// Sealed with another key (`secret_key` changed), for another user, or altered.
    #[error("the stored TOTP secret does not open with this key for this user")]
    DoesNotOpen,
}

/// A stored secret, opened.
pub struct Opened {
    /// The raw secret.
    pub secret: Vec<u8>,
    /// Stored in clear before sealing existed: to be sealed once it proves right.
    pub legacy: bool,
}

// Without the secret, so that no log line can carry it.
impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened").field("legacy", &self.legacy).finish_non_exhaustive()
    }
}

/// The key TOTP secrets are sealed with.
pub struct TotpKey(LessSafeKey);

impl std::fmt::Debug for TotpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpKey(..)")
    }
}

impl TotpKey {
    /// The key derived from the application's secret key.
    pub fn new(secret_key: &str) -> Self {
        let prk = Salt::new(HKDF_SHA256, &[]).extract(secret_key.as_bytes());
        // HKDF-SHA256 refuses only outputs over 8160 bytes.
        let okm = prk.expand(&[PURPOSE], &CHACHA20_POLY1305).expect("a 32-byte HKDF-SHA256 output");
        Self(LessSafeKey::new(UnboundKey::from(okm)))
    }

    /// The key derived from `settings.secret_key`.
    pub fn from_settings(settings: &Settings) -> Self {
        Self::new(settings.secret_key.expose())
    }

    /// Seals `secret` for the row of `user_id`.
    ///
    /// # Panics
    /// When the operating system has no randomness to give, which leaves nothing safe to do.
    pub fn seal(&self, user_id: Uuid, secret: &[u8]) -> String {
        let mut nonce = [0_u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system's random number generator");
        let mut sealed = nonce.to_vec();
        let mut body = secret.to_vec();
        // Fails only beyond 256 GiB of plaintext.
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(user_id.as_bytes()),
                &mut body,
            )
            .expect("a TOTP secret is short enough to seal");
        sealed.extend_from_slice(&body);
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Opens what `users.totp_secret` holds for `user_id`: a sealed value, or a legacy base32
    /// one.
    ///
    /// # Errors
    /// [`SealError`] for a value that is malformed or does not open.
    pub fn open(&self, user_id: Uuid, stored: &str) -> Result<Opened, SealError> {
        let Some(sealed) = stored.strip_prefix(PREFIX) else {
            let secret =
                from_base32(stored).filter(|secret| !secret.is_empty()).ok_or(SealError::Malformed)?;
            return Ok(Opened { secret, legacy: true });
        };
        let mut bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| SealError::Malformed)?;
        if bytes.len() <= NONCE_LEN + CHACHA20_POLY1305.tag_len() {
            return Err(SealError::Malformed);
        }
        let (nonce, body) = bytes.split_at_mut(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Malformed)?;
        let secret = self
            .0
            .open_in_place(nonce, Aad::from(user_id.as_bytes()), body)
            .map_err(|_| SealError::DoesNotOpen)?;
        Ok(Opened { secret: secret.to_vec(), legacy: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::two_factor::{base32, new_secret};

    const KEY: &str = "a-test-secret-key-of-at-least-32-characters";

    #[test]
    fn a_sealed_secret_opens_for_its_user_only() {
        let key = TotpKey::new(KEY);
        let (jane, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let secret = new_secret();
        let sealed = key.seal(jane, &secret);
        assert!(sealed.starts_with(PREFIX), "{sealed}");
        assert!(!sealed.contains(&base32(&secret)), "{sealed}");
        let opened = key.open(jane, &sealed).unwrap();
        assert_eq!((opened.secret.as_slice(), opened.legacy), (secret.as_slice(), false));
        assert_ne!(key.seal(jane, &secret), sealed, "the nonce is not random");
        assert!(matches!(key.open(bob, &sealed), Err(SealError::DoesNotOpen)));
        let other_key = TotpKey::new("another-secret-key-of-at-least-32-chars");
        assert!(matches!(other_key.open(jane, &sealed), Err(SealError::DoesNotOpen)));
    }

    #[test]
    fn a_sealed_value_fits_the_column() {
        let sealed = TotpKey::new(KEY).seal(Uuid::now_v7(), &new_secret());
        let column = usize::try_from(crate::migration::totp_secret::TOTP_SECRET_LEN).unwrap();
        assert!(sealed.len() <= column, "{}", sealed.len());
    }

    #[test]
    fn an_altered_value_does_not_open() {
        let key = TotpKey::new(KEY);
        let jane = Uuid::now_v7();
        let sealed = key.seal(jane, &new_secret());
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed[PREFIX.len()..]).unwrap();
        for index in [0, NONCE_LEN, bytes.len() - 1] {
            bytes[index] ^= 1;
            let altered = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(&bytes));
            assert!(matches!(key.open(jane, &altered), Err(SealError::DoesNotOpen)), "byte {index}");
            bytes[index] ^= 1;
        }
        let truncated = &sealed[..sealed.len() - 4];
        assert!(key.open(jane, truncated).is_err());
        for malformed in ["v1:", "v1:not base64!", "v1:AAAA", "", "not-base32"] {
            assert!(matches!(key.open(jane, malformed), Err(SealError::Malformed)), "{malformed:?}");
        }
    }

    #[test]
    fn a_legacy_base32_secret_is_still_read() {
        let secret = new_secret();
        let opened = TotpKey::new(KEY).open(Uuid::now_v7(), &base32(&secret)).unwrap();
        assert_eq!((opened.secret.as_slice(), opened.legacy), (secret.as_slice(), true));
    }
}
