//! Start-up, configuration errors, graceful shutdown, and the log scan for passwords.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{App, BIN, Redis, wait_for_async};

#[tokio::test]
async fn sigterm_lets_the_in_flight_request_finish_and_exits_zero() {
    // A paused Redis makes the history write hang until REDIS_TIMEOUT: a request that is surely in flight.
    let redis = Redis::start();
    let mut app = App::start(&[("REDIS_URL", &redis.url()), ("REDIS_TIMEOUT", "3s")]);
    app.generate(8, false, false).await; // connected
    let pid = redis.pid().unwrap().to_string();
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success()
    );

    let client = app.client.clone();
    let url = app.url("/api/gerar-senha");
    let in_flight = tokio::spawn(async move {
        client
            .post(url)
            .json(&serde_json::json!({"tamanho": 16}))
            .send()
            .await
    });
    // In flight = counted by the server's gauge besides the metrics request itself.
    wait_for_async(
        "the request to be in flight",
        Duration::from_secs(10),
        || async { app.metric("http_requests_in_flight").await >= 2.0 },
    )
    .await;
    app.signal("TERM");
    let response = in_flight
        .await
        .unwrap()
        .expect("in-flight request completed");
    assert_eq!(response.status(), 200);
    let (_, body) = app.json_response(response).await;
    assert_eq!(body["senha"].as_str().unwrap().len(), 16);
    assert!(
        Command::new("kill")
            .args(["-CONT", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(app.wait_exit(Duration::from_secs(30)), Some(0));
    let output = app.output().join("\n");
    assert!(output.contains("shutdown complete"), "{output}");
}

#[tokio::test]
async fn shutdown_delay_reports_not_ready_while_still_serving() {
    let mut app = App::start(&[("SHUTDOWN_DELAY", "3s")]);
    assert_eq!(app.get_json("/readyz").await.0, 200);
    app.signal("TERM");
    wait_for_async("readiness to turn 503", Duration::from_secs(5), || async {
        app.get_json("/readyz").await.0 == 503
    })
    .await;
    let (_, body) = app.get_json("/readyz").await;
    assert_eq!(body["status"], "shutting_down");
    // Still serving during the delay.
    let senha = app.generate(12, true, true).await;
    assert_eq!(senha.len(), 12);
    assert_eq!(app.wait_exit(Duration::from_secs(30)), Some(0));
}

#[test]
fn sigint_also_stops_cleanly() {
    let mut app = App::start(&[]);
    app.signal("INT");
    assert_eq!(app.wait_exit(Duration::from_secs(30)), Some(0));
}

fn start_error(env: &[(&str, &str)]) -> String {
    match App::try_start(env) {
        Ok(_) => panic!("the app started with {env:?}"),
        Err(output) => output,
    }
}

#[test]
fn invalid_configuration_stops_start_up_with_one_line() {
    for (env, expected) in [
        (
            ("REDIS_PORT", "tcp://10.0.0.5:6379"),
            "Kubernetes service link",
        ),
        (("PORT", "abc"), "PORT"),
        (("HISTORY_SIZE", "-1"), "HISTORY_SIZE"),
        (("HISTORY_TTL", "soon"), "HISTORY_TTL"),
        (("REDIS_TIMEOUT", "5 parsecs"), "REDIS_TIMEOUT"),
        (("REQUEST_TIMEOUT", "0"), "REQUEST_TIMEOUT"),
        (("IDLE_TIMEOUT", "0ms"), "IDLE_TIMEOUT"),
        (("BODY_READ_TIMEOUT", "0"), "BODY_READ_TIMEOUT"),
        (("WRITE_TIMEOUT", "0"), "WRITE_TIMEOUT"),
        (("WRITE_TIMEOUT", "31s"), "WRITE_TIMEOUT"),
        (("PROBE_PORT", "http"), "PROBE_PORT"),
        (("LOG_FORMAT", "xml"), "LOG_FORMAT"),
        (("HISTORY_SCOPE", "public"), "HISTORY_SCOPE"),
        (("HISTORY_SCOPE", ""), "HISTORY_SCOPE"),
        (("COOKIE_SECURE", "never"), "COOKIE_SECURE"),
        (("HISTORY_MAX_LISTS", "0"), "HISTORY_MAX_LISTS"),
        (("REDIS_URL", "http://example"), "REDIS_URL"),
        (("BIND", "localhost:80"), "BIND"),
    ] {
        let output = start_error(&[env]);
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), 1, "{env:?}: expected one line, got:\n{output}");
        assert!(output.contains(expected), "{env:?}: {output}");
    }
    let status = Command::new(BIN)
        .env_clear()
        .env("REDIS_PORT", "tcp://10.0.0.5:6379")
        .env("REDIS_HOST", "redis")
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(2));
}

#[test]
fn start_up_log_names_the_embedded_store() {
    let app = App::start(&[]);
    let output = app.output().join("\n");
    assert!(output.contains("embedded in-memory store"), "{output}");
}

#[tokio::test]
async fn no_password_ever_reaches_the_log() {
    // Every route that produces or shows passwords, with debug logging on; then every line is scanned.
    let redis = Redis::start();
    let mut app = App::start(&[
        ("REDIS_URL", &redis.url()),
        ("LOG_LEVEL", "trace"),
        ("SHUTDOWN_DELAY", "0s"),
    ]);
    let mut passwords = Vec::new();
    for length in [4, 12, 64, 128] {
        passwords.push(app.generate(length, true, true).await);
    }
    let page = app
        .client
        .post(app.url("/"))
        .form(&[("tamanho", "32"), ("incluir_numeros", "on")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"senha-gerada\"")
            && !page.contains("data-announce=\"Nova senha gerada.\" hidden"),
        "the result is shown"
    );
    let (_, history) = app.history().await;
    passwords.extend(history);
    let _ = app
        .client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await;
    for p in &passwords {
        app.saw_password(p);
    }
    // A graceful stop writes out the batched access log too, so every line the app produced is scanned.
    app.signal("TERM");
    assert_eq!(app.wait_exit(Duration::from_secs(20)), Some(0));
    std::thread::sleep(Duration::from_millis(100));
    let output = app.output();
    assert!(output.len() >= 8, "too little output to scan: {output:?}");
    app.assert_no_password_logged();
    // The scan itself must be able to fail: a log line that does contain a password is caught.
    let planted = vec![format!("{} {}", output[0], passwords[1])];
    assert_eq!(common::leaked(&planted, &passwords), planted);
}
