//! Routes for operators and machines: liveness, readiness, metrics, and the JSON fallbacks.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::admission::Admission;
use super::error::{ApiError, Localized};
use super::lang::Lang;
use crate::metrics::Format;
use crate::store::Operation;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `ready`, `unavailable` or `shutting_down`.
    pub status: &'static str,
    /// The history store: `memory` or `redis`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<&'static str>,
    /// Why the app is not ready (never contains credentials).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Liveness: the process answers. Never touches the store, so a Redis outage never restarts pods.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "Process alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        store: None,
        reason: None,
    })
}

/// Readiness: 503 while the configured store is unreachable, the app is shutting down, or (asked on the probe
/// port) the main port cannot admit a new connection.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Store unreachable, shutting down, or no connection slot", body = Health),
    ))]
pub async fn readyz(
    State(app): State<AppState>,
    admission: Option<Extension<Admission>>,
) -> (StatusCode, Json<Health>) {
    let store = Some(app.store().kind());
    if app.is_shutting_down() {
        let health = Health {
            status: "shutting_down",
            store,
            reason: None,
        };
        return (StatusCode::SERVICE_UNAVAILABLE, Json(health));
    }
    // Only the probe port carries this: on the main port, a probe that got a connection proves the opposite.
    if admission.is_some_and(|Extension(admission)| admission.is_saturated()) {
        let health = Health {
            status: "unavailable",
            store,
            reason: Some(
                "every connection of the main port is mid-request (MAX_CONNECTIONS)".into(),
            ),
        };
        return (StatusCode::SERVICE_UNAVAILABLE, Json(health));
    }
    match app.store().ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ready",
                store,
                reason: None,
            }),
        ),
        Err(e) => {
            tracing::warn!(operation = "ping", error = %e, "store not reachable");
            app.metrics().store_error(Operation::Ping);
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    store,
                    reason: Some(e.to_string()),
                }),
            )
        }
    }
}

/// Prometheus metrics: OpenMetrics text when the scraper's `Accept` asks for it, the classic text format
/// 0.0.4 otherwise (see `metrics::exposition`).
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Classic Prometheus text (0.0.4), or OpenMetrics 1.0 when `Accept` asks for `application/openmetrics-text`",
        content((String = "text/plain"), (String = "application/openmetrics-text")))))]
pub async fn metrics(State(app): State<AppState>, headers: HeaderMap, lang: Lang) -> Response {
    let format = Format::negotiate(&headers);
    match app.metrics().encode(format) {
        Ok(text) => {
            let mut response = text.into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            );
            // A cache between scraper and app must not answer one format's request with the other.
            response
                .headers_mut()
                .insert(header::VARY, HeaderValue::from_static("Accept"));
            response
        }
        Err(_) => ApiError::Internal.into_response_in(lang),
    }
}

pub async fn not_found(lang: Lang) -> Localized {
    Localized(ApiError::NotFound, lang)
}

pub async fn method_not_allowed(lang: Lang) -> Localized {
    Localized(ApiError::MethodNotAllowed, lang)
}
