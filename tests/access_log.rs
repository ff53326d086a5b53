//! The access log: one JSON line per request with method, matched route, status and latency; never more than
//! a moment late (it is written in batches), and all of it written out on a graceful stop.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{App, wait_for};
use serde_json::Value;

fn access_lines(app: &App) -> Vec<Value> {
    app.output()
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|v| v["target"] == "access")
        .collect()
}

/// Seconds since the epoch of an RFC 3339 UTC timestamp as the log writes it (`2026-11-30T05:29:41.123456Z`),
/// computed independently of the app (days from a year/month table).
fn epoch_seconds(ts: &str) -> f64 {
    let (date, time) = ts
        .strip_suffix('Z')
        .and_then(|t| t.split_once('T'))
        .unwrap_or_else(|| panic!("not RFC 3339 UTC: {ts}"));
    let d: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
    let (year, month, day) = (d[0], d[1], d[2]);
    let leap = |y: i64| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let mut days: i64 = (1970..year).map(|y| if leap(y) { 366 } else { 365 }).sum();
    let lengths = [
        31,
        if leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    days += lengths[..(month - 1) as usize].iter().sum::<i64>() + day - 1;
    let t: Vec<f64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    days as f64 * 86_400.0 + t[0] * 3600.0 + t[1] * 60.0 + t[2]
}

#[tokio::test]
async fn one_json_line_per_request_with_labels_from_a_fixed_list() {
    let app = App::start(&[]);
    let (status, _) = app
        .post_json(
            "/api/gerar-senha",
            serde_json::json!({"tamanho": 12, "incluir_numeros": true}),
        )
        .await;
    assert_eq!(status, 200);
    let _ = app.get_text("/healthz").await;
    let _ = app.get_text("/no/such/page").await;
    // An invented method: a 405 on a known route, and neither the log nor the metrics take its name.
    let brewed = app
        .client
        .request(
            reqwest::Method::from_bytes(b"BREW").unwrap(),
            app.url("/api/senhas"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(brewed.status(), 405);

    wait_for("four access-log lines", Duration::from_secs(10), || {
        access_lines(&app).len() >= 4
    });
    let lines = access_lines(&app);
    let seen: Vec<(String, String, u64)> = lines
        .iter()
        .map(|v| {
            (
                v["method"].as_str().unwrap_or_default().to_owned(),
                v["route"].as_str().unwrap_or_default().to_owned(),
                v["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let expected = [
        ("POST", "/api/gerar-senha", 200),
        ("GET", "/healthz", 200),
        ("GET", "unmatched", 404),
        ("other", "/api/senhas", 405),
    ];
    for (method, route, status) in expected {
        assert!(
            seen.contains(&(method.into(), route.into(), status)),
            "no access line for {method} {route} {status} in {lines:#?}"
        );
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    for v in &lines {
        assert_eq!(v["level"], "INFO", "{v}");
        assert_eq!(v["message"], "request", "{v}");
        let latency = v["latency_ms"].as_f64().unwrap_or(-1.0);
        assert!((0.0..10_000.0).contains(&latency), "{v}");
        let at = epoch_seconds(v["timestamp"].as_str().unwrap_or_default());
        assert!(
            (now - 60.0..now + 1.0).contains(&at),
            "timestamp far from now ({now}): {v}"
        );
    }
    let metrics = app.get_text("/metrics").await;
    assert!(
        metrics
            .contains(r#"http_requests_total{method="other",route="/api/senhas",status="405"} 1"#),
        "{metrics}"
    );
    assert!(!metrics.contains("BREW"), "{metrics}");
}

#[tokio::test]
async fn a_graceful_stop_writes_out_the_last_requests() {
    let mut app = App::start(&[("SHUTDOWN_DELAY", "0s")]);
    for _ in 0..3 {
        let _ = app.get_text("/healthz").await;
    }
    // At once, well within the batch interval: these lines are still in memory when the signal arrives.
    app.signal("TERM");
    assert_eq!(app.wait_exit(Duration::from_secs(20)), Some(0));
    wait_for("the output pipes to drain", Duration::from_secs(5), || {
        app.output().iter().any(|l| l.contains("shutdown complete"))
    });
    let healthz = access_lines(&app)
        .iter()
        .filter(|v| v["route"] == "/healthz")
        .count();
    assert_eq!(healthz, 3, "{:#?}", app.output());
}
