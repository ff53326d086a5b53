use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn connections() -> Arc<Connections> {
    Connections::new(Deadlines {
        head: Duration::from_secs(1),
        write: Duration::from_secs(2),
    })
}

/// A connection over an in-memory pipe: the list, the client's end, the watched server end and its phase.
fn watched_duplex() -> (
    Arc<Connections>,
    tokio::io::DuplexStream,
    Guarded<tokio::io::DuplexStream>,
    Arc<Phase>,
) {
    let connections = connections();
    let (client, server) = tokio::io::duplex(64);
    let (guarded, phase) = connections.watch(server);
    (connections, client, guarded, phase)
}

fn idle_at(connections: &Connections, phase: &Phase, now_ms: u64) {
    connections.now_ms.store(now_ms, Relaxed);
    phase.serving();
    phase.responded();
    phase.since_ms.store(now_ms, Relaxed);
    phase.state.store(IDLE, Relaxed);
    phase.waiting_for_client.store(true, Relaxed);
}

#[test]
fn a_new_connection_is_cut_once_its_first_head_is_late() {
    let connections = connections();
    let (io, phase) = connections.watch(());
    connections.sweep(1_000);
    assert!(io.check().is_ok(), "cut before the limit and its tick");
    connections.sweep(1_101);
    assert_eq!(
        io.check().unwrap_err().kind(),
        io::ErrorKind::TimedOut,
        "{:?}",
        phase
    );
}

#[test]
fn idle_and_serving_connections_are_never_cut_by_the_head_deadline() {
    let connections = connections();
    let (a, idle) = connections.watch(());
    let (b, serving) = connections.watch(());
    idle_at(&connections, &idle, 0);
    serving.serving();
    connections.sweep(3_600_000);
    assert!(a.check().is_ok() && b.check().is_ok());
}

#[test]
fn closed_connections_are_forgotten() {
    let connections = connections();
    let (io, phase) = connections.watch(());
    let _kept = connections.watch(());
    drop((io, phase));
    connections.sweep(0);
    assert_eq!(connections.lock().len(), 1);
}

#[test]
fn a_write_stalled_beyond_its_limit_is_cut_and_progress_resets_it() {
    let connections = connections();
    let (io, phase) = connections.watch(());
    phase.serving();
    phase.responded();
    let cx = Context::from_waker(Waker::noop());
    // Stalls at 1 s, progresses at 2.5 s, stalls again at 3 s: the deadline counts from 3 s.
    connections.now_ms.store(1_000, Relaxed);
    assert!(io.wrote::<usize>(&cx, Poll::Pending).is_pending());
    connections.now_ms.store(2_500, Relaxed);
    assert!(matches!(
        io.wrote(&cx, Poll::Ready(Ok(1))),
        Poll::Ready(Ok(1))
    ));
    connections.now_ms.store(3_000, Relaxed);
    assert!(io.wrote::<usize>(&cx, Poll::Pending).is_pending());
    connections.now_ms.store(4_000, Relaxed);
    assert!(io.wrote::<usize>(&cx, Poll::Pending).is_pending());
    connections.sweep(5_100);
    assert!(io.check().is_ok(), "cut before the limit and its tick");
    connections.sweep(5_101);
    let error = io.check().unwrap_err();
    assert!(error.to_string().contains("WRITE_TIMEOUT"), "{error}");
    // And a pending write sees it at once.
    assert!(matches!(
        io.wrote::<usize>(&cx, Poll::Pending),
        Poll::Ready(Err(_))
    ));
}

#[test]
fn eviction_takes_the_longest_idle_connection_and_never_one_mid_request() {
    let connections = connections();
    let (serving_io, serving) = connections.watch(());
    let (writing_io, writing) = connections.watch(());
    let (recent_io, recent) = connections.watch(());
    let (oldest_io, oldest) = connections.watch(());
    let (head_io, head) = connections.watch(()); // a new connection (HEAD since 0)
    let (unpolled_io, _unpolled) = connections.watch(()); // its head may be in the socket already
    head.waiting_for_client.store(true, Relaxed);
    serving.serving();
    writing.serving();
    writing.responded();
    idle_at(&connections, &oldest, 10);
    idle_at(&connections, &recent, 500);
    connections.now_ms.store(1_000, Relaxed);
    // The new connection has waited for its head since 0: it goes first, then the oldest idle one.
    let first = connections.evict_oldest_idle().unwrap();
    assert!(head_io.check().is_err() && first.upgrade().is_some());
    connections.evict_oldest_idle().unwrap();
    assert!(oldest_io.check().is_err());
    assert!(recent_io.check().is_ok());
    connections.evict_oldest_idle().unwrap();
    assert!(recent_io.check().is_err());
    // Only connections mid-request, or not yet read from, are left: none is taken.
    assert!(connections.evict_oldest_idle().is_none());
    assert!(serving_io.check().is_ok() && writing_io.check().is_ok());
    assert!(unpolled_io.check().is_ok());
}

