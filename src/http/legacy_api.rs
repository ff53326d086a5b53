//! The original app's JSON API, kept field for field: `POST /api/gerar-senha` and `GET /api/senhas`.
//! The request body is [`GerarSenhaRequest`] (`input::legacy`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::body::JsonBody;
use super::error::{ErrorBody, Localized};
use super::input::legacy::GerarSenhaRequest;
use super::lang::Lang;
use super::visitor::{Caller, require_same_origin};
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

/// Generates a password and records it in the caller's history (private scope: only with the cookie the page
/// issues; without it the password is generated and not recorded).
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
    caller: Caller,
    JsonBody(request): JsonBody<GerarSenhaRequest>,
) -> Result<Json<GerarSenhaResponse>, Localized> {
    let fail = |e| Localized(e, lang);
    let policy = request.policy().map_err(fail)?;
    let senha = app
        .service()
        .password_recorded(&policy, Interface::Legacy, &caller.visitor)
        .await
        .map_err(|e| fail(e.into()))?;
    Ok(Json(GerarSenhaResponse { senha }))
}

/// The caller's newest passwords, newest first: its own list (private scope, by cookie; `[]` without one) or
/// everyone's (HISTORY_SCOPE=shared).
#[utoipa::path(
    get, path = "/api/senhas", tag = "legacy",
    responses(
        (status = 200, description = "History, newest first; [] when disabled or without the history cookie", body = Vec<HistoryEntry>),
        (status = 503, description = "History store unreachable", body = ErrorBody),
    )
)]
pub async fn senhas(
    State(app): State<AppState>,
    lang: Lang,
    caller: Caller,
) -> Result<(StatusCode, Json<Vec<HistoryEntry>>), Localized> {
    let recent = app
        .service()
        .recent(&caller.visitor)
        .await
        .map_err(|e| Localized(e.into(), lang))?;
    let entries = recent
        .into_iter()
        .enumerate()
        .map(|(i, senha)| HistoryEntry { id: i + 1, senha })
        .collect();
    Ok((StatusCode::OK, Json(entries)))
}

/// Empties the caller's own list (private scope). Refused from another site's page, and in the shared scope.
#[utoipa::path(
    delete, path = "/api/senhas", tag = "legacy",
    responses(
        (status = 204, description = "The caller's history is empty (also without the history cookie: nothing to empty)"),
        (status = 403, description = "From another origin (`cross_origin`), or HISTORY_SCOPE=shared (`shared_history`)", body = ErrorBody),
        (status = 503, description = "History store unreachable", body = ErrorBody),
    )
)]
pub async fn clear_senhas(
    State(app): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    caller: Caller,
) -> Result<StatusCode, Localized> {
    let fail = |e| Localized(e, lang);
    require_same_origin(&headers).map_err(fail)?;
    app.service()
        .clear(&caller.visitor)
        .await
        .map_err(|e| fail(e.into()))?;
    Ok(StatusCode::NO_CONTENT)
}
