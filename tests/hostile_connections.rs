//! Clients that try to take the service down at the connection level (issue 13, rows 2 and 3): pipelining
//! without reading, and holding every MAX_CONNECTIONS slot with idle or silent connections. Each test asserts
//! what a legitimate client sees during the attack.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{App, BIN, free_port, wait_for};

/// A static asset of 10 KB, cheap to serve: 800 of them (8 MB) overflow the socket buffers on loopback
/// (the server's send buffer autotunes to 4 MB; the client's receive buffer stays small when it never reads).
const BIG: &[u8] = b"GET /assets/app.js HTTP/1.1\r\nHost: x\r\n\r\n";
const PIPELINED: usize = 800;

const POST_BODY: &str = r#"{"tamanho": 12}"#;

/// Connects and sends `PIPELINED` requests for a big response in one go, and never reads.
fn pipeline_without_reading(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(&BIG.repeat(PIPELINED)).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    stream
}

/// Whether the server has closed `stream`, found out without reading what it sent: once the server has closed
/// its end, the bytes written here are answered with a reset, and a later write fails.
fn disconnected_by_server(stream: &mut TcpStream) -> bool {
    for _ in 0..2 {
        match stream.write_all(b"\r\n") {
            Ok(_) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                return matches!(
                    e.kind(),
                    ErrorKind::BrokenPipe
                        | ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionAborted
                );
            }
        }
    }
    false
}

/// One request on a new connection that asks to be closed: the response, and how long it took from connecting.
fn on_new_connection(addr: SocketAddr, request: &str, deadline: Duration) -> (String, Duration) {
    let start = Instant::now();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(deadline)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    (
        String::from_utf8_lossy(&response).into_owned(),
        start.elapsed(),
    )
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
}

fn post_gerar_senha() -> String {
    format!(
        "POST /api/gerar-senha HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{POST_BODY}",
        POST_BODY.len()
    )
}

/// Asserts that `request` on a new connection gets `status` within `deadline`; returns the response.
fn answered(
    app: &App,
    addr: SocketAddr,
    request: &str,
    status: &str,
    deadline: Duration,
) -> String {
    let (response, took) = on_new_connection(addr, request, deadline + Duration::from_secs(5));
    assert!(
        response.starts_with(&format!("HTTP/1.1 {status}")),
        "expected {status}, got {response:?} after {took:?}"
    );
    assert!(took <= deadline, "answered only after {took:?}");
    eprintln!(
        "{} answered in {took:?}",
        request.lines().next().unwrap_or("")
    );
    // The password of a POST, for the log scan at the end.
    if let Some(password) = response
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str::<serde_json::Value>(body).ok())
        .and_then(|body| body["senha"].as_str().map(str::to_owned))
    {
        app.saw_password(&password);
    }
    response
}

/// A metric's value (`name` with its labels), read on a new connection.
fn metric(addr: SocketAddr, name: &str) -> f64 {
    let (response, _) = on_new_connection(addr, &get("/metrics"), Duration::from_secs(15));
    response
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {response}"))
}

/// `GET /healthz` on a kept-alive connection, reading exactly its response.
fn healthz_kept_alive(stream: &mut TcpStream) {
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "closed mid-response");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .expect("content-length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
}

/// Whether the server closed `stream` (EOF pending), without blocking.
fn sees_eof(stream: &TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let eof = match stream.peek(&mut byte) {
        Ok(n) => n == 0,
        Err(e) => e.kind() == ErrorKind::ConnectionReset,
    };
    stream.set_nonblocking(false).unwrap();
    eof
}

/// How many bytes wait in `stream`'s receive buffer (up to 256 KiB), without blocking.
fn unread_bytes(stream: &TcpStream) -> usize {
    stream.set_nonblocking(true).unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    let n = stream.peek(&mut buf).unwrap_or(0);
    stream.set_nonblocking(false).unwrap();
    n
}

