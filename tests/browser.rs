//! The real page in headless Chromium (Debian `chromium` + `chromium-driver`), driven over WebDriver: set the
//! length, generate, show, copy, see it in the history; no console errors, no CSP violations.

mod common;

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{App, TempDir, free_port, wait_for, wait_for_async};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
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
        self.session_with(language, &[]).await
    }

    /// The same, with more Chromium flags (e.g. `--force-dark-mode`).
    async fn session_with(&self, language: &str, extra: &[&str]) -> Client {
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--window-size=1280,1400".into(),
            format!("--accept-lang={language}"),
            format!("--user-data-dir={}", self.profile.0.display()),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": args,
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

/// The app on the embedded store, a browser whose `Accept-Language` is `language`, on the page, watching for CSP
/// violations.
async fn open_page(language: &str) -> (App, ChromeDriver, Client) {
    open_page_with(language, &[]).await
}

/// [`open_page`] with settings for the app.
async fn open_page_with(language: &str, env: &[(&str, &str)]) -> (App, ChromeDriver, Client) {
    let app = App::start(env);
    let driver = ChromeDriver::start();
    let client = driver.session(language).await;
    client.goto(&app.base).await.unwrap();
    client.execute(WATCH_CSP, vec![]).await.unwrap();
    (app, driver, client)
}

/// The copy confirmation beside the copy button of the field `id`.
fn copy_note(id: &str) -> String {
    format!("button[data-copy={id}] + .copy-note")
}

/// Waits for the copy confirmation beside the copy button of `id`, then pastes (Ctrl+V) into a new textarea
/// `#paste-probe` and returns what arrived.
async fn confirm_copy_and_paste(client: &Client, id: &str) -> String {
    wait_for_async("the copy confirmation", Duration::from_secs(10), || async {
        prop_when_present(client, &copy_note(id), "textContent")
            .await
            .contains("Copiado")
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
    prop(client, "#paste-probe", "value").await
}

/// Waits for a new secret in the result field (generated in place: the page does not reload, the field is
/// filled and shown) and returns the field.
async fn new_result(client: &Client) -> fantoccini::elements::Element {
    wait_for_async("a new result", Duration::from_secs(10), || async {
        client
            .execute(
                "const r = document.querySelector('.result'); \
                 const f = document.getElementById('senha-gerada'); \
                 if (!r.hidden && f.value && f.value !== window.__lastResult) { \
                   window.__lastResult = f.value; return true; } \
                 return false;",
                vec![],
            )
            .await
            .unwrap()
            == json!(true)
    })
    .await;
    client.find(Locator::Id("senha-gerada")).await.unwrap()
}

/// For waits on what the script creates or fills after a fetch: the property, or "" while the element does not
/// exist yet (`prop` would fail the test on the first poll).
async fn prop_when_present(client: &Client, css: &str, name: &str) -> String {
    match client.find(Locator::Css(css)).await {
        Ok(element) => element.prop(name).await.ok().flatten().unwrap_or_default(),
        Err(_) => String::new(),
    }
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
    let (app, driver, client) = open_page("pt-BR,pt").await;
    assert_eq!(client.title().await.unwrap(), "Gerador de Senhas");

    // Set the length as a keyboard user would: focus the slider (shown by the script), Home, 16 steps right
    // (4 → 20); the number field follows.
    let slider = client
        .find(Locator::Id("tamanho-deslizante"))
        .await
        .unwrap();
    assert!(slider.is_displayed().await.unwrap(), "the slider is shown");
    slider.click().await.unwrap();
    let keys: String = std::iter::repeat_n(char::from(Key::Home), 1)
        .chain(std::iter::repeat_n(char::from(Key::Right), 16))
        .collect();
    slider.send_keys(&keys).await.unwrap();
    assert_eq!(prop(&client, "#tamanho-deslizante", "value").await, "20");
    assert_eq!(
        prop(&client, "#tamanho", "value").await,
        "20",
        "the number field follows the slider"
    );
    // And the slider follows the number field.
    let field = client.find(Locator::Id("tamanho")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys("21").await.unwrap();
    assert_eq!(prop(&client, "#tamanho-deslizante", "value").await, "21");
    field
        .send_keys(&char::from(Key::Backspace).to_string())
        .await
        .unwrap();
    field.send_keys("0").await.unwrap();
    assert_eq!(prop(&client, "#tamanho", "value").await, "20");
    assert_eq!(prop(&client, "#tamanho-deslizante", "value").await, "20");

    // Generate in place: a marker set on this document survives (no navigation), the URL stays the page's.
    client
        .execute("window.__sameDocument = true;", vec![])
        .await
        .unwrap();
    let url = client.current_url().await.unwrap();
    client
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let field = new_result(&client).await;
    let senha = field.prop("value").await.unwrap().unwrap_or_default();
    app.saw_password(&senha);
    assert_eq!(
        client
            .execute("return window.__sameDocument === true;", vec![])
            .await
            .unwrap(),
        json!(true),
        "generated in place"
    );
    assert_eq!(client.current_url().await.unwrap(), url);
    assert!(!url.as_str().contains(&senha));
    assert_eq!(senha.len(), 20, "{senha}");
    assert!(senha.bytes().any(|b| b.is_ascii_digit()));
    assert!(senha.bytes().any(|b| b.is_ascii_punctuation()));
    assert_eq!(
        field.attr("type").await.unwrap().as_deref(),
        Some("password"),
        "hidden by default"
    );

    // The new secret has the focus, and the live region says so without reading it.
    let focused = client
        .execute("return document.activeElement.id;", vec![])
        .await
        .unwrap();
    assert_eq!(focused, "senha-gerada");
    wait_for_async("the announcement", Duration::from_secs(10), || async {
        prop_when_present(&client, "#status", "textContent").await == "Nova senha gerada."
    })
    .await;

    // With JavaScript every show/copy button is shown (the page sends them hidden).
    for button in client
        .find_all(Locator::Css("button[data-toggle], button[data-copy]"))
        .await
        .unwrap()
    {
        assert!(button.is_displayed().await.unwrap());
    }

    // Show, then hide again: the label stays, aria-pressed alone carries the state.
    let toggle = client
        .find(Locator::Css("button[data-toggle=senha-gerada]"))
        .await
        .unwrap();
    toggle.click().await.unwrap();
    // Shown, the secret moves to a textarea that wraps (the masked input stays, hidden).
    assert_eq!(
        prop(&client, "#senha-revelada", "value").await,
        field.prop("value").await.unwrap().unwrap_or_default()
    );
    assert_eq!(prop(&client, "#senha-gerada", "hidden").await, "true");
    assert_eq!(
        toggle.attr("aria-pressed").await.unwrap().as_deref(),
        Some("true")
    );
    assert_eq!(
        toggle.attr("aria-label").await.unwrap().as_deref(),
        Some("Mostrar senha")
    );
    toggle.click().await.unwrap();
    assert_eq!(
        field.attr("type").await.unwrap().as_deref(),
        Some("password")
    );
    assert_eq!(prop(&client, "#senha-revelada", "value").await, "");
    assert_eq!(prop(&client, "#senha-gerada", "hidden").await, "false");

    // Copy: the status message is announced, and pasting gives the password back.
    client
        .find(Locator::Css("button[data-copy=senha-gerada]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let pasted = confirm_copy_and_paste(&client, "senha-gerada").await;
    assert_eq!(pasted, senha, "clipboard content");
    // The confirmation is cleared after a few seconds.
    wait_for_async(
        "the copy note to clear",
        Duration::from_secs(10),
        || async {
            prop(&client, &copy_note("senha-gerada"), "textContent")
                .await
                .is_empty()
        },
    )
    .await;
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

/// Reads a `<meter>`'s current value (a number) from the page.
async fn meter_value(client: &Client, id: &str) -> f64 {
    client
        .execute(
            "return document.getElementById(arguments[0]).value;",
            vec![json!(id)],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap_or_else(|| panic!("meter {id} has no value"))
}

/// API v1's entropy for a body (`None` for a 422: no secret satisfies it).
async fn server_entropy(app: &App, path: &str, body: &Value) -> Option<f64> {
    let (status, response) = app.post_json(path, body.clone()).await;
    for list in ["passwords", "passphrases"] {
        for s in response[list].as_array().into_iter().flatten() {
            app.saw_password(s.as_str().unwrap_or_default());
        }
    }
    match status {
        200 => Some(response["entropy_bits"].as_f64().expect("entropy_bits")),
        422 => None,
        other => panic!("{path} {body}: status {other}: {response}"),
    }
}

async fn assert_clean(driver: &ChromeDriver, client: &Client) {
    let console = severe(&driver.console(client).await);
    assert!(console.is_empty(), "console errors: {console:?}");
    let csp = csp_violations(client).await;
    assert!(csp.is_empty(), "CSP violations: {csp:?}");
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_page_entropy_function_agrees_with_the_server() {
    // The meter is computed in the browser by assets/app.js; the same policies through API v1 must give the
    // same entropy (rounded to 0.1), and the same "impossible" verdict.
    let (app, driver, client) = open_page("pt-BR,pt").await;
    // The site table is not part of the page: nothing fetched and no suggestions until the site field is used;
    // a site typed then fetches it (once), and the meter follows when it arrives.
    const SITE_TABLE: &str = "return [performance.getEntriesByType('resource')\
        .filter(e => e.name.includes('/assets/sites.')).length, document.querySelectorAll('#sites option').length];";
    assert_eq!(
        client.execute(SITE_TABLE, vec![]).await.unwrap(),
        json!([0, 0])
    );
    client
        .execute(
            "document.getElementById('opcoes').open = true; const f = document.getElementById('site'); \
             f.focus(); f.value = 'www.activision.com'; f.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    let expected = server_entropy(
        &app,
        "/api/v1/passwords",
        &json!({"site": "www.activision.com", "length": 16}),
    )
    .await;
    assert!(expected.is_some());
    wait_for_async(
        "the meter to count the site's rules",
        Duration::from_secs(10),
        || async { Some(meter_value(&client, "forca-senha").await) == expected },
    )
    .await;
    assert_eq!(
        client.execute(SITE_TABLE, vec![]).await.unwrap(),
        json!([1, 434])
    );
    client
        .execute(
            "const f = document.getElementById('site'); f.value = ''; \
             f.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    let policies = json!([
        {}, {"length": 4}, {"length": 128}, {"length": 5, "min_digits": 0, "min_symbols": 0},
        {"length": 20, "symbols": false, "min_digits": 3, "exclude_ambiguous": true},
        {"length": 12, "uppercase": false, "digits": false, "symbol_set": "@#", "min_symbols": 4, "exclude": "aeiou"},
        {"length": 128, "min_digits": 40, "min_symbols": 40, "min_lowercase": 20},
        {"length": 8, "lowercase": false, "uppercase": false, "symbols": false},
        {"length": 64, "min_uppercase": 0, "min_lowercase": 7, "exclude": "abcdefXYZ!#é"},
        {"length": 30, "symbol_set": "!\"'\\`", "exclude_ambiguous": true, "min_symbols": 9},
        {"length": 100, "lowercase": false, "min_uppercase": 50, "min_digits": 49},
        {"lowercase": false, "uppercase": false, "digits": false, "symbols": false},
        {"length": 4, "min_digits": 4},
        {"digits": false, "min_digits": 1},
        {"exclude": "0123456789"},
        {"symbol_set": "a"},
        {"length": 6, "min_lowercase": 3, "min_uppercase": 3, "min_digits": 1}
    ]);
    let rule_sets = json!([
        // Rules (passwordrules, docs/rules.md): overlapping required lines, run limits, custom sets, exclusions.
        {"rules": "minlength: 8; maxlength: 16; required: lower; required: upper; required: digit; max-consecutive: 2;", "length": 12},
        {"rules": "required: lower, upper; required: upper, digit; required: [abc123]; allowed: special", "length": 10},
        {"rules": "required: upper, digit; required: lower, [#$]; required: [-aZ5]; required: [ #]; required: special; \
            required: digit, [xyz]; required: [0]; required: lower, upper; max-consecutive: 2", "length": 24},
        {"rules": "required: lower, upper; required: upper, digit; required: digit, lower; required: ascii-printable; \
            required: lower, special; required: upper, special; required: unicode; required: [abcXYZ789!]; \
            max-consecutive: 3", "length": 30},
        {"rules": "required: ascii-printable; required: [ ]; max-consecutive: 1", "length": 6},
        {"rules": "minlength: 20; required: unicode; allowed: [ -]; max-consecutive: 3"},
        {"rules": "required: [-ab]]; required: [b]]; max-consecutive: 2", "length": 5},
        {"rules": "required: [-ab]]; required: [b]]; max-consecutive: 1", "length": 128},
        {"rules": "maxlength: 12"},
        {"rules": "  MinLength : 6 ; REQUIRED : Lower ,Digit ; max-consecutive: 9; max-consecutive: 3 ;"},
        {"rules": "minlength: 10; required: digit; allowed: upper", "exclude": "0123Aé", "exclude_ambiguous": true, "length": 40},
        {"rules": "required: [aé€b]; allowed: [c d]", "length": 7},
        {"rules": "required: special; required: digit; maxlength: 4000000000000"},
        // Impossible or refused: null in the browser, 422 from the server (the 8-line set above at length 24 is
        // too_much_work: the server's CPU estimate, which app.js reproduces).
        {"rules": "required: [a]; max-consecutive: 1", "length": 8},
        {"rules": "required: [a]; required: [b]; required: [c]; required: [d]; required: [e]", "length": 4},
        {"rules": "minlength: 30; maxlength: 20"},
        {"rules": "max-consecutive: 0"},
        {"rules": "required: [abc]", "exclude": "abc"},
        {"rules": "required: [ ]", "length": 8, "exclude": " "},
        {"rules": "required: lower; allowed: digit", "length": 3},
        {"rules": "maxlength: 12", "length": 13},
        {"rules": "required: lower", "min_digits": 1},
        {"rules": "required: lower", "symbols": false},
        {"rules": "required: lower", "site": "apple.com"},
        {"rules": "bogus: 3"},
        {"rules": "required: [abc"},
        {"rules": "required: lower;; required: upper"},
        {"rules": ""},
        {"rules": "required: lower; required: upper; required: digit; required: special; required: [a]; required: [b]; \
            required: [c]; required: [d]; required: [e]"}
    ]);
    let sites = json!([
        // Sites from the built-in table: the exact host, a parent domain, any case, unknown.
        {"site": "activision.com", "length": 16},
        {"site": "www.activision.com"},
        {"site": "WWW.Apple.COM."},
        {"site": "apple.com", "exclude_ambiguous": true, "length": 24},
        {"site": "nope.example"},
        {"site": "com"}
    ]);
    let mut policies = policies;
    let list = policies.as_array_mut().unwrap();
    list.extend(rule_sets.as_array().unwrap().iter().cloned());
    list.extend(sites.as_array().unwrap().iter().cloned());
    let browser = client
        .execute_async(
            "const [policies, done] = arguments; \
             window.giropopsEntropy.sites().then(() => done(policies.map(p => window.giropopsEntropy.password(p))));",
            vec![policies.clone()],
        )
        .await
        .unwrap();
    let mut compared = 0;
    for (policy, js) in policies
        .as_array()
        .unwrap()
        .iter()
        .zip(browser.as_array().unwrap())
    {
        let server = server_entropy(&app, "/api/v1/passwords", policy).await;
        assert_eq!(
            js.as_f64(),
            server,
            "policy {policy}: browser {js}, server {server:?}"
        );
        compared += 1;
    }
    assert_eq!(compared, policies.as_array().unwrap().len());
    for language in ["en", "pt-BR"] {
        for words in [3, 6, 7, 20] {
            for number in [false, true] {
                let js = client
                    .execute(
                        "return window.giropopsEntropy.passphrase(arguments[0], arguments[1], arguments[2]);",
                        vec![json!(words), json!(number), json!(language)],
                    )
                    .await
                    .unwrap();
                let body = json!({"words": words, "include_number": number, "language": language});
                let server = server_entropy(&app, "/api/v1/passphrases", &body).await;
                assert_eq!(js.as_f64(), server, "{body}");
            }
        }
    }
    // The lists differ: 7 Portuguese words are not 7 English ones.
    let js = client
        .execute(
            "return window.giropopsEntropy.passphrase(7, false, 'pt-BR');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(js.as_f64(), Some(77.0));
    // The comparison can fail: a policy one character longer is a different number.
    let js = client
        .execute(
            "return window.giropopsEntropy.password({length: 17});",
            vec![],
        )
        .await
        .unwrap();
    let server = server_entropy(&app, "/api/v1/passwords", &json!({"length": 16})).await;
    assert_ne!(js.as_f64(), server);
    // The form: a site typed in the panel moves the meter to the rules' exact bits, as the server counts them.
    client
        .execute(
            "const f = document.getElementById('site'); document.getElementById('opcoes').open = true; \
             f.value = 'www.activision.com'; f.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    let server = server_entropy(
        &app,
        "/api/v1/passwords",
        &json!({"site": "www.activision.com", "length": 16}),
    )
    .await;
    assert_eq!(Some(meter_value(&client, "forca-senha").await), server);
    client
        .execute(
            "const f = document.getElementById('site'); f.value = ''; \
             const r = document.getElementById('regras'); r.value = 'required: [a]; max-consecutive: 1'; \
             r.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(meter_value(&client, "forca-senha").await, 0.0, "impossible");
    // A site whose maxlength is under the field's 16: the field and its slider move into its range (12).
    let length = client
        .execute(
            "document.getElementById('regras').value = ''; const f = document.getElementById('site'); \
             f.value = 'airfrance.com'; f.dispatchEvent(new Event('input', {bubbles: true})); \
             return [document.getElementById('tamanho').value, document.getElementById('tamanho-deslizante').value];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(length, json!(["12", "12"]));
    let server = server_entropy(
        &app,
        "/api/v1/passwords",
        &json!({"site": "airfrance.com", "length": 12}),
    )
    .await;
    assert!(server.is_some());
    assert_eq!(Some(meter_value(&client, "forca-senha").await), server);
    client
        .execute(
            "document.getElementById('site').value = ''; const r = document.getElementById('tamanho'); \
             r.value = '16'; r.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    // The legacy policy (the simple form) against the value the server renders for it.
    let js = client
        .execute(
            "return window.giropopsEntropy.legacy(16, true, true);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(js.as_f64(), Some(meter_value(&client, "forca-senha").await));
    assert_clean(&driver, &client).await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn the_options_panel_constrains_the_password_and_the_meter_follows() {
    let (app, driver, client) = open_page("pt-BR,pt").await;
    let legacy = meter_value(&client, "forca-senha").await;
    assert_eq!(legacy, 104.6, "server-rendered: legacy, 16 characters");

    // Closed by default; the summary opens it (a <details>: no JavaScript needed).
    assert_eq!(prop(&client, "#opcoes", "open").await, "false");
    click(&client, "#opcoes summary").await;
    assert_eq!(prop(&client, "#opcoes", "open").await, "true");

    // No symbols: still the legacy policy, a lower entropy.
    click(&client, "#incluir_caracteres_especiais").await;
    let no_symbols = meter_value(&client, "forca-senha").await;
    assert!(no_symbols < legacy, "{no_symbols} < {legacy}");

    // Minimum 3 digits: an option is set, the v1 policy applies; the meter equals the server's value.
    client
        .find(Locator::Id("min_numeros"))
        .await
        .unwrap()
        .send_keys("3")
        .await
        .unwrap();
    let body = json!({"length": 16, "symbols": false, "min_digits": 3});
    let expected = server_entropy(&app, "/api/v1/passwords", &body).await;
    assert_eq!(Some(meter_value(&client, "forca-senha").await), expected);

    click(&client, "#excluir_parecidos").await;
    let body = json!({"length": 16, "symbols": false, "min_digits": 3, "exclude_ambiguous": true});
    let expected = server_entropy(&app, "/api/v1/passwords", &body)
        .await
        .unwrap();
    assert_eq!(meter_value(&client, "forca-senha").await, expected);
    let text = prop(&client, "#forca-senha-texto", "textContent").await;
    let word = if expected >= 100.0 {
        "muito forte"
    } else {
        "forte"
    };
    assert!(
        text.starts_with(word) && text.contains(&format!("{expected:.1}").replace('.', ",")),
        "{text}"
    );
    assert_eq!(
        client
            .find(Locator::Id("forca-senha"))
            .await
            .unwrap()
            .attr("aria-valuetext")
            .await
            .unwrap()
            .as_deref(),
        Some(text.as_str())
    );

    // An impossible combination says so.
    client
        .find(Locator::Id("min_numeros"))
        .await
        .unwrap()
        .send_keys("0")
        .await
        .unwrap();
    assert_eq!(prop(&client, "#min_numeros", "value").await, "30");
    assert_eq!(
        prop(&client, "#forca-senha-texto", "textContent").await,
        "combinação impossível"
    );
    // Posted anyway, the server's message shows in place (an alert), and nothing is generated.
    click(&client, "#form-senha button[type=submit]").await;
    wait_for_async("the error in place", Duration::from_secs(10), || async {
        prop_when_present(&client, ".card > p.error", "textContent")
            .await
            .starts_with("Os mínimos somam 32 caracteres")
    })
    .await;
    assert_eq!(prop(&client, "#senha-gerada", "value").await, "");
    // Chromium logs the 422 of the fetch itself; that line, and only that, is expected here.
    let console = severe(&driver.console(&client).await);
    assert!(
        console.len() == 1 && console[0].contains("422"),
        "{console:?}"
    );
    assert_eq!(
        client
            .find(Locator::Css(".card > p.error"))
            .await
            .unwrap()
            .attr("role")
            .await
            .unwrap()
            .as_deref(),
        Some("alert")
    );
    client
        .find(Locator::Id("min_numeros"))
        .await
        .unwrap()
        .send_keys(&char::from(Key::Backspace).to_string())
        .await
        .unwrap();
    assert_eq!(meter_value(&client, "forca-senha").await, expected);

    std::fs::create_dir_all("target/browser").unwrap();
    std::fs::write(
        "target/browser/options.png",
        client.screenshot().await.unwrap(),
    )
    .unwrap();

    click(&client, "#form-senha button[type=submit]").await;
    let field = new_result(&client).await;
    client.execute(WATCH_CSP, vec![]).await.unwrap();
    let senha = field.prop("value").await.unwrap().unwrap_or_default();
    app.saw_password(&senha);
    assert_eq!(senha.len(), 16, "{senha}");
    assert!(
        senha.bytes().filter(u8::is_ascii_digit).count() >= 3,
        "{senha}"
    );
    assert!(!senha.bytes().any(|b| b.is_ascii_punctuation()), "{senha}");
    assert!(!senha.chars().any(|c| "0Oo1lI|".contains(c)), "{senha}");
    // Generated in place: the panel, the field and the meter stay as they were, the history lists it.
    assert_eq!(meter_value(&client, "forca-senha").await, expected);
    assert_eq!(prop(&client, "#opcoes", "open").await, "true");
    assert_eq!(prop(&client, "#min_numeros", "value").await, "3");
    assert_eq!(prop(&client, "#h1", "value").await, senha, "in the history");
    assert_clean(&driver, &client).await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn the_passphrase_tab_generates_and_copies_a_passphrase() {
    let (app, driver, client) = open_page("pt-BR,pt").await;
    // The tab is a plain link.
    click(&client, "#aba-frase").await;
    client
        .wait()
        .for_element(Locator::Id("form-frase"))
        .await
        .unwrap();
    client.execute(WATCH_CSP, vec![]).await.unwrap();
    assert_eq!(
        client
            .find(Locator::Id("aba-frase"))
            .await
            .unwrap()
            .attr("aria-current")
            .await
            .unwrap()
            .as_deref(),
        Some("page")
    );
    // Portuguese words on the Portuguese page; the select switches the list and the meter follows.
    assert_eq!(meter_value(&client, "forca-frase").await, 66.0);
    assert_eq!(prop(&client, "#idioma", "value").await, "pt-BR");
    client
        .execute(
            "const s = document.getElementById('idioma'); s.value = 'en'; \
             s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(meter_value(&client, "forca-frase").await, 77.5);
    client
        .execute(
            "const s = document.getElementById('idioma'); s.value = 'pt-BR'; \
             s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(meter_value(&client, "forca-frase").await, 66.0);

    // Five words (keyboard on the slider), a number, "." as separator.
    let slider = client.find(Locator::Id("palavras")).await.unwrap();
    slider.click().await.unwrap();
    let keys: String = [
        char::from(Key::Home),
        char::from(Key::Right),
        char::from(Key::Right),
    ]
    .iter()
    .collect();
    slider.send_keys(&keys).await.unwrap();
    assert_eq!(prop(&client, "#palavras-valor", "value").await, "5");
    let five = server_entropy(
        &app,
        "/api/v1/passphrases",
        &json!({"words": 5, "language": "pt-BR"}),
    )
    .await;
    assert_eq!(Some(meter_value(&client, "forca-frase").await), five);
    click(&client, "#incluir_numero").await;
    let expected = server_entropy(
        &app,
        "/api/v1/passphrases",
        &json!({"words": 5, "include_number": true, "language": "pt-BR"}),
    )
    .await
    .unwrap();
    assert_eq!(meter_value(&client, "forca-frase").await, expected);
    let separator = client.find(Locator::Id("separador")).await.unwrap();
    separator.clear().await.unwrap();
    separator.send_keys(".").await.unwrap();

    click(&client, "#form-frase button[type=submit]").await;
    let field = new_result(&client).await;
    client.execute(WATCH_CSP, vec![]).await.unwrap();
    let phrase = field.prop("value").await.unwrap().unwrap_or_default();
    app.saw_password(&phrase);
    let words: Vec<&str> = phrase.split('.').collect();
    assert_eq!(words.len(), 5, "{phrase}");
    assert_eq!(
        phrase.chars().filter(char::is_ascii_digit).count(),
        1,
        "{phrase}"
    );
    assert!(
        words.iter().all(|w| !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')),
        "{phrase}"
    );
    assert_eq!(meter_value(&client, "forca-frase").await, expected);
    assert_eq!(prop(&client, "#separador", "value").await, ".");

    click(&client, "button[data-copy=senha-gerada]").await;
    wait_for_async("the copy confirmation", Duration::from_secs(10), || async {
        prop_when_present(&client, &copy_note("senha-gerada"), "textContent")
            .await
            .contains("Copiado")
    })
    .await;
    assert_eq!(
        client
            .find(Locator::Css("button[data-copy=senha-gerada]"))
            .await
            .unwrap()
            .attr("aria-label")
            .await
            .unwrap()
            .as_deref(),
        Some("Copiar frase secreta")
    );
    assert_eq!(
        prop(&client, "#h1", "value").await,
        phrase,
        "in the history"
    );
    std::fs::create_dir_all("target/browser").unwrap();
    std::fs::write(
        "target/browser/passphrase.png",
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    assert_clean(&driver, &client).await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn the_english_page_shows_the_new_ui_in_english() {
    let (_app, driver, client) = open_page("en-US,en").await;
    click(&client, "#opcoes summary").await;
    click(&client, "#excluir_parecidos").await;
    let visible = prop(&client, "body", "innerText").await;
    for s in [
        "Password",
        "Passphrase",
        "Options",
        "Letters:",
        "Lowercase and uppercase",
        "Minimum of each kind",
        "Exclude look-alikes",
        "Also exclude:",
        "Allowed special characters:",
        "Strength:",
        "very strong · ",
    ] {
        assert!(visible.contains(s), "{s:?} missing from:\n{visible}");
    }
    let portuguese = [
        "Opções",
        "Senha",
        "Frase",
        "Letras",
        "Mínimo",
        "Excluir",
        "Força",
        "forte",
        "palavras",
        "Separador",
    ];
    for s in portuguese {
        assert!(
            !visible.contains(s),
            "{s:?} on the English page:\n{visible}"
        );
    }
    click(&client, "#aba-frase").await;
    client
        .wait()
        .for_element(Locator::Id("form-frase"))
        .await
        .unwrap();
    let lang = client
        .execute("return document.documentElement.lang;", vec![])
        .await
        .unwrap();
    assert_eq!(lang, "en");
    let visible = prop(&client, "body", "innerText").await;
    for s in [
        "Generate a passphrase",
        "Number of words:",
        "Separator:",
        "Capitalize words",
        "Include a number",
        "strong · 77.5 bits",
    ] {
        assert!(visible.contains(s), "{s:?} missing from:\n{visible}");
    }
    for s in portuguese {
        assert!(
            !visible.contains(s),
            "{s:?} on the English page:\n{visible}"
        );
    }
    assert_clean(&driver, &client).await;
    client.close().await.unwrap();
}

/// On `http://<ip>:5000` the page is not a secure context and `navigator.clipboard` does not exist. Loopback is
/// always secure, so the test removes the API before the click: the fallback must still copy, and say so.
#[tokio::test]
async fn copy_works_without_the_clipboard_api_like_on_plain_http() {
    let app = App::start(&[]);
    let driver = ChromeDriver::start();
    let client = driver.session("pt-BR,pt").await;
    let senha = app.generate(24, true, true).await;
    client.goto(&app.base).await.unwrap();
    client
        .execute(
            "Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true});\
             return navigator.clipboard === undefined;",
            vec![],
        )
        .await
        .unwrap();
    click(&client, "button[data-copy=h1]").await;
    let pasted = confirm_copy_and_paste(&client, "h1").await;
    assert_eq!(pasted, senha, "copied by the fallback");
    assert_clean(&driver, &client).await;
    client.close().await.unwrap();
}

/// Presses `key` wherever the focus is (WebDriver actions: the page's own keyboard handling, Tab included).
async fn press(client: &Client, key: Key) {
    let value = char::from(key);
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value })
        .then(KeyAction::Up { value });
    client.perform_actions(actions).await.unwrap();
}

async fn active_element(client: &Client) -> String {
    client
        .execute(
            "const e = document.activeElement; \
             return e.id || (e.tagName + (e.type ? '[' + e.type + ']' : ''));",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Keyboard only: Tab from the top reaches the length field before Generate, Enter generates, the focus lands on
/// the new password and the live region says a password was generated (not what it is); then show, copy (its
/// confirmation), regenerate, and Tab on to "Limpar histórico", which empties the list.
#[tokio::test]
async fn a_keyboard_user_generates_and_lands_on_the_result() {
    // The private scope: the visitor's own list, which "Limpar histórico" empties.
    let (app, driver, client) = open_page_with("pt-BR,pt", &[("HISTORY_SCOPE", "private")]).await;
    let mut order = Vec::new();
    for _ in 0..30 {
        press(&client, Key::Tab).await;
        let focused = client
            .execute(
                "const e = document.activeElement; \
                 return e.matches('#form-senha button[type=submit]') ? 'GERAR' : e.id;",
                vec![],
            )
            .await
            .unwrap();
        let focused = focused.as_str().unwrap_or_default().to_owned();
        order.push(focused.clone());
        if focused == "GERAR" {
            break;
        }
    }
    assert_eq!(order.last().map(String::as_str), Some("GERAR"), "{order:?}");
    let position = |id: &str| order.iter().position(|f| f == id);
    assert!(
        position("tamanho-deslizante") < position("tamanho") && position("tamanho").is_some(),
        "slider, then its number field: {order:?}"
    );
    press(&client, Key::Enter).await;
    let field = new_result(&client).await;
    let senha = field.prop("value").await.unwrap().unwrap_or_default();
    app.saw_password(&senha);
    assert_eq!(senha.len(), 16);
    assert_eq!(active_element(&client).await, "senha-gerada");
    wait_for_async("the announcement", Duration::from_secs(10), || async {
        prop_when_present(&client, "#status", "textContent").await == "Nova senha gerada."
    })
    .await;
    let status = prop(&client, "#status", "textContent").await;
    assert!(
        !status.contains(&senha),
        "the live region never reads the secret"
    );
    // Tab goes on to the result's own buttons.
    press(&client, Key::Tab).await;
    let toggle = client
        .execute(
            "return document.activeElement.dataset.toggle || '';",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(toggle, "senha-gerada");
    // Shown, the secret is whole in a textarea that wraps; hidden again, the textarea is emptied.
    press(&client, Key::Enter).await;
    assert_eq!(prop(&client, "#senha-revelada", "value").await, senha);
    assert_eq!(prop(&client, "#senha-revelada", "hidden").await, "false");
    press(&client, Key::Enter).await;
    assert_eq!(prop(&client, "#senha-revelada", "value").await, "");
    // Copy, right beside it: its confirmation appears beside the button.
    press(&client, Key::Tab).await;
    assert_eq!(
        client
            .execute("return document.activeElement.dataset.copy || '';", vec![])
            .await
            .unwrap(),
        "senha-gerada"
    );
    press(&client, Key::Enter).await;
    wait_for_async("the copy confirmation", Duration::from_secs(10), || async {
        prop_when_present(&client, &copy_note("senha-gerada"), "textContent")
            .await
            .contains("Copiado")
    })
    .await;
    // Regenerate: the same form again, in place; the focus back on the new secret.
    press(&client, Key::Tab).await;
    assert_eq!(
        client
            .execute(
                "return document.activeElement.hasAttribute('data-regenerate');",
                vec![]
            )
            .await
            .unwrap(),
        json!(true)
    );
    press(&client, Key::Enter).await;
    let again = new_result(&client)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    app.saw_password(&again);
    assert_ne!(again, senha);
    assert_eq!(again.len(), 16);
    assert_eq!(active_element(&client).await, "senha-gerada");
    // On to "Limpar histórico" by Tab alone, and Enter: the page comes back with the list empty.
    let mut reached = false;
    for _ in 0..40 {
        press(&client, Key::Tab).await;
        let on_clear = client
            .execute(
                "return document.activeElement.matches('#limpar-historico button');",
                vec![],
            )
            .await
            .unwrap();
        if on_clear == json!(true) {
            reached = true;
            break;
        }
    }
    assert!(reached, "the clear button is reachable by Tab");
    press(&client, Key::Enter).await;
    wait_for_async("the emptied history", Duration::from_secs(10), || async {
        client
            .execute(
                "const l = document.querySelector('#historico ol.history'); \
                 const e = document.getElementById('historico-vazio'); \
                 return !!l && l.children.length === 0 && !!e && !e.hidden;",
                vec![],
            )
            .await
            .unwrap()
            == json!(true)
    })
    .await;
    assert_clean(&driver, &client).await;
    client.close().await.unwrap();
}

/// At 320 CSS pixels (a phone, or 400% zoom at 1280) nothing scrolls sideways, in both themes and every state:
/// default, options open, an error beside its field, a result with a history shown, the passphrase tab and a
/// ten-word passphrase shown whole. Screenshots under target/browser/ (320 per state, 390 and 1280 at the end).
#[tokio::test]
async fn no_horizontal_scroll_at_320_px_in_either_theme() {
    let app = App::start(&[]);
    for _ in 0..3 {
        let s = app.generate(32, true, true).await;
        app.saw_password(&s);
    }
    let driver = ChromeDriver::start();
    std::fs::create_dir_all("target/browser").unwrap();
    for (theme, flags) in [("light", &[][..]), ("dark", &["--force-dark-mode"][..])] {
        let client = driver.session_with("pt-BR,pt", flags).await;
        client.set_window_size(320, 900).await.unwrap();
        client.goto(&app.base).await.unwrap();
        let dark = client
            .execute(
                "return matchMedia('(prefers-color-scheme: dark)').matches;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(dark, json!(theme == "dark"), "{theme}");
        let width = client
            .execute("return document.documentElement.clientWidth;", vec![])
            .await
            .unwrap();
        assert!(width.as_u64().is_some_and(|w| w <= 320), "viewport {width}");
        for state in [
            "default",
            "options",
            "error",
            "result",
            "phrase",
            "phrase-result",
        ] {
            match state {
                "options" => click(&client, "#opcoes summary").await,
                "error" => {
                    // Rules that do not parse: the message beside the rules field, which gets the focus.
                    client
                        .find(Locator::Id("regras"))
                        .await
                        .unwrap()
                        .send_keys("required: nada")
                        .await
                        .unwrap();
                    click(&client, "#form-senha button[type=submit]").await;
                    wait_for_async(
                        "the error beside its field",
                        Duration::from_secs(10),
                        || async {
                            prop_when_present(&client, "#regras-erro", "textContent")
                                .await
                                .contains("passwordrules")
                        },
                    )
                    .await;
                    assert_eq!(active_element(&client).await, "regras");
                    assert!(client.title().await.unwrap().starts_with("Erro: "));
                    client
                        .execute("document.getElementById('regras').value = '';", vec![])
                        .await
                        .unwrap();
                }
                "phrase-result" => {
                    // Ten words, shown: the whole passphrase in the wrapping textarea.
                    client
                        .execute(
                            "const w = document.getElementById('palavras'); w.value = '10'; \
                             w.dispatchEvent(new Event('input', { bubbles: true }));",
                            vec![],
                        )
                        .await
                        .unwrap();
                    click(&client, "#form-frase button[type=submit]").await;
                    let phrase = new_result(&client)
                        .await
                        .prop("value")
                        .await
                        .unwrap()
                        .unwrap_or_default();
                    app.saw_password(&phrase);
                    assert_eq!(phrase.split('-').count(), 10, "{phrase}");
                    click(&client, "button[data-toggle=senha-gerada]").await;
                    assert_eq!(prop(&client, "#senha-revelada", "value").await, phrase);
                    let clipped = client
                        .execute(
                            "const t = document.getElementById('senha-revelada'); \
                             return t.scrollHeight > t.clientHeight + 1 || t.scrollWidth > t.clientWidth + 1;",
                            vec![],
                        )
                        .await
                        .unwrap();
                    assert_eq!(clipped, json!(false), "{theme}: the passphrase shows whole");
                }
                "result" => {
                    click(&client, "#form-senha button[type=submit]").await;
                    let field = new_result(&client).await;
                    app.saw_password(&field.prop("value").await.unwrap().unwrap_or_default());
                    click(&client, "button[data-toggle=h1]").await;
                    click(&client, "button[data-copy=h2]").await;
                }
                "phrase" => {
                    click(&client, "#aba-frase").await;
                    client
                        .wait()
                        .for_element(Locator::Id("form-frase"))
                        .await
                        .unwrap();
                }
                _ => {}
            }
            let overflow = client
                .execute(
                    "const d = document.documentElement; return d.scrollWidth - d.clientWidth;",
                    vec![],
                )
                .await
                .unwrap();
            std::fs::write(
                format!("target/browser/320-{theme}-{state}.png"),
                client.screenshot().await.unwrap(),
            )
            .unwrap();
            assert_eq!(overflow, json!(0), "{theme} {state}: sideways scroll");
            // Nothing sticks out of the viewport either (a card's overflow: hidden would clip it unseen).
            let outside = client
                .execute(
                    "const w = document.documentElement.clientWidth; \
                     return [...document.querySelectorAll('main *')].filter(e => { \
                       const r = e.getBoundingClientRect(); \
                       return r.width > 1 && (r.right > w + 0.5 || r.left < -0.5); \
                     }).map(e => e.tagName + '#' + e.id + '.' + e.className);",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(outside, json!([]), "{theme} {state}: outside the viewport");
        }
        // The refused rules were posted in place: Chromium logs that 422 of the fetch, nothing else is expected.
        let console = severe(&driver.console(&client).await);
        assert!(
            console.iter().all(|line| line.contains("422")),
            "{console:?}"
        );
        let csp = csp_violations(&client).await;
        assert!(csp.is_empty(), "CSP violations: {csp:?}");
        client.set_window_size(390, 900).await.unwrap();
        std::fs::write(
            format!("target/browser/390-{theme}.png"),
            client.screenshot().await.unwrap(),
        )
        .unwrap();
        client.set_window_size(1280, 1400).await.unwrap();
        std::fs::write(
            format!("target/browser/1280-{theme}.png"),
            client.screenshot().await.unwrap(),
        )
        .unwrap();
        client.close().await.unwrap();
    }
}
