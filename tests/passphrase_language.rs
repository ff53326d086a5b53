//! `language` on `POST /api/v1/passphrases` and `min_entropy_bits` on both v1 routes, black-box against the real
//! binary: Portuguese words from the BIP-39 list with exact entropy, the error codes, and the OpenAPI document.

mod common;

use std::collections::HashSet;

use common::App;
use giropops_senhas::generator::Language;
use serde_json::{Value, json};

fn phrases(app: &App, body: &Value) -> Vec<String> {
    let phrases: Vec<String> = body["passphrases"]
        .as_array()
        .unwrap_or_else(|| panic!("no passphrases in {body}"))
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    phrases.iter().for_each(|p| app.saw_password(p));
    phrases
}

#[tokio::test]
async fn portuguese_passphrases_come_from_the_bip39_list_with_exact_entropy() {
    let app = App::start(&[]);
    let portuguese: HashSet<&str> = Language::PtBr.words().iter().collect();
    let english: HashSet<&str> = Language::En.words().iter().collect();
    let (status, body) = app
        .post_json(
            "/api/v1/passphrases",
            json!({"language": "pt-BR", "words": 7, "count": 20}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["entropy_bits"], 77.0, "7 × 11 bits");
    assert_eq!(body["strength"], "strong");
    for phrase in phrases(&app, &body) {
        let words: Vec<&str> = phrase.split('-').collect();
        assert_eq!(words.len(), 7, "{phrase}");
        assert!(words.iter().all(|w| portuguese.contains(w)), "{phrase}");
    }

    // Capitalised, with a digit: 7 × 11 + log2(70) = 83.13.
    let (status, body) = app
        .post_json(
            "/api/v1/passphrases",
            json!({"language": "pt-BR", "words": 7, "capitalize": true, "include_number": true,
                   "separator": " ", "count": 20}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["entropy_bits"], 83.1);
    for phrase in phrases(&app, &body) {
        assert_eq!(phrase.chars().filter(char::is_ascii_digit).count(), 1);
        for word in phrase.split(' ') {
            let word = word.trim_end_matches(|c: char| c.is_ascii_digit());
            assert!(
                word.starts_with(|c: char| c.is_ascii_uppercase()),
                "{phrase}"
            );
            assert!(
                portuguese.contains(word.to_ascii_lowercase().as_str()),
                "{phrase}"
            );
        }
    }

    // English stays the default, and `en` says so explicitly. (Split on spaces: a few EFF words have a hyphen.)
    for body in [
        json!({"count": 5, "separator": " "}),
        json!({"language": "en", "count": 5, "separator": " "}),
    ] {
        let (status, body) = app.post_json("/api/v1/passphrases", body).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["entropy_bits"], 77.5);
        for phrase in phrases(&app, &body) {
            assert!(phrase.split(' ').all(|w| english.contains(w)), "{phrase}");
        }
    }
}

#[tokio::test]
async fn an_unknown_language_is_a_clear_422() {
    let app = App::start(&[]);
    for language in [
        json!("pt"),
        json!("pt-br"),
        json!("fr"),
        json!(null),
        json!(1),
    ] {
        let (status, body) = app
            .post_json("/api/v1/passphrases", json!({"language": language}))
            .await;
        assert_eq!(status, 422, "{language}: {body}");
        assert_eq!(body["error"]["code"], "invalid_language", "{language}");
        assert_eq!(
            body["error"]["message"],
            "O campo language deve ser um destes: en, pt-BR."
        );
    }
    let response = app
        .client
        .post(app.url("/api/v1/passphrases"))
        .header("accept-language", "en")
        .json(&json!({"language": "de"}))
        .send()
        .await
        .unwrap();
    let (status, body) = app.json_response(response).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["message"],
        "Field language must be one of en, pt-BR."
    );
}

