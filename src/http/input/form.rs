//! The page's form (`POST /`): the original's three fields, the options panel and the passphrase tab, as one
//! type. Values arrive as strings: checkboxes send `on` and are absent when unchecked; an empty option counts as
//! absent (browsers send empty inputs); unknown fields are ignored; a known field given twice is refused.

use serde::Deserialize;
use serde::de::{self, Deserializer};
use utoipa::ToSchema;

use super::Input;
use super::fields::{LanguageTag, MAX_TEXT_CHARS, digits};
use super::legacy::{DEFAULT_API_LENGTH, invalid_length};
use super::rules::{RequestedRules, RulesRequest};
use super::v1::{Length, Minimum, Words};
use crate::generator::passphrase::{DEFAULT_SEPARATOR, DEFAULT_WORDS, check_separator};
use crate::generator::policy::check_symbol_set;
use crate::generator::rules::RulesFields;
use crate::generator::{ClassOption, Language, PassphrasePolicy, PasswordOptions, Policy};
use crate::http::error::ApiError;

/// The form's fields as posted. Unknown fields are ignored; a repeated known field is a 422. Rules across fields
/// (minimums over the length, a minimum for a disabled class, a class emptied by exclusions, a separator with
/// letters) are 422s a schema cannot state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct FormFields {
    /// Password length 4–128 (default 8): up to 9 ASCII digits, surrounding spaces ignored.
    #[serde(default, deserialize_with = "length")]
    #[schema(
        value_type = Option<String>,
        pattern = "^[ \\t\\r\\n]*(0{0,8}[4-9]|0{0,7}[1-9][0-9]|0{0,6}(1[01][0-9]|12[0-8]))[ \\t\\r\\n]*$",
        nullable = false,
        default = "8"
    )]
    pub tamanho: Option<Length>,
    /// Include digits (a checkbox: `on`; absent when unchecked).
    #[serde(default, deserialize_with = "checkbox")]
    #[schema(value_type = Option<String>, pattern = "^(on|true|1)$", nullable = false)]
    pub incluir_numeros: bool,
    /// Include punctuation (a checkbox: `on`; absent when unchecked).
    #[serde(default, deserialize_with = "checkbox")]
    #[schema(value_type = Option<String>, pattern = "^(on|true|1)$", nullable = false)]
    pub incluir_caracteres_especiais: bool,
    /// `senha` (default) or `frase`: a passphrase from the fields `palavras`, `separador`, `capitalizar`,
    /// `incluir_numero` instead of a password.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^(senha|frase)$", nullable = false)]
    pub modo: Mode,
    /// Options panel (password mode; empty = absent; any set → the v1 policy, as `POST /api/v1/passwords`,
    /// with digits and symbols switched by the two checkboxes): `ambas` (default), `minusculas`,
    /// `maiusculas` or `nenhuma`.
    #[serde(default, deserialize_with = "optional")]
    #[schema(value_type = Option<String>, pattern = "^(|ambas|minusculas|maiusculas|nenhuma)$", nullable = false)]
    pub letras: Option<Letters>,
    /// Minimum lowercase letters, 0–128 (empty: 1 when the class is on).
    #[serde(default, deserialize_with = "minimum")]
    #[schema(value_type = Option<String>, pattern = "^[ \\t\\r\\n]*[0-9]{0,9}[ \\t\\r\\n]*$", nullable = false)]
    pub min_minusculas: Option<Minimum>,
    /// Minimum uppercase letters, 0–128.
    #[serde(default, deserialize_with = "minimum")]
    #[schema(value_type = Option<String>, pattern = "^[ \\t\\r\\n]*[0-9]{0,9}[ \\t\\r\\n]*$", nullable = false)]
    pub min_maiusculas: Option<Minimum>,
    /// Minimum digits, 0–128.
    #[serde(default, deserialize_with = "minimum")]
    #[schema(value_type = Option<String>, pattern = "^[ \\t\\r\\n]*[0-9]{0,9}[ \\t\\r\\n]*$", nullable = false)]
    pub min_numeros: Option<Minimum>,
    /// Minimum special characters, 0–128.
    #[serde(default, deserialize_with = "minimum")]
    #[schema(value_type = Option<String>, pattern = "^[ \\t\\r\\n]*[0-9]{0,9}[ \\t\\r\\n]*$", nullable = false)]
    pub min_especiais: Option<Minimum>,
    /// Leave out `0 O o 1 l I |` (a checkbox: `on`).
    #[serde(default, deserialize_with = "optional_checkbox")]
    #[schema(value_type = Option<String>, pattern = "^(|on|true|1)$", nullable = false)]
    pub excluir_parecidos: bool,
    /// Characters never to use.
    #[serde(default, deserialize_with = "text")]
    #[schema(value_type = Option<String>, max_length = 256, nullable = false)]
    pub excluir: Option<String>,
    /// The special characters to draw from (ASCII punctuation; empty: the safe set).
    #[serde(default, deserialize_with = "text")]
    #[schema(value_type = Option<String>, max_length = 256, pattern = "^[!-/:-@\\[-`{-~]*$", nullable = false)]
    pub simbolos: Option<String>,
    /// Options panel: a site whose rules are built in (Apple's table of 434 sites: the host, else its nearest
    /// parent domain), as `site` of `POST /api/v1/passwords`; unknown → 422 `unknown_site`. Combines with
    /// `tamanho` (inside the rules' range), `excluir_parecidos` and `excluir` only (docs/rules.md).
    #[serde(default, deserialize_with = "text")]
    #[schema(value_type = Option<String>, max_length = 256, nullable = false, example = "apple.com")]
    pub site: Option<String>,
    /// Options panel: rules in the `passwordrules` syntax (at most 1 KiB, 8 `required` lines), as `rules` of
    /// `POST /api/v1/passwords`; not with `site`.
    #[serde(default, deserialize_with = "rules_text")]
    #[schema(value_type = Option<String>, max_length = 1024, nullable = false)]
    pub regras: Option<String>,
    /// Passphrase: number of words, 3–20 (default 6).
    #[serde(default, deserialize_with = "words")]
    #[schema(
        value_type = Option<String>,
        pattern = "^[ \\t\\r\\n]*0{0,8}([3-9]|1[0-9]|20)[ \\t\\r\\n]*$",
        nullable = false
    )]
    pub palavras: Option<Words>,
    /// Passphrase: separator, up to 5 printable characters, no letters (default `-`; empty glues the words).
    #[serde(default, deserialize_with = "separator")]
    #[schema(value_type = Option<String>, max_length = 5, nullable = false)]
    pub separador: Option<String>,
    /// Passphrase: capitalise each word (a checkbox: `on`).
    #[serde(default, deserialize_with = "checkbox")]
    #[schema(value_type = Option<String>, pattern = "^(on|true|1)$", nullable = false)]
    pub capitalizar: bool,
    /// Passphrase: append a digit to one word (a checkbox: `on`).
    #[serde(default, deserialize_with = "checkbox")]
    #[schema(value_type = Option<String>, pattern = "^(on|true|1)$", nullable = false)]
    pub incluir_numero: bool,
    /// Passphrase: the word list, `pt-BR` (BIP-39 Portuguese) or `en` (EFF); empty or absent: the page's
    /// language.
    #[serde(default, deserialize_with = "optional")]
    #[schema(value_type = Option<String>, pattern = "^(|en|pt-BR)$", nullable = false)]
    pub idioma: Option<LanguageTag>,
}

