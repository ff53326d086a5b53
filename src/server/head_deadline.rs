//! HEADER_READ_TIMEOUT, kept apart from the keep-alive idle timeout.
//!
//! hyper has one timer for both: `header_read_timeout` starts when it waits for a request head, so on a
//! keep-alive connection it is also the idle timeout. A short one (slow clients) makes a proxy that pools
//! connections (ingress-nginx, cloud load balancers: 60 s) reuse connections the app is closing, and a POST
//! fails with a 502; a long one lets a client take that long to send a head. So hyper's timer is
//! IDLE_TIMEOUT, and this module bounds each head from its first byte (a new connection from its accept).
//!
//! No timer per request: a request costs two relaxed stores. A sweeper task keeps a coarse clock and, on
//! each tick, marks the connections whose head is late and wakes them; their next read fails.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Between requests, before any byte of the next head.
const IDLE: u8 = 0;
/// Reading a head: its deadline runs.
const HEAD: u8 = 1;
/// The head was parsed; the request is being served (its body is REQUEST_TIMEOUT's business).
const SERVING: u8 = 2;
/// The head was late: the next read fails.
const EXPIRED: u8 = 3;

/// One connection's phase, shared by its reader, its service and the sweeper.
#[derive(Debug)]
pub struct Phase {
    state: AtomicU8,
    /// Coarse-clock milliseconds when the head started.
    head_started_ms: AtomicU64,
    /// Set only while a head is pending, so the sweeper can wake the connection.
    waker: Mutex<Option<Waker>>,
}

impl Phase {
    /// The service got a parsed head.
    pub fn serving(&self) {
        self.state.store(SERVING, Relaxed);
    }

    /// The service produced its response: the next byte starts a new head.
    pub fn idle(&self) {
        self.state.store(IDLE, Relaxed);
    }

    fn expired(&self) -> bool {
        self.state.load(Relaxed) == EXPIRED
    }
}

/// The connections' head deadlines and the coarse clock they are checked against.
#[derive(Debug)]
pub struct HeadDeadlines {
    limit_ms: u64,
    tick: Duration,
    origin: Instant,
    now_ms: AtomicU64,
    connections: Mutex<Vec<Weak<Phase>>>,
}

impl HeadDeadlines {
    pub fn new(limit: Duration) -> Arc<Self> {
        Arc::new(Self {
            limit_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
            // A tenth of the limit: heads are cut between the limit and 1.2× it.
            tick: (limit / 10).clamp(Duration::from_millis(10), Duration::from_secs(1)),
            origin: Instant::now(),
            now_ms: AtomicU64::new(0),
            connections: Mutex::new(Vec::new()),
        })
    }

    /// A new connection: its first head must arrive within the limit of its accept.
    pub fn watch<T>(self: &Arc<Self>, io: T) -> (HeadGuarded<T>, Arc<Phase>) {
        let phase = Arc::new(Phase {
            state: AtomicU8::new(HEAD),
            head_started_ms: AtomicU64::new(self.now_ms.load(Relaxed)),
            waker: Mutex::new(None),
        });
        self.lock().push(Arc::downgrade(&phase));
        let guarded = HeadGuarded {
            io,
            phase: phase.clone(),
            deadlines: self.clone(),
        };
        (guarded, phase)
    }

    /// Advances the clock and cuts late heads, forever (the task is aborted when serving ends).
    pub async fn run(self: Arc<Self>) {
        let mut ticks = tokio::time::interval(self.tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.now_ms.store(now, Relaxed);
            self.sweep(now);
        }
    }

