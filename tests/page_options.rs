//! `POST /` with the options panel and the passphrase tab, black-box against the real binary: valid options
//! hold in what is generated, the meter the server renders equals API v1's entropy for the same policy,
//! bad options re-render the page with a 422 and a clear message, and the simple form keeps the legacy policy.

mod common;

use common::App;
use serde_json::{Value, json};

const LOOK_ALIKES: &str = "0Oo1lI|";

/// Posts the form (to `/` or `/?lang=…`) and returns status and HTML.
async fn post(app: &App, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The value of the attribute `attr` of the element with `id` (attributes as the template writes them).
fn attr(html: &str, id: &str, attr: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let tag_start = html[..start].rfind('<')?;
    let tag_end = start + html[start..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let key = format!(" {attr}=\"");
    let from = tag.find(&key)? + key.len();
    let to = from + tag[from..].find('"')?;
    Some(unescape(&tag[from..to]))
}

/// Undoes the template's HTML escaping (askama: `&#60; &#62; &#38; &#34; &#39;`), `&` last so an escaped
/// entity in a secret stays literal.
fn unescape(s: &str) -> String {
    s.replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// The secret the page shows, remembered for the log scan.
fn secret(app: &App, html: &str) -> String {
    let s = attr(html, "senha-gerada", "value").unwrap_or_else(|| panic!("no secret in {html}"));
    app.saw_password(&s);
    s
}

fn meter(html: &str, id: &str) -> f64 {
    attr(html, id, "value")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no meter {id}"))
}

/// The page's message: the general alert, or the one beside the field at fault (which then points at it).
fn error_message(html: &str) -> String {
    let (start, open) = match html.find("<p class=\"error\" role=\"alert\">") {
        Some(start) => (start, "<p class=\"error\" role=\"alert\">".len()),
        None => {
            let start = html
                .find("<p class=\"field-error\" id=\"")
                .unwrap_or_else(|| panic!("no error message in {html}"));
            let id_start = start + "<p class=\"field-error\" id=\"".len();
            let id = &html[id_start..id_start + html[id_start..].find('"').unwrap()];
            assert!(
                html.contains("aria-invalid=\"true\"")
                    && html.contains(&format!("aria-describedby=\"{id}")),
                "{id}: no field points at its message"
            );
            (start, html[start..].find('>').unwrap() + 1)
        }
    };
    let rest = &html[start + open..];
    unescape(&rest[..rest.find("</p>").unwrap()])
}

async fn v1_entropy(app: &App, path: &str, body: Value) -> f64 {
    let (status, body) = app.post_json(path, body).await;
    assert_eq!(status, 200, "{body}");
    body.as_object()
        .into_iter()
        .flat_map(|o| o.values())
        .flat_map(|v| v.as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .for_each(|s| app.saw_password(&s));
    body["entropy_bits"].as_f64().expect("entropy_bits")
}

/// What a browser posts for the simple form: the option inputs are there, empty.
type Fields<'a> = &'a [(&'a str, &'a str)];
/// Form fields, the equivalent API v1 body, and what every generated password must satisfy.
type Case = (
    Vec<(&'static str, &'static str)>,
    Value,
    fn(&str) -> Result<(), String>,
);

const EMPTY_OPTIONS: [(&str, &str); 9] = [
    ("letras", ""),
    ("min_minusculas", ""),
    ("min_maiusculas", ""),
    ("min_numeros", ""),
    ("min_especiais", ""),
    ("excluir", ""),
    ("simbolos", ""),
    ("site", ""),
    ("regras", ""),
];

#[tokio::test]
async fn empty_options_keep_the_legacy_policy_and_any_option_switches_to_v1() {
    let app = App::start(&[]);
    let mut fields = vec![
        ("tamanho", "16"),
        ("incluir_numeros", "on"),
        ("incluir_caracteres_especiais", "on"),
    ];
    fields.extend(EMPTY_OPTIONS);
    let (status, html) = post(&app, "/", &fields).await;
    assert_eq!(status, 200);
    let password = secret(&app, &html);
    assert_eq!(password.len(), 16);
    // Legacy: 52 letters as one class + 10 digits + 32 punctuation, each at least once: 104.6 bits (exact,
    // computed by the generator's counting; the v1 default for the same length is 103.6).
    assert_eq!(meter(&html, "forca-senha"), 104.6);
    assert!(!html.contains("<details class=\"options\" id=\"opcoes\" open"));
    let (_, history) = app.history().await;
    assert_eq!(history.first(), Some(&password), "recorded as before");

    // One option set (the default minimum, written out): the v1 policy, the same entropy as API v1.
    let mut with_option = fields.clone();
    with_option.retain(|(n, _)| *n != "min_numeros");
    with_option.push(("min_numeros", "1"));
    let (status, html) = post(&app, "/", &with_option).await;
    assert_eq!(status, 200);
    secret(&app, &html);
    let v1 = v1_entropy(&app, "/api/v1/passwords", json!({"length": 16})).await;
    assert_eq!(meter(&html, "forca-senha"), v1);
    assert_eq!(v1, 103.6);
    assert!(
        html.contains("<details class=\"options\" id=\"opcoes\" open"),
        "the panel stays open with its values"
    );
    assert_eq!(attr(&html, "min_numeros", "value").as_deref(), Some("1"));
    assert_eq!(
        app.metric("giropops_secrets_generated_total{kind=\"password\",interface=\"page\"}")
            .await,
        2.0
    );
}

#[tokio::test]
async fn options_hold_in_every_generated_password() {
    let app = App::start(&[]);
    let cases: Vec<Case> = vec![
        (
            vec![
                ("tamanho", "20"),
                ("incluir_numeros", "on"),
                ("min_numeros", "3"),
                ("excluir_parecidos", "on"),
            ],
            json!({"length": 20, "symbols": false, "min_digits": 3, "exclude_ambiguous": true}),
            twenty_with_three_digits,
        ),
        (
            vec![
                ("tamanho", "12"),
                ("incluir_caracteres_especiais", "on"),
                ("letras", "minusculas"),
                ("simbolos", "@#"),
                ("min_especiais", "4"),
                ("excluir", "aeiou"),
            ],
            json!({"length": 12, "uppercase": false, "digits": false, "symbol_set": "@#",
                   "min_symbols": 4, "exclude": "aeiou"}),
            |p| {
                check(p.len() == 12, "length 12")?;
                check(
                    p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'@' || b == b'#'),
                    "lowercase and @# only",
                )?;
                check(
                    p.bytes().filter(|b| *b == b'@' || *b == b'#').count() >= 4,
                    "4 symbols",
                )?;
                check(!p.chars().any(|c| "aeiou".contains(c)), "no vowels")
            },
        ),
        (
            vec![
                ("tamanho", "8"),
                ("incluir_numeros", "on"),
                ("letras", "nenhuma"),
            ],
            json!({"length": 8, "lowercase": false, "uppercase": false, "symbols": false}),
            |p| {
                check(
                    p.len() == 8 && p.bytes().all(|b| b.is_ascii_digit()),
                    "8 digits",
                )
            },
        ),
    ];
    for (fields, v1_body, holds) in cases {
        let expected = v1_entropy(&app, "/api/v1/passwords", v1_body.clone()).await;
        for _ in 0..15 {
            let (status, html) = post(&app, "/", &fields).await;
            assert_eq!(status, 200, "{fields:?}: {html}");
            let password = secret(&app, &html);
            if let Err(why) = holds(&password) {
                panic!("{password:?} breaks {fields:?}: {why}");
            }
            assert_eq!(meter(&html, "forca-senha"), expected, "{v1_body}");
        }
    }
    // The checker can fail: passwords that break the first case's options are rejected.
    assert!(twenty_with_three_digits("abcdeFghijkmnpqrs234").is_ok());
    for broken in [
        "abcdeFghijkmnpqrs23",
        "abcdeFghijkmnpqrst23",
        "abcdeFghijkmnpqrs23!",
        "abcdeFghijkmnpqrs230",
        "abcdefghijkmnpqrs234",
    ] {
        assert!(twenty_with_three_digits(broken).is_err(), "{broken}");
    }
}

fn twenty_with_three_digits(p: &str) -> Result<(), String> {
    check(p.len() == 20, "length 20")?;
    check(
        p.bytes().filter(u8::is_ascii_digit).count() >= 3,
        "3 digits",
    )?;
    check(!p.bytes().any(|b| b.is_ascii_punctuation()), "no symbols")?;
    check(
        !p.chars().any(|c| LOOK_ALIKES.contains(c)),
        "no look-alikes",
    )?;
    check(p.bytes().any(|b| b.is_ascii_lowercase()), "a lowercase")?;
    check(p.bytes().any(|b| b.is_ascii_uppercase()), "an uppercase")
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what.to_owned()) }
}

#[tokio::test]
async fn bad_options_re_render_with_a_422_and_a_message() {
    let app = App::start(&[]);
    let base = [("tamanho", "16"), ("incluir_numeros", "on")];
    // The page names a field as its label does ("Números" in the minimums, "Letters"), not by the wire name
    // the API's messages use.
    let cases: &[(Fields, &str, &str)] = &[
        (
            &[("min_numeros", "abc")],
            "O campo Números deve ser um número inteiro entre 0 e 128.",
            "Field Digits must be an integer between 0 and 128.",
        ),
        (
            &[("min_numeros", "129")],
            "O campo Números deve ser um número inteiro entre 0 e 128.",
            "Field Digits must be an integer between 0 and 128.",
        ),
        (
            &[("min_numeros", "15")],
            "Os mínimos somam 17 caracteres, mais que o tamanho 16.",
            "The minimums add up to 17, more than the length 16.",
        ),
        (
            &[("min_especiais", "2")],
            "Há um mínimo para símbolos, mas esse tipo está desativado.",
            "A minimum is set for the disabled symbols class.",
        ),
        (
            &[("letras", "nenhuma"), ("excluir", "0123456789")],
            "As exclusões deixaram vazio o conjunto de números.",
            "The exclusions leave the digits class empty.",
        ),
        (
            &[("incluir_caracteres_especiais", "on"), ("simbolos", "ab")],
            "O conjunto de símbolos só aceita pontuação ASCII, não 'a'.",
            "The symbol set may only contain ASCII punctuation, not 'a'.",
        ),
        (
            &[("letras", "todas")],
            "O campo Letras tem um valor inválido.",
            "Form field Letters has an invalid value.",
        ),
        (
            &[("min_numeros", "1"), ("min_numeros", "2")],
            "O campo Números aparece mais de uma vez.",
            "Form field Digits appears more than once.",
        ),
        (
            &[("excluir_parecidos", "sim")],
            "O campo Excluir caracteres parecidos tem um valor inválido.",
            "Form field Exclude look-alikes has an invalid value.",
        ),
    ];
    for (extra, pt, en) in cases {
        let mut fields = base.to_vec();
        fields.extend_from_slice(extra);
        let (status, html) = post(&app, "/", &fields).await;
        assert_eq!(status, 422, "{fields:?}");
        assert_eq!(error_message(&html), *pt, "{fields:?}");
        assert_eq!(
            attr(&html, "senha-gerada", "value").as_deref(),
            Some(""),
            "no password shown"
        );
        assert!(
            html.contains("<div class=\"result\" data-announce=\"Nova senha gerada.\" hidden>")
        );
        let (status, html) = post(&app, "/?lang=en", &fields).await;
        assert_eq!(status, 422, "{fields:?}");
        assert_eq!(error_message(&html), *en, "{fields:?}");
    }
    // An impossible policy keeps what the user typed, with the panel open, and the meter says so.
    let (_, html) = post(
        &app,
        "/",
        &[
            ("tamanho", "16"),
            ("incluir_numeros", "on"),
            ("min_numeros", "15"),
            ("excluir", "<x>"),
        ],
    )
    .await;
    assert!(html.contains("<details class=\"options\" id=\"opcoes\" open"));
    assert_eq!(attr(&html, "min_numeros", "value").as_deref(), Some("15"));
    assert_eq!(attr(&html, "excluir", "value").as_deref(), Some("<x>"));
    assert!(!html.contains("value=\"<x>\""), "escaped");
    assert_eq!(meter(&html, "forca-senha"), 0.0);
    assert!(html.contains("combinação impossível"));
    let (_, history) = app.history().await;
    assert!(history.is_empty(), "nothing recorded: {history:?}");
}

/// A browser's post of the password form with both boxes checked, `extra` replacing the empty options.
fn browser_post<'a>(length: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("tamanho", length),
        ("incluir_numeros", "on"),
        ("incluir_caracteres_especiais", "on"),
    ];
    fields.extend(
        EMPTY_OPTIONS
            .iter()
            .filter(|(n, _)| !extra.iter().any(|(e, _)| e == n)),
    );
    fields.extend_from_slice(extra);
    fields
}

