//! Accounts over HTTP: sign-up, sign-in and sign-out of browser sessions, profiles, and the
//! API tokens a user creates and revokes.
//!
//! The rules (usernames, profile fields, who may edit what, the sign-in throttle, when a
//! session is live) are the core's ([`athlos_core::account`]); this module draws the random
//! ids and secrets, hashes passwords with argon2id, sets the session cookie and renders.
//! Passwords, token secrets, session ids and CSRF tokens are never logged, never stored in
//! clear (only their hashes), and never answered after the response that creates them.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use athlos_core::account::{self, AccountRole, ApiToken, ProfilePatch, Throttle, User, Username};
use athlos_core::id::{TokenId, UserId};
use athlos_core::service::{NewAccount, NewSession, NewToken};
use athlos_core::store::Stored;
use athlos_core::Error;

use super::auth::{Caller, SESSION_COOKIE};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use super::secrets;
use super::AppState;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(get_user, update_user))
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(revoke_token))
}

/// An account as the API shows it (never its password hash or token hashes).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    /// Its id: the subject it acts as (a tournament's `director`, an entry's id …).
    pub id: String,
    /// Its username, as typed at sign-up (unique whatever the case).
    pub username: String,
    /// Its display name.
    pub display_name: String,
    /// Its club, if given.
    pub club: Option<String>,
    /// Its nation, a three-letter code, if given.
    pub nation: Option<String>,
    /// Its rating, 0 to 4000, if given.
    pub rating: Option<u32>,
    /// `user`, `director` or `admin`.
    pub role: String,
    /// When it signed up.
    #[schema(value_type = String, format = DateTime)]
    pub created: DateTime<Utc>,
    /// Changes with every change of the account.
    pub version: u64,
}

impl UserView {
    fn of(user: &Stored<User>) -> Self {
        let u = &user.value;
        Self {
            id: u.id.to_string(),
            username: u.username.to_string(),
            display_name: u.profile.display_name.clone(),
            club: u.profile.club.clone(),
            nation: u.profile.nation.clone(),
            rating: u.profile.rating,
            role: u.role.as_str().to_owned(),
            created: u.created,
            version: user.version,
        }
    }
}

/// A sign-up.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    /// 3 to 32 ASCII letters, digits, `_`, `-` or `.`, starting with a letter or digit;
    /// unique whatever the case.
    pub username: String,
    /// At least 10 characters (at most 1024 bytes).
    pub password: String,
    /// 1 to 64 characters.
    pub display_name: String,
}

impl std::fmt::Debug for SignUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignUp")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .finish_non_exhaustive()
    }
}

/// Creates an account (role `user`). The answer is the account, without any secret; sign
/// in with `POST /v1/sessions`.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts",
    request_body = SignUp,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody),
        (status = 409, description = "`username_taken`", body = ErrorBody),
        (status = 422, description = "`invalid_username`, `invalid_password`, `invalid_display_name`", body = ErrorBody)))]
async fn sign_up(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SignUp>,
) -> Result<impl IntoResponse, ApiError> {
    let user = register(&state, body).await?;
    Ok((StatusCode::CREATED, Json(UserView::of(&user))))
}

/// Creates the account of a sign-up (the API's and the sign-up page's): every rule is
/// checked before the (slow) hashing.
pub(super) async fn register(state: &AppState, body: SignUp) -> Result<Stored<User>, ApiError> {
    Username::new(body.username.as_str()).map_err(Error::from)?;
    account::display_name(&body.display_name).map_err(Error::from)?;
    account::check_password(&body.password).map_err(Error::from)?;
    let password_hash = secrets::hash_password(body.password).await?;
    let id = UserId::new(secrets::new_id("u")?).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(state
        .service
        .create_account(NewAccount {
            id,
            username: body.username,
            display_name: body.display_name,
            password_hash,
        })
        .await?)
}

/// A sign-in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The username, in any case.
    pub username: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A browser session just opened.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionView {
    /// The account signed in.
    pub user: UserView,
    /// Send it as the `X-CSRF-Token` header with every unsafe request (POST, PATCH, PUT,
    /// DELETE) made with the session cookie. Shown once.
    pub csrf_token: String,
    /// When the session ends by itself.
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: DateTime<Utc>,
}

