//! Cross-cutting concerns in one layer (`edge`), each step a plain function: the `Host` check, the body read
//! under its own deadline, the request deadline, the concurrency and rate limits, metrics and the access log,
//! and the response headers every answer carries.
//! One `from_fn` layer instead of one per concern: each layer boxes the rest of the stack again for every
//! request, and four of them cost more than the work they wrapped (docs/performance.md).

use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Version, header};
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::Body as _;

use super::AppState;
use super::body::{BODY_LIMIT, ReceivedBody};
use super::error::ApiError;
use super::lang::Lang;
use crate::metrics::{InFlight, RequestLabels, RouteLabels};

/// Every route the router serves, as metric labels. Labels come from this fixed list, never from the
/// request, so neither a raw path nor an invented method can grow the number of series.
pub const ROUTES: [&str; 11] = [
    "/",
    "/api/gerar-senha",
    "/api/senhas",
    "/api/v1/passwords",
    "/api/v1/passphrases",
    "/api/openapi.json",
    "/healthz",
    "/readyz",
    "/metrics",
    "/assets/{file}",
    // The page's "Limpar histórico" form (no JavaScript needed); `DELETE /api/senhas` is labelled by its path.
    "/historico/limpar",
];

/// Label for requests that matched no route.
const UNMATCHED: &str = "unmatched";

/// The stack around every handler, outermost first: security headers on every answer; then metrics and the
/// access log, which also see the 400/408/413 of the head and body checks and the 503/429 of the limits; then
/// the `Host` check and the body read (BODY_READ_TIMEOUT); then REQUEST_TIMEOUT; then MAX_CONCURRENCY and
/// RATE_LIMIT.
pub async fn edge(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    // The service is called as soon as the head is parsed: this is when the body's deadline starts.
    let start = Instant::now();
    let method = method_label(request.method());
    let route = route_label(request.extensions().get::<MatchedPath>());
    let lang = Lang::from_headers(request.headers());
    let in_flight = InFlight::enter(&app.metrics().http_in_flight);
    let mut response = match receive(&app, &mut request, start).await {
        Ok(()) => {
            match tokio::time::timeout(app.0.request_timeout, admit(&app, request, next, lang))
                .await
            {
                Ok(response) => response,
                Err(_) => ApiError::Timeout.into_response_in(lang),
            }
        }
        Err(e) => e.into_response_in(lang),
    };
    drop(in_flight);
    set_security_headers(response.headers_mut());
    observe(
        &app,
        method,
        route,
        response.status().as_u16(),
        start.elapsed(),
    );
    response
}

/// Puts the whole body of `request` in memory, or says why the request is refused: a `Host` that is missing
/// (HTTP/1.1) or repeated (RFC 9112 §3.2), a body over [`BODY_LIMIT`], or one that did not arrive within
/// BODY_READ_TIMEOUT of `head_end`. A body is read here, outside REQUEST_TIMEOUT and before MAX_CONCURRENCY, so
/// that a client sending it slowly (or never) holds no concurrency slot; connections bound how many are read at
/// once.
///
/// The body goes to the extractors as a [`ReceivedBody`] extension. The request is borrowed: moving a whole
/// request (head, extensions) in and out of this future costs a copy of it per request (callgrind: memcpy).
async fn receive(app: &AppState, request: &mut Request, head_end: Instant) -> Result<(), ApiError> {
    check_host(request)?;
    // No Content-Length (or 0) and not chunked: nothing to wait for.
    if request.body().is_end_stream() {
        return Ok(());
    }
    let body = std::mem::take(request.body_mut());
    let deadline = head_end + app.0.body_read_timeout;
    let bytes = read_body(body, deadline).await?;
    request.extensions_mut().insert(ReceivedBody(bytes));
    Ok(())
}

/// Exactly one `Host`; HTTP/1.0 clients (e.g. HAProxy's default `httpchk`) may send none.
fn check_host(request: &Request) -> Result<(), ApiError> {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let valid = match (hosts.next(), hosts.next()) {
        (Some(_), None) => true,
        (None, _) => request.version() < Version::HTTP_11,
        (Some(_), Some(_)) => false,
    };
    if valid {
        Ok(())
    } else {
        Err(ApiError::InvalidHost)
    }
}

