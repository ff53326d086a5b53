//! The HTML page (`GET /`, `POST /`) and its embedded static assets. Works without JavaScript.

mod assets;
mod view;

pub use assets::asset;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::body::read_form;
use super::error::ApiError;
use super::i18n::page::texts;
use super::input::form::{OptionsForm, PageRequest, PhraseForm, parse_page_form};
use super::lang::Lang;
use super::visitor::{Caller, require_same_origin};
use crate::metrics::Interface;
use crate::service::Visitor;
use view::{IndexPage, PAGE_DEFAULTS, error_field};

/// `?modo=frase` opens the passphrase tab (a plain link: no JavaScript needed).
fn phrase_tab_requested(uri: &Uri) -> bool {
    uri.query()
        .is_some_and(|q| q.split('&').any(|pair| pair == "modo=frase"))
}

/// The page: form with defaults and the caller's history; `?modo=frase` shows the passphrase tab. In the private
/// scope a browser without the history cookie gets one here (and only here: an API client never does).
#[utoipa::path(get, path = "/", tag = "page",
    params(("modo" = Option<String>, Query, description = "`frase` shows the passphrase tab"),
        ("lang" = Option<String>, Query, description = "`en` or `pt`: the page's language, over Accept-Language")),
    responses((status = 200, description = "HTML page", content_type = "text/html",
        headers(("Set-Cookie" = String, description = "HISTORY_SCOPE=private, to a browser without one: the history \
            cookie `giropops-historico` (`__Host-giropops-historico` with `Secure` over HTTPS), 256 random bits in hex, \
            `HttpOnly; SameSite=Lax; Path=/`; with `?lang=`, also `giropops-idioma` (`en` or `pt`, a year), which \
            the page's later requests answer in")))))]
pub async fn index(State(app): State<AppState>, lang: Lang, caller: Caller, uri: Uri) -> Response {
    let mut page = IndexPage::with_defaults(&app, lang, &caller.visitor).await;
    page.phrase_tab = phrase_tab_requested(&uri);
    let cookie = caller.issue_cookie();
    // A first visit's list is private from its next request on: the (hidden) clear form is there for the
    // script to show once a secret generated in place fills the list.
    if cookie.is_some() {
        page.history_clearable_scope = true;
    }
    let mut response = page.into_response_with(StatusCode::OK);
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    // The language switch (`?lang=`) is remembered for the next links, which do not all carry it.
    if let Some(chosen) = uri.query().and_then(Lang::from_query) {
        response
            .headers_mut()
            .append(header::SET_COOKIE, chosen.cookie());
    }
    response
}

/// The answer to the page's own script, which posts the form with `Accept: application/json` to generate in
/// place: the secret, and the caller's history as the page lists it (absent when the page shows none).
#[derive(Serialize, ToSchema)]
pub struct InPlaceResult {
    #[schema(example = "q7#Vd2!mPz0a")]
    pub senha: String,
    pub historico: Option<Vec<String>>,
}

/// The page's script asks for JSON (`Accept: application/json` without `text/html`); a browser's own form post
/// and every other client get the page.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/json") && !v.contains("text/html"))
}

/// Form post: generates, records, and renders the page with the secret; bad input re-renders with a message.
#[utoipa::path(post, path = "/", tag = "page",
    request_body(content = super::input::form::FormFields, content_type = "application/x-www-form-urlencoded",
        description = "Fields `tamanho` (4–128), `incluir_numeros=on`, `incluir_caracteres_especiais=on`; \
            the options panel's fields (any set → the v1 policy; `site` or `regras` → those rules, as in API v1); `modo=frase` with the passphrase fields"),
    responses(
        (status = 200, description = "HTML page with the generated secret; with `Accept: application/json` (the \
            page's script, generating in place), the secret and the history as JSON",
            content((String = "text/html"), (InPlaceResult = "application/json"))),
        (status = 413, description = "Body over 16 KiB", content((String = "text/html"), (super::error::ErrorBody = "application/json"))),
        (status = 415, description = "Not a form post", content((String = "text/html"), (super::error::ErrorBody = "application/json"))),
        (status = 422, description = "Invalid field or impossible policy; the page shows the message beside the \
            field at fault, or above when no one field is (JSON: the error shape, the field named as the page labels \
            it, and `campo`, the form field at fault, when one is)",
            content((String = "text/html"), (InPlaceError = "application/json"))),
    ))]