/// The client's address, as the connection gives it.
fn client_address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |ConnectInfo(a)| a.ip().to_string())
}

/// The keys a sign-in's failures count under: the username (folded, bounded) and the address.
fn throttle_keys(username: &str, address: &str) -> [String; 2] {
    let folded: String = username.to_lowercase().chars().take(64).collect();
    [format!("user:{folded}"), format!("address:{address}")]
}

/// The client's address as an extractor (never refuses).
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts)))
    }
}

fn throttle(state: &AppState) -> std::sync::MutexGuard<'_, Throttle> {
    state
        .sign_ins
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The session cookie for `value`, lasting `max_age` seconds (0: removed).
pub(super) fn session_cookie(
    state: &AppState,
    value: &str,
    max_age: i64,
) -> Result<HeaderValue, ApiError> {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .map_err(|e| ApiError::internal(e.to_string()))
}

/// Signs in: opens a browser session, set as an HttpOnly cookie (`athlos_session`,
/// `SameSite=Lax`, `Secure` when the server is configured so), and answers its CSRF token.
///
/// An unknown username and a wrong password get the same answer (401
/// `invalid_credentials`) after the same work. After 5 failures within 15 minutes for one
/// username or from one client address (the server's settings), further attempts are
/// refused with 429 `too_many_attempts` and `Retry-After` until the oldest failure leaves
/// the window.
#[utoipa::path(post, path = "/v1/sessions", tag = "accounts",
    request_body = SignIn,
    responses((status = 201, body = SessionView, headers(("set-cookie" = String, description = "The session cookie"))),
        (status = 400, body = ErrorBody),
        (status = 401, description = "`invalid_credentials`", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds until an attempt is counted again")))))]
async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let opened = open_session(&state, &address, &body.username, body.password).await?;
    let view = SessionView {
        user: UserView::of(&opened.user),
        csrf_token: opened.csrf_token,
        expires_at: opened.expires,
    };
    Ok((
        StatusCode::CREATED,
        [(SET_COOKIE, opened.cookie)],
        Json(view),
    )
        .into_response())
}

/// A browser session just opened by a sign-in.
pub(super) struct Opened {
    /// The account signed in.
    pub user: Stored<User>,
    /// The session's CSRF token (derived from its id: [`secrets::csrf_token_of`]).
    pub csrf_token: String,
    /// When the session ends by itself.
    pub expires: DateTime<Utc>,
    /// The `Set-Cookie` value carrying the session id.
    pub cookie: HeaderValue,
}

/// Signs `username` in with `password` from `address` (the API's and the sign-in page's):
/// the throttle first, then the password, then a new session. A refusal by the throttle is
/// 429 `too_many_attempts` with `retry_after` seconds.
pub(super) async fn open_session(
    state: &AppState,
    address: &str,
    username: &str,
    password: String,
) -> Result<Opened, ApiError> {
    let now = state.clock.now();
    let keys = throttle_keys(username, address);
    // The attempt is counted as a failure before it is decided (and forgiven if it
    // succeeds), so that attempts made at the same time cannot pass the limit together.
    let wait = {
        let mut throttle = throttle(state);
        let wait = keys
            .iter()
            .filter_map(|key| throttle.check(key, now).err())
            .max();
        if wait.is_none() {
            for key in &keys {
                throttle.fail(key, now);
            }
        }
        wait
    };
    if let Some(wait) = wait {
        let seconds = wait.num_seconds().max(1);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("too many failed sign-ins: try again in {seconds} s"),
        )
        .with("retry_after", seconds));
    }
    let user = state.service.user_by_username(username).await?;
    let verified =
        secrets::verify_password(password, user.as_ref().map(|u| &u.value.password_hash)).await?;
    let Some(user) = user.filter(|_| verified) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "unknown username or wrong password",
        ));
    };
    {
        let mut throttle = throttle(state);
        throttle.clear(&keys[0]);
        throttle.forgive(&keys[1], now);
    }
    let session_id = secrets::new_secret()?;
    let csrf_token = secrets::csrf_token_of(&session_id);
    let lasts = chrono::Duration::from_std(state.config.session_lifetime)
        .unwrap_or(chrono::Duration::days(14));
    let session = state
        .service
        .open_session(NewSession {
            key: secrets::hash_secret(&session_id),
            csrf_hash: secrets::hash_secret(&csrf_token),
            user: user.value.id.clone(),
            lasts,
        })
        .await?;
    let cookie = session_cookie(state, &session_id, lasts.num_seconds())?;
    Ok(Opened {
        user,
        csrf_token,
        expires: session.value.expires,
        cookie,
    })
}

