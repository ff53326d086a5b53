//! Static assets compiled into the binary: the image needs no file beside it. Besides the files of `assets/`,
//! the built-in site table as the page's script reads it, under a name that carries a hash of its content.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use ring::digest;

use super::super::error::ApiError;
use super::super::lang::Lang;
use crate::generator::rules::sites;

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

/// The site table the page's script fetches: `{"domain": "rules", …}`, sorted, built once from the table
/// `sites::lookup` reads (so what the meter counts is what the server would follow), named `sites.<hash>.json`.
struct SiteTable {
    name: String,
    /// `/assets/<name>`: what the page links to.
    url: String,
    body: Vec<u8>,
}

fn site_table() -> &'static SiteTable {
    static TABLE: OnceLock<SiteTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let table: BTreeMap<&str, &str> = sites::with_rules().iter().copied().collect();
        // A map of strings always serializes; an empty table is the safe failure (every site unknown to the
        // meter, while the server still follows its own).
        let body = serde_json::to_vec(&table).unwrap_or_else(|_| b"{}".to_vec());
        let name = content_named("sites", "json", &body);
        SiteTable {
            url: format!("/assets/{name}"),
            name,
            body,
        }
    })
}

/// `stem.<first 16 hex digits of the SHA-256 of body>.ext`: the name changes whenever the content does, so the
/// file may be cached for good.
fn content_named(stem: &str, extension: &str, body: &[u8]) -> String {
    let hash = digest::digest(&digest::SHA256, body);
    let hex: String = hash.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{stem}.{hex}.{extension}")
}

/// The site table's URL, for the page (`data-sites` of the site field).
pub fn site_table_url() -> &'static str {
    &site_table().url
}

/// `GET /assets/{name}`.
pub async fn asset(Path(name): Path<String>, lang: Lang) -> Response {
    let table = site_table();
    if name == table.name {
        let mut response = table.body.as_slice().into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        // The name is the content's hash: a new table is a new URL.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
        return response;
    }
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

    #[test]
    fn the_site_table_is_named_by_its_content() {
        let table = site_table();
        assert_eq!(table.name, content_named("sites", "json", &table.body));
        assert_eq!(site_table_url(), format!("/assets/{}", table.name));
        let other = content_named("sites", "json", b"{\"example.com\":\"minlength: 8\"}");
        assert_ne!(table.name, other);
        assert!(other.starts_with("sites.") && other.ends_with(".json") && other.len() == 27);
        let read: BTreeMap<String, String> =
            serde_json::from_slice(&table.body).expect("the table is JSON");
        assert_eq!(read.len(), sites::with_rules().len());
        for (domain, rules) in sites::with_rules() {
            assert_eq!(sites::lookup(domain), Some((*domain, *rules)));
            assert_eq!(read.get(*domain).map(String::as_str), Some(*rules));
        }
    }
}