pub async fn generate(
    State(app): State<AppState>,
    lang: Lang,
    caller: Caller,
    request: Request,
) -> Response {
    let visitor = &caller.visitor;
    let json = wants_json(request.headers());
    let pairs = match read_form(request).await {
        Ok(pairs) => pairs,
        Err(e) if json => return in_place_error(e, lang),
        Err(e) => return error_page(&app, lang, visitor, e, &[]).await,
    };
    let parsed = match parse_page_form(&pairs) {
        Ok(parsed) => parsed,
        Err(e) if json => return in_place_error(e, lang),
        Err(e) => return error_page(&app, lang, visitor, e, &pairs).await,
    };
    let service = app.service();
    let (result, mut page) = match parsed {
        PageRequest::Passphrase(phrase) => {
            let result = match phrase.policy(lang.passphrase_language()) {
                Ok(policy) => service
                    .passphrase_recorded(&policy, Interface::Page, visitor)
                    .await
                    .map_err(ApiError::from),
                Err(e) => Err(e),
            };
            // Read the history after the write, so the new secret is in the list as in the original.
            let mut page = IndexPage::new(
                &app,
                lang,
                visitor,
                PAGE_DEFAULTS,
                &OptionsForm::default(),
                phrase,
            )
            .await;
            page.phrase_tab = true;
            (result, page)
        }
        PageRequest::Password(form, options) => {
            // `site` / `regras` first: resolved as the API resolves them, then the classes.
            let result = match options.rules(form) {
                Ok(Some(rules)) => service
                    .rules_password_recorded(&rules.policy, Interface::Page, visitor)
                    .await
                    .map_err(ApiError::from),
                Ok(None) => match options.policy(form) {
                    Ok(policy) => service
                        .password_recorded(&policy, Interface::Page, visitor)
                        .await
                        .map_err(ApiError::from),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            let page =
                IndexPage::new(&app, lang, visitor, form, &options, PhraseForm::default()).await;
            (result, page)
        }
    };
    if json {
        return match result {
            Ok(senha) => Json(InPlaceResult {
                senha,
                historico: page.history_for_script(),
            })
            .into_response(),
            Err(e) => in_place_error(e, lang),
        };
    }
    let status = match result {
        Ok(secret) => {
            page.password = Some(secret);
            StatusCode::OK
        }
        Err(e) => {
            page.set_error(labelled(e.clone(), lang).message(lang), error_field(&e));
            e.status()
        }
    };
    page.into_response_with(status)
}

/// The page with the message of `e`, on the tab the post came from, its fields as typed.
async fn error_page(
    app: &AppState,
    lang: Lang,
    visitor: &Visitor,
    e: ApiError,
    pairs: &[(String, String)],
) -> Response {
    let mut page = IndexPage::with_defaults(app, lang, visitor).await;
    page.phrase_tab = pairs.iter().any(|(n, v)| n == "modo" && v == "frase");
    page.keep_typed(pairs);
    page.set_error(labelled(e.clone(), lang).message(lang), error_field(&e));
    page.into_response_with(e.status())
}

/// A refused in-place post: the error shape, plus the form field at fault (`campo`, its name) when one field
/// alone is, for the script to put the message beside it.
#[derive(Serialize, ToSchema)]
pub struct InPlaceError {
    pub error: super::error::ErrorDetail,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "tamanho")]
    pub campo: Option<&'static str>,
}

fn in_place_error(e: ApiError, lang: Lang) -> Response {
    let Some(field) = error_field(&e) else {
        return labelled(e, lang).into_response_in(lang);
    };
    let labelled = labelled(e, lang);
    let body = InPlaceError {
        error: super::error::ErrorDetail {
            code: labelled.code(),
            message: labelled.message(lang),
        },
        campo: Some(field),
    };
    (labelled.status(), Json(body)).into_response()
}

/// `e` as the page words it: a field named as the page labels it ("Tamanho da senha"), not by its wire name.
fn labelled(e: ApiError, lang: Lang) -> ApiError {
    let t = texts(lang);
    let label = |field: &'static str| t.field_label(field).unwrap_or(field);
    match e {
        ApiError::InvalidLength { field, min, max } => ApiError::InvalidLength {
            field: label(field),
            min,
            max,
        },
        ApiError::InvalidInteger { field, min, max } => ApiError::InvalidInteger {
            field: label(field),
            min,
            max,
        },
        ApiError::InvalidFlag(field) => ApiError::InvalidFlag(label(field)),
        ApiError::InvalidString(field) => ApiError::InvalidString(label(field)),
        ApiError::InvalidLanguage(field) => ApiError::InvalidLanguage(label(field)),
        ApiError::InvalidFormField(field) => ApiError::InvalidFormField(label(field)),
        ApiError::DuplicateFormField(field) => ApiError::DuplicateFormField(label(field)),
        other => other,
    }
}

/// The page's "Limpar histórico" button: a plain form post (works without JavaScript) answered with the page
/// and its now empty history, as `POST /` answers with the page (posting again, on a reload, empties an empty
/// list: harmless). Refused from another site's page and in the shared scope.
#[utoipa::path(post, path = "/historico/limpar", tag = "page",
    params(("lang" = Option<String>, Query, description = "`en` or `pt`: the page's language")),
    responses(
        (status = 200, description = "HTML page, the caller's history emptied", content_type = "text/html"),
        (status = 403, description = "From another origin (`cross_origin`), or HISTORY_SCOPE=shared (`shared_history`)", body = super::error::ErrorBody),
        (status = 503, description = "History store unreachable", body = super::error::ErrorBody),
    ))]
pub async fn clear_history(
    State(app): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    caller: Caller,
) -> Response {
    if let Err(e) = require_same_origin(&headers) {
        return e.into_response_in(lang);
    }
    if let Err(e) = app.service().clear(&caller.visitor).await {
        return ApiError::from(e).into_response_in(lang);
    }
    let page = IndexPage::with_defaults(&app, lang, &caller.visitor).await;
    page.into_response_with(StatusCode::OK)
}
