//! Optimistic concurrency over HTTP: an aggregate's version as a strong `ETag` (`"v12"`), and
//! `If-Match` on writes, which the service refuses with 412 `precondition_failed` once the
//! aggregate has moved on. The answer of a write: the aggregate's view with the events the
//! write logged. And the body of a result write: the result plus `correction`.

use axum::extract::FromRequestParts;
use axum::http::header::{ETAG, IF_MATCH};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

use athlos_core::bracket::MatchResult;
use athlos_core::error::ServiceError;
use athlos_core::event::Event;
use athlos_core::service::ResultWrite;

use super::error::ApiError;

/// The strong entity tag of aggregate version `version`: `"v12"`.
pub fn etag(version: u64) -> String {
    format!("\"v{version}\"")
}

/// A JSON answer about an aggregate at a version, sent with that version as its `ETag`.
#[derive(Debug)]
pub struct Tagged<T>(pub u64, pub T);

impl<T: Serialize> IntoResponse for Tagged<T> {
    fn into_response(self) -> Response {
        let mut response = Json(self.1).into_response();
        if let Ok(value) = HeaderValue::from_str(&etag(self.0)) {
            response.headers_mut().insert(ETAG, value);
        }
        response
    }
}

/// An aggregate's view after a write, with the events the write logged.
// The schema traits stay unimported here: the derive names them in full, with the spans of
// the type parameter.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WithEvents<V> {
    /// The aggregate as the write left it.
    #[serde(flatten)]
    pub view: V,
    /// The events the write logged, in log order: each with `id`, `type`, `timestamp` and
    /// `data` (none when the write changed nothing).
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Event>,
}

/// The version named by a request's `If-Match`, if it has one.
///
/// - absent or `*`: no precondition;
/// - `"v12"` (or a list holding it): the write applies only at version 12;
/// - anything else (a weak tag, a tag this server never sent): a precondition no version
///   meets, so the write is refused with 412 — `If-Match` compares strong tags only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IfMatch(pub Option<u64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut values = parts.headers.get_all(IF_MATCH).iter().peekable();
        if values.peek().is_none() {
            return Ok(IfMatch(None));
        }
        let mut tags = Vec::new();
        for value in values {
            let text = value.to_str().map_err(|_| {
                ApiError::bad_input("If-Match", "If-Match must be ASCII entity tags")
            })?;
            tags.extend(text.split(',').map(str::trim).filter(|t| !t.is_empty()));
        }
        if tags.contains(&"*") {
            return Ok(IfMatch(None));
        }
        let version = tags.iter().find_map(|tag| {
            tag.strip_prefix("\"v")
                .and_then(|t| t.strip_suffix('"'))
                .and_then(|n| n.parse::<u64>().ok())
        });
        // Version 0 is never stored (an aggregate starts at 1): a tag no version matches.
        Ok(IfMatch(Some(version.unwrap_or(0))))
    }
}

impl IfMatch {
    /// Refuses a write to an aggregate at `current` that the precondition does not name.
    ///
    /// # Errors
    /// 412 `precondition_failed` with the current version.
    pub fn check(self, current: u64) -> Result<(), ApiError> {
        match self.0 {
            Some(expected) if expected != current => {
                Err(ServiceError::PreconditionFailed { expected, current }.into())
            }
            _ => Ok(()),
        }
    }

    /// Runs a division or tournament use case of the service under this precondition
    /// ([`athlos_core::service::expecting`]): refused with 412 once the aggregate has moved on.
    pub fn guard<F: std::future::Future>(
        self,
        write: F,
    ) -> impl std::future::Future<Output = F::Output> {
        athlos_core::service::expecting(self.0, write)
    }

    /// A result write under this precondition.
    pub fn write(self, correction: bool) -> ResultWrite {
        let write = if correction {
            ResultWrite::correction()
        } else {
            ResultWrite::record()
        };
        match self.0 {
            Some(version) => write.expecting(version),
            None => write,
        }
    }
}

/// The body of a result write: a match result (`{"type": "win", "winner": "p1"}` …) with an
/// optional `"correction": true` to replace a recorded result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultBody {
    /// The result.
    pub result: MatchResult,
    /// Whether it corrects a recorded result.
    pub correction: bool,
}

impl ResultBody {
    /// Reads the body from a JSON object.
    ///
    /// # Errors
    /// 400 naming the field at fault.
    pub fn from_object(mut object: Map<String, Value>) -> Result<Self, ApiError> {
        let correction = match object.remove("correction") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(flag)) => flag,
            Some(_) => {
                return Err(ApiError::bad_input(
                    "correction",
                    "invalid JSON body: correction must be true or false",
                ))
            }
        };
        let result: MatchResult =
            serde_path_to_error::deserialize(Value::Object(object)).map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." { "body".to_owned() } else { path };
                ApiError::bad_input(field, format!("invalid JSON body: {}", e.inner()))
            })?;
        Ok(Self { result, correction })
    }
}

impl utoipa::PartialSchema for ResultBody {
    fn schema() -> RefOr<Schema> {
        let winner = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("The winner's participant id (`win`, `walkover`)."));
        let score = ArrayBuilder::new()
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0)),
            )
            .min_items(Some(2))
            .max_items(Some(2))
            .description(Some("Scores in slot order (`win`, `draw`)."));
        let correction = ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .description(Some("Replace a recorded result (default false)."));
        ObjectBuilder::new()
            .description(Some(
                "A match result: `{\"type\": \"win\", \"winner\": \"p1\", \"score\": [3, 1]}`, \
                 `{\"type\": \"draw\"}` (pools and Swiss), `{\"type\": \"walkover\", \
                 \"winner\": \"p1\"}` or `{\"type\": \"double_forfeit\"}` (an abandoned \
                 match: both sides lose; directors only), with `\"correction\": true` to \
                 replace a recorded one.",
            ))
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["win", "draw", "walkover", "double_forfeit"])),
            )
            .required("type")
            .property("winner", winner)
            .property("score", score)
            .property("correction", correction)
            .into()
    }
}

impl utoipa::ToSchema for ResultBody {}
