//! The embedded history: a bounded ring in memory, for running with nothing but the binary.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::HistoryLimits;

#[derive(Clone)]
pub struct MemoryStore {
    limits: HistoryLimits,
    inner: Arc<Mutex<Ring>>,
}

struct Ring {
    newest_first: VecDeque<String>,
    last_write: Instant,
}

impl MemoryStore {
    pub fn new(limits: HistoryLimits) -> Self {
        Self {
            limits,
            inner: Arc::new(Mutex::new(Ring {
                newest_first: VecDeque::with_capacity(limits.size),
                last_write: Instant::now(),
            })),
        }
    }

    pub fn push(&self, password: &str) {
        if self.limits.size == 0 {
            return;
        }
        // A panic while holding the lock cannot leave the ring inconsistent, so a poisoned lock is usable.
        let mut ring = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        self.expire(&mut ring);
        ring.newest_first.push_front(password.to_owned());
        ring.newest_first.truncate(self.limits.size);
        ring.last_write = Instant::now();
    }

    pub fn recent(&self) -> Vec<String> {
        let mut ring = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        self.expire(&mut ring);
        ring.newest_first.iter().cloned().collect()
    }

    /// Same semantics as Redis `EXPIRE` on every write: the whole list goes `ttl` after the last write.
    fn expire(&self, ring: &mut Ring) {
        if let Some(ttl) = self.limits.ttl
            && ring.last_write.elapsed() >= ttl
        {
            ring.newest_first.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn store(size: usize, ttl: Option<Duration>) -> MemoryStore {
        MemoryStore::new(HistoryLimits { size, ttl })
    }

    #[test]
    fn keeps_newest_first_and_trims() {
        let s = store(3, None);
        for p in ["a", "b", "c", "d"] {
            s.push(p);
        }
        assert_eq!(s.recent(), ["d", "c", "b"]);
    }

    #[test]
    fn size_zero_disables() {
        let s = store(0, None);
        s.push("a");
        assert!(s.recent().is_empty());
    }

    #[test]
    fn expires_after_ttl_from_last_write() {
        let s = store(5, Some(Duration::from_millis(50)));
        s.push("a");
        assert_eq!(s.recent(), ["a"]);
        std::thread::sleep(Duration::from_millis(80));
        assert!(s.recent().is_empty());
        s.push("b");
        assert_eq!(s.recent(), ["b"]);
    }
}
