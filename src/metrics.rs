//! Prometheus metrics: one registry, the metric handles, and the text encoder for `/metrics`.

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;

// One direction only: metrics reads the store's types and counters, the store never imports metrics.
use crate::store::{ListsEvicted, Operation, OperationsInFlight, SkipReason};

pub mod exposition;
pub use exposition::Format;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: &'static str,
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: &'static str,
    pub route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

/// What kind of secret, generated through which interface.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SecretLabels {
    kind: &'static str,
    interface: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Password,
    Passphrase,
}

impl SecretKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Password => "password",
            SecretKind::Passphrase => "passphrase",
        }
    }
}

/// Where a secret was asked for. `Cli` runs in its own process, which serves no `/metrics`: its series is
/// counted there and never scraped, so the server's registry only ever shows it at 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    Page,
    Legacy,
    V1,
    Cli,
}

impl Interface {
    pub fn as_str(self) -> &'static str {
        match self {
            Interface::Page => "page",
            Interface::Legacy => "legacy",
            Interface::V1 => "v1",
            Interface::Cli => "cli",
        }
    }
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
    /// Connections closed to admit a new one at MAX_CONNECTIONS (idle the longest).
    pub connections_evicted: Counter,
    store_errors: Family<OperationLabels, Counter>,
    secrets_generated: Family<SecretLabels, Counter>,
    history_entries_skipped: Family<ReasonLabels, Counter>,
}

/// Set at build time by the release scripts (`GIROPOPS_REVISION=$(git rev-parse HEAD)`).
pub const REVISION: &str = match option_env!("GIROPOPS_REVISION") {
    Some(r) => r,
    None => "unknown",
};

impl Metrics {
    /// The registry of a server whose store counts its operations in `store_in_flight` and the private lists
    /// it dropped in `lists_evicted`.
    pub fn new(store_in_flight: OperationsInFlight, lists_evicted: ListsEvicted) -> Self {
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
        registry.register(
            "giropops_store_operations_in_flight",
            "History store operations waiting for an answer",
            StoreInFlightGauge(store_in_flight),
        );
        registry.register(
            "giropops_history_lists_evicted",
            "Private history lists the embedded store dropped at HISTORY_MAX_LISTS (least recently used first)",
            ListsEvictedCounter(lists_evicted),
        );
        let connections_evicted = Counter::default();
        registry.register(
            "giropops_connections_evicted",
            "Idle connections closed to admit a new one at MAX_CONNECTIONS",
            connections_evicted.clone(),
        );
        let store_errors = Family::<OperationLabels, Counter>::default();
        registry.register(
            "giropops_store_errors",
            "Failed history store operations",
            store_errors.clone(),
        );
        // Present from the start at 0, so rate() and alerts see a series before the first failure.
        for operation in [
            Operation::Push,
            Operation::Recent,
            Operation::Clear,
            Operation::Ping,
        ] {
            let _ = store_errors
                .get_or_create(&OperationLabels {
                    operation: operation.as_str(),
                })
                .get();
        }
        let secrets_generated = Family::<SecretLabels, Counter>::default();
        registry.register(
            "giropops_secrets_generated",
            "Secrets generated, by kind (password, passphrase) and interface (page, legacy, v1, cli)",
            secrets_generated.clone(),
        );
        for kind in [SecretKind::Password, SecretKind::Passphrase] {
            for interface in [Interface::Page, Interface::Legacy, Interface::V1] {
                let _ = secrets_generated
                    .get_or_create(&SecretLabels {
                        kind: kind.as_str(),
                        interface: interface.as_str(),
                    })
                    .get();
            }
        }
        let history_entries_skipped = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "giropops_history_entries_skipped",
            "History entries read but not served: not UTF-8, or longer than any secret generated here",
            history_entries_skipped.clone(),
        );
        for reason in SkipReason::ALL {
            let _ = history_entries_skipped
                .get_or_create(&ReasonLabels {
                    reason: reason.as_str(),
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
            connections_evicted,
            store_errors,
            secrets_generated,
            history_entries_skipped,
        }
    }

    pub fn history_entries_skipped(&self, reason: SkipReason, n: u64) {
        self.history_entries_skipped
            .get_or_create(&ReasonLabels {
                reason: reason.as_str(),
            })
            .inc_by(n);
    }

    /// Counts `n` generated secrets in `senha_gerada_total` and in `giropops_secrets_generated_total`.
    pub fn secrets_generated(&self, kind: SecretKind, interface: Interface, n: u64) {
        self.passwords_generated.inc_by(n);
        self.secrets_generated
            .get_or_create(&SecretLabels {
                kind: kind.as_str(),
                interface: interface.as_str(),
            })
            .inc_by(n);
    }

    pub fn store_error(&self, operation: Operation) {
        self.store_errors
            .get_or_create(&OperationLabels {
                operation: operation.as_str(),
            })
            .inc();
    }

    /// The registry as OpenMetrics text, or in the classic Prometheus text format derived from it.
    pub fn encode(&self, format: Format) -> Result<String, std::fmt::Error> {
        let mut out = String::with_capacity(4096);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(match format {
            Format::OpenMetrics => out,
            Format::Classic => exposition::openmetrics_to_classic(&out),
        })
    }
}

/// Counts one unit of work in a gauge until dropped, also when the work is cancelled (client gone, timeout).
pub struct InFlight<'a>(&'a Gauge);

