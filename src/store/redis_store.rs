//! The Redis history, compatible with the original app: list `senhas`, `LPUSH` new, `LRANGE senhas 0 N-1`.
//! Unlike the original it trims the list (`LTRIM`) and can expire it (`PEXPIRE`), in the same round trip.
//! One implementation of the commands for every topology: standalone (self-reconnecting connection
//! manager), Sentinel (master discovered again after any failure: follows failovers) and Cluster.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{AsyncConnectionConfig, Client, ConnectionAddr, RedisResult, TlsCertificates, TlsMode};

use super::target::{RedisTarget, Topology};
use super::{HISTORY_KEY, HistoryLimits, OperationsInFlight, Recent, StoreBounds, StoreError};

#[derive(Clone)]
pub struct RedisStore {
    backend: Backend,
    limits: HistoryLimits,
    timeout: Duration,
    /// Slots for operations waiting on Redis: a slow Redis cannot pile up unbounded work.
    slots: Arc<tokio::sync::Semaphore>,
    max_in_flight: usize,
    in_flight: OperationsInFlight,
}

#[derive(Clone)]
enum Backend {
    Standalone(ConnectionManager),
    Sentinel(Arc<Lazy<SentinelSource>>),
    Cluster(Arc<Lazy<ClusterSource>>),
}

impl RedisStore {
    /// Creates the client without connecting: nothing is sent until the first operation, so the app starts
    /// (and generates) while Redis is still down.
    pub fn new(
        target: &RedisTarget,
        limits: HistoryLimits,
        bounds: StoreBounds,
    ) -> Result<Self, StoreError> {
        let timeout = bounds.timeout;
        let certificates = target.tls.as_ref().map(|tls| TlsCertificates {
            client_tls: None,
            root_cert: tls.ca_pem.clone(),
        });
        let backend = match &target.topology {
            Topology::Standalone(info) => {
                let client = match certificates {
                    Some(certs) => Client::build_with_tls(info.clone(), certs),
                    None => Client::open(info.clone()),
                }
                .map_err(redis_error)?;
                // No response timeout of the crate's own: `query` bounds the whole operation with REDIS_TIMEOUT,
                // and a second timer per command was measurable (docs/performance.md).
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(None)
                    // Reconnection is retried on the next operation; a short backoff keeps each operation
                    // within its timeout instead of queueing behind a long retry loop.
                    .set_number_of_retries(1)
                    .set_min_delay(Duration::from_millis(50))
                    .set_max_delay(Duration::from_millis(500));
                Backend::Standalone(
                    ConnectionManager::new_lazy_with_config(client, config).map_err(redis_error)?,
                )
            }
            Topology::Sentinel { sentinels, master } => {
                let tls = target.tls.is_some().then_some(TlsMode::Secure);
                let mut builder = SentinelClientBuilder::new(
                    sentinels
                        .iter()
                        .map(|(host, port)| ConnectionAddr::Tcp(host.clone(), *port)),
                    master.clone(),
                    SentinelServerType::Master,
                )
                .map_err(redis_error)?;
                if let Some(mode) = tls {
                    builder = builder
                        .set_client_to_redis_tls_mode(mode)
                        .set_client_to_sentinel_tls_mode(mode);
                }
                if let Some(certs) = certificates {
                    builder = builder
                        .set_client_to_redis_certificates(certs.clone())
                        .set_client_to_sentinel_certificates(certs);
                }
                if let Some(user) = &target.username {
                    builder = builder.set_client_to_redis_username(user);
                }
                if let Some(password) = &target.password {
                    builder = builder.set_client_to_redis_password(password);
                }
                let client = builder.build().map_err(redis_error)?;
                Backend::Sentinel(Arc::new(Lazy::new(SentinelSource { client, timeout })))
            }
            Topology::Cluster { nodes } => {
                let infos = nodes.iter().map(|(host, port)| match target.tls {
                    Some(_) => ConnectionAddr::TcpTls {
                        host: host.clone(),
                        port: *port,
                        insecure: false,
                        tls_params: None,
                    },
                    None => ConnectionAddr::Tcp(host.clone(), *port),
                });
                let mut builder = ClusterClient::builder(infos)
                    .connection_timeout(timeout)
                    .response_timeout(timeout)
                    .retries(2)
                    .min_retry_wait(20)
                    .max_retry_wait(200);
                if target.tls.is_some() {
                    builder = builder.tls(TlsMode::Secure);
                }
                if let Some(certs) = certificates {
                    builder = builder.certs(certs);
                }
                if let Some(user) = &target.username {
                    builder = builder.username(user);
                }
                if let Some(password) = &target.password {
                    builder = builder.password(password);
                }
                let client = builder.build().map_err(redis_error)?;
                Backend::Cluster(Arc::new(Lazy::new(ClusterSource { client })))
            }
        };
        Ok(Self {
            backend,
            limits,
            timeout,
            slots: Arc::new(tokio::sync::Semaphore::new(bounds.max_in_flight)),
            max_in_flight: bounds.max_in_flight,
            in_flight: OperationsInFlight::default(),
        })
    }

