//! Serving: bind (the main port and the optional probe port), run the routers, and shut down gracefully on
//! SIGTERM/SIGINT.
//!
//! **Probes.** With fair slots (see `connections`), a probe on the main port waits only while every connection
//! is mid-request, and a client can still arrange that (slow bodies, stalled writers, slow handlers, each
//! bounded by its deadline but renewable). A liveness probe must never fail because of other clients, so
//! PROBE_PORT adds a listener serving only /healthz, /readyz and /metrics, with a few slots of its own and the
//! same deadlines and eviction, outside MAX_CONNECTIONS and MAX_CONCURRENCY. A separate listener rather than a
//! reserve of main-port slots: a reserve cannot tell a probe from a client before reading its request, and
//! reading requests is what an attacker fills; a port can also be kept from clients by the network (the
//! NetworkPolicy admits clients to `http` only). The routes stay on the main port for compatibility.
//! Readiness tells the truth on the probe port: 503 while the main port cannot admit a connection
//! ([`Admission`](crate::http::Admission)); liveness does not depend on it.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use prometheus_client::metrics::counter::Counter;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::Service;

use crate::config::ServeConfig;
use crate::http::{Admission, AppState, probe_router, router};
use crate::metrics::Metrics;
use crate::store::{HistoryLimits, Store, StoreBounds, StoreError, StoreTarget};

mod connections;
use connections::{Connections, Deadlines, Phase};

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
        ttl: config.effective_history_ttl(),
        max_lists: config.history_max_lists as usize,
    };
    let store = Store::new(
        target,
        limits,
        StoreBounds {
            timeout: config.redis_timeout,
            max_in_flight: config.redis_max_in_flight as usize,
        },
    )?;
    let metrics = Metrics::new(store.operations_in_flight(), store.lists_evicted());
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
    let listener = bind(config.bind, config.port).await?;
    let probe_listener = match config.probe_port {
        Some(port) => Some(bind(config.bind, port).await?),
        None => None,
    };
    if let Some(probes) = &probe_listener {
        let addr = probes.local_addr().map_err(ServeError::Serve)?;
        tracing::info!(addr = %addr, "probe port listening (/healthz, /readyz, /metrics)");
    }
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

    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        // hyper's head timer starts when a keep-alive connection begins waiting for its next request: it is
        // the idle timeout (see connections for why the two are apart).
        .header_read_timeout(config.idle_timeout)
        // Bounds the request head (URL + headers); hyper answers 431 beyond it (checked per read, so a
        // head may overshoot by one read's worth before it is refused). Also caps hyper's write buffer.
        .max_buf_size(MAX_REQUEST_HEAD)
        .keep_alive(true);
    let deadlines = Deadlines {
        head: config.header_read_timeout,
        write: config.write_timeout,
    };
    let admission = Admission::default();
    let evicted = state.metrics().connections_evicted.clone();
    let main = Listener {
        listener,
        app: router(state.clone()),
        slots: Arc::new(Semaphore::new(config.max_connections as usize)),
        connections: Connections::new(deadlines),
        evicted: evicted.clone(),
        saturation: Some(admission.clone()),
        probe_admission: None,
    };
    let probes = probe_listener.map(|listener| Listener {
        listener,
        app: probe_router(state),
        slots: Arc::new(Semaphore::new(PROBE_MAX_CONNECTIONS)),
        connections: Connections::new(deadlines),
        evicted,
        saturation: None,
        probe_admission: Some(admission),
    });
    let sweepers: Vec<_> = std::iter::once(&main)
        .chain(probes.as_ref())
        .map(|l| tokio::spawn(l.connections.clone().run()))
        .collect();
    let serve_probes = async {
        if let Some(probes) = probes {
            probes.accept(&http, &graceful, drain_rx.clone()).await;
        }
    };
    // Both stop accepting on the drain signal; dropping the listeners refuses new connections from there on,
    // and accepted ones finish their requests (the sweepers keep enforcing the deadlines meanwhile).
    tokio::join!(
        main.accept(&http, &graceful, drain_rx.clone()),
        serve_probes
    );
    let timeout = config.shutdown_timeout;
    let drained = tokio::time::timeout(timeout, graceful.shutdown()).await;
    for sweeper in sweepers {
        sweeper.abort();
    }
    match drained {
        Ok(()) => {
            tracing::info!("shutdown complete");
            Ok(())
        }
        Err(_) => Err(ServeError::DrainTimeout(timeout)),
    }
}

async fn bind(ip: IpAddr, port: u16) -> Result<TcpListener, ServeError> {
    let addr = SocketAddr::new(ip, port);
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: addr.to_string(),
            source,
        })
}

/// Connections on the probe port at once. Probes (kubelet, Docker HEALTHCHECK, Prometheus) need a handful;
/// the port has its own deadlines and fair slots, so clients of the main port cannot take these.
const PROBE_MAX_CONNECTIONS: usize = 32;

/// One listening port and its connection slots.
struct Listener {
    listener: TcpListener,
    app: axum::Router,
    slots: Arc<Semaphore>,
    connections: Arc<Connections>,
    evicted: Counter,
    /// The main port reports its saturation here.
    saturation: Option<Admission>,
    /// The probe port hands it to `/readyz`.
    probe_admission: Option<Admission>,
}

impl Listener {
    /// Accepts and serves connections until the drain signal.
    async fn accept(
        self,
        http: &http1::Builder,
        graceful: &GracefulShutdown,
        mut drain: watch::Receiver<bool>,
    ) {
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
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
            // Accept first, then take a slot: an idle connection is evicted only for one that is waiting.
            let Some(slot) = self.slot(&mut drain).await else {
                break;
            };
            let _ = stream.set_nodelay(true);
            let (stream, phase) = self.connections.watch(stream);
            let app = self.app.clone();
            let admission = self.probe_admission.clone();
            let service = service_fn(move |mut request: Request<Incoming>| {
                phase.serving();
                request.extensions_mut().insert(ConnectInfo(peer));
                if let Some(admission) = &admission {
                    request.extensions_mut().insert(admission.clone());
                }
                let response = app.clone().call(request.map(axum::body::Body::new));
                let phase = phase.clone();
                async move {
                    let response = response.await;
                    phase.responded();
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
    }

    /// A free slot; when none is, evicts the connection idle the longest (one at a time: another only once
    /// the previous one has closed) and waits, retrying each tick while every connection is mid-request.
    /// `None` when draining.
    async fn slot(&self, drain: &mut watch::Receiver<bool>) -> Option<OwnedSemaphorePermit> {
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            return Some(slot);
        }
        let mut victim: Option<Weak<Phase>> = None;
        let slot = loop {
            if victim.as_ref().is_none_or(|v| v.strong_count() == 0) {
                victim = self.connections.evict_oldest_idle();
                if victim.is_some() {
                    self.evicted.inc();
                }
            }
            if let Some(saturation) = &self.saturation {
                saturation.set_saturated(victim.is_none());
            }
            tokio::select! {
                slot = self.slots.clone().acquire_owned() => break slot.ok(),
                _ = tokio::time::sleep(self.connections.tick()) => {}
                _ = drain.wait_for(|d| *d) => break None,
            }
        };
        if let Some(saturation) = &self.saturation {
            saturation.set_saturated(false);
        }
        slot
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
