//! HTTP: the shared state, the router, and the routes grouped by audience (pages, api, ops).

mod api;
mod body;
mod error;
mod lang;
mod middleware;
mod openapi;
mod ops;
mod pages;
pub mod parsing;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

pub use error::ApiError;
pub use lang::Lang;

use crate::generator::{self, Policy};
use crate::metrics::Metrics;
use crate::store::{Operation, Store};

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Store,
    metrics: Metrics,
    shutting_down: AtomicBool,
    history_enabled: bool,
    request_timeout: Duration,
}

impl AppState {
    pub fn new(store: Store, history_size: usize, request_timeout: Duration) -> Self {
        Self(Arc::new(Inner {
            store,
            metrics: Metrics::new(),
            shutting_down: AtomicBool::new(false),
            history_enabled: history_size > 0,
            request_timeout,
        }))
    }

    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// From now on `/readyz` answers 503 so load balancers stop sending traffic; requests are still served.
    pub fn begin_shutdown(&self) {
        self.0.shutting_down.store(true, Ordering::Relaxed);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.0.shutting_down.load(Ordering::Relaxed)
    }

    /// Generates from the OS CSPRNG, counts it, and records it in the history. A history failure is logged and
    /// counted but does not fail the generation: the user still gets a password.
    pub async fn generate_and_record(&self, policy: &Policy) -> Result<String, ApiError> {
        let password = generator::generate(policy, &mut rand::rngs::SysRng).map_err(|e| {
            tracing::error!(error = %e, "password generation failed");
            ApiError::GenerationFailed
        })?;
        self.0.metrics.passwords_generated.inc();
        if let Err(e) = self.0.store.push(&password).await {
            self.store_failed(Operation::Push, &e);
        }
        Ok(password)
    }

    /// The history, newest first; empty when disabled.
    pub async fn recent(&self) -> Result<Vec<String>, ApiError> {
        if !self.0.history_enabled {
            return Ok(Vec::new());
        }
        self.0.store.recent().await.map_err(|e| {
            self.store_failed(Operation::Recent, &e);
            ApiError::HistoryUnavailable
        })
    }

    pub fn history_enabled(&self) -> bool {
        self.0.history_enabled
    }

    fn store_failed(&self, operation: Operation, error: &crate::store::StoreError) {
        tracing::warn!(operation = operation.as_str(), error = %error, "history store operation failed");
        self.0.metrics.store_error(operation);
    }
}

/// The whole application: every route, the fallbacks and the middleware. Tests build it too.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::index).post(pages::generate))
        .route("/api/gerar-senha", post(api::gerar_senha))
        .route("/api/senhas", get(api::senhas))
        .route("/api/openapi.json", get(openapi::document))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/assets/{file}", get(pages::asset))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(body::BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe,
        ))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .with_state(state)
}