/// No run of more than `k` identical characters.
fn runs_within(p: &str, k: usize) -> bool {
    p.as_bytes()
        .chunk_by(|a, b| a == b)
        .all(|run| run.len() <= k)
}

#[tokio::test]
async fn a_site_or_rules_on_the_page_generate_what_the_rules_allow() {
    let app = App::start(&[]);
    // The site's rules (Apple's table): minlength 8, maxlength 20, max-consecutive 2, a letter, a digit.
    let fields = browser_post("16", &[("site", "www.activision.com")]);
    let expected = v1_entropy(
        &app,
        "/api/v1/passwords",
        json!({"site": "www.activision.com", "length": 16}),
    )
    .await;
    assert_eq!(expected, 95.2);
    for _ in 0..10 {
        let (status, html) = post(&app, "/", &fields).await;
        assert_eq!(status, 200, "{html}");
        let p = secret(&app, &html);
        assert_eq!(p.len(), 16, "{p}");
        assert!(p.bytes().all(|b| b.is_ascii_alphanumeric()), "{p}");
        assert!(p.bytes().any(|b| b.is_ascii_alphabetic()), "{p}");
        assert!(p.bytes().any(|b| b.is_ascii_digit()), "{p}");
        assert!(runs_within(&p, 2), "{p}");
        assert_eq!(meter(&html, "forca-senha"), expected);
        assert!(html.contains("<details class=\"options\" id=\"opcoes\" open"));
        assert_eq!(
            attr(&html, "site", "value").as_deref(),
            Some("www.activision.com")
        );
        let (_, history) = app.history().await;
        assert_eq!(
            history.first(),
            Some(&p),
            "recorded like the page's passwords"
        );
    }
    assert_eq!(
        app.metric("giropops_secrets_generated_total{kind=\"password\",interface=\"page\"}")
            .await,
        10.0
    );
    // Own rules with a space in a custom set, a run limit of 1 and the look-alikes excluded (`0` and `1` go).
    let rules = "required: [ ab]; required: digit; max-consecutive: 1";
    let fields = browser_post("8", &[("regras", rules), ("excluir_parecidos", "on")]);
    let expected = v1_entropy(
        &app,
        "/api/v1/passwords",
        json!({"rules": rules, "length": 8, "exclude_ambiguous": true}),
    )
    .await;
    for _ in 0..10 {
        let (status, html) = post(&app, "/", &fields).await;
        assert_eq!(status, 200, "{html}");
        let p = secret(&app, &html);
        assert_eq!(p.len(), 8, "{p:?}");
        assert!(p.chars().all(|c| " ab23456789".contains(c)), "{p:?}");
        assert!(p.chars().any(|c| " ab".contains(c)), "{p:?}");
        assert!(p.bytes().any(|b| b.is_ascii_digit()), "{p:?}");
        assert!(runs_within(&p, 1), "{p:?}");
        assert_eq!(meter(&html, "forca-senha"), expected);
        assert_eq!(attr(&html, "regras", "value").as_deref(), Some(rules));
    }
    // The suggestions and the site rules for the meter are not in the page: app.js fills the empty datalist
    // from the site table the field names (tests below).
    let html = app.get_text("/").await;
    assert!(html.contains("<datalist id=\"sites\"></datalist>"));
    let table = attr(&html, "site", "data-sites").expect("the site table's URL");
    assert!(table.starts_with("/assets/sites."), "{table}");
}

