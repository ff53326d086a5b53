//! Logging: one subscriber, JSON or text, level from LOG_LEVEL. Nothing here ever sees a request body.
//! The JSON line format is ours (`json`), and lines reach stdout through a batch (`batch`): both because a
//! log line per request was the largest cost of ours per request (docs/performance.md).

mod batch;
mod json;

use std::io::IsTerminal;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use batch::{ACCESS_TARGET, flush};

use crate::config::LogFormat;

/// Installs the global subscriber, writing to stdout (what container runtimes collect), and starts the
/// thread that writes out the access log's batches.
pub fn init(format: Option<LogFormat>, level: &str) -> Result<(), String> {
    let filter = filter(level)
        .map_err(|e| format!("LOG_LEVEL '{level}' is not a valid level or filter: {e}"))?;
    let format = format.unwrap_or(if std::io::stdout().is_terminal() {
        LogFormat::Text
    } else {
        LogFormat::Json
    });
    let layer = tracing_subscriber::fmt::layer().with_writer(batch::BatchedStdout);
    let subscriber = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Json => subscriber
            .with(layer.event_format(json::JsonLines))
            .try_init(),
        LogFormat::Text => subscriber
            .with(layer.with_ansi(std::io::stdout().is_terminal()))
            .try_init(),
    };
    result.map_err(|e| format!("could not install the logger: {e}"))?;
    batch::start_flusher().map_err(|e| format!("could not start the log flusher: {e}"))
}

/// LOG_LEVEL as a filter: a level (`debug`), or comma-separated directives `target=level`, a bare level for
/// every other target (`giropops_senhas=debug,info`), a bare target for all its levels. Read as
/// tracing-subscriber's `EnvFilter` read them (empty directives skipped, an empty string logs nothing), without
/// its regular-expression engine: span and field filters (`[…]`, `{…}`) are refused instead of read differently.
fn filter(level: &str) -> Result<Targets, String> {
    if level.contains(['[', ']', '{', '}']) {
        return Err("span and field filters ([…], {…}) are not supported".to_owned());
    }
    let directives: Vec<&str> = level.split(',').filter(|d| !d.is_empty()).collect();
    if directives.is_empty() {
        return Ok(Targets::new());
    }
    directives
        .join(",")
        .parse::<Targets>()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::filter;

    const LEVELS: [Level; 5] = [
        Level::ERROR,
        Level::WARN,
        Level::INFO,
        Level::DEBUG,
        Level::TRACE,
    ];

    /// (target, level) pairs enabled by a LOG_LEVEL value, among a few targets at every level.
    fn enabled(level: &str) -> Vec<(&'static str, Level)> {
        let filter = filter(level).unwrap();
        let mut on = Vec::new();
        for target in ["giropops_senhas::server", "access", "hyper::proto", "redis"] {
            for l in LEVELS {
                if filter.would_enable(target, &l) {
                    on.push((target, l));
                }
            }
        }
        on
    }

    fn at_most(targets: &[&'static str], max: Level) -> Vec<(&'static str, Level)> {
        let mut on = Vec::new();
        for &target in targets {
            for l in LEVELS {
                if l <= max {
                    on.push((target, l));
                }
            }
        }
        on
    }

    const ALL: [&str; 4] = ["giropops_senhas::server", "access", "hyper::proto", "redis"];

    #[test]
    fn log_level_reads_the_documented_forms_as_env_filter_did() {
        assert_eq!(enabled("info"), at_most(&ALL, Level::INFO));
        assert_eq!(enabled("DEBUG"), at_most(&ALL, Level::DEBUG));
        assert_eq!(enabled("trace"), at_most(&ALL, Level::TRACE));
        assert_eq!(enabled("off"), vec![]);
        // A target's own level wins over the bare one, whichever is more verbose.
        let mixed = enabled("giropops_senhas=debug,info");
        let mut expected = at_most(&["giropops_senhas::server"], Level::DEBUG);
        expected.extend(at_most(&["access", "hyper::proto", "redis"], Level::INFO));
        assert_eq!(mixed, expected);
        let quiet = enabled("warn,access=info");
        let mut expected = at_most(&["giropops_senhas::server"], Level::WARN);
        expected.extend(at_most(&["access"], Level::INFO));
        expected.extend(at_most(&["hyper::proto", "redis"], Level::WARN));
        assert_eq!(quiet, expected);
        // A bare target: all of its levels, nothing else.
        assert_eq!(enabled("redis"), at_most(&["redis"], Level::TRACE));
        // EnvFilter skipped empty directives; an empty filter logged nothing.
        assert_eq!(enabled("info,,"), at_most(&ALL, Level::INFO));
        assert_eq!(enabled(""), vec![]);
    }

    #[test]
    fn log_level_refuses_what_it_cannot_read() {
        let level = filter("giropops_senhas=loud").unwrap_err();
        assert!(level.contains("level"), "{level}");
        assert!(filter("a=info=debug").is_err());
        assert!(filter("giropops_senhas[request]=debug").is_err());
        assert!(filter("giropops_senhas[{id}]=debug").is_err());
    }
}
