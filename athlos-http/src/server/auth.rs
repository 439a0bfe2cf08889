//! Bearer JWT (HS256): who is asking.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

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

/// Checks a token's signature and expiry.
///
/// # Errors
/// 401 with the reason.
pub fn verify(token: &str, secret: &[u8]) -> Result<Claims, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    decode::<Claims>(token, &DecodingKey::from_secret(secret), &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                ApiError::unauthorized("token has expired").with("code_detail", "expired")
            }
            _ => ApiError::unauthorized(format!("invalid token: {e}")),
        })
}

/// The caller of a write: a valid bearer token is required.
#[derive(Debug, Clone)]
pub struct Caller(pub Claims);

impl Caller {
    /// Whether the caller has the admin role.
    pub fn is_admin(&self) -> bool {
        self.0.role == ADMIN
    }

    /// The subject.
    pub fn sub(&self) -> &str {
        &self.0.sub
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
        verify(token.trim(), state.config.jwt_secret.as_bytes()).map(Caller)
    }
}
