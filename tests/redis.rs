//! Against a real redis-server started by the test on a free loopback port: the original's key and commands,
//! trimming, TTL, shared history between instances, and an outage with automatic recovery.

mod common;

use std::time::Duration;

use common::{App, Redis, wait_for_async};
use redis::AsyncCommands;

#[tokio::test]
async fn writes_the_original_key_newest_first_and_trims_it() {
    let redis = Redis::start();
    let app = App::start(&[("REDIS_URL", &redis.url()), ("HISTORY_SIZE", "5")]);
    let mut generated = Vec::new();
    for _ in 0..8 {
        generated.push(app.generate(12, true, true).await);
    }
    let mut client = redis.client().await;
    let stored: Vec<String> = client.lrange("senhas", 0, -1).await.unwrap();
    let expected: Vec<String> = generated.iter().rev().take(5).cloned().collect();
    assert_eq!(stored, expected, "LPUSH + LTRIM on key `senhas`");
    let (status, history) = app.history().await;
    assert_eq!((status, history), (200, expected));
    let ttl: i64 = client.ttl("senhas").await.unwrap();
    assert_eq!(ttl, -1, "no TTL unless HISTORY_TTL is set");
}

#[tokio::test]
async fn reads_a_list_written_by_the_original_app() {
    // The original app LPUSHes without trimming; we read only the newest HISTORY_SIZE of it.
    let redis = Redis::start();
    let mut client = redis.client().await;
    for i in 0..15 {
        let _: () = client.lpush("senhas", format!("old{i}")).await.unwrap();
    }
    let app = App::start(&[
        ("REDIS_HOST", "127.0.0.1"),
        ("REDIS_PORT", &redis.port.to_string()),
    ]);
    let (_, history) = app.history().await;
    let expected: Vec<String> = (5..15).rev().map(|i| format!("old{i}")).collect();
    assert_eq!(history, expected);
}

#[tokio::test]
async fn history_ttl_expires_the_list_after_the_last_write() {
    let redis = Redis::start();
    let app = App::start(&[("REDIS_URL", &redis.url()), ("HISTORY_TTL", "2")]);
    app.generate(8, false, false).await;
    let mut client = redis.client().await;
    let pttl: i64 = client.pttl("senhas").await.unwrap();
    assert!(pttl > 0 && pttl <= 2000, "PTTL {pttl}");
    wait_for_async("the history to expire", Duration::from_secs(10), || async {
        app.history().await.1.is_empty()
    })
    .await;
    let exists: bool = client.exists("senhas").await.unwrap();
    assert!(!exists);
}

#[tokio::test]
async fn history_size_zero_writes_nothing() {
    let redis = Redis::start();
    let app = App::start(&[("REDIS_URL", &redis.url()), ("HISTORY_SIZE", "0")]);
    app.generate(8, false, false).await;
    let mut client = redis.client().await;
    let exists: bool = client.exists("senhas").await.unwrap();
    assert!(!exists);
    assert_eq!(app.history().await, (200, vec![]));
}

#[tokio::test]
async fn two_instances_share_one_history() {
    let redis = Redis::start();
    let a = App::start(&[("REDIS_URL", &redis.url())]);
    let b = App::start(&[("REDIS_URL", &redis.url())]);
    let first = a.generate(10, true, false).await;
    let second = b.generate(10, true, false).await;
    let third = a.generate(10, true, false).await;
    let expected = vec![third, second, first];
    assert_eq!(a.history().await.1, expected);
    assert_eq!(b.history().await.1, expected);
}

#[tokio::test]
async fn password_from_a_file_and_acl_user() {
    let redis = Redis::start_with(&["--requirepass", "test-only-secret"]);
    let dir = common::TempDir::new("pw");
    let file = dir.0.join("redis-password");
    std::fs::write(&file, "test-only-secret\n").unwrap();
    let app = App::start(&[
        ("REDIS_HOST", "127.0.0.1"),
        ("REDIS_PORT", &redis.port.to_string()),
        ("REDIS_PASSWORD_FILE", file.to_str().unwrap()),
    ]);
    let senha = app.generate(8, true, false).await;
    assert_eq!(app.history().await.1, vec![senha]);
    let (status, _) = app.get_json("/readyz").await;
    assert_eq!(status, 200);

    // A wrong password: not ready, with a reason that never contains the password.
    let wrong = App::start(&[(
        "REDIS_URL",
        &format!("redis://:wrong-secret@127.0.0.1:{}", redis.port),
    )]);
    let (status, body) = wrong.get_json("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(!body.to_string().contains("wrong-secret"));
    wrong.generate(8, false, false).await;
    let output = wrong.output().join("\n");
    assert!(!output.contains("wrong-secret"), "password in the log");
    assert!(!output.contains("test-only-secret"));
}

#[tokio::test]
async fn redis_outage_degrades_and_recovers_without_restart() {
    let mut redis = Redis::start();
    let app = App::start(&[("REDIS_URL", &redis.url()), ("REDIS_TIMEOUT", "500ms")]);
    let before = app.generate(12, true, true).await;
    assert_eq!(app.get_json("/readyz").await.0, 200);

    redis.stop();
    // Generation keeps working; the history and readiness say what is going on.
    for _ in 0..5 {
        app.generate(12, true, true).await;
    }
    let (status, body) = app.get_json("/api/senhas").await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], "history_unavailable");
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        app.get_json("/healthz").await.0,
        200,
        "liveness never depends on Redis"
    );
    let page = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("histórico está indisponível")
    );
    let metrics = app.get_text("/metrics").await;
    assert!(
        metrics.contains("giropops_store_errors_total{operation=\"push\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("giropops_store_errors_total{operation=\"recent\"}"),
        "{metrics}"
    );

    // Same port, empty data (no persistence): the app reconnects by itself.
    redis.restart();
    wait_for_async(
        "readiness after Redis returns",
        Duration::from_secs(30),
        || async { app.get_json("/readyz").await.0 == 200 },
    )
    .await;
    let after = app.generate(12, true, true).await;
    let (status, history) = app.history().await;
    assert_eq!(status, 200);
    assert_eq!(history.first(), Some(&after));
    assert!(
        !history.contains(&before),
        "the restarted Redis kept no data"
    );
}
