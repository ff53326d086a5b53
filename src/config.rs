//! Every setting in one place: flag + env var + default + validation. `--help` is the configuration reference.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::generator::Language;
use crate::generator::passphrase::DEFAULT_SEPARATOR;

// The whole command line: a subcommand, or the server's settings. (No doc comment: clap would print it in
// `--help`.)
#[derive(Debug, Parser)]
#[command(
    name = "giropops-senhas",
    version,
    about = "Gerador de senhas web (password generator service), compatible with the LINUXtips course app",
    args_conflicts_with_subcommands = true
)]
pub struct CommandLine {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server settings when no subcommand is given (same as `serve`).
    #[command(flatten)]
    pub serve: ServeConfig,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve(Box<ServeConfig>),
    /// Probe the local server's /healthz; exit 0 when healthy, 1 otherwise (for HEALTHCHECK: no curl in the image).
    Healthcheck(HealthcheckConfig),
    /// Print passwords (one per line, or --json); never touches a store. Impossible policy: exit 2.
    Generate(GenerateArgs),
    /// Print passphrases from the EFF large wordlist or, with --language pt-BR, the BIP-39 Portuguese list (one
    /// per line, or --json). Impossible request: exit 2.
    Passphrase(PassphraseArgs),
}

/// Largest `--count`, as in the API.
const MAX_COUNT: u16 = 100;

/// Largest `--min-entropy`, as the API's `min_entropy_bits`.
const MAX_MIN_ENTROPY: i64 = 1024;

