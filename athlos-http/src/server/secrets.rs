//! Where randomness and hashing enter for accounts: ids, API token secrets, session ids and
//! CSRF tokens drawn from the system's random source; SHA-256 of secrets; argon2id password
//! hashes (PHC strings) computed and verified off the async workers.

use argon2::password_hash::{PasswordHash as Phc, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use athlos_core::account::{PasswordHash, SecretHash};

use super::error::ApiError;

/// The prefix of a user's API token: `athlos.<user id>.<token id>.<secret>`.
pub const TOKEN_PREFIX: &str = "athlos.";

/// `N` random bytes.
fn random<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::internal(format!("the system's random source failed: {e}")))?;
    Ok(bytes)
}

/// 32 random bytes (256 bits) as URL-safe base64: a token secret, a session id, a CSRF token.
///
/// # Errors
/// 500 when the random source fails.
pub fn new_secret() -> Result<String, ApiError> {
    Ok(URL_SAFE_NO_PAD.encode(random::<32>()?))
}

/// A new id: `prefix` and 10 random bytes in lower-case hex (`u3f09…`).
///
/// # Errors
/// 500 when the random source fails.
pub fn new_id(prefix: &str) -> Result<String, ApiError> {
    let bytes = random::<10>()?;
    let mut id = String::with_capacity(prefix.len() + 20);
    id.push_str(prefix);
    for byte in bytes {
        id.push_str(&format!("{byte:02x}"));
    }
    Ok(id)
}

/// The SHA-256 of `secret`, as the core keeps it.
pub fn hash_secret(secret: &str) -> SecretHash {
    let digest = Sha256::digest(secret.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    // 64 lower-case hex digits by construction.
    SecretHash::new(hex).unwrap_or_else(|_| unreachable!("a SHA-256 is 64 hex digits"))
}

/// The CSRF token of the browser session whose id is `session_id`: the SHA-256 of the id
/// with a purpose prefix, in hex. Deriving it lets a page put it in its forms from the
/// session cookie alone; knowing it reveals nothing of the id (a one-way function), and
/// nobody without the id (an HttpOnly cookie) can compute it.
pub fn csrf_token_of(session_id: &str) -> String {
    let digest = Sha256::digest(format!("athlos-csrf:{session_id}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `secret` hashes to `stored`, comparing in constant time.
pub fn secret_matches(secret: &str, stored: &SecretHash) -> bool {
    let given = hash_secret(secret);
    bool::from(given.as_str().as_bytes().ct_eq(stored.as_str().as_bytes()))
}

/// The argon2id hash of `password` with a fresh random salt, computed on a blocking thread.
///
/// # Errors
/// 500 when the random source or the hasher fails.
pub async fn hash_password(password: String) -> Result<PasswordHash, ApiError> {
    let salt = random::<16>()?;
    let phc = tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ApiError::internal(format!("password hashing stopped: {e}")))?
    .map_err(|e| ApiError::internal(format!("password hashing failed: {e}")))?;
    PasswordHash::new(phc).map_err(|e| ApiError::internal(e.to_string()))
}

/// A hash that matches no password, verified when the username is unknown so that an
/// unknown user costs the same time as a wrong password.
async fn decoy() -> Result<String, ApiError> {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_try_init(|| async {
            let secret = new_secret()?;
            hash_password(secret)
                .await
                .map(|hash| hash.as_phc().to_owned())
        })
        .await
        .cloned()
}

/// Whether `password` matches `stored` (argon2 compares in constant time), on a blocking
/// thread. With no stored hash (an unknown user) a decoy hash is verified instead and the
/// answer is `false`, so that both take the same time.
///
/// # Errors
/// 500 when the decoy cannot be made or the thread stops.
pub async fn verify_password(
    password: String,
    stored: Option<&PasswordHash>,
) -> Result<bool, ApiError> {
    let (phc, known) = match stored {
        Some(hash) => (hash.as_phc().to_owned(), true),
        None => (decoy().await?, false),
    };
    let matched = tokio::task::spawn_blocking(move || {
        Phc::new(&phc)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .map_err(|e| ApiError::internal(format!("password verification stopped: {e}")))?;
    Ok(known && matched)
}

/// A user's API token as the client sends it.
pub fn format_token(user: &str, token: &str, secret: &str) -> String {
    format!("{TOKEN_PREFIX}{user}.{token}.{secret}")
}

/// The user id, token id and secret of an API token; `None` when it is not one.
pub fn parse_token(text: &str) -> Option<(&str, &str, &str)> {
    let rest = text.strip_prefix(TOKEN_PREFIX)?;
    let (user, rest) = rest.split_once('.')?;
    let (token, secret) = rest.split_once('.')?;
    if user.is_empty() || token.is_empty() || secret.is_empty() {
        return None;
    }
    Some((user, token, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_secrets_are_fresh_and_shaped() {
        let a = new_id("u").unwrap();
        assert_eq!(a.len(), 21);
        assert!(a.starts_with('u'));
        assert_ne!(a, new_id("u").unwrap());
        let secret = new_secret().unwrap();
        assert_eq!(secret.len(), 43);
        assert!(secret_matches(&secret, &hash_secret(&secret)));
        assert!(!secret_matches("other", &hash_secret(&secret)));
        assert_eq!(
            hash_secret("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn tokens_carry_their_user_and_id() {
        let text = format_token("u1", "t1", "s.e-c_ret");
        assert_eq!(parse_token(&text), Some(("u1", "t1", "s.e-c_ret")));
        assert_eq!(parse_token("eyJhbGciOi.x.y"), None);
        assert_eq!(parse_token("athlos.u1..s"), None);
        assert_eq!(parse_token("athlos.u1"), None);
    }

    #[tokio::test]
    async fn passwords_verify_against_their_hash_only() {
        let hash = hash_password("correct horse".to_owned()).await.unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$"));
        assert!(!hash.as_phc().contains("correct horse"));
        assert!(verify_password("correct horse".to_owned(), Some(&hash))
            .await
            .unwrap());
        assert!(!verify_password("wrong horse".to_owned(), Some(&hash))
            .await
            .unwrap());
        assert!(!verify_password("correct horse".to_owned(), None)
            .await
            .unwrap());
    }
}