impl Input for FormFields {
    const FIELDS: &'static [&'static str] = &[
        "tamanho",
        "incluir_numeros",
        "incluir_caracteres_especiais",
        "modo",
        "letras",
        "min_minusculas",
        "min_maiusculas",
        "min_numeros",
        "min_especiais",
        "excluir_parecidos",
        "excluir",
        "simbolos",
        "site",
        "regras",
        "palavras",
        "separador",
        "capitalizar",
        "incluir_numero",
        "idioma",
    ];

    fn invalid(field: &'static str) -> ApiError {
        match field {
            "tamanho" => invalid_length(),
            "min_minusculas" | "min_maiusculas" | "min_numeros" | "min_especiais" => {
                ApiError::InvalidInteger {
                    field,
                    min: Minimum::MIN,
                    max: Minimum::MAX,
                }
            }
            "palavras" => ApiError::InvalidInteger {
                field,
                min: Words::MIN,
                max: Words::MAX,
            },
            "idioma" => ApiError::InvalidLanguage(field),
            other => ApiError::InvalidFormField(other),
        }
    }
}

/// Which tab posted: a password (default) or a passphrase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Senha,
    Frase,
}

/// The letters choice of the options panel (`letras`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Letters {
    #[serde(rename = "ambas")]
    Both,
    #[serde(rename = "minusculas")]
    LowercaseOnly,
    #[serde(rename = "maiusculas")]
    UppercaseOnly,
    #[serde(rename = "nenhuma")]
    None,
}

impl Letters {
    /// The form value, as the page re-renders it.
    pub fn value(self) -> &'static str {
        match self {
            Letters::Both => "ambas",
            Letters::LowercaseOnly => "minusculas",
            Letters::UppercaseOnly => "maiusculas",
            Letters::None => "nenhuma",
        }
    }
}

fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    String::deserialize(deserializer)
}

