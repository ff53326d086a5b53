//! Serving: bind, run the router, and shut down gracefully on SIGTERM/SIGINT.

use std::time::Duration;

use std::sync::Arc;

use axum::extract::ConnectInfo;
use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::Service;

use crate::config::ServeConfig;
use crate::http::{AppState, router};
use crate::metrics::Metrics;
use crate::store::{HistoryLimits, Store, StoreBounds, StoreError, StoreTarget};

mod head_deadline;
use head_deadline::HeadDeadlines;

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
    #[error("cannot read the listening address: {0}")]
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
    let metrics = Metrics::new();
    let store = Store::new(
        target,
        limits,
        StoreBounds {
            timeout: config.redis_timeout,
            max_in_flight: config.redis_max_in_flight as usize,
            in_flight: metrics.store_in_flight.clone(),
        },
    )?;
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
    Ok(AppState::new(store, metrics, config))
}

/// Serves until SIGTERM/SIGINT, then: readiness 503 at once, keep serving for SHUTDOWN_DELAY, stop
/// accepting, let in-flight requests finish within SHUTDOWN_TIMEOUT.
pub async fn serve(config: ServeConfig, state: AppState) -> Result<(), ServeError> {
    // Handlers first: a SIGTERM that arrives right after "listening" must start a graceful shutdown, not
    // kill the process with the default disposition.
    let mut signals = Signals::install().map_err(ServeError::Signals)?;
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

    let app = router(state);
    let connections = Arc::new(Semaphore::new(config.max_connections as usize));
    let graceful = GracefulShutdown::new();
    // Slow clients: the whole request head within HEADER_READ_TIMEOUT of its first byte (of the accept, for a
    // new connection), or the connection is closed.
    let head_deadlines = HeadDeadlines::new(config.header_read_timeout);
    let sweeper = tokio::spawn(head_deadlines.clone().run());
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        // hyper's head timer starts when a keep-alive connection begins waiting for its next request: it is
        // the idle timeout (see head_deadline for why the two are apart).
        .header_read_timeout(config.idle_timeout)
        // Bounds the request head (URL + headers); hyper answers 431 beyond it (checked per read, so a
        // head may overshoot by one read's worth before it is refused).
        .max_buf_size(MAX_REQUEST_HEAD)
        .keep_alive(true);
    let mut drain = drain_rx;
    loop {
        // MAX_CONNECTIONS: when every slot is taken, stop accepting; the kernel backlog holds the rest.
        let slot = tokio::select! {
            slot = connections.clone().acquire_owned() => slot,
            _ = drain.wait_for(|d| *d) => break,
        };
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning, keep serving the others.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = drain.wait_for(|d| *d) => break,
        };
        let _ = stream.set_nodelay(true);
        let (stream, phase) = head_deadlines.watch(stream);
        let app = app.clone();
        let service = service_fn(move |mut request: Request<Incoming>| {
            phase.serving();
            request.extensions_mut().insert(ConnectInfo(peer));
            let response = app.clone().call(request.map(axum::body::Body::new));
            let phase = phase.clone();
            async move {
                let response = response.await;
                phase.idle();
                response
            }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    // Stop accepting: new connections are refused from here on; accepted ones finish their requests.
    drop(listener);
    let timeout = config.shutdown_timeout;
    let drained = tokio::time::timeout(timeout, graceful.shutdown()).await;
    sweeper.abort();
    match drained {
        Ok(()) => {
            tracing::info!("shutdown complete");
            Ok(())
        }
        Err(_) => Err(ServeError::DrainTimeout(timeout)),
    }
}

/// Largest request head (request line + headers) accepted.
const MAX_REQUEST_HEAD: usize = 64 * 1024;

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
