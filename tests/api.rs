//! Every route of the app, black-box, over HTTP, with the embedded store.

mod common;

use common::App;
use serde_json::{Value, json};

#[tokio::test]
async fn generates_with_the_original_request_and_response_shape() {
    let app = App::start(&[]);
    let (status, body) = app
        .post_json(
            "/api/gerar-senha",
            json!({"tamanho": 12, "incluir_numeros": true, "incluir_caracteres_especiais": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let object = body.as_object().unwrap();
    assert_eq!(object.len(), 1, "only the senha field: {body}");
    let senha = body["senha"].as_str().unwrap();
    assert_eq!(senha.len(), 12);
    assert!(senha.bytes().any(|b| b.is_ascii_digit()));
    assert!(senha.bytes().any(|b| b.is_ascii_punctuation()));
}

#[tokio::test]
async fn missing_fields_default_to_8_letters_only() {
    let app = App::start(&[]);
    let (status, body) = app.post_json("/api/gerar-senha", json!({})).await;
    assert_eq!(status, 200);
    let senha = body["senha"].as_str().unwrap();
    assert_eq!(senha.len(), 8);
    assert!(senha.bytes().all(|b| b.is_ascii_alphabetic()), "{senha}");
}

#[tokio::test]
async fn length_as_a_string_of_digits_like_the_original() {
    let app = App::start(&[]);
    let (status, body) = app
        .post_json("/api/gerar-senha", json!({"tamanho": "20"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["senha"].as_str().unwrap().len(), 20);
}

#[tokio::test]
async fn flags_select_the_alphabet() {
    let app = App::start(&[]);
    for (digits, punctuation) in [(false, false), (true, false), (false, true), (true, true)] {
        for _ in 0..20 {
            let senha = app.generate(16, digits, punctuation).await;
            assert_eq!(senha.bytes().any(|b| b.is_ascii_digit()), digits, "{senha}");
            assert_eq!(
                senha.bytes().any(|b| b.is_ascii_punctuation()),
                punctuation,
                "{senha}"
            );
            assert!(senha.bytes().any(|b| b.is_ascii_alphabetic()), "{senha}");
        }
    }
}

#[tokio::test]
async fn history_is_newest_first_with_positions_and_trimmed() {
    let app = App::start(&[("HISTORY_SIZE", "3")]);
    let mut generated = Vec::new();
    for _ in 0..5 {
        generated.push(app.generate(10, true, false).await);
    }
    let (status, body) = app.get_json("/api/senhas").await;
    assert_eq!(status, 200);
    let expected: Vec<Value> = generated
        .iter()
        .rev()
        .take(3)
        .enumerate()
        .map(|(i, s)| json!({"id": i + 1, "senha": s}))
        .collect();
    assert_eq!(body, Value::Array(expected));
}

#[tokio::test]
async fn default_history_keeps_ten() {
    let app = App::start(&[]);
    for _ in 0..12 {
        app.generate(8, false, false).await;
    }
    let (_, history) = app.history().await;
    assert_eq!(history.len(), 10);
}

#[tokio::test]
async fn history_size_zero_disables_the_history() {
    let app = App::start(&[("HISTORY_SIZE", "0")]);
    app.generate(8, false, false).await;
    let (status, body) = app.get_json("/api/senhas").await;
    assert_eq!((status, body), (200, json!([])));
    let page = app.get_text("/").await;
    assert!(page.contains("histórico está desativado"), "{page}");
}

#[tokio::test]
async fn page_renders_the_form_and_generates_on_post() {
    let app = App::start(&[]);
    let response = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    for needle in [
        "Gerador de Senhas",
        "name=\"tamanho\"",
        "min=\"4\" max=\"128\" inputmode=\"numeric\" required value=\"16\"",
        "name=\"incluir_numeros\" checked",
        "name=\"incluir_caracteres_especiais\" checked",
        "Últimas senhas criadas",
        "lang=\"pt-BR\"",
    ] {
        assert!(page.contains(needle), "page lacks {needle}");
    }

    let response = app
        .client
        .post(app.url("/"))
        .form(&[("tamanho", "24"), ("incluir_numeros", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let (_, history) = app.history().await;
    assert_eq!(history.len(), 1);
    let senha = &history[0];
    app.saw_password(senha);
    assert_eq!(senha.len(), 24);
    assert!(senha.bytes().any(|b| b.is_ascii_digit()));
    assert!(!senha.bytes().any(|b| b.is_ascii_punctuation()));
    // Shown as the result and in the list (HTML-escaped by the template).
    assert!(
        page.matches(&format!("value=\"{senha}\"")).count() >= 2,
        "{page}"
    );
}

#[tokio::test]
async fn page_escapes_punctuation_in_passwords() {
    let app = App::start(&[]);
    for _ in 0..30 {
        app.generate(64, false, true).await;
    }
    let page = app.get_text("/").await;
    let (_, history) = app.history().await;
    for senha in &history {
        if senha.contains(['<', '>', '"', '&', '\'']) {
            assert!(
                !page.contains(senha.as_str()),
                "raw markup characters in the page: {senha}"
            );
        }
    }
}

#[tokio::test]
async fn english_page_with_accept_language() {
    let app = App::start(&[]);
    let page = app
        .client
        .get(app.url("/"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("lang=\"en\""));
    assert!(page.contains("Password Generator"));
}

#[tokio::test]
async fn strict_headers_on_every_response() {
    let app = App::start(&[]);
    for path in [
        "/",
        "/api/senhas",
        "/healthz",
        "/metrics",
        "/nope",
        "/assets/app.css",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(
            headers["content-security-policy"],
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            "{path}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    }
    let response = app
        .client
        .post(app.url("/api/gerar-senha"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    app.json_response(response).await;
    for path in ["/", "/api/senhas"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
}

#[tokio::test]
async fn page_loads_nothing_from_other_origins_and_has_no_inline_code() {
    let app = App::start(&[]);
    let page = app.get_text("/").await;
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "external URL in the page"
    );
    assert!(!page.contains("<style"), "inline style element");
    assert!(!page.contains(" style="), "inline style attribute");
    assert!(
        !page.contains(" onclick") && !page.contains(" onload"),
        "inline handler"
    );
    for script in page.split("<script").skip(1) {
        assert!(
            script.trim_start().starts_with("src="),
            "inline script: {script}"
        );
    }
    for asset in ["app.css", "app.js", "favicon.svg", "pattern.svg"] {
        let response = app
            .client
            .get(app.url(&format!("/assets/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
    }
}

#[tokio::test]
async fn probes() {
    let app = App::start(&[]);
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["store"], "memory");
}

#[tokio::test]
async fn metrics_count_generations_by_matched_route() {
    let app = App::start(&[]);
    app.generate(8, true, true).await;
    app.post_json("/api/gerar-senha", json!({"tamanho": 1}))
        .await;
    let _ = app
        .client
        .get(app.url("/some/raw/path/123"))
        .send()
        .await
        .unwrap();
    // Without `Accept`, the classic text format (what the original served); OpenMetrics when asked for.
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let classic = response.text().await.unwrap();
    assert!(!classic.contains("# EOF"), "{classic}");
    let response = app
        .client
        .get(app.url("/metrics"))
        .header("accept", "application/openmetrics-text; version=1.0.0")
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("openmetrics-text")
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    for needle in [
        "senha_gerada_total 1",
        "# TYPE senha_gerada_total counter",
        "# TYPE giropops_build_info gauge",
        "giropops_build_info{version=\"",
    ] {
        assert!(
            classic.contains(needle),
            "classic metrics lack {needle}:\n{classic}"
        );
    }
    for needle in [
        "senha_gerada_total 1",
        "http_requests_total{method=\"POST\",route=\"/api/gerar-senha\",status=\"200\"} 1",
        "http_requests_total{method=\"POST\",route=\"/api/gerar-senha\",status=\"422\"} 1",
        "http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "http_request_duration_seconds_bucket{le=",
        "giropops_store_errors_total{operation=\"push\"} 0",
        "giropops_build_info{version=\"",
    ] {
        assert!(text.contains(needle), "metrics lack {needle}:\n{text}");
    }
    assert!(!text.contains("/some/raw/path"), "raw path used as a label");
}

#[tokio::test]
async fn openapi_document_covers_every_json_route() {
    let app = App::start(&[]);
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (path, method) in [
        ("/api/gerar-senha", "post"),
        ("/api/senhas", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/", "get"),
        ("/", "post"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    let request = &doc["components"]["schemas"]["GerarSenhaRequest"]["properties"];
    for field in ["tamanho", "incluir_numeros", "incluir_caracteres_especiais"] {
        assert!(request[field].is_object(), "request field {field} missing");
    }
}

#[test]
fn healthcheck_subcommand_reports_health() {
    let app = App::start(&[]);
    let status = std::process::Command::new(common::BIN)
        .args([
            "healthcheck",
            "--bind",
            "127.0.0.1",
            "--port",
            &app.addr.port().to_string(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let closed = common::free_port();
    let output = std::process::Command::new(common::BIN)
        .args([
            "healthcheck",
            "--bind",
            "127.0.0.1",
            "--port",
            &closed.to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unhealthy"));
}
