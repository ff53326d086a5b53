//! Static assets compiled into the binary: the image needs no file beside it.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::super::error::ApiError;
use super::super::lang::Lang;

struct Asset {
    body: &'static [u8],
    content_type: &'static str,
}

fn asset_named(name: &str) -> Option<Asset> {
    let (body, content_type): (&'static [u8], _) = match name {
        "app.css" => (
            include_bytes!("../../../assets/app.css"),
            "text/css; charset=utf-8",
        ),
        "app.js" => (
            include_bytes!("../../../assets/app.js"),
            "text/javascript; charset=utf-8",
        ),
        "favicon.svg" => (
            include_bytes!("../../../assets/favicon.svg"),
            "image/svg+xml",
        ),
        "pattern.svg" => (
            include_bytes!("../../../assets/pattern.svg"),
            "image/svg+xml",
        ),
        _ => return None,
    };
    Some(Asset { body, content_type })
}

/// `GET /assets/{name}`.
pub async fn asset(Path(name): Path<String>, lang: Lang) -> Response {
    let Some(asset) = asset_named(&name) else {
        return ApiError::NotFound.into_response_in(lang);
    };
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    // URLs carry `?v=<version>`, so a day of caching never serves a stale asset after an upgrade.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_served() {
        for name in ["app.css", "app.js", "favicon.svg", "pattern.svg"] {
            assert!(asset_named(name).is_some(), "{name}");
        }
        assert!(asset_named("../Cargo.toml").is_none());
    }
}