/// A checked checkbox (browsers send `on`; `true` and `1` from scripts); unchecked ones are absent.
fn checked<E: de::Error>(value: &str) -> Result<bool, E> {
    match value {
        "on" | "true" | "1" => Ok(true),
        _ => Err(E::custom("not a checked checkbox")),
    }
}

fn checkbox<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    checked(&string(deserializer)?)
}

/// A checkbox of the options panel, where an empty value counts as absent like every option.
fn optional_checkbox<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    let value = string(deserializer)?;
    if value.is_empty() {
        return Ok(false);
    }
    checked(&value)
}

/// Up to 9 ASCII digits with spaces around them, in `T`'s range.
fn ranged<E: de::Error, T>(value: &str, new: impl Fn(i64) -> Option<T>) -> Result<T, E> {
    digits(value.trim())
        .and_then(new)
        .ok_or_else(|| E::custom("not an integer in range"))
}

fn length<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Length>, D::Error> {
    ranged(&string(deserializer)?, Length::new).map(Some)
}

fn words<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Words>, D::Error> {
    ranged(&string(deserializer)?, Words::new).map(Some)
}

fn minimum<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Minimum>, D::Error> {
    let value = string(deserializer)?;
    if value.is_empty() {
        return Ok(None);
    }
    ranged(&value, Minimum::new).map(Some)
}

fn optional<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    let value = string(deserializer)?;
    if value.is_empty() {
        return Ok(None);
    }
    T::deserialize(de::value::StrDeserializer::<D::Error>::new(&value)).map(Some)
}

fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = string(deserializer)?;
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(de::Error::custom("too long"));
    }
    Ok((!value.is_empty()).then_some(value))
}

/// Rules: empty is absent; the length is checked with the rules (`rules_too_long`, as the API).
fn rules_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = string(deserializer)?;
    Ok((!value.is_empty()).then_some(value))
}

/// An empty separator is a real choice (words glued together); absent means the default.
fn separator<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    string(deserializer).map(Some)
}

/// The original's three fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormRequest {
    pub length: i64,
    pub digits: bool,
    pub punctuation: bool,
}

impl FormRequest {
    /// The original's policy. The length is already in range: this cannot fail on it.
    pub fn legacy_policy(&self) -> Result<Policy, ApiError> {
        Ok(Policy::legacy(self.length, self.digits, self.punctuation)?)
    }
}

/// The options panel as posted. With none set, `POST /` keeps the legacy policy; with any set, the v1 policy
/// applies, its digits and symbols classes switched by the simple form's two checkboxes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionsForm {
    pub letters: Option<Letters>,
    pub min_lowercase: Option<usize>,
    pub min_uppercase: Option<usize>,
    pub min_digits: Option<usize>,
    pub min_symbols: Option<usize>,
    pub exclude_ambiguous: bool,
    pub exclude: Option<String>,
    pub symbol_set: Option<String>,
    /// `site` and `regras`: the rules to follow instead of the classes (at most one of them).
    pub site: Option<String>,
    pub rules: Option<String>,
    /// `tamanho` as posted, kept only with `site` or `regras` (absent: the rules' default length).
    pub rules_length: Option<i64>,
}

impl OptionsForm {
    /// Whether any option is set, i.e. whether the v1 policy applies.
    pub fn is_set(&self) -> bool {
        *self != Self::default()
    }

    /// The v1 options for this panel and the simple form's fields.
    pub fn password_options(&self, form: FormRequest) -> PasswordOptions {
        let letters = self.letters.unwrap_or(Letters::Both);
        PasswordOptions {
            length: form.length,
            lowercase: ClassOption {
                enabled: matches!(letters, Letters::Both | Letters::LowercaseOnly),
                min: self.min_lowercase,
            },
            uppercase: ClassOption {
                enabled: matches!(letters, Letters::Both | Letters::UppercaseOnly),
                min: self.min_uppercase,
            },
            digits: ClassOption {
                enabled: form.digits,
                min: self.min_digits,
            },
            symbols: ClassOption {
                enabled: form.punctuation,
                min: self.min_symbols,
            },
            exclude_ambiguous: self.exclude_ambiguous,
            exclude: self.exclude.clone().unwrap_or_default(),
            symbol_set: self.symbol_set.clone(),
        }
    }

