//! Who is asking: a bearer JWT (HS256, for machines and operators), a user's API token
//! (`Bearer athlos.…`), or a browser session (an HttpOnly cookie, with a CSRF token on every
//! unsafe request).

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::Method;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use athlos_core::access::{Principal, Role};
use athlos_core::account::SecretHash;
use athlos_core::id::{TokenId, UserId};

use super::error::ApiError;
use super::secrets;
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

/// The caller of a write: a valid bearer token (a JWT, or a user's API token), or a live
/// browser session (its cookie, and on unsafe methods its CSRF token in `X-CSRF-Token`).
#[derive(Debug, Clone)]
pub struct Caller {
    principal: Principal,
    /// The session the request came with, when it came with one (for signing out).
    session: Option<SecretHash>,
    /// The role a JWT named (`None`: an API token or a session, which act as their account).
    role: Option<Role>,
}

impl Caller {
    /// A caller from verified JWT claims.
    pub fn from_claims(claims: &Claims) -> Self {
        let admin = Role::named(&claims.role) == Some(Role::Admin);
        Self {
            principal: Principal::new(claims.sub.clone(), admin),
            session: None,
            role: Role::named(&claims.role),
        }
    }

    /// The caller of a live browser session `key` of `account` (a page's form post, whose
    /// CSRF token the page checked).
    pub fn of_session(account: &athlos_core::account::User, key: SecretHash) -> Self {
        Self {
            principal: account.principal(),
            session: Some(key),
            role: None,
        }
    }

    /// Whether the caller acts as an administrator (the `admin` role of a token or an
    /// account).
    pub fn is_admin(&self) -> bool {
        self.principal.is_admin()
    }

    /// The subject: a JWT's `sub`, or the id of the signed-in account.
    pub fn sub(&self) -> &str {
        self.principal.subject()
    }

    /// The caller as the core's authorisation decisions know it.
    pub fn principal(&self) -> Principal {
        self.principal.clone()
    }

    /// The role its JWT named (`None`: an API token or a browser session).
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// The hash of the session id the request came with (`None`: a bearer token).
    pub fn session(&self) -> Option<&SecretHash> {
        self.session.as_ref()
    }
}

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "athlos_session";

/// The header that carries a session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of the session cookie, if the request has one.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then_some(value)
        })
}

/// Whether `method` changes nothing (no CSRF token needed).
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The caller of a user's API token `text`.
async fn token_caller(state: &AppState, text: &str) -> Result<Caller, ApiError> {
    let refused = |detail: &str, message: &str| {
        ApiError::unauthorized(message.to_owned()).with("code_detail", detail)
    };
    let unknown = || refused("unknown_token", "the API token is not one of this server's");
    let (user, token, secret) = secrets::parse_token(text).ok_or_else(unknown)?;
    let (Ok(user), Ok(token)) = (UserId::new(user), TokenId::new(token)) else {
        return Err(unknown());
    };
    let (account, token) = state
        .service
        .token(&user, &token)
        .await?
        .ok_or_else(unknown)?;
    if !secrets::secret_matches(secret, &token.secret_hash) {
        return Err(unknown());
    }
    if token.revoked.is_some() {
        return Err(refused("revoked", "the API token was revoked"));
    }
    Ok(Caller {
        principal: account.value.principal(),
        session: None,
        role: None,
    })
}

/// The caller of the browser session whose id is `id`: live, and on an unsafe method with
/// its CSRF token.
async fn session_caller(state: &AppState, parts: &Parts, id: &str) -> Result<Caller, ApiError> {
    let key = secrets::hash_secret(id);
    let (session, account) = state.service.live_session(&key).await?.ok_or_else(|| {
        ApiError::unauthorized("the session has expired or was signed out of: sign in again")
            .with("code_detail", "no_session")
    })?;
    if !is_safe(&parts.method) {
        let csrf = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        if csrf.is_empty() || !secrets::secret_matches(csrf, &session.value.csrf_hash) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "csrf_failed",
                "a request signed in by the session cookie needs the session's CSRF token in the X-CSRF-Token header",
            ));
        }
    }
    Ok(Caller {
        principal: account.value.principal(),
        session: Some(key),
        role: None,
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            return match session_cookie(&parts.headers) {
                Some(id) => session_caller(state, parts, id).await,
                None => Err(ApiError::unauthorized(
                    "this request needs a bearer token or a signed-in session",
                )),
            };
        };
        let text = header
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?;
        let token = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
            })?
            .trim();
        if token.starts_with(secrets::TOKEN_PREFIX) {
            return token_caller(state, token).await;
        }
        state
            .tokens
            .check(
                token,
                state.config.jwt_secret.as_bytes(),
                u64::try_from(state.clock.now().timestamp()).unwrap_or(0),
            )
            .map(|claims| Caller::from_claims(&claims))
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