    /// Forgets closed connections; marks and wakes those whose head started too long before `now_ms`.
    fn sweep(&self, now_ms: u64) {
        // A head's start is read from the coarse clock, up to one tick early: allow that tick.
        let tick_ms = u64::try_from(self.tick.as_millis()).unwrap_or(u64::MAX);
        let late_after = self.limit_ms.saturating_add(tick_ms);
        self.lock().retain(|connection| {
            let Some(phase) = connection.upgrade() else {
                return false;
            };
            let started = phase.head_started_ms.load(Relaxed);
            if now_ms.saturating_sub(started) > late_after
                && phase
                    .state
                    .compare_exchange(HEAD, EXPIRED, Relaxed, Relaxed)
                    .is_ok()
            {
                let waker = phase
                    .waker
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
            true
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Weak<Phase>>> {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A connection's stream: reads start the head deadline, and fail once it has passed.
#[derive(Debug)]
pub struct HeadGuarded<T> {
    io: T,
    phase: Arc<Phase>,
    deadlines: Arc<HeadDeadlines>,
}

impl<T> HeadGuarded<T> {
    fn late() -> io::Error {
        io::Error::new(
            io::ErrorKind::TimedOut,
            "request head not received within HEADER_READ_TIMEOUT",
        )
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for HeadGuarded<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let phase = &this.phase;
        if phase.expired() {
            return Poll::Ready(Err(Self::late()));
        }
        let filled = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        match read {
            // The first bytes after a response start the next head.
            Poll::Ready(Ok(()))
                if buf.filled().len() > filled && phase.state.load(Relaxed) == IDLE =>
            {
                phase
                    .head_started_ms
                    .store(this.deadlines.now_ms.load(Relaxed), Relaxed);
                phase.state.store(HEAD, Relaxed);
            }
            Poll::Pending if phase.state.load(Relaxed) == HEAD => {
                // Only a head still incomplete after a read registers its waker (slow clients, rarely
                // anyone else). The sweeper marks before it takes the waker: checking again after storing
                // it cannot miss a mark.
                {
                    let mut waker = phase.waker.lock().unwrap_or_else(PoisonError::into_inner);
                    if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        *waker = Some(cx.waker().clone());
                    }
                }
                if phase.expired() {
                    return Poll::Ready(Err(Self::late()));
                }
            }
            _ => {}
        }
        read
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for HeadGuarded<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn deadlines() -> Arc<HeadDeadlines> {
        HeadDeadlines::new(Duration::from_secs(1))
    }

    #[test]
    fn a_new_connection_is_cut_once_its_first_head_is_late() {
        let deadlines = deadlines();
        let (_io, phase) = deadlines.watch(());
        deadlines.sweep(1_000);
        assert!(!phase.expired(), "cut before the limit and its tick");
        deadlines.sweep(1_101);
        assert!(phase.expired());
    }

    #[test]
    fn idle_and_serving_connections_are_never_cut() {
        let deadlines = deadlines();
        let (_a, idle) = deadlines.watch(());
        let (_b, serving) = deadlines.watch(());
        idle.idle();
        serving.serving();
        deadlines.sweep(3_600_000);
        assert!(!idle.expired() && !serving.expired());
    }

    #[test]
    fn closed_connections_are_forgotten() {
        let deadlines = deadlines();
        let (io, phase) = deadlines.watch(());
        let _kept = deadlines.watch(());
        drop((io, phase));
        deadlines.sweep(0);
        assert_eq!(deadlines.lock().len(), 1);
    }

    #[tokio::test]
    async fn bytes_after_a_response_start_the_next_head_and_a_late_head_fails_the_read() {
        let deadlines = deadlines();
        let (client, server) = tokio::io::duplex(64);
        let (mut guarded, phase) = deadlines.watch(server);
        phase.idle();
        deadlines.now_ms.store(5_000, Relaxed);
        let (_client_read, mut client_write) = tokio::io::split(client);
        client_write.write_all(b"GET").await.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(guarded.read(&mut buf).await.unwrap(), 3);
        deadlines.sweep(5_000);
        assert!(!phase.expired(), "started at the clock of its first byte");
        // The read waits for the rest of the head; the sweep that finds it late wakes it with an error.
        let pending = tokio::spawn(async move { guarded.read(&mut buf).await });
        tokio::task::yield_now().await;
        deadlines.sweep(6_101);
        let error = pending.await.unwrap().unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }
}
