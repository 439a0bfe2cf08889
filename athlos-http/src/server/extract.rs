//! Request extractors whose refusals use the API's error shape.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON object body; malformed JSON is 400 naming the field at fault, another JSON value
/// than an object 400, an oversized body 413.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        let value = parse_json(&bytes)?;
        refuse_array(&bytes, "a JSON object")?;
        Ok(ApiJson(value))
    }
}

/// Refuses a JSON array where the request type is an object (`what`): serde reads a struct
/// from an array of its fields in order too, which no client means.
///
/// # Errors
/// 400 naming the body.
pub fn refuse_array(bytes: &[u8], what: &str) -> Result<(), ApiError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::bad_input(
            "body",
            format!("invalid JSON body: expected {what}, found an array"),
        ));
    }
    Ok(())
}

/// Parses `bytes` as JSON into `T`, reporting the path of the first bad field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let malformed = matches!(
            e.inner().classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        );
        let field = if malformed || path == "." {
            "body".to_owned()
        } else {
            path
        };
        ApiError::bad_input(field, format!("invalid JSON body: {}", e.inner()))
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::bad_input("body", format!("invalid JSON body: {e}")))?;
    refuse_nul(bytes, true)?;
    Ok(value)
}

/// Refuses text holding the NUL character (U+0000), raw or, in JSON, spelled `\u0000`:
/// PostgreSQL cannot store it and no name or id needs it, so every store refuses it alike.
///
/// # Errors
/// 400 naming the body.
pub fn refuse_nul(bytes: &[u8], json: bool) -> Result<(), ApiError> {
    if bytes.contains(&0) || (json && json_nul_escape(bytes)) {
        return Err(ApiError::bad_input(
            "body",
            "text must not contain the NUL character (U+0000)",
        ));
    }
    Ok(())
}

/// Whether a JSON text has a string with the escape `\u0000`.
fn json_nul_escape(bytes: &[u8]) -> bool {
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => in_string = !in_string,
            b'\\' if in_string => {
                if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(b"0000") {
                    return true;
                }
                // The escaped character is not a quote that ends the string.
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// The raw body, with the size limit's refusal as 413.
pub async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body is too large",
            )
        } else {
            ApiError::bad_input("body", rejection.body_text())
        }
    })
}

/// Query parameters; a bad one is 400 naming it.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| ApiError::bad_input("query", format!("invalid query: {e}")))
    }
}

/// Path parameters; a bad one is 400.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|rejection| ApiError::bad_input("path", rejection.body_text()))
    }
}