impl<'a> InFlight<'a> {
    pub fn enter(gauge: &'a Gauge) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// A registry for a process without a store to watch: `giropops_store_operations_in_flight` stays 0.
impl Default for Metrics {
    fn default() -> Self {
        Self::new(OperationsInFlight::default(), ListsEvicted::default())
    }
}

/// `giropops_store_operations_in_flight` (Redis operations waiting for an answer; bounded by
/// REDIS_MAX_IN_FLIGHT): a gauge read from the store's own counter at scrape time.
#[derive(Debug)]
struct StoreInFlightGauge(OperationsInFlight);

impl TypedMetric for StoreInFlightGauge {
    const TYPE: MetricType = MetricType::Gauge;
}

impl EncodeMetric for StoreInFlightGauge {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder.encode_gauge(&self.0.get())
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

/// `giropops_history_lists_evicted_total`: a counter read from the embedded store's own count at scrape time.
#[derive(Debug)]
struct ListsEvictedCounter(ListsEvicted);

impl TypedMetric for ListsEvictedCounter {
    const TYPE: MetricType = MetricType::Counter;
}

impl EncodeMetric for ListsEvictedCounter {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder
            .encode_counter::<prometheus_client::encoding::NoLabelSet, _, u64>(&self.0.get(), None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposes_the_original_counter_name_and_ours() {
        let m = Metrics::default();
        m.passwords_generated.inc();
        m.store_error(Operation::Push);
        let text = m.encode(Format::OpenMetrics).unwrap();
        assert!(text.contains("senha_gerada_total 1"), "{text}");
        assert!(
            text.contains("giropops_store_errors_total{operation=\"push\"} 1"),
            "{text}"
        );
        assert!(text.contains("giropops_build_info{version=\""), "{text}");
        m.secrets_generated(SecretKind::Passphrase, Interface::V1, 3);
        let text = m.encode(Format::OpenMetrics).unwrap();
        assert!(text.contains("senha_gerada_total 4"), "{text}");
        assert!(
            text.contains(
                "giropops_secrets_generated_total{kind=\"passphrase\",interface=\"v1\"} 3"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "giropops_secrets_generated_total{kind=\"password\",interface=\"page\"} 0"
            ),
            "{text}"
        );
    }

    #[test]
    fn store_operations_in_flight_is_a_gauge_read_from_the_store() {
        let text = Metrics::default().encode(Format::OpenMetrics).unwrap();
        assert!(
            text.contains(
                "# HELP giropops_store_operations_in_flight History store operations waiting for an answer.\n\
                 # TYPE giropops_store_operations_in_flight gauge\n\
                 giropops_store_operations_in_flight 0\n"
            ),
            "{text}"
        );
    }
}
