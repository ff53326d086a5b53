//! Every request body as a type: one `#[derive(Deserialize, ToSchema)]` struct per body, the same struct feeding
//! the parser and the OpenAPI document. Range and format checks live in the field types ([`fields`]); this module
//! turns a failed decode into the one [`ApiError`] that names the failing field.
//!
//! - [`legacy`]: `POST /api/gerar-senha`, with the original app's leniencies;
//! - [`v1`]: `POST /api/v1/passwords` and `/passphrases`, strict (unknown fields refused);
//! - [`form`]: `POST /`, the page's form.

pub mod fields;
pub mod form;
pub mod legacy;
pub mod rules;
pub mod v1;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;

/// A request body type: its field names and the error each one gives when invalid.
pub trait Input: DeserializeOwned {
    /// Every field name of the body, as serde reads them (`tests` checks them against the OpenAPI schema).
    const FIELDS: &'static [&'static str];

    /// The error for `field` (one of [`Self::FIELDS`]) present with an invalid value.
    fn invalid(field: &'static str) -> ApiError;

    /// The error for a name outside [`Self::FIELDS`]. Only types that refuse unknown fields get here.
    fn unknown(name: &str) -> ApiError {
        // The name comes from the client: bound what goes back into the message.
        ApiError::UnknownField(name.chars().take(64).collect())
    }
}

/// A JSON body as `T`: 400 when it is not JSON, 422 when it is not an object or a field is invalid.
///
/// The typed parse runs first with nothing tracked, so a valid body costs one pass. Only a failure pays for the
/// generic parse that finds its reason.
pub fn json<T: Input>(bytes: &[u8]) -> Result<T, ApiError> {
    // A derived struct also decodes from a JSON array, by position: only objects take the typed path.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return json_slow_path(bytes);
    }
    match serde_json::from_slice::<T>(bytes) {
        Ok(input) => Ok(input),
        Err(e) if e.is_syntax() || e.is_eof() => Err(ApiError::MalformedJson),
        Err(_) => json_slow_path(bytes),
    }
}

/// Why a body failed the typed parse, in the order a client reads the answer: the whole body must be JSON (400,
/// even when a field before the broken part was already wrong), then an object, then its fields. A key given
/// twice fails the derived struct but not a JSON object, which keeps the last value — as the original's parser
/// did, so such a body is decoded from the object.
fn json_slow_path<T: Input>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| ApiError::MalformedJson)?;
    self::value(value)
}

/// A decoded JSON value as `T`; 422 naming the field when it does not fit.
pub fn value<T: Input>(value: Value) -> Result<T, ApiError> {
    if !value.is_object() {
        return Err(ApiError::BodyNotObject);
    }
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| path_error::<T>(e.path()))
}

/// The decoded pairs of a form post as `T`. The form types ignore unknown names; a known one given twice is
/// refused (which value would the user have meant?).
pub fn form<T: Input>(pairs: &[(String, String)]) -> Result<T, ApiError> {
    let entries = pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let decoder = serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(entries);
    serde_path_to_error::deserialize::<_, T>(decoder).map_err(|e| match top_key(e.path()) {
        Some(_) => path_error::<T>(e.path()),
        // The one failure a derived struct reports outside any field: a field given twice.
        None => repeated::<T>(pairs),
    })
}

/// The first known field of `pairs` that appears twice.
fn repeated<T: Input>(pairs: &[(String, String)]) -> ApiError {
    let mut seen: Vec<&'static str> = Vec::new();
    for (name, _) in pairs {
        if let Some(field) = known::<T>(name) {
            if seen.contains(&field) {
                return ApiError::DuplicateFormField(field);
            }
            seen.push(field);
        }
    }
    ApiError::Internal
}

fn path_error<T: Input>(path: &serde_path_to_error::Path) -> ApiError {
    match top_key(path) {
        Some(name) => known::<T>(name).map_or_else(|| T::unknown(name), T::invalid),
        None => ApiError::Internal,
    }
}

fn known<T: Input>(name: &str) -> Option<&'static str> {
    T::FIELDS.iter().copied().find(|field| *field == name)
}

/// The top-level key a decode error happened under.
fn top_key(path: &serde_path_to_error::Path) -> Option<&str> {
    match path.iter().next()? {
        serde_path_to_error::Segment::Map { key } => Some(key),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