/// Reads `body` whole by `deadline`. A declared length over the limit is refused before the body is polled,
/// so hyper never sends `100 Continue` for it. The timer is only created when the body has to be waited for:
/// one that came with its head (most requests) costs none.
async fn read_body(mut body: Body, deadline: Instant) -> Result<Bytes, ApiError> {
    if body.size_hint().lower() > BODY_LIMIT as u64 {
        return Err(ApiError::PayloadTooLarge(BODY_LIMIT));
    }
    let mut buffer = BodyBuffer::Empty;
    let mut timer: Option<Pin<Box<tokio::time::Sleep>>> = None;
    std::future::poll_fn(|cx| {
        loop {
            match Pin::new(&mut body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers are dropped: no route reads them.
                    if let Ok(data) = frame.into_data()
                        && let Err(e) = buffer.push(data)
                    {
                        return Poll::Ready(Err(e));
                    }
                }
                // The client closed mid-body, or sent a malformed chunk.
                Poll::Ready(Some(Err(_))) => return Poll::Ready(Err(ApiError::UnreadableBody)),
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => {
                    let timer = timer
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline.into())));
                    return match timer.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Err(ApiError::BodyTimeout)),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    })
    .await?;
    Ok(buffer.into_bytes())
}

/// A body's bytes as they arrive: the usual single chunk is kept as it is, several are copied into one.
enum BodyBuffer {
    Empty,
    One(Bytes),
    Many(Vec<u8>),
}

impl BodyBuffer {
    fn len(&self) -> usize {
        match self {
            BodyBuffer::Empty => 0,
            BodyBuffer::One(bytes) => bytes.len(),
            BodyBuffer::Many(bytes) => bytes.len(),
        }
    }

    /// Appends `data`; a body that grows over [`BODY_LIMIT`] (chunked, so not declared) is refused.
    fn push(&mut self, data: Bytes) -> Result<(), ApiError> {
        let len = self.len() + data.len();
        if len > BODY_LIMIT {
            return Err(ApiError::PayloadTooLarge(BODY_LIMIT));
        }
        if data.is_empty() {
            return Ok(());
        }
        *self = match std::mem::replace(self, BodyBuffer::Empty) {
            BodyBuffer::Empty => BodyBuffer::One(data),
            BodyBuffer::One(first) => {
                let mut bytes = Vec::with_capacity(len);
                bytes.extend_from_slice(&first);
                bytes.extend_from_slice(&data);
                BodyBuffer::Many(bytes)
            }
            BodyBuffer::Many(mut bytes) => {
                bytes.extend_from_slice(&data);
                BodyBuffer::Many(bytes)
            }
        };
        Ok(())
    }

    fn into_bytes(self) -> Bytes {
        match self {
            BodyBuffer::Empty => Bytes::new(),
            BodyBuffer::One(bytes) => bytes,
            BodyBuffer::Many(bytes) => Bytes::from(bytes),
        }
    }
}

/// MAX_CONCURRENCY, then RATE_LIMIT, then the handler.
async fn admit(app: &AppState, request: Request, next: Next, lang: Lang) -> Response {
    let _permit = if is_exempt_from_limits(request.uri().path()) {
        None
    } else {
        match app.0.concurrency.try_enter() {
            Some(permit) => Some(permit),
            None => return ApiError::Overloaded.into_response_in(lang),
        }
    };
    if let Some(wait) = rate_limited(app, &request) {
        return ApiError::RateLimited(wait.as_secs().max(1)).into_response_in(lang);
    }
    next.run(request).await
}

