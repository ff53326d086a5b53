//! The OpenAPI 3 document, generated from the handlers' own annotations and types so it cannot drift. The
//! server answers with the document written out once (`openapi.json`, next to this file) rather than building it
//! on every request: the test below builds it again and fails if the file differs (`UPDATE_OPENAPI=1 cargo test
//! --lib openapi` rewrites the file), and the binary carries the JSON instead of utoipa's builders and
//! serializers (docs/image.md has the sizes).

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
#[cfg(test)]
use utoipa::OpenApi;

#[cfg(test)]
use super::{api_v1, error, legacy_api, ops, pages};

/// The document's definition. Only the test builds it: the server answers with `DOCUMENT`.
#[cfg(test)]
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

/// `ApiDoc::openapi()` as `serde_json` writes it (compact): the bytes `GET /api/openapi.json` answers.
pub const DOCUMENT: &str = include_str!("openapi.json");

#[utoipa::path(get, path = "/api/openapi.json", tag = "ops",
    responses((status = 200, description = "This document")))]
pub async fn document() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOCUMENT,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_document_is_the_generated_one() {
        let generated = serde_json::to_string(&ApiDoc::openapi()).unwrap();
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/openapi.json");
            std::fs::write(path, &generated).unwrap();
            return;
        }
        assert!(
            generated == DOCUMENT,
            "src/http/openapi.json is not the document the annotations give: \
             `UPDATE_OPENAPI=1 cargo test --lib openapi` rewrites it"
        );
    }
}
