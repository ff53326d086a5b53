//! Access-log lines (one per request) are buffered and written in batches, like nginx's
//! `access_log … buffer= flush=`: a `write(2)` per request cost more than the line's formatting. They reach
//! stdout at most `FLUSH_INTERVAL` late, at once when `BUFFER_LIMIT` bytes are waiting, and before any other
//! line: every other event (start-up, warnings, shutdown) is written at once, with whatever access lines were
//! waiting before it, so the order is kept. `flush` runs at exit; a SIGKILL loses at most `FLUSH_INTERVAL`.
//!
//! Kept over `tracing-appender`'s `non_blocking` writer, measured 2026-12-02 (`bench/instructions.sh --route
//! /api/gerar-senha --store memory --seconds 6 --requests 3000`, all threads): 45.1k instructions per request
//! with this, 45.6–45.8k with it, plus a `write(2)` per line, lines dropped when its queue is full by default,
//! and warnings written late on its thread (docs/performance.md).

use std::io::Write;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tracing::Metadata;
use tracing_subscriber::fmt::MakeWriter;

/// Target of the per-request access-log events, the only ones that are batched.
pub const ACCESS_TARGET: &str = "access";

/// Longest an access-log line waits in memory.
const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// Bytes waiting that trigger a write right away (a few hundred lines), so memory stays bounded under load.
const BUFFER_LIMIT: usize = 64 * 1024;

static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// The thread that writes the batch out every `FLUSH_INTERVAL`.
pub(super) fn start_flusher() -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("log-flush".into())
        .spawn(|| {
            loop {
                std::thread::sleep(FLUSH_INTERVAL);
                flush();
            }
        })
        .map(drop)
}

/// Writes every waiting line to stdout. A failed write drops the batch: there is nowhere left to report it.
pub fn flush() {
    // stdout's lock first, then the batch: concurrent flushes write their batches in the order they took them.
    let mut out = std::io::stdout().lock();
    let batch = std::mem::take(&mut *PENDING.lock().unwrap_or_else(PoisonError::into_inner));
    if !batch.is_empty() {
        let _ = out.write_all(&batch).and_then(|()| out.flush());
    }
}

/// The subscriber's writer: every event is appended to the pending batch.
pub(super) struct BatchedStdout;

/// One event's output; an `urgent` event writes the batch (itself included) out when it is complete.
pub(super) struct EventWriter {
    urgent: bool,
}

impl<'a> MakeWriter<'a> for BatchedStdout {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter { urgent: true }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        EventWriter {
            urgent: meta.target() != ACCESS_TARGET,
        }
    }
}

impl Write for EventWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let full = {
            let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
            pending.extend_from_slice(bytes);
            pending.len() >= BUFFER_LIMIT
        };
        if full {
            flush();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    /// The event is complete here: the formatter writes one event per writer.
    fn drop(&mut self) {
        if self.urgent {
            flush();
        }
    }
}
