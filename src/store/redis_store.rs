//! The Redis history, compatible with the original app: list `senhas`, `LPUSH` new, `LRANGE senhas 0 N-1`.
//! Unlike the original it trims the list (`LTRIM`) and can expire it (`EXPIRE`), in the same round trip.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, ConnectionInfo};

use super::{HISTORY_KEY, HistoryLimits, StoreError};

#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    limits: HistoryLimits,
    timeout: Duration,
}

impl RedisStore {
    /// Creates a lazily connecting, self-reconnecting client: nothing is sent until the first operation.
    pub fn new(
        info: ConnectionInfo,
        limits: HistoryLimits,
        timeout: Duration,
    ) -> Result<Self, StoreError> {
        let client = Client::open(info).map_err(redis_error)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            // Reconnection is retried on the next operation; a short backoff here keeps each operation
            // within its timeout instead of queueing behind a long retry loop.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let connection =
            ConnectionManager::new_lazy_with_config(client, config).map_err(redis_error)?;
        Ok(Self {
            connection,
            limits,
            timeout,
        })
    }

    pub async fn push(&self, password: &str) -> Result<(), StoreError> {
        if self.limits.size == 0 {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.atomic()
            .lpush(HISTORY_KEY, password)
            .ignore()
            .ltrim(HISTORY_KEY, 0, last_index(self.limits.size))
            .ignore();
        if let Some(ttl) = self.limits.ttl {
            pipe.pexpire(HISTORY_KEY, ttl_millis(ttl)).ignore();
        }
        let mut connection = self.connection.clone();
        self.bounded(pipe.query_async::<()>(&mut connection)).await
    }

    pub async fn recent(&self) -> Result<Vec<String>, StoreError> {
        if self.limits.size == 0 {
            return Ok(Vec::new());
        }
        let mut connection = self.connection.clone();
        let cmd = redis::cmd("LRANGE")
            .arg(HISTORY_KEY)
            .arg(0)
            .arg(last_index(self.limits.size))
            .to_owned();
        self.bounded(cmd.query_async::<Vec<String>>(&mut connection))
            .await
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        self.bounded(redis::cmd("PING").query_async::<()>(&mut connection))
            .await
    }

    /// Every operation is bounded by REDIS_TIMEOUT, including waiting for a reconnection.
    async fn bounded<T>(
        &self,
        operation: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, operation).await {
            Ok(result) => result.map_err(redis_error),
            Err(_) => Err(StoreError::Timeout(self.timeout)),
        }
    }
}

fn last_index(size: usize) -> isize {
    isize::try_from(size).map_or(isize::MAX, |s| s - 1)
}

fn ttl_millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// Redis errors carry the server's message and kind, never the command's arguments.
fn redis_error(e: redis::RedisError) -> StoreError {
    StoreError::Redis(e.to_string())
}
