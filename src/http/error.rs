//! The one error type of the HTTP layer, and its one mapping to a response:
//! `{"error": {"code": "snake_case", "message": "…"}}` with the message in the client's language.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::lang::Lang;
use crate::generator::PolicyError;
use crate::generator::rules::RulesError;
use crate::service::ServiceError;

/// Errors a client can cause or see. Internal causes are logged where they happen, never echoed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    MalformedJson,
    UnreadableBody,
    PayloadTooLarge(usize),
    BodyTimeout,
    InvalidHost,
    UnsupportedMediaType(&'static str),
    BodyNotObject,
    InvalidLength {
        field: &'static str,
        min: usize,
        max: usize,
    },
    InvalidFlag(&'static str),
    InvalidInteger {
        field: &'static str,
        min: usize,
        max: usize,
    },
    InvalidString(&'static str),
    /// A passphrase `language` (or the form's `idioma`) other than `en` and `pt-BR`.
    InvalidLanguage(&'static str),
    UnknownField(String),
    /// A policy that no secret can satisfy; the code names the conflict.
    Policy(PolicyError),
    InvalidFormField(&'static str),
    DuplicateFormField(&'static str),
    NotFound,
    MethodNotAllowed,
    HistoryUnavailable,
    /// A request that empties a list came from another site's page.
    CrossOrigin,
    /// HISTORY_SCOPE=shared: the one list everyone sees is not anyone's to empty.
    SharedHistory,
    Timeout,
    Overloaded,
    RateLimited(u64),
    GenerationFailed,
    Internal,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_length`.
    #[schema(example = "invalid_length")]
    pub code: &'static str,
    /// Human-readable message, pt-BR by default, English with `Accept-Language: en`.
    pub message: String,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson | ApiError::UnreadableBody => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::InvalidHost => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::BodyNotObject
            | ApiError::InvalidLength { .. }
            | ApiError::InvalidFlag(_)
            | ApiError::InvalidInteger { .. }
            | ApiError::InvalidString(_)
            | ApiError::InvalidLanguage(_)
            | ApiError::UnknownField(_)
            | ApiError::Policy(_)
            | ApiError::InvalidFormField(_)
            | ApiError::DuplicateFormField(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::CrossOrigin | ApiError::SharedHistory => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::HistoryUnavailable | ApiError::Timeout | ApiError::Overloaded => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::GenerationFailed | ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedJson => "malformed_json",
            ApiError::UnreadableBody => "unreadable_body",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::BodyTimeout => "body_timeout",
            ApiError::InvalidHost => "invalid_host",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::BodyNotObject => "body_not_object",
            ApiError::InvalidLength { .. } => "invalid_length",
            ApiError::InvalidFlag(_) => "invalid_flag",
            ApiError::InvalidInteger { .. } => "invalid_integer",
            ApiError::InvalidString(_) => "invalid_string",
            ApiError::InvalidLanguage(_) => "invalid_language",
            ApiError::UnknownField(_) => "unknown_field",
            ApiError::Policy(e) => match e {
                PolicyError::LengthOutOfRange(_) => "invalid_length",
                PolicyError::NoClasses => "no_classes_enabled",
                PolicyError::MinimumsExceedLength { .. } => "minimums_exceed_length",
                PolicyError::ClassEmptied(_) => "class_emptied_by_exclusions",
                PolicyError::MinimumForDisabledClass(_) => "minimum_for_disabled_class",
                PolicyError::InvalidSymbolSet(_) => "invalid_symbol_set",
                PolicyError::WordsOutOfRange(_) => "invalid_words",
                PolicyError::InvalidSeparator => "invalid_separator",
                PolicyError::TooMuchWork { .. } => "too_much_work",
                PolicyError::EntropyUnreachable { .. } => "entropy_unreachable",
                PolicyError::EntropyBelowTarget { .. } => "entropy_below_target",
                PolicyError::Rules(e) => rules_code(e),
            },
            ApiError::InvalidFormField(_) => "invalid_form_field",
            ApiError::DuplicateFormField(_) => "duplicate_form_field",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::HistoryUnavailable => "history_unavailable",
            ApiError::CrossOrigin => "cross_origin",
            ApiError::SharedHistory => "shared_history",
            ApiError::Timeout => "timeout",
            ApiError::Overloaded => "overloaded",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::GenerationFailed => "generation_failed",
            ApiError::Internal => "internal_error",
        }
    }

    /// The message in `lang` (texts: `i18n::errors`).
    pub fn message(&self, lang: Lang) -> String {
        super::i18n::errors::message(self, lang)
    }

    /// The JSON error response in `lang`.
    pub fn into_response_in(self, lang: Lang) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.message(lang),
            },
        };
        let retry_after = match &self {
            ApiError::RateLimited(seconds) => Some(*seconds),
            _ if self.status() == StatusCode::SERVICE_UNAVAILABLE => Some(1),
            _ => None,
        };
        let mut response = (self.status(), Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        // The rest of the body was not read (too large, or stopped coming): the connection cannot carry
        // another request, and the client is told so.
        if matches!(self, ApiError::PayloadTooLarge(_) | ApiError::BodyTimeout) {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

fn rules_code(e: &RulesError) -> &'static str {
    match e {
        RulesError::TooLong => "rules_too_long",
        RulesError::TooManyRequired(_) => "rules_too_many_required",
        RulesError::Syntax { .. } => "invalid_rules",
        RulesError::LengthConflict { .. } => "rules_length_conflict",
        RulesError::LengthOutsideRules { .. } => "length_outside_rules",
        RulesError::MaxConsecutiveZero => "invalid_max_consecutive",
        RulesError::RequiredSetEmpty(_) => "required_set_empty",
        RulesError::NoCharacters => "rules_no_characters",
        RulesError::RequiredExceedLength { .. } => "required_lines_exceed_length",
        RulesError::Unsatisfiable(_) => "max_consecutive_unsatisfiable",
        RulesError::TooMuchWork { .. } => "too_much_work",
        RulesError::Conflict { .. } => "rules_conflict",
        RulesError::SiteAndRules(_) => "site_and_rules",
        RulesError::UnknownSite { .. } => "unknown_site",
    }
}

/// What logs print: the English text.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&super::i18n::errors::english(self))
    }
}

impl std::error::Error for ApiError {}

impl From<RulesError> for ApiError {
    fn from(e: RulesError) -> Self {
        ApiError::Policy(PolicyError::Rules(e))
    }
}

/// The one conversion of a policy the generator refuses: a 422 whose code names the conflict.
impl From<PolicyError> for ApiError {
    fn from(e: PolicyError) -> Self {
        ApiError::Policy(e)
    }
}

/// What the service's failures are to a client.
impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Policy(e) => ApiError::Policy(e),
            ServiceError::Generation(_) => ApiError::GenerationFailed,
            ServiceError::HistoryUnavailable => ApiError::HistoryUnavailable,
            ServiceError::SharedHistory => ApiError::SharedHistory,
        }
    }
}

/// An [`ApiError`] bound to the language of the request that caused it; what handlers return.
#[derive(Debug)]
pub struct Localized(pub ApiError, pub Lang);

impl IntoResponse for Localized {
    fn into_response(self) -> Response {
        self.0.into_response_in(self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_are_4xx() {
        for e in [
            ApiError::MalformedJson,
            ApiError::PayloadTooLarge(1),
            ApiError::BodyTimeout,
            ApiError::InvalidHost,
            ApiError::UnsupportedMediaType("application/json"),
            ApiError::BodyNotObject,
            ApiError::InvalidFlag("x"),
            ApiError::NotFound,
            ApiError::MethodNotAllowed,
            ApiError::CrossOrigin,
            ApiError::SharedHistory,
        ] {
            assert!(e.status().is_client_error(), "{e:?}");
        }
    }
}