    pub fn operations_in_flight(&self) -> OperationsInFlight {
        self.in_flight.clone()
    }

    pub async fn push(&self, password: &str) -> Result<(), StoreError> {
        if self.limits.size == 0 {
            return Ok(());
        }
        // A plain pipeline, not MULTI: the commands run in order on one connection, and readers only ever
        // ask for the first N entries, so they never see more than the history size anyway.
        let mut pipe = redis::pipe();
        pipe.lpush(HISTORY_KEY, password)
            .ignore()
            .ltrim(HISTORY_KEY, 0, last_index(self.limits.size))
            .ignore();
        if let Some(ttl) = self.limits.ttl {
            pipe.pexpire(HISTORY_KEY, ttl_millis(ttl)).ignore();
        }
        self.query(Request::Pipeline(&pipe)).await
    }

    pub async fn recent(&self) -> Result<Recent, StoreError> {
        if self.limits.size == 0 {
            return Ok(Recent::default());
        }
        let mut cmd = redis::cmd("LRANGE");
        cmd.arg(HISTORY_KEY)
            .arg(0)
            .arg(last_index(self.limits.size));
        // Raw bytes: one entry that is not UTF-8 would fail the whole reply as `Vec<String>`.
        let raw: Vec<Vec<u8>> = self.query(Request::Command(&cmd)).await?;
        Ok(Recent::from_raw(raw))
    }

    /// The shared list's commands on a private list's key. Its TTL is always set: the private scope has a
    /// default HISTORY_TTL, so an abandoned browser's list goes (and `volatile-lru` may evict it under memory
    /// pressure).
    pub async fn push_to(&self, key: &str, entry: &[u8]) -> Result<(), StoreError> {
        if self.limits.size == 0 {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.lpush(key, entry)
            .ignore()
            .ltrim(key, 0, last_index(self.limits.size))
            .ignore();
        if let Some(ttl) = self.limits.ttl {
            pipe.pexpire(key, ttl_millis(ttl)).ignore();
        }
        self.query(Request::Pipeline(&pipe)).await
    }

    pub async fn recent_of(&self, key: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        if self.limits.size == 0 {
            return Ok(Vec::new());
        }
        let mut cmd = redis::cmd("LRANGE");
        cmd.arg(key).arg(0).arg(last_index(self.limits.size));
        self.query(Request::Command(&cmd)).await
    }

    pub async fn clear(&self, key: &str) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(key);
        let _deleted: i64 = self.query(Request::Command(&cmd)).await?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.query(Request::Command(&redis::cmd("PING"))).await
    }

