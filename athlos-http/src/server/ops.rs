//! `/health`, `/ready` and the OpenAPI document's frame.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::AppState;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
}

/// The document's frame.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "Athlos API",
        description = "Events, divisions, brackets and tournaments (v1). Reads are public; writes need a bearer token (HS256 JWT)."
    ),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

impl ApiDoc {
    /// The frame as a document.
    pub fn base() -> OpenApi {
        <ApiDoc as utoipa::OpenApi>::openapi()
    }
}

/// Adds what the routes do not carry: the bearer scheme.
pub fn finish_document(api: &mut OpenApi) {
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "ops",
    responses((status = 200, body = Value)))]
async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The database is reachable and migrated.
#[utoipa::path(get, path = "/ready", tag = "ops",
    responses((status = 200, body = Value), (status = 503, body = ErrorBody)))]
async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .ready
        .ready()
        .await
        .map_err(|reason| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", reason))?;
    Ok(Json(json!({ "status": "ready" })))
}
