//! Brackets drawn as SVG (`…/bracket.svg` of divisions and tournaments): the answer and its
//! refusal, shared by both routes.

use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use athlos_core::bracket::Bracket;

use super::error::ApiError;

/// A bracket as an `image/svg+xml` answer.
pub(crate) fn svg_response(bracket: &Bracket) -> axum::response::Response {
    ([(CONTENT_TYPE, "image/svg+xml")], bracket.to_svg()).into_response()
}

/// 404 `no_bracket`: there is nothing to draw.
pub(crate) fn no_bracket(message: String) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_bracket", message)
}
