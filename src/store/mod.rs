//! The password history: the embedded in-memory ring (default) or Redis, behind one small interface.
//! Both keep at most `size` entries, newest first, and expire the whole list `ttl` after its last write.

mod memory;
mod redis_store;
pub mod target;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use thiserror::Error;

use crate::generator::MAX_SECRET_BYTES;

pub use memory::MemoryStore;
pub use redis_store::RedisStore;

pub use target::{StoreTarget, TargetError};

/// The Redis key of the original app: a list, newest first.
pub const HISTORY_KEY: &str = "senhas";

/// The history as read: the entries to show, newest first, and how many were left out. Redis is shared
/// (another app, an operator, an attacker with access may write to `senhas`): an entry that is not UTF-8 or
/// is longer than any secret we generate is skipped so the rest is still served.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recent {
    pub entries: Vec<String>,
    /// Entries that are not valid UTF-8.
    pub not_utf8: usize,
    /// Entries longer than [`MAX_SECRET_BYTES`].
    pub too_long: usize,
    /// Private entries that did not open under the list's key (tampered, truncated, or not ours).
    pub undecryptable: usize,
}

/// Why an entry of the history was left out (the `reason` of `giropops_history_entries_skipped_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    NotUtf8,
    TooLong,
    Undecryptable,
}

impl SkipReason {
    pub const ALL: [SkipReason; 3] = [
        SkipReason::NotUtf8,
        SkipReason::TooLong,
        SkipReason::Undecryptable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::NotUtf8 => "not_utf8",
            SkipReason::TooLong => "too_long",
            SkipReason::Undecryptable => "undecryptable",
        }
    }
}

impl Recent {
    /// Keeps the entries that can be secrets of ours, in order. Length first: an overlong entry is not even
    /// decoded.
    pub fn from_raw(raw: Vec<Vec<u8>>) -> Self {
        let mut recent = Recent {
            entries: Vec::with_capacity(raw.len()),
            ..Recent::default()
        };
        for entry in raw {
            if entry.len() > MAX_SECRET_BYTES {
                recent.too_long += 1;
                continue;
            }
            match String::from_utf8(entry) {
                Ok(secret) => recent.entries.push(secret),
                Err(_) => recent.not_utf8 += 1,
            }
        }
        recent
    }

    /// How many entries were skipped, by reason.
    pub fn skipped(&self) -> [(SkipReason, usize); 3] {
        [
            (SkipReason::NotUtf8, self.not_utf8),
            (SkipReason::TooLong, self.too_long),
            (SkipReason::Undecryptable, self.undecryptable),
        ]
    }
}

#[derive(Debug, Clone, Copy)]
pub struct HistoryLimits {
    /// Entries kept; 0 disables the history (nothing is written or read).
    pub size: usize,
    pub ttl: Option<Duration>,
    /// Private lists the embedded store keeps at most (HISTORY_MAX_LISTS); Redis bounds itself.
    pub max_lists: usize,
}

/// How store operations are bounded: in time, and in how many wait at once.
#[derive(Debug, Clone, Copy)]
pub struct StoreBounds {
    pub timeout: Duration,
    pub max_in_flight: usize,
}

/// How many store operations are waiting for an answer right now. The store counts them itself and the
/// metrics read the count when scraped (`giropops_store_operations_in_flight`): the store knows nothing of
/// Prometheus, and counting costs one atomic add and one subtract per operation, as a gauge did.
#[derive(Debug, Clone, Default)]
pub struct OperationsInFlight(Arc<AtomicI64>);

impl OperationsInFlight {
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Counts one operation until the guard is dropped, also when the operation is cancelled (timeout, client
    /// gone).
    fn enter(&self) -> CountedOperation<'_> {
        self.0.fetch_add(1, Ordering::Relaxed);
        CountedOperation(&self.0)
    }
}

/// Private lists the embedded store dropped to stay within HISTORY_MAX_LISTS, read by the metrics at scrape
/// time (`giropops_history_lists_evicted_total`) like [`OperationsInFlight`].
#[derive(Debug, Clone, Default)]
pub struct ListsEvicted(Arc<AtomicU64>);

impl ListsEvicted {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
}

/// One operation counted in [`OperationsInFlight`] until dropped.
struct CountedOperation<'a>(&'a AtomicI64);

impl Drop for CountedOperation<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Store failures. The message never contains a password or a credential.
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
    Clear,
    Ping,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Push => "push",
            Operation::Recent => "recent",
            Operation::Clear => "clear",
            Operation::Ping => "ping",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_that_cannot_be_ours_are_skipped_and_counted() {
        let raw = vec![
            b"first".to_vec(),
            vec![0xff, 0xfe, b'a'],
            "x".repeat(MAX_SECRET_BYTES + 1).into_bytes(),
            "y".repeat(MAX_SECRET_BYTES).into_bytes(),
            "ação·—".as_bytes().to_vec(),
            vec![0xc3],
        ];
        let recent = Recent::from_raw(raw);
        assert_eq!(
            recent.entries,
            [
                "first".to_owned(),
                "y".repeat(MAX_SECRET_BYTES),
                "ação·—".to_owned()
            ]
        );
        assert_eq!((recent.not_utf8, recent.too_long), (2, 1));
    }

    #[test]
    fn an_operation_is_counted_until_its_guard_is_dropped() {
        let in_flight = OperationsInFlight::default();
        let seen_by_metrics = in_flight.clone();
        let first = in_flight.enter();
        let second = in_flight.enter();
        assert_eq!(seen_by_metrics.get(), 2);
        drop(first);
        assert_eq!(seen_by_metrics.get(), 1);
        drop(second);
        assert_eq!(seen_by_metrics.get(), 0);
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

    /// The store's count of operations waiting for an answer. The in-memory ring never waits: its count
    /// stays 0.
    pub fn operations_in_flight(&self) -> OperationsInFlight {
        match self {
            Store::Memory(_) => OperationsInFlight::default(),
            Store::Redis(s) => s.operations_in_flight(),
        }
    }

    /// Private lists dropped by the embedded store's cap; Redis never counts any (it evicts by itself).
    pub fn lists_evicted(&self) -> ListsEvicted {
        match self {
            Store::Memory(s) => s.lists_evicted(),
            Store::Redis(_) => ListsEvicted::default(),
        }
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

    /// The newest passwords, newest first, at most the history size, without the entries that cannot be ours.
    pub async fn recent(&self) -> Result<Recent, StoreError> {
        match self {
            // Only this process writes to the in-memory ring, and only generated secrets: nothing to skip.
            Store::Memory(s) => Ok(Recent {
                entries: s.recent(),
                ..Recent::default()
            }),
            Store::Redis(s) => Box::pin(s.recent()).await,
        }
    }

    /// Adds an entry (already sealed by the service) to the private list `key`, trims it to the history size
    /// and sets its expiry, in one round trip.
    pub async fn push_to(&self, key: &str, entry: Vec<u8>) -> Result<(), StoreError> {
        match self {
            Store::Memory(s) => {
                s.push_to(key, entry);
                Ok(())
            }
            Store::Redis(s) => Box::pin(s.push_to(key, &entry)).await,
        }
    }

    /// The private list `key`, newest first, as stored (the service opens the entries).
    pub async fn recent_of(&self, key: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        match self {
            Store::Memory(s) => Ok(s.recent_of(key)),
            Store::Redis(s) => Box::pin(s.recent_of(key)).await,
        }
    }

    /// Deletes the private list `key`.
    pub async fn clear(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Store::Memory(s) => {
                s.clear(key);
                Ok(())
            }
            Store::Redis(s) => Box::pin(s.clear(key)).await,
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