    /// Runs one command or pipeline on the current connection of the topology. Everything — waiting for one of
    /// the REDIS_MAX_IN_FLIGHT slots, (re)connecting, the round trip — fits in one REDIS_TIMEOUT, so a slow
    /// Redis costs each request at most that long and never more than REDIS_MAX_IN_FLIGHT operations at once.
    /// After a failure on a Sentinel or Cluster connection, the next operation connects anew (for Sentinel:
    /// asks the sentinels where the master is now).
    async fn query<T: redis::FromRedisValue + Send>(
        &self,
        request: Request<'_>,
    ) -> Result<T, StoreError> {
        let attempt = async {
            let Ok(_slot) = self.slots.acquire().await else {
                return Err(StoreError::Busy(self.max_in_flight));
            };
            let _counted = self.in_flight.enter();
            let mut connection = self.connection().await.map_err(redis_error)?;
            let result = match request {
                Request::Command(cmd) => cmd.query_async::<T>(&mut connection).await,
                Request::Pipeline(pipe) => pipe.query_async::<T>(&mut connection).await,
            };
            if let Err(e) = &result {
                self.failed(e);
            }
            result.map_err(redis_error)
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Timeout(self.timeout)),
        }
    }

    async fn connection(&self) -> RedisResult<AnyConnection> {
        Ok(match &self.backend {
            Backend::Standalone(manager) => AnyConnection::Standalone(manager.clone()),
            Backend::Sentinel(lazy) => AnyConnection::Sentinel(lazy.get().await?),
            Backend::Cluster(lazy) => AnyConnection::Cluster(lazy.get().await?),
        })
    }

    fn failed(&self, error: &redis::RedisError) {
        match &self.backend {
            // The connection manager reconnects by itself.
            Backend::Standalone(_) => {}
            // Maybe the master moved (READONLY, refused, dropped): forget it, ask the sentinels again.
            Backend::Sentinel(lazy) => lazy.invalidate(),
            // The cluster client follows MOVED/ASK itself; only a broken connection is replaced.
            Backend::Cluster(lazy) => {
                if error.is_io_error() || error.is_unrecoverable_error() {
                    lazy.invalidate();
                }
            }
        }
    }
}

enum Request<'a> {
    Command(&'a redis::Cmd),
    Pipeline(&'a redis::Pipeline),
}

/// Whichever connection the topology uses; the commands are written once against `ConnectionLike`.
enum AnyConnection {
    Standalone(ConnectionManager),
    Sentinel(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl ConnectionLike for AnyConnection {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            AnyConnection::Standalone(c) => c.req_packed_command(cmd),
            AnyConnection::Sentinel(c) => c.req_packed_command(cmd),
            AnyConnection::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            AnyConnection::Standalone(c) => c.req_packed_commands(cmd, offset, count),
            AnyConnection::Sentinel(c) => c.req_packed_commands(cmd, offset, count),
            AnyConnection::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            AnyConnection::Standalone(c) => c.get_db(),
            AnyConnection::Sentinel(c) => c.get_db(),
            AnyConnection::Cluster(c) => c.get_db(),
        }
    }
}

/// A way to open a connection (ask the sentinels for the master, or map the cluster).
trait Source: Send {
    type Connection: Clone + Send + Sync;
    fn connect(&mut self) -> impl Future<Output = RedisResult<Self::Connection>> + Send;
}

struct SentinelSource {
    client: SentinelClient,
    timeout: Duration,
}

impl Source for SentinelSource {
    type Connection = MultiplexedConnection;
    async fn connect(&mut self) -> RedisResult<MultiplexedConnection> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        self.client.get_async_connection_with_config(&config).await
    }
}

struct ClusterSource {
    client: ClusterClient,
}

impl Source for ClusterSource {
    type Connection = ClusterConnection;
    async fn connect(&mut self) -> RedisResult<ClusterConnection> {
        self.client.get_async_connection().await
    }
}

/// A connection opened on first use and again after `invalidate`. Clones of it are cheap handles to one
/// multiplexed connection; only one task at a time opens a new one.
struct Lazy<S: Source> {
    source: tokio::sync::Mutex<S>,
    current: RwLock<Option<S::Connection>>,
}

impl<S: Source> Lazy<S> {
    fn new(source: S) -> Self {
        Self {
            source: tokio::sync::Mutex::new(source),
            current: RwLock::new(None),
        }
    }

    async fn get(&self) -> RedisResult<S::Connection> {
        if let Some(connection) = self.cached() {
            return Ok(connection);
        }
        let mut source = self.source.lock().await;
        // Another task may have connected while this one waited for the lock.
        if let Some(connection) = self.cached() {
            return Ok(connection);
        }
        let connection = source.connect().await?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(connection.clone());
        Ok(connection)
    }

    fn cached(&self) -> Option<S::Connection> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn invalidate(&self) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

fn last_index(size: usize) -> isize {
    isize::try_from(size).map_or(isize::MAX, |s| s - 1)
}

fn ttl_millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// Redis errors carry the server's message and kind, never the command's arguments or credentials.
fn redis_error(e: redis::RedisError) -> StoreError {
    StoreError::Redis(e.to_string())
}
