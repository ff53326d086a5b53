//! The body of `POST /api/gerar-senha`, field for field the original app's, with its leniencies: every field
//! optional, unknown fields ignored, `tamanho` also as a string of digits or an integral float.

use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{Input, fields};
use crate::generator::{MAX_LENGTH, MIN_LENGTH, Policy, PolicyError};
use crate::http::error::ApiError;

/// The original's default length.
pub const DEFAULT_API_LENGTH: i64 = 8;

/// Request of `POST /api/gerar-senha`. Every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[schema(example = json!({"tamanho": 12, "incluir_numeros": true, "incluir_caracteres_especiais": true}))]
pub struct GerarSenhaRequest {
    /// Password length, 4–128 (default 8). A JSON integer, or a string of digits like the original's `int()`.
    #[serde(
        default = "default_length",
        deserialize_with = "fields::integer_or_digits"
    )]
    #[schema(schema_with = tamanho_schema, required = false)]
    pub tamanho: i64,
    /// Include digits 0–9 (at least one). JSON boolean only.
    #[serde(default)]
    #[schema(default = false, required = false)]
    pub incluir_numeros: bool,
    /// Include the 32 ASCII punctuation characters (at least one). JSON boolean only.
    #[serde(default)]
    #[schema(default = false, required = false)]
    pub incluir_caracteres_especiais: bool,
}

fn default_length() -> i64 {
    DEFAULT_API_LENGTH
}

impl Input for GerarSenhaRequest {
    const FIELDS: &'static [&'static str] =
        &["tamanho", "incluir_numeros", "incluir_caracteres_especiais"];

    fn invalid(field: &'static str) -> ApiError {
        match field {
            "tamanho" => invalid_length(),
            flag => ApiError::InvalidFlag(flag),
        }
    }
}

pub(crate) fn invalid_length() -> ApiError {
    ApiError::InvalidLength {
        field: "tamanho",
        min: MIN_LENGTH,
        max: MAX_LENGTH,
    }
}

impl GerarSenhaRequest {
    /// The policy asked for; its length is range-checked here, once (the parser takes any integer, as the
    /// original did), and named as the field the client sent.
    pub fn policy(&self) -> Result<Policy, ApiError> {
        Policy::legacy(
            self.tamanho,
            self.incluir_numeros,
            self.incluir_caracteres_especiais,
        )
        .map_err(|e| match e {
            PolicyError::LengthOutOfRange(_) => invalid_length(),
            other => ApiError::from(other),
        })
    }
}

/// The decoded JSON object (the fuzz targets and property tests start from one).
impl TryFrom<Map<String, Value>> for GerarSenhaRequest {
    type Error = ApiError;

    fn try_from(body: Map<String, Value>) -> Result<Self, ApiError> {
        super::value(Value::Object(body))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(v: Value) -> Result<GerarSenhaRequest, ApiError> {
        super::super::json(v.to_string().as_bytes())
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
    fn out_of_range_lengths_fail_at_the_policy_naming_the_field() {
        let request = request(json!({"tamanho": 3, "x": [1]})).unwrap();
        assert_eq!(request.policy().unwrap_err(), invalid_length());
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

    #[test]
    fn a_repeated_key_keeps_its_last_value_like_the_original() {
        let body = br#"{"tamanho": 200, "tamanho": 12}"#;
        assert_eq!(
            super::super::json::<GerarSenhaRequest>(body)
                .unwrap()
                .tamanho,
            12
        );
    }

    #[test]
    fn not_json_and_not_objects() {
        let decode = |b: &[u8]| super::super::json::<GerarSenhaRequest>(b);
        assert_eq!(decode(b"not json"), Err(ApiError::MalformedJson));
        assert_eq!(decode(b"[1,2]"), Err(ApiError::BodyNotObject));
        assert_eq!(decode(b"null"), Err(ApiError::BodyNotObject));
        assert_eq!(decode(b"[12, true, true]"), Err(ApiError::BodyNotObject));
        assert_eq!(
            decode(br#"{"tamanho": 1e400}"#),
            Err(ApiError::MalformedJson)
        );
        // A bad field before a syntax error: the body is not JSON, that is what the client must fix first.
        assert_eq!(
            decode(br#"{"tamanho": "abc", "#),
            Err(ApiError::MalformedJson)
        );
    }
}
