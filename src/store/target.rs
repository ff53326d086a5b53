//! Where the history lives, decided once at start-up from the Redis settings.
//! Precedence: REDIS_URL > REDIS_CLUSTER_NODES > REDIS_SENTINELS > REDIS_HOST; none of them → memory.
//! Contradictory settings (not merely overridden ones) stop start-up with one line naming them.

use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo};
use thiserror::Error;

use crate::config::RedisConfig;

#[derive(Debug, Clone)]
pub enum StoreTarget {
    /// Embedded in-memory history (no Redis configured).
    Memory,
    Redis(Box<RedisTarget>),
}

#[derive(Debug, Clone)]
pub struct RedisTarget {
    pub topology: Topology,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `Some` when TLS is on; holds the private CA, if any (else the built-in web PKI roots are used).
    pub tls: Option<Tls>,
    /// Where it points, without credentials: safe to log.
    pub display: String,
    /// Lower-precedence settings that were set but are not used, to say so in the start-up log.
    pub ignored: Vec<&'static str>,
}

#[derive(Debug, Clone, Default)]
pub struct Tls {
    pub ca_pem: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub enum Topology {
    /// One server; `ConnectionInfo` already carries address, TLS mode, db and credentials.
    Standalone(ConnectionInfo),
    Sentinel {
        sentinels: Vec<(String, u16)>,
        master: String,
    },
    Cluster {
        nodes: Vec<(String, u16)>,
    },
}

impl Topology {
    pub fn kind(&self) -> &'static str {
        match self {
            Topology::Standalone(_) => "standalone",
            Topology::Sentinel { .. } => "sentinel",
            Topology::Cluster { .. } => "cluster",
        }
    }
}

#[derive(Debug, Error)]
pub enum TargetError {
    #[error(
        "REDIS_URL is not a valid Redis URL (expected redis[s]://[user:password@]host:port/db): {0}"
    )]
    Url(String),
    #[error(
        "REDIS_URL ends in #insecure: certificate verification cannot be turned off; use REDIS_CA_FILE to trust a private CA"
    )]
    InsecureUrl,
    #[error("REDIS_HOST must be a host name or address, got an empty value")]
    EmptyHost,
    #[error("{setting}: '{value}' is not host:port")]
    Address {
        setting: &'static str,
        value: String,
    },
    #[error("{0} is set without {1}: set both, or neither")]
    Incomplete(&'static str, &'static str),
    #[error("REDIS_TLS=false contradicts the rediss:// scheme of REDIS_URL")]
    TlsContradiction,
    #[error("REDIS_CA_FILE is set but TLS is off: use rediss:// in REDIS_URL or REDIS_TLS=true")]
    CaWithoutTls,
    #[error("{setting} {path}: cannot read it: {reason}")]
    File {
        setting: &'static str,
        path: String,
        reason: String,
    },
    #[error("REDIS_CA_FILE {0}: no PEM certificate in it")]
    NotPem(String),
}

