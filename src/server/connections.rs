//! Per-connection deadlines and fair connection slots, on one coarse clock (no timer per request).
//! Hand-written because no crate does it: hyper and tower-http time a request or a whole connection, not a head
//! from its first byte, a stalled write, or which idle connection to evict when the slots are full.
//!
//! **Head deadline (HEADER_READ_TIMEOUT), apart from the idle timeout.** hyper has one timer for both:
//! `header_read_timeout` starts when it waits for a request head, so on a keep-alive connection it is also the
//! idle timeout. A short one (slow clients) makes a proxy that pools connections (ingress-nginx, cloud load
//! balancers: 60 s) reuse connections the app is closing, and a POST fails with a 502; a long one lets a client
//! take that long to send a head. So hyper's timer is IDLE_TIMEOUT, and this module bounds each head from its
//! first byte (a new connection from its accept).
//!
//! **Write deadline (WRITE_TIMEOUT).** A write that the socket does not accept (`Pending`) records when it
//! stalled and registers the task's waker; any accepted byte clears the mark. A connection stalled for longer
//! than the limit is cut: its next read or write fails and hyper drops it. A client that pipelines requests and
//! never reads is therefore disconnected, holding at most hyper's write buffer and the socket's send buffer for
//! WRITE_TIMEOUT. SO_SNDBUF is left to the kernel's autotuning: fixing it turns autotuning off for every
//! connection (slower large responses on long paths), while the kernel already bounds each buffer
//! (`net.ipv4.tcp_wmem`) and all of them together (`tcp_mem`), and the deadline bounds how long they are held.
//!
//! **Fair slots (MAX_CONNECTIONS).** When every slot is taken, the accept loop still accepts the next connection,
//! then closes the connection that has not been running a request (idle keep-alive, or waiting for or reading a
//! head) for the longest time, as nginx reuses idle keep-alive connections. Only a connection whose last read
//! found nothing is taken: one with pipelined requests in hyper's buffer, or a new one not read yet, may have
//! a request ready. A connection mid-request (handler running, body being read, response being written or
//! stalled) is never evicted. When all are mid-request, the accepted connection waits for a slot and eviction
//! is retried on every tick, one victim at a time: at most one accepted socket waits, and no more connections
//! are closed than connections admitted.
//!
//! Cost on the fast path: a request is a few relaxed loads and stores; a write that completes at once adds one
//! relaxed load; a read that has to wait (while the handler runs, and at the end of every keep-alive request)
//! locks the connection's own, uncontended waker slot and clones the waker only when it changed (`will_wake`).
//! Only the sweeper walks the connection list, once per tick (a tenth of the shorter deadline, between 10 ms
//! and 1 s).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Between requests, before any byte of the next head (evictable).
const IDLE: u8 = 0;
/// Reading a head: its deadline runs (evictable).
const HEAD: u8 = 1;
/// The head was parsed; the request is being served (its body is BODY_READ_TIMEOUT's business).
const SERVING: u8 = 2;
/// The response is ready and being written; idle again once hyper flushes it all.
const WRITING: u8 = 3;

/// Why a connection was cut (0: it was not). The first reason sticks.
const NOT_CUT: u8 = 0;
const HEAD_LATE: u8 = 1;
const WRITE_STALLED: u8 = 2;
const EVICTED: u8 = 3;

/// `write_stalled_ms` when no write is waiting.
const NOT_STALLED: u64 = u64::MAX;

/// One connection's phase, shared by its stream, its service and the sweeper.
#[derive(Debug)]
pub struct Phase {
    /// IDLE, HEAD, SERVING or WRITING: written only by the connection's own task.
    state: AtomicU8,
    cut: AtomicU8,
    /// Its last read found no bytes while it was idle or in a head: it is waiting for the client. Requests
    /// already in hyper's buffer (pipelined) are parsed without a read, so such a connection is never taken for
    /// an idle one; nor is a new connection that was not polled yet (its head may be in the socket).
    waiting_for_client: AtomicBool,
    /// Coarse-clock milliseconds when the current phase began (the head's start; the idle period's start).
    since_ms: AtomicU64,
    /// Coarse-clock milliseconds when a write first returned `Pending` without progress since.
    write_stalled_ms: AtomicU64,
    /// The task to wake when the connection is cut; set only while a read or a write is pending.
    waker: Mutex<Option<Waker>>,
}

