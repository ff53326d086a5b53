//! API v1 against the real binary: shapes, policies, error codes, history untouched, metrics; and a walk over
//! the OpenAPI document checking every documented operation answers as documented, for a valid request and an
//! invalid one.

mod common;

use common::App;
use serde_json::{Value, json};

#[tokio::test]
async fn passwords_follow_the_policy_and_report_entropy() {
    let app = App::start(&[]);
    let (status, body) = app.post_json("/api/v1/passwords", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let passwords = body["passwords"].as_array().expect("passwords");
    assert_eq!(passwords.len(), 1);
    let p = passwords[0].as_str().unwrap();
    app.saw_password(p);
    assert_eq!(p.len(), 16);
    assert!(body["entropy_bits"].as_f64().unwrap() > 100.0, "{body}");
    assert_eq!(body["strength"], "very_strong");

    let (status, body) = app
        .post_json(
            "/api/v1/passwords",
            json!({"length": 10, "uppercase": false, "symbols": false, "min_digits": 8,
                   "exclude_ambiguous": true, "exclude": "9", "count": 50}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let passwords = body["passwords"].as_array().unwrap();
    assert_eq!(passwords.len(), 50);
    for p in passwords {
        let p = p.as_str().unwrap();
        app.saw_password(p);
        assert_eq!(p.len(), 10);
        assert!(p.bytes().filter(u8::is_ascii_digit).count() >= 8, "{p}");
        assert!(p.bytes().any(|b| b.is_ascii_lowercase()), "{p}");
        assert!(!p.bytes().any(|b| b"0Oo1lI|9".contains(&b)), "{p}");
    }
}

#[tokio::test]
async fn passphrases_and_their_entropy() {
    let app = App::start(&[]);
    let (status, body) = app
        .post_json(
            "/api/v1/passphrases",
            json!({"words": 4, "separator": ".", "capitalize": true, "include_number": true, "count": 3}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let phrases = body["passphrases"].as_array().unwrap();
    assert_eq!(phrases.len(), 3);
    for p in phrases {
        let p = p.as_str().unwrap();
        app.saw_password(p);
        assert_eq!(p.split('.').count(), 4, "{p}");
    }
    // 4·log2(7776) + log2(40) = 51.70 + 5.32 = 57.0
    assert_eq!(body["entropy_bits"], 57.0);
    assert_eq!(body["strength"], "fair");
}

#[tokio::test]
async fn impossible_policies_name_the_conflict() {
    let app = App::start(&[]);
    for (body, code) in [
        (
            json!({"lowercase": false, "uppercase": false, "digits": false, "symbols": false}),
            "no_classes_enabled",
        ),
        (
            json!({"length": 8, "min_digits": 5, "min_symbols": 4}),
            "minimums_exceed_length",
        ),
        (
            json!({"lowercase": false, "uppercase": false, "symbols": false, "exclude": "0123456789"}),
            "class_emptied_by_exclusions",
        ),
        (
            json!({"digits": false, "min_digits": 1}),
            "minimum_for_disabled_class",
        ),
        (json!({"symbol_set": "abc"}), "invalid_symbol_set"),
        (json!({"length": 200}), "invalid_length"),
        (json!({"count": 101}), "invalid_integer"),
        (json!({"digits": "yes"}), "invalid_flag"),
        (json!({"exclude": 3}), "invalid_string"),
        (json!({"lenght": 12}), "unknown_field"),
    ] {
        let (status, reply) = app.post_json("/api/v1/passwords", body.clone()).await;
        assert_eq!(status, 422, "{body} → {reply}");
        assert_eq!(reply["error"]["code"], code, "{body} → {reply}");
        assert!(
            reply["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    for (body, code) in [
        (json!({"words": 2}), "invalid_integer"),
        (json!({"separator": "and"}), "invalid_separator"),
    ] {
        let (status, reply) = app.post_json("/api/v1/passphrases", body.clone()).await;
        assert_eq!(status, 422, "{body} → {reply}");
        assert_eq!(reply["error"]["code"], code, "{body} → {reply}");
    }
    // English with Accept-Language: en.
    let response = app
        .client
        .post(app.url("/api/v1/passwords"))
        .header("accept-language", "en")
        .json(&json!({"length": 8, "min_digits": 9}))
        .send()
        .await
        .unwrap();
    let (_, reply) = app.json_response(response).await;
    assert_eq!(
        reply["error"]["message"],
        "The minimums add up to 12, more than the length 8."
    );
}

#[tokio::test]
async fn v1_never_writes_the_history_but_is_counted() {
    let app = App::start(&[]);
    let legacy = app.generate(12, true, true).await;
    for _ in 0..3 {
        let (_, body) = app
            .post_json("/api/v1/passwords", json!({"count": 2}))
            .await;
        body["passwords"]
            .as_array()
            .unwrap()
            .iter()
            .for_each(|p| app.saw_password(p.as_str().unwrap()));
        let (_, body) = app.post_json("/api/v1/passphrases", json!({})).await;
        app.saw_password(body["passphrases"][0].as_str().unwrap());
    }
    let (_, history) = app.history().await;
    assert_eq!(
        history,
        vec![legacy],
        "only the legacy password is in the history"
    );
    let metrics = app.get_text("/metrics").await;
    for line in [
        "senha_gerada_total 10",
        "giropops_secrets_generated_total{kind=\"password\",interface=\"legacy\"} 1",
        "giropops_secrets_generated_total{kind=\"password\",interface=\"v1\"} 6",
        "giropops_secrets_generated_total{kind=\"passphrase\",interface=\"v1\"} 3",
        "giropops_secrets_generated_total{kind=\"password\",interface=\"page\"} 0",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing {line:?} in\n{metrics}"
        );
    }
}

/// Resolves `{"$ref": "#/components/schemas/X"}`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// A small JSON Schema check: types (including `["string", "null"]`), required properties, items, oneOf.
fn conforms(doc: &Value, schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if let Some(options) = schema["oneOf"].as_array() {
        return if options
            .iter()
            .any(|s| conforms(doc, s, value, path).is_ok())
        {
            Ok(())
        } else {
            Err(format!("{path}: {value} matches no oneOf"))
        };
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return Ok(()),
    };
    let ok = types.iter().any(|t| match *t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => false,
    });
    if !ok {
        return Err(format!("{path}: {value} is not {types:?}"));
    }
    if let (Some(object), Some(required)) = (value.as_object(), schema["required"].as_array()) {
        for name in required.iter().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                return Err(format!("{path}: missing required {name}"));
            }
        }
    }
    if let (Some(object), Some(props)) = (value.as_object(), schema["properties"].as_object()) {
        for (name, v) in object {
            if let Some(s) = props.get(name) {
                conforms(doc, s, v, &format!("{path}.{name}"))?;
            }
        }
    }
    if let (Some(items), Some(item_schema)) = (value.as_array(), schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            conforms(doc, item_schema, v, &format!("{path}[{i}]"))?;
        }
    }
    Ok(())
}

/// Sends one request and checks the status is documented for the operation and the body matches its schema.
async fn check(
    app: &App,
    doc: &Value,
    op: &Value,
    method: &str,
    path: &str,
    body: Option<(&str, String)>,
) -> u16 {
    let mut request = app.client.request(method.parse().unwrap(), app.url(path));
    if let Some((content_type, body)) = body {
        request = request.header("content-type", content_type).body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = response.text().await.unwrap();
    let documented = &op["responses"][status.to_string()];
    assert!(
        documented.is_object(),
        "{method} {path} answered {status}, which is not documented: {text}"
    );
    if let Some(content) = documented["content"].as_object() {
        // One of the documented media types (`/metrics` documents two, chosen by `Accept`).
        let (documented_type, media) = content
            .iter()
            .find(|(documented, _)| content_type.starts_with(documented.as_str()))
            .unwrap_or_else(|| {
                panic!(
                    "{method} {path} {status}: content type {content_type}, documented {:?}",
                    content.keys().collect::<Vec<_>>()
                )
            });
        if documented_type == "application/json" {
            let value: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"));
            if let Value::Object(_) | Value::Array(_) = &value {
                // Record any secret so the log scan covers it.
                for key in ["passwords", "passphrases"] {
                    value[key]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .for_each(|s| app.saw_password(s));
                }
            }
            if let Some(s) = value["senha"].as_str() {
                app.saw_password(s);
            }
            conforms(
                doc,
                &media["schema"],
                &value,
                &format!("{method} {path} {status}"),
            )
            .unwrap();
        }
    }
    status
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    // The private scope (the default): the shared scope refuses, by design, the history's DELETE and clear form.
    let app = App::start(&[("HISTORY_SCOPE", "private")]);
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            let content = &op["requestBody"]["content"];
            let (valid, invalid) = if let Some(media) = content.get("application/json") {
                let example = resolve(&doc, &media["schema"])["example"].clone();
                let example = if example.is_null() {
                    json!({})
                } else {
                    example
                };
                (
                    Some(("application/json", example.to_string())),
                    Some(("application/json", "[1, 2]".to_owned())),
                )
            } else if content.get("application/x-www-form-urlencoded").is_some() {
                (
                    Some(("application/x-www-form-urlencoded", "tamanho=12".to_owned())),
                    Some((
                        "application/x-www-form-urlencoded",
                        "tamanho=abc".to_owned(),
                    )),
                )
            } else {
                (None, None)
            };
            let status = check(&app, &doc, op, &method, path, valid).await;
            assert!(
                (200..300).contains(&status),
                "{method} {path}: valid request got {status}"
            );
            if invalid.is_some() {
                let status = check(&app, &doc, op, &method, path, invalid).await;
                assert!(
                    (400..500).contains(&status),
                    "{method} {path}: invalid request got {status}"
                );
                // Malformed JSON too, where the body is JSON.
                if content.get("application/json").is_some() {
                    let status = check(
                        &app,
                        &doc,
                        op,
                        &method,
                        path,
                        Some(("application/json", "{".into())),
                    )
                    .await;
                    assert_eq!(status, 400, "{method} {path}");
                    let status = check(
                        &app,
                        &doc,
                        op,
                        &method,
                        path,
                        Some(("text/plain", "{}".into())),
                    )
                    .await;
                    assert_eq!(status, 415, "{method} {path}");
                }
            } else {
                // No input to get wrong: a method the route does not have gets the common error shape.
                // PUT: no route has it (`/api/senhas` has DELETE, which empties the caller's history).
                let response = app.client.put(app.url(path)).send().await.unwrap();
                assert_eq!(response.status().as_u16(), 405, "PUT {path}");
                let body: Value = response.json().await.unwrap();
                conforms(
                    &doc,
                    &json!({"$ref": "#/components/schemas/ErrorBody"}),
                    &body,
                    path,
                )
                .unwrap();
            }
            checked += 1;
        }
    }
    assert!(checked >= 9, "only {checked} operations documented");
    for path in ["/api/v1/passwords", "/api/v1/passphrases"] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
}

#[tokio::test]
async fn the_schema_check_can_fail() {
    // The walker's validator rejects what it must: a missing required field, a wrong type.
    let doc = json!({"components": {"schemas": {"R": {"type": "object", "required": ["a"],
        "properties": {"a": {"type": "array", "items": {"type": "string"}}}}}}});
    let schema = json!({"$ref": "#/components/schemas/R"});
    assert!(conforms(&doc, &schema, &json!({"a": ["x"]}), "").is_ok());
    assert!(conforms(&doc, &schema, &json!({}), "").is_err());
    assert!(conforms(&doc, &schema, &json!({"a": [1]}), "").is_err());
    assert!(conforms(&doc, &schema, &json!([]), "").is_err());
}