/// `en` or `pt-BR`, as the API's `language`.
fn parse_language(tag: &str) -> Result<Language, String> {
    Language::from_tag(tag).ok_or_else(|| {
        let tags: Vec<&str> = Language::ALL.iter().map(|l| l.tag()).collect();
        format!("expected one of {}", tags.join(", "))
    })
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Password length (4–128; default 16, or with --min-entropy the shortest that reaches it, or 20 within
    /// the range of --rules/--site).
    #[arg(long, short = 'l', value_name = "N", allow_negative_numbers = true)]
    pub length: Option<i64>,
    /// How many passwords, one per line (1–100).
    #[arg(long, short = 'n', value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=MAX_COUNT as i64))]
    pub count: u16,
    /// No lowercase letters (a–z).
    #[arg(long)]
    pub no_lowercase: bool,
    /// No uppercase letters (A–Z).
    #[arg(long)]
    pub no_uppercase: bool,
    /// No digits (0–9).
    #[arg(long)]
    pub no_digits: bool,
    /// No symbols.
    #[arg(long)]
    pub no_symbols: bool,
    /// At least N lowercase letters (default 1 when the class is on).
    #[arg(long, value_name = "N")]
    pub min_lowercase: Option<usize>,
    /// At least N uppercase letters (default 1 when the class is on).
    #[arg(long, value_name = "N")]
    pub min_uppercase: Option<usize>,
    /// At least N digits (default 1 when the class is on).
    #[arg(long, value_name = "N")]
    pub min_digits: Option<usize>,
    /// At least N symbols (default 1 when the class is on).
    #[arg(long, value_name = "N")]
    pub min_symbols: Option<usize>,
    /// Leave out the look-alikes 0 O o 1 l I |.
    #[arg(long)]
    pub exclude_ambiguous: bool,
    /// Characters never to use.
    #[arg(
        long,
        value_name = "CHARS",
        default_value = "",
        allow_hyphen_values = true
    )]
    pub exclude: String,
    /// The symbol set (ASCII punctuation). Default: !#$%&()*+,-./:;<=>?@[]^_{|}~ (no quotes, backslash,
    /// backtick or space, which break shells and configuration files).
    #[arg(long = "symbols", value_name = "CHARS", allow_hyphen_values = true)]
    pub symbol_set: Option<String>,
    /// At least BITS of entropy: without --length, the shortest length that reaches it; with --length, a
    /// length below it is refused (exit 2).
    #[arg(long, value_name = "BITS", value_parser = clap::value_parser!(u32).range(1..=MAX_MIN_ENTROPY))]
    pub min_entropy: Option<u32>,
    /// Follow these rules, in the passwordrules syntax (docs/rules.md); with --length, --count, --exclude and
    /// --exclude-ambiguous only.
    #[arg(
        long,
        value_name = "RULES",
        conflicts_with = "site",
        allow_hyphen_values = true
    )]
    pub rules: Option<String>,
    /// Follow the built-in rules of this site (the host, else its nearest parent domain).
    #[arg(long, value_name = "DOMAIN")]
    pub site: Option<String>,
    /// Print the API v1 JSON ({"passwords": [...], "entropy_bits": ..., "strength": ...}).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PassphraseArgs {
    /// Number of words (3–20; default 6, or with --min-entropy the fewest that reach it).
    #[arg(long, short = 'w', value_name = "N", allow_negative_numbers = true)]
    pub words: Option<i64>,
    /// Word list: en (the EFF large wordlist, 12.925 bits a word) or pt-BR (BIP-39 Portuguese, 11 bits a word).
    #[arg(long, value_name = "LANG", default_value = "en", value_parser = parse_language)]
    pub language: Language,
    /// At least BITS of entropy: without --words, the fewest words that reach it; with --words, too few is
    /// refused (exit 2).
    #[arg(long, value_name = "BITS", value_parser = clap::value_parser!(u32).range(1..=MAX_MIN_ENTROPY))]
    pub min_entropy: Option<u32>,
    /// Separator between words (up to 5 characters, no letters).
    #[arg(long, short = 's', value_name = "S", default_value = DEFAULT_SEPARATOR, allow_hyphen_values = true)]
    pub separator: String,
    /// Capitalise the first letter of each word.
    #[arg(long)]
    pub capitalize: bool,
    /// Append one random digit to one random word.
    #[arg(long)]
    pub number: bool,
    /// How many passphrases, one per line (1–100).
    #[arg(long, short = 'n', value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=MAX_COUNT as i64))]
    pub count: u16,
    /// Print the API v1 JSON ({"passphrases": [...], "entropy_bits": ..., "strength": ...}).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "BIND", value_name = "BIND", default_value = "0.0.0.0")]
    pub bind: IpAddr,

    /// HTTP port.
    #[arg(long, env = "PORT", value_name = "PORT", default_value_t = 5000)]
    pub port: u16,

    #[command(flatten)]
    pub redis: RedisConfig,

    /// How many passwords the history keeps (0 disables the history).
    #[arg(long, env = "HISTORY_SIZE", value_name = "HISTORY_SIZE", default_value_t = 10,
          value_parser = clap::value_parser!(u16).range(0..=1000))]
    pub history_size: u16,

    /// The history (each private list, or the shared one) expires this long after its last write (e.g. `3600`,
    /// `30m`). Unset: 24 h in the private scope, never in the shared one.
    #[arg(long, env = "HISTORY_TTL", value_name = "HISTORY_TTL", value_parser = parse_timeout)]
    pub history_ttl: Option<Duration>,

    /// Whose history a visitor sees: `private` (each browser its own list, encrypted, behind a cookie) or
    /// `shared` (the course app's one list `senhas`, visible to everyone).
    #[arg(
        long,
        env = "HISTORY_SCOPE",
        value_name = "HISTORY_SCOPE",
        default_value = "private"
    )]
    pub history_scope: HistoryScope,

    /// Private lists the embedded store keeps at most (one per browser); beyond it the least recently used
    /// is dropped. Its memory is at most this × HISTORY_SIZE entries. Redis bounds itself (`maxmemory` with
    /// `maxmemory-policy volatile-lru`).
    #[arg(long, env = "HISTORY_MAX_LISTS", value_name = "HISTORY_MAX_LISTS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub history_max_lists: u32,

    /// When the history cookie gets `Secure` and the `__Host-` prefix: `auto` (the request came over HTTPS
    /// through a TRUSTED_PROXIES proxy, `X-Forwarded-Proto: https`) or `always`.
    #[arg(
        long,
        env = "COOKIE_SECURE",
        value_name = "COOKIE_SECURE",
        default_value = "auto"
    )]
    pub cookie_secure: CookieSecure,

    /// Longest time a request may take, once its body has arrived (BODY_READ_TIMEOUT bounds that), before it is
    /// answered with 503.
    #[arg(long, env = "REQUEST_TIMEOUT", value_name = "REQUEST_TIMEOUT", default_value = "10s",
          value_parser = parse_timeout)]
    pub request_timeout: Duration,

    /// Longest time one store operation (one Redis round trip) may take.
    #[arg(long, env = "REDIS_TIMEOUT", value_name = "REDIS_TIMEOUT", default_value = "1s",
          value_parser = parse_timeout)]
    pub redis_timeout: Duration,

    /// After SIGTERM, /readyz answers 503 for this long while requests are still served (for load balancers).
    #[arg(long, env = "SHUTDOWN_DELAY", value_name = "SHUTDOWN_DELAY", default_value = "0s",
          value_parser = parse_duration)]
    pub shutdown_delay: Duration,

    /// After the delay, in-flight requests get this long to finish before the process exits anyway.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", value_name = "SHUTDOWN_TIMEOUT", default_value = "20s",
          value_parser = parse_duration)]
    pub shutdown_timeout: Duration,

    /// Requests served at once (probes and /metrics excepted); beyond it, an immediate 503 with Retry-After
    /// instead of a queue.
    #[arg(long, env = "MAX_CONCURRENCY", value_name = "MAX_CONCURRENCY", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_concurrency: u32,

    /// Open client connections at once; beyond it, a new connection closes the one idle for the longest
    /// (keep-alive, or waiting for a head), or waits in the kernel's backlog while all are mid-request.
    #[arg(long, env = "MAX_CONNECTIONS", value_name = "MAX_CONNECTIONS", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,

    /// A client that has not sent its whole request head within this time of its first byte (of connecting,
    /// for the first request) is disconnected (slow clients).
    #[arg(long, env = "HEADER_READ_TIMEOUT", value_name = "HEADER_READ_TIMEOUT", default_value = "5s",
          value_parser = parse_timeout)]
    pub header_read_timeout: Duration,

    /// A keep-alive connection with no request for this long is closed. Keep it longer than the idle timeout
    /// of a proxy that pools connections to the app (ingress-nginx and most load balancers: 60 s).
    #[arg(long, env = "IDLE_TIMEOUT", value_name = "IDLE_TIMEOUT", default_value = "75s",
          value_parser = parse_timeout)]
    pub idle_timeout: Duration,

    /// A request body (at most 16 KiB) not received whole within this time of the end of its head is answered
    /// with 408 and the connection closed. Bodies are read before the request counts against MAX_CONCURRENCY
    /// and REQUEST_TIMEOUT, so slow senders hold no slot.
    #[arg(long, env = "BODY_READ_TIMEOUT", value_name = "BODY_READ_TIMEOUT", default_value = "10s",
          value_parser = parse_timeout)]
    pub body_read_timeout: Duration,
    /// A response the client does not read (no byte accepted by the socket) for this long closes the
    /// connection (clients that pipeline requests and never read). At most 30 s.
    #[arg(long, env = "WRITE_TIMEOUT", value_name = "WRITE_TIMEOUT", default_value = "10s",
          value_parser = parse_write_timeout)]
    pub write_timeout: Duration,

    /// A second port, on the same BIND, serving only /healthz, /readyz and /metrics, with its own few
    /// connections: probes answer even when clients hold every MAX_CONNECTIONS slot. Unset: probes use PORT.
    #[arg(long, env = "PROBE_PORT", value_name = "PROBE_PORT")]
    pub probe_port: Option<u16>,

    /// Redis operations in flight at once; more wait for a slot within their REDIS_TIMEOUT, so a slow Redis
    /// never has more than this many operations piled on it.
    #[arg(long, env = "REDIS_MAX_IN_FLIGHT", value_name = "REDIS_MAX_IN_FLIGHT", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub redis_max_in_flight: u32,

    /// Generations (POST requests) per minute per client address; 0 turns the limit off.
    #[arg(
        long,
        env = "RATE_LIMIT",
        value_name = "RATE_LIMIT",
        default_value_t = 0
    )]
    pub rate_limit: u32,

    /// Proxies (comma-separated CIDRs, e.g. `10.0.0.0/8`) whose `X-Forwarded-For` names the client for the rate
    /// limit; from any other peer the header is ignored.
    #[arg(
        long,
        env = "TRUSTED_PROXIES",
        value_name = "TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Log format: `text` (default on a terminal) or `json` (default otherwise).
    #[arg(long, env = "LOG_FORMAT", value_name = "LOG_FORMAT")]
    pub log_format: Option<LogFormat>,

    /// Log level or filter directives (e.g. `info`, `debug`, `giropops_senhas=debug,info`).
    #[arg(
        long,
        env = "LOG_LEVEL",
        value_name = "LOG_LEVEL",
        default_value = "info"
    )]
    pub log_level: String,
}

