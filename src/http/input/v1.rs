//! The bodies of API v1: English field names, every field optional, unknown fields refused (a typo like
//! `lenght` should not silently give the default), every number range-checked by its type.

use serde::Deserialize;
use utoipa::ToSchema;

use super::Input;
use super::fields::{LanguageTag, Ranged, Text, present, yes};
use crate::generator::passphrase::{DEFAULT_SEPARATOR, MAX_WORDS, MIN_WORDS};
use crate::generator::policy::DEFAULT_LENGTH;
use crate::generator::{
    ClassOption, MAX_LENGTH, MIN_LENGTH, PassphrasePolicy, PasswordOptions, Policy, target,
};
use crate::http::error::ApiError;

/// Secrets per request.
pub type Count = Ranged<1, 100>;
pub type Length = Ranged<{ MIN_LENGTH as i64 }, { MAX_LENGTH as i64 }>;
/// A class minimum: at most the longest password.
pub type Minimum = Ranged<0, { MAX_LENGTH as i64 }>;
pub type Words = Ranged<{ MIN_WORDS as i64 }, { MAX_WORDS as i64 }>;
/// `min_entropy_bits`: a whole number of bits (the most any policy reaches is about 839).
pub type MinEntropy = Ranged<1, 1024>;

/// Evaluated by the compiler: a count out of range would fail the build, never a request.
const ONE: Count = match Count::new(1) {
    Some(count) => count,
    None => panic!("1 is a count"),
};

fn one() -> Count {
    ONE
}

/// Request of `POST /api/v1/passwords`. Every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[schema(example = json!({"length": 20, "symbols": false, "min_digits": 3, "exclude_ambiguous": true, "count": 2}))]
#[serde(deny_unknown_fields)]
pub struct PasswordsRequest {
    /// Default 16; with `min_entropy_bits` and no `length`, the shortest length that reaches it; with `rules` or
    /// `site`, 20 clamped into the rules' `minlength`..`maxlength`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, nullable = false, minimum = 4, maximum = 128, default = 16)]
    pub length: Option<Length>,
    #[serde(default = "yes")]
    #[schema(nullable = false, default = true, required = false)]
    pub lowercase: bool,
    #[serde(default = "yes")]
    #[schema(nullable = false, default = true, required = false)]
    pub uppercase: bool,
    #[serde(default = "yes")]
    #[schema(nullable = false, default = true, required = false)]
    pub digits: bool,
    #[serde(default = "yes")]
    #[schema(nullable = false, default = true, required = false)]
    pub symbols: bool,
    /// Minimum lowercase letters (default 1 when the class is on; must be 0 or absent when it is off).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, nullable = false, minimum = 0, maximum = 128)]
    pub min_lowercase: Option<Minimum>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, nullable = false, minimum = 0, maximum = 128)]
    pub min_uppercase: Option<Minimum>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, nullable = false, minimum = 0, maximum = 128)]
    pub min_digits: Option<Minimum>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, nullable = false, minimum = 0, maximum = 128)]
    pub min_symbols: Option<Minimum>,
    /// Leave out the look-alikes `0 O o 1 l I |`.
    #[serde(default)]
    #[schema(nullable = false, default = false, required = false)]
    pub exclude_ambiguous: bool,
    /// Characters never to use.
    #[serde(default)]
    #[schema(value_type = String, nullable = false, default = "", max_length = 256, required = false)]
    pub exclude: Text,
    /// The symbols to draw from: ASCII punctuation only. Default: the 32 ASCII punctuation characters without
    /// quotes, backslash and backtick.
    #[serde(default, deserialize_with = "present")]
    #[schema(
        value_type = Option<String>,
        nullable = false,
        default = "!#$%&()*+,-./:;<=>?@[]^_{|}~",
        max_length = 256,
        pattern = "^[!-/:-@\\[-`{-~]*$"
    )]
    pub symbol_set: Option<Text>,
    /// The least entropy wanted, in bits: without `length`, the shortest length whose exact entropy reaches it
    /// (`entropy_unreachable` if none does, with the most the policy reaches); with `length`, a length below it
    /// is `entropy_below_target`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, nullable = false, minimum = 1, maximum = 1024)]
    pub min_entropy_bits: Option<MinEntropy>,
    #[serde(default = "one")]
    #[schema(value_type = u32, nullable = false, minimum = 1, maximum = 100, default = 1, required = false)]
    pub count: Count,
    /// Rules in the `passwordrules` syntax (`minlength`, `maxlength`, `required`, `allowed`,
    /// `max-consecutive`), at most 1 KiB and 8 `required` lines. Combines with `length`, `exclude_ambiguous`,
    /// `exclude` and `count` only (docs/rules.md).
    #[serde(default, deserialize_with = "present")]
    #[schema(
        value_type = Option<String>,
        nullable = false,
        max_length = 1024,
        example = "minlength: 8; maxlength: 16; required: lower; required: upper; required: digit; max-consecutive: 2;"
    )]
    pub rules: Option<String>,
    /// A domain whose rules are built in (Apple's table of 434 sites): the host, else its nearest parent domain.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable = false, max_length = 256, example = "apple.com")]
    pub site: Option<Text>,
}

