//! Faults, overload and hostile clients, each proven by running it for real against the binary on loopback.
//! Load loops are bounded in count and time; tests wait for conditions with generous deadlines and never
//! assert a speed.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{App, Redis, wait_for, wait_for_async};
use serde_json::json;

fn signal(pid: u32, name: &str) {
    assert!(
        Command::new("kill")
            .args([format!("-{name}"), pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
}

fn rss_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Background load on the legacy API: `workers` loops, each at most `max` requests, until `stop`.
struct Load {
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(app: &App, workers: usize, max: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let tasks = (0..workers)
            .map(|_| {
                let (client, url) = (app.client.clone(), app.url("/api/gerar-senha"));
                let (stop, sent, failed) = (stop.clone(), sent.clone(), failed.clone());
                tokio::spawn(async move {
                    for _ in 0..max {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let ok = client
                            .post(&url)
                            .json(&json!({"tamanho": 12, "incluir_numeros": true}))
                            .send()
                            .await
                            .is_ok_and(|r| r.status() == 200);
                        sent.fetch_add(1, Ordering::Relaxed);
                        if !ok {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        Self {
            stop,
            sent,
            failed,
            tasks,
        }
    }

    fn sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }

    async fn finish(self) -> (usize, usize) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.unwrap();
        }
        (
            self.sent.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

#[tokio::test]
async fn redis_killed_under_load_and_restarted() {
    let mut redis = Redis::start();
    let app = App::start(&[("REDIS_URL", &redis.url()), ("REDIS_TIMEOUT", "300ms")]);
    let load = Load::start(&app, 4, 20_000);
    wait_for_async("load to flow", Duration::from_secs(20), || async {
        load.sent() > 100
    })
    .await;

    redis.stop();
    wait_for_async(
        "readiness to report the outage",
        Duration::from_secs(20),
        || async { app.get_json("/readyz").await.0 == 503 },
    )
    .await;
    let during = load.sent();
    wait_for_async(
        "load to continue during the outage",
        Duration::from_secs(20),
        || async { load.sent() > during + 100 },
    )
    .await;

    redis.restart();
    wait_for_async(
        "readiness after Redis returns",
        Duration::from_secs(30),
        || async { app.get_json("/readyz").await.0 == 200 },
    )
    .await;
    wait_for_async(
        "the history to come back",
        Duration::from_secs(30),
        || async {
            let senha = app.generate(10, false, false).await;
            app.history().await.1.contains(&senha)
        },
    )
    .await;
    let (sent, failed) = load.finish().await;
    eprintln!("figures: redis killed and restarted under load: {sent} requests, {failed} failed");
    assert!(sent > 200, "{sent}");
    assert_eq!(failed, 0, "generations failed while Redis was down");
    assert_eq!(
        app.get_json("/healthz").await.0,
        200,
        "the same process served throughout"
    );
}

#[tokio::test]
async fn slow_redis_gets_degraded_answers_and_bounded_store_work() {
    let redis = Redis::start();
    let app = App::start(&[
        ("REDIS_URL", &redis.url()),
        ("REDIS_TIMEOUT", "1s"),
        ("REDIS_MAX_IN_FLIGHT", "4"),
    ]);
    app.generate(8, false, false).await;
    let pid = redis.pid().unwrap();
    signal(pid, "STOP");

    // 60 concurrent generations against a frozen Redis, while the store gauge is sampled.
    let sampling = Arc::new(AtomicBool::new(true));
    let peak = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (client, url, sampling, peak) = (
            app.client.clone(),
            app.url("/metrics"),
            sampling.clone(),
            peak.clone(),
        );
        tokio::spawn(async move {
            for _ in 0..2_000 {
                if !sampling.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(r) = client.get(&url).send().await
                    && let Ok(text) = r.text().await
                    && let Some(v) = text
                        .lines()
                        .find_map(|l| l.strip_prefix("giropops_store_operations_in_flight "))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                {
                    peak.fetch_max(v, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let requests: Vec<_> = (0..60)
        .map(|_| {
            let (client, url) = (app.client.clone(), app.url("/api/gerar-senha"));
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({"tamanho": 16}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    for r in requests {
        assert_eq!(
            r.await.unwrap().expect("answered"),
            200,
            "a degraded answer, not an error"
        );
    }
    sampling.store(false, Ordering::Relaxed);
    sampler.await.unwrap();
    eprintln!(
        "figures: frozen Redis, 60 concurrent generations: 60 answered 200, peak store operations in flight {}",
        peak.load(Ordering::Relaxed)
    );
    assert!(
        peak.load(Ordering::Relaxed) >= 1,
        "the sampler saw the store busy"
    );
    assert!(
        peak.load(Ordering::Relaxed) <= 4,
        "store operations in flight: {}",
        peak.load(Ordering::Relaxed)
    );
    assert!(
        app.metric("giropops_store_errors_total{operation=\"push\"}")
            .await
            >= 56.0
    );
    assert_eq!(
        app.get_json("/readyz").await.0,
        503,
        "a frozen Redis is not ready"
    );

    signal(pid, "CONT");
    wait_for_async(
        "the history after Redis resumes",
        Duration::from_secs(30),
        || async {
            let senha = app.generate(10, false, false).await;
            app.history().await.1.first() == Some(&senha)
        },
    )
    .await;
}

#[tokio::test]
async fn overload_gets_fast_503s_with_retry_after_and_recovers() {
    // A frozen Redis holds each admitted request for REDIS_TIMEOUT: two slots, twelve clients.
    let redis = Redis::start();
    let app = App::start(&[
        ("REDIS_URL", &redis.url()),
        ("REDIS_TIMEOUT", "3s"),
        ("MAX_CONCURRENCY", "2"),
    ]);
    app.generate(8, false, false).await;
    let pid = redis.pid().unwrap();
    signal(pid, "STOP");
    let rss_before = rss_kib(app.pid());
    let requests: Vec<_> = (0..12)
        .map(|_| {
            let (client, url) = (app.client.clone(), app.url("/api/gerar-senha"));
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .json(&json!({}))
                    .send()
                    .await
                    .expect("answered");
                let retry = r
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                let status = r.status().as_u16();
                let body: serde_json::Value = r.json().await.unwrap_or_default();
                (
                    status,
                    retry,
                    body["error"]["code"].as_str().unwrap_or("").to_owned(),
                )
            })
        })
        .collect();
    // Probes and metrics are never refused, even while every slot is taken.
    wait_for_async(
        "both slots to be taken",
        Duration::from_secs(10),
        || async { app.metric("http_requests_in_flight").await >= 3.0 },
    )
    .await;
    assert_eq!(app.get_json("/healthz").await.0, 200);
    let mut served = 0;
    let mut refused = 0;
    for r in requests {
        let (status, retry, code) = r.await.unwrap();
        match status {
            200 => served += 1,
            503 => {
                assert_eq!(code, "overloaded");
                assert_eq!(retry.as_deref(), Some("1"));
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!((1..=2).contains(&served), "served {served}");
    assert_eq!(served + refused, 12);
    eprintln!(
        "figures: overload with MAX_CONCURRENCY=2: {served} served, {refused} refused with 503"
    );
    signal(pid, "CONT");
    // Recovers by itself; memory did not balloon.
    wait_for_async(
        "service after the flood",
        Duration::from_secs(20),
        || async { app.post_json("/api/gerar-senha", json!({})).await.0 == 200 },
    )
    .await;
    let rss_after = rss_kib(app.pid());
    assert!(
        rss_after < rss_before + 32 * 1024,
        "RSS {rss_before} → {rss_after} KiB"
    );
}

#[tokio::test]
async fn rate_limit_per_client_and_trusted_forwarded_for() {
    let app = App::start(&[("RATE_LIMIT", "5")]);
    for _ in 0..5 {
        app.generate(8, false, false).await;
    }
    let response = app
        .client
        .post(app.url("/api/gerar-senha"))
        .header("x-forwarded-for", "203.0.113.77")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        429,
        "an untrusted X-Forwarded-For does not reset the limit"
    );
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let (_, body) = app.json_response(response).await;
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(
        app.get_json("/api/senhas").await.0,
        200,
        "reading is not limited"
    );

    // Behind a trusted proxy, each forwarded client has its own budget.
    let app = App::start(&[("RATE_LIMIT", "2"), ("TRUSTED_PROXIES", "127.0.0.0/8")]);
    let post = |client_ip: &'static str| {
        app.client
            .post(app.url("/api/gerar-senha"))
            .header("x-forwarded-for", client_ip)
            .json(&json!({}))
            .send()
    };
    for ip in [
        "198.51.100.1",
        "198.51.100.1",
        "198.51.100.2",
        "198.51.100.2",
    ] {
        let (status, _) = app.json_response(post(ip).await.unwrap()).await;
        assert_eq!(status, 200, "{ip}");
    }
    let (status, _) = app.json_response(post("198.51.100.1").await.unwrap()).await;
    assert_eq!(status, 429);
}

/// Sends `head` and then nothing more; returns whether the server closed the connection within `deadline`.
fn closed_by_server(stream: &mut TcpStream, deadline: Duration) -> bool {
    stream.set_read_timeout(Some(deadline)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // an error response, then the close
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn slow_clients_are_cut_off_while_others_are_served() {
    let app = App::start(&[
        ("HEADER_READ_TIMEOUT", "1s"),
        ("REQUEST_TIMEOUT", "2s"),
        ("BODY_READ_TIMEOUT", "2s"),
    ]);
    // 40 clients dripping a request head byte by byte, then stalling.
    let mut slow: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut s = TcpStream::connect(app.addr).unwrap();
            for b in b"GET / HTTP/1.1\r\nHost: x\r\n" {
                s.write_all(&[*b]).unwrap();
            }
            s
        })
        .collect();
    // Everyone else is served meanwhile.
    for _ in 0..20 {
        app.generate(12, true, true).await;
    }
    for s in slow.iter_mut() {
        assert!(
            closed_by_server(s, Duration::from_secs(15)),
            "a slow client kept its connection"
        );
    }
    // A body that never finishes: declared 100 bytes, 10 sent.
    let mut s = TcpStream::connect(app.addr).unwrap();
    s.write_all(
        b"POST /api/gerar-senha HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"tamanho\"",
    )
    .unwrap();
    let mut response = String::new();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = s.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("\"body_timeout\""), "{response}");
    // A chunked body that never ends.
    let mut s = TcpStream::connect(app.addr).unwrap();
    s.write_all(
        b"POST /api/gerar-senha HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"tam\r\n",
    )
    .unwrap();
    let mut response = String::new();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = s.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    // Connections were reclaimed: the in-flight gauge is back to the scrape itself.
    wait_for_async("requests to drain", Duration::from_secs(10), || async {
        app.metric("http_requests_in_flight").await <= 1.0
    })
    .await;
}

/// Sends `GET /healthz` on a kept-alive raw connection and reads exactly its response; returns the status
/// line, or `None` when the server had closed the connection.
fn healthz_on(stream: &mut TcpStream) -> Option<String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .ok()?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .expect("content-length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    head.lines().next().map(str::to_owned)
}

#[test]
fn keep_alive_connections_idle_past_the_head_deadline_until_idle_timeout() {
    let app = App::start(&[("HEADER_READ_TIMEOUT", "1s"), ("IDLE_TIMEOUT", "4s")]);
    let mut stream = TcpStream::connect(app.addr).unwrap();
    let ok = Some("HTTP/1.1 200 OK".to_owned());
    assert_eq!(healthz_on(&mut stream), ok);
    // Idle for longer than the head deadline (and its sweep tick): a pooling proxy reuses it as it is.
    std::thread::sleep(Duration::from_millis(2_000));
    assert_eq!(
        healthz_on(&mut stream),
        ok,
        "idle connection cut by HEADER_READ_TIMEOUT"
    );
    let idle_since = std::time::Instant::now();
    assert!(closed_by_server(&mut stream, Duration::from_secs(20)));
    assert!(
        // Well past the head deadline's 1.1 s; the margin below 4 s is for a loaded machine's scheduling.
        idle_since.elapsed() >= Duration::from_millis(3_000),
        "closed after {:?} idle, before IDLE_TIMEOUT",
        idle_since.elapsed()
    );
}

#[test]
fn late_heads_are_cut_whatever_the_idle_timeout() {
    let app = App::start(&[("HEADER_READ_TIMEOUT", "1s"), ("IDLE_TIMEOUT", "10m")]);
    // A new connection that never sends anything.
    let mut silent = TcpStream::connect(app.addr).unwrap();
    // A kept-alive connection whose next head starts and stalls.
    let mut stalled = TcpStream::connect(app.addr).unwrap();
    assert_eq!(healthz_on(&mut stalled).as_deref(), Some("HTTP/1.1 200 OK"));
    stalled.write_all(b"GET /healthz HTTP/1.1\r\nHost").unwrap();
    for stream in [&mut silent, &mut stalled] {
        assert!(
            closed_by_server(stream, Duration::from_secs(15)),
            "a late head kept its connection"
        );
    }
}

/// Raw request bytes in, status line out.
fn raw(app: &App, request: &[u8]) -> String {
    let mut s = TcpStream::connect(app.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = s.write_all(request);
    let mut response = Vec::new();
    let _ = s.read_to_end(&mut response);
    String::from_utf8_lossy(&response)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn hostile_requests_get_4xx_and_the_server_stays_up() {
    let app = App::start(&[]);
    let long_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1_000_000)
    );
    let long_url = format!(
        "GET /{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "a".repeat(60_000)
    );
    let mut ten_mb = b"POST /api/gerar-senha HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\nConnection: close\r\n\r\n".to_vec();
    ten_mb.extend(std::iter::repeat_n(b' ', 64 * 1024));
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("1 MB header", long_header.into_bytes(), &["HTTP/1.1 431"]),
        ("60 KB URL", long_url.into_bytes(), &["HTTP/1.1 404", "HTTP/1.1 414", "HTTP/1.1 431"]),
        ("10 MB body", ten_mb, &["HTTP/1.1 413"]),
        (
            "content-length shorter than the body",
            b"POST /api/gerar-senha HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{\"tamanho\": 12}".to_vec(),
            &["HTTP/1.1 400"],
        ),
        (
            "non-UTF-8 path",
            b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
            &["HTTP/1.1 400", "HTTP/1.1 404"],
        ),
        (
            "garbage instead of HTTP",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n".to_vec(),
            &["HTTP/1.1 400", ""],
        ),
        (
            "repeated form fields",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 24\r\nConnection: close\r\n\r\ntamanho=12&tamanho=99999".to_vec(),
            &["HTTP/1.1 422"],
        ),
    ];
    for (name, request, expected) in &cases {
        let status = raw(&app, request);
        assert!(
            expected
                .iter()
                .any(|e| status == *e || (!e.is_empty() && status.starts_with(e))),
            "{name}: {status:?}"
        );
    }
    for (body, status) in [
        (r#"{"tamanho": 5, "tamanho": 200}"#, 422), // duplicate keys: the last wins, and it is out of range
        (r#"{"tamanho": {"tamanho": 12}}"#, 422),
        (r#"{"tamanho": [[[[[[[[[[12]]]]]]]]]]}"#, 422),
        (&format!("{}{}", "[".repeat(5_000), "]".repeat(5_000)), 400), // nesting beyond serde_json's limit
        (r#"{"tamanho": 99999999999999999999999999}"#, 422),
    ] {
        let response = app
            .client
            .post(app.url("/api/gerar-senha"))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            status,
            "{}",
            &body[..body.len().min(60)]
        );
    }
    // Still serving.
    app.generate(12, true, true).await;
    assert_eq!(app.get_json("/healthz").await.0, 200);
}

#[tokio::test]
async fn sigterm_under_load_drains_without_errors() {
    let mut app = App::start(&[("SHUTDOWN_DELAY", "3s"), ("SHUTDOWN_TIMEOUT", "10s")]);
    // Clients behave like a load balancer's: they stop sending new requests once readiness says so,
    // which SHUTDOWN_DELAY gives them time to do before the listener closes.
    let load = Load::start(&app, 4, 50_000);
    wait_for_async("load to flow", Duration::from_secs(20), || async {
        load.sent() > 100
    })
    .await;
    app.signal("TERM");
    wait_for_async("readiness to turn 503", Duration::from_secs(5), || async {
        app.get_json("/readyz").await.0 == 503
    })
    .await;
    let at_notice = load.sent();
    // Still serving during SHUTDOWN_DELAY.
    wait_for_async(
        "requests served after SIGTERM",
        Duration::from_secs(5),
        || async { load.sent() > at_notice + 50 },
    )
    .await;
    let (sent, failed) = load.finish().await;
    eprintln!("figures: SIGTERM under load: {sent} requests, {failed} failed");
    assert_eq!(
        failed, 0,
        "{failed} of {sent} requests failed during the drain"
    );
    assert_eq!(app.wait_exit(Duration::from_secs(30)), Some(0));
    wait_for("the port to close", Duration::from_secs(10), || {
        TcpStream::connect(app.addr).is_err()
    });
}
