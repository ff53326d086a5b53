//! The real page in headless Chromium (Debian `chromium` + `chromium-driver`), driven over WebDriver: set the
//! length, generate, show, copy, see it in the history; no console errors, no CSP violations.

mod common;

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{App, TempDir, free_port, wait_for, wait_for_async};
use fantoccini::{Client, ClientBuilder, Locator, key::Key};
use serde_json::{Value, json};

struct ChromeDriver {
    child: Child,
    port: u16,
    profile: TempDir,
}

impl ChromeDriver {
    fn start() -> Self {
        for program in ["chromedriver", "chromium"] {
            let found = Command::new(program)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok();
            assert!(
                found,
                "{program} is not installed: run `make test` (it installs them) or \
                 `apt-get install chromium chromium-driver`"
            );
        }
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn chromedriver");
        wait_for("chromedriver", Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Self {
            child,
            port,
            profile: TempDir::new("chromium"),
        }
    }

    /// A browser session whose `Accept-Language` is `language`.
    async fn session(&self, language: &str) -> Client {
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--window-size=1280,1400",
                    format!("--accept-lang={language}"),
                    format!("--user-data-dir={}", self.profile.0.display()),
                ],
                "prefs": {"intl.accept_languages": language}
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("WebDriver session")
    }

    /// Console entries of the page so far (chromedriver's log endpoint), drained on each call.
    async fn console(&self, client: &Client) -> Vec<Value> {
        let session = client.session_id().await.unwrap().expect("session id");
        let response: Value = reqwest::Client::new()
            .post(format!(
                "http://127.0.0.1:{}/session/{session}/se/log",
                self.port
            ))
            .json(&json!({"type": "browser"}))
            .send()
            .await
            .expect("log request")
            .json()
            .await
            .expect("log json");
        response["value"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn severe(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING")
        .map(|e| e["message"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// Records CSP violations from now on, so clicks are covered too (load-time ones show in the console log).
const WATCH_CSP: &str = "window.__csp = []; document.addEventListener('securitypolicyviolation', \
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));";

async fn csp_violations(client: &Client) -> Vec<Value> {
    client
        .execute("return window.__csp || [];", vec![])
        .await
        .unwrap()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn prop(client: &Client, css: &str, name: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .prop(name)
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test]
async fn the_page_generates_shows_copies_and_lists_a_password() {
    let app = App::start(&[]);
    let driver = ChromeDriver::start();
    let client = driver.session("pt-BR,pt").await;

    client.goto(&app.base).await.unwrap();
    client.execute(WATCH_CSP, vec![]).await.unwrap();
    assert_eq!(client.title().await.unwrap(), "Gerador de Senhas");

    // Set the length as a keyboard user would: focus the slider, four steps right (16 → 20).
    let slider = client.find(Locator::Id("tamanho")).await.unwrap();
    slider.click().await.unwrap();
    let keys: String = std::iter::repeat_n(char::from(Key::Home), 1)
        .chain(std::iter::repeat_n(char::from(Key::Right), 12))
        .collect();
    slider.send_keys(&keys).await.unwrap();
    assert_eq!(prop(&client, "#tamanho", "value").await, "20");
    assert_eq!(
        prop(&client, "#tamanho-valor", "value").await,
        "20",
        "live length display"
    );

    client
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let field = client
        .wait()
        .for_element(Locator::Id("senha-gerada"))
        .await
        .unwrap();
    client.execute(WATCH_CSP, vec![]).await.unwrap();
    let senha = field.prop("value").await.unwrap().unwrap();
    app.saw_password(&senha);
    assert_eq!(senha.len(), 20, "{senha}");
    assert!(senha.bytes().any(|b| b.is_ascii_digit()));
    assert!(senha.bytes().any(|b| b.is_ascii_punctuation()));
    assert_eq!(
        field.attr("type").await.unwrap().as_deref(),
        Some("password"),
        "hidden by default"
    );

    // Show, then hide again.
    let toggle = client
        .find(Locator::Css("button[data-toggle=senha-gerada]"))
        .await
        .unwrap();
    toggle.click().await.unwrap();
    assert_eq!(field.attr("type").await.unwrap().as_deref(), Some("text"));
    assert_eq!(
        toggle.attr("aria-pressed").await.unwrap().as_deref(),
        Some("true")
    );
    toggle.click().await.unwrap();
    assert_eq!(
        field.attr("type").await.unwrap().as_deref(),
        Some("password")
    );

    // Copy: the status message is announced, and pasting gives the password back.
    client
        .find(Locator::Css("button[data-copy=senha-gerada]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_async("the copy confirmation", Duration::from_secs(10), || async {
        prop(&client, "#status", "textContent")
            .await
            .contains("copiada")
    })
    .await;
    client
        .execute(
            "const t = document.createElement('textarea'); t.id = 'paste-probe'; \
             document.body.appendChild(t); t.focus();",
            vec![],
        )
        .await
        .unwrap();
    let paste: String = [char::from(Key::Control), 'v', char::from(Key::Control)]
        .iter()
        .collect();
    client
        .find(Locator::Id("paste-probe"))
        .await
        .unwrap()
        .send_keys(&paste)
        .await
        .unwrap();
    assert_eq!(
        prop(&client, "#paste-probe", "value").await,
        senha,
        "clipboard content"
    );
    client
        .execute("document.getElementById('paste-probe').remove();", vec![])
        .await
        .unwrap();

    // The history lists it first, hidden, with its own buttons.
    assert_eq!(prop(&client, "#h1", "value").await, senha);
    assert_eq!(prop(&client, "#h1", "type").await, "password");
    client
        .find(Locator::Css("button[data-toggle=h1]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(prop(&client, "#h1", "type").await, "text");

    std::fs::create_dir_all("target/browser").unwrap();
    std::fs::write(
        "target/browser/page.png",
        client.screenshot().await.unwrap(),
    )
    .unwrap();

    let console = driver.console(&client).await;
    assert!(
        severe(&console).is_empty(),
        "console errors: {:?}",
        severe(&console)
    );
    assert!(csp_violations(&client).await.is_empty());

    // Both detectors work: an inline script (forbidden by our CSP) and a console error are caught.
    client
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.x = 1'; \
             document.body.appendChild(s); console.error('probe error');",
            vec![],
        )
        .await
        .unwrap();
    wait_for_async(
        "the CSP probe to be reported",
        Duration::from_secs(10),
        || async { !csp_violations(&client).await.is_empty() },
    )
    .await;
    let console = severe(&driver.console(&client).await);
    assert!(
        console.iter().any(|m| m.contains("probe error")),
        "{console:?}"
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn the_english_page_and_its_refresh_link() {
    let app = App::start(&[]);
    let driver = ChromeDriver::start();
    let client = driver.session("en-US,en").await;
    app.generate(12, true, true).await;
    client.goto(&app.base).await.unwrap();
    assert_eq!(client.title().await.unwrap(), "Password Generator");
    let lang = client
        .execute("return document.documentElement.lang;", vec![])
        .await
        .unwrap();
    assert_eq!(lang, "en");
    // The refresh control is a plain link: it works without JavaScript.
    let refresh = client
        .find(Locator::Css("a[href$='#historico']"))
        .await
        .unwrap();
    refresh.click().await.unwrap();
    assert_eq!(
        client
            .find_all(Locator::Css("ol.history li"))
            .await
            .unwrap()
            .len(),
        1
    );
    let console = driver.console(&client).await;
    assert!(
        severe(&console).is_empty(),
        "console errors: {:?}",
        severe(&console)
    );
    client.close().await.unwrap();
}
