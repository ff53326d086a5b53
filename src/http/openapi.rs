//! The OpenAPI 3 document, generated from the handlers' own annotations and types so it cannot drift.

use axum::Json;
use utoipa::OpenApi;

use super::{api_v1, error, legacy_api, ops, pages};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "giropops-senhas",
        description = "Password generator compatible with the LINUXtips course app.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0")
    ),
    paths(
        legacy_api::gerar_senha,
        legacy_api::senhas,
        legacy_api::clear_senhas,
        api_v1::passwords,
        api_v1::passphrases,
        ops::healthz,
        ops::readyz,
        ops::metrics,
        pages::index,
        pages::generate,
        pages::clear_history,
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail)),
    tags(
        (name = "legacy", description = "The original app's API, field for field"),
        (name = "v1", description = "Password policies and passphrases, with entropy; never recorded in the history"),
        (name = "page", description = "The HTML page"),
        (name = "ops", description = "Probes and metrics"),
    )
)]
pub struct ApiDoc;

#[utoipa::path(get, path = "/api/openapi.json", tag = "ops",
    responses((status = 200, description = "This document")))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