pub fn resolve(config: &RedisConfig) -> Result<StoreTarget, TargetError> {
    let url = config.redis_url.as_deref().filter(|u| !u.trim().is_empty());
    let sentinels = non_empty(&config.redis_sentinels);
    let cluster = non_empty(&config.redis_cluster_nodes);
    let host = config.redis_host.as_deref();

    if sentinels.is_empty() != config.redis_sentinel_master.is_none() {
        return Err(if sentinels.is_empty() {
            TargetError::Incomplete("REDIS_SENTINEL_MASTER", "REDIS_SENTINELS")
        } else {
            TargetError::Incomplete("REDIS_SENTINELS", "REDIS_SENTINEL_MASTER")
        });
    }
    let candidates = [
        ("REDIS_URL", url.is_some()),
        ("REDIS_CLUSTER_NODES", !cluster.is_empty()),
        ("REDIS_SENTINELS", !sentinels.is_empty()),
        ("REDIS_HOST", host.is_some()),
    ];
    let Some(chosen) = candidates.iter().position(|(_, set)| *set) else {
        if config.redis_ca_file.is_some() || config.redis_tls == Some(true) {
            return Err(TargetError::Incomplete(
                "REDIS_TLS/REDIS_CA_FILE",
                "a Redis address (REDIS_URL, REDIS_HOST, REDIS_SENTINELS or REDIS_CLUSTER_NODES)",
            ));
        }
        return Ok(StoreTarget::Memory);
    };
    let ignored = candidates[chosen + 1..]
        .iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| *name)
        .collect();

    let password = password(config)?;
    let tls_flag = config.redis_tls.unwrap_or(false);
    let ca_pem = match &config.redis_ca_file {
        Some(path) => Some(read_ca(path)?),
        None => None,
    };

    let (topology, tls_on, display) = match candidates[chosen].0 {
        "REDIS_URL" => {
            let url = url.unwrap_or_default();
            let mut info = url
                .into_connection_info()
                .map_err(|e| TargetError::Url(format!("{} ({e})", redact_url(url))))?;
            let tls_on = match info.addr() {
                ConnectionAddr::TcpTls { insecure: true, .. } => {
                    return Err(TargetError::InsecureUrl);
                }
                ConnectionAddr::TcpTls { .. } => true,
                _ => false,
            };
            if tls_on && config.redis_tls == Some(false) {
                return Err(TargetError::TlsContradiction);
            }
            // Credentials from REDIS_USERNAME / REDIS_PASSWORD(_FILE) fill in what the URL leaves out.
            let mut settings = info.redis_settings().clone();
            if settings.password().is_none()
                && let Some(p) = &password
            {
                settings = settings.set_password(p);
            }
            if settings.username().is_none()
                && let Some(u) = &config.redis_username
            {
                settings = settings.set_username(u);
            }
            info = info.set_redis_settings(settings);
            let display = info.addr().to_string();
            (Topology::Standalone(info), tls_on, display)
        }
        "REDIS_CLUSTER_NODES" => {
            let nodes = addresses("REDIS_CLUSTER_NODES", &cluster)?;
            let display = format!("cluster {}", cluster.join(","));
            (Topology::Cluster { nodes }, tls_flag, display)
        }
        "REDIS_SENTINELS" => {
            let master = config.redis_sentinel_master.clone().unwrap_or_default();
            let display = format!("sentinel {} master {master}", sentinels.join(","));
            let sentinels = addresses("REDIS_SENTINELS", &sentinels)?;
            (Topology::Sentinel { sentinels, master }, tls_flag, display)
        }
        _ => {
            let host = host.unwrap_or_default().trim();
            if host.is_empty() {
                return Err(TargetError::EmptyHost);
            }
            let addr = if tls_flag {
                ConnectionAddr::TcpTls {
                    host: host.to_owned(),
                    port: config.redis_port,
                    insecure: false,
                    tls_params: None,
                }
            } else {
                ConnectionAddr::Tcp(host.to_owned(), config.redis_port)
            };
            let mut settings = redis::RedisConnectionInfo::default();
            if let Some(u) = &config.redis_username {
                settings = settings.set_username(u);
            }
            if let Some(p) = &password {
                settings = settings.set_password(p);
            }
            let info = addr
                .into_connection_info()
                .map_err(|e| TargetError::Url(e.to_string()))?
                .set_redis_settings(settings);
            let display = format!("{host}:{}", config.redis_port);
            (Topology::Standalone(info), tls_flag, display)
        }
    };
    if ca_pem.is_some() && !tls_on {
        return Err(TargetError::CaWithoutTls);
    }
    Ok(StoreTarget::Redis(Box::new(RedisTarget {
        topology,
        username: config.redis_username.clone(),
        password,
        tls: tls_on.then_some(Tls { ca_pem }),
        display,
        ignored,
    })))
}