impl Phase {
    /// The service got a parsed head.
    pub fn serving(&self) {
        self.state.store(SERVING, Relaxed);
    }

    /// The service produced its response; the connection is idle once it is written out.
    pub fn responded(&self) {
        self.state.store(WRITING, Relaxed);
    }

    fn cut_reason(&self) -> u8 {
        self.cut.load(Relaxed)
    }

    fn is_evictable(&self) -> bool {
        self.waiting_for_client.load(Relaxed)
            && matches!(self.state.load(Relaxed), IDLE | HEAD)
            && self.cut_reason() == NOT_CUT
    }

    /// Marks the connection cut (unless it already is) and wakes it: its pending read or write fails.
    fn cut(&self, reason: u8) -> bool {
        if self
            .cut
            .compare_exchange(NOT_CUT, reason, Relaxed, Relaxed)
            .is_err()
        {
            return false;
        }
        let waker = self
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }

    /// Keeps the waker of a pending read or write, cloning it only when the task changed.
    fn register(&self, waker: &Waker) {
        let mut slot = self.waker.lock().unwrap_or_else(PoisonError::into_inner);
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }
}

/// The deadlines of one listener's connections, the list of those connections and the coarse clock.
#[derive(Debug)]
pub struct Connections {
    head_limit_ms: u64,
    write_limit_ms: u64,
    tick: Duration,
    origin: Instant,
    now_ms: AtomicU64,
    connections: Mutex<Vec<Weak<Phase>>>,
}