/// Routes that must answer even when the app is saturated: probes (a 503 on liveness would get the pod
/// restarted for being busy) and metrics (to see the saturation).
fn is_exempt_from_limits(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// RATE_LIMIT: generations (POST) per minute per client. `Some(wait)` when this one is over the limit.
fn rate_limited(app: &AppState, request: &Request) -> Option<Duration> {
    let limiter = app.0.rate_limit.as_ref()?;
    if request.method() != Method::POST {
        return None;
    }
    let ConnectInfo(peer) = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .copied()?;
    let client = super::limits::client_address(peer, request.headers(), &app.0.trusted_proxies);
    limiter.check(client).err()
}

/// `http_requests_total`, `http_request_duration_seconds` and one access-log line: method, matched route,
/// status, latency. Never the body, the query or a password.
fn observe(
    app: &AppState,
    method: &'static str,
    route: &'static str,
    status: u16,
    elapsed: Duration,
) {
    let metrics = app.metrics();
    metrics
        .http_requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status,
        })
        .inc();
    metrics
        .http_duration
        .get_or_create(&RouteLabels { method, route })
        .observe(elapsed.as_secs_f64());
    tracing::info!(
        target: crate::telemetry::ACCESS_TARGET,
        method,
        route,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
}

/// The standard methods by name; anything else (extension methods are any token) is `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

fn route_label(matched: Option<&MatchedPath>) -> &'static str {
    matched
        .and_then(|m| ROUTES.iter().find(|route| **route == m.as_str()))
        .copied()
        .unwrap_or(UNMATCHED)
}

/// Headers on every response. `Cache-Control: no-store` is the default because most answers carry a
/// password; static assets set their own.
fn set_security_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::task::Context;

    /// A body that yields its chunks one per poll, then either ends or waits forever.
    struct Chunks {
        chunks: VecDeque<Bytes>,
        then_stall: bool,
    }

    impl hyper::body::Body for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
            match self.chunks.pop_front() {
                Some(chunk) => Poll::Ready(Some(Ok(hyper::body::Frame::data(chunk)))),
                None if self.then_stall => Poll::Pending,
                None => Poll::Ready(None),
            }
        }
    }

    fn chunked(sizes: &[usize], then_stall: bool) -> Body {
        Body::new(Chunks {
            chunks: sizes.iter().map(|n| Bytes::from(vec![b'x'; *n])).collect(),
            then_stall,
        })
    }

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[tokio::test]
    async fn a_body_is_read_whole_up_to_the_limit_and_refused_past_it() {
        let one = read_body(chunked(&[10], false), later()).await.unwrap();
        assert_eq!(one.len(), 10);
        let exact = read_body(chunked(&[BODY_LIMIT - 100, 0, 100], false), later()).await;
        assert_eq!(exact.map(|b| b.len()), Ok(BODY_LIMIT));
        let over = read_body(chunked(&[BODY_LIMIT - 100, 101], false), later()).await;
        assert_eq!(over, Err(ApiError::PayloadTooLarge(BODY_LIMIT)));
    }

    #[tokio::test]
    async fn a_body_that_stops_coming_times_out() {
        let deadline = Instant::now() + Duration::from_millis(50);
        let stalled = read_body(chunked(&[10], true), deadline).await;
        assert_eq!(stalled, Err(ApiError::BodyTimeout));
        assert!(Instant::now() >= deadline);
    }

    #[test]
    fn host_is_required_once_from_http11() {
        let request = |version, hosts: &[&str]| {
            let mut builder = Request::builder().version(version);
            for host in hosts {
                builder = builder.header(header::HOST, *host);
            }
            builder.body(Body::empty()).unwrap()
        };
        assert_eq!(check_host(&request(Version::HTTP_11, &["a"])), Ok(()));
        assert_eq!(check_host(&request(Version::HTTP_10, &[])), Ok(()));
        for (version, hosts) in [
            (Version::HTTP_11, &[][..]),
            (Version::HTTP_11, &["a", "b"][..]),
            (Version::HTTP_10, &["a", "a"][..]),
        ] {
            assert_eq!(
                check_host(&request(version, hosts)),
                Err(ApiError::InvalidHost),
                "{version:?} {hosts:?}"
            );
        }
    }

    #[test]
    fn extension_methods_share_one_label() {
        let invented = Method::from_bytes(b"GIROPOPS").unwrap();
        assert_eq!(method_label(&invented), "other");
        assert_eq!(method_label(&Method::POST), "POST");
    }
}
