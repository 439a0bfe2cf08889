//! The refusal of the `…/bracket.svg` routes of divisions and tournaments when there is
//! nothing to draw (the drawing is `Bracket::to_svg`, answered through [`super::reads`]).

use axum::http::StatusCode;

use super::error::ApiError;

/// 404 `no_bracket`: there is nothing to draw.
pub(crate) fn no_bracket(message: String) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_bracket", message)
}