#[derive(Debug, Clone, Args)]
pub struct RedisConfig {
    /// Redis URL `redis://[user:password@]host:port/db`; wins over REDIS_HOST. Without either, the history is
    /// kept in memory.
    #[arg(
        long,
        env = "REDIS_URL",
        value_name = "REDIS_URL",
        hide_env_values = true
    )]
    pub redis_url: Option<String>,

    /// Redis host (the original app's setting).
    #[arg(long, env = "REDIS_HOST", value_name = "REDIS_HOST")]
    pub redis_host: Option<String>,

    /// Redis port, used with REDIS_HOST.
    #[arg(long, env = "REDIS_PORT", value_name = "REDIS_PORT", default_value = "6379",
          value_parser = parse_redis_port)]
    pub redis_port: u16,

    /// Redis ACL user name (REDIS_URL carries its own).
    #[arg(long, env = "REDIS_USERNAME", value_name = "REDIS_USERNAME")]
    pub redis_username: Option<String>,

    /// Redis password, when REDIS_URL carries none. Prefer REDIS_PASSWORD_FILE.
    #[arg(
        long,
        env = "REDIS_PASSWORD",
        value_name = "REDIS_PASSWORD",
        hide_env_values = true,
        conflicts_with = "redis_password_file"
    )]
    pub redis_password: Option<String>,

    /// File holding the Redis password (e.g. a mounted Kubernetes Secret); trailing newline ignored.
    #[arg(long, env = "REDIS_PASSWORD_FILE", value_name = "REDIS_PASSWORD_FILE")]
    pub redis_password_file: Option<PathBuf>,

    /// Redis Sentinel addresses, comma-separated `host:port`; needs REDIS_SENTINEL_MASTER. The app discovers
    /// the master and follows failovers.
    #[arg(
        long,
        env = "REDIS_SENTINELS",
        value_name = "REDIS_SENTINELS",
        value_delimiter = ','
    )]
    pub redis_sentinels: Vec<String>,

    /// The master name the sentinels monitor (e.g. `mymaster`).
    #[arg(
        long,
        env = "REDIS_SENTINEL_MASTER",
        value_name = "REDIS_SENTINEL_MASTER"
    )]
    pub redis_sentinel_master: Option<String>,

    /// Redis Cluster seed nodes, comma-separated `host:port`. The history is one key, so it lives in one slot.
    #[arg(
        long,
        env = "REDIS_CLUSTER_NODES",
        value_name = "REDIS_CLUSTER_NODES",
        value_delimiter = ','
    )]
    pub redis_cluster_nodes: Vec<String>,

    /// Use TLS with REDIS_HOST, REDIS_SENTINELS or REDIS_CLUSTER_NODES (REDIS_URL says it with `rediss://`).
    /// Certificates and host names are always verified.
    #[arg(long, env = "REDIS_TLS", value_name = "REDIS_TLS",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub redis_tls: Option<bool>,

    /// PEM file of the CA that signed the Redis server certificates; replaces the built-in web PKI roots.
    #[arg(long, env = "REDIS_CA_FILE", value_name = "REDIS_CA_FILE")]
    pub redis_ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct HealthcheckConfig {
    /// Address the server listens on (0.0.0.0 and :: are probed on loopback).
    #[arg(long, env = "BIND", value_name = "BIND", default_value = "0.0.0.0")]
    pub bind: IpAddr,

    /// Port the server listens on.
    #[arg(long, env = "PORT", value_name = "PORT", default_value_t = 5000)]
    pub port: u16,

    /// The server's probe port (its PROBE_PORT); when set, it is probed instead of PORT.
    #[arg(long, env = "PROBE_PORT", value_name = "PROBE_PORT")]
    pub probe_port: Option<u16>,

    /// Give up after this long.
    #[arg(long, value_name = "TIMEOUT", default_value = "2s", value_parser = parse_timeout)]
    pub timeout: Duration,
}

