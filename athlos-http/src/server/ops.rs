//! `/health`, `/ready` and the OpenAPI document's frame.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::jobs::JobView;
use super::streams::StreamDropped;
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
        description = "Events, divisions, brackets, tournaments and fantasy drafts (v1). Reads are public (a draft team's queue excepted); writes need a bearer token (HS256 JWT)."
    ),
    components(schemas(ErrorBody, JobView, StreamDropped))
)]
pub struct ApiDoc;

impl ApiDoc {
    /// The frame as a document.
    pub fn base() -> OpenApi {
        <ApiDoc as utoipa::OpenApi>::openapi()
    }
}

/// Adds what the routes do not carry: the bearer scheme, and the refusals every route of a
/// kind can give (400 for a malformed path, query or header; 401 and 403 for writes; 413 for
/// bodies), so no route can forget them.
pub fn finish_document(api: &mut OpenApi) {
    let error = || {
        ResponseBuilder::new()
            .description("An error")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))))
                    .build(),
            )
            .build()
    };
    for item in api.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::T(error()));
            };
            add("400");
            if operation.security.is_some() {
                add("401");
                add("403");
            }
            if operation.request_body.is_some() {
                add("413");
            }
        }
    }
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
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            "athlos_session",
            "A browser session from POST /v1/sessions; unsafe requests also send its CSRF token as X-CSRF-Token",
        ))),
    );
}

/// What `/health` and `/ready` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ServiceStatus {
    /// `ok` from `/health`, `ready` from `/ready`.
    pub status: ServiceState,
}

/// How the server is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    /// The process is up.
    Ok,
    /// The database is reachable and migrated.
    Ready,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "ops",
    responses((status = 200, body = ServiceStatus)))]
async fn health() -> Json<ServiceStatus> {
    Json(ServiceStatus {
        status: ServiceState::Ok,
    })
}

/// The database is reachable and migrated.
#[utoipa::path(get, path = "/ready", tag = "ops",
    responses((status = 200, body = ServiceStatus), (status = 503, body = ErrorBody)))]
async fn ready(State(state): State<AppState>) -> Result<Json<ServiceStatus>, ApiError> {
    state
        .ready
        .ready()
        .await
        .map_err(|reason| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", reason))?;
    Ok(Json(ServiceStatus {
        status: ServiceState::Ready,
    }))
}
