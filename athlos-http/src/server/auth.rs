//! Bearer JWT (HS256): who is asking.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use athlos_core::access::{Principal, Role};

use super::error::ApiError;
use super::AppState;

/// The role that may act as the director of everything.
pub const ADMIN: &str = "admin";

/// A token's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The subject: a user, or the participant id of a bot or player.
    pub sub: String,
    /// The role (`admin`, `director`, `player`, `bot` …); only `admin` has extra rights.
    pub role: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
}

/// Signs `claims` with `secret`.
///
/// # Errors
/// The signer's message.
pub fn mint(claims: &Claims, secret: &[u8]) -> Result<String, String> {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|e| e.to_string())
}

/// How far in the future a token's `iat` may lie: the clock skew allowed between the
/// server and whoever minted the token, in seconds.
pub const CLOCK_SKEW: u64 = 60;

/// Checks a token's signature and its claims at `now` (seconds since the epoch): a subject
/// that is not empty, a role Athlos knows ([`Role`]), issued no more than [`CLOCK_SKEW`]
/// seconds in the future, not expired (no leeway).
///
/// # Errors
/// 401 with the reason; `code_detail` says which claim was refused (`empty_subject`,
/// `unknown_role`, `issued_in_future`, `expired`).
pub fn verify_at(token: &str, secret: &[u8], now: u64) -> Result<Claims, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let claims = decode::<Claims>(token, &DecodingKey::from_secret(secret), &validation)
        .map(|data| data.claims)
        .map_err(|e| ApiError::unauthorized(format!("invalid token: {e}")))?;
    let refused =
        |detail: &str, message: String| ApiError::unauthorized(message).with("code_detail", detail);
    if claims.sub.trim().is_empty() {
        return Err(refused(
            "empty_subject",
            "the token names no subject (`sub` is empty)".to_owned(),
        ));
    }
    if Role::named(&claims.role).is_none() {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        return Err(refused(
            "unknown_role",
            format!(
                "the token's role {:?} is not one Athlos knows ({})",
                claims.role,
                known.join(", ")
            ),
        ));
    }
    if claims.iat > now.saturating_add(CLOCK_SKEW) {
        return Err(refused(
            "issued_in_future",
            format!(
                "the token is issued {} s in the future (at most {CLOCK_SKEW} s of clock skew is allowed)",
                claims.iat - now
            ),
        ));
    }
    unexpired(claims, now)
}

/// `claims`, unless they expired before `now`.
fn unexpired(claims: Claims, now: u64) -> Result<Claims, ApiError> {
    if claims.exp < now {
        return Err(ApiError::unauthorized("token has expired").with("code_detail", "expired"));
    }
    Ok(claims)
}

/// How many verified tokens a server remembers (all are forgotten when it is full).
const REMEMBERED_TOKENS: usize = 4096;

/// The tokens a server has verified, with their claims: a token seen again costs a lookup and
/// the expiry check instead of a signature check and a decode (a client sends the same token
/// with every call).
#[derive(Debug, Default)]
pub struct Verified {
    seen: std::sync::Mutex<std::collections::HashMap<String, Claims>>,
}

impl Verified {
    /// The claims of `token` at `now`, as [`verify_at`] gives them.
    ///
    /// # Errors
    /// 401 with the reason, as [`verify_at`].
    pub fn check(&self, token: &str, secret: &[u8], now: u64) -> Result<Claims, ApiError> {
        let remembered = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(token)
            .cloned();
        if let Some(claims) = remembered {
            return unexpired(claims, now);
        }
        let claims = verify_at(token, secret, now)?;
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.len() >= REMEMBERED_TOKENS {
            seen.clear();
        }
        seen.insert(token.to_owned(), claims.clone());
        Ok(claims)
    }
}

/// The caller of a write: a valid bearer token is required.
#[derive(Debug, Clone)]
pub struct Caller(pub Claims);

impl Caller {
    /// Whether the caller has the admin role.
    pub fn is_admin(&self) -> bool {
        Role::named(&self.0.role) == Some(Role::Admin)
    }

    /// The subject.
    pub fn sub(&self) -> &str {
        &self.0.sub
    }