impl Input for PasswordsRequest {
    const FIELDS: &'static [&'static str] = &[
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
        "min_entropy_bits",
        "count",
        "rules",
        "site",
    ];

    fn invalid(field: &'static str) -> ApiError {
        match field {
            "length" => ApiError::InvalidLength {
                field,
                min: Length::MIN,
                max: Length::MAX,
            },
            "min_lowercase" | "min_uppercase" | "min_digits" | "min_symbols" => {
                ApiError::InvalidInteger {
                    field,
                    min: Minimum::MIN,
                    max: Minimum::MAX,
                }
            }
            "exclude" | "symbol_set" | "rules" | "site" => ApiError::InvalidString(field),
            "min_entropy_bits" => invalid_min_entropy(),
            "count" => invalid_count(),
            flag => ApiError::InvalidFlag(flag),
        }
    }
}

fn invalid_min_entropy() -> ApiError {
    ApiError::InvalidInteger {
        field: "min_entropy_bits",
        min: MinEntropy::MIN,
        max: MinEntropy::MAX,
    }
}

/// The target as the generator takes it (at most 1024: fits).
fn min_bits(target: Option<MinEntropy>) -> Option<u32> {
    target.map(|t| t.get() as u32)
}

fn invalid_count() -> ApiError {
    ApiError::InvalidInteger {
        field: "count",
        min: Count::MIN,
        max: Count::MAX,
    }
}

impl PasswordsRequest {
    /// The generator's options for this body (the policy checks the rules across fields).
    pub fn options(&self) -> PasswordOptions {
        let class = |enabled, min: Option<Minimum>| ClassOption {
            enabled,
            min: min.map(Minimum::as_usize),
        };
        PasswordOptions {
            length: self.length.map_or(DEFAULT_LENGTH, Length::get),
            lowercase: class(self.lowercase, self.min_lowercase),
            uppercase: class(self.uppercase, self.min_uppercase),
            digits: class(self.digits, self.min_digits),
            symbols: class(self.symbols, self.min_symbols),
            exclude_ambiguous: self.exclude_ambiguous,
            exclude: self.exclude.0.clone(),
            symbol_set: self.symbol_set.as_ref().map(|set| set.0.clone()),
        }
    }

    /// The policy: the options at the length given, or sized by `min_entropy_bits` ([`target`]).
    pub fn policy(&self) -> Result<Policy, ApiError> {
        Ok(target::password_policy(
            &self.options(),
            self.length.map(Length::get),
            min_bits(self.min_entropy_bits),
        )?)
    }
}

