//! The password history: the embedded in-memory ring (default) or Redis, behind one small interface.
//! Both keep at most `size` entries, newest first, and expire the whole list `ttl` after its last write.

mod memory;
mod redis_store;
pub mod target;

use std::time::Duration;

use thiserror::Error;

pub use memory::MemoryStore;
pub use redis_store::RedisStore;

pub use target::{StoreTarget, TargetError};

/// The Redis key of the original app: a list, newest first.
pub const HISTORY_KEY: &str = "senhas";

#[derive(Debug, Clone, Copy)]
pub struct HistoryLimits {
    /// Entries kept; 0 disables the history (nothing is written or read).
    pub size: usize,
    pub ttl: Option<Duration>,
}

/// Store failures. The message never contains a password or a credential.
/// How store operations are bounded: in time, and in how many wait at once.
#[derive(Clone)]
pub struct StoreBounds {
    pub timeout: Duration,
    pub max_in_flight: usize,
    /// Exposed as `giropops_store_operations_in_flight`.
    pub in_flight: prometheus_client::metrics::gauge::Gauge,
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("store operation timed out after {0:?}")]
    Timeout(Duration),
    #[error("the store's operation slots ({0}) are closed")]
    Busy(usize),
    #[error("redis: {0}")]
    Redis(String),
}

/// What a store operation was, for logs and the `giropops_store_errors_total{operation}` metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Push,
    Recent,
    Ping,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Push => "push",
            Operation::Recent => "recent",
            Operation::Ping => "ping",
        }
    }
}

#[derive(Clone)]
pub enum Store {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl Store {
    /// Builds the store for `target`. Never connects: Redis is reached lazily, so the app starts (and serves
    /// generation) while Redis is still down.
    pub fn new(
        target: &StoreTarget,
        limits: HistoryLimits,
        bounds: StoreBounds,
    ) -> Result<Self, StoreError> {
        Ok(match target {
            StoreTarget::Memory => Store::Memory(MemoryStore::new(limits)),
            StoreTarget::Redis(redis) => Store::Redis(RedisStore::new(redis, limits, bounds)?),
        })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Store::Memory(_) => "memory",
            Store::Redis(_) => "redis",
        }
    }

    /// Adds a password and trims the history to its size, in one round trip.
    pub async fn push(&self, password: &str) -> Result<(), StoreError> {
        match self {
            Store::Memory(s) => {
                s.push(password);
                Ok(())
            }
            // Boxed: the Redis operation's future is large (deadline, pipeline, connection), and the future of
            // every request that awaits it would otherwise carry it inline and be copied with it (measured).
            Store::Redis(s) => Box::pin(s.push(password)).await,
        }
    }

    /// The newest passwords, newest first, at most the history size.
    pub async fn recent(&self) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Memory(s) => Ok(s.recent()),
            Store::Redis(s) => Box::pin(s.recent()).await,
        }
    }

    /// Whether the store answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Store::Memory(_) => Ok(()),
            Store::Redis(s) => s.ping().await,
        }
    }
}
