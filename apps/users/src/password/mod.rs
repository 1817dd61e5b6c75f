//! Password hashing (Argon2id, parameters from `[auth]`) and the strength rule.

mod breached;

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use baseops_config::AuthSettings;
use subtle::ConstantTimeEq;

pub use breached::is_common;

/// Longest password accepted: hashing cost must not be the client's to choose.
pub const MAX_PASSWORD_LEN: usize = 256;

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    /// Shorter than `auth.min_password_length`.
    #[error("must be at least {0} characters long")]
    TooShort(usize),
    /// Longer than [`MAX_PASSWORD_LEN`].
    #[error("must be at most {MAX_PASSWORD_LEN} characters long")]
    TooLong,
    /// One of the most common breached passwords ([`is_common`]).
    #[error("is too common: it appears in lists of breached passwords; choose another")]
    Common,
    /// The user's own e-mail address or the product's name.
    #[error("is too easy to guess")]
    Guessable,
    /// Made of one repeated character or fewer than 4 distinct ones.
    #[error("must use more than a few distinct characters")]
    TooUniform,
}

/// Words anyone guessing a password for this product tries first, besides the breached list.
const PRODUCT_WORDS: &[&str] = &["baseops"];

/// Checks the strength rule: length, not a common breached password, not the e-mail address or
/// the product's name (each also with digits, symbols or leetspeak around or in it), not uniform.
pub fn check_strength(password: &str, email: &str, settings: &AuthSettings) -> Result<(), WeakPassword> {
    let length = password.chars().count();
    if length < settings.min_password_length {
        return Err(WeakPassword::TooShort(settings.min_password_length));
    }
    // Before the word checks, whose cost then stays bounded.
    if length > MAX_PASSWORD_LEN {
        return Err(WeakPassword::TooLong);
    }
    let variants = breached::variants(password);
    if breached::any_common(&variants) {
        return Err(WeakPassword::Common);
    }
    let email = email.to_lowercase();
    let local_part = email.split('@').next().unwrap_or_default();
    let guessable = |variant: &String| {
        *variant == email
            || (local_part.len() >= 4 && variant == local_part)
            || PRODUCT_WORDS.contains(&variant.as_str())
    };
    if variants.iter().any(guessable) {
        return Err(WeakPassword::Guessable);
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Err(WeakPassword::TooUniform);
    }
    Ok(())
}

/// A new password that passed the strength rule for the account it is for, so no service can
/// set a weak one. Only [`Password::parse`] makes one, and its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Checks `text` against the strength rule for the account with address `email` (see
    /// [`check_strength`]).
    ///
    /// # Errors
    /// [`WeakPassword`], whose message suits a field error.
    pub fn parse(text: &str, email: &str, settings: &AuthSettings) -> Result<Self, WeakPassword> {
        check_strength(text, email, settings)?;
        Ok(Self(text.to_owned()))
    }

    /// The password, to hash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// Hashes and verifies passwords with the configured Argon2id parameters.
#[derive(Clone)]
pub struct PasswordHashing {
    params: Params,
}

impl std::fmt::Debug for PasswordHashing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHashing").finish_non_exhaustive()
    }
}

/// Failures of the hashing library (bad parameters); never a wrong password.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashingError(String);

impl PasswordHashing {
    /// From `[auth]`.
    ///
    /// # Errors
    /// Parameters Argon2 refuses (e.g. memory below 8 KiB per lane).
    pub fn new(settings: &AuthSettings) -> Result<Self, HashingError> {
        let params = Params::new(
            settings.argon2_memory_kib,
            settings.argon2_iterations,
            settings.argon2_parallelism,
            None,
        )
        .map_err(|error| HashingError(error.to_string()))?;
        Ok(Self { params })
    }

    /// A PHC string (`$argon2id$v=19$m=…`) with a fresh random salt.
    ///
    /// # Errors
    /// A failure of the hashing library.
    pub async fn hash(&self, password: &str) -> Result<String, HashingError> {
        let (params, password) = (self.params.clone(), password.to_owned());
        off_the_runtime(move || hash_now(&params, &password))
            .await
            .unwrap_or_else(|| Err(HashingError("the hashing task was cancelled".into())))
    }

