//! API v1: `POST /api/v1/passwords` and `POST /api/v1/passphrases`. English field names, every field optional,
//! unknown fields rejected (a typo like `lenght` should not silently give the default). Results are never
//! written to the history: the history belongs to the legacy page and API.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::AppState;
use super::body::JsonObject;
use super::error::{ApiError, ErrorBody, Localized};
use super::lang::Lang;
use crate::generator::entropy::{Strength, rounded};
use crate::generator::passphrase::{DEFAULT_SEPARATOR, DEFAULT_WORDS, MAX_WORDS, MIN_WORDS};
use crate::generator::policy::DEFAULT_LENGTH;
use crate::generator::{
    ClassOption, MAX_LENGTH, MIN_LENGTH, PassphrasePolicy, PasswordOptions, PolicyError,
};
use crate::metrics::{Interface, SecretKind};

pub const MAX_COUNT: usize = 100;
/// Longest `exclude` / `symbol_set` / `separator` accepted (in characters); the body limit bounds them anyway.
const MAX_TEXT: usize = 256;

/// Request of `POST /api/v1/passwords`. Every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, ToSchema)]
#[schema(example = json!({"length": 20, "symbols": false, "min_digits": 3, "exclude_ambiguous": true, "count": 2}))]
#[allow(dead_code)] // documents the body; parsed field by field below
#[serde(deny_unknown_fields)] // documents `additionalProperties: false`: unknown fields are rejected
pub struct PasswordsRequest {
    #[schema(nullable = false, minimum = 4, maximum = 128, default = 16)]
    length: Option<u32>,
    #[schema(nullable = false, default = true)]
    lowercase: Option<bool>,
    #[schema(nullable = false, default = true)]
    uppercase: Option<bool>,
    #[schema(nullable = false, default = true)]
    digits: Option<bool>,
    #[schema(nullable = false, default = true)]
    symbols: Option<bool>,
    /// Minimum lowercase letters (default 1 when the class is on; must be 0 or absent when it is off).
    #[schema(nullable = false, minimum = 0, maximum = 128)]
    min_lowercase: Option<u32>,
    #[schema(nullable = false, minimum = 0, maximum = 128)]
    min_uppercase: Option<u32>,
    #[schema(nullable = false, minimum = 0, maximum = 128)]
    min_digits: Option<u32>,
    #[schema(nullable = false, minimum = 0, maximum = 128)]
    min_symbols: Option<u32>,
    /// Leave out the look-alikes `0 O o 1 l I |`.
    #[schema(nullable = false, default = false)]
    exclude_ambiguous: Option<bool>,
    /// Characters never to use.
    #[schema(nullable = false, default = "", max_length = 256)]
    exclude: Option<String>,
    /// The symbols to draw from: ASCII punctuation only. Default: the 32 ASCII punctuation characters without
    /// quotes, backslash and backtick.
    #[schema(
        nullable = false,
        default = "!#$%&()*+,-./:;<=>?@[]^_{|}~",
        max_length = 256,
        pattern = "^[!-/:-@\\[-`{-~]*$"
    )]
    symbol_set: Option<String>,
    #[schema(nullable = false, minimum = 1, maximum = 100, default = 1)]
    count: Option<u32>,
}

/// Request of `POST /api/v1/passphrases`. Every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, ToSchema)]
#[schema(example = json!({"words": 5, "separator": " ", "capitalize": true, "include_number": true}))]
#[allow(dead_code)] // documents the body; parsed field by field below
#[serde(deny_unknown_fields)] // documents `additionalProperties: false`: unknown fields are rejected
pub struct PassphrasesRequest {
    /// Words from the EFF large wordlist (7,776 words, 12.925 bits each).
    #[schema(nullable = false, minimum = 3, maximum = 20, default = 6)]
    words: Option<u32>,
    /// Up to 5 printable characters, no letters: control, format (zero-width, bidi), line/paragraph separator,
    /// private-use, noncharacters and U+FFFD are refused with `invalid_separator`.
    #[schema(nullable = false, default = "-", max_length = 5)]
    separator: Option<String>,
    /// Capitalise the first letter of each word.
    #[schema(nullable = false, default = false)]
    capitalize: Option<bool>,
    /// Append one random digit to one random word.
    #[schema(nullable = false, default = false)]
    include_number: Option<bool>,
    #[schema(nullable = false, minimum = 1, maximum = 100, default = 1)]
    count: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordsResponse {
    pub passwords: Vec<String>,
    /// `log2` of the number of passwords the policy allows (each equally likely), one decimal.
    #[schema(example = 101.2)]
    pub entropy_bits: f64,
    /// `weak` (< 40 bits), `fair` (< 64), `strong` (< 100), `very_strong` (≥ 100).
    #[schema(example = "very_strong")]
    pub strength: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PassphrasesResponse {
    pub passphrases: Vec<String>,
    #[schema(example = 77.5)]
    pub entropy_bits: f64,
    #[schema(example = "strong")]
    pub strength: &'static str,
}

/// Reads the known fields of a body, rejecting any other.
struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    fn new(body: &'a Map<String, Value>, known: &[&str]) -> Result<Self, ApiError> {
        if let Some(unknown) = body.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(ApiError::UnknownField(truncate(unknown)));
        }
        Ok(Self(body))
    }

