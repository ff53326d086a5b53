//! Overload protection: a bound on requests served at once, and an optional per-client rate limit for the
//! routes that generate secrets. Both answer at once (503 / 429 with Retry-After) instead of queueing.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};
use ipnet::IpNet;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// At most `max` requests in the handlers at once.
#[derive(Clone)]
pub struct ConcurrencyLimit(Arc<Semaphore>);

impl ConcurrencyLimit {
    pub fn new(max: usize) -> Self {
        Self(Arc::new(Semaphore::new(max)))
    }

    /// A slot, or `None` when all are taken (the caller answers 503 right away).
    pub fn try_enter(&self) -> Option<OwnedSemaphorePermit> {
        self.0.clone().try_acquire_owned().ok()
    }
}

/// Token buckets per client address: `per_minute` requests a minute, bursts up to the same number.
/// Memory is bounded: at most `MAX_CLIENTS` buckets; when full, buckets that have refilled (idle clients)
/// are dropped first, and if none has, the table starts over (a burst of fresh clients cannot grow it).
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

const MAX_CLIENTS: usize = 100_000;

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` if `client` may make one more request now, else how long until it may.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.per_minute);
        let refill_per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&client) {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * refill_per_second
                    < capacity
            });
            if buckets.len() >= MAX_CLIENTS {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * refill_per_second).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / refill_per_second;
            Err(Duration::from_secs_f64(wait.max(0.001)))
        }
    }
}

/// The client's address for the rate limit.
///
/// A peer that is not a trusted proxy is the client; `X-Forwarded-For` is ignored (anyone can send it). Behind
/// a trusted proxy, the hops of every `X-Forwarded-For` header, in order, are walked right to left (nearest
/// first) while they are trusted proxies too; the first hop that is not trusted is the client — whatever
/// comes to its left was written by the client itself and is never looked at. Hops may be `ip`, `ip:port`
/// or `[v6]:port` (Azure and others add the port): the port is dropped.
///
/// A hop that cannot be parsed (`unknown`, an obfuscated name, garbage) is where the walk stops too: the
/// client behind it cannot be named, so the limit is keyed on the trusted hop that reported it (the hop to
/// its right, or the peer). All such requests through one proxy share one bucket: an attacker cannot
/// write a fresh key per request, only spend the proxy's common bucket.
///
/// The `Forwarded` header (RFC 7239) is not read: proxies that only send it look like one client each.
pub fn client_address(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut reporter = peer.ip();
    if !is_trusted(&reporter) {
        return reporter;
    }
    let headers: Vec<&HeaderValue> = headers.get_all("x-forwarded-for").iter().collect();
    for value in headers.into_iter().rev() {
        // A value that is not visible ASCII cannot be parsed: the walk stops at it.
        let Ok(value) = value.to_str() else {
            return reporter;
        };
        for hop in value.rsplit(',') {
            let Some(ip) = parse_hop(hop) else {
                return reporter;
            };
            if !is_trusted(&ip) {
                return ip;
            }
            reporter = ip;
        }
    }
    reporter
}

/// One `X-Forwarded-For` hop: `ip`, `ipv4:port`, `[ipv6]` or `[ipv6]:port`, surrounding spaces allowed.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(is_port);
        return port_ok
            .then(|| inside.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6))
            .flatten();
    }
    let (ip, port) = hop.rsplit_once(':')?;
    (is_port(port))
        .then(|| ip.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4))
        .flatten()
}

fn is_port(port: &str) -> bool {
    !port.is_empty() && port.len() <= 5 && port.parse::<u16>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_limit_refuses_beyond_max_and_recovers() {
        let limit = ConcurrencyLimit::new(2);
        let a = limit.try_enter();
        let b = limit.try_enter();
        assert!(a.is_some() && b.is_some());
        assert!(limit.try_enter().is_none());
        drop(a);
        assert!(limit.try_enter().is_some());
    }

    #[test]
    fn rate_limit_allows_a_burst_then_refills() {
        let limiter = RateLimiter::new(60);
        let client: IpAddr = [192, 0, 2, 1].into();
        let start = Instant::now();
        for _ in 0..60 {
            assert!(limiter.check(client, start).is_ok());
        }
        let wait = limiter.check(client, start).unwrap_err();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        // Another client is not affected.
        assert!(limiter.check([192, 0, 2, 2].into(), start).is_ok());
        // One token a second comes back.
        assert!(
            limiter
                .check(client, start + Duration::from_millis(1100))
                .is_ok()
        );
        assert!(
            limiter
                .check(client, start + Duration::from_millis(1100))
                .is_err()
        );
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.7, 10.1.2.3"),
        );
        let proxy: SocketAddr = "10.0.0.5:1234".parse().unwrap();
        let direct: SocketAddr = "198.51.100.200:1234".parse().unwrap();
        assert_eq!(
            client_address(proxy, &headers, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap(),
            "right-most untrusted entry: the one the proxy saw"
        );
        assert_eq!(
            client_address(direct, &headers, &trusted),
            direct.ip(),
            "spoofed header ignored"
        );
        assert_eq!(
            client_address(proxy, &HeaderMap::new(), &trusted),
            proxy.ip()
        );
    }

    fn walk(peer: &str, values: &[&str]) -> IpAddr {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "fd00::/8".parse().unwrap()];
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        client_address(peer.parse().unwrap(), &headers, &trusted)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_walk_stops_at_the_first_untrusted_hop() {
        let proxy = "10.0.0.5:1234";
        // Through two trusted proxies: the hop before them.
        assert_eq!(
            walk(proxy, &["203.0.113.9, 198.51.100.7, 10.1.2.3"]),
            ip("198.51.100.7")
        );
        // Every header instance, in order: the last one's hops are the nearest.
        assert_eq!(
            walk(proxy, &["203.0.113.9", "198.51.100.7, 10.1.2.3"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            walk(proxy, &["198.51.100.7", "10.1.2.3", "10.9.9.9"]),
            ip("198.51.100.7")
        );
        // Only trusted hops: the left-most (farthest) trusted one.
        assert_eq!(walk(proxy, &["10.1.2.3, 10.2.2.2"]), ip("10.1.2.3"));
    }

    #[test]
    fn hops_with_ports_are_their_address() {
        let proxy = "10.0.0.5:1234";
        assert_eq!(walk(proxy, &["198.51.100.7:4711"]), ip("198.51.100.7"));
        assert_eq!(walk(proxy, &["[2001:db8::7]:443"]), ip("2001:db8::7"));
        assert_eq!(walk(proxy, &["[2001:db8::7]"]), ip("2001:db8::7"));
        assert_eq!(walk(proxy, &["2001:db8::7"]), ip("2001:db8::7"));
        assert_eq!(
            walk(proxy, &["198.51.100.7:4711, 10.1.2.3:80"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            walk(proxy, &["203.0.113.1, [fd00::1]:80"]),
            ip("203.0.113.1")
        );
    }

    /// Issue 13, row 5: `<spoof>, 9.9.9.9:80` used to drop the `ip:port` hop and key on the spoof.
    #[test]
    fn a_spoofed_entry_left_of_a_hop_with_port_is_not_the_client() {
        assert_eq!(
            walk("10.0.0.5:1234", &["203.0.113.77, 9.9.9.9:80"]),
            ip("9.9.9.9")
        );
    }

    /// Issue 13, row 5: `<spoof>, unknown` used to skip `unknown` and key on the spoof. The client cannot be
    /// named: the trusted hop that wrote `unknown` is the key, the same for every such request.
    #[test]
    fn an_unparseable_hop_keys_on_the_proxy_that_reported_it() {
        let proxy = "10.0.0.5:1234";
        for spoof in ["203.0.113.77", "198.51.100.1", "8.8.8.8"] {
            assert_eq!(walk(proxy, &[&format!("{spoof}, unknown")]), ip("10.0.0.5"));
            assert_eq!(
                walk(proxy, &[&format!("{spoof}, garbage, 10.1.2.3")]),
                ip("10.1.2.3")
            );
            assert_eq!(
                walk(proxy, &[&format!("{spoof}, 1.2.3.4:99999")]),
                ip("10.0.0.5")
            );
            assert_eq!(
                walk(proxy, &[&format!("{spoof}, [::1"), "10.1.2.3"]),
                ip("10.1.2.3")
            );
            assert_eq!(
                walk(proxy, &[&format!("{spoof},")]),
                ip("10.0.0.5"),
                "an empty hop"
            );
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_the_header_says() {
        assert_eq!(
            walk("198.51.100.200:1234", &["203.0.113.9, 10.1.2.3"]),
            ip("198.51.100.200")
        );
        assert_eq!(walk("10.0.0.5:1234", &[]), ip("10.0.0.5"));
    }
}
