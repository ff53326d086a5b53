//! The page's static files over HTTP: linked under names that carry a hash of their content and cached for a
//! year, gzipped once at build time and sent so only to clients that accept it, the plain names still served.

mod common;

use std::io::Read;

use common::App;

/// The `/assets/…` URLs the page links to, in the order they appear.
fn linked_assets(page: &str) -> Vec<String> {
    page.match_indices("\"/assets/")
        .map(|(i, _)| {
            let rest = &page[i + 1..];
            rest[..rest.find('"').unwrap_or(rest.len())].to_string()
        })
        .filter(|url| !url.contains("sites."))
        .collect()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut plain)
        .expect("a valid gzip body");
    plain
}

async fn get_plain(app: &App, url: &str) -> reqwest::Response {
    app.client.get(app.url(url)).send().await.unwrap()
}

async fn get_encoded(app: &App, url: &str, accept_encoding: &str) -> reqwest::Response {
    app.client
        .get(app.url(url))
        .header("accept-encoding", accept_encoding)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn linked_assets_are_content_named_immutable_and_gzipped_when_accepted() {
    let app = App::start(&[]);
    let page = app.get_text("/").await;
    let mut urls = linked_assets(&page);
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 3, "favicon, stylesheet, script: {urls:?}");
    let css_url = urls.iter().find(|u| u.ends_with(".css")).unwrap().clone();
    for url in &urls {
        let (stem, rest) = url["/assets/".len()..].split_once('.').unwrap();
        let (hash, ext) = rest.split_once('.').unwrap();
        assert!(
            ["app", "favicon"].contains(&stem)
                && hash.len() == 16
                && ["css", "js", "svg"].contains(&ext),
            "{url}"
        );
        assert!(!url.contains('?'), "no query string: {url}");
    }
    // The stylesheet links the background pattern by its own content name.
    let css = app.get_text(&css_url).await;
    let pattern = linked_assets(&css.replace("url(\"", "\"").replace("\")", "\""));
    assert_eq!(pattern.len(), 1, "{pattern:?}");
    assert!(pattern[0].starts_with("/assets/pattern.") && pattern[0].ends_with(".svg"));
    urls.extend(pattern);

    for url in &urls {
        let plain = app.client.get(app.url(url)).send().await.unwrap();
        assert_eq!(plain.status(), 200, "{url}");
        let headers = plain.headers().clone();
        assert_eq!(
            headers["cache-control"], "public, max-age=31536000, immutable",
            "{url}"
        );
        assert!(headers.get("content-encoding").is_none(), "{url}");
        assert_eq!(headers["vary"], "accept-encoding", "{url}");
        let identity = plain.bytes().await.unwrap();

        let zipped = get_encoded(&app, url, "br, gzip;q=0.8").await;
        assert_eq!(zipped.headers()["content-encoding"], "gzip", "{url}");
        assert_eq!(zipped.headers()["content-type"], headers["content-type"]);
        let body = zipped.bytes().await.unwrap();
        assert!(body.len() < identity.len(), "{url}: gzip saves bytes");
        assert_eq!(gunzip(&body), identity.to_vec(), "{url}");

        let refused = get_encoded(&app, url, "gzip;q=0, br").await;
        assert!(refused.headers().get("content-encoding").is_none(), "{url}");
    }
}

#[tokio::test]
async fn plain_names_still_answer_for_a_day_and_unknown_names_are_404() {
    let app = App::start(&[]);
    for name in ["app.css", "app.js", "favicon.svg", "pattern.svg"] {
        let response = get_plain(&app, &format!("/assets/{name}")).await;
        assert_eq!(response.status(), 200, "{name}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=86400",
            "{name}"
        );
    }
    for name in [
        "app.0000000000000000.css",
        "app.css.gz",
        "..%2FCargo.toml",
        "sites.json",
    ] {
        let response = get_plain(&app, &format!("/assets/{name}")).await;
        assert_eq!(response.status(), 404, "{name}");
    }
}
