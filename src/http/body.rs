//! Request bodies: content type checked, size bounded, parsed — every failure a typed [`ApiError`].

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};

use super::error::{ApiError, Localized};
use super::input::{self, Input};
use super::lang::Lang;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 16 * 1024;

/// A JSON body decoded as `T` (see [`input`](super::input)). 415 without a JSON content type, 413 over
/// [`BODY_LIMIT`], 400 when it is not JSON, 422 when it is not an object or a field is invalid.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: Input> FromRequest<S> for JsonBody<T> {
    type Rejection = Localized;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = Lang::from_headers(req.headers());
        let fail = |e| Localized(e, lang);
        if !has_content_type(req.headers(), is_json) {
            return Err(fail(ApiError::UnsupportedMediaType("application/json")));
        }
        let bytes = read_bytes(req, state).await.map_err(fail)?;
        input::json(&bytes).map(JsonBody).map_err(fail)
    }
}

/// An `application/x-www-form-urlencoded` body as its (name, value) pairs, in order, repeats kept.
pub async fn read_form(req: Request) -> Result<Vec<(String, String)>, ApiError> {
    if !has_content_type(req.headers(), |m| m == "application/x-www-form-urlencoded") {
        return Err(ApiError::UnsupportedMediaType(
            "application/x-www-form-urlencoded",
        ));
    }
    let bytes = read_bytes(req, &()).await?;
    form_urlencoded_pairs(&bytes).ok_or(ApiError::UnreadableBody)
}

/// A body the `edge` middleware already read whole (under BODY_READ_TIMEOUT, within [`BODY_LIMIT`]). Handed over
/// in the request's extensions rather than wrapped in a new `Body`: boxing it and collecting it again costs
/// more than the read itself (callgrind).
#[derive(Clone)]
pub struct ReceivedBody(pub Bytes);

async fn read_bytes<S: Send + Sync>(mut req: Request, state: &S) -> Result<Bytes, ApiError> {
    if let Some(ReceivedBody(bytes)) = req.extensions_mut().remove::<ReceivedBody>() {
        return Ok(bytes);
    }
    Bytes::from_request(req, state).await.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(
            axum::extract::rejection::FailedToBufferBody::LengthLimitError(_),
        ) => ApiError::PayloadTooLarge(BODY_LIMIT),
        _ => ApiError::UnreadableBody,
    })
}

fn has_content_type(headers: &HeaderMap, accept: impl Fn(&str) -> bool) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|mime| accept(&mime))
}

fn is_json(mime: &str) -> bool {
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Decodes `a=1&b=x+y%21` into pairs (invalid UTF-8 becomes U+FFFD, which no field accepts).
fn form_urlencoded_pairs(body: &[u8]) -> Option<Vec<(String, String)>> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/jsonx"));
    }

    #[test]
    fn form_pairs_keep_repeats_and_decode() {
        let pairs = form_urlencoded_pairs(b"tamanho=12&x=a+b%21&x=2").unwrap();
        assert_eq!(
            pairs,
            [
                ("tamanho".into(), "12".into()),
                ("x".into(), "a b!".into()),
                ("x".into(), "2".into())
            ]
        );
    }
}