#[test]
fn a_pipelining_client_that_never_reads_is_disconnected_after_write_timeout() {
    let app = App::start(&[("WRITE_TIMEOUT", "2s")]);
    let started = Instant::now();
    let mut greedy = pipeline_without_reading(app.addr);
    // Ordinary clients are served while it stalls.
    for _ in 0..3 {
        answered(
            &app,
            app.addr,
            &get("/healthz"),
            "200",
            Duration::from_secs(2),
        );
        answered(
            &app,
            app.addr,
            &post_gerar_senha(),
            "200",
            Duration::from_secs(2),
        );
    }
    // Cut between 2 s and 2.4 s (a tick); the margin is for a loaded machine.
    wait_for(
        "the non-reader to be disconnected",
        Duration::from_secs(10),
        || disconnected_by_server(&mut greedy),
    );
    eprintln!(
        "non-reader disconnected {:?} after it sent its requests",
        started.elapsed()
    );
    assert!(
        started.elapsed() >= Duration::from_millis(1_500),
        "cut before WRITE_TIMEOUT: {:?}",
        started.elapsed()
    );
}

#[test]
fn non_readers_holding_every_connection_do_not_lock_new_clients_out_for_long() {
    let app = App::start(&[("WRITE_TIMEOUT", "2s"), ("MAX_CONNECTIONS", "20")]);
    let _greedy: Vec<TcpStream> = (0..20)
        .map(|_| pipeline_without_reading(app.addr))
        .collect();
    // The stalled writers are mid-request (never evicted): the new connection waits for WRITE_TIMEOUT to free
    // their slots, then is served. Deadline: 2 s + a tick + a generous margin.
    answered(
        &app,
        app.addr,
        &get("/healthz"),
        "200",
        Duration::from_secs(10),
    );
}

/// With every slot held by `held`, `/healthz` and a POST on new connections answer within 2 s, each by
/// evicting one held connection at most (one that closed first leaves its slot to the next); returns how many
/// were evicted, once they have all seen their end.
fn new_connections_get_through(app: &App, held: &[TcpStream]) -> usize {
    answered(
        app,
        app.addr,
        &get("/healthz"),
        "200",
        Duration::from_secs(2),
    );
    answered(
        app,
        app.addr,
        &post_gerar_senha(),
        "200",
        Duration::from_secs(2),
    );
    let evicted = metric(app.addr, "giropops_connections_evicted_total");
    assert!((1.0..=3.0).contains(&evicted), "{evicted} evictions");
    let evicted = evicted as usize;
    wait_for(
        "the evicted connections to see their end",
        Duration::from_secs(10),
        || held.iter().filter(|s| sees_eof(s)).count() >= evicted,
    );
    evicted
}

#[test]
fn idle_keep_alive_connections_make_room_for_new_ones_oldest_first() {
    let app = App::start(&[("MAX_CONNECTIONS", "50")]);
    let idle: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut stream = TcpStream::connect(app.addr).unwrap();
            healthz_kept_alive(&mut stream);
            stream
        })
        .collect();
    let evicted = new_connections_get_through(&app, &idle);
    // Exactly those, and the oldest ones.
    let closed: Vec<bool> = idle.iter().map(sees_eof).collect();
    assert_eq!(closed.iter().filter(|c| **c).count(), evicted, "{closed:?}");
    assert!(closed[..evicted].iter().all(|c| *c), "{closed:?}");
}

#[test]
fn silent_and_half_sent_heads_make_room_for_new_connections() {
    // A long head deadline: only eviction can free these slots during the test.
    let app = App::start(&[("MAX_CONNECTIONS", "50"), ("HEADER_READ_TIMEOUT", "60s")]);
    let held: Vec<TcpStream> = (0..50)
        .map(|i| {
            let mut stream = TcpStream::connect(app.addr).unwrap();
            if i % 2 == 1 {
                stream.write_all(b"GET /healthz HTTP/1.1\r\nHo").unwrap();
            }
            stream
        })
        .collect();
    let evicted = new_connections_get_through(&app, &held);
    assert_eq!(held.iter().filter(|s| sees_eof(s)).count(), evicted);
}

