//! The main port's admission state, which the probe port's `/readyz` reports.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the main port can admit a new connection, for `/readyz` on the probe port.
///
/// Readiness tells the truth about the main port: it is "saturated" while an accepted connection waits for a
/// slot and no connection can be evicted (every one is mid-request: slow bodies, stalled writers, handlers).
/// Knowing it costs nothing on the fast path: only the accept loop writes it, and only once it has to wait. On
/// the main port no probe can observe it (a probe that got a connection was admitted), so only the probe port
/// reports it. Liveness (`/healthz`) never depends on it: being busy is no reason to restart a pod.
#[derive(Debug, Clone, Default)]
pub struct Admission(Arc<AtomicBool>);

impl Admission {
    pub fn is_saturated(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Written by the accept loop only (`server`).
    pub fn set_saturated(&self, saturated: bool) {
        self.0.store(saturated, Ordering::Relaxed);
    }
}