    fn flag(&self, field: &'static str, default: bool) -> Result<bool, ApiError> {
        match self.0.get(field) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(ApiError::InvalidFlag(field)),
        }
    }

    fn integer(
        &self,
        field: &'static str,
        min: usize,
        max: usize,
    ) -> Result<Option<usize>, ApiError> {
        let invalid = ApiError::InvalidInteger { field, min, max };
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Number(n)) => super::api::json_integer(n)
                .and_then(|v| usize::try_from(v).ok())
                .filter(|v| (min..=max).contains(v))
                .map(Some)
                .ok_or(invalid),
            Some(_) => Err(invalid),
        }
    }

    fn text(&self, field: &'static str) -> Result<Option<String>, ApiError> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.chars().count() <= MAX_TEXT => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::InvalidString(field)),
        }
    }
}

/// Field names come from the client: bound what goes back into the message.
fn truncate(name: &str) -> String {
    name.chars().take(64).collect()
}

const PASSWORD_FIELDS: &[&str] = &[
    "length",
    "lowercase",
    "uppercase",
    "digits",
    "symbols",
    "min_lowercase",
    "min_uppercase",
    "min_digits",
    "min_symbols",
    "exclude_ambiguous",
    "exclude",
    "symbol_set",
    "count",
];

/// The password options and the count a v1 body asks for.
pub fn password_request(body: &Map<String, Value>) -> Result<(PasswordOptions, usize), ApiError> {
    let f = Fields::new(body, PASSWORD_FIELDS)?;
    let length = match f.0.get("length") {
        None => DEFAULT_LENGTH,
        Some(v) => v
            .as_number()
            .and_then(super::api::json_integer)
            .filter(|l| (MIN_LENGTH as i64..=MAX_LENGTH as i64).contains(l))
            .ok_or(ApiError::InvalidLength {
                field: "length",
                min: MIN_LENGTH,
                max: MAX_LENGTH,
            })?,
    };
    let class = |on: &'static str, min: &'static str| -> Result<ClassOption, ApiError> {
        Ok(ClassOption {
            enabled: f.flag(on, true)?,
            min: f.integer(min, 0, MAX_LENGTH)?,
        })
    };
    let options = PasswordOptions {
        length,
        lowercase: class("lowercase", "min_lowercase")?,
        uppercase: class("uppercase", "min_uppercase")?,
        digits: class("digits", "min_digits")?,
        symbols: class("symbols", "min_symbols")?,
        exclude_ambiguous: f.flag("exclude_ambiguous", false)?,
        exclude: f.text("exclude")?.unwrap_or_default(),
        symbol_set: f.text("symbol_set")?,
    };
    let count = f.integer("count", 1, MAX_COUNT)?.unwrap_or(1);
    Ok((options, count))
}

/// The passphrase policy and the count a v1 body asks for.
pub fn passphrase_request(
    body: &Map<String, Value>,
) -> Result<(PassphrasePolicy, usize), ApiError> {
    let f = Fields::new(
        body,
        &[
            "words",
            "separator",
            "capitalize",
            "include_number",
            "count",
        ],
    )?;
    let words = f
        .integer("words", MIN_WORDS, MAX_WORDS)?
        .map_or(DEFAULT_WORDS, |w| w as i64);
    let separator = f
        .text("separator")?
        .unwrap_or_else(|| DEFAULT_SEPARATOR.to_owned());
    let policy = PassphrasePolicy::new(
        words,
        &separator,
        f.flag("capitalize", false)?,
        f.flag("include_number", false)?,
    )
    .map_err(ApiError::Policy)?;
    let count = f.integer("count", 1, MAX_COUNT)?.unwrap_or(1);
    Ok((policy, count))
}

fn policy_error(e: PolicyError) -> ApiError {
    match e {
        PolicyError::LengthOutOfRange(_) => ApiError::InvalidLength {
            field: "length",
            min: MIN_LENGTH,
            max: MAX_LENGTH,
        },
        other => ApiError::Policy(other),
    }
}

