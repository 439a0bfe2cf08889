//! The one error shape of the API: `{"error": "...", "code": "..."}` plus context fields.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use athlos_core::access::Refusal;
use athlos_core::error::{
    ChatError, DraftError, Error, ErrorKind, LifecycleError, ServiceError, StoreError,
};
use athlos_core::lifecycle::{
    BracketLifecycle, BracketState, DraftLifecycle, DraftState, Lifecycle, MatchLifecycle,
    MatchState, TournamentLifecycle, TournamentState,
};

/// An error answer: a status, a stable snake_case code, a message and optional context
/// (`field` for malformed input, `state` and `allowed_actions` for lifecycle refusals).
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The code.
    pub code: String,
    /// The message.
    pub message: String,
    /// Context fields.
    pub context: Map<String, Value>,
}

/// The JSON body of every error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
    /// What went wrong, for a program (stable, snake_case).
    pub code: String,
    /// The request field at fault (400).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The current state (409 lifecycle refusals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The actions the current state allows (409 lifecycle refusals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_actions: Option<Vec<String>>,
    /// The match whose result is already recorded (409 `result_exists`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_id: Option<String>,
    /// The result recorded for it (409 `result_exists`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub recorded: Option<Value>,
    /// The version the write expected (412 `precondition_failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_version: Option<u64>,
    /// The aggregate's current version (412 `precondition_failed`); its `ETag` is
    /// `"v{current_version}"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// Seconds to wait before trying again (429), as the `Retry-After` header says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// 500 `internal`: something the server made could not be encoded.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// An error with no context.
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            context: Map::new(),
        }
    }

    /// 400 for a malformed `field`.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", message).with("field", field.into())
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// Adds a context field.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.context.insert(key.to_owned(), value.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // A 429 that says how long to wait says it in `Retry-After` too.
        let retry_after = (self.status == StatusCode::TOO_MANY_REQUESTS)
            .then(|| self.context.get("retry_after").and_then(Value::as_u64))
            .flatten();
        let mut body = Map::new();
        body.insert("error".to_owned(), Value::String(self.message));
        body.insert("code".to_owned(), Value::String(self.code));
        body.extend(self.context);
        let mut response = (self.status, axum::Json(Value::Object(body))).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let message = error.to_string();
        if let Error::Lifecycle(refusal) | Error::Draft(DraftError::Lifecycle(refusal)) = &error {
            return lifecycle(refusal, message);
        }
        let mut api = ApiError::new(status_of(error.kind()), error.code(), message);
        if let Error::Service(
            ServiceError::FieldFrozen { state, .. } | ServiceError::CurrentFrozen { state, .. },
        ) = &error
        {
            api = api.with("state", state.clone());
        }
        match &error {
            Error::Service(ServiceError::ResultExists { match_id, recorded }) => {
                api = api.with("match_id", match_id.to_string()).with(
                    "recorded",
                    serde_json::to_value(recorded).unwrap_or(Value::Null),
                );
            }
            Error::Service(ServiceError::PreconditionFailed { expected, current }) => {
                api = api
                    .with("expected_version", *expected)
                    .with("current_version", *current);
            }
            Error::Chat(ChatError::RateLimited { retry_after, .. }) => {
                api = api.with("retry_after", *retry_after);
            }
            _ => {}
        }
        if api.status.is_server_error() {
            tracing::error!(error = %api.message, code = %api.code, "request failed");
        }
        api
    }
}

/// The HTTP status of a kind of error.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        ApiError::forbidden(refusal.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Error::from(error).into()
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        Error::from(error).into()
    }
}

/// 409 with the machine's current state and the actions its table allows there.
fn lifecycle(error: &LifecycleError, message: String) -> ApiError {
    let (machine, state) = match error {
        LifecycleError::InvalidTransition { machine, state, .. }
        | LifecycleError::GuardFailed { machine, state, .. } => (*machine, state.as_str()),
        _ => ("", ""),
    };
    let mut api =
        ApiError::new(status_of(error.kind()), error.code(), message).with("state", state);
    if let LifecycleError::GuardFailed { guard, .. } = error {
        api = api.with("guard", *guard);
    }
    api.with("allowed_actions", allowed_actions(machine, state))
}

/// The actions machine `machine` allows in the state named `state`.
pub fn allowed_actions(machine: &str, state: &str) -> Vec<String> {
    fn names<L: Lifecycle>(all: &[L::State], state: &str) -> Vec<String> {
        all.iter()
            .find(|s| s.to_string() == state)
            .map(|&s| L::allowed(s).iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    }
    match machine {
        "bracket" => names::<BracketLifecycle>(BracketState::ALL, state),
        "tournament" => names::<TournamentLifecycle>(TournamentState::ALL, state),
        "match" => names::<MatchLifecycle>(MatchState::ALL, state),
        "draft" => names::<DraftLifecycle>(DraftState::ALL, state),
        _ => Vec::new(),
    }
}
