//! The account pages: sign up, sign in, sign out, and "me" (the profile with its API
//! tokens), over the same functions as the account routes of the API.
//!
//! A page knows its viewer from the session cookie ([`Viewer`]). Every form post made while
//! signed in carries the session's CSRF token in a hidden `csrf_token` field (derived from
//! the session id, [`secrets::csrf_token_of`], so the page can write it without storing it)
//! and is refused without it. Sign-up and sign-in have no session yet: a browser's post from
//! another origin (its `Origin` header) is refused, and the session cookie is `SameSite=Lax`.
//! A refused form is shown again with the reason and what was typed, except the password.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::header::{HOST, LOCATION, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use athlos_core::account::{self, Session, User};
use athlos_core::id::TokenId;
use athlos_core::store::Stored;

use super::accounts::{self, ClientAddress, SignUp};
use super::auth::{session_cookie, Caller};
use super::dashboard::{dashboard, Dashboard};
use super::error::ApiError;
use super::pages::{not_found_page, page, when};
use super::secrets;
use super::AppState;

/// The account page routes (HTML, not in the OpenAPI document).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-up", get(sign_up_form).post(sign_up))
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/me", get(me))
        .route("/me/tokens", post(create_token))
        .route("/me/tokens/{token}/revoke", post(revoke_token))
}

/// Who is looking at a page: the account of a live browser session.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The account.
    pub user: Stored<User>,
    /// The session.
    pub session: Stored<Session>,
    /// The session's CSRF token, for the page's forms.
    pub csrf_token: String,
}

impl Viewer {
    /// The name the page header shows.
    pub fn name(&self) -> &str {
        &self.user.value.profile.display_name
    }

    /// Whether a form's `csrf_token` is this session's.
    fn accepts(&self, token: &str) -> bool {
        !token.is_empty() && secrets::secret_matches(token, &self.session.value.csrf_hash)
    }

    /// The viewer as the API's authorisation knows it.
    fn caller(&self) -> Caller {
        Caller::of_session(&self.user.value, self.session.value.key.clone())
    }
}

/// The viewer of a page, if signed in (never refuses a request: an unknown or expired
/// session is nobody).
#[derive(Debug, Clone)]
pub struct PageViewer(pub Option<Viewer>);

impl FromRequestParts<AppState> for PageViewer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(id) = session_cookie(&parts.headers) else {
            return Ok(PageViewer(None));
        };
        let key = secrets::hash_secret(id);
        let found = state.service.live_session(&key).await?;
        Ok(PageViewer(found.map(|(session, user)| Viewer {
            user,
            session,
            csrf_token: secrets::csrf_token_of(id),
        })))
    }
}

/// A redirect after a form post (303: the browser follows with a GET).
pub(super) fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// A form's fields, or a 400 page naming what is wrong with them.
fn form<T: DeserializeOwned>(body: &Bytes) -> Result<T, Box<Response>> {
    serde_urlencoded::from_bytes(body).map_err(|error| {
        let mut response = not_found_page(format!("This form could not be read: {error}."));
        *response.status_mut() = StatusCode::BAD_REQUEST;
        Box::new(response)
    })
}

/// A form posted while signed in: the viewer and its fields once its `csrf_token` field is
/// the session's; otherwise the answer (the sign-in page when signed out, 403 without the
/// token, 400 for a form that cannot be read).
pub(super) fn signed_in_form<T: DeserializeOwned>(
    viewer: Option<Viewer>,
    body: &Bytes,
) -> Result<(Viewer, T), Box<Response>> {
    let token: TokenOnly = form(body)?;
    let fields: T = form(body)?;
    let Some(viewer) = viewer else {
        return Err(Box::new(see_other("/sign-in")));
    };
    if !viewer.accepts(&token.csrf_token) {
        return Err(Box::new(csrf_refused()));
    }
    Ok((viewer, fields))
}

/// Whether a post without a session comes from this site: a browser says where a form was
/// posted from in `Origin`, which must name this host (clients that send no `Origin` are
/// not browsers, and a cookie cannot be forged onto them).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let bare = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or(origin);
    !host.is_empty() && bare == host
}

