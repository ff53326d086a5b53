//! The private history (HISTORY_SCOPE=private, the default), black box against real redis-servers: each browser
//! sees only its own list, on one instance and across instances; the cookie's attributes; what Redis holds
//! (no cookie secret, no password, in any key or value); cookieless clients create nothing; clearing one's own
//! list and nobody else's; the shared scope unchanged; the embedded store's cap on lists.

mod common;

use common::{App, Browser, Redis, set_cookie};
use serde_json::{Value, json};

/// Every key and every value in the Redis keyspace (lists dumped whole, other types by DUMP), as bytes.
async fn keyspace(redis: &Redis) -> Vec<(Vec<u8>, Vec<Vec<u8>>)> {
    let mut client = redis.client().await;
    let mut cursor: u64 = 0;
    let mut keys: Vec<Vec<u8>> = Vec::new();
    loop {
        let (next, batch): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut client)
            .await
            .expect("SCAN");
        keys.extend(batch);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    let mut dumped = Vec::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut client)
            .await
            .expect("TYPE");
        let values: Vec<Vec<u8>> = if kind == "list" {
            redis::cmd("LRANGE")
                .arg(&key)
                .arg(0)
                .arg(-1)
                .query_async(&mut client)
                .await
                .expect("LRANGE")
        } else {
            let dump: Option<Vec<u8>> = redis::cmd("DUMP")
                .arg(&key)
                .query_async(&mut client)
                .await
                .expect("DUMP");
            dump.into_iter().collect()
        };
        dumped.push((key, values));
    }
    dumped
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn private(redis: &Redis) -> App {
    App::start(&[("HISTORY_SCOPE", "private"), ("REDIS_URL", &redis.url())])
}

