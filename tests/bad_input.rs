//! Bad input gets a clear 4xx with one error shape, never a 5xx. Each row is a case where the original app
//! answered 500, stored garbage, or accepted nonsense (see the README's comparison).

mod common;

use common::App;

enum Body {
    None,
    Raw(&'static str, Vec<u8>),
    Json(&'static str),
}

struct Case {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    body: Body,
    status: u16,
    code: &'static str,
}

fn json(name: &'static str, body: &'static str, status: u16, code: &'static str) -> Case {
    Case {
        name,
        method: "POST",
        path: "/api/gerar-senha",
        body: Body::Json(body),
        status,
        code,
    }
}

fn api_cases() -> Vec<Case> {
    vec![
        json(
            "length as letters",
            r#"{"tamanho": "abc"}"#,
            422,
            "invalid_length",
        ),
        json(
            "negative length",
            r#"{"tamanho": -5}"#,
            422,
            "invalid_length",
        ),
        json("zero length", r#"{"tamanho": 0}"#, 422, "invalid_length"),
        json("below minimum", r#"{"tamanho": 3}"#, 422, "invalid_length"),
        json(
            "above maximum",
            r#"{"tamanho": 129}"#,
            422,
            "invalid_length",
        ),
        json(
            "10 MB password",
            r#"{"tamanho": 10000000}"#,
            422,
            "invalid_length",
        ),
        json(
            "100 MB password",
            r#"{"tamanho": 100000000}"#,
            422,
            "invalid_length",
        ),
        json(
            "float length",
            r#"{"tamanho": 12.7}"#,
            422,
            "invalid_length",
        ),
        json(
            "boolean length",
            r#"{"tamanho": true}"#,
            422,
            "invalid_length",
        ),
        json("null length", r#"{"tamanho": null}"#, 422, "invalid_length"),
        json(
            "huge number",
            r#"{"tamanho": 1e400}"#,
            400,
            "malformed_json",
        ),
        json("negative zero", r#"{"tamanho": -0}"#, 422, "invalid_length"),
        json(
            "unicode digits",
            r#"{"tamanho": "١٢"}"#,
            422,
            "invalid_length",
        ),
        json(
            "string flag",
            r#"{"incluir_numeros": "no"}"#,
            422,
            "invalid_flag",
        ),
        json(
            "number flag",
            r#"{"incluir_caracteres_especiais": 1}"#,
            422,
            "invalid_flag",
        ),
        json(
            "null flag",
            r#"{"incluir_numeros": null}"#,
            422,
            "invalid_flag",
        ),
        json("array body", "[1,2]", 422, "body_not_object"),
        json("null body", "null", 422, "body_not_object"),
        json("not json", "not json", 400, "malformed_json"),
        json("empty json body", "", 400, "malformed_json"),
        json("truncated json", r#"{"tamanho": 12"#, 400, "malformed_json"),
        Case {
            name: "no body, no content type",
            method: "POST",
            path: "/api/gerar-senha",
            body: Body::None,
            status: 415,
            code: "unsupported_media_type",
        },
        Case {
            name: "form-encoded body to the JSON API",
            method: "POST",
            path: "/api/gerar-senha",
            body: Body::Raw("application/x-www-form-urlencoded", b"tamanho=12".to_vec()),
            status: 415,
            code: "unsupported_media_type",
        },
        Case {
            name: "body over 16 KiB",
            method: "POST",
            path: "/api/gerar-senha",
            body: Body::Raw("application/json", {
                let mut big = br#"{"tamanho": 12, "pad": ""#.to_vec();
                big.extend(std::iter::repeat_n(b'x', 17 * 1024));
                big.extend(br#""}"#);
                big
            }),
            status: 413,
            code: "payload_too_large",
        },
        Case {
            name: "non-UTF-8 bytes",
            method: "POST",
            path: "/api/gerar-senha",
            body: Body::Raw("application/json", vec![b'{', 0xff, 0xfe, b'}']),
            status: 400,
            code: "malformed_json",
        },
        Case {
            name: "unknown route",
            method: "GET",
            path: "/api/nao-existe",
            body: Body::None,
            status: 404,
            code: "not_found",
        },
        Case {
            name: "wrong method",
            method: "GET",
            path: "/api/gerar-senha",
            body: Body::None,
            status: 405,
            code: "method_not_allowed",
        },
        Case {
            // DELETE is the history's own (it empties the caller's list): PUT is the wrong one.
            name: "wrong method on the history",
            method: "PUT",
            path: "/api/senhas",
            body: Body::None,
            status: 405,
            code: "method_not_allowed",
        },
    ]
}

/// Runs the cases; returns one line per case whose answer differs from its row (empty = all good).
async fn check(app: &App, cases: &[Case], accept_language: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
        let mut request = app
            .client
            .request(method, app.url(case.path))
            .header("accept-language", accept_language);
        request = match &case.body {
            Body::None => request,
            Body::Json(text) => request
                .header("content-type", "application/json")
                .body(*text),
            Body::Raw(content_type, bytes) => request
                .header("content-type", *content_type)
                .body(bytes.clone()),
        };
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let (_, body) = app.json_response(response).await;
        let code = body["error"]["code"].as_str().unwrap_or("");
        let message = body["error"]["message"].as_str().unwrap_or("");
        if status != case.status || code != case.code || message.is_empty() {
            failures.push(format!(
                "{}: expected {} {}, got {status} {body}",
                case.name, case.status, case.code
            ));
        }
        if !content_type.starts_with("application/json") {
            failures.push(format!("{}: error is not JSON ({content_type})", case.name));
        }
        if status >= 500 {
            failures.push(format!("{}: server error {status}", case.name));
        }
    }
    failures
}

#[tokio::test]
async fn every_bad_api_input_gets_its_4xx_and_error_body() {
    let app = App::start(&[]);
    let failures = check(&app, &api_cases(), "pt-BR").await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing of it reached the history.
    let (_, history) = app.history().await;
    assert!(history.is_empty(), "{history:?}");
}

#[tokio::test]
async fn the_table_check_fails_on_a_wrong_answer() {
    // A check that cannot fail proves nothing: the same checker must flag a row whose answer differs.
    let app = App::start(&[]);
    let broken = vec![
        json(
            "length as letters, if it were accepted",
            r#"{"tamanho": "abc"}"#,
            200,
            "",
        ),
        json(
            "a valid body, if it were rejected",
            r#"{"tamanho": 12}"#,
            422,
            "invalid_length",
        ),
    ];
    let failures = check(&app, &broken, "pt-BR").await;
    assert_eq!(failures.len(), 2, "{failures:?}");
}

#[tokio::test]
async fn messages_are_portuguese_by_default_and_english_on_request() {
    let app = App::start(&[]);
    let send = |lang: &'static str| {
        app.client
            .post(app.url("/api/gerar-senha"))
            .header("accept-language", lang)
            .json(&serde_json::json!({"tamanho": "abc"}))
            .send()
    };
    let (_, pt) = app.json_response(send("pt-BR").await.unwrap()).await;
    assert_eq!(
        pt["error"]["message"],
        "O campo tamanho deve ser um número inteiro entre 4 e 128."
    );
    let (_, en) = app.json_response(send("en").await.unwrap()).await;
    assert_eq!(
        en["error"]["message"],
        "Field tamanho must be an integer between 4 and 128."
    );
    // The English table passes too.
    let failures = check(&app, &api_cases(), "en").await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn bad_form_input_re_renders_the_page_with_the_message() {
    let app = App::start(&[]);
    // The page names each field as its label does; the JSON APIs keep the wire names (above).
    for (body, status, message) in [
        (
            "tamanho=abc",
            422,
            "O campo Tamanho da senha deve ser um número inteiro entre 4 e 128.",
        ),
        (
            "tamanho=0",
            422,
            "O campo Tamanho da senha deve ser um número inteiro entre 4 e 128.",
        ),
        (
            "tamanho=999999999999",
            422,
            "O campo Tamanho da senha deve ser um número inteiro entre 4 e 128.",
        ),
        (
            "tamanho=12&tamanho=13",
            422,
            "O campo Tamanho da senha aparece mais de uma vez.",
        ),
        (
            "tamanho=12&incluir_numeros=talvez",
            422,
            "O campo Incluir números tem um valor inválido.",
        ),
    ] {
        let response = app
            .client
            .post(app.url("/"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{body}: page lacks the message");
        // Beside the field at fault (marked, described by it, focused), or in the general alert.
        assert!(
            page.contains("role=\"alert\"")
                || (page
                    .contains("aria-invalid=\"true\" aria-describedby=\"tamanho-erro\" autofocus")
                    && page.contains("<p class=\"field-error\" id=\"tamanho-erro\">")),
            "{body}: message not tied to its field nor announced"
        );
        assert!(page.contains("<title>Erro: "), "{body}: title not prefixed");
        assert!(
            page.contains("name=\"tamanho\""),
            "{body}: the form is gone"
        );
    }
    let response = app
        .client
        .post(app.url("/"))
        .header("content-type", "text/plain")
        .body("tamanho=12")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
}

#[tokio::test]
async fn a_refused_form_keeps_what_was_typed_and_names_the_field_in_place() {
    let app = App::start(&[]);
    let post = |body: &'static str, accept: &'static str| {
        app.client
            .post(app.url("/"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", accept)
            .body(body)
            .send()
    };
    // Without JavaScript: the page as typed, the message beside the field, which gets the focus.
    let page = post(
        "tamanho=3&incluir_numeros=on&excluir=abc&min_numeros=2",
        "text/html",
    )
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    for typed in [
        "id=\"tamanho\" name=\"tamanho\" min=\"4\" max=\"128\" inputmode=\"numeric\" required value=\"3\" aria-invalid=\"true\"",
        "value=\"abc\"",
        "placeholder=\"1\" value=\"2\"",
        "<details class=\"options\" id=\"opcoes\" open>",
    ] {
        assert!(page.contains(typed), "{typed} not kept");
    }
    assert!(!page.contains(
        "id=\"incluir_caracteres_especiais\" name=\"incluir_caracteres_especiais\" checked"
    ));
    assert!(
        !page.contains("role=\"alert\""),
        "the field's message is not repeated above"
    );
    // The passphrase tab's separator, beside its field.
    let page = post("modo=frase&palavras=9&separador=ab", "text/html")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(
        "value=\"ab\" aria-invalid=\"true\" aria-describedby=\"separador-erro\" autofocus"
    ));
    assert!(page.contains("<p class=\"field-error\" id=\"separador-erro\">"));
    assert!(page.contains("value=\"9\""));
    // In place (the page's script): the field's name with the error shape; a conflict names none.
    let body: serde_json::Value = post("tamanho=3", "application/json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["campo"], "tamanho");
    assert_eq!(body["error"]["code"], "invalid_length");
    let body: serde_json::Value = post(
        "tamanho=8&incluir_numeros=on&min_numeros=5&incluir_caracteres_especiais=on&min_especiais=5",
        "application/json",
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(body["error"]["code"], "minimums_exceed_length");
    assert!(body.get("campo").is_none());
}