    /// The rules of `site` or `regras`, resolved as `POST /api/v1/passwords` resolves `site` and `rules`: the
    /// panel's class fields and unchecked class boxes conflict (`rules_conflict`, naming the form field).
    pub fn rules(&self, form: FormRequest) -> Result<Option<RequestedRules>, ApiError> {
        let letters = self.letters.unwrap_or(Letters::Both);
        let conflicts = [
            ("letras", letters != Letters::Both),
            ("incluir_numeros", !form.digits),
            ("incluir_caracteres_especiais", !form.punctuation),
            ("min_minusculas", self.min_lowercase.is_some()),
            ("min_maiusculas", self.min_uppercase.is_some()),
            ("min_numeros", self.min_digits.is_some()),
            ("min_especiais", self.min_symbols.is_some()),
            ("simbolos", self.symbol_set.is_some()),
        ];
        RulesRequest {
            names: RulesFields::FORM,
            rules: self.rules.as_deref(),
            site: self.site.as_deref(),
            conflicts: &conflicts,
            exclude_ambiguous: self.exclude_ambiguous,
            exclude: self.exclude.as_deref().unwrap_or_default(),
            length: self.rules_length,
        }
        .resolve()
    }

    /// The password policy for the form: the legacy one, or the v1 one when an option is set.
    pub fn policy(&self, form: FormRequest) -> Result<Policy, ApiError> {
        if self.is_set() {
            Ok(self.password_options(form).policy()?)
        } else {
            form.legacy_policy()
        }
    }
}

/// The passphrase tab's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhraseForm {
    pub words: i64,
    pub separator: String,
    pub capitalize: bool,
    pub include_number: bool,
    /// `None`: the page's language.
    pub language: Option<Language>,
}

impl Default for PhraseForm {
    fn default() -> Self {
        Self {
            words: DEFAULT_WORDS,
            separator: DEFAULT_SEPARATOR.to_owned(),
            capitalize: false,
            include_number: false,
            language: None,
        }
    }
}

impl PhraseForm {
    /// The word list chosen, or `page`'s when none was (a pt-BR page gives Portuguese words).
    pub fn language_or(&self, page: Language) -> Language {
        self.language.unwrap_or(page)
    }

    pub fn policy(&self, page: Language) -> Result<PassphrasePolicy, ApiError> {
        Ok(PassphrasePolicy::new(
            self.words,
            &self.separator,
            self.capitalize,
            self.include_number,
        )?
        .with_language(self.language_or(page)))
    }
}

/// What a page post asks for: a password (legacy fields plus the optional options panel) or, with
/// `modo=frase`, a passphrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRequest {
    Password(FormRequest, OptionsForm),
    Passphrase(PhraseForm),
}

impl FormFields {
    /// The original's three fields; absent length: the original's default.
    pub fn legacy(&self) -> FormRequest {
        FormRequest {
            length: self.tamanho.map_or(DEFAULT_API_LENGTH, Length::get),
            digits: self.incluir_numeros,
            punctuation: self.incluir_caracteres_especiais,
        }
    }

    pub fn options(&self) -> OptionsForm {
        OptionsForm {
            letters: self.letras,
            min_lowercase: self.min_minusculas.map(Minimum::as_usize),
            min_uppercase: self.min_maiusculas.map(Minimum::as_usize),
            min_digits: self.min_numeros.map(Minimum::as_usize),
            min_symbols: self.min_especiais.map(Minimum::as_usize),
            exclude_ambiguous: self.excluir_parecidos,
            exclude: self.excluir.clone(),
            symbol_set: self.simbolos.clone(),
            site: self.site.clone(),
            rules: self.regras.clone(),
            rules_length: self
                .tamanho
                .filter(|_| self.site.is_some() || self.regras.is_some())
                .map(Length::get),
        }
    }

    pub fn phrase(&self) -> PhraseForm {
        PhraseForm {
            words: self.palavras.map_or(DEFAULT_WORDS, Words::get),
            separator: self
                .separador
                .clone()
                .unwrap_or_else(|| DEFAULT_SEPARATOR.to_owned()),
            capitalize: self.capitalizar,
            include_number: self.incluir_numero,
            language: self.idioma.map(Language::from),
        }
    }

    /// What the post asks for. The characters of the separator and the symbol set are checked in both modes
    /// (the page never mixes them; a client that does gets a clear 422 rather than a value silently ignored),
    /// the rules across fields only in the mode that uses them.
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        if let Some(set) = &self.simbolos {
            check_symbol_set(set)?;
        }
        let phrase = self.phrase();
        check_separator(&phrase.separator)?;
        match self.modo {
            Mode::Frase => Ok(PageRequest::Passphrase(phrase)),
            Mode::Senha => Ok(PageRequest::Password(self.legacy(), self.options())),
        }
    }
}

/// The original's three fields of a form post (the property tests and the fuzz target start from the pairs).
pub fn parse_form(pairs: &[(String, String)]) -> Result<FormRequest, ApiError> {
    super::form::<FormFields>(pairs).map(|fields| fields.legacy())
}

/// The whole page form.
pub fn parse_page_form(pairs: &[(String, String)]) -> Result<PageRequest, ApiError> {
    super::form::<FormFields>(pairs)?.request()
}

#[cfg(test)]
mod tests;
