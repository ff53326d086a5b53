//! Static assets compiled into the binary: the image needs no file beside it. Besides the files of `assets/`,
//! the built-in site table as the page's script reads it, under a name that carries a hash of its content.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use ring::digest;

use super::super::error::ApiError;
use super::super::lang::Lang;
use crate::generator::rules::sites;

/// One file of `assets/` as build.rs prepared it: the page links to `name` (a hash of the content), the plain
/// `file` name still answers (older pages, hand-written links) with a day of caching.
struct BuiltAsset {
    file: &'static str,
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// Absent when gzip would not save bytes.
    gzip: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// Cached for a year and never revalidated: a new content is a new name.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const ONE_DAY: HeaderValue = HeaderValue::from_static("public, max-age=86400");

/// `/assets/<hashed name>` of a file of `assets/` (`app.css`, `app.js`, `favicon.svg`), for the page.
pub fn asset_url(file: &str) -> &'static str {
    static URLS: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    let urls = URLS.get_or_init(|| {
        BUILT
            .iter()
            .map(|a| (a.file, format!("/assets/{}", a.name)))
            .collect()
    });
    urls.iter()
        .find(|(f, _)| *f == file)
        .map_or("/assets/missing", |(_, url)| url.as_str())
}

/// Whether `Accept-Encoding` accepts gzip: named with a non-zero weight (`gzip;q=0` refuses it). `*` is not
/// taken as gzip: browsers always name it.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip")) && !refused
        })
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
pub async fn asset(Path(name): Path<String>, lang: Lang, headers: HeaderMap) -> Response {
    let table = site_table();
    if name == table.name {
        return with_headers(
            table.body.as_slice().into_response(),
            "application/json",
            IMMUTABLE,
        );
    }
    let Some((asset, hashed)) = BUILT.iter().find_map(|a| {
        (a.name == name)
            .then_some((a, true))
            .or((a.file == name).then_some((a, false)))
    }) else {
        return ApiError::NotFound.into_response_in(lang);
    };
    let cache = if hashed { IMMUTABLE } else { ONE_DAY };
    let mut response = match asset.gzip.filter(|_| accepts_gzip(&headers)) {
        Some(gzip) => {
            let mut response = with_headers(gzip.into_response(), asset.content_type, cache);
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            response
        }
        None => with_headers(asset.body.into_response(), asset.content_type, cache),
    };
    // Caches must keep the two bodies apart.
    if asset.gzip.is_some() {
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

fn with_headers(
    mut response: Response,
    content_type: &'static str,
    cache: HeaderValue,
) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, cache);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_built_with_a_content_name_and_a_smaller_gzip() {
        let files: Vec<&str> = BUILT.iter().map(|a| a.file).collect();
        assert_eq!(files, ["favicon.svg", "pattern.svg", "app.css", "app.js"]);
        for a in &BUILT {
            let (stem, ext) = a.file.rsplit_once('.').unwrap();
            let hash = a.name.strip_prefix(&format!("{stem}.")).unwrap();
            let hash = hash.strip_suffix(&format!(".{ext}")).unwrap();
            assert!(
                hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
                "{}",
                a.name
            );
            assert_eq!(asset_url(a.file), format!("/assets/{}", a.name));
            let gzip = a.gzip.expect("every file shrinks");
            assert!(gzip.len() < a.body.len());
            let mut plain = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gzip), &mut plain)
                .unwrap();
            assert_eq!(plain, a.body, "{}", a.name);
        }
        // The stylesheet names the pattern by its hashed name.
        let css = std::str::from_utf8(BUILT[2].body).unwrap();
        assert!(css.contains(&format!("/assets/{}", BUILT[1].name)));
        assert!(!css.contains("/assets/pattern.svg\""));
        assert_eq!(asset_url("nothing.js"), "/assets/missing");
    }

    #[test]
    fn gzip_only_when_accepted() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            m
        };
        for yes in [
            "gzip",
            "gzip, deflate, br, zstd",
            "br;q=1.0, gzip;q=0.8",
            "GZIP",
            "x-gzip",
        ] {
            assert!(accepts_gzip(&h(yes)), "{yes}");
        }
        for no in [
            "",
            "br",
            "identity",
            "gzip;q=0",
            "gzip; q=0.0, br",
            "*",
            "gzipx",
        ] {
            assert!(!accepts_gzip(&h(no)), "{no}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
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
