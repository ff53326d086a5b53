//! Who is asking, for the history: the cookie of the private scope (read, and issued by `GET /`), and the
//! same-origin check of the requests that empty a list.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};

use super::AppState;
use super::error::ApiError;
use crate::config::{CookieSecure, HistoryScope};
use crate::service::{PrivateList, Visitor, VisitorSecret};

/// The cookie over plain HTTP.
pub const COOKIE_NAME: &str = "giropops-historico";
/// The cookie over HTTPS: `__Host-` makes the browser refuse it unless `Secure`, `Path=/` and host-only, so a
/// sibling subdomain cannot plant or overwrite it.
pub const SECURE_COOKIE_NAME: &str = "__Host-giropops-historico";

/// The visitor of this request, and what `GET /` needs to issue a cookie when there is none.
pub struct Caller {
    pub visitor: Visitor,
    /// Private scope and no valid cookie: the page may issue one.
    without_cookie: bool,
    secure: bool,
}

impl Caller {
    /// A new secret and its `Set-Cookie`, when this caller has none (private scope). The visitor of this request
    /// stays anonymous: its list is empty anyway. `None` when nothing is to be issued or the OS CSPRNG failed
    /// (logged; the page is served without a history rather than not at all).
    pub fn issue_cookie(&self) -> Option<HeaderValue> {
        if !self.without_cookie {
            return None;
        }
        let secret = match VisitorSecret::random() {
            Ok(secret) => secret,
            Err(e) => {
                tracing::error!(error = %e, "could not draw a history cookie");
                return None;
            }
        };
        let value = secret.to_cookie_value();
        let cookie = if self.secure {
            format!("{SECURE_COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Secure")
        } else {
            format!("{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax")
        };
        // Hex and fixed attributes: always a valid header value.
        HeaderValue::from_str(&cookie).ok()
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if app.0.history_scope == HistoryScope::Shared {
            return Ok(Caller {
                visitor: Visitor::Shared,
                without_cookie: false,
                secure: false,
            });
        }
        let secure = match app.0.cookie_secure {
            CookieSecure::Always => true,
            CookieSecure::Auto => {
                let peer = parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(peer)| *peer);
                https_through_trusted_proxy(peer, &parts.headers, &app.0.trusted_proxies)
            }
        };
        let visitor = match secret_from(&parts.headers).map(|s| PrivateList::derive(&s)) {
            Some(Ok(list)) => Visitor::Private(list),
            Some(Err(e)) => {
                tracing::error!(error = %e, "history key derivation failed");
                Visitor::Anonymous
            }
            None => Visitor::Anonymous,
        };
        Ok(Caller {
            // With HISTORY_SIZE=0 there is no list to keep: no cookie either.
            without_cookie: matches!(visitor, Visitor::Anonymous)
                && app.service().history_enabled(),
            visitor,
            secure,
        })
    }
}

/// The secret of our cookie, under either name; a malformed value counts as none. On the header's bytes: this
/// runs on every request of the private scope.
fn secret_from(headers: &HeaderMap) -> Option<VisitorSecret> {
    headers.get_all(header::COOKIE).iter().find_map(|value| {
        value.as_bytes().split(|&b| b == b';').find_map(|pair| {
            let pair = pair.trim_ascii();
            let value = pair
                .strip_prefix(SECURE_COOKIE_NAME.as_bytes())
                .or_else(|| pair.strip_prefix(COOKIE_NAME.as_bytes()))?
                .trim_ascii_start()
                .strip_prefix(b"=")?;
            VisitorSecret::from_cookie_bytes(value.trim_ascii())
        })
    })
}

/// `X-Forwarded-Proto: https` counts only from a trusted proxy (anyone else could send it). The first value is
/// the scheme the client used with the first proxy.
fn https_through_trusted_proxy(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
) -> bool {
    let Some(peer) = peer else { return false };
    if !trusted.iter().any(|net| net.contains(&peer.ip())) {
        return false;
    }
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// A request that empties a list must come from our own page: a browser says where a request comes from in
/// `Sec-Fetch-Site` (`same-origin`, or `none` when the user typed it) or at least in `Origin`, which must name
/// this host. A request with neither is not from a browser's cross-site form or script (those always carry
/// `Origin` on POST and DELETE), so curl keeps working.
pub fn require_same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.as_bytes() {
            b"same-origin" | b"none" => Ok(()),
            _ => Err(ApiError::CrossOrigin),
        };
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).map(HeaderValue::as_bytes);
    let origin_host = origin.to_str().ok().and_then(|o| {
        o.strip_prefix("https://")
            .or_else(|| o.strip_prefix("http://"))
    });
    match (origin_host, host) {
        (Some(o), Some(h)) if o.as_bytes().eq_ignore_ascii_case(h) => Ok(()),
        _ => Err(ApiError::CrossOrigin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn the_cookie_is_found_among_others_under_either_name() {
        let value = "ab".repeat(32);
        let h = headers(&[("cookie", &format!("a=1; {COOKIE_NAME}={value}; b=2"))]);
        assert!(secret_from(&h).is_some());
        let h = headers(&[
            ("cookie", "x=1"),
            ("cookie", &format!("{SECURE_COOKIE_NAME}={value}")),
        ]);
        assert!(secret_from(&h).is_some());
        let h = headers(&[("cookie", &format!("{COOKIE_NAME}=short"))]);
        assert!(secret_from(&h).is_none());
    }

    #[test]
    fn https_counts_only_from_a_trusted_proxy() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = headers(&[("x-forwarded-proto", "https")]);
        let proxy: SocketAddr = "10.1.2.3:4000".parse().unwrap();
        let stranger: SocketAddr = "192.0.2.1:4000".parse().unwrap();
        assert!(https_through_trusted_proxy(Some(proxy), &h, &trusted));
        assert!(!https_through_trusted_proxy(Some(stranger), &h, &trusted));
        assert!(!https_through_trusted_proxy(None, &h, &trusted));
        let plain = headers(&[("x-forwarded-proto", "http")]);
        assert!(!https_through_trusted_proxy(Some(proxy), &plain, &trusted));
    }

    #[test]
    fn only_our_own_origin_may_empty_a_list() {
        let ok = |pairs: &[(&'static str, &str)]| require_same_origin(&headers(pairs)).is_ok();
        assert!(ok(&[]));
        assert!(ok(&[("sec-fetch-site", "same-origin")]));
        assert!(ok(&[("sec-fetch-site", "none")]));
        assert!(!ok(&[("sec-fetch-site", "cross-site")]));
        assert!(!ok(&[("sec-fetch-site", "same-site")]));
        assert!(ok(&[("host", "app:5000"), ("origin", "http://app:5000")]));
        assert!(ok(&[
            ("host", "app.example"),
            ("origin", "https://app.example")
        ]));
        assert!(!ok(&[
            ("host", "app:5000"),
            ("origin", "http://evil.example")
        ]));
        assert!(!ok(&[("host", "app:5000"), ("origin", "null")]));
        assert!(!ok(&[("origin", "http://app:5000")]));
    }
}