#[tokio::test]
async fn bytes_after_a_response_start_the_next_head_and_a_late_head_fails_the_read() {
    let (connections, client, mut guarded, phase) = watched_duplex();
    idle_at(&connections, &phase, 5_000);
    let (_client_read, mut client_write) = tokio::io::split(client);
    client_write.write_all(b"GET").await.unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(guarded.read(&mut buf).await.unwrap(), 3);
    connections.sweep(5_000);
    assert!(
        guarded.check().is_ok(),
        "started at the clock of its first byte"
    );
    // The read waits for the rest of the head; the sweep that finds it late wakes it with an error.
    let pending = tokio::spawn(async move { guarded.read(&mut buf).await });
    tokio::task::yield_now().await;
    connections.sweep(6_101);
    let error = pending.await.unwrap().unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::TimedOut);
}

#[tokio::test]
async fn an_idle_connection_waiting_for_its_next_request_is_woken_when_evicted() {
    let (connections, _client, mut guarded, phase) = watched_duplex();
    idle_at(&connections, &phase, 0);
    let pending = tokio::spawn(async move {
        let mut buf = [0u8; 16];
        guarded.read(&mut buf).await
    });
    tokio::task::yield_now().await;
    assert!(connections.evict_oldest_idle().is_some());
    let error = pending.await.unwrap().unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionAborted);
}

#[tokio::test]
async fn a_flushed_response_makes_the_connection_idle() {
    let (_connections, _client, mut guarded, phase) = watched_duplex();
    phase.serving();
    phase.responded();
    guarded.write_all(b"HTTP/1.1 200 OK\r\n").await.unwrap();
    assert!(!phase.is_evictable(), "still writing");
    guarded.flush().await.unwrap();
    assert_eq!(phase.state.load(Relaxed), IDLE);
    assert!(
        !phase.is_evictable(),
        "not known to wait for the client yet"
    );
    // Its next read finds nothing: now it waits for the client.
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_millis(50), guarded.read(&mut buf)).await;
    assert!(read.is_err(), "no bytes to read");
    assert!(phase.is_evictable());
}

/// Counts its wakes.
struct CountingWaker(std::sync::atomic::AtomicUsize);

impl std::task::Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Relaxed);
    }
}

#[tokio::test]
async fn a_read_that_waited_mid_request_counts_once_the_response_is_flushed() {
    // hyper's order for a handler that awaits: the head is read, a read to see the client leave pends
    // while the handler runs, the response is written and flushed, and hyper does not read again.
    let (connections, _client, mut guarded, phase) = watched_duplex();
    phase.serving();
    let wakes = Arc::new(CountingWaker(std::sync::atomic::AtomicUsize::new(0)));
    let waker = Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let mut buf = [0u8; 16];
    let mut read_buf = ReadBuf::new(&mut buf);
    assert!(
        Pin::new(&mut guarded)
            .poll_read(&mut cx, &mut read_buf)
            .is_pending()
    );
    assert!(!phase.is_evictable(), "mid-request");
    phase.responded();
    guarded.write_all(b"HTTP/1.1 200 OK\r\n").await.unwrap();
    guarded.flush().await.unwrap();
    assert!(phase.is_evictable());
    // The eviction wakes the read that hyper left pending, and that read fails.
    assert!(connections.evict_oldest_idle().is_some());
    assert_eq!(wakes.0.load(Relaxed), 1);
    let mut read_buf = ReadBuf::new(&mut buf);
    let Poll::Ready(Err(error)) = Pin::new(&mut guarded).poll_read(&mut cx, &mut read_buf) else {
        panic!("the evicted connection's read did not fail");
    };
    assert_eq!(error.kind(), io::ErrorKind::ConnectionAborted);
}
