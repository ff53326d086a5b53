//! The page as a browser without JavaScript gets it, black-box on the HTML: history secrets only inside the
//! `value` of a password field (never in clear text, in a `<noscript>` or anywhere else), only the new result
//! in clear text, no button that needs JavaScript left visible, the length field's range equal to the
//! server's, buttons named by position and by kind of secret, and the language choice kept by a cookie.

mod common;

use common::App;
use giropops_senhas::generator::{MAX_LENGTH, MIN_LENGTH};

/// askama's escaping of the characters a secret may hold.
fn escape(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// The page with every `<input type="password" …>` tag cut out: what is left is what shows in clear text.
fn without_password_inputs(html: &str) -> String {
    let mut rest = html;
    let mut out = String::new();
    while let Some(start) = rest.find("<input type=\"password\"") {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find('>').expect("tag end");
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Every `<button …>` start tag whose attributes contain `attribute` (e.g. `data-copy="h`: the history's).
fn buttons<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    html.match_indices("<button ")
        .map(|(i, _)| &html[i..i + html[i..].find('>').expect("tag end")])
        .filter(|tag| tag.contains(&format!(" {attribute}")))
        .collect()
}

async fn get(app: &App, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("request")
}

#[tokio::test]
async fn history_secrets_appear_only_in_password_fields() {
    let app = App::start(&[]);
    // Long enough that a match elsewhere in the page cannot be chance; punctuation exercises the escaping.
    let mut history = Vec::new();
    for _ in 0..3 {
        let secret = app.generate(24, true, true).await;
        app.saw_password(&secret);
        history.push(secret);
    }
    let html = get(&app, "/", &[]).await.text().await.expect("body");
    let clear = without_password_inputs(&html);
    for secret in &history {
        assert!(html.contains(&escape(secret)), "{secret} is listed");
        assert!(
            !clear.contains(&escape(secret)) && !clear.contains(secret.as_str()),
            "{secret} in clear text:\n{html}"
        );
    }
    assert!(
        !html.contains("<noscript"),
        "no <noscript> without a result"
    );

    // Every show/copy button is sent hidden (assets/app.js shows them), the history's named with their
    // position; the result's block is there too, hidden and empty.
    for tag in buttons(&html, "data-toggle=")
        .iter()
        .chain(&buttons(&html, "data-copy="))
    {
        assert!(tag.ends_with(" hidden"), "{tag}");
    }
    let (toggles, copies) = (
        buttons(&html, "data-toggle=\"h"),
        buttons(&html, "data-copy=\"h"),
    );
    assert_eq!((toggles.len(), copies.len()), (3, 3), "{html}");
    assert!(html.contains(r#"<div class="result" data-announce="Nova senha gerada." hidden>"#));
    for (i, (toggle, copy)) in toggles.iter().zip(&copies).enumerate() {
        let n = i + 1;
        assert!(
            toggle.contains(&format!("aria-label=\"Mostrar senha {n}\"")),
            "{toggle}"
        );
        assert!(
            copy.contains(&format!("aria-label=\"Copiar senha {n}\"")),
            "{copy}"
        );
    }

    // After a form post the new result may be in clear text (the <noscript>), the older ones still not.
    let response = app
        .client
        .post(app.url("/"))
        .form(&[("tamanho", "24"), ("incluir_numeros", "on")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("body");
    let start = html.find("id=\"senha-gerada\"").expect("result");
    let value = &html[start..];
    let value = &value[value.find("value=\"").expect("value") + 7..];
    let new = &value[..value.find('"').expect("quote")];
    app.saw_password(new);
    let clear = without_password_inputs(&html);
    assert!(
        clear.contains(&format!("<noscript><p class=\"plain\"><code>{new}</code>")),
        "the new result, without JavaScript:\n{html}"
    );
    for secret in &history {
        assert!(html.contains(&escape(secret)), "{secret} is listed");
        assert!(!clear.contains(&escape(secret)), "{secret} in clear text");
    }
    assert_eq!(clear.matches(new).count(), 1, "{html}");
    assert!(
        buttons(&html, "data-copy=")
            .iter()
            .all(|t| t.ends_with(" hidden"))
    );
    assert!(
        html.contains(r#"<div class="result" data-announce="Nova senha gerada.">"#),
        "{html}"
    );
}

#[tokio::test]
async fn the_length_field_offers_the_servers_range() {
    let app = App::start(&[]);
    let html = get(&app, "/", &[]).await.text().await.expect("body");
    let field = format!(
        "<input type=\"number\" id=\"tamanho\" name=\"tamanho\" min=\"{MIN_LENGTH}\" max=\"{MAX_LENGTH}\""
    );
    assert!(html.contains(&field), "{html}");
    let slider = format!(
        "<input type=\"range\" id=\"tamanho-deslizante\" min=\"{MIN_LENGTH}\" max=\"{MAX_LENGTH}\""
    );
    assert!(html.contains(&slider), "{html}");
    assert!(
        html.contains(r#"aria-labelledby="tamanho-rotulo" hidden>"#),
        "the slider needs JavaScript: hidden without it"
    );
    // Both ends post and come back as typed (no clamp to a narrower range).
    for length in [MIN_LENGTH, MAX_LENGTH] {
        let response = app
            .client
            .post(app.url("/"))
            .form(&[("tamanho", length.to_string())])
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 200);
        let html = response.text().await.expect("body");
        assert!(
            html.contains(&format!("name=\"tamanho\" min=\"{MIN_LENGTH}\" max=\"{MAX_LENGTH}\" inputmode=\"numeric\" required value=\"{length}\"")),
            "{length}: {html}"
        );
    }
    let (_, history) = app.history().await;
    history.iter().for_each(|p| app.saw_password(p));
}

#[tokio::test]
async fn passphrase_wording_description_and_the_remembered_language() {
    let app = App::start(&[]);
    let html = get(&app, "/", &[]).await.text().await.expect("body");
    assert!(
        html.contains("<meta name=\"description\" content=\"Gere senhas"),
        "{html}"
    );

    let response = app
        .client
        .post(app.url("/?lang=en"))
        .form(&[("modo", "frase")])
        .send()
        .await
        .expect("post");
    let html = response.text().await.expect("body");
    for label in ["Show passphrase", "Copy passphrase"] {
        assert!(
            html.contains(&format!("aria-label=\"{label}\"")),
            "{label}: {html}"
        );
    }
    assert!(html.contains(r#"data-announce="New passphrase generated.""#));
    assert!(html.contains("<meta name=\"description\" content=\"Generate strong"));

    // The switch link sets the language cookie; the next page without ?lang= follows it, over the header.
    let response = get(&app, "/?lang=en", &[("accept-language", "pt-BR")]).await;
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let cookie = cookies
        .iter()
        .find(|c| c.starts_with("giropops-idioma="))
        .unwrap_or_else(|| panic!("no language cookie in {cookies:?}"));
    assert_eq!(
        cookie,
        "giropops-idioma=en; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"
    );
    let pair = cookie.split(';').next().expect("pair");
    let html = get(&app, "/", &[("accept-language", "pt-BR"), ("cookie", pair)])
        .await
        .text()
        .await
        .expect("body");
    assert!(
        html.contains("<html lang=\"en\""),
        "the cookie wins over the header"
    );
    // The link still wins over the cookie; without ?lang= no cookie is set.
    let response = get(&app, "/?lang=pt", &[("cookie", pair)]).await;
    assert!(response.headers().get_all("set-cookie").iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.starts_with("giropops-idioma=pt;"))
    }));
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("<html lang=\"pt-BR\"")
    );
    let response = get(&app, "/", &[]).await;
    assert!(
        !response
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.starts_with("giropops-idioma")))
    );
    let (_, history) = app.history().await;
    history.iter().for_each(|p| app.saw_password(p));
}