#[tokio::test]
async fn site_and_rules_refusals_are_the_apis_with_the_typed_values_kept() {
    let app = App::start(&[]);
    let long = format!("minlength: 8;{}", " ".repeat(1020));
    let cases: &[(Fields, &str, &str)] = &[
        (
            &[("site", "apple.com"), ("min_numeros", "2")],
            "O campo min_numeros não pode ser usado junto com regras ou site.",
            "Field min_numeros cannot be combined with regras or site.",
        ),
        (
            &[("regras", "required: lower"), ("letras", "minusculas")],
            "O campo letras não pode ser usado junto com regras ou site.",
            "Field letras cannot be combined with regras or site.",
        ),
        (
            &[("site", "apple.com"), ("simbolos", "@#")],
            "O campo simbolos não pode ser usado junto com regras ou site.",
            "Field simbolos cannot be combined with regras or site.",
        ),
        (
            &[("site", "nope.example")],
            "Não há regras embutidas para o site nope.example: envie-as no campo regras.",
            "No built-in rules for the site nope.example: send them in the regras field.",
        ),
        (
            &[("site", "apple.com"), ("regras", "required: lower")],
            "Envie regras ou site, não os dois.",
            "Send regras or site, not both.",
        ),
        (
            &[("site", "activision.com"), ("tamanho", "32")],
            "O tamanho 32 está fora do intervalo das regras, de 8 a 20.",
            "Length 32 is outside the rules' range 8..=20.",
        ),
        (
            &[("regras", "required: lower; sorted: yes")],
            "As regras não seguem a sintaxe passwordrules: no caractere 17, esperava uma propriedade (minlength, maxlength, max-consecutive, required, allowed).",
            "The rules are not valid passwordrules syntax: at character 17, expected a property (minlength, maxlength, max-consecutive, required, allowed).",
        ),
        (
            &[("regras", "required: [a]; max-consecutive: 1")],
            "Nenhuma senha de tamanho 16 respeita o max-consecutive com esses caracteres.",
            "No password of length 16 meets max-consecutive with these characters.",
        ),
        (
            &[("regras", long.as_str())],
            "As regras passam do limite de 1024 bytes.",
            "The rules are longer than 1024 bytes.",
        ),
    ];
    for (extra, pt, en) in cases {
        let mut fields = browser_post("16", extra);
        if let Some(i) = extra.iter().position(|(n, _)| *n == "tamanho") {
            fields.retain(|(n, v)| *n != "tamanho" || *v == extra[i].1);
        }
        let (status, html) = post(&app, "/", &fields).await;
        assert_eq!(status, 422, "{fields:?}: {html}");
        assert_eq!(error_message(&html), *pt, "{fields:?}");
        assert_eq!(
            attr(&html, "senha-gerada", "value").as_deref(),
            Some(""),
            "no password shown"
        );
        assert!(html.contains("<details class=\"options\" id=\"opcoes\" open"));
        for (name, value) in extra.iter().filter(|(n, _)| *n == "site" || *n == "regras") {
            assert_eq!(attr(&html, name, "value").as_deref(), Some(*value), "kept");
        }
        assert_eq!(meter(&html, "forca-senha"), 0.0, "{fields:?}");
        let (status, html) = post(&app, "/?lang=en", &fields).await;
        assert_eq!(status, 422, "{fields:?}");
        assert_eq!(error_message(&html), *en, "{fields:?}");
    }
    // The simple form's boxes are the API's `digits` / `symbols`: unchecked, they conflict too.
    let mut fields = browser_post("16", &[("site", "apple.com")]);
    fields.retain(|(n, _)| *n != "incluir_caracteres_especiais");
    let (status, html) = post(&app, "/", &fields).await;
    assert_eq!(status, 422);
    assert_eq!(
        error_message(&html),
        "O campo incluir_caracteres_especiais não pode ser usado junto com regras ou site."
    );
    // The API gives the same codes for the same requests.
    let (status, body) = app
        .post_json(
            "/api/v1/passwords",
            json!({"site": "apple.com", "min_digits": 2}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("rules_conflict"))
    );
    let (status, body) = app
        .post_json("/api/v1/passwords", json!({"site": "nope.example"}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("unknown_site"))
    );
    // …and names its own fields where the page names the form's.
    assert_eq!(
        body["error"]["message"],
        "Não há regras embutidas para o site nope.example: envie-as no campo rules."
    );
    let (status, body) = app
        .post_json(
            "/api/v1/passwords",
            json!({"site": "apple.com", "rules": "required: lower"}),
        )
        .await;
    assert_eq!(
        (
            status,
            body["error"]["code"].as_str(),
            body["error"]["message"].as_str()
        ),
        (
            422,
            Some("site_and_rules"),
            Some("Envie rules ou site, não os dois.")
        )
    );
    let (_, history) = app.history().await;
    assert!(history.is_empty(), "nothing recorded: {history:?}");
}