/// Signs out of the session the request's cookie names (with its CSRF token) and removes
/// the cookie.
#[utoipa::path(delete, path = "/v1/sessions/current", tag = "accounts",
    responses((status = 204, description = "Signed out"),
        (status = 401, description = "No live session (a bearer token is not a session)", body = ErrorBody),
        (status = 403, description = "`csrf_failed`", body = ErrorBody)),
    security(("session" = [])))]
async fn sign_out(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let key = caller.session().ok_or_else(|| {
        ApiError::unauthorized("this request carries no browser session to sign out of")
            .with("code_detail", "no_session")
    })?;
    state.service.end_session(key).await?;
    let removed = session_cookie(&state, "", 0)?;
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, removed)]).into_response())
}

fn user_id(text: &str) -> Result<UserId, ApiError> {
    UserId::new(text).map_err(|e| ApiError::bad_input("id", e.to_string()))
}

/// An account's public profile.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "accounts",
    params(("id" = String, Path, description = "The account's id")),
    responses((status = 200, body = UserView), (status = 404, description = "`unknown_user`", body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<UserView>, ApiError> {
    let user = state.service.user(&user_id(&id)?).await?;
    Ok(Json(UserView::of(&user)))
}

/// Reads a field that may be `null`: absent is `None`, `null` is `Some(None)`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A change of a profile: each field given is set, `null` clears `club`, `nation` and
/// `rating`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    /// 1 to 64 characters.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Up to 100 characters; `null` or `""` for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub club: Option<Option<String>>,
    /// A three-letter upper-case code (`NOR`); `null` or `""` for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub nation: Option<Option<String>>,
    /// 0 to 4000; `null` for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub rating: Option<Option<i64>>,
    /// `user`, `director` or `admin`: administrators only.
    #[serde(default)]
    pub role: Option<String>,
}

/// Changes a profile: the account's holder changes their own, an administrator any; only
/// an administrator changes a role.
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "accounts",
    params(("id" = String, Path, description = "The account's id")),
    request_body = ProfileChange,
    responses((status = 200, body = UserView), (status = 404, description = "`unknown_user`", body = ErrorBody),
        (status = 409, description = "Changed by others at the same time, more than once", body = ErrorBody),
        (status = 422, description = "`invalid_display_name`, `invalid_club`, `invalid_nation`, `invalid_rating`", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ProfileChange>,
) -> Result<Json<UserView>, ApiError> {
    let id = user_id(&id)?;
    let role = body
        .role
        .as_deref()
        .map(|name| {
            AccountRole::named(name).ok_or_else(|| {
                ApiError::bad_input(
                    "role",
                    format!("unknown role {name:?}: use user, director or admin"),
                )
            })
        })
        .transpose()?;
    let patch = ProfilePatch {
        display_name: body.display_name,
        club: body.club,
        nation: body.nation,
        rating: body.rating,
        role,
    };
    // Strangers are refused before anything is read: they learn nothing of the account.
    account::may_act_for(&caller.principal(), &id)?;
    let user = state
        .service
        .update_profile(&caller.principal(), &id, &patch)
        .await??;
    Ok(Json(UserView::of(&user)))
}

/// An API token as the API shows it (never its secret or hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was made.
    #[schema(value_type = String, format = DateTime)]
    pub created: DateTime<Utc>,
    /// When it was revoked (`null`: it is honoured).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenView {
    fn of(token: &ApiToken) -> Self {
        Self {
            id: token.id.to_string(),
            name: token.name.clone(),
            created: token.created,
            revoked_at: token.revoked,
        }
    }
}

/// A new API token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What it is for, 1 to 64 characters.
    pub name: String,
}