#[tokio::test]
async fn browsers_see_only_their_own_history_across_instances_and_redis_holds_no_secret() {
    let redis = Redis::start();
    let (a, b) = (private(&redis), private(&redis));
    let ana = Browser::visit(&a).await;
    let bia = Browser::visit(&b).await;
    assert_ne!(ana.secret(), bia.secret());

    let mut ana_made = Vec::new();
    let mut bia_made = Vec::new();
    for round in 0..3 {
        let (first, second) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        ana_made.push(ana.generate(first).await);
        bia_made.push(bia.generate(second).await);
    }
    ana_made.push(ana.generate_on_page(&b).await);
    bia_made.push(bia.generate_on_page(&a).await);
    // A client without the cookie still gets passwords; they are recorded nowhere.
    let anonymous = [
        a.generate(16, true, true).await,
        b.generate(16, true, true).await,
    ];

    let newest_first = |made: &[String]| made.iter().rev().cloned().collect::<Vec<_>>();
    for app in [&a, &b] {
        assert_eq!(ana.history(app).await, newest_first(&ana_made));
        assert_eq!(bia.history(app).await, newest_first(&bia_made));
        assert_eq!(
            app.history().await,
            (200, Vec::new()),
            "no cookie, no history"
        );
        let page = app
            .client
            .get(app.url("/"))
            .header("cookie", &ana.cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(ana_made.iter().all(|p| page.contains(p.as_str())));
        assert!(!bia_made.iter().any(|p| page.contains(p.as_str())));
    }

    let dumped = keyspace(&redis).await;
    assert_eq!(
        dumped.len(),
        2,
        "one list per browser, none for cookieless clients"
    );
    let everything: Vec<&[u8]> = dumped
        .iter()
        .flat_map(|(key, values)| {
            std::iter::once(key.as_slice()).chain(values.iter().map(Vec::as_slice))
        })
        .collect();
    let secrets = [ana.secret(), bia.secret()];
    for needle in ana_made
        .iter()
        .chain(&bia_made)
        .chain(&anonymous)
        .map(String::as_str)
        .chain(secrets)
    {
        for bytes in &everything {
            assert!(
                !contains(bytes, needle.as_bytes()),
                "{needle} is stored in clear"
            );
        }
    }
    let mut client = redis.client().await;
    for (key, values) in &dumped {
        assert_ne!(key.as_slice(), b"senhas", "the shared key stays unused");
        assert_eq!(values.len(), 4);
        let ttl: i64 = redis::cmd("PTTL")
            .arg(key)
            .query_async(&mut client)
            .await
            .unwrap();
        assert!(
            (23 * 3600 * 1000..=24 * 3600 * 1000).contains(&ttl),
            "private lists expire after 24 h by default: {ttl}"
        );
    }
}

#[tokio::test]
async fn cookieless_clients_create_nothing() {
    let redis = Redis::start();
    let app = private(&redis);
    for _ in 0..20 {
        app.generate(12, true, false).await;
    }
    assert_eq!(app.history().await, (200, Vec::new()));
    assert!(
        set_cookie(&app, &[]).await.is_some(),
        "the page offers a cookie"
    );
    let (status, _) = app.post_json("/api/gerar-senha", json!({})).await;
    assert_eq!(status, 200);
    let mut client = redis.client().await;
    let size: i64 = redis::cmd("DBSIZE").query_async(&mut client).await.unwrap();
    assert_eq!(size, 0, "no key without a cookie, and none for issuing one");
}

#[tokio::test]
async fn the_cookie_is_secure_behind_a_trusted_https_proxy_or_when_asked() {
    let plain = |set: &str| {
        let value = set
            .strip_prefix("giropops-historico=")
            .unwrap_or_else(|| panic!("{set}"));
        assert_eq!(value.find(';'), Some(64), "a 256-bit secret in hex: {set}");
        assert!(value[..64].bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(value.ends_with("; Path=/; HttpOnly; SameSite=Lax"), "{set}");
    };
    let secure = |set: &str| {
        assert!(set.starts_with("__Host-giropops-historico="), "{set}");
        assert!(
            set.ends_with("; Path=/; HttpOnly; SameSite=Lax; Secure"),
            "{set}"
        );
        assert!(!set.contains("Domain"), "{set}");
    };
    let https = [("x-forwarded-proto", "https")];

    let behind_proxy = App::start(&[
        ("HISTORY_SCOPE", "private"),
        ("TRUSTED_PROXIES", "127.0.0.1/32"),
    ]);
    plain(&set_cookie(&behind_proxy, &[]).await.unwrap());
    secure(&set_cookie(&behind_proxy, &https).await.unwrap());

    let untrusted = App::start(&[("HISTORY_SCOPE", "private")]);
    plain(&set_cookie(&untrusted, &https).await.unwrap());

    let always = App::start(&[("HISTORY_SCOPE", "private"), ("COOKIE_SECURE", "always")]);
    secure(&set_cookie(&always, &[]).await.unwrap());

    // A valid cookie is never replaced (under either name); a malformed one is.
    let ana = Browser::visit(&untrusted).await;
    assert_eq!(
        set_cookie(&untrusted, &[("cookie", &ana.cookie)]).await,
        None
    );
    let host_named = format!("__Host-{}", ana.cookie);
    assert_eq!(
        set_cookie(&untrusted, &[("cookie", &host_named)]).await,
        None
    );
    assert!(
        set_cookie(&untrusted, &[("cookie", "giropops-historico=nope")])
            .await
            .is_some()
    );
}

#[tokio::test]
async fn a_browser_clears_its_own_list_and_no_other_site_can() {
    let redis = Redis::start();
    let app = private(&redis);
    let ana = Browser::visit(&app).await;
    let bia = Browser::visit(&app).await;
    ana.generate(&app).await;
    ana.generate(&app).await;
    let bias = bia.generate(&app).await;

    for headers in [
        vec![("origin", "http://evil.example")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", "null")],
    ] {
        let (status, body) = ana.delete(&app, &headers).await;
        assert_eq!(status, 403, "{headers:?}");
        assert_eq!(body["error"]["code"], "cross_origin", "{body}");
    }
    assert_eq!(ana.history(&app).await.len(), 2, "refused: nothing cleared");

    let origin = format!("http://{}", app.addr);
    let (status, body) = ana.delete(&app, &[("origin", &origin)]).await;
    assert_eq!((status, body), (204, Value::Null));
    assert!(ana.history(&app).await.is_empty());
    assert_eq!(
        bia.history(&app).await,
        [bias],
        "another browser's list is untouched"
    );

    // The page's form, without JavaScript: shown with a history, posts, and goes back to the page.
    let page = |cookie: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert!(
        page(bia.cookie.clone())
            .await
            .contains("action=\"/historico/limpar")
    );
    // An empty private list: the form is there for the page's script to show after a generation in place,
    // hidden until then.
    assert!(
        page(ana.cookie.clone())
            .await
            .contains("action=\"/historico/limpar?lang=pt\" hidden>")
    );
    let cross = app
        .client
        .post(app.url("/historico/limpar"))
        .header("cookie", &bia.cookie)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert_eq!(bia.history(&app).await.len(), 1);
    let cleared = app
        .client
        .post(app.url("/historico/limpar?lang=en"))
        .header("cookie", &bia.cookie)
        .header("origin", &origin)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    let html = cleared.text().await.unwrap();
    assert!(
        html.contains("No passwords yet."),
        "the page, in English, with the history empty"
    );
    assert!(bia.history(&app).await.is_empty());
    let mut client = redis.client().await;
    let size: i64 = redis::cmd("DBSIZE").query_async(&mut client).await.unwrap();
    assert_eq!(size, 0);
}

#[tokio::test]
async fn the_shared_scope_keeps_the_course_list_and_refuses_to_clear_it() {
    let redis = Redis::start();
    let app = App::start(&[("HISTORY_SCOPE", "shared"), ("REDIS_URL", &redis.url())]);
    assert_eq!(
        set_cookie(&app, &[]).await,
        None,
        "no cookie in the shared scope"
    );
    let password = app.generate(14, true, true).await;
    let mut client = redis.client().await;
    let stored: Vec<String> = redis::cmd("LRANGE")
        .arg("senhas")
        .arg(0)
        .arg(-1)
        .query_async(&mut client)
        .await
        .unwrap();
    assert_eq!(stored, std::slice::from_ref(&password));
    let response = app
        .client
        .delete(app.url("/api/senhas"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "shared_history", "{body}");
    assert_eq!(app.history().await, (200, vec![password]));
    assert!(!app.get_text("/").await.contains("/historico/limpar"));
}

#[tokio::test]
async fn the_embedded_store_drops_the_least_recently_used_list() {
    let app = App::start(&[("HISTORY_SCOPE", "private"), ("HISTORY_MAX_LISTS", "2")]);
    let (ana, bia, caio) = (
        Browser::visit(&app).await,
        Browser::visit(&app).await,
        Browser::visit(&app).await,
    );
    let anas = ana.generate(&app).await;
    bia.generate(&app).await;
    assert_eq!(
        ana.history(&app).await,
        std::slice::from_ref(&anas),
        "ana's list is now the most recent"
    );
    let caios = caio.generate(&app).await;
    assert!(bia.history(&app).await.is_empty(), "bia's list went first");
    assert_eq!(ana.history(&app).await, [anas]);
    assert_eq!(caio.history(&app).await, [caios]);
    assert_eq!(
        app.metric("giropops_history_lists_evicted_total").await,
        1.0
    );
}

#[tokio::test]
async fn no_history_no_cookie() {
    let app = App::start(&[("HISTORY_SCOPE", "private"), ("HISTORY_SIZE", "0")]);
    assert_eq!(set_cookie(&app, &[]).await, None);
}
