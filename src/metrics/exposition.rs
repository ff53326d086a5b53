//! The two text formats `/metrics` speaks, chosen from the scraper's `Accept` header as the official client
//! libraries do: OpenMetrics 1.0 only when the scraper asks for it, the classic Prometheus text format 0.0.4
//! otherwise (what the original app served, and what `promtool check metrics` and older scrapers read).
//!
//! `prometheus-client` writes OpenMetrics only, so the classic text is derived from it, family by family. The
//! differences that matter for our registry: a counter family is named without `_total` in OpenMetrics and
//! with it in the classic format; the classic format has no `info` type (an info metric is a gauge of 1 named
//! `<name>_info`), no `# UNIT` lines, no exemplars and no `# EOF`.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT;

/// `Content-Type` of each format.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub const CLASSIC_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenMetrics,
    Classic,
}

impl Format {
    /// OpenMetrics when any `Accept` media range names `application/openmetrics-text` with a non-zero
    /// quality (Prometheus ≥ 2.5 does); the classic format for everything else, a missing header included.
    pub fn negotiate(headers: &HeaderMap) -> Self {
        let asks_for_openmetrics = headers
            .get_all(ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|range| {
                let mut parts = range.split(';').map(str::trim);
                let media = parts.next().unwrap_or("");
                media.eq_ignore_ascii_case("application/openmetrics-text")
                    && parts.all(|param| !is_zero_quality(param))
            });
        if asks_for_openmetrics {
            Format::OpenMetrics
        } else {
            Format::Classic
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            Format::Classic => CLASSIC_CONTENT_TYPE,
        }
    }
}

/// `q=0` (or `q=0.000`): the client refuses this media range.
fn is_zero_quality(param: &str) -> bool {
    let Some((name, value)) = param.split_once('=') else {
        return false;
    };
    name.trim().eq_ignore_ascii_case("q") && value.trim().parse::<f64>().is_ok_and(|q| q <= 0.0)
}

/// Rewrites OpenMetrics text, as `prometheus-client` encodes it, into the classic text format 0.0.4.
pub fn openmetrics_to_classic(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    // prometheus-client writes `# HELP`, then `# UNIT` (optional), then `# TYPE`, then the samples of each
    // family: the HELP line waits until the TYPE says which name the family has in the classic format.
    let mut pending_help: Option<&str> = None;
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            pending_help = Some(rest);
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let (name, kind) = classic_family(name, kind);
            if let Some(help) = pending_help.take() {
                // OpenMetrics also escapes `"` in HELP text; the classic format escapes only `\\` and `\n`.
                let text = help.split_once(' ').map_or("", |(_, text)| text);
                out.push_str(&format!("# HELP {name} {}\n", text.replace("\\\"", "\"")));
            }
            out.push_str(&format!("# TYPE {name} {kind}\n"));
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        // A sample: drop an exemplar (` # {…} v`) and the `_created` series the classic format does not have.
        let sample = line.split_once(" # ").map_or(line, |(sample, _)| sample);
        let name_end = sample.find(['{', ' ']).unwrap_or(sample.len());
        if sample[..name_end].ends_with("_created") {
            continue;
        }
        out.push_str(sample);
        out.push('\n');
    }
    out
}

/// A family's name and type in the classic format.
fn classic_family(name: &str, kind: &str) -> (String, &'static str) {
    match kind {
        "counter" => (format!("{name}_total"), "counter"),
        "info" => (format!("{name}_info"), "gauge"),
        "gauge" => (name.to_owned(), "gauge"),
        "histogram" => (name.to_owned(), "histogram"),
        "summary" => (name.to_owned(), "summary"),
        // gaugehistogram, stateset, unknown: no classic equivalent; untyped keeps the samples readable.
        _ => (name.to_owned(), "untyped"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn openmetrics_only_when_asked_for() {
        assert_eq!(Format::negotiate(&HeaderMap::new()), Format::Classic);
        assert_eq!(
            Format::negotiate(&accept("text/plain;version=0.0.4")),
            Format::Classic
        );
        assert_eq!(Format::negotiate(&accept("*/*")), Format::Classic);
        // What Prometheus 2.x sends.
        assert_eq!(
            Format::negotiate(&accept(
                "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
            )),
            Format::OpenMetrics
        );
        assert_eq!(
            Format::negotiate(&accept("application/openmetrics-text; q=0, text/plain")),
            Format::Classic,
            "a refused media range is not a request for it"
        );
    }

    #[test]
    fn families_are_renamed_and_openmetrics_only_lines_dropped() {
        let openmetrics = "\
# HELP senha_gerada Senhas geradas.
# TYPE senha_gerada counter
senha_gerada_total 3
senha_gerada_created 1700000000.0
# HELP giropops_build Version.
# TYPE giropops_build info
giropops_build_info{version=\"0.1.0\",revision=\"abc\"} 1
# HELP latency Latency.
# TYPE latency histogram
# UNIT latency seconds
latency_bucket{le=\"+Inf\"} 2 # {trace_id=\"x\"} 0.5
latency_sum 0.75
latency_count 2
# HELP up Up.
# TYPE up gauge
up 1
# EOF
";
        let expected = "\
# HELP senha_gerada_total Senhas geradas.
# TYPE senha_gerada_total counter
senha_gerada_total 3
# HELP giropops_build_info Version.
# TYPE giropops_build_info gauge
giropops_build_info{version=\"0.1.0\",revision=\"abc\"} 1
# HELP latency Latency.
# TYPE latency histogram
latency_bucket{le=\"+Inf\"} 2
latency_sum 0.75
latency_count 2
# HELP up Up.
# TYPE up gauge
up 1
";
        assert_eq!(openmetrics_to_classic(openmetrics), expected);
    }
}
