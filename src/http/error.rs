//! The one error type of the HTTP layer, and its one mapping to a response:
//! `{"error": {"code": "snake_case", "message": "…"}}` with the message in the client's language.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use thiserror::Error;
use utoipa::ToSchema;

use super::lang::Lang;
use crate::generator::{ClassKind, PolicyError};

/// Errors a client can cause or see. Internal causes are logged where they happen, never echoed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ApiError {
    #[error("malformed JSON body")]
    MalformedJson,
    #[error("request body could not be read")]
    UnreadableBody,
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    #[error("the request must have exactly one Host header")]
    InvalidHost,
    #[error("unsupported content type, expected {0}")]
    UnsupportedMediaType(&'static str),
    #[error("the body must be a JSON object")]
    BodyNotObject,
    #[error("field {field} must be an integer between {min} and {max}")]
    InvalidLength {
        field: &'static str,
        min: usize,
        max: usize,
    },
    #[error("field {0} must be a boolean")]
    InvalidFlag(&'static str),
    #[error("field {field} must be an integer between {min} and {max}")]
    InvalidInteger {
        field: &'static str,
        min: usize,
        max: usize,
    },
    #[error("field {0} must be a string")]
    InvalidString(&'static str),
    #[error("unknown field {0}")]
    UnknownField(String),
    /// A policy that no secret can satisfy; the code names the conflict.
    #[error("{0}")]
    Policy(PolicyError),
    #[error("form field {0} has an invalid value")]
    InvalidFormField(&'static str),
    #[error("form field {0} appears more than once")]
    DuplicateFormField(&'static str),
    #[error("no such route")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the password history is unavailable")]
    HistoryUnavailable,
    #[error("the request took too long")]
    Timeout,
    #[error("the server is busy, try again shortly")]
    Overloaded,
    #[error("too many requests from this address, try again in {0} s")]
    RateLimited(u64),
    #[error("the server could not generate a password")]
    GenerationFailed,
    #[error("internal error")]
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
            | ApiError::UnknownField(_)
            | ApiError::Policy(_)
            | ApiError::InvalidFormField(_)
            | ApiError::DuplicateFormField(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound => StatusCode::NOT_FOUND,
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
            },
            ApiError::InvalidFormField(_) => "invalid_form_field",
            ApiError::DuplicateFormField(_) => "duplicate_form_field",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::HistoryUnavailable => "history_unavailable",
            ApiError::Timeout => "timeout",
            ApiError::Overloaded => "overloaded",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::GenerationFailed => "generation_failed",
            ApiError::Internal => "internal_error",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => {
                let mut m = self.to_string();
                if let Some(first) = m.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                m + "."
            }
            Lang::Pt => match self {
                ApiError::MalformedJson => "O corpo da requisição não é um JSON válido.".into(),
                ApiError::UnreadableBody => "Não foi possível ler o corpo da requisição.".into(),
                ApiError::PayloadTooLarge(limit) => {
                    format!("O corpo da requisição passa do limite de {limit} bytes.")
                }
                ApiError::BodyTimeout => "O corpo da requisição não chegou a tempo.".into(),
                ApiError::InvalidHost => {
                    "A requisição deve ter exatamente um cabeçalho Host.".into()
                }
                ApiError::UnsupportedMediaType(expected) => {
                    format!("Tipo de conteúdo não suportado: envie {expected}.")
                }
                ApiError::BodyNotObject => "O corpo deve ser um objeto JSON.".into(),
                ApiError::InvalidLength { field, min, max } => {
                    format!("O campo {field} deve ser um número inteiro entre {min} e {max}.")
                }
                ApiError::InvalidFlag(field) => {
                    format!("O campo {field} deve ser true ou false.")
                }
                ApiError::InvalidInteger { field, min, max } => {
                    format!("O campo {field} deve ser um número inteiro entre {min} e {max}.")
                }
                ApiError::InvalidString(field) => format!("O campo {field} deve ser um texto."),
                ApiError::UnknownField(field) => format!("Campo desconhecido: {field}."),
                ApiError::Policy(e) => policy_message_pt(e),
                ApiError::InvalidFormField(field) => {
                    format!("O campo {field} tem um valor inválido.")
                }
                ApiError::DuplicateFormField(field) => {
                    format!("O campo {field} aparece mais de uma vez.")
                }
                ApiError::NotFound => "Rota não encontrada.".into(),
                ApiError::MethodNotAllowed => "Método não permitido para esta rota.".into(),
                ApiError::HistoryUnavailable => {
                    "O histórico de senhas está indisponível no momento.".into()
                }
                ApiError::Timeout => "A requisição demorou demais.".into(),
                ApiError::Overloaded => {
                    "O servidor está ocupado; tente de novo em instantes.".into()
                }
                ApiError::RateLimited(seconds) => {
                    format!("Muitas requisições deste endereço; tente de novo em {seconds} s.")
                }
                ApiError::GenerationFailed => "Não foi possível gerar a senha.".into(),
                ApiError::Internal => "Erro interno.".into(),
            },
        }
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

fn class_pt(kind: ClassKind) -> &'static str {
    match kind {
        ClassKind::Letters => "letras",
        ClassKind::Lowercase => "minúsculas",
        ClassKind::Uppercase => "maiúsculas",
        ClassKind::Digits => "números",
        ClassKind::Symbols => "símbolos",
    }
}

fn policy_message_pt(e: &PolicyError) -> String {
    use crate::generator::passphrase::{MAX_SEPARATOR_CHARS, MAX_WORDS, MIN_WORDS};
    use crate::generator::{MAX_LENGTH, MIN_LENGTH};
    match e {
        PolicyError::LengthOutOfRange(_) => {
            format!("O tamanho deve estar entre {MIN_LENGTH} e {MAX_LENGTH}.")
        }
        PolicyError::NoClasses => "Ative pelo menos um tipo de caractere.".into(),
        PolicyError::MinimumsExceedLength { required, length } => {
            format!("Os mínimos somam {required} caracteres, mais que o tamanho {length}.")
        }
        PolicyError::ClassEmptied(kind) => format!(
            "As exclusões deixaram vazio o conjunto de {}.",
            class_pt(*kind)
        ),
        PolicyError::MinimumForDisabledClass(kind) => format!(
            "Há um mínimo para {}, mas esse tipo está desativado.",
            class_pt(*kind)
        ),
        PolicyError::InvalidSymbolSet(c) => {
            format!("O conjunto de símbolos só aceita pontuação ASCII, não {c:?}.")
        }
        PolicyError::WordsOutOfRange(_) => {
            format!("O número de palavras deve estar entre {MIN_WORDS} e {MAX_WORDS}.")
        }
        PolicyError::InvalidSeparator => format!(
            "O separador pode ter até {MAX_SEPARATOR_CHARS} caracteres, sem letras nem caracteres invisíveis ou de controle."
        ),
        PolicyError::TooMuchWork { max_count } => format!(
            "Esses mínimos exigem o método exato por contagem, mais lento: no máximo {max_count} senhas com esta política por requisição (0: reduza os mínimos ou o tamanho)."
        ),
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
    fn english_messages_are_sentences() {
        assert_eq!(
            ApiError::InvalidFlag("incluir_numeros").message(Lang::En),
            "Field incluir_numeros must be a boolean."
        );
    }

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
        ] {
            assert!(e.status().is_client_error(), "{e:?}");
        }
    }
}