#[tokio::test]
async fn min_entropy_bits_sizes_passwords_and_passphrases() {
    let app = App::start(&[]);
    // Passwords: the default classes reach 100 bits at 16 characters; digits only reach 64 at 20 (66.4 bits).
    for (body, length) in [
        (json!({"min_entropy_bits": 100}), 16),
        (
            json!({"min_entropy_bits": 64, "lowercase": false, "uppercase": false, "symbols": false}),
            20,
        ),
        (json!({"min_entropy_bits": 1}), 4),
        (json!({"min_entropy_bits": 100, "length": 40}), 40),
    ] {
        let (status, response) = app.post_json("/api/v1/passwords", body.clone()).await;
        assert_eq!(status, 200, "{body}: {response}");
        let password = response["passwords"][0].as_str().unwrap();
        app.saw_password(password);
        assert_eq!(password.len(), length, "{body}");
        let bits = response["entropy_bits"].as_f64().unwrap();
        assert!(
            bits >= body["min_entropy_bits"].as_f64().unwrap(),
            "{body}: {bits}"
        );
    }
    // Passphrases: the fewest words of the chosen list.
    for (body, words) in [
        (json!({"min_entropy_bits": 77, "language": "pt-BR"}), 7),
        (json!({"min_entropy_bits": 78, "language": "pt-BR"}), 8),
        (json!({"min_entropy_bits": 77}), 6),
        (
            json!({"min_entropy_bits": 80, "include_number": true, "language": "pt-BR"}),
            7,
        ),
    ] {
        let (status, response) = app.post_json("/api/v1/passphrases", body.clone()).await;
        assert_eq!(status, 200, "{body}: {response}");
        let phrase = &phrases(&app, &response)[0];
        assert_eq!(phrase.split('-').count(), words, "{body}: {phrase}");
    }
}

#[tokio::test]
async fn entropy_targets_that_cannot_be_met_are_422s() {
    let app = App::start(&[]);
    for (path, body, code, message) in [
        (
            "/api/v1/passwords",
            json!({"min_entropy_bits": 900}),
            "entropy_unreachable",
            "Nenhum tamanho desta política chega a 900 bits de entropia: o máximo é 830,9 bits.",
        ),
        (
            "/api/v1/passwords",
            json!({"min_entropy_bits": 100, "length": 12}),
            "entropy_below_target",
            "Uma senha deste tamanho tem 77,4 bits de entropia, menos que os 100 pedidos.",
        ),
        (
            "/api/v1/passphrases",
            json!({"min_entropy_bits": 221, "language": "pt-BR"}),
            "entropy_unreachable",
            "Nenhum número de palavras desta política chega a 221 bits de entropia: o máximo é 220,0 bits.",
        ),
        (
            "/api/v1/passphrases",
            json!({"min_entropy_bits": 60, "words": 5, "language": "pt-BR"}),
            "entropy_below_target",
            "Uma frase secreta com este número de palavras tem 55,0 bits de entropia, menos que os 60 pedidos.",
        ),
    ] {
        let (status, response) = app.post_json(path, body.clone()).await;
        assert_eq!(status, 422, "{body}: {response}");
        assert_eq!(response["error"]["code"], code, "{body}");
        assert_eq!(response["error"]["message"], message, "{body}");
    }
    // Not a whole number of bits in 1..=1024, or null: the field's own error.
    for target in [json!(0), json!(1025), json!("80"), json!(80.5), json!(null)] {
        for path in ["/api/v1/passwords", "/api/v1/passphrases"] {
            let (status, response) = app
                .post_json(path, json!({"min_entropy_bits": target}))
                .await;
            assert_eq!(status, 422, "{path} {target}");
            assert_eq!(
                response["error"]["code"], "invalid_integer",
                "{path} {target}"
            );
        }
    }
    // An explicit size is refused as null, as before.
    let (status, _) = app
        .post_json("/api/v1/passwords", json!({"length": null}))
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .post_json("/api/v1/passphrases", json!({"words": null}))
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn the_openapi_document_has_the_new_fields() {
    let app = App::start(&[]);
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    let schemas = &doc["components"]["schemas"];
    let passphrases = &schemas["PassphrasesRequest"]["properties"];
    let language = match passphrases["language"]["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            &schemas[name]
        }
        None => &passphrases["language"],
    };
    assert_eq!(language["enum"], json!(["en", "pt-BR"]), "{language}");
    for request in ["PasswordsRequest", "PassphrasesRequest"] {
        let target = &schemas[request]["properties"]["min_entropy_bits"];
        assert_eq!(target["minimum"], 1, "{request}: {target}");
        assert_eq!(target["maximum"], 1024, "{request}: {target}");
    }
    let description =
        doc["paths"]["/api/v1/passphrases"]["post"]["responses"]["422"]["description"]
            .as_str()
            .unwrap();
    for code in [
        "invalid_language",
        "entropy_unreachable",
        "entropy_below_target",
    ] {
        assert!(description.contains(code), "{code} not documented");
    }
}