/// Generates passwords from a policy (never recorded in the history).
#[utoipa::path(
    post, path = "/api/v1/passwords", tag = "v1",
    request_body(content = PasswordsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Passwords, uniformly random among all the policy allows", body = PasswordsResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Content type is not JSON", body = ErrorBody),
        (status = 422, description = "Invalid field or impossible policy; the code names the conflict \
            (`no_classes_enabled`, `minimums_exceed_length`, `class_emptied_by_exclusions`, \
            `minimum_for_disabled_class`, `invalid_symbol_set`, `too_much_work` (minimums that need the exact \
            counting sampler, for more passwords than fit ~1 ms of CPU: the message gives the count that fits), \
            `invalid_length`, `invalid_integer`, \
            `invalid_flag`, `invalid_string`, `unknown_field`, `body_not_object`)", body = ErrorBody),
    )
)]
pub async fn passwords(
    State(app): State<AppState>,
    lang: Lang,
    JsonObject(body): JsonObject,
) -> Result<Json<PasswordsResponse>, Localized> {
    let fail = |e| Localized(e, lang);
    let (options, count) = password_request(&body).map_err(fail)?;
    let policy = options.policy().map_err(|e| fail(policy_error(e)))?;
    // Prepared once: the method, the counting table and the entropy serve all `count` passwords. A policy
    // whose counting work would pass the CPU budget is a 422 `too_much_work` before any is done.
    let prepared = policy
        .prepare_for(count)
        .map_err(|e| fail(policy_error(e)))?;
    let passwords = prepared
        .generate_many(count, &mut rand::rngs::SysRng)
        .map_err(|e| fail(super::generation_failed(e)))?;
    app.count_generated(SecretKind::Password, Interface::V1, passwords.len());
    let bits = prepared.entropy_bits();
    Ok(Json(PasswordsResponse {
        passwords,
        entropy_bits: rounded(bits),
        strength: Strength::from_bits(bits).as_str(),
    }))
}

/// Generates passphrases from the EFF large wordlist (never recorded in the history).
#[utoipa::path(
    post, path = "/api/v1/passphrases", tag = "v1",
    request_body(content = PassphrasesRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Passphrases", body = PassphrasesResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Content type is not JSON", body = ErrorBody),
        (status = 422, description = "Invalid field (`invalid_integer`, `invalid_separator`, `invalid_flag`, \
            `invalid_string`, `unknown_field`, `body_not_object`)", body = ErrorBody),
    )
)]
pub async fn passphrases(
    State(app): State<AppState>,
    lang: Lang,
    JsonObject(body): JsonObject,
) -> Result<Json<PassphrasesResponse>, Localized> {
    let fail = |e| Localized(e, lang);
    let (policy, count) = passphrase_request(&body).map_err(fail)?;
    let mut rng = rand::rngs::SysRng;
    let passphrases = (0..count)
        .map(|_| policy.generate(&mut rng))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(super::generation_failed(e)))?;
    app.count_generated(SecretKind::Passphrase, Interface::V1, passphrases.len());
    let bits = policy.entropy_bits();
    Ok(Json(PassphrasesResponse {
        passphrases,
        entropy_bits: rounded(bits),
        strength: Strength::from_bits(bits).as_str(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn password_defaults_and_fields() {
        let (options, count) = password_request(&map(json!({}))).unwrap();
        assert_eq!(options, PasswordOptions::default());
        assert_eq!(count, 1);
        let (options, count) = password_request(&map(json!({
            "length": 30, "symbols": false, "min_digits": 4, "exclude": "abc", "count": 100
        })))
        .unwrap();
        assert_eq!(options.length, 30);
        assert!(!options.symbols.enabled);
        assert_eq!(options.digits.min, Some(4));
        assert_eq!(options.exclude, "abc");
        assert_eq!(count, 100);
    }

    #[test]
    fn bad_fields_are_typed_errors() {
        let err = |v| password_request(&map(v)).unwrap_err();
        assert_eq!(
            err(json!({"lenght": 12})),
            ApiError::UnknownField("lenght".into())
        );
        assert!(matches!(
            err(json!({"length": "12"})),
            ApiError::InvalidLength { .. }
        ));
        assert!(matches!(
            err(json!({"length": 3})),
            ApiError::InvalidLength { .. }
        ));
        assert_eq!(
            err(json!({"digits": "yes"})),
            ApiError::InvalidFlag("digits")
        );
        assert!(matches!(
            err(json!({"count": 0})),
            ApiError::InvalidInteger { field: "count", .. }
        ));
        assert!(matches!(
            err(json!({"count": 101})),
            ApiError::InvalidInteger { field: "count", .. }
        ));
        assert!(matches!(
            err(json!({"min_digits": -1})),
            ApiError::InvalidInteger { .. }
        ));
        assert_eq!(
            err(json!({"exclude": 5})),
            ApiError::InvalidString("exclude")
        );
        let e = passphrase_request(&map(json!({"words": 2}))).unwrap_err();
        assert!(matches!(e, ApiError::InvalidInteger { field: "words", .. }));
        let e = passphrase_request(&map(json!({"separator": "and"}))).unwrap_err();
        assert_eq!(e, ApiError::Policy(PolicyError::InvalidSeparator));
    }
}