/// Request of `POST /api/v1/passphrases`. Every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[schema(example = json!({"words": 7, "separator": " ", "capitalize": true, "include_number": true, "language": "pt-BR"}))]
#[serde(deny_unknown_fields)]
pub struct PassphrasesRequest {
    /// Default 6; with `min_entropy_bits` and no `words`, the fewest words that reach it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, nullable = false, minimum = 3, maximum = 20, default = 6)]
    pub words: Option<Words>,
    /// The word list: `en` (default), the EFF large wordlist (7,776 words, 12.925 bits each), or `pt-BR`, the BIP-39
    /// Portuguese list (2,048 lowercase ASCII words, 11 bits each). Anything else is `invalid_language`.
    #[serde(default)]
    #[schema(required = false)]
    pub language: LanguageTag,
    /// Up to 5 printable characters, no letters: control, format (zero-width, bidi), line/paragraph separator,
    /// private-use, noncharacters and U+FFFD are refused with `invalid_separator`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable = false, default = "-", max_length = 5)]
    pub separator: Option<Text>,
    /// Capitalise the first letter of each word.
    #[serde(default)]
    #[schema(nullable = false, default = false, required = false)]
    pub capitalize: bool,
    /// Append one random digit to one random word.
    #[serde(default)]
    #[schema(nullable = false, default = false, required = false)]
    pub include_number: bool,
    /// The least entropy wanted, in bits: without `words`, the fewest words whose exact entropy reaches it
    /// (`entropy_unreachable` if none does); with `words`, too few is `entropy_below_target`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, nullable = false, minimum = 1, maximum = 1024)]
    pub min_entropy_bits: Option<MinEntropy>,
    #[serde(default = "one")]
    #[schema(value_type = u32, nullable = false, minimum = 1, maximum = 100, default = 1, required = false)]
    pub count: Count,
}

impl Input for PassphrasesRequest {
    const FIELDS: &'static [&'static str] = &[
        "words",
        "separator",
        "capitalize",
        "include_number",
        "language",
        "min_entropy_bits",
        "count",
    ];

    fn invalid(field: &'static str) -> ApiError {
        match field {
            "words" => ApiError::InvalidInteger {
                field,
                min: Words::MIN,
                max: Words::MAX,
            },
            "separator" => ApiError::InvalidString(field),
            "language" => ApiError::InvalidLanguage(field),
            "min_entropy_bits" => invalid_min_entropy(),
            "count" => invalid_count(),
            flag => ApiError::InvalidFlag(flag),
        }
    }
}

impl PassphrasesRequest {
    pub fn policy(&self) -> Result<PassphrasePolicy, ApiError> {
        let separator = self
            .separator
            .as_ref()
            .map_or(DEFAULT_SEPARATOR, |s| s.0.as_str());
        let build = |words| {
            PassphrasePolicy::new(words, separator, self.capitalize, self.include_number)
                .map(|p| p.with_language(self.language.into()))
        };
        Ok(target::passphrase_policy(
            self.words.map(Words::get),
            min_bits(self.min_entropy_bits),
            build,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::PolicyError;
    use serde_json::{Value, json};

    fn passwords(v: Value) -> Result<PasswordsRequest, ApiError> {
        super::super::json(v.to_string().as_bytes())
    }

    fn passphrases(v: Value) -> Result<PassphrasesRequest, ApiError> {
        super::super::json(v.to_string().as_bytes())
    }

    #[test]
    fn password_defaults_and_fields() {
        let request = passwords(json!({})).unwrap();
        assert_eq!(request.options(), PasswordOptions::default());
        assert_eq!(request.count.get(), 1);
        let request = passwords(json!({
            "length": 30, "symbols": false, "min_digits": 4, "exclude": "abc", "count": 100
        }))
        .unwrap();
        let options = request.options();
        assert_eq!(options.length, 30);
        assert!(!options.symbols.enabled);
        assert_eq!(options.digits.min, Some(4));
        assert_eq!(options.exclude, "abc");
        assert_eq!(request.count.get(), 100);
    }

    #[test]
    fn bad_fields_are_typed_errors() {
        let err = |v| passwords(v).unwrap_err();
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
        assert!(matches!(
            err(json!({"min_digits": null})),
            ApiError::InvalidInteger { .. }
        ));
        assert_eq!(
            err(json!({"exclude": 5})),
            ApiError::InvalidString("exclude")
        );
        assert_eq!(
            err(json!({"symbol_set": null})),
            ApiError::InvalidString("symbol_set")
        );
        let e = passphrases(json!({"words": 2})).unwrap_err();
        assert!(matches!(e, ApiError::InvalidInteger { field: "words", .. }));
        let e = passphrases(json!({"separator": "and"}))
            .unwrap()
            .policy()
            .unwrap_err();
        assert_eq!(e, ApiError::Policy(PolicyError::InvalidSeparator));
    }

    #[test]
    fn an_unknown_name_is_bounded_in_the_error() {
        let name = "x".repeat(500);
        let mut body = serde_json::Map::new();
        body.insert(name, json!(1));
        assert_eq!(
            passwords(Value::Object(body)).unwrap_err(),
            ApiError::UnknownField("x".repeat(64))
        );
    }
}
