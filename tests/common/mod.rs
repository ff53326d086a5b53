//! Test harness: the real binary on a free loopback port, a real redis-server on another, and an HTTP client
//! that remembers every password it saw so the app's logs can be scanned for them when the app stops.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_giropops-senhas");

/// Waits for `condition` up to `deadline`; tests wait for conditions, never for fixed times.
pub fn wait_for(what: &str, deadline: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub async fn wait_for_async<F, Fut>(what: &str, deadline: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !condition().await {
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("giropops-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The app binary, started with the given environment on 127.0.0.1 and a free port.
pub struct App {
    child: Child,
    pub addr: SocketAddr,
    pub base: String,
    output: Arc<Mutex<Vec<String>>>,
    seen_passwords: Arc<Mutex<Vec<String>>>,
    pub client: reqwest::Client,
}

impl App {
    pub fn start(env: &[(&str, &str)]) -> Self {
        Self::try_start(env).unwrap_or_else(|output| panic!("app did not start:\n{output}"))
    }

    /// Starts the app; `Err` carries its output when it exits before listening.
    pub fn try_start(env: &[(&str, &str)]) -> Result<Self, String> {
        let mut command = Command::new(BIN);
        command
            .env_clear()
            .env("BIND", "127.0.0.1")
            .env("PORT", "0")
            .env("LOG_FORMAT", "json")
            // The tests written before the private history assert the course app's shared list; the tests
            // of the private scope (tests/private_history.rs) pass HISTORY_SCOPE=private, which wins.
            .env("HISTORY_SCOPE", "shared")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn the app binary");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let output = output.clone();
            let addr_tx = addr_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Ok(v) = serde_json::from_str::<Value>(&line)
                        && v["message"] == "listening"
                        && let Some(addr) = v["addr"].as_str().and_then(|a| a.parse().ok())
                    {
                        let _ = addr_tx.send(Some(addr));
                    }
                    output.lock().unwrap().push(line);
                }
                let _ = addr_tx.send(None);
            });
        }
        drop(addr_tx);
        let addr: SocketAddr = match addr_rx.recv_timeout(Duration::from_secs(20)) {
            Ok(Some(addr)) => addr,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                return Err(output.lock().unwrap().join("\n"));
            }
        };
        // Idle pooled connections are dropped before any IDLE_TIMEOUT a test gives the app: the client would
        // otherwise reuse a connection the app has closed while the test's runtime was blocked in `wait_for`
        // (hyper cannot notice a FIN it never polled), and the request fails with IncompleteMessage. Same
        // rule as for a proxy in front of the app.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_millis(500))
            .build()
            .expect("http client");
        Ok(Self {
            child,
            addr,
            base: format!("http://{addr}"),
            output,
            seen_passwords: Arc::new(Mutex::new(Vec::new())),
            client,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn output(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    /// Remembers a password so that the log scan at shutdown looks for it.
    pub fn saw_password(&self, password: &str) {
        self.seen_passwords
            .lock()
            .unwrap()
            .push(password.to_owned());
    }

    /// `POST /api/gerar-senha` with a JSON body; returns status and parsed body, recording any password.
    pub async fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request");
        self.json_response(response).await
    }

    /// `GET path` as text (the page, /metrics…).
    pub async fn get_text(&self, path: &str) -> String {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        response.text().await.expect("response body")
    }

    /// The value of one metric line (`name` includes its labels), read on a fresh connection: pooled ones
    /// may have been closed as idle.
    pub async fn metric(&self, name: &str) -> f64 {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("http client");
        let response = client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("request");
        let text = response.text().await.expect("metrics body");
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        self.json_response(response).await
    }

    pub async fn json_response(&self, response: reqwest::Response) -> (u16, Value) {
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        self.record_passwords(&body);
        (status, body)
    }

    fn record_passwords(&self, body: &Value) {
        match body {
            Value::Object(map) => {
                if let Some(Value::String(s)) = map.get("senha") {
                    self.saw_password(s);
                }
                map.values().for_each(|v| self.record_passwords(v));
            }
            Value::Array(items) => items.iter().for_each(|v| self.record_passwords(v)),
            _ => {}
        }
    }

    /// Generates one password through the legacy API.
    pub async fn generate(&self, tamanho: i64, digits: bool, punctuation: bool) -> String {
        let (status, body) = self
            .post_json(
                "/api/gerar-senha",
                serde_json::json!({"tamanho": tamanho, "incluir_numeros": digits, "incluir_caracteres_especiais": punctuation}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["senha"].as_str().expect("senha").to_owned()
    }

    pub async fn history(&self) -> (u16, Vec<String>) {
        let (status, body) = self.get_json("/api/senhas").await;
        let list = body
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i["senha"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        (status, list)
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit and returns its exit code.
    pub fn wait_exit(&mut self, deadline: Duration) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            assert!(
                start.elapsed() < deadline,
                "app did not exit within {deadline:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Scans everything the app printed for every password this test saw. Called on drop too.
    pub fn assert_no_password_logged(&self) {
        let output = self.output.lock().unwrap();
        let passwords = self.seen_passwords.lock().unwrap();
        let leaks = leaked(&output, &passwords);
        assert!(
            leaks.is_empty(),
            "generated passwords appear in the log:\n{}",
            leaks.join("\n")
        );
    }
}

/// The log lines that contain any of `passwords`.
pub fn leaked(lines: &[String], passwords: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|line| passwords.iter().any(|p| line.contains(p.as_str())))
        .cloned()
        .collect()
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            // Give the reader threads a moment to drain the pipes before the scan.
            std::thread::sleep(Duration::from_millis(50));
            self.assert_no_password_logged();
        }
    }
}

/// A real redis-server on a free loopback port, stopped on drop.
pub struct Redis {
    child: Option<Child>,
    pub port: u16,
    dir: TempDir,
    extra: Vec<String>,
}

pub fn redis_server_binary() -> &'static str {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found,
        "redis-server is not installed: run `make test` (it installs it) or `apt-get install redis-server`"
    );
    "redis-server"
}

impl Redis {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts redis-server with extra `--option value` arguments.
    pub fn start_with(extra: &[&str]) -> Self {
        let mut redis = Self {
            child: None,
            port: free_port(),
            dir: TempDir::new("redis"),
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
        };
        redis.restart();
        redis
    }

    /// (Re)starts the server on the same port.
    pub fn restart(&mut self) {
        let child = Command::new(redis_server_binary())
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .arg("--dir")
            .arg(&self.dir.0)
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        let addr: SocketAddr = ([127, 0, 0, 1], self.port).into();
        wait_for(
            "redis-server to accept connections",
            Duration::from_secs(20),
            || TcpStream::connect(addr).is_ok(),
        );
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A direct client, to check what the app stored.
    pub async fn client(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .expect("redis url")
            .get_multiplexed_async_connection()
            .await
            .expect("connect to the test redis")
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One browser: the cookie `GET /` gave it (`name=value`).
pub struct Browser {
    pub cookie: String,
}

impl Browser {
    /// Opens the page and keeps the cookie it sets.
    pub async fn visit(app: &App) -> Self {
        let set = set_cookie(app, &[])
            .await
            .expect("GET / sets the history cookie");
        let cookie = set.split(';').next().expect("name=value").to_owned();
        let browser = Browser { cookie };
        // The log scan when the app stops looks for the cookie's secret too.
        app.saw_password(browser.secret());
        browser
    }

    /// The secret the cookie carries.
    pub fn secret(&self) -> &str {
        self.cookie.split_once('=').map(|(_, v)| v).unwrap_or("")
    }

    pub async fn generate(&self, app: &App) -> String {
        let response = app
            .client
            .post(app.url("/api/gerar-senha"))
            .header("cookie", &self.cookie)
            // No symbols: the page test finds these in the HTML, where `&` or `<` would be escaped.
            .json(&json!({"tamanho": 20, "incluir_numeros": true, "incluir_caracteres_especiais": false}))
            .send()
            .await
            .expect("request");
        let (status, body) = app.json_response(response).await;
        assert_eq!(status, 200, "{body}");
        body["senha"].as_str().expect("senha").to_owned()
    }

    /// A password through the page's form.
    pub async fn generate_on_page(&self, app: &App) -> String {
        let html = app
            .client
            .post(app.url("/"))
            .header("cookie", &self.cookie)
            .form(&[("tamanho", "24"), ("incluir_numeros", "on")])
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("page");
        let start = html
            .find("id=\"senha-gerada\"")
            .expect("the result on the page");
        let value = &html[start..];
        let value = &value[value.find("value=\"").expect("value") + 7..];
        let password = value[..value.find('"').expect("quote")].to_owned();
        app.saw_password(&password);
        password
    }

    pub async fn history(&self, app: &App) -> Vec<String> {
        let response = app
            .client
            .get(app.url("/api/senhas"))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("request");
        let (status, body) = app.json_response(response).await;
        assert_eq!(status, 200, "{body}");
        entries(&body)
    }

    pub async fn delete(&self, app: &App, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut request = app
            .client
            .delete(app.url("/api/senhas"))
            .header("cookie", &self.cookie);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

pub fn entries(body: &Value) -> Vec<String> {
    body.as_array()
        .expect("a list")
        .iter()
        .map(|e| e["senha"].as_str().expect("senha").to_owned())
        .collect()
}

/// The `Set-Cookie` of `GET /` with these request headers, if any.
pub async fn set_cookie(app: &App, headers: &[(&str, &str)]) -> Option<String> {
    let mut request = app.client.get(app.url("/"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request");
    assert_eq!(response.status(), 200);
    let values: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect();
    assert!(values.len() <= 1, "{values:?}");
    values.into_iter().next()
}
