//! The page's language switch works without JavaScript: `?lang=en|pt` links, kept by the form post.

mod common;

use common::App;

async fn page(app: &App, path: &str, accept_language: &str) -> String {
    app.client
        .get(app.url(path))
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_language_switch_is_a_plain_link() {
    let app = App::start(&[]);
    let pt = page(&app, "/", "pt-BR").await;
    assert!(pt.contains("<html lang=\"pt-BR\""), "{pt}");
    assert!(pt.contains("href=\"/?lang=en\""), "switch to English");
    let en = page(&app, "/?lang=en", "pt-BR").await;
    assert!(en.contains("<html lang=\"en\""));
    assert!(en.contains("<title>Password Generator</title>"));
    assert!(en.contains("href=\"/?lang=pt\""), "switch back");
    assert!(
        en.contains("action=\"/?lang=en\""),
        "the form keeps the language"
    );
    let back = page(&app, "/?lang=pt", "en").await;
    assert!(
        back.contains("<title>Gerador de Senhas</title>"),
        "the link wins over the header"
    );

    // The form post to /?lang=en answers in English.
    let response = app
        .client
        .post(app.url("/?lang=en"))
        .form(&[("tamanho", "12"), ("incluir_numeros", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Generated password:"), "{html}");
    let (_, history) = app.history().await;
    history.iter().for_each(|p| app.saw_password(p));
}
