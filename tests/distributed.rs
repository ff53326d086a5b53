//! Redis beyond one server, against real servers on loopback: Cluster (with a failover of the slot that holds
//! the history), Sentinel (failover under traffic), TLS with a private CA, ACL users — several app instances.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{App, Browser, TempDir, wait_for, wait_for_async};

/// A redis-server (or sentinel) process with its own directory, killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(dir: &Path, port: u16, args: &[&str]) -> Server {
    common::redis_server_binary();
    let child = Command::new("redis-server")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-server");
    let server = Server { child, port };
    // Any answer will do (an ACL setup answers NOAUTH): the server is up.
    wait_for("redis to answer PING", Duration::from_secs(20), || {
        cli(port, &["PING"]).is_some_and(|o| !o.trim().is_empty())
    });
    server
}

/// Runs `redis-cli -p PORT args…`; `None` when it cannot connect.
fn cli(port: u16, args: &[&str]) -> Option<String> {
    let output = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    (output.status.success() && !text.contains("Could not connect")).then_some(text)
}

/// `a-b` or `a` from CLUSTER NODES (importing/migrating markers never match).
fn slot_range_contains(range: &str, slot: u16) -> bool {
    let (a, b) = range.split_once('-').unwrap_or((range, range));
    match (a.parse::<u16>(), b.parse::<u16>()) {
        (Ok(a), Ok(b)) => (a..=b).contains(&slot),
        _ => false,
    }
}

/// A free port whose cluster bus port (+10000) is free too.
fn free_cluster_port() -> u16 {
    loop {
        let port = common::free_port();
        if port < 55_000 && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

fn plain(dir: &Path, port: u16, extra: &[&str]) -> Server {
    let port_arg = port.to_string();
    let mut args = vec![
        "--port",
        &port_arg,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ];
    args.extend_from_slice(extra);
    spawn(dir, port, &args)
}

struct Cluster {
    nodes: Vec<Server>,
    _dir: TempDir,
}

impl Cluster {
    fn start(masters: usize, replicas_per_master: usize) -> Self {
        let dir = TempDir::new("cluster");
        let count = masters * (1 + replicas_per_master);
        let nodes: Vec<Server> = (0..count)
            .map(|_| {
                let port = free_cluster_port();
                let conf = format!("nodes-{port}.conf");
                plain(
                    &dir.0,
                    port,
                    &[
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        &conf,
                        "--cluster-node-timeout",
                        "2000",
                    ],
                )
            })
            .collect();
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let status = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args([
                "--cluster-replicas",
                &replicas_per_master.to_string(),
                "--cluster-yes",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli --cluster create");
        assert!(status.success(), "cluster creation failed");
        for node in &nodes {
            wait_for(
                "cluster_state:ok on every node",
                Duration::from_secs(30),
                || {
                    cli(node.port, &["CLUSTER", "INFO"])
                        .is_some_and(|i| i.contains("cluster_state:ok"))
                },
            );
        }
        Self { nodes, _dir: dir }
    }

    fn seeds(&self) -> String {
        self.nodes
            .iter()
            .take(2)
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The port of the node that currently serves the slot of the history key.
    fn owner_of_history(&self) -> Option<u16> {
        let slot: u16 = cli(self.nodes[0].port, &["CLUSTER", "KEYSLOT", "senhas"])?
            .trim()
            .parse()
            .ok()?;
        let nodes = cli(self.nodes[0].port, &["CLUSTER", "NODES"])?;
        nodes.lines().find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if !fields.get(2)?.contains("master") || fields.get(2)?.contains("fail") {
                return None;
            }
            let serves = fields[8..]
                .iter()
                .any(|range| slot_range_contains(range, slot));
            serves.then(|| fields[1].split(['@', ':']).nth(1)?.parse().ok())?
        })
    }

    /// A replica of the master at `master_port`.
    fn replica_of(&self, master_port: u16) -> Option<u16> {
        let nodes = cli(self.nodes[0].port, &["CLUSTER", "NODES"])?;
        let master_id = nodes.lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f[1].starts_with(&format!("127.0.0.1:{master_port}@"))
                .then(|| f[0].to_owned())
        })?;
        nodes.lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[3] == master_id).then(|| f[1].split(['@', ':']).nth(1)?.parse().ok())?
        })
    }
}