    /// Whether `password` matches `phc` (in constant time, with the parameters stored in it).
    pub async fn verify(&self, password: &str, phc: &str) -> bool {
        let (password, phc) = (password.to_owned(), phc.to_owned());
        off_the_runtime(move || verify_now(&password, &phc)).await.unwrap_or(false)
    }

    /// Spends the time a verification would, for an account that does not exist, so the
    /// answer's timing does not reveal which e-mail addresses have accounts.
    pub async fn verify_nothing(&self, password: &str) {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let (params, password) = (self.params.clone(), password.to_owned());
        off_the_runtime(move || {
            let dummy = DUMMY.get_or_init(|| {
                hash_now(&params, "not a real password, only a timing decoy").unwrap_or_default()
            });
            verify_now(&password, dummy)
        })
        .await;
    }
}

const SALT_LEN: usize = 16;
const OUTPUT_LEN: usize = 32;
/// Largest memory cost accepted from a stored hash (1 GiB).
const MAX_M_COST_KIB: u32 = 1 << 20;

fn hash_now(params: &Params, password: &str) -> Result<String, HashingError> {
    let fail = |error: &dyn std::fmt::Display| HashingError(error.to_string());
    let mut salt = [0_u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|error| fail(&error))?;
    let mut out = [0_u8; OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    with_blocks(params.block_count(), |blocks| {
        argon2.hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, blocks)
    })
    .map_err(|error| fail(&error))?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(out)
    ))
}

/// The parts of `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`.
fn parse_phc(phc: &str) -> Option<(Params, Vec<u8>, Vec<u8>)> {
    let mut parts = phc.split('$');
    let (empty, algorithm, version, costs, salt, hash) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if !empty.is_empty() || algorithm != "argon2id" || version != "v=19" || parts.next().is_some() {
        return None;
    }
    let cost = |name: &str| -> Option<u32> {
        costs.split(',').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
    };
    let (m, t, p) = (cost("m")?, cost("t")?, cost("p")?);
    if m > MAX_M_COST_KIB {
        return None;
    }
    let salt = STANDARD_NO_PAD.decode(salt).ok()?;
    let hash = STANDARD_NO_PAD.decode(hash).ok()?;
    Some((Params::new(m, t, p, Some(hash.len())).ok()?, salt, hash))
}

fn verify_now(password: &str, phc: &str) -> bool {
    let Some((params, salt, expected)) = parse_phc(phc) else {
        return false;
    };
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = vec![0_u8; expected.len()];
    let computed = with_blocks(params.block_count(), |blocks| {
        argon2.hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, blocks)
    });
    computed.is_ok() && bool::from(out.ct_eq(&expected))
}

/// Runs `work` with this thread's Argon2 memory, grown once to the largest cost seen and then
/// reused: a hashing thread allocates nothing per password.
fn with_blocks<T>(count: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    thread_local! {
        static BLOCKS: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        if blocks.len() < count {
            blocks.resize(count, Block::default());
        }
        work(&mut blocks[..count])
    })
}

/// Runs a hash on one of a few long-lived hashing threads (one per CPU). Hashing is
/// deliberately slow and memory-hungry: it must not stall the async workers serving other
/// requests, nor run 64-wide under a login storm (64 × 19 MiB). Long-lived threads also keep
/// the allocator from growing a fresh 19 MiB arena on every short-lived blocking thread — the
/// first benchmark's 397 MiB peak.
async fn off_the_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let task: HashTask = Box::new(move || {
        let _ = reply.send(work());
    });
    hashing_threads().lock().ok()?.send(task).ok()?;
    answer.await.ok()
}

type HashTask = Box<dyn FnOnce() + Send>;