fn non_empty(items: &[String]) -> Vec<String> {
    items
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `host:port` or `[v6]:port`.
fn addresses(setting: &'static str, items: &[String]) -> Result<Vec<(String, u16)>, TargetError> {
    items
        .iter()
        .map(|item| {
            let bad = || TargetError::Address {
                setting,
                value: item.clone(),
            };
            let (host, port) = item.rsplit_once(':').ok_or_else(bad)?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(bad)?;
            if host.is_empty() {
                return Err(bad());
            }
            Ok((host.to_owned(), port))
        })
        .collect()
}

fn password(config: &RedisConfig) -> Result<Option<String>, TargetError> {
    if let Some(path) = &config.redis_password_file {
        let content = std::fs::read_to_string(path).map_err(|e| TargetError::File {
            setting: "REDIS_PASSWORD_FILE",
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        return Ok(Some(content.trim_end_matches(['\n', '\r']).to_owned()));
    }
    Ok(config.redis_password.clone())
}

fn read_ca(path: &std::path::Path) -> Result<Vec<u8>, TargetError> {
    let pem = std::fs::read(path).map_err(|e| TargetError::File {
        setting: "REDIS_CA_FILE",
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    if !pem
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(TargetError::NotPem(path.display().to_string()));
    }
    Ok(pem)
}

/// Hides the password of a URL before it goes into an error message.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CommandLine;
    use clap::Parser;

    fn target(args: &[&str]) -> Result<StoreTarget, TargetError> {
        let command_line = CommandLine::try_parse_from(
            std::iter::once("giropops-senhas").chain(args.iter().copied()),
        )
        .expect("valid flags");
        resolve(&command_line.serve.redis)
    }

    fn redis(args: &[&str]) -> RedisTarget {
        match target(args).unwrap() {
            StoreTarget::Redis(t) => *t,
            StoreTarget::Memory => panic!("expected redis"),
        }
    }

    #[test]
    fn no_redis_settings_means_memory() {
        assert!(matches!(target(&[]).unwrap(), StoreTarget::Memory));
    }

    #[test]
    fn redis_url_wins_over_host_and_says_so() {
        let t = redis(&[
            "--redis-url",
            "redis://:s3cret@db.example:6380/2",
            "--redis-host",
            "other",
        ]);
        let Topology::Standalone(info) = &t.topology else {
            panic!("standalone")
        };
        assert_eq!(t.display, "db.example:6380");
        assert_eq!(info.redis_settings().db(), 2);
        assert_eq!(info.redis_settings().password(), Some("s3cret"));
        assert_eq!(t.ignored, ["REDIS_HOST"]);
        assert!(t.tls.is_none());
    }

    #[test]
    fn precedence_url_cluster_sentinel_host() {
        let all = [
            "--redis-host",
            "h",
            "--redis-sentinels",
            "s1:26379,s2:26379",
            "--redis-sentinel-master",
            "mymaster",
            "--redis-cluster-nodes",
            "c1:7000,c2:7001",
        ];
        let t = redis(&all);
        assert_eq!(t.topology.kind(), "cluster");
        assert_eq!(t.ignored, ["REDIS_SENTINELS", "REDIS_HOST"]);
        let t = redis(&all[..6]);
        let Topology::Sentinel { sentinels, master } = &t.topology else {
            panic!("sentinel")
        };
        assert_eq!(
            sentinels,
            &[("s1".to_owned(), 26379), ("s2".to_owned(), 26379)]
        );
        assert_eq!(master, "mymaster");
    }

    #[test]
    fn contradictions_stop_start_up() {
        assert!(matches!(
            target(&["--redis-sentinels", "s:26379"]),
            Err(TargetError::Incomplete(
                "REDIS_SENTINELS",
                "REDIS_SENTINEL_MASTER"
            ))
        ));
        assert!(matches!(
            target(&["--redis-sentinel-master", "m"]),
            Err(TargetError::Incomplete(..))
        ));
        assert!(matches!(
            target(&["--redis-url", "rediss://h:6379/#insecure"]),
            Err(TargetError::InsecureUrl)
        ));
        assert!(matches!(
            target(&["--redis-cluster-nodes", "nohostport"]),
            Err(TargetError::Address { .. })
        ));
        assert!(matches!(
            target(&["--redis-host", " "]),
            Err(TargetError::EmptyHost)
        ));
        assert!(matches!(
            target(&["--redis-tls", "true"]),
            Err(TargetError::Incomplete(..))
        ));
    }

    #[test]
    fn ca_file_needs_tls_and_pem() {
        let dir = std::env::temp_dir().join(format!("giropops-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pem = dir.join("ca.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let pem = pem.to_str().unwrap();
        assert!(matches!(
            target(&["--redis-host", "h", "--redis-ca-file", pem]),
            Err(TargetError::CaWithoutTls)
        ));
        let t = redis(&[
            "--redis-host",
            "h",
            "--redis-tls",
            "true",
            "--redis-ca-file",
            pem,
        ]);
        assert!(t.tls.unwrap().ca_pem.is_some());
        let t = redis(&["--redis-url", "rediss://h:6380", "--redis-ca-file", pem]);
        assert!(t.tls.is_some());
        assert!(matches!(
            target(&[
                "--redis-url",
                "rediss://h",
                "--redis-ca-file",
                junk.to_str().unwrap()
            ]),
            Err(TargetError::NotPem(_))
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn password_file_is_read_and_trimmed() {
        let dir = std::env::temp_dir().join(format!("giropops-pw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("password");
        std::fs::write(&file, "from-file\n").unwrap();
        let t = redis(&[
            "--redis-host",
            "localhost",
            "--redis-password-file",
            file.to_str().unwrap(),
        ]);
        let Topology::Standalone(info) = &t.topology else {
            panic!("standalone")
        };
        assert_eq!(info.redis_settings().password(), Some("from-file"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unreadable_password_file_is_a_config_error() {
        assert!(matches!(
            target(&[
                "--redis-host",
                "localhost",
                "--redis-password-file",
                "/nonexistent/giropops"
            ]),
            Err(TargetError::File { .. })
        ));
    }

    #[test]
    fn errors_never_contain_the_password() {
        let err = target(&["--redis-url", "http://user:topsecret@host"])
            .unwrap_err()
            .to_string();
        assert!(!err.contains("topsecret"), "{err}");
        let t = redis(&["--redis-url", "redis://:topsecret@host:1"]);
        assert!(!t.display.contains("topsecret"));
    }
}