/// What `GET /` may weigh: the page is about 6 KB; the site table (about 50 KB) is a separate asset, fetched by
/// app.js when the site field is used, and putting it back into the page (a datalist carrying every site's
/// rules) takes the page to about 66 KB.
const PAGE_BUDGET_BYTES: usize = 16 * 1024;

#[tokio::test]
async fn the_site_table_is_an_immutable_asset_named_by_its_content_and_the_page_stays_small() {
    let app = App::start(&[]);
    for path in ["/", "/?lang=en", "/?modo=frase"] {
        let html = app.get_text(path).await;
        assert!(
            html.len() < PAGE_BUDGET_BYTES,
            "GET {path}: {} bytes, over the budget of {PAGE_BUDGET_BYTES}",
            html.len()
        );
    }
    let html = app.get_text("/").await;
    let url = attr(&html, "site", "data-sites").expect("the site table's URL");
    assert_eq!(
        attr(&app.get_text("/?lang=en").await, "site", "data-sites"),
        Some(url.clone()),
        "one table for every page"
    );
    let hash = url
        .strip_prefix("/assets/sites.")
        .and_then(|rest| rest.strip_suffix(".json"))
        .unwrap_or_else(|| panic!("{url}"));
    assert!(
        hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{url}"
    );
    let response = app.client.get(app.url(&url)).send().await.expect("request");
    assert_eq!(response.status().as_u16(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(
        header("cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    // Same origin, so the page's CSP (`default-src 'self'`) lets app.js fetch it; the asset carries it too.
    assert!(header("content-security-policy").is_some_and(|v| v.contains("default-src 'self'")));
    let body = response.bytes().await.expect("body");
    // The name is the content's hash (the first 8 bytes of its SHA-256): another table, another URL, so caching
    // it for good never serves a stale table.
    let digest = ring::digest::digest(&ring::digest::SHA256, &body);
    let expected: String = digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hash, expected);
    let stale = app
        .client
        .get(app.url("/assets/sites.0000000000000000.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        stale.status().as_u16(),
        404,
        "only the current table's name"
    );
    // It is the table the server follows: every domain, with the rules API v1 reports for that site.
    let table: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&body).expect("a JSON object of strings");
    assert_eq!(table.len(), 434);
    for (domain, rules) in &table {
        let (status, body) = app
            .post_json("/api/v1/passwords", json!({"site": domain}))
            .await;
        assert_eq!(status, 200, "{domain}: {body}");
        assert_eq!(body["rules"].as_str(), Some(rules.as_str()), "{domain}");
        assert_eq!(body["rules_source"], format!("site:{domain}"), "{domain}");
        // For the log scan, but not the digits-only ones (PIN sites): those may well occur in a latency.
        for p in body["passwords"].as_array().into_iter().flatten() {
            let p = p.as_str().unwrap_or_default();
            if !p.bytes().all(|b| b.is_ascii_digit()) {
                app.saw_password(p);
            }
        }
    }
    let (status, body) = app
        .post_json(
            "/api/v1/passwords",
            json!({"site": "not-in-the-table.example"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("unknown_site"))
    );
}

#[tokio::test]
async fn the_passphrase_tab_generates_records_and_rejects() {
    let app = App::start(&[]);
    let tab = app.get_text("/?modo=frase").await;
    assert!(tab.contains("id=\"form-frase\"") && !tab.contains("id=\"form-senha\""));
    assert!(tab.contains("<h2 id=\"gerar-titulo\">Gerar frase secreta</h2>"));
    // The Portuguese page offers Portuguese words first: 6 × 11 bits.
    assert_eq!(
        meter(&tab, "forca-frase"),
        66.0,
        "6 Portuguese words by default"
    );
    assert!(
        tab.contains("<option value=\"pt-BR\" selected>"),
        "pt-BR selected"
    );
    let en = app.get_text("/?lang=en&modo=frase").await;
    for s in [
        "Generate a passphrase",
        "Number of words:",
        "Separator:",
        "Capitalize words",
        "Include a number",
        "strong · 77.5 bits",
        "<option value=\"en\" selected>",
    ] {
        assert!(en.contains(s), "{s} missing from the English tab");
    }

    let fields = [
        ("modo", "frase"),
        ("palavras", "5"),
        ("separador", "_"),
        ("capitalizar", "on"),
        ("incluir_numero", "on"),
    ];
    let expected = v1_entropy(
        &app,
        "/api/v1/passphrases",
        json!({"words": 5, "separator": "_", "capitalize": true, "include_number": true,
               "language": "pt-BR"}),
    )
    .await;
    for _ in 0..10 {
        let (status, html) = post(&app, "/", &fields).await;
        assert_eq!(status, 200, "{html}");
        let phrase = secret(&app, &html);
        let words: Vec<&str> = phrase.split('_').collect();
        assert_eq!(words.len(), 5, "{phrase}");
        assert!(
            words
                .iter()
                .all(|w| w.chars().next().is_some_and(char::is_uppercase)),
            "{phrase}"
        );
        assert_eq!(
            phrase.chars().filter(char::is_ascii_digit).count(),
            1,
            "{phrase}"
        );
        assert_eq!(meter(&html, "forca-frase"), expected);
        assert!(html.contains("Frase gerada:"));
        let (_, history) = app.history().await;
        assert_eq!(history.first(), Some(&phrase), "recorded in the history");
    }
    assert_eq!(
        app.metric("giropops_secrets_generated_total{kind=\"passphrase\",interface=\"page\"}")
            .await,
        10.0
    );

    // Defaults, and an empty separator glues the words.
    let (status, html) = post(&app, "/", &[("modo", "frase"), ("separador", "")]).await;
    assert_eq!(status, 200);
    let glued = secret(&app, &html);
    assert!(glued.chars().all(|c| c.is_ascii_lowercase()), "{glued}");

    // Either list on either page: the select decides, and the meter follows the list.
    let portuguese: std::collections::HashSet<&str> = giropops_senhas::generator::Language::PtBr
        .words()
        .iter()
        .collect();
    for (path, idioma, bits) in [
        ("/", "pt-BR", 66.0),
        ("/", "en", 77.5),
        ("/?lang=en", "pt-BR", 66.0),
        ("/?lang=en", "en", 77.5),
        ("/?lang=en", "", 77.5),
    ] {
        let (status, html) = post(&app, path, &[("modo", "frase"), ("idioma", idioma)]).await;
        assert_eq!(status, 200, "{path} {idioma}: {html}");
        let phrase = secret(&app, &html);
        let in_portuguese = phrase.split('-').all(|w| portuguese.contains(w));
        assert_eq!(in_portuguese, bits == 66.0, "{path} {idioma}: {phrase}");
        assert_eq!(meter(&html, "forca-frase"), bits, "{path} {idioma}");
    }

    let bad: &[(Fields, &str)] = &[
        (
            &[("modo", "frase"), ("idioma", "fr")],
            "O campo Idioma das palavras deve ser um destes: en, pt-BR.",
        ),
        (
            &[("modo", "frase"), ("palavras", "2")],
            "O campo Número de palavras deve ser um número inteiro entre 3 e 20.",
        ),
        (
            &[("modo", "frase"), ("palavras", "21")],
            "O campo Número de palavras deve ser um número inteiro entre 3 e 20.",
        ),
        (
            &[("modo", "frase"), ("separador", "e")],
            "O separador pode ter até 5 caracteres, sem letras nem caracteres invisíveis ou de controle.",
        ),
        (
            &[("modo", "frase"), ("capitalizar", "yes")],
            "O campo Iniciais maiúsculas tem um valor inválido.",
        ),
        (&[("modo", "poema")], "O campo modo tem um valor inválido."),
        // Every known field is checked in both modes, never silently ignored.
        (
            &[("modo", "frase"), ("tamanho", "abc")],
            "O campo Tamanho da senha deve ser um número inteiro entre 4 e 128.",
        ),
        (
            &[("modo", "frase"), ("simbolos", "ab")],
            "O conjunto de símbolos só aceita pontuação ASCII, não 'a'.",
        ),
        (
            &[("tamanho", "12"), ("separador", "------")],
            "O separador pode ter até 5 caracteres, sem letras nem caracteres invisíveis ou de controle.",
        ),
        (
            &[("tamanho", "12"), ("palavras", "2")],
            "O campo Número de palavras deve ser um número inteiro entre 3 e 20.",
        ),
    ];
    for (fields, message) in bad {
        let (status, html) = post(&app, "/", fields).await;
        assert_eq!(status, 422, "{fields:?}");
        assert_eq!(error_message(&html), *message, "{fields:?}");
    }
}

/// The page's script generates in place: the same form post with `Accept: application/json` answers the secret
/// and the history as JSON, records like the plain post, and words its errors as the page does.
#[tokio::test]
async fn the_form_post_answers_json_to_the_pages_script() {
    let app = App::start(&[]);
    let post_json = |fields: Vec<(&'static str, &'static str)>, accept: &'static str| {
        let request = app
            .client
            .post(app.url("/"))
            .header("accept", accept)
            .form(&fields);
        async move {
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            let kind = response.headers()["content-type"]
                .to_str()
                .unwrap_or_default()
                .to_owned();
            (status, kind, response.text().await.expect("body"))
        }
    };
    let (status, kind, body) = post_json(
        vec![("tamanho", "20"), ("incluir_numeros", "on")],
        "application/json",
    )
    .await;
    assert_eq!((status, kind.as_str()), (200, "application/json"), "{body}");
    let body: Value = serde_json::from_str(&body).expect("json");
    let senha = body["senha"].as_str().expect("senha").to_owned();
    app.saw_password(&senha);
    assert_eq!(senha.len(), 20);
    assert!(!senha.bytes().any(|b| b.is_ascii_punctuation()), "{senha}");
    assert_eq!(
        body["historico"],
        json!([senha]),
        "recorded like the form post"
    );

    let (status, _, body) = post_json(vec![("modo", "frase")], "application/json").await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).expect("json");
    let phrase = body["senha"].as_str().expect("senha").to_owned();
    app.saw_password(&phrase);
    assert_eq!(phrase.split('-').count(), 6, "{phrase}");
    assert_eq!(body["historico"], json!([phrase, senha]));

    let (status, kind, body) = post_json(vec![("tamanho", "3")], "application/json").await;
    assert_eq!((status, kind.as_str()), (422, "application/json"), "{body}");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["error"]["code"], "invalid_length");
    assert_eq!(
        body["error"]["message"],
        "O campo Tamanho da senha deve ser um número inteiro entre 4 e 128."
    );

    // A browser's own post (HTML first) still gets the page.
    let (status, kind, body) = post_json(
        vec![("tamanho", "12")],
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    )
    .await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html"), "{kind}");
    secret(&app, &body);
}
