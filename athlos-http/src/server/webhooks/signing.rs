//! Signing secrets and signatures (Standard Webhooks): a secret is `whsec_<base64>`, a
//! signature `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A new secret: `whsec_` and 24 random bytes in base64.
///
/// # Errors
/// The system's random source failed.
pub fn new_secret() -> Result<String, String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a secret: {e}"))?;
    Ok(format!("whsec_{}", STANDARD.encode(bytes)))
}

/// The key bytes of a `whsec_` secret.
///
/// # Errors
/// Why the secret is malformed.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret
        .strip_prefix("whsec_")
        .ok_or("a secret has the form whsec_<base64>")?;
    let key = STANDARD
        .decode(encoded)
        .map_err(|e| format!("the secret after whsec_ is not base64: {e}"))?;
    if !(24..=64).contains(&key.len()) {
        return Err(format!(
            "the secret must hold 24 to 64 bytes, not {}",
            key.len()
        ));
    }
    Ok(key)
}

/// The `webhook-signature` value for a message.
///
/// # Errors
/// A malformed secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let key = secret_key(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// What the API shows of a secret: its prefix and first four characters.
pub(super) fn secret_hint(secret: &str) -> String {
    let shown: String = secret.chars().skip("whsec_".len()).take(4).collect();
    format!("whsec_{shown}…")
}
