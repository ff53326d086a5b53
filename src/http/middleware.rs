//! Cross-cutting concerns in one layer (`edge`), each step a plain function: the request deadline, the
//! concurrency and rate limits, metrics and the access log, and the response headers every answer carries.
//! One `from_fn` layer instead of one per concern: each layer boxes the rest of the stack again for every
//! request, and four of them cost more than the work they wrapped (README "Desempenho").

use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::error::ApiError;
use super::lang::Lang;
use crate::metrics::{InFlight, RequestLabels, RouteLabels};

/// Every route the router serves, as metric labels. Labels come from this fixed list, never from the
/// request, so neither a raw path nor an invented method can grow the number of series.
pub const ROUTES: [&str; 10] = [
    "/",
    "/api/gerar-senha",
    "/api/senhas",
    "/api/v1/passwords",
    "/api/v1/passphrases",
    "/api/openapi.json",
    "/healthz",
    "/readyz",
    "/metrics",
    "/assets/{file}",
];

/// Label for requests that matched no route.
const UNMATCHED: &str = "unmatched";

/// The stack around every handler, outermost first: security headers on every answer; then metrics and the
/// access log, which also see the 503/429 of the limits; then REQUEST_TIMEOUT; then MAX_CONCURRENCY and
/// RATE_LIMIT.
pub async fn edge(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(request.method());
    let route = route_label(request.extensions().get::<MatchedPath>());
    let lang = Lang::from_headers(request.headers());
    let in_flight = InFlight::enter(&app.metrics().http_in_flight);
    let mut response =
        match tokio::time::timeout(app.0.request_timeout, admit(&app, request, next, lang)).await {
            Ok(response) => response,
            Err(_) => ApiError::Timeout.into_response_in(lang),
        };
    drop(in_flight);
    set_security_headers(response.headers_mut());
    observe(
        &app,
        method,
        route,
        response.status().as_u16(),
        start.elapsed(),
    );
    response
}

/// MAX_CONCURRENCY, then RATE_LIMIT, then the handler.
async fn admit(app: &AppState, request: Request, next: Next, lang: Lang) -> Response {
    let _permit = if is_exempt_from_limits(request.uri().path()) {
        None
    } else {
        match app.0.concurrency.try_enter() {
            Some(permit) => Some(permit),
            None => return ApiError::Overloaded.into_response_in(lang),
        }
    };
    if let Some(wait) = rate_limited(app, &request) {
        return ApiError::RateLimited(wait.as_secs().max(1)).into_response_in(lang);
    }
    next.run(request).await
}

/// Routes that must answer even when the app is saturated: probes (a 503 on liveness would get the pod
/// restarted for being busy) and metrics (to see the saturation).
fn is_exempt_from_limits(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// RATE_LIMIT: generations (POST) per minute per client. `Some(wait)` when this one is over the limit.
fn rate_limited(app: &AppState, request: &Request) -> Option<Duration> {
    let limiter = app.0.rate_limit.as_ref()?;
    if request.method() != Method::POST {
        return None;
    }
    let ConnectInfo(peer) = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .copied()?;
    let client = super::limits::client_address(peer, request.headers(), &app.0.trusted_proxies);
    limiter.check(client, Instant::now()).err()
}

/// `http_requests_total`, `http_request_duration_seconds` and one access-log line: method, matched route,
/// status, latency. Never the body, the query or a password.
fn observe(
    app: &AppState,
    method: &'static str,
    route: &'static str,
    status: u16,
    elapsed: Duration,
) {
    let metrics = app.metrics();
    metrics
        .http_requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status,
        })
        .inc();
    metrics
        .http_duration
        .get_or_create(&RouteLabels { method, route })
        .observe(elapsed.as_secs_f64());
    tracing::info!(
        target: crate::telemetry::ACCESS_TARGET,
        method,
        route,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
}

/// The standard methods by name; anything else (extension methods are any token) is `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

fn route_label(matched: Option<&MatchedPath>) -> &'static str {
    matched
        .and_then(|m| ROUTES.iter().find(|route| **route == m.as_str()))
        .copied()
        .unwrap_or(UNMATCHED)
}

/// Headers on every response. `Cache-Control: no-store` is the default because most answers carry a
/// password; static assets set their own.
fn set_security_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_methods_share_one_label() {
        let invented = Method::from_bytes(b"GIROPOPS").unwrap();
        assert_eq!(method_label(&invented), "other");
        assert_eq!(method_label(&Method::POST), "POST");
    }
}