fn hashing_threads() -> &'static std::sync::Mutex<std::sync::mpsc::Sender<HashTask>> {
    static SENDER: OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<HashTask>>> = OnceLock::new();
    SENDER.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<HashTask>();
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        for n in 0..std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get) {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new().name(format!("password-hash-{n}")).spawn(move || {
                loop {
                    let next = receiver.lock().map(|receiver| receiver.recv());
                    match next {
                        Ok(Ok(task)) => task(),
                        _ => return,
                    }
                }
            });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password-hashing thread");
            }
        }
        std::sync::Mutex::new(sender)
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Fast hashing and a 10-character minimum, for every test of the crate.
    pub(crate) fn settings() -> AuthSettings {
        AuthSettings {
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            argon2_parallelism: 1,
            min_password_length: 10,
            max_failures_per_account_and_ip: 5,
            max_failures_per_ip: 50,
            max_failures_per_account: 100,
            failure_window_secs: 900,
            lockout_secs: 30,
            revoke_tokens_on_password_reset: true,
            link_valid_minutes: 60,
            invitation_valid_days: 7,
        }
    }

    #[tokio::test]
    async fn hashes_verify_and_are_salted() {
        let hashing = PasswordHashing::new(&settings()).unwrap();
        let first = hashing.hash("correct horse battery").await.unwrap();
        let second = hashing.hash("correct horse battery").await.unwrap();
        assert!(first.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{first}");
        assert_ne!(first, second, "no salt");
        assert!(hashing.verify("correct horse battery", &first).await);
        assert!(!hashing.verify("correct horse batterY", &first).await);
        assert!(!hashing.verify("correct horse battery", "not a phc string").await);
    }

    #[tokio::test]
    async fn hashes_are_standard_phc_strings_both_ways() {
        use argon2::password_hash::phc::PasswordHash;
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};

        let hashing = PasswordHashing::new(&settings()).unwrap();
        let library =
            Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(1024, 1, 1, None).unwrap());
        // A hash the argon2 crate wrote (as earlier builds stored) verifies here…
        let theirs = library.hash_password(b"violet-harbor-77-lamp").unwrap().to_string();
        assert!(hashing.verify("violet-harbor-77-lamp", &theirs).await);
        assert!(!hashing.verify("violet-harbor-77-lamP", &theirs).await);
        // …and ours verifies with the argon2 crate.
        let ours = hashing.hash("violet-harbor-77-lamp").await.unwrap();
        assert!(
            library.verify_password(b"violet-harbor-77-lamp", &PasswordHash::new(&ours).unwrap()).is_ok()
        );
        let last = if ours.ends_with('A') { 'B' } else { 'A' };
        let tampered = format!("{}{last}", &ours[..ours.len() - 1]);
        assert!(!hashing.verify("violet-harbor-77-lamp", &tampered).await, "a tampered hash verified");
        assert!(!hashing.verify("x", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaA").await);
        assert!(!hashing.verify("x", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA").await);
    }

    #[test]
    fn the_strength_rule_refuses_weak_passwords() {
        let s = settings();
        assert_eq!(check_strength("short", "a@b.co", &s), Err(WeakPassword::TooShort(10)));
        for common in ["Password123", "Password1!", "Summer2024!", "qwerty1234", "P@ssw0rd!!"] {
            assert_eq!(check_strength(common, "a@b.co", &s), Err(WeakPassword::Common), "{common}");
        }
        assert_eq!(
            WeakPassword::Common.to_string(),
            "is too common: it appears in lists of breached passwords; choose another"
        );
        assert_eq!(check_strength("password", "a@b.co", &s), Err(WeakPassword::TooShort(10)), "length first");
        assert_eq!(
            check_strength("jane.doe@example.com", "jane.doe@example.com", &s),
            Err(WeakPassword::Guessable)
        );
        assert_eq!(check_strength("Jane.Doe2024!", "jane.doe@example.com", &s), Err(WeakPassword::Guessable));
        assert_eq!(check_strength("Baseops2024!", "a@b.co", &s), Err(WeakPassword::Guessable));
        assert_eq!(check_strength("correct horse battery staple 7", "a@b.co", &s), Ok(()));
        assert_eq!(check_strength("aaaaaaaaaaaa", "a@b.co", &s), Err(WeakPassword::TooUniform));
        assert_eq!(check_strength(&"x1y2".repeat(70), "a@b.co", &s), Err(WeakPassword::TooLong));
        assert_eq!(check_strength("blue-kettle-41-marsh", "a@b.co", &s), Ok(()));
        let password = Password::parse("blue-kettle-41-marsh", "a@b.co", &s).expect("strong");
        assert_eq!(password.as_str(), "blue-kettle-41-marsh");
        assert_eq!(format!("{password:?}"), "Password([redacted])", "never logged");
        let own_address = Password::parse("Jane.Doe@example.com", "jane.doe@example.com", &s);
        assert_eq!(own_address, Err(WeakPassword::Guessable), "checked for the account it is for");
    }
}
