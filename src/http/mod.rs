//! HTTP: the shared state, the router, and the routes grouped by audience (pages, api, ops).

mod admission;
mod api_v1;
mod body;
mod error;
mod i18n;
pub mod input;
mod lang;
mod legacy_api;
mod limits;
mod middleware;
mod openapi;
mod ops;
mod pages;
pub mod parsing;
mod visitor;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

use crate::config::{CookieSecure, HistoryScope};

pub use admission::Admission;
pub use error::ApiError;
pub use lang::Lang;

use crate::config::ServeConfig;
use crate::metrics::Metrics;
use crate::service::Service;
use crate::store::Store;

/// What every handler shares: the service, and what only HTTP needs (limits, shutdown state). Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    service: Service,
    shutting_down: AtomicBool,
    request_timeout: Duration,
    body_read_timeout: Duration,
    concurrency: limits::ConcurrencyLimit,
    rate_limit: Option<limits::RateLimiter>,
    trusted_proxies: Vec<ipnet::IpNet>,
    history_scope: HistoryScope,
    cookie_secure: CookieSecure,
}

impl AppState {
    pub fn new(store: Store, metrics: Metrics, config: &ServeConfig) -> Self {
        Self(Arc::new(Inner {
            service: Service::new(store, metrics, config.history_size > 0),
            shutting_down: AtomicBool::new(false),
            request_timeout: config.request_timeout,
            body_read_timeout: config.body_read_timeout,
            concurrency: limits::ConcurrencyLimit::new(config.max_concurrency as usize),
            rate_limit: (config.rate_limit > 0)
                .then(|| limits::RateLimiter::new(config.rate_limit)),
            trusted_proxies: config.trusted_proxies.clone(),
            history_scope: config.history_scope,
            cookie_secure: config.cookie_secure,
        }))
    }

    pub fn service(&self) -> &Service {
        &self.0.service
    }

    pub fn metrics(&self) -> &Metrics {
        self.0.service.metrics()
    }

    pub fn store(&self) -> &Store {
        self.0.service.store()
    }

    /// From now on `/readyz` answers 503 so load balancers stop sending traffic; requests are still served.
    pub fn begin_shutdown(&self) {
        self.0.shutting_down.store(true, Ordering::Relaxed);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.0.shutting_down.load(Ordering::Relaxed)
    }
}

/// The whole application: every route, the fallbacks and the middleware. Tests build it too.
pub fn router(state: AppState) -> Router {
    // The paths come from ROUTES, the metric labels' list, so a route cannot be served under an unlisted label.
    let [
        page,
        gerar_senha,
        senhas,
        v1_passwords,
        v1_passphrases,
        openapi_json,
        healthz,
        readyz,
        metrics,
        asset,
        clear_history,
    ] = middleware::ROUTES;
    Router::new()
        .route(page, get(pages::index).post(pages::generate))
        .route(gerar_senha, post(legacy_api::gerar_senha))
        .route(
            senhas,
            get(legacy_api::senhas).delete(legacy_api::clear_senhas),
        )
        .route(v1_passwords, post(api_v1::passwords))
        .route(v1_passphrases, post(api_v1::passphrases))
        .route(openapi_json, get(openapi::document))
        .route(healthz, get(ops::healthz))
        .route(readyz, get(ops::readyz))
        .route(metrics, get(ops::metrics))
        .route(asset, get(pages::asset))
        .route(clear_history, post(pages::clear_history))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(body::BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::edge,
        ))
        .with_state(state)
}

/// The probe port (PROBE_PORT): liveness, readiness and metrics only, through the same middleware (metrics,
/// access log, headers; these routes are exempt from MAX_CONCURRENCY); anything else is 404.
pub fn probe_router(state: AppState) -> Router {
    let [.., healthz, readyz, metrics, _, _] = middleware::ROUTES;
    Router::new()
        .route(healthz, get(ops::healthz))
        .route(readyz, get(ops::readyz))
        .route(metrics, get(ops::metrics))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::edge,
        ))
        .with_state(state)
}
