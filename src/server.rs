//! Serving: bind, run the router, and shut down gracefully on SIGTERM/SIGINT.

use std::time::Duration;

use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::ServeConfig;
use crate::http::{AppState, router};
use crate::store::{HistoryLimits, Store, StoreError, StoreTarget};

#[derive(Debug, Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot set up the history store: {0}")]
    Store(#[from] StoreError),
    #[error("cannot install the signal handlers: {0}")]
    Signals(std::io::Error),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
    #[error("requests were still in flight after SHUTDOWN_TIMEOUT ({0:?})")]
    DrainTimeout(Duration),
}

/// Builds the state for a validated configuration.
pub fn build_state(config: &ServeConfig, target: &StoreTarget) -> Result<AppState, ServeError> {
    let limits = HistoryLimits {
        size: usize::from(config.history_size),
        ttl: config.history_ttl,
    };
    let store = Store::new(target, limits, config.redis_timeout)?;
    match target {
        StoreTarget::Memory => tracing::info!(
            "history: embedded in-memory store (set REDIS_URL or REDIS_HOST to use Redis)"
        ),
        StoreTarget::Redis(redis) => {
            tracing::info!(
                redis = %redis.display,
                topology = redis.topology.kind(),
                tls = redis.tls.is_some(),
                "history: redis (connects on first use)"
            );
            if !redis.ignored.is_empty() {
                tracing::warn!(ignored = ?redis.ignored, "lower-precedence Redis settings are set and ignored");
            }
        }
    }
    Ok(AppState::new(store, limits.size, config.request_timeout))
}

/// Serves until SIGTERM/SIGINT, then: readiness 503 at once, keep serving for SHUTDOWN_DELAY, stop
/// accepting, let in-flight requests finish within SHUTDOWN_TIMEOUT.
pub async fn serve(config: ServeConfig, state: AppState) -> Result<(), ServeError> {
    let addr = std::net::SocketAddr::new(config.bind, config.port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: addr.to_string(),
            source,
        })?;
    let local = listener.local_addr().map_err(ServeError::Serve)?;
    tracing::info!(addr = %local, version = env!("CARGO_PKG_VERSION"), "listening");

    let (drain_tx, drain_rx) = watch::channel(false);
    let signal_state = state.clone();
    let delay = config.shutdown_delay;
    let mut signals = Signals::install().map_err(ServeError::Signals)?;
    tokio::spawn(async move {
        let name = signals.recv().await;
        signal_state.begin_shutdown();
        tracing::info!(
            signal = name,
            delay_ms = delay.as_millis() as u64,
            "shutting down: readiness is now 503"
        );
        tokio::time::sleep(delay).await;
        tracing::info!("no longer accepting connections; draining in-flight requests");
        let _ = drain_tx.send(true);
    });

    let mut graceful_rx = drain_rx.clone();
    let server = axum::serve(listener, router(state)).with_graceful_shutdown(async move {
        let _ = graceful_rx.wait_for(|drain| *drain).await;
    });
    let mut deadline_rx = drain_rx;
    let timeout = config.shutdown_timeout;
    tokio::select! {
        result = server => result.map_err(ServeError::Serve)?,
        _ = async {
            let _ = deadline_rx.wait_for(|drain| *drain).await;
            tokio::time::sleep(timeout).await;
        } => return Err(ServeError::DrainTimeout(timeout)),
    }
    tracing::info!("shutdown complete");
    Ok(())
}

/// SIGTERM (Kubernetes, `docker stop`) and SIGINT (Ctrl+C).
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
