//! Overload protection: a bound on requests served at once, and an optional per-client rate limit for the
//! routes that generate secrets. Both answer at once (503 / 429 with Retry-After) instead of queueing.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use governor::Quota;
use governor::clock::{Clock, MonotonicClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::{HashMapStateStore, ShrinkableKeyedStateStore};
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

/// Per-client rate limit on governor's keyed GCRA (a token bucket in one atomic per client): `per_minute`
/// requests a minute, in bursts of up to the same number. One client is one IPv4 address or one IPv6 /64 (a
/// single IPv6 user or host gets a whole /64: keyed by address, one client could rotate through 2^64 keys).
///
/// Memory: every `RETAIN_EVERY` checks, `retain_recent` drops the clients whose bucket has been full again
/// for one refill period (their state is then the same as a new client's), so the table holds about the
/// clients seen in the last minute. It never holds more than `max_clients` (`MAX_CLIENTS`): a new client that
/// comes while it is full is judged as a fresh client and not remembered until cleaning makes room, so a
/// flood of fresh addresses neither grows the table nor resets the buckets of the clients already in it.
pub struct RateLimiter<C: Clock = MonotonicClock> {
    limiter: governor::RateLimiter<IpAddr, CappedStore, C, NoOpMiddleware<C::Instant>>,
    checks: AtomicU32,
}

/// Clients remembered at most: ~4.3 MB at worst (hashbrown rounds 100,000 up to 131,072 slots of 33 bytes:
/// a 17-byte `IpAddr` key padded to 24, an 8-byte state and a control byte).
const MAX_CLIENTS: usize = 100_000;

/// Checks between two cleanings: the scan (of at most `MAX_CLIENTS` entries, under the table's lock) is
/// shared by 4,096 requests, and a quiet server's table holds few stale clients anyway.
const RETAIN_EVERY: u32 = 4096;

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self::with_clock(per_minute, MonotonicClock, MAX_CLIENTS)
    }
}

impl<C: Clock> RateLimiter<C> {
    /// `per_minute` is never 0 here (0 turns the limit off and no limiter is built): 1 stands in for it.
    fn with_clock(per_minute: u32, clock: C, max_clients: usize) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        let store = CappedStore {
            map: HashMapStateStore::default(),
            max_clients,
        };
        Self {
            limiter: governor::RateLimiter::new(quota, store, clock),
            checks: AtomicU32::new(0),
        }
    }

    /// `Ok` if `client` may make one more request now, else how long until it may.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&client_key(client))
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }
}

/// The rate limit's key: an IPv4 address (also when it comes IPv4-mapped, `::ffff:a.b.c.d`, from a dual-stack
/// socket), or the /64 of an IPv6 address.
fn client_key(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

/// governor's HashMap store with a bound on its size: governor itself only removes stale keys when asked.
struct CappedStore {
    map: HashMapStateStore<IpAddr>,
    max_clients: usize,
}

impl StateStore for CappedStore {
    type Key = IpAddr;

    fn measure_and_replace<T, F, E>(&self, key: &IpAddr, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        {
            let map = self.map.lock();
            if map.len() >= self.max_clients && !map.contains_key(key) {
                // Full: decided as for a new client, and not stored.
                return f(None).map(|(outcome, _)| outcome);
            }
        }
        self.map.measure_and_replace(key, f)
    }
}

impl ShrinkableKeyedStateStore<IpAddr> for CappedStore {
    fn retain_recent(&self, drop_below: Nanos) {
        self.map.retain_recent(drop_below);
    }

    fn len(&self) -> usize {
        ShrinkableKeyedStateStore::len(&self.map)
    }

    fn is_empty(&self) -> bool {
        ShrinkableKeyedStateStore::is_empty(&self.map)
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
    use governor::clock::FakeRelativeClock;

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

    /// A limiter on a clock the test moves by hand.
    fn limiter_at(
        per_minute: u32,
        max_clients: usize,
    ) -> (RateLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (
            RateLimiter::with_clock(per_minute, clock.clone(), max_clients),
            clock,
        )
    }

    #[test]
    fn rate_limit_allows_a_burst_then_refills() {
        let (limiter, clock) = limiter_at(60, MAX_CLIENTS);
        let client: IpAddr = [192, 0, 2, 1].into();
        for _ in 0..60 {
            assert!(limiter.check(client).is_ok());
        }
        let wait = limiter.check(client).unwrap_err();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        // Another client is not affected.
        assert!(limiter.check([192, 0, 2, 2].into()).is_ok());
        // One token a second comes back.
        clock.advance(Duration::from_millis(1100));
        assert!(limiter.check(client).is_ok());
        assert!(limiter.check(client).is_err());
    }

    #[test]
    fn an_ipv6_64_is_one_client() {
        let (limiter, _clock) = limiter_at(2, MAX_CLIENTS);
        assert!(limiter.check(ip("2001:db8:1:2::1")).is_ok());
        assert!(
            limiter
                .check(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))
                .is_ok()
        );
        assert!(
            limiter.check(ip("2001:db8:1:2:abcd::9")).is_err(),
            "a third address in the same /64 shares its bucket"
        );
        assert!(
            limiter.check(ip("2001:db8:1:3::1")).is_ok(),
            "the next /64 is another client"
        );
        // IPv4-mapped (a dual-stack socket) is the IPv4 client, not one /64 for all of IPv4.
        assert!(limiter.check(ip("::ffff:192.0.2.1")).is_ok());
        assert!(limiter.check(ip("192.0.2.1")).is_ok());
        assert!(limiter.check(ip("::ffff:192.0.2.1")).is_err());
        assert!(limiter.check(ip("::ffff:192.0.2.2")).is_ok());
    }

    #[test]
    fn retain_recent_drops_a_client_once_refilled() {
        let (limiter, clock) = limiter_at(60, MAX_CLIENTS);
        let client = ip("192.0.2.1");
        for _ in 0..3 {
            assert!(limiter.check(client).is_ok());
        }
        clock.advance(Duration::from_secs(2));
        limiter.limiter.retain_recent();
        assert_eq!(limiter.limiter.len(), 1, "still one token short of full");
        // Full again after 3 s; governor keeps it one refill period (1 s) more.
        clock.advance(Duration::from_secs(2));
        limiter.limiter.retain_recent();
        assert_eq!(limiter.limiter.len(), 0);
        // The check path cleans by itself every RETAIN_EVERY checks.
        assert!(limiter.check(client).is_ok());
        clock.advance(Duration::from_secs(2));
        for _ in 1..RETAIN_EVERY {
            let _ = limiter.check(ip("192.0.2.2"));
        }
        assert_eq!(
            limiter.limiter.len(),
            1,
            "192.0.2.1 dropped, 192.0.2.2 drained"
        );
    }

    #[test]
    fn a_full_table_judges_new_clients_without_forgetting_the_others() {
        let (limiter, _clock) = limiter_at(1, 2);
        assert!(limiter.check(ip("192.0.2.1")).is_ok());
        assert!(limiter.check(ip("192.0.2.2")).is_ok());
        for _ in 0..3 {
            assert!(limiter.check(ip("192.0.2.3")).is_ok(), "not remembered");
        }
        assert_eq!(limiter.limiter.len(), 2);
        assert!(limiter.check(ip("192.0.2.1")).is_err(), "still limited");
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
