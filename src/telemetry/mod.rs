//! Logging: one subscriber, JSON or text, level from LOG_LEVEL. Nothing here ever sees a request body.
//! The JSON line format is ours (`json`), and lines reach stdout through a batch (`batch`): both because a
//! log line per request was the largest cost of ours per request (docs/performance.md).

mod batch;
mod json;

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub use batch::{ACCESS_TARGET, flush};

use crate::config::LogFormat;

/// Installs the global subscriber, writing to stdout (what container runtimes collect), and starts the
/// thread that writes out the access log's batches.
pub fn init(format: Option<LogFormat>, level: &str) -> Result<(), String> {
    let filter = EnvFilter::try_new(level)
        .map_err(|e| format!("LOG_LEVEL '{level}' is not a valid level or filter: {e}"))?;
    let format = format.unwrap_or(if std::io::stdout().is_terminal() {
        LogFormat::Text
    } else {
        LogFormat::Json
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(batch::BatchedStdout);
    let result = match format {
        LogFormat::Json => builder.event_format(json::JsonLines).try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stdout().is_terminal())
            .try_init(),
    };
    result.map_err(|e| format!("could not install the logger: {e}"))?;
    batch::start_flusher().map_err(|e| format!("could not start the log flusher: {e}"))
}
