//! The original app's JSON API, kept field for field: `POST /api/gerar-senha` and `GET /api/senhas`.
//! The request body is [`GerarSenhaRequest`] (`input::legacy`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::body::JsonBody;
use super::error::{ErrorBody, Localized};
use super::input::legacy::GerarSenhaRequest;
use super::lang::Lang;
use crate::metrics::Interface;

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
    JsonBody(request): JsonBody<GerarSenhaRequest>,
) -> Result<Json<GerarSenhaResponse>, Localized> {
    let fail = |e| Localized(e, lang);
    let policy = request.policy().map_err(fail)?;
    let senha = app
        .service()
        .password_recorded(&policy, Interface::Legacy)
        .await
        .map_err(|e| fail(e.into()))?;
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
    let recent = app
        .service()
        .recent()
        .await
        .map_err(|e| Localized(e.into(), lang))?;
    let entries = recent
        .into_iter()
        .enumerate()
        .map(|(i, senha)| HistoryEntry { id: i + 1, senha })
        .collect();
    Ok((StatusCode::OK, Json(entries)))
}
