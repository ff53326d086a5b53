//! The HTML page (`GET /`, `POST /`) and its embedded static assets. Works without JavaScript.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::api::{DEFAULT_API_LENGTH, parse_digits};
use super::body::read_form;
use super::error::ApiError;
use super::lang::Lang;
use crate::generator::{MAX_LENGTH, MIN_LENGTH, Policy};

/// The page's length control (8–64, default 16); `POST /` itself accepts 4–128 like the API.
const CONTROL_MIN: i64 = 8;
const CONTROL_MAX: i64 = 64;
const CONTROL_DEFAULT: i64 = 16;

/// Every visible string of the page, per language.
pub struct Texts {
    title: &'static str,
    generate_title: &'static str,
    length: &'static str,
    digits: &'static str,
    punctuation: &'static str,
    generate: &'static str,
    generated: &'static str,
    show: &'static str,
    hide: &'static str,
    copy: &'static str,
    copied: &'static str,
    copy_failed: &'static str,
    history_title: &'static str,
    history_item: &'static str,
    refresh: &'static str,
    history_disabled: &'static str,
    history_unavailable: &'static str,
    history_empty: &'static str,
    footer: &'static str,
    /// The language switch: a plain link, so it works without JavaScript.
    switch_label: &'static str,
    switch_to: &'static str,
}

const PT: Texts = Texts {
    title: "Gerador de Senhas",
    generate_title: "Gerar senha",
    length: "Tamanho da senha:",
    digits: "Incluir números",
    punctuation: "Incluir caracteres especiais",
    generate: "Gerar",
    generated: "Senha gerada:",
    show: "Mostrar senha",
    hide: "Esconder senha",
    copy: "Copiar senha",
    copied: "Senha copiada para a área de transferência.",
    copy_failed: "Não foi possível copiar automaticamente: a senha está selecionada, copie com Ctrl+C.",
    history_title: "Últimas senhas criadas",
    history_item: "Senha",
    refresh: "Atualizar",
    history_disabled: "O histórico está desativado neste servidor.",
    history_unavailable: "O histórico está indisponível no momento; a geração continua funcionando.",
    history_empty: "Nenhuma senha criada ainda.",
    footer: "Senhas geradas com o gerador criptográfico do sistema operacional",
    switch_label: "English",
    switch_to: "en",
};

const EN: Texts = Texts {
    title: "Password Generator",
    generate_title: "Generate a password",
    length: "Password length:",
    digits: "Include digits",
    punctuation: "Include special characters",
    generate: "Generate",
    generated: "Generated password:",
    show: "Show password",
    hide: "Hide password",
    copy: "Copy password",
    copied: "Password copied to the clipboard.",
    copy_failed: "Could not copy automatically: the password is selected, copy it with Ctrl+C.",
    history_title: "Latest passwords",
    history_item: "Password",
    refresh: "Refresh",
    history_disabled: "The history is disabled on this server.",
    history_unavailable: "The history is unavailable right now; generation still works.",
    history_empty: "No passwords yet.",
    footer: "Passwords come from the operating system's cryptographic generator",
    switch_label: "Português",
    switch_to: "pt",
};

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    lang: &'static str,
    /// `?lang=` of this page, kept by the form and the refresh link.
    lang_query: &'static str,
    t: &'static Texts,
    version: &'static str,
    length: i64,
    digits: bool,
    punctuation: bool,
    password: Option<String>,
    error: Option<String>,
    history: Vec<String>,
    history_enabled: bool,
    history_unavailable: bool,
}

/// What the form asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormRequest {
    pub length: i64,
    pub digits: bool,
    pub punctuation: bool,
}

