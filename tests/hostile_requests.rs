//! Hostile request bodies and heads (issue 13, rows 1, 6 and 9): a trickling body holds no concurrency slot and
//! ends in 408; a declared body over the limit is 413 at once, without `100 Continue`; an HTTP/1.1 request needs
//! exactly one `Host`. Raw sockets, so the test controls every byte and sees exactly what the server sends.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{App, wait_for_async};

const STALLED_HEAD: &[u8] = b"POST /api/gerar-senha HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";

/// Opens a connection and sends `bytes` on it.
fn send(app: &App, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(app.addr).unwrap();
    stream.write_all(bytes).unwrap();
    stream
}

/// What the server sent until it closed the connection (`closed`), or until `deadline` passed with the
/// connection still open; and how long that took.
struct Answer {
    text: String,
    closed: bool,
    elapsed: Duration,
}

impl Answer {
    fn status_line(&self) -> &str {
        self.text.lines().next().unwrap_or("")
    }

    fn has_header(&self, line: &str) -> bool {
        self.text
            .split("\r\n\r\n")
            .next()
            .unwrap_or("")
            .lines()
            .any(|l| l.eq_ignore_ascii_case(line))
    }
}

fn read_until_closed(stream: &mut TcpStream, deadline: Duration) -> Answer {
    let start = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        let Some(left) = deadline
            .checked_sub(start.elapsed())
            .filter(|d| !d.is_zero())
        else {
            break false;
        };
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    Answer {
        text: String::from_utf8_lossy(&received).into_owned(),
        closed,
        elapsed: start.elapsed(),
    }
}

/// The first bytes the server sends (at least a status line), within `deadline`.
fn first_line(stream: &mut TcpStream, deadline: Duration) -> String {
    stream.set_read_timeout(Some(deadline)).unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 256];
    while !received.windows(2).any(|w| w == b"\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&received)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

/// A client that opens a new connection for every request.
fn fresh_connections() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[tokio::test]
async fn bodies_that_never_come_hold_no_concurrency_slot() {
    // Defaults: MAX_CONCURRENCY 256, BODY_READ_TIMEOUT and REQUEST_TIMEOUT 10 s.
    let app = App::start(&[]);
    // 300 clients send the head of a POST and never its body; they stay open for the whole test.
    let attackers: Vec<TcpStream> = (0..300).map(|_| send(&app, STALLED_HEAD)).collect();
    // Every head has reached the server: each request is in flight (less the scrape itself) or was refused.
    let refused = r#"http_requests_total{method="POST",route="/api/gerar-senha",status="503"}"#;
    wait_for_async(
        "the server to have the 300 heads",
        Duration::from_secs(20),
        || async {
            app.metric("http_requests_in_flight").await - 1.0 + app.metric(refused).await >= 300.0
        },
    )
    .await;
    let attack_began = Instant::now();
    let client = fresh_connections();
    let mut slowest = Duration::ZERO;
    for i in 0..10 {
        let start = Instant::now();
        let response = tokio::time::timeout(
            Duration::from_secs(1),
            client
                .post(app.url("/api/gerar-senha"))
                .json(&serde_json::json!({"tamanho": 16}))
                .send(),
        )
        .await
        .unwrap_or_else(|_| panic!("request {i} got no answer within 1 s during the attack"))
        .unwrap();
        let (status, body) = app.json_response(response).await;
        assert_eq!(status, 200, "request {i} during the attack: {body}");
        slowest = slowest.max(start.elapsed());
    }
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200, "{body}");
    // The attack was still on: the bodies' deadline (10 s) has not passed, their sockets are open.
    assert!(attack_began.elapsed() < Duration::from_secs(9));
    eprintln!("figures: 10 POSTs with 300 stalled bodies open, slowest {slowest:?}");
    drop(attackers);
}

