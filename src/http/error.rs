//! The one error type of the HTTP layer, and its one mapping to a response:
//! `{"error": {"code": "snake_case", "message": "…"}}` with the message in the client's language.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use thiserror::Error;
use utoipa::ToSchema;

use super::lang::Lang;

/// Errors a client can cause or see. Internal causes are logged where they happen, never echoed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ApiError {
    #[error("malformed JSON body")]
    MalformedJson,
    #[error("request body could not be read")]
    UnreadableBody,
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
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
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::BodyNotObject
            | ApiError::InvalidLength { .. }
            | ApiError::InvalidFlag(_)
            | ApiError::InvalidFormField(_)
            | ApiError::DuplicateFormField(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::HistoryUnavailable | ApiError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::GenerationFailed | ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedJson => "malformed_json",
            ApiError::UnreadableBody => "unreadable_body",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::BodyNotObject => "body_not_object",
            ApiError::InvalidLength { .. } => "invalid_length",
            ApiError::InvalidFlag(_) => "invalid_flag",
            ApiError::InvalidFormField(_) => "invalid_form_field",
            ApiError::DuplicateFormField(_) => "duplicate_form_field",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::HistoryUnavailable => "history_unavailable",
            ApiError::Timeout => "timeout",
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
        let mut response = (self.status(), Json(body)).into_response();
        if self.status() == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
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
