//! Cross-cutting concerns, each in one function: the request deadline, metrics and the access log
//! (`observe`), and the response headers every answer carries (`security_headers`).

use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::error::ApiError;
use super::lang::Lang;
use crate::metrics::{InFlight, RequestLabels, RouteLabels};

/// Label for requests that matched no route, so raw paths never become label values.
const UNMATCHED: &str = "unmatched";

/// Applies REQUEST_TIMEOUT, then records `http_requests_total`, `http_request_duration_seconds` and one log
/// line: method, matched route, status, latency. Never the body, the query or a password.
pub async fn observe(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, |m| m.as_str())
        .to_owned();
    let lang = Lang::from_headers(request.headers());
    let in_flight = InFlight::enter(&app.metrics().http_in_flight);
    let response = match tokio::time::timeout(app.0.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response_in(lang),
    };
    drop(in_flight);
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    let metrics = app.metrics();
    metrics
        .http_requests
        .get_or_create(&RequestLabels {
            method: method.clone(),
            route: route.clone(),
            status,
        })
        .inc();
    metrics
        .http_duration
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(elapsed.as_secs_f64());
    tracing::info!(
        target: "access",
        method,
        route,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// Routes that must answer even when the app is saturated: probes (a 503 on liveness would get the pod
/// restarted for being busy) and metrics (to see the saturation).
fn is_exempt_from_limits(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// MAX_CONCURRENCY: beyond it, an immediate 503 `overloaded` with Retry-After, never an unbounded queue.
pub async fn limit_concurrency(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if is_exempt_from_limits(request.uri().path()) {
        return next.run(request).await;
    }
    match app.0.concurrency.try_enter() {
        Some(_permit) => next.run(request).await,
        None => ApiError::Overloaded.into_response_in(Lang::from_headers(request.headers())),
    }
}

/// RATE_LIMIT: generations (POST) per minute per client; 429 `rate_limited` with Retry-After beyond it.
pub async fn rate_limit(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let Some(limiter) = &app.0.rate_limit else {
        return next.run(request).await;
    };
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(ConnectInfo(peer)) = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .copied()
    else {
        return next.run(request).await;
    };
    let client = super::limits::client_address(peer, request.headers(), &app.0.trusted_proxies);
    match limiter.check(client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => ApiError::RateLimited(wait.as_secs().max(1))
            .into_response_in(Lang::from_headers(request.headers())),
    }
}

/// Headers on every response. `Cache-Control: no-store` is the default because most answers carry a
/// password; static assets set their own.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
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
    response
}
