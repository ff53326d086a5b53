//! Prometheus metrics: one registry, the metric handles, and the text encoder for `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::store::Operation;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    revision: &'static str,
}

/// Seconds; from well under a millisecond (our typical request) to the default request timeout.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 10.0,
];

pub struct Metrics {
    registry: Registry,
    /// `senha_gerada_total`: every secret the server generates (the original's counter).
    pub passwords_generated: Counter,
    pub http_requests: Family<RequestLabels, Counter>,
    pub http_duration: Family<RouteLabels, Histogram>,
    pub http_in_flight: Gauge,
    store_errors: Family<OperationLabels, Counter>,
}

/// Set at build time by the release scripts (`GIROPOPS_REVISION=$(git rev-parse HEAD)`).
pub const REVISION: &str = match option_env!("GIROPOPS_REVISION") {
    Some(r) => r,
    None => "unknown",
};

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let passwords_generated = Counter::default();
        registry.register(
            "senha_gerada",
            "Senhas geradas (every secret the server generated)",
            passwords_generated.clone(),
        );
        let http_requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, matched route and status",
            http_requests.clone(),
        );
        let http_duration = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(LATENCY_BUCKETS)
        });
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and matched route",
            http_duration.clone(),
        );
        let http_in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being served right now",
            http_in_flight.clone(),
        );
        let store_errors = Family::<OperationLabels, Counter>::default();
        registry.register(
            "giropops_store_errors",
            "Failed history store operations",
            store_errors.clone(),
        );
        // Present from the start at 0, so rate() and alerts see a series before the first failure.
        for operation in [Operation::Push, Operation::Recent, Operation::Ping] {
            let _ = store_errors
                .get_or_create(&OperationLabels {
                    operation: operation.as_str(),
                })
                .get();
        }
        registry.register(
            "giropops_build",
            "Version and git revision of the running binary",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
                revision: REVISION,
            }),
        );
        Self {
            registry,
            passwords_generated,
            http_requests,
            http_duration,
            http_in_flight,
            store_errors,
        }
    }

    pub fn store_error(&self, operation: Operation) {
        self.store_errors
            .get_or_create(&OperationLabels {
                operation: operation.as_str(),
            })
            .inc();
    }

    /// OpenMetrics text, which Prometheus scrapes natively.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::with_capacity(4096);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposes_the_original_counter_name_and_ours() {
        let m = Metrics::new();
        m.passwords_generated.inc();
        m.store_error(Operation::Push);
        let text = m.encode().unwrap();
        assert!(text.contains("senha_gerada_total 1"), "{text}");
        assert!(
            text.contains("giropops_store_errors_total{operation=\"push\"} 1"),
            "{text}"
        );
        assert!(text.contains("giropops_build_info{version=\""), "{text}");
    }
}