/// The deadlines a listener enforces.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// HEADER_READ_TIMEOUT.
    pub head: Duration,
    /// WRITE_TIMEOUT.
    pub write: Duration,
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Connections {
    pub fn new(deadlines: Deadlines) -> Arc<Self> {
        let shorter = deadlines.head.min(deadlines.write);
        Arc::new(Self {
            head_limit_ms: millis(deadlines.head),
            write_limit_ms: millis(deadlines.write),
            // A tenth of the shorter limit: deadlines are enforced between the limit and 1.2× it.
            tick: (shorter / 10).clamp(Duration::from_millis(10), Duration::from_secs(1)),
            origin: Instant::now(),
            now_ms: AtomicU64::new(0),
            connections: Mutex::new(Vec::new()),
        })
    }

    /// How often the sweeper runs; an accepted connection waiting for a slot retries eviction this often.
    pub fn tick(&self) -> Duration {
        self.tick
    }

    /// A new connection: its first head must arrive within the limit of its accept.
    pub fn watch<T>(self: &Arc<Self>, io: T) -> (Guarded<T>, Arc<Phase>) {
        let phase = Arc::new(Phase {
            state: AtomicU8::new(HEAD),
            cut: AtomicU8::new(NOT_CUT),
            waiting_for_client: AtomicBool::new(false),
            since_ms: AtomicU64::new(self.now()),
            write_stalled_ms: AtomicU64::new(NOT_STALLED),
            waker: Mutex::new(None),
        });
        self.lock().push(Arc::downgrade(&phase));
        let guarded = Guarded {
            io,
            phase: phase.clone(),
            connections: self.clone(),
        };
        (guarded, phase)
    }

    /// Advances the clock and cuts late heads and stalled writes, forever (aborted when serving ends).
    pub async fn run(self: Arc<Self>) {
        let mut ticks = tokio::time::interval(self.tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let now = millis(self.origin.elapsed());
            self.now_ms.store(now, Relaxed);
            self.sweep(now);
        }
    }

    fn now(&self) -> u64 {
        self.now_ms.load(Relaxed)
    }

    /// Forgets closed connections; cuts those whose head or stalled write is older than its limit at `now_ms`.
    fn sweep(&self, now_ms: u64) {
        // Starts are read from the coarse clock, up to one tick early: allow that tick.
        let tick_ms = millis(self.tick);
        let head_late_after = self.head_limit_ms.saturating_add(tick_ms);
        let write_late_after = self.write_limit_ms.saturating_add(tick_ms);
        self.lock().retain(|connection| {
            let Some(phase) = connection.upgrade() else {
                return false;
            };
            if phase.state.load(Relaxed) == HEAD
                && now_ms.saturating_sub(phase.since_ms.load(Relaxed)) > head_late_after
            {
                phase.cut(HEAD_LATE);
            }
            let stalled = phase.write_stalled_ms.load(Relaxed);
            if stalled != NOT_STALLED && now_ms.saturating_sub(stalled) > write_late_after {
                phase.cut(WRITE_STALLED);
            }
            true
        });
    }

    /// Closes the connection that has not been running a request for the longest time, to free a slot for
    /// one that is waiting. `None` when every connection is mid-request (or already being closed).
    pub fn evict_oldest_idle(&self) -> Option<Weak<Phase>> {
        let connections = self.lock();
        let oldest = connections
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|phase| phase.is_evictable())
            .min_by_key(|phase| phase.since_ms.load(Relaxed))?;
        drop(connections);
        // If its client sent a request in between, that request is lost as in any keep-alive close race (the
        // window is one read); a connection already cut by a deadline in between is closing all the same.
        oldest.cut(EVICTED);
        Some(Arc::downgrade(&oldest))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Weak<Phase>>> {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A connection's stream: reads start the head deadline, writes the write deadline; both fail once the
/// connection is cut.
#[derive(Debug)]
pub struct Guarded<T> {
    io: T,
    phase: Arc<Phase>,
    connections: Arc<Connections>,
}

fn cut_error(reason: u8) -> io::Error {
    match reason {
        HEAD_LATE => io::Error::new(
            io::ErrorKind::TimedOut,
            "request head not received within HEADER_READ_TIMEOUT",
        ),
        WRITE_STALLED => io::Error::new(
            io::ErrorKind::TimedOut,
            "response not accepted by the client within WRITE_TIMEOUT",
        ),
        _ => io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "idle connection closed to admit a new one (MAX_CONNECTIONS)",
        ),
    }
}

impl<T> Guarded<T> {
    /// `Err` once the connection is cut.
    fn check(&self) -> io::Result<()> {
        match self.phase.cut_reason() {
            NOT_CUT => Ok(()),
            reason => Err(cut_error(reason)),
        }
    }

    /// After a write or flush attempt: a stall starts the write deadline, progress ends it.
    fn wrote<R>(&self, cx: &Context<'_>, result: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        let phase = &self.phase;
        match result {
            Poll::Pending => {
                if phase.write_stalled_ms.load(Relaxed) == NOT_STALLED {
                    phase
                        .write_stalled_ms
                        .store(self.connections.now(), Relaxed);
                }
                // The sweeper marks before it takes the waker: checking again after storing it cannot miss
                // a cut.
                phase.register(cx.waker());
                if let Err(e) = self.check() {
                    return Poll::Ready(Err(e));
                }
                Poll::Pending
            }
            Poll::Ready(Ok(r)) => {
                if phase.write_stalled_ms.load(Relaxed) != NOT_STALLED {
                    phase.write_stalled_ms.store(NOT_STALLED, Relaxed);
                }
                Poll::Ready(Ok(r))
            }
            ready => ready,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check()?;
        let phase = &this.phase;
        let filled = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        match read {
            Poll::Ready(_) => {
                if phase.waiting_for_client.load(Relaxed) {
                    phase.waiting_for_client.store(false, Relaxed);
                }
                // The first bytes after a response start the next head.
                if buf.filled().len() > filled && phase.state.load(Relaxed) == IDLE {
                    phase.since_ms.store(this.connections.now(), Relaxed);
                    phase.state.store(HEAD, Relaxed);
                }
            }
            // Nothing to read, in any phase: the connection waits for its client, and must be wakeable to be
            // cut by a deadline or evicted. Mid-request too: hyper reads while the handler runs (to see the
            // client leave) and, when that read pends, may not read again after the response until the
            // socket wakes it (its `read_blocked`); without this mark such a connection, idle once flushed,
            // could never be evicted. It is evictable only once idle; a late body is BODY_READ_TIMEOUT's.
            Poll::Pending => {
                phase.register(cx.waker());
                phase.waiting_for_client.store(true, Relaxed);
                this.check()?;
            }
        }
        read
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        let written = Pin::new(&mut this.io).poll_write(cx, buf);
        this.wrote(cx, written)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        let written = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.wrote(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let flushed = Pin::new(&mut this.io).poll_flush(cx);
        // hyper flushes the stream only once its own buffer is written out: a response that was being
        // written is now all with the kernel, and the connection is idle.
        if let Poll::Ready(Ok(())) = flushed {
            let phase = &this.phase;
            if phase.state.load(Relaxed) == WRITING {
                phase.since_ms.store(this.connections.now(), Relaxed);
                phase.state.store(IDLE, Relaxed);
            }
        }
        this.wrote(cx, flushed)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