/// Form fields as the original page posts them; checkboxes send `on` and are absent when unchecked.
/// Unknown fields are ignored; repeated ones are an error (which one would the user have meant?).
pub fn parse_form(pairs: &[(String, String)]) -> Result<FormRequest, ApiError> {
    let mut length = None;
    let mut digits = None;
    let mut punctuation = None;
    for (name, value) in pairs {
        match name.as_str() {
            "tamanho" => {
                let parsed = parse_digits(value.trim())
                    .filter(|l| (MIN_LENGTH as i64..=MAX_LENGTH as i64).contains(l))
                    .ok_or(ApiError::InvalidLength {
                        field: "tamanho",
                        min: MIN_LENGTH,
                        max: MAX_LENGTH,
                    })?;
                set_once(&mut length, parsed, "tamanho")?;
            }
            "incluir_numeros" => set_once(
                &mut digits,
                checkbox(value, "incluir_numeros")?,
                "incluir_numeros",
            )?,
            "incluir_caracteres_especiais" => set_once(
                &mut punctuation,
                checkbox(value, "incluir_caracteres_especiais")?,
                "incluir_caracteres_especiais",
            )?,
            _ => {}
        }
    }
    Ok(FormRequest {
        length: length.unwrap_or(DEFAULT_API_LENGTH),
        digits: digits.unwrap_or(false),
        punctuation: punctuation.unwrap_or(false),
    })
}

fn set_once<T>(slot: &mut Option<T>, value: T, field: &'static str) -> Result<(), ApiError> {
    if slot.replace(value).is_some() {
        return Err(ApiError::DuplicateFormField(field));
    }
    Ok(())
}

fn checkbox(value: &str, field: &'static str) -> Result<bool, ApiError> {
    match value {
        "on" | "true" | "1" => Ok(true),
        _ => Err(ApiError::InvalidFormField(field)),
    }
}

impl IndexPage {
    async fn new(app: &AppState, lang: Lang, form: FormRequest) -> Self {
        let (history, history_unavailable) = match app.recent().await {
            Ok(history) => (history, false),
            Err(_) => (Vec::new(), true),
        };
        Self {
            lang: lang.html_tag(),
            lang_query: lang.query_value(),
            t: match lang {
                Lang::Pt => &PT,
                Lang::En => &EN,
            },
            version: env!("CARGO_PKG_VERSION"),
            length: form.length.clamp(CONTROL_MIN, CONTROL_MAX),
            digits: form.digits,
            punctuation: form.punctuation,
            password: None,
            error: None,
            history,
            history_enabled: app.history_enabled(),
            history_unavailable,
        }
    }

    fn into_response_with(self, status: StatusCode) -> Response {
        match self.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "page template failed");
                ApiError::Internal.into_response_in(Lang::Pt)
            }
        }
    }
}

const PAGE_DEFAULTS: FormRequest = FormRequest {
    length: CONTROL_DEFAULT,
    digits: true,
    punctuation: true,
};

/// The page: form with defaults and the history.
#[utoipa::path(get, path = "/", tag = "page",
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn index(State(app): State<AppState>, lang: Lang) -> Response {
    IndexPage::new(&app, lang, PAGE_DEFAULTS)
        .await
        .into_response_with(StatusCode::OK)
}

/// The form's fields as [`parse_form`] accepts them, for the OpenAPI document (exact, so API fuzzing can
/// tell valid input from invalid). Unknown fields are ignored; a repeated known field is a 422.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the body; parsed by `parse_form`
struct FormFields {
    /// Password length 4–128 (default 8): up to 9 ASCII digits, surrounding spaces ignored.
    #[schema(
        pattern = "^[ \\t\\r\\n]*(0{0,8}[4-9]|0{0,7}[1-9][0-9]|0{0,6}(1[01][0-9]|12[0-8]))[ \\t\\r\\n]*$",
        nullable = false,
        default = "8"
    )]
    tamanho: Option<String>,
    /// Include digits (a checkbox: `on`; absent when unchecked).
    #[schema(pattern = "^(on|true|1)$", nullable = false)]
    incluir_numeros: Option<String>,
    /// Include punctuation (a checkbox: `on`; absent when unchecked).
    #[schema(pattern = "^(on|true|1)$", nullable = false)]
    incluir_caracteres_especiais: Option<String>,
}

/// Form post: generates, records, and renders the page with the password; bad input re-renders with a message.
#[utoipa::path(post, path = "/", tag = "page",
    request_body(content = FormFields, content_type = "application/x-www-form-urlencoded",
        description = "Fields `tamanho` (4–128), `incluir_numeros=on`, `incluir_caracteres_especiais=on`"),
    responses(
        (status = 200, description = "HTML page with the generated password", content_type = "text/html"),
        (status = 413, description = "Body over 16 KiB", content_type = "text/html"),
        (status = 415, description = "Not a form post", content_type = "text/html"),
        (status = 422, description = "Invalid field; the page shows the message", content_type = "text/html"),
    ))]