/// A form posted before signing in (sign-up, sign-in): its fields, if it comes from this
/// site and can be read.
fn signed_out_form<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, Box<Response>> {
    if !same_origin(headers) {
        return Err(Box::new(cross_site()));
    }
    form(body)
}

/// The page of a refused cross-site post.
fn cross_site() -> Response {
    let mut response =
        not_found_page("This form was sent from another site and was refused. Try again here.");
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

/// The page of a signed-in post without the session's CSRF token.
fn csrf_refused() -> Response {
    let mut response = not_found_page(
        "This form was missing its security token (or it is out of date). Reload the page and \
         send it again.",
    );
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

/// The status a refusal is shown with, and what the form says.
fn refusal(error: &ApiError) -> (StatusCode, String) {
    (error.status, error.message.clone())
}

#[derive(Template)]
#[template(path = "sign_up.html")]
struct SignUpPage {
    title: &'static str,
    viewer: Option<Viewer>,
    /// The core's rules, for the form's hints and browser-side checks.
    username_min: usize,
    username_max: usize,
    password_min: usize,
    error: Option<String>,
    username: String,
    display_name: String,
}

async fn sign_up_form(PageViewer(viewer): PageViewer) -> Response {
    page(
        StatusCode::OK,
        &SignUpPage {
            title: "Sign up",
            viewer,
            username_min: *account::USERNAME_CHARS.start(),
            username_max: *account::USERNAME_CHARS.end(),
            password_min: account::MIN_PASSWORD_CHARS,
            error: None,
            username: String::new(),
            display_name: String::new(),
        },
    )
}

/// The sign-up form's fields.
#[derive(Deserialize)]
struct SignUpForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
}

/// Creates the account, signs it in and goes to "me"; a refusal shows the form again.
async fn sign_up(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields: SignUpForm = match signed_out_form(&headers, &body) {
        Ok(fields) => fields,
        Err(response) => return *response,
    };
    let again = |error: ApiError| {
        let (status, message) = refusal(&error);
        page(
            status,
            &SignUpPage {
                title: "Sign up",
                viewer: None,
                username_min: *account::USERNAME_CHARS.start(),
                username_max: *account::USERNAME_CHARS.end(),
                password_min: account::MIN_PASSWORD_CHARS,
                error: Some(message),
                username: fields.username.clone(),
                display_name: fields.display_name.clone(),
            },
        )
    };
    let up = SignUp {
        username: fields.username.clone(),
        password: fields.password.clone(),
        display_name: fields.display_name.clone(),
    };
    if let Err(error) = accounts::register(&state, up).await {
        return again(error);
    }
    match accounts::open_session(&state, &address, &fields.username, fields.password.clone()).await
    {
        Ok(opened) => signed_in(opened.cookie),
        Err(error) => again(error),
    }
}

/// Goes to "me" with the new session's cookie.
fn signed_in(cookie: HeaderValue) -> Response {
    let mut response = see_other("/me");
    response.headers_mut().insert(SET_COOKIE, cookie);
    response
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    title: &'static str,
    viewer: Option<Viewer>,
    error: Option<String>,
    username: String,
}

async fn sign_in_form(PageViewer(viewer): PageViewer) -> Response {
    page(
        StatusCode::OK,
        &SignInPage {
            title: "Sign in",
            viewer,
            error: None,
            username: String::new(),
        },
    )
}

/// The sign-in form's fields.
#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// Signs in and goes to "me"; a refusal (wrong password, too many attempts) shows the form
/// again with the reason.
async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields: SignInForm = match signed_out_form(&headers, &body) {
        Ok(fields) => fields,
        Err(response) => return *response,
    };
    match accounts::open_session(&state, &address, &fields.username, fields.password).await {
        Ok(opened) => signed_in(opened.cookie),
        Err(error) => {
            let (status, message) = refusal(&error);
            let mut response = page(
                status,
                &SignInPage {
                    title: "Sign in",
                    viewer: None,
                    error: Some(message),
                    username: fields.username,
                },
            );
            if let Some(seconds) = error.context.get("retry_after").and_then(|v| v.as_u64()) {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
    }
}

/// A form that only carries the CSRF token.
#[derive(Deserialize)]
pub(super) struct TokenOnly {
    #[serde(default)]
    csrf_token: String,
}

/// Signs out of the viewer's session and goes home (signed out already: the sign-in page).
async fn sign_out(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (viewer, TokenOnly { .. }) = match signed_in_form::<TokenOnly>(viewer, &body) {
        Ok(posted) => posted,
        Err(response) => return Ok(*response),
    };
    state.service.end_session(&viewer.session.value.key).await?;
    let mut response = see_other("/");
    response
        .headers_mut()
        .insert(SET_COOKIE, accounts::session_cookie(&state, "", 0)?);
    Ok(response)
}

/// An API token as the profile page lists it.
struct TokenRow {
    id: String,
    name: String,
    created: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    title: &'static str,
    viewer: Option<Viewer>,
    csrf_token: String,
    username: String,
    role: String,
    club: String,
    nation: String,
    rating: String,
    tokens: Vec<TokenRow>,
    /// A token just made: its name and the secret, shown this once.
    created: Option<(String, String)>,
    error: Option<String>,
    /// The account's id (its notification stream's address).
    user_id: String,
    /// Followed tournaments and notifications.
    dashboard: Dashboard,
}

/// The profile page of `viewer` with their dashboard, and a token just made or a refusal to
/// show.
async fn me_page(
    state: &AppState,
    viewer: Viewer,
    status: StatusCode,
    created: Option<(String, String)>,
    error: Option<String>,
) -> Response {
    let dashboard = match dashboard(state, &viewer).await {
        Ok(dashboard) => dashboard,
        Err(error) => return error.into_response(),
    };
    let user = &viewer.user.value;
    let template = MePage {
        title: "My account",
        user_id: user.id.to_string(),
        dashboard,
        username: user.username.to_string(),
        role: user.role.as_str().to_owned(),
        club: user.profile.club.clone().unwrap_or_default(),
        nation: user.profile.nation.clone().unwrap_or_default(),
        rating: user
            .profile
            .rating
            .map(|r| r.to_string())
            .unwrap_or_default(),
        tokens: user
            .tokens
            .iter()
            .map(|t| TokenRow {
                id: t.id.to_string(),
                name: t.name.clone(),
                created: when(t.created),
                revoked: t.revoked.map(when),
            })
            .collect(),
        created,
        error,
        csrf_token: viewer.csrf_token.clone(),
        viewer: Some(viewer),
    };
    page(status, &template)
}

/// "Me": the signed-in account's profile and API tokens; signed out, the sign-in page.
async fn me(State(state): State<AppState>, PageViewer(viewer): PageViewer) -> Response {
    match viewer {
        Some(viewer) => me_page(&state, viewer, StatusCode::OK, None, None).await,
        None => see_other("/sign-in"),
    }
}

/// The new-token form's fields.
#[derive(Deserialize)]
struct NewTokenForm {
    #[serde(default)]
    name: String,
}

/// Makes an API token and shows its secret once on the profile page.
async fn create_token(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    body: Bytes,
) -> Response {
    let (viewer, fields) = match signed_in_form::<NewTokenForm>(viewer, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let id = viewer.user.value.id.clone();
    match accounts::make_token(&state, &viewer.caller(), &id, fields.name).await {
        Ok(made) => match state.service.user(&id).await {
            Ok(user) => {
                me_page(
                    &state,
                    Viewer { user, ..viewer },
                    StatusCode::CREATED,
                    Some((made.name, made.token)),
                    None,
                )
                .await
            }
            Err(error) => ApiError::from(error).into_response(),
        },
        Err(error) => {
            let (status, message) = refusal(&error);
            me_page(&state, viewer, status, None, Some(message)).await
        }
    }
}

/// Revokes one of the viewer's API tokens and goes back to "me".
async fn revoke_token(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let (viewer, TokenOnly { .. }) = match signed_in_form::<TokenOnly>(viewer, &body) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let id = viewer.user.value.id.clone();
    let outcome = async {
        let token = TokenId::new(token).map_err(|e| ApiError::bad_input("token", e.to_string()))?;
        account::may_act_for(&viewer.caller().principal(), &id)?;
        state.service.revoke_token(&id, &token).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match outcome {
        Ok(()) => see_other("/me"),
        Err(error) => {
            let (status, message) = refusal(&error);
            me_page(&state, viewer, status, None, Some(message)).await
        }
    }
}
