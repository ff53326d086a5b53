//! `rules` and `site` on `POST /api/v1/passwords`, against the real binary: known sites (exact and parent
//! domain), the rules followed in every generated password, and each refusal's code.

mod common;

use common::App;
use serde_json::{Value, json};

fn passwords(body: &Value) -> Vec<String> {
    body["passwords"]
        .as_array()
        .expect("passwords")
        .iter()
        .map(|p| p.as_str().expect("a string").to_owned())
        .collect()
}

fn longest_run(p: &str) -> usize {
    p.as_bytes()
        .chunk_by(|a, b| a == b)
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_known_site_and_its_parent_domain() {
    let app = App::start(&[]);
    let (status, body) = app
        .post_json(
            "/api/v1/passwords",
            json!({"site": "apple.com", "count": 20}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rules_source"], "site:apple.com");
    assert!(
        body["rules"].as_str().unwrap().contains("required: digit"),
        "{body}"
    );
    for p in passwords(&body) {
        app.saw_password(&p);
        assert_eq!(p.len(), 20, "default 20 within 8..=63");
        assert!(p.bytes().any(|b| b.is_ascii_lowercase()), "{p}");
        assert!(p.bytes().any(|b| b.is_ascii_uppercase()), "{p}");
        assert!(p.bytes().any(|b| b.is_ascii_digit()), "{p}");
        assert!(p.bytes().all(|b| b.is_ascii_graphic()), "no space: {p:?}");
    }
    // www.activision.com is not in the table: activision.com is (max-consecutive: 2, maxlength 20).
    let (status, body) = app
        .post_json(
            "/api/v1/passwords",
            json!({"site": "WWW.Activision.com.", "count": 100, "length": 20}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rules_source"], "site:activision.com");
    for p in passwords(&body) {
        app.saw_password(&p);
        assert!(longest_run(&p) <= 2, "{p}");
        assert!(p.bytes().any(|b| b.is_ascii_alphabetic()), "{p}");
        assert!(p.bytes().any(|b| b.is_ascii_digit()), "{p}");
    }
    assert!(body["entropy_bits"].as_f64().unwrap() > 100.0, "{body}");
}

#[tokio::test]
async fn every_required_line_and_the_run_limit_hold_in_200_passwords() {
    let app = App::start(&[]);
    let rules = "minlength: 6; maxlength: 10; required: [ab]; required: [bc], digit; required: [!]; \
                 allowed: lower; max-consecutive: 1";
    let mut all = Vec::new();
    // These rules need the counting sampler (a one-character line): about 20 passwords fit a request's budget.
    for _ in 0..10 {
        let (status, body) = app
            .post_json(
                "/api/v1/passwords",
                json!({"rules": rules, "count": 20, "exclude": "z"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["rules"], rules);
        assert_eq!(body["rules_source"], "request");
        all.extend(passwords(&body));
    }
    assert_eq!(all.len(), 200);
    for p in &all {
        app.saw_password(p);
        assert_eq!(p.len(), 10, "20 clamped into 6..=10");
        assert!(p.bytes().any(|b| b"ab".contains(&b)), "{p}");
        assert!(
            p.bytes().any(|b| b"bc".contains(&b) || b.is_ascii_digit()),
            "{p}"
        );
        assert!(p.contains('!'), "{p}");
        assert!(!p.contains('z'), "{p}");
        assert!(longest_run(p) <= 1, "{p}");
        assert!(
            p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'!'),
            "{p}"
        );
    }
}

#[tokio::test]
async fn responses_without_rules_are_unchanged() {
    let app = App::start(&[]);
    let (status, body) = app.post_json("/api/v1/passwords", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["entropy_bits", "passwords", "strength"], "{body}");
    assert_eq!(passwords(&body)[0].len(), 16);
}

#[tokio::test]
async fn refusals_name_the_conflict() {
    let app = App::start(&[]);
    let cases = [
        (json!({"site": "example.com"}), "unknown_site"),
        (
            json!({"site": "apple.com", "rules": "minlength: 8"}),
            "site_and_rules",
        ),
        (
            json!({"rules": "minlength: 8", "digits": false}),
            "rules_conflict",
        ),
        (
            json!({"site": "apple.com", "min_digits": 2}),
            "rules_conflict",
        ),
        (
            json!({"rules": "minlength: 8", "symbol_set": "!"}),
            "rules_conflict",
        ),
        (
            json!({"site": "apple.com", "min_entropy_bits": 80}),
            "rules_conflict",
        ),
        (
            json!({"rules": "minlength: 12; maxlength: 8"}),
            "rules_length_conflict",
        ),
        (
            json!({"rules": "minlength: 8; maxlength: 12", "length": 13}),
            "length_outside_rules",
        ),
        (
            json!({"rules": "max-consecutive: 0"}),
            "invalid_max_consecutive",
        ),
        (json!({"rules": "required: []"}), "required_set_empty"),
        (
            json!({"rules": "allowed: [ab]", "exclude": "ab"}),
            "rules_no_characters",
        ),
        (
            json!({"rules": "required: [a]; required: [b]; required: [c]; required: [d]; required: [e]", "length": 4}),
            "required_lines_exceed_length",
        ),
        (
            json!({"rules": "allowed: [a]; max-consecutive: 2"}),
            "max_consecutive_unsatisfiable",
        ),
        (json!({"rules": "minlenght: 8"}), "invalid_rules"),
        (
            json!({"rules": "allowed: upper;".repeat(70)}),
            "rules_too_long",
        ),
        (
            json!({"rules": "required: upper;".repeat(9)}),
            "rules_too_many_required",
        ),
        (
            json!({"rules": "required: [!]; required: [a]; required: [b]; allowed: lower", "length": 6, "count": 100}),
            "too_much_work",
        ),
        (json!({"rules": 5}), "invalid_string"),
        (json!({"site": null}), "invalid_string"),
        (json!({"length": null}), "invalid_length"),
    ];
    for (body, code) in cases {
        let (status, reply) = app.post_json("/api/v1/passwords", body.clone()).await;
        assert_eq!(status, 422, "{body} → {reply}");
        assert_eq!(reply["error"]["code"], code, "{body} → {reply}");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(message.ends_with('.'), "{message}");
    }
}

#[tokio::test]
async fn the_document_shows_the_new_fields() {
    let app = App::start(&[]);
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    let props = &doc["components"]["schemas"]["PasswordsRequest"]["properties"];
    assert_eq!(props["rules"]["maxLength"], 1024, "{props}");
    assert!(props["site"].is_object(), "{props}");
    let response = &doc["components"]["schemas"]["PasswordsResponse"]["properties"];
    assert!(response["rules_source"].is_object(), "{response}");
}
