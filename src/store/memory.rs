//! The embedded history: a bounded ring in memory, for running with nothing but the binary; and the private
//! lists, one bounded ring per browser, at most `max_lists` of them (the least recently used goes first).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::{HistoryLimits, ListsEvicted};

#[derive(Clone)]
pub struct MemoryStore {
    limits: HistoryLimits,
    inner: Arc<Mutex<Ring>>,
    lists: Arc<Mutex<Lists>>,
    evicted: ListsEvicted,
}

/// The private lists by store key. Each remembers when it was last used (a counter, not a clock: cheap and
/// strictly ordered); a new list beyond the cap drops the one used longest ago. Finding it is a scan, paid only
/// when a new list is created at the cap, never on a returning browser's request.
#[derive(Default)]
struct Lists {
    by_key: HashMap<String, PrivateRing>,
    clock: u64,
}

struct PrivateRing {
    newest_first: VecDeque<Vec<u8>>,
    last_write: Instant,
    last_use: u64,
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
            lists: Arc::new(Mutex::new(Lists::default())),
            evicted: ListsEvicted::default(),
        }
    }

    pub fn lists_evicted(&self) -> ListsEvicted {
        self.evicted.clone()
    }

    /// Adds an entry to the list `key`, creating it (and dropping the least recently used list at the cap).
    pub fn push_to(&self, key: &str, entry: Vec<u8>) {
        if self.limits.size == 0 {
            return;
        }
        let mut lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        lists.clock += 1;
        let now = lists.clock;
        if let Some(ring) = lists.by_key.get_mut(key) {
            if self.expired(ring.last_write) {
                ring.newest_first.clear();
            }
            ring.newest_first.push_front(entry);
            ring.newest_first.truncate(self.limits.size);
            ring.last_write = Instant::now();
            ring.last_use = now;
            return;
        }
        while lists.by_key.len() >= self.limits.max_lists.max(1) {
            let oldest = lists
                .by_key
                .iter()
                .min_by_key(|(_, ring)| ring.last_use)
                .map(|(key, _)| key.clone());
            let Some(oldest) = oldest else { break };
            lists.by_key.remove(&oldest);
            self.evicted.add(1);
        }
        lists.by_key.insert(
            key.to_owned(),
            PrivateRing {
                newest_first: VecDeque::from([entry]),
                last_write: Instant::now(),
                last_use: now,
            },
        );
    }

    /// The list `key`, newest first; empty when there is none or it expired (then it is dropped).
    pub fn recent_of(&self, key: &str) -> Vec<Vec<u8>> {
        let mut lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        lists.clock += 1;
        let now = lists.clock;
        let Some(ring) = lists.by_key.get_mut(key) else {
            return Vec::new();
        };
        if self.expired(ring.last_write) {
            lists.by_key.remove(key);
            return Vec::new();
        }
        ring.last_use = now;
        ring.newest_first.iter().cloned().collect()
    }

    pub fn clear(&self, key: &str) {
        let mut lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        lists.by_key.remove(key);
    }

    fn expired(&self, last_write: Instant) -> bool {
        self.limits
            .ttl
            .is_some_and(|ttl| last_write.elapsed() >= ttl)
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
        if self.expired(ring.last_write) {
            ring.newest_first.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn store(size: usize, ttl: Option<Duration>) -> MemoryStore {
        MemoryStore::new(HistoryLimits {
            size,
            ttl,
            max_lists: 2,
        })
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

    #[test]
    fn private_lists_are_separate_and_the_least_recently_used_goes_first() {
        let s = store(2, None);
        s.push_to("a", b"a1".to_vec());
        s.push_to("b", b"b1".to_vec());
        s.push_to("a", b"a2".to_vec());
        s.push_to("a", b"a3".to_vec());
        assert_eq!(s.recent_of("a"), [b"a3".to_vec(), b"a2".to_vec()]);
        assert_eq!(s.recent_of("b"), [b"b1".to_vec()]);
        // Reading "b" made it the most recent: "a" goes when "c" arrives at the cap of 2.
        s.push_to("c", b"c1".to_vec());
        assert!(s.recent_of("a").is_empty());
        assert_eq!(s.recent_of("b"), [b"b1".to_vec()]);
        assert_eq!(s.lists_evicted().get(), 1);
        s.clear("b");
        assert!(s.recent_of("b").is_empty());
        assert!(s.recent().is_empty(), "the shared ring is another list");
    }

    #[test]
    fn a_private_list_expires_after_ttl() {
        let s = store(5, Some(Duration::from_millis(50)));
        s.push_to("a", b"x".to_vec());
        std::thread::sleep(Duration::from_millis(80));
        assert!(s.recent_of("a").is_empty());
    }
}