    /// The caller as the core's authorisation decisions know it.
    pub fn principal(&self) -> Principal {
        Principal::new(self.sub(), self.is_admin())
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("this request needs a bearer token"))?;
        let text = header
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?;
        let token = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
            })?;
        state
            .tokens
            .check(
                token.trim(),
                state.config.jwt_secret.as_bytes(),
                u64::try_from(state.clock.now().timestamp()).unwrap_or(0),
            )
            .map(Caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a secret for the tests";
    const NOW: u64 = 1_800_000_000;

    fn token(sub: &str, exp: u64) -> String {
        let claims = Claims {
            sub: sub.to_owned(),
            role: "director".to_owned(),
            exp,
            iat: 0,
        };
        mint(&claims, SECRET).unwrap()
    }

    fn remembered(verified: &Verified) -> usize {
        verified.seen.lock().unwrap().len()
    }

    #[test]
    fn a_remembered_token_gives_the_claims_it_was_verified_with() {
        let verified = Verified::default();
        let alice = token("alice", NOW + 600);
        let first = verified.check(&alice, SECRET, NOW).unwrap();
        assert_eq!(first.sub, "alice");
        assert_eq!(remembered(&verified), 1);
        assert_eq!(verified.check(&alice, SECRET, NOW + 1).unwrap(), first);
        assert_eq!(remembered(&verified), 1);
    }

    #[test]
    fn a_remembered_token_is_refused_once_it_expires() {
        let verified = Verified::default();
        let alice = token("alice", NOW + 600);
        verified.check(&alice, SECRET, NOW).unwrap();
        // The last second it is valid, then the first it is not.
        assert!(verified.check(&alice, SECRET, NOW + 600).is_ok());
        let refused = verified.check(&alice, SECRET, NOW + 601).unwrap_err();
        assert_eq!(refused.status, axum::http::StatusCode::UNAUTHORIZED);
        assert_eq!(refused.context["code_detail"], "expired");
    }

    #[test]
    fn a_refused_token_is_not_remembered() {
        let verified = Verified::default();
        let forged = token("mallory", NOW + 600);
        assert!(verified.check(&forged, b"another secret", NOW).is_err());
        let expired = token("bob", NOW - 120);
        let refused = verified.check(&expired, SECRET, NOW).unwrap_err();
        assert_eq!(refused.context["code_detail"], "expired");
        assert_eq!(remembered(&verified), 0);
        // A forged token is refused even after the real one was remembered.
        let alice = token("alice", NOW + 600);
        verified.check(&alice, SECRET, NOW).unwrap();
        assert!(verified.check(&forged, b"another secret", NOW).is_err());
        assert!(verified.check(&format!("{alice}x"), SECRET, NOW).is_err());
    }

    fn signed(sub: &str, role: &str, iat: u64, exp: u64) -> String {
        let claims = Claims {
            sub: sub.to_owned(),
            role: role.to_owned(),
            exp,
            iat,
        };
        mint(&claims, SECRET).unwrap()
    }

    fn detail(token: &str) -> String {
        let refused = verify_at(token, SECRET, NOW).unwrap_err();
        assert_eq!(refused.status, axum::http::StatusCode::UNAUTHORIZED);
        refused.context["code_detail"].as_str().unwrap().to_owned()
    }

    #[test]
    fn every_claim_is_checked() {
        // Each role Athlos knows is honoured; another is refused, whatever its signature.
        for role in Role::ALL {
            let claims = verify_at(&signed("alice", role.as_str(), NOW, NOW + 60), SECRET, NOW);
            assert_eq!(claims.unwrap().role, role.as_str());
        }
        assert_eq!(
            detail(&signed("alice", "superuser", NOW, NOW + 60)),
            "unknown_role"
        );
        assert_eq!(detail(&signed("alice", "", NOW, NOW + 60)), "unknown_role");
        assert_eq!(
            detail(&signed("alice", "Admin", NOW, NOW + 60)),
            "unknown_role"
        );
        // The subject must name someone.
        assert_eq!(
            detail(&signed("", "director", NOW, NOW + 60)),
            "empty_subject"
        );
        assert_eq!(
            detail(&signed("  ", "director", NOW, NOW + 60)),
            "empty_subject"
        );
        // Issued up to a minute ahead (clock skew) is fine; a day ahead is not.
        assert!(verify_at(
            &signed("a", "director", NOW + CLOCK_SKEW, NOW + 600),
            SECRET,
            NOW
        )
        .is_ok());
        assert_eq!(
            detail(&signed("a", "director", NOW + CLOCK_SKEW + 1, NOW + 600)),
            "issued_in_future"
        );
        assert_eq!(
            detail(&signed("a", "director", NOW + 86_400, NOW + 2 * 86_400)),
            "issued_in_future"
        );
        // Expiry, without leeway.
        assert!(verify_at(&signed("a", "director", NOW - 10, NOW), SECRET, NOW).is_ok());
        assert_eq!(
            detail(&signed("a", "director", NOW - 10, NOW - 1)),
            "expired"
        );
        // Missing claims, another signature, another algorithm: refused before any claim.
        let missing = |claims: serde_json::Value| {
            encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(SECRET),
            )
            .unwrap()
        };
        for claims in [
            serde_json::json!({"role": "director", "exp": NOW + 60, "iat": NOW}),
            serde_json::json!({"sub": "a", "exp": NOW + 60, "iat": NOW}),
            serde_json::json!({"sub": "a", "role": "director", "iat": NOW}),
            serde_json::json!({"sub": "a", "role": "director", "exp": NOW + 60}),
        ] {
            assert!(
                verify_at(&missing(claims.clone()), SECRET, NOW).is_err(),
                "{claims}"
            );
        }
        let forged = signed("a", "admin", NOW, NOW + 60);
        assert!(verify_at(&forged, b"another secret", NOW).is_err());
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &Claims {
                sub: "a".into(),
                role: "admin".into(),
                exp: NOW + 60,
                iat: NOW,
            },
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(verify_at(&hs512, SECRET, NOW).is_err());
    }

    #[test]
    fn a_token_refused_for_a_claim_is_not_remembered() {
        let verified = Verified::default();
        let future = signed("a", "director", NOW + 3600, NOW + 7200);
        assert!(verified.check(&future, SECRET, NOW).is_err());
        assert!(verified
            .check(&signed("a", "root", NOW, NOW + 60), SECRET, NOW)
            .is_err());
        assert_eq!(remembered(&verified), 0);
    }

    #[test]
    fn the_memory_is_bounded() {
        let verified = Verified::default();
        for i in 0..=REMEMBERED_TOKENS {
            verified
                .check(&token(&format!("p{i}"), NOW + 600), SECRET, NOW)
                .unwrap();
        }
        assert!(remembered(&verified) <= REMEMBERED_TOKENS);
    }
}