#[tokio::test]
async fn a_stalled_body_ends_in_408_and_a_closed_connection() {
    let app = App::start(&[("BODY_READ_TIMEOUT", "2s")]);
    let chunked = b"POST /api/gerar-senha HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"tam\r\n";
    let mut partial = STALLED_HEAD.to_vec();
    partial.extend_from_slice(b"{\"tamanho\"");
    for (name, request) in [
        ("declared body, 10 of 100 bytes sent", partial),
        ("chunked body that stops", chunked.to_vec()),
    ] {
        let mut stream = send(&app, &request);
        let answer = read_until_closed(&mut stream, Duration::from_secs(20));
        assert!(
            answer.status_line().starts_with("HTTP/1.1 408"),
            "{name}: {}",
            answer.text
        );
        assert!(
            answer.text.contains("\"body_timeout\""),
            "{name}: {}",
            answer.text
        );
        assert!(
            answer.has_header("connection: close"),
            "{name}: {}",
            answer.text
        );
        assert!(answer.closed, "{name}: connection left open");
        // Not before the deadline; the upper bound is generous for a loaded machine.
        assert!(
            answer.elapsed >= Duration::from_millis(1_900)
                && answer.elapsed < Duration::from_secs(8),
            "{name}: answered after {:?}",
            answer.elapsed
        );
        eprintln!("figures: {name}: 408 after {:?}", answer.elapsed);
    }
    let line = r#"http_requests_total{method="POST",route="/api/gerar-senha",status="408"}"#;
    assert_eq!(app.metric(line).await, 2.0, "{line}");
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_413_at_once() {
    let app = App::start(&[]);
    // Expect: 100-continue with 10 GB declared: the answer is the 413, never an invitation to send.
    let mut stream = send(
        &app,
        b"POST /api/gerar-senha HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\nExpect: 100-continue\r\n\r\n",
    );
    let first = first_line(&mut stream, Duration::from_secs(5));
    assert!(first.starts_with("HTTP/1.1 413"), "{first:?}");
    // 20,000 bytes declared, none sent: 413 at once (not a timeout after REQUEST_TIMEOUT), then closed.
    let mut stream = send(
        &app,
        b"POST /api/gerar-senha HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20000\r\n\r\n",
    );
    let answer = read_until_closed(&mut stream, Duration::from_secs(15));
    assert!(
        answer.status_line().starts_with("HTTP/1.1 413"),
        "{}",
        answer.text
    );
    assert!(
        answer.text.contains("\"payload_too_large\""),
        "{}",
        answer.text
    );
    assert!(answer.has_header("connection: close"), "{}", answer.text);
    assert!(answer.closed, "connection left open");
    assert!(
        answer.elapsed < Duration::from_secs(2),
        "answered after {:?}",
        answer.elapsed
    );
    eprintln!(
        "figures: 20,000 bytes declared, none sent: 413 after {:?}",
        answer.elapsed
    );
    // A chunked body has no declared length: it is 413 once it goes over 16 KiB.
    let mut chunked = b"POST /api/gerar-senha HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..5 {
        chunked.extend_from_slice(b"1000\r\n");
        chunked.extend(std::iter::repeat_n(b' ', 0x1000));
        chunked.extend_from_slice(b"\r\n");
    }
    let mut stream = send(&app, &chunked);
    let answer = read_until_closed(&mut stream, Duration::from_secs(15));
    assert!(
        answer.status_line().starts_with("HTTP/1.1 413"),
        "{}",
        answer.text
    );
    assert!(answer.closed, "connection left open");
    // The metrics see these answers like any other.
    let line = r#"http_requests_total{method="POST",route="/api/gerar-senha",status="413"}"#;
    assert!(app.metric(line).await >= 3.0, "{line}");
}

#[tokio::test]
async fn http11_needs_exactly_one_host_and_http10_needs_none() {
    let app = App::start(&[]);
    let json = "Content-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"tamanho\": 12}";
    let cases = [
        (
            "HTTP/1.1 without Host",
            "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n".to_owned(),
            "400",
        ),
        (
            "HTTP/1.1 POST without Host",
            format!("POST /api/gerar-senha HTTP/1.1\r\nConnection: close\r\n{json}"),
            "400",
        ),
        (
            "two Host headers",
            "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n".to_owned(),
            "400",
        ),
        (
            "HTTP/1.0 with two Host headers",
            "GET /healthz HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n".to_owned(),
            "400",
        ),
        // HAProxy's default httpchk and other HTTP/1.0 checkers send no Host.
        (
            "HTTP/1.0 without Host",
            "GET /healthz HTTP/1.0\r\n\r\n".to_owned(),
            "200",
        ),
        (
            "HTTP/1.0 POST without Host",
            format!("POST /api/gerar-senha HTTP/1.0\r\n{json}"),
            "200",
        ),
        (
            "HTTP/1.1 with one Host",
            "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".to_owned(),
            "200",
        ),
    ];
    for (name, request, expected) in cases {
        let mut stream = send(&app, request.as_bytes());
        let answer = read_until_closed(&mut stream, Duration::from_secs(15));
        assert!(
            // hyper answers an HTTP/1.0 request in HTTP/1.0.
            answer.status_line().split(' ').nth(1) == Some(expected),
            "{name}: {}",
            answer.text
        );
        if expected == "400" {
            assert!(
                answer.text.contains("\"invalid_host\""),
                "{name}: {}",
                answer.text
            );
        } else if request.starts_with("POST") {
            let body = answer.text.split("\r\n\r\n").nth(1).unwrap_or("");
            let password = serde_json::from_str::<serde_json::Value>(body).unwrap()["senha"]
                .as_str()
                .unwrap()
                .to_owned();
            app.saw_password(&password);
        }
    }
    let line = r#"http_requests_total{method="GET",route="/healthz",status="400"}"#;
    assert_eq!(app.metric(line).await, 3.0, "{line}");
}
