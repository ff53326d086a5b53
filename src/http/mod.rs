//! HTTP: the shared state, the router, and the routes grouped by audience (pages, api, ops).

mod api;
mod api_v1;
mod body;
mod error;
mod lang;
mod limits;
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

use crate::config::ServeConfig;
use crate::generator::{PassphrasePolicy, Policy};
use crate::metrics::{Interface, Metrics, SecretKind};
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
    body_read_timeout: Duration,
    concurrency: limits::ConcurrencyLimit,
    rate_limit: Option<limits::RateLimiter>,
    trusted_proxies: Vec<ipnet::IpNet>,
}

impl AppState {
    pub fn new(store: Store, metrics: Metrics, config: &ServeConfig) -> Self {
        Self(Arc::new(Inner {
            store,
            metrics,
            shutting_down: AtomicBool::new(false),
            history_enabled: config.history_size > 0,
            request_timeout: config.request_timeout,
            body_read_timeout: config.body_read_timeout,
            concurrency: limits::ConcurrencyLimit::new(config.max_concurrency as usize),
            rate_limit: (config.rate_limit > 0)
                .then(|| limits::RateLimiter::new(config.rate_limit)),
            trusted_proxies: config.trusted_proxies.clone(),
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
    pub async fn generate_and_record(
        &self,
        policy: &Policy,
        interface: Interface,
    ) -> Result<String, ApiError> {
        // Bounded like API v1: a page policy whose counting table alone passes the CPU budget is a 422.
        let password = policy
            .prepare_for(1)
            .map_err(ApiError::Policy)?
            .generate(&mut rand::rngs::SysRng)
            .map_err(generation_failed)?;
        self.count_generated(SecretKind::Password, interface, 1);
        self.record(&password).await;
        Ok(password)
    }

    /// A passphrase for the page: generated, counted and recorded like its passwords.
    pub async fn passphrase_and_record(
        &self,
        policy: &PassphrasePolicy,
    ) -> Result<String, ApiError> {
        let phrase = policy
            .generate(&mut rand::rngs::SysRng)
            .map_err(generation_failed)?;
        self.count_generated(SecretKind::Passphrase, Interface::Page, 1);
        self.record(&phrase).await;
        Ok(phrase)
    }

    /// Counts secrets in `senha_gerada_total` and `giropops_secrets_generated_total{kind,interface}`.
    pub fn count_generated(&self, kind: SecretKind, interface: Interface, n: usize) {
        self.0.metrics.secrets_generated(kind, interface, n as u64);
    }

    async fn record(&self, secret: &str) {
        if let Err(e) = self.0.store.push(secret).await {
            self.store_failed(Operation::Push, &e);
        }
    }

    /// The history, newest first; empty when disabled.
    pub async fn recent(&self) -> Result<Vec<String>, ApiError> {
        if !self.0.history_enabled {
            return Ok(Vec::new());
        }
        match self.0.store.recent().await {
            Ok(recent) => {
                self.count_skipped(&recent);
                Ok(recent.entries)
            }
            Err(e) => {
                self.store_failed(Operation::Recent, &e);
                Err(ApiError::HistoryUnavailable)
            }
        }
    }

    /// Entries left out of the history are logged and counted, never shown: their content (maybe a secret,
    /// maybe garbage) is not logged either.
    fn count_skipped(&self, recent: &crate::store::Recent) {
        for (reason, entries) in recent.skipped() {
            if entries > 0 {
                tracing::warn!(
                    reason = reason.as_str(),
                    entries,
                    "history entries skipped: not served"
                );
                self.0
                    .metrics
                    .history_entries_skipped(reason, entries as u64);
            }
        }
    }

    pub fn history_enabled(&self) -> bool {
        self.0.history_enabled
    }

    fn store_failed(&self, operation: Operation, error: &crate::store::StoreError) {
        tracing::warn!(operation = operation.as_str(), error = %error, "history store operation failed");
        self.0.metrics.store_error(operation);
    }
}

/// Logs a generation failure (never the secret: there is none) and hides the cause from the client.
fn generation_failed(e: crate::generator::GenerationError) -> ApiError {
    tracing::error!(error = %e, "secret generation failed");
    ApiError::GenerationFailed
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
    ] = middleware::ROUTES;
    Router::new()
        .route(page, get(pages::index).post(pages::generate))
        .route(gerar_senha, post(api::gerar_senha))
        .route(senhas, get(api::senhas))
        .route(v1_passwords, post(api_v1::passwords))
        .route(v1_passphrases, post(api_v1::passphrases))
        .route(openapi_json, get(openapi::document))
        .route(healthz, get(ops::healthz))
        .route(readyz, get(ops::readyz))
        .route(metrics, get(ops::metrics))
        .route(asset, get(pages::asset))
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
    let [.., healthz, readyz, metrics, _] = middleware::ROUTES;
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