/// Generates through `apps` round robin and checks they all list the same history.
async fn instances_agree(apps: &[App]) {
    let mut generated = Vec::new();
    for i in 0..4 {
        generated.push(apps[i % apps.len()].generate(14, true, true).await);
    }
    let expected: Vec<String> = generated.iter().rev().cloned().collect();
    for app in apps {
        let (status, history) = app.history().await;
        assert_eq!(status, 200);
        assert_eq!(history[..4], expected[..], "instances disagree");
    }
}

#[tokio::test]
async fn cluster_serves_the_history_and_survives_a_failover_of_its_slot() {
    let cluster = Cluster::start(3, 1);
    let env = [
        ("REDIS_CLUSTER_NODES", cluster.seeds()),
        ("HISTORY_SIZE", "5".to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut apps: Vec<App> = (0..3).map(|_| App::start(&env)).collect();
    assert_eq!(apps[0].get_json("/readyz").await.0, 200);

    // Order and trimming through the cluster client.
    let mut generated = Vec::new();
    for _ in 0..7 {
        generated.push(apps[0].generate(12, true, false).await);
    }
    let expected: Vec<String> = generated.iter().rev().take(5).cloned().collect();
    assert_eq!(apps[1].history().await, (200, expected.clone()));
    let owner = cluster.owner_of_history().expect("slot owner");
    let length = cli(owner, &["LLEN", "senhas"]).unwrap();
    assert_eq!(length.trim(), "5", "trimmed on the node that owns the slot");
    instances_agree(&apps).await;

    // Promote the replica of the slot's master; the history keeps working without restarting anything.
    // Replication links are gossiped after the cluster is ok: wait until node 0 knows them.
    let mut replica = None;
    wait_for(
        "the slot owner's replica to be known",
        Duration::from_secs(30),
        || {
            replica = cluster.replica_of(owner);
            replica.is_some()
        },
    );
    let replica = replica.expect("waited for it");
    wait_for("the replica to be in sync", Duration::from_secs(30), || {
        cli(replica, &["INFO", "replication"]).is_some_and(|i| i.contains("master_link_status:up"))
    });
    assert!(cli(replica, &["CLUSTER", "FAILOVER"]).is_some_and(|o| o.contains("OK")));
    wait_for(
        "the replica to take over the slot",
        Duration::from_secs(30),
        || cluster.owner_of_history() == Some(replica),
    );
    wait_for_async(
        "history writes to reach the new owner",
        Duration::from_secs(30),
        || async {
            let senha = apps[2].generate(12, true, false).await;
            apps[0].history().await.1.first() == Some(&senha)
                && cli(replica, &["LINDEX", "senhas", "0"]).is_some_and(|v| v.trim() == senha)
        },
    )
    .await;
    // One instance going away changes nothing for the others.
    drop(apps.pop());
    instances_agree(&apps).await;
}

/// Private scope through a topology: two browsers on two instances each see their own list, and the node that
/// holds the data has only the derived keys (no `senhas`, no secret in any key name).
async fn private_lists_agree(env: &[(&str, &str)], keys_on: impl Fn() -> Vec<String>) {
    let mut env = env.to_vec();
    env.push(("HISTORY_SCOPE", "private"));
    let apps: Vec<App> = (0..2).map(|_| App::start(&env)).collect();
    let ana = Browser::visit(&apps[0]).await;
    let bia = Browser::visit(&apps[1]).await;
    let (mut anas, mut bias) = (Vec::new(), Vec::new());
    for i in 0..3 {
        anas.insert(0, ana.generate(&apps[i % 2]).await);
        bias.insert(0, bia.generate(&apps[(i + 1) % 2]).await);
    }
    for app in &apps {
        assert_eq!(ana.history(app).await, anas);
        assert_eq!(bia.history(app).await, bias);
    }
    let keys = keys_on();
    assert_eq!(keys.len(), 2, "{keys:?}");
    for key in keys {
        assert!(key.starts_with("senhas:privado:"), "{key}");
        assert!(!key.contains(ana.secret()) && !key.contains(bia.secret()));
    }
}

#[tokio::test]
async fn private_lists_through_cluster_and_sentinel() {
    let cluster = Cluster::start(3, 0);
    let seeds = cluster.seeds();
    let ports: Vec<u16> = cluster.nodes.iter().map(|n| n.port).collect();
    private_lists_agree(&[("REDIS_CLUSTER_NODES", &seeds)], || {
        // Each list is one key, in one slot, on whichever master owns it.
        ports
            .iter()
            .filter_map(|port| cli(*port, &["--scan"]))
            .flat_map(|out| out.lines().map(str::to_owned).collect::<Vec<_>>())
            .filter(|k| !k.is_empty())
            .collect()
    })
    .await;

    let setup = SentinelSetup::start();
    let sentinels = format!("127.0.0.1:{}", setup.sentinel.port);
    let master = setup.master.port;
    private_lists_agree(
        &[
            ("REDIS_SENTINELS", &sentinels),
            ("REDIS_SENTINEL_MASTER", "mymaster"),
        ],
        || {
            cli(master, &["--scan"])
                .map(|out| {
                    out.lines()
                        .map(str::to_owned)
                        .filter(|k| !k.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        },
    )
    .await;
}

struct SentinelSetup {
    master: Server,
    replica: Server,
    sentinel: Server,
    _dir: TempDir,
}

impl SentinelSetup {
    fn start() -> Self {
        let dir = TempDir::new("sentinel");
        let master = plain(&dir.0, common::free_port(), &[]);
        let master_port = master.port.to_string();
        let replica = plain(
            &dir.0,
            common::free_port(),
            &["--replicaof", "127.0.0.1", &master_port],
        );
        let sentinel_port = common::free_port();
        let conf = dir.0.join("sentinel.conf");
        std::fs::write(
            &conf,
            format!(
                "port {sentinel_port}\nbind 127.0.0.1\ndir {}\n\
                 sentinel monitor mymaster 127.0.0.1 {master_port} 1\n\
                 sentinel down-after-milliseconds mymaster 2000\n\
                 sentinel failover-timeout mymaster 10000\n",
                dir.0.display()
            ),
        )
        .unwrap();
        let sentinel = spawn(
            &dir.0,
            sentinel_port,
            &[conf.to_str().unwrap(), "--sentinel"],
        );
        wait_for("the replica to sync", Duration::from_secs(30), || {
            cli(replica.port, &["INFO", "replication"])
                .is_some_and(|i| i.contains("master_link_status:up"))
        });
        wait_for(
            "the sentinel to see the replica",
            Duration::from_secs(30),
            || {
                cli(sentinel_port, &["SENTINEL", "REPLICAS", "mymaster"])
                    .is_some_and(|r| r.contains(&replica.port.to_string()))
            },
        );
        Self {
            master,
            replica,
            sentinel,
            _dir: dir,
        }
    }

    fn master_port(&self) -> Option<u16> {
        let reply = cli(
            self.sentinel.port,
            &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
        )?;
        reply.lines().nth(1)?.trim().parse().ok()
    }
}

#[tokio::test]
async fn sentinel_failover_under_traffic_loses_no_generation() {
    let setup = SentinelSetup::start();
    let sentinels = format!("127.0.0.1:{}", setup.sentinel.port);
    let env = [
        ("REDIS_SENTINELS", sentinels.as_str()),
        ("REDIS_SENTINEL_MASTER", "mymaster"),
        ("REDIS_TIMEOUT", "500ms"),
    ];
    let apps: Vec<Arc<App>> = (0..3).map(|_| Arc::new(App::start(&env))).collect();
    assert_eq!(apps[0].get_json("/readyz").await.0, 200);
    let first = apps[0].generate(10, true, true).await;
    assert_eq!(
        cli(setup.master.port, &["LINDEX", "senhas", "0"])
            .unwrap()
            .trim(),
        first
    );

    // Traffic on every instance while the master moves: bounded in count and time.
    let stop = Arc::new(AtomicBool::new(false));
    let (sent, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let traffic: Vec<_> = apps
        .iter()
        .map(|app| {
            let (app, stop, sent, failed) =
                (app.clone(), stop.clone(), sent.clone(), failed.clone());
            tokio::spawn(async move {
                for _ in 0..5_000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let (status, _) = app
                        .post_json("/api/gerar-senha", serde_json::json!({"tamanho": 12}))
                        .await;
                    sent.fetch_add(1, Ordering::Relaxed);
                    if status != 200 {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        })
        .collect();

    assert!(
        cli(setup.sentinel.port, &["SENTINEL", "FAILOVER", "mymaster"])
            .is_some_and(|o| o.contains("OK"))
    );
    wait_for(
        "the sentinel to name the new master",
        Duration::from_secs(30),
        || setup.master_port() == Some(setup.replica.port),
    );
    // Within a bounded window, every instance writes to the new master and is ready.
    for app in &apps {
        wait_for_async(
            "history on the new master",
            Duration::from_secs(30),
            || async {
                let senha = app.generate(16, false, false).await;
                cli(setup.replica.port, &["LRANGE", "senhas", "0", "20"])
                    .is_some_and(|l| l.contains(&senha))
            },
        )
        .await;
        assert_eq!(app.get_json("/readyz").await.0, 200);
    }
    stop.store(true, Ordering::Relaxed);
    for t in traffic {
        t.await.unwrap();
    }
    eprintln!(
        "figures: sentinel failover under traffic: {} requests, {} failed",
        sent.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed)
    );
    assert!(sent.load(Ordering::Relaxed) > 0);
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "generations failed during the failover"
    );
    let apps: Vec<App> = apps
        .into_iter()
        .map(|a| Arc::try_unwrap(a).ok().unwrap())
        .collect();
    instances_agree(&apps).await;
}

/// A CA and a server certificate for `localhost`, made with openssl at test time.
struct Pki {
    dir: TempDir,
}

impl Pki {
    fn new() -> Self {
        let dir = TempDir::new("pki");
        let pki = Self { dir };
        pki.ca("ca");
        pki.ca("other-ca");
        pki.openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        std::fs::write(pki.path("san.ext"), "subjectAltName=DNS:localhost\n").unwrap();
        pki.openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ]);
        pki
    }

    fn ca(&self, name: &str) {
        self.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN=giropops test {name}"),
        ]);
    }

    fn openssl(&self, args: &[&str]) {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(&self.dir.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl is not installed: run `make test` or `apt-get install openssl`");
        assert!(status.success(), "openssl {args:?}");
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.0.join(name)
    }
}

fn tls_redis(pki: &Pki, extra: &[&str]) -> Server {
    let port = common::free_port();
    let port_arg = port.to_string();
    let (cert, key, ca) = (
        pki.path("server.pem"),
        pki.path("server.key"),
        pki.path("ca.pem"),
    );
    let mut args = vec![
        "--port",
        "0",
        "--tls-port",
        &port_arg,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--tls-cert-file",
        cert.to_str().unwrap(),
        "--tls-key-file",
        key.to_str().unwrap(),
        "--tls-ca-cert-file",
        ca.to_str().unwrap(),
        "--tls-auth-clients",
        "no",
    ];
    args.extend_from_slice(extra);
    common::redis_server_binary();
    let child = Command::new("redis-server")
        .args(&args)
        .current_dir(&pki.dir.0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-server");
    wait_for("the TLS port", Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    Server { child, port }
}

#[tokio::test]
async fn tls_with_a_private_ca_verifies_issuer_and_name() {
    let pki = Pki::new();
    let redis = tls_redis(&pki, &[]);
    let ca = pki.path("ca.pem");
    let ca = ca.to_str().unwrap();

    // rediss:// URL + REDIS_CA_FILE.
    let url = format!("rediss://localhost:{}", redis.port);
    let app = App::start(&[("REDIS_URL", &url), ("REDIS_CA_FILE", ca)]);
    assert_eq!(app.get_json("/readyz").await.0, 200);
    let senha = app.generate(12, true, true).await;
    assert_eq!(app.history().await, (200, vec![senha.clone()]));

    // REDIS_HOST + REDIS_TLS=true, the other way to ask for TLS.
    let port = redis.port.to_string();
    let app = App::start(&[
        ("REDIS_HOST", "localhost"),
        ("REDIS_PORT", &port),
        ("REDIS_TLS", "true"),
        ("REDIS_CA_FILE", ca),
    ]);
    assert_eq!(app.history().await, (200, vec![senha]));

    // A server certificate not signed by the trusted CA is refused, with a clear readiness error.
    let other = pki.path("other-ca.pem");
    let app = App::start(&[
        ("REDIS_URL", &url),
        ("REDIS_CA_FILE", other.to_str().unwrap()),
    ]);
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 503);
    let reason = body["reason"].as_str().unwrap_or("").to_lowercase();
    assert!(
        reason.contains("certificate") || reason.contains("issuer"),
        "{body}"
    );
    assert_eq!(app.get_json("/api/senhas").await.0, 503);

    // The right CA but the wrong name (the certificate is for localhost, not 127.0.0.1).
    let app = App::start(&[
        ("REDIS_URL", &format!("rediss://127.0.0.1:{}", redis.port)),
        ("REDIS_CA_FILE", ca),
    ]);
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 503);
    let reason = body["reason"].as_str().unwrap_or("").to_lowercase();
    assert!(
        reason.contains("name") || reason.contains("certificate"),
        "{body}"
    );

    // A plain-text client against the TLS port is not ready either (and never hangs past REDIS_TIMEOUT).
    let app = App::start(&[("REDIS_URL", &format!("redis://localhost:{}", redis.port))]);
    assert_eq!(app.get_json("/readyz").await.0, 503);
}

#[tokio::test]
async fn acl_user_with_a_password_file() {
    let dir = TempDir::new("acl");
    let redis = plain(
        &dir.0,
        common::free_port(),
        &[
            "--user",
            "default",
            "off",
            "--user",
            "giropops",
            "on",
            ">acl-test-secret",
            "~senhas",
            "+@all",
        ],
    );
    let file = dir.0.join("password");
    std::fs::write(&file, "acl-test-secret\n").unwrap();
    let port = redis.port.to_string();
    let env = [
        ("REDIS_HOST", "127.0.0.1"),
        ("REDIS_PORT", port.as_str()),
        ("REDIS_USERNAME", "giropops"),
        ("REDIS_PASSWORD_FILE", file.to_str().unwrap()),
    ];
    let apps: Vec<App> = (0..3).map(|_| App::start(&env)).collect();
    assert_eq!(apps[0].get_json("/readyz").await.0, 200);
    instances_agree(&apps).await;

    std::fs::write(&file, "not-the-password\n").unwrap();
    let wrong = App::start(&env);
    let (status, body) = wrong.get_json("/readyz").await;
    assert_eq!(status, 503);
    let reason = body["reason"].as_str().unwrap_or("").to_lowercase();
    assert!(reason.contains("authentication failed"), "{body}");
    wrong.generate(8, false, false).await;
    let logs = wrong.output().join("\n") + &body.to_string();
    assert!(!logs.contains("not-the-password") && !logs.contains("acl-test-secret"));
}