/// An API token just made, with the secret shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedToken {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was made.
    #[schema(value_type = String, format = DateTime)]
    pub created: DateTime<Utc>,
    /// Send it as `Authorization: Bearer <token>`. Shown once: the server keeps only its
    /// hash.
    pub token: String,
}

/// A user's API tokens.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenList {
    /// In creation order, revoked ones included.
    pub tokens: Vec<TokenView>,
}

/// Creates an API token for the caller's own account: it acts as the account (with its
/// role) until revoked.
#[utoipa::path(post, path = "/v1/users/{id}/tokens", tag = "accounts",
    params(("id" = String, Path, description = "The account's id")),
    request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 404, description = "`unknown_user`", body = ErrorBody),
        (status = 409, description = "`too_many_tokens`", body = ErrorBody),
        (status = 422, description = "`invalid_token_name`", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<impl IntoResponse, ApiError> {
    let id = user_id(&id)?;
    let created = make_token(&state, &caller, &id, body.name).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Makes an API token named `name` for `id`'s account, if `caller` may (the API's and the
/// profile page's).
pub(super) async fn make_token(
    state: &AppState,
    caller: &Caller,
    id: &UserId,
    name: String,
) -> Result<CreatedToken, ApiError> {
    account::may_create_token(&caller.principal(), id)?;
    let secret = secrets::new_secret()?;
    let token_id =
        TokenId::new(secrets::new_id("t")?).map_err(|e| ApiError::internal(e.to_string()))?;
    let (_, token) = state
        .service
        .add_token(
            id,
            NewToken {
                id: token_id,
                name,
                secret_hash: secrets::hash_secret(&secret),
            },
        )
        .await?;
    Ok(CreatedToken {
        id: token.id.to_string(),
        name: token.name.clone(),
        created: token.created,
        token: secrets::format_token(id.as_str(), token.id.as_str(), &secret),
    })
}

/// An account's API tokens (its holder or an administrator).
#[utoipa::path(get, path = "/v1/users/{id}/tokens", tag = "accounts",
    params(("id" = String, Path, description = "The account's id")),
    responses((status = 200, body = TokenList), (status = 404, description = "`unknown_user`", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TokenList>, ApiError> {
    let id = user_id(&id)?;
    account::may_act_for(&caller.principal(), &id)?;
    let user = state.service.user(&id).await?;
    Ok(Json(TokenList {
        tokens: user.value.tokens.iter().map(TokenView::of).collect(),
    }))
}

/// Revokes an API token (its holder or an administrator): it is refused from then on.
/// Revoking a revoked token changes nothing.
#[utoipa::path(delete, path = "/v1/users/{id}/tokens/{token}", tag = "accounts",
    params(("id" = String, Path, description = "The account's id"),
        ("token" = String, Path, description = "The token's id")),
    responses((status = 200, body = TokenView),
        (status = 404, description = "`unknown_user`, `unknown_token`", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, token)): ApiPath<(String, String)>,
) -> Result<Json<TokenView>, ApiError> {
    let id = user_id(&id)?;
    let token = TokenId::new(token).map_err(|e| ApiError::bad_input("token", e.to_string()))?;
    account::may_act_for(&caller.principal(), &id)?;
    let (_, revoked) = state.service.revoke_token(&id, &token).await?;
    Ok(Json(TokenView::of(&revoked)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_with_a_password_never_print_it() {
        let up: SignUp = serde_json::from_str(
            r#"{"username": "ann", "password": "secret-password", "display_name": "Ann"}"#,
        )
        .unwrap();
        let printed = format!("{up:?}");
        assert!(
            printed.contains("ann") && !printed.contains("secret-password"),
            "{printed}"
        );
        let sign_in: SignIn =
            serde_json::from_str(r#"{"username": "ann", "password": "secret-password"}"#).unwrap();
        assert!(!format!("{sign_in:?}").contains("secret-password"));
    }

    #[test]
    fn failures_count_by_folded_username_and_address() {
        assert_eq!(
            throttle_keys("AnN", "10.0.0.1"),
            ["user:ann".to_owned(), "address:10.0.0.1".to_owned()]
        );
        let long = "x".repeat(500);
        assert_eq!(throttle_keys(&long, "a")[0].len(), 5 + 64);
    }
}
