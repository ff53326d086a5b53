//! The original app's JSON API, kept field for field: `POST /api/gerar-senha` and `GET /api/senhas`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::AppState;
use super::body::JsonObject;
use super::error::{ApiError, ErrorBody, Localized};
use super::lang::Lang;
use crate::generator::{MAX_LENGTH, MIN_LENGTH, Policy};

/// Request of `POST /api/gerar-senha`. Every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, ToSchema)]
#[schema(example = json!({"tamanho": 12, "incluir_numeros": true, "incluir_caracteres_especiais": true}))]
pub struct GerarSenhaRequest {
    /// Password length, 4–128 (default 8). A JSON integer, or a string of digits like the original's `int()`.
    #[schema(schema_with = tamanho_schema, required = false)]
    pub tamanho: i64,
    /// Include digits 0–9 (at least one). JSON boolean only.
    #[schema(default = false, required = false)]
    pub incluir_numeros: bool,
    /// Include the 32 ASCII punctuation characters (at least one). JSON boolean only.
    #[schema(default = false, required = false)]
    pub incluir_caracteres_especiais: bool,
}

/// `tamanho` exactly as accepted: an integer 4–128, or 1–9 ASCII digits whose value is 4–128 (`"0012"`).
fn tamanho_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(MIN_LENGTH as i64))
                .maximum(Some(MAX_LENGTH as i64)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(9))
                .pattern(Some("^0*([4-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$")),
        )
        .description(Some(
            "Password length, 4–128 (default 8). A JSON integer, or a string of digits like the original's `int()`.",
        ))
        .default(Some(serde_json::json!(DEFAULT_API_LENGTH)))
        .into()
}

pub const DEFAULT_API_LENGTH: i64 = 8;

impl TryFrom<Map<String, Value>> for GerarSenhaRequest {
    type Error = ApiError;

    /// Unknown fields are ignored, as the original did.
    fn try_from(body: Map<String, Value>) -> Result<Self, ApiError> {
        let tamanho = match body.get("tamanho") {
            None => DEFAULT_API_LENGTH,
            Some(value) => parse_length(value).ok_or(invalid_length())?,
        };
        Ok(Self {
            tamanho,
            incluir_numeros: flag(&body, "incluir_numeros")?,
            incluir_caracteres_especiais: flag(&body, "incluir_caracteres_especiais")?,
        })
    }
}

fn invalid_length() -> ApiError {
    ApiError::InvalidLength {
        field: "tamanho",
        min: MIN_LENGTH,
        max: MAX_LENGTH,
    }
}

/// A JSON integer, or a string of ASCII digits; anything else (floats, booleans, null, "-5", "1e3") is `None`.
fn parse_length(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => json_integer(n),
        Value::String(s) => parse_digits(s),
        _ => None,
    }
}

/// A JSON number with an integer value: `12`, and also `12.0` or `1.2e1`, which JSON Schema's `integer` (the
/// OpenAPI document) includes and the original's `int()` took. `12.7` and magnitudes beyond 2^53 (not exact
/// as floats) are `None`.
pub fn json_integer(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        let f = n.as_f64()?;
        (f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0).then_some(f as i64)
    })
}

/// A non-empty string of ASCII digits, at most 9 of them (anything longer is out of range anyway).
pub fn parse_digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn flag(body: &Map<String, Value>, field: &'static str) -> Result<bool, ApiError> {
    match body.get(field) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::InvalidFlag(field)),
    }
}

#[derive(Serialize, ToSchema)]
pub struct GerarSenhaResponse {
    #[schema(example = "q7#Vd2!mPz0a")]
    pub senha: String,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    /// Position in the history, 1 = newest.
    pub id: usize,
    pub senha: String,
}

/// Generates a password and records it in the history.
#[utoipa::path(
    post, path = "/api/gerar-senha", tag = "legacy",
    request_body(content = GerarSenhaRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Generated password", body = GerarSenhaResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Content type is not JSON", body = ErrorBody),
        (status = 422, description = "Valid JSON, invalid fields", body = ErrorBody),
    )
)]
pub async fn gerar_senha(
    State(app): State<AppState>,
    lang: Lang,
    JsonObject(body): JsonObject,
) -> Result<Json<GerarSenhaResponse>, Localized> {
    let request = GerarSenhaRequest::try_from(body).map_err(|e| Localized(e, lang))?;
    let policy = Policy::legacy(
        request.tamanho,
        request.incluir_numeros,
        request.incluir_caracteres_especiais,
    )
    .map_err(|_| Localized(invalid_length(), lang))?;
    let senha = app
        .generate_and_record(&policy, crate::metrics::Interface::Legacy)
        .await
        .map_err(|e| Localized(e, lang))?;
    Ok(Json(GerarSenhaResponse { senha }))
}

/// The newest passwords, newest first (the history is shared by everyone who can reach the app).
#[utoipa::path(
    get, path = "/api/senhas", tag = "legacy",
    responses(
        (status = 200, description = "History, newest first; [] when disabled", body = Vec<HistoryEntry>),
        (status = 503, description = "History store unreachable", body = ErrorBody),
    )
)]
pub async fn senhas(
    State(app): State<AppState>,
    lang: Lang,
) -> Result<(StatusCode, Json<Vec<HistoryEntry>>), Localized> {
    let recent = app.recent().await.map_err(|e| Localized(e, lang))?;
    let entries = recent
        .into_iter()
        .enumerate()
        .map(|(i, senha)| HistoryEntry { id: i + 1, senha })
        .collect();
    Ok((StatusCode::OK, Json(entries)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(v: Value) -> Result<GerarSenhaRequest, ApiError> {
        match v {
            Value::Object(map) => GerarSenhaRequest::try_from(map),
            _ => unreachable!(),
        }
    }

    #[test]
    fn defaults_match_the_original() {
        assert_eq!(
            request(json!({})),
            Ok(GerarSenhaRequest {
                tamanho: 8,
                incluir_numeros: false,
                incluir_caracteres_especiais: false
            })
        );
    }

    #[test]
    fn length_as_integer_or_digit_string() {
        assert_eq!(request(json!({"tamanho": 12})).unwrap().tamanho, 12);
        assert_eq!(request(json!({"tamanho": 12.0})).unwrap().tamanho, 12);
        assert_eq!(request(json!({"tamanho": 1.2e1})).unwrap().tamanho, 12);
        assert_eq!(request(json!({"tamanho": "12"})).unwrap().tamanho, 12);
        assert_eq!(request(json!({"tamanho": "0012"})).unwrap().tamanho, 12);
        for bad in [
            json!("abc"),
            json!(12.7),
            json!(true),
            json!(null),
            json!("-5"),
            json!(" 12"),
            json!("1e3"),
            json!("١٢"),
            json!([12]),
            json!(1e300),
        ] {
            assert_eq!(
                request(json!({ "tamanho": bad })),
                Err(invalid_length()),
                "{bad}"
            );
        }
    }

    #[test]
    fn flags_only_as_booleans() {
        assert!(
            request(json!({"incluir_numeros": true}))
                .unwrap()
                .incluir_numeros
        );
        for bad in [json!("no"), json!(1), json!(null), json!("true")] {
            assert_eq!(
                request(json!({ "incluir_numeros": bad })),
                Err(ApiError::InvalidFlag("incluir_numeros"))
            );
        }
    }
}