#[test]
fn the_probe_port_answers_while_every_main_connection_is_mid_request() {
    let probe_port = free_port();
    let app = App::start(&[
        ("MAX_CONNECTIONS", "10"),
        ("WRITE_TIMEOUT", "30s"),
        ("PROBE_PORT", &probe_port.to_string()),
    ]);
    let probes = SocketAddr::new(app.addr.ip(), probe_port);
    answered(&app, probes, &get("/readyz"), "200", Duration::from_secs(2));
    // Ten stalled writers hold every slot of the main port and cannot be evicted; one more connection waits.
    let greedy: Vec<TcpStream> = (0..10)
        .map(|_| pipeline_without_reading(app.addr))
        .collect();
    // Only once they are writing: a connection whose first head is not parsed yet may be evicted.
    wait_for(
        "the greedy clients' receive buffers to fill up",
        Duration::from_secs(30),
        || greedy.iter().all(|s| unread_bytes(s) >= 64 * 1024),
    );
    let mut waiting = TcpStream::connect(app.addr).unwrap();
    waiting.write_all(get("/healthz").as_bytes()).unwrap();

    answered(
        &app,
        probes,
        &get("/healthz"),
        "200",
        Duration::from_secs(2),
    );
    answered(
        &app,
        probes,
        &get("/metrics"),
        "200",
        Duration::from_secs(2),
    );
    // Readiness tells the truth: the main port cannot admit a connection.
    wait_for(
        "readiness to report the main port full",
        Duration::from_secs(15),
        || {
            on_new_connection(probes, &get("/readyz"), Duration::from_secs(5))
                .0
                .starts_with("HTTP/1.1 503")
        },
    );
    let response = answered(&app, probes, &get("/readyz"), "503", Duration::from_secs(2));
    assert!(response.contains("MAX_CONNECTIONS"), "{response}");
    // Only the probe routes.
    for path in ["/", "/api/senhas", "/api/openapi.json"] {
        answered(&app, probes, &get(path), "404", Duration::from_secs(2));
    }
    answered(
        &app,
        probes,
        &post_gerar_senha(),
        "404",
        Duration::from_secs(2),
    );
    // The image's HEALTHCHECK probes the probe port when it is set.
    let status = Command::new(BIN)
        .arg("healthcheck")
        .env_clear()
        .env("BIND", "127.0.0.1")
        .env("PORT", app.addr.port().to_string())
        .env("PROBE_PORT", probe_port.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "healthcheck failed: {status}");
    // Once the stalled clients go, the main port admits again and readiness follows.
    drop(greedy);
    let mut response = String::new();
    waiting
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let _ = waiting.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response:?}");
    wait_for("readiness to recover", Duration::from_secs(15), || {
        on_new_connection(probes, &get("/readyz"), Duration::from_secs(5))
            .0
            .starts_with("HTTP/1.1 200")
    });
}

#[test]
fn the_probe_port_reports_the_shutdown_and_stops_with_the_app() {
    let probe_port = free_port();
    let mut app = App::start(&[
        ("PROBE_PORT", &probe_port.to_string()),
        ("SHUTDOWN_DELAY", "2s"),
    ]);
    let probes = SocketAddr::new(app.addr.ip(), probe_port);
    answered(&app, probes, &get("/readyz"), "200", Duration::from_secs(2));
    app.signal("TERM");
    wait_for(
        "the probe port's readiness to turn 503",
        Duration::from_secs(10),
        || {
            on_new_connection(probes, &get("/readyz"), Duration::from_secs(5))
                .0
                .starts_with("HTTP/1.1 503")
        },
    );
    answered(
        &app,
        probes,
        &get("/healthz"),
        "200",
        Duration::from_secs(2),
    );
    assert_eq!(app.wait_exit(Duration::from_secs(30)), Some(0));
    assert!(
        TcpStream::connect(probes).is_err(),
        "the probe port still accepts connections"
    );
}
