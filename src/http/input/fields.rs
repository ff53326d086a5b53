//! Field types shared by the bodies: each checks its own format and range while it is decoded, so a decoded body
//! is valid field by field. The error a client sees is chosen by the body type from the field's name
//! ([`super::Input::invalid`]); the messages serde would give here are never shown.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::generator::Language;

/// Longest free-text option accepted (`exclude`, `symbol_set`, `separator`, and the form's `excluir`,
/// `simbolos`), in characters; the body limit bounds them anyway.
pub const MAX_TEXT_CHARS: usize = 256;

/// 2^53: beyond it a JSON number written as a float is no longer an exact integer.
const EXACT_FLOAT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// An integer in `MIN..=MAX`. In JSON: a number with an integer value — `12`, and also `12.0` or `1.2e1`, which
/// JSON Schema's `integer` (the OpenAPI document) includes; never a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ranged<const MIN: i64, const MAX: i64>(i64);

impl<const MIN: i64, const MAX: i64> Ranged<MIN, MAX> {
    pub const MIN: usize = MIN as usize;
    pub const MAX: usize = MAX as usize;

    /// `value` if it is in range (for defaults and the form's digit strings).
    pub const fn new(value: i64) -> Option<Self> {
        if MIN <= value && value <= MAX {
            Some(Self(value))
        } else {
            None
        }
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub const fn as_usize(self) -> usize {
        self.0 as usize
    }
}

impl<'de, const MIN: i64, const MAX: i64> Deserialize<'de> for Ranged<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = deserializer.deserialize_any(Integer { digits: false })?;
        Self::new(value).ok_or_else(|| de::Error::custom("out of range"))
    }
}

/// The legacy API's `tamanho`: any integer (the policy checks the range, as it always did), or what the
/// original's `int()` took from a string of ASCII digits (`"12"`, `"0012"`).
pub fn integer_or_digits<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    deserializer.deserialize_any(Integer { digits: true })
}

struct Integer {
    digits: bool,
}

impl Visitor<'_> for Integer {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom("out of range"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        if v.fract() == 0.0 && v.abs() <= EXACT_FLOAT_INTEGER {
            Ok(v as i64)
        } else {
            Err(E::custom("not an exact integer"))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        if !self.digits {
            return Err(E::invalid_type(de::Unexpected::Str(v), &self));
        }
        digits(v).ok_or_else(|| E::custom("not 1-9 ASCII digits"))
    }
}

/// A non-empty string of ASCII digits, at most 9 of them (anything longer is out of range anyway): no sign, no
/// spaces, no other script's digits.
pub fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A JSON string of at most [`MAX_TEXT_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(de::Error::custom("too long"));
        }
        Ok(Self(text))
    }
}

/// A field that may be absent but, when present, must hold a value: `null` is refused like any other wrong type
/// (`Option<T>` alone would read it as absent).
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// A passphrase's word list: `en` (the EFF large wordlist) or `pt-BR` (the BIP-39 Portuguese list).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ToSchema)]
pub enum LanguageTag {
    #[default]
    #[schema(rename = "en")]
    En,
    #[schema(rename = "pt-BR")]
    PtBr,
}

/// Read as a string, then matched: serde_json reports a derived enum given `null` or a number as a syntax error,
/// which would be a 400 `malformed_json` instead of the field's 422 `invalid_language`.
impl<'de> Deserialize<'de> for LanguageTag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let tag = String::deserialize(deserializer)?;
        match Language::from_tag(&tag) {
            Some(Language::En) => Ok(LanguageTag::En),
            Some(Language::PtBr) => Ok(LanguageTag::PtBr),
            None => Err(de::Error::custom("not a passphrase language")),
        }
    }
}

impl From<LanguageTag> for Language {
    fn from(tag: LanguageTag) -> Self {
        match tag {
            LanguageTag::En => Language::En,
            LanguageTag::PtBr => Language::PtBr,
        }
    }
}

pub const fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    type Small = Ranged<3, 20>;

    fn ranged(json: &str) -> Option<i64> {
        serde_json::from_str::<Small>(json).ok().map(Small::get)
    }

    #[test]
    fn ranged_integers_take_integral_numbers_in_range_only() {
        assert_eq!(ranged("3"), Some(3));
        assert_eq!(ranged("20.0"), Some(20));
        assert_eq!(ranged("1.2e1"), Some(12));
        for bad in [
            "2", "21", "-1", "12.5", "\"12\"", "null", "true", "[12]", "1e300",
        ] {
            assert_eq!(ranged(bad), None, "{bad}");
        }
    }

    #[test]
    fn digit_strings_are_ascii_digits_only() {
        assert_eq!(digits("0012"), Some(12));
        for bad in ["", " 12", "-5", "1e3", "١٢", "１２", "1234567890"] {
            assert_eq!(digits(bad), None, "{bad}");
        }
    }

    #[test]
    fn language_tags_are_the_generators() {
        for language in Language::ALL {
            let tag: LanguageTag =
                serde_json::from_str(&format!("\"{}\"", language.tag())).unwrap();
            assert_eq!(Language::from(tag), language);
        }
        for bad in ["\"pt\"", "\"pt-br\"", "\"EN\"", "null", "1"] {
            assert!(serde_json::from_str::<LanguageTag>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_is_bounded_in_characters() {
        let at_limit = format!("\"{}\"", "é".repeat(MAX_TEXT_CHARS));
        assert!(serde_json::from_str::<Text>(&at_limit).is_ok());
        let over = format!("\"{}\"", "a".repeat(MAX_TEXT_CHARS + 1));
        assert!(serde_json::from_str::<Text>(&over).is_err());
        assert!(serde_json::from_str::<Text>("5").is_err());
    }
}