pub async fn generate(State(app): State<AppState>, lang: Lang, request: Request) -> Response {
    let parsed = match read_form(request).await {
        Ok(pairs) => parse_form(&pairs),
        Err(e) => Err(e),
    };
    let form = match parsed {
        Ok(form) => form,
        Err(e) => {
            let mut page = IndexPage::new(&app, lang, PAGE_DEFAULTS).await;
            page.error = Some(e.message(lang));
            return page.into_response_with(e.status());
        }
    };
    let mut page_error = None;
    let mut password = None;
    match Policy::legacy(form.length, form.digits, form.punctuation) {
        Ok(policy) => match app
            .generate_and_record(&policy, crate::metrics::Interface::Page)
            .await
        {
            Ok(p) => password = Some(p),
            Err(e) => page_error = Some(e),
        },
        Err(_) => page_error = Some(ApiError::Internal),
    }
    // Read the history after the write, so the new password is in the list as in the original.
    let mut page = IndexPage::new(&app, lang, form).await;
    page.password = password;
    let status = page_error.as_ref().map_or(StatusCode::OK, ApiError::status);
    page.error = page_error.map(|e| e.message(lang));
    page.into_response_with(status)
}

struct Asset {
    body: &'static [u8],
    content_type: &'static str,
}

fn asset_named(name: &str) -> Option<Asset> {
    let (body, content_type): (&'static [u8], _) = match name {
        "app.css" => (
            include_bytes!("../../assets/app.css"),
            "text/css; charset=utf-8",
        ),
        "app.js" => (
            include_bytes!("../../assets/app.js"),
            "text/javascript; charset=utf-8",
        ),
        "favicon.svg" => (include_bytes!("../../assets/favicon.svg"), "image/svg+xml"),
        "pattern.svg" => (include_bytes!("../../assets/pattern.svg"), "image/svg+xml"),
        _ => return None,
    };
    Some(Asset { body, content_type })
}

/// Static assets compiled into the binary: the image needs no file beside it.
pub async fn asset(Path(name): Path<String>, lang: Lang) -> Response {
    let Some(asset) = asset_named(&name) else {
        return ApiError::NotFound.into_response_in(lang);
    };
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    // URLs carry `?v=<version>`, so a day of caching never serves a stale asset after an upgrade.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn form_fields_as_the_original_posts_them() {
        assert_eq!(
            parse_form(&pairs(&[
                ("tamanho", "20"),
                ("incluir_numeros", "on"),
                ("incluir_caracteres_especiais", "on")
            ])),
            Ok(FormRequest {
                length: 20,
                digits: true,
                punctuation: true
            })
        );
        assert_eq!(
            parse_form(&pairs(&[("tamanho", "4")])),
            Ok(FormRequest {
                length: 4,
                digits: false,
                punctuation: false
            })
        );
    }

    #[test]
    fn bad_form_input_is_a_typed_error() {
        assert!(matches!(
            parse_form(&pairs(&[("tamanho", "abc")])),
            Err(ApiError::InvalidLength { .. })
        ));
        assert!(matches!(
            parse_form(&pairs(&[("tamanho", "129")])),
            Err(ApiError::InvalidLength { .. })
        ));
        assert_eq!(
            parse_form(&pairs(&[("tamanho", "12"), ("tamanho", "13")])),
            Err(ApiError::DuplicateFormField("tamanho"))
        );
        assert_eq!(
            parse_form(&pairs(&[("incluir_numeros", "no")])),
            Err(ApiError::InvalidFormField("incluir_numeros"))
        );
    }

    #[test]
    fn every_asset_is_served() {
        for name in ["app.css", "app.js", "favicon.svg", "pattern.svg"] {
            assert!(asset_named(name).is_some(), "{name}");
        }
        assert!(asset_named("../Cargo.toml").is_none());
    }
}