/// Whose history a visitor sees (HISTORY_SCOPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryScope {
    /// Each browser its own list, under a cookie's secret (the default: a history visible to all leaks).
    Private,
    /// The course app's behaviour: one plaintext list, `senhas`, for everyone.
    Shared,
}

/// When the history cookie is marked `Secure` (COOKIE_SECURE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CookieSecure {
    /// Only when a trusted proxy says the request came over HTTPS: a `Secure` cookie set over plain HTTP
    /// would never come back, and the history would be lost on every page.
    Auto,
    Always,
}

/// The private history expires this long after its last write when HISTORY_TTL is unset: a browser's list is
/// not kept forever for a visitor who never comes back.
pub const PRIVATE_HISTORY_DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);

impl ServeConfig {
    /// HISTORY_TTL, or the private scope's default.
    pub fn effective_history_ttl(&self) -> Option<Duration> {
        match (self.history_ttl, self.history_scope) {
            (Some(ttl), _) => Some(ttl),
            (None, HistoryScope::Private) => Some(PRIVATE_HISTORY_DEFAULT_TTL),
            (None, HistoryScope::Shared) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Plain seconds (`10`), or a number with a unit: `ms`, `s`, `m`, `h`. Ten lines of ours rather than a crate:
/// `humantime` takes more forms than the docs promise (`1h 30m`, `2days`), and the bare-seconds form is the one
/// the course's environment files use.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().map_err(|_| {
        format!("'{value}' is not a duration: use seconds (10) or 500ms, 10s, 5m, 1h")
    })?;
    let seconds = match unit.trim() {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        other => {
            return Err(format!(
                "unknown unit '{other}' in '{value}': use ms, s, m or h"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("'{value}': {e}"))
}

/// A duration of at least a millisecond: a zero timeout would fail every request (or, as a TTL, drop the
/// history at once); leaving a setting unset is how to use its default or turn it off.
pub fn parse_timeout(value: &str) -> Result<Duration, String> {
    let duration = parse_duration(value)?;
    if duration < Duration::from_millis(1) {
        return Err(format!("'{value}' is too short: at least 1ms"));
    }
    Ok(duration)
}

/// WRITE_TIMEOUT: a timeout of at most 30 s (a stalled client holds its buffers that long).
fn parse_write_timeout(value: &str) -> Result<Duration, String> {
    let duration = parse_timeout(value)?;
    if duration > MAX_WRITE_TIMEOUT {
        return Err(format!("'{value}' is too long: at most 30s"));
    }
    Ok(duration)
}

const MAX_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// A port number. Kubernetes service links inject `REDIS_PORT=tcp://10.0.0.5:6379` into pods when a Service is
/// named `redis`: say so instead of a bare "invalid digit".
fn parse_redis_port(value: &str) -> Result<u16, String> {
    if value.contains("://") {
        return Err(format!(
            "'{value}' looks like a Kubernetes service link, not a port: set a number (1-65535), \
             or `enableServiceLinks: false` in the pod spec"
        ));
    }
    value
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("'{value}' is not a port number (1-65535)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<CommandLine, clap::Error> {
        CommandLine::try_parse_from(std::iter::once("giropops-senhas").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_match_the_original() {
        let command_line = parse(&[]).unwrap();
        assert_eq!(command_line.serve.port, 5000);
        assert_eq!(command_line.serve.history_size, 10);
        assert_eq!(command_line.serve.redis.redis_port, 6379);
        assert_eq!(command_line.serve.redis_timeout, Duration::from_secs(1));
        assert!(command_line.serve.history_ttl.is_none());
        assert_eq!(
            command_line.serve.body_read_timeout,
            Duration::from_secs(10)
        );
    }

    #[test]
    fn durations_accept_seconds_and_units() {
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("-1").is_err());
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("0.0001s").is_err());
        assert_eq!(parse_timeout("1ms"), Ok(Duration::from_millis(1)));
        assert_eq!(parse_write_timeout("30s"), Ok(Duration::from_secs(30)));
        assert!(parse_write_timeout("31s").is_err());
        assert!(parse_write_timeout("0").is_err());
    }

    #[test]
    fn kubernetes_service_link_port_gets_a_clear_message() {
        let err = parse_redis_port("tcp://10.0.0.5:6379").unwrap_err();
        assert!(err.contains("Kubernetes service link"), "{err}");
        assert!(parse_redis_port("0").is_err());
        assert_eq!(parse_redis_port("6380"), Ok(6380));
    }

    #[test]
    fn help_documents_every_setting() {
        let help = <CommandLine as clap::CommandFactory>::command()
            .render_long_help()
            .to_string();
        for env in [
            "BIND",
            "PORT",
            "REDIS_URL",
            "REDIS_HOST",
            "REDIS_PORT",
            "REDIS_PASSWORD",
            "REDIS_PASSWORD_FILE",
            "REDIS_USERNAME",
            "REDIS_SENTINELS",
            "REDIS_SENTINEL_MASTER",
            "REDIS_CLUSTER_NODES",
            "REDIS_TLS",
            "REDIS_CA_FILE",
            "HISTORY_SIZE",
            "HISTORY_TTL",
            "REQUEST_TIMEOUT",
            "REDIS_TIMEOUT",
            "SHUTDOWN_DELAY",
            "SHUTDOWN_TIMEOUT",
            "LOG_FORMAT",
            "LOG_LEVEL",
            "MAX_CONCURRENCY",
            "MAX_CONNECTIONS",
            "HEADER_READ_TIMEOUT",
            "IDLE_TIMEOUT",
            "BODY_READ_TIMEOUT",
            "WRITE_TIMEOUT",
            "PROBE_PORT",
            "REDIS_MAX_IN_FLIGHT",
            "RATE_LIMIT",
            "TRUSTED_PROXIES",
        ] {
            assert!(help.contains(&format!("[env: {env}")), "--help lacks {env}");
        }
    }
}
