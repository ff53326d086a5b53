//! The HTML page (`GET /`, `POST /`) and its embedded static assets. Works without JavaScript.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::Uri;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::api::{DEFAULT_API_LENGTH, parse_digits};
use super::body::read_form;
use super::error::ApiError;
use super::lang::Lang;
use crate::generator::entropy::{Strength, rounded};
use crate::generator::passphrase::{DEFAULT_SEPARATOR, DEFAULT_WORDS, MAX_WORDS, MIN_WORDS};
use crate::generator::{
    AMBIGUOUS, ClassOption, MAX_LENGTH, MIN_LENGTH, PassphrasePolicy, PasswordOptions, Policy,
    SAFE_SYMBOLS,
};

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
    tabs_label: &'static str,
    tab_password: &'static str,
    tab_phrase: &'static str,
    phrase_title: &'static str,
    options: &'static str,
    options_hint: &'static str,
    letters: &'static str,
    letters_both: &'static str,
    letters_lower: &'static str,
    letters_upper: &'static str,
    letters_none: &'static str,
    minimums: &'static str,
    min_lowercase: &'static str,
    min_uppercase: &'static str,
    min_digits: &'static str,
    min_symbols: &'static str,
    exclude_ambiguous: &'static str,
    exclude: &'static str,
    symbol_set: &'static str,
    strength: &'static str,
    impossible: &'static str,
    words: &'static str,
    separator: &'static str,
    capitalize: &'static str,
    include_number: &'static str,
    generated_phrase: &'static str,
    phrase_note: &'static str,
    /// The strength words, weakest first.
    weak: &'static str,
    fair: &'static str,
    strong: &'static str,
    very_strong: &'static str,
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
    copied: "Copiado para a área de transferência.",
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
    tabs_label: "Tipo de segredo",
    tab_password: "Senha",
    tab_phrase: "Frase secreta",
    phrase_title: "Gerar frase secreta",
    options: "Opções",
    options_hint: "Com qualquer opção preenchida valem as regras da API v1: minúsculas e maiúsculas \
        contam separado e os caracteres especiais padrão são os seguros (sem aspas, barra invertida nem crase).",
    letters: "Letras:",
    letters_both: "Minúsculas e maiúsculas",
    letters_lower: "Só minúsculas",
    letters_upper: "Só maiúsculas",
    letters_none: "Sem letras",
    minimums: "Mínimo de cada tipo (vazio: 1 quando ativado)",
    min_lowercase: "Minúsculas",
    min_uppercase: "Maiúsculas",
    min_digits: "Números",
    min_symbols: "Especiais",
    exclude_ambiguous: "Excluir caracteres parecidos",
    exclude: "Excluir também:",
    symbol_set: "Caracteres especiais permitidos:",
    strength: "Força:",
    impossible: "combinação impossível",
    words: "Número de palavras:",
    separator: "Separador:",
    capitalize: "Iniciais maiúsculas",
    include_number: "Incluir um número",
    generated_phrase: "Frase gerada:",
    phrase_note: "Palavras da lista grande da EFF (em inglês), sorteadas pelo gerador criptográfico.",
    weak: "fraca",
    fair: "razoável",
    strong: "forte",
    very_strong: "muito forte",
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
    copied: "Copied to the clipboard.",
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
    tabs_label: "Kind of secret",
    tab_password: "Password",
    tab_phrase: "Passphrase",
    phrase_title: "Generate a passphrase",
    options: "Options",
    options_hint: "With any option set, the API v1 rules apply: lowercase and uppercase count separately and \
        the default special characters are the safe ones (no quotes, backslash or backtick).",
    letters: "Letters:",
    letters_both: "Lowercase and uppercase",
    letters_lower: "Lowercase only",
    letters_upper: "Uppercase only",
    letters_none: "No letters",
    minimums: "Minimum of each kind (empty: 1 when enabled)",
    min_lowercase: "Lowercase",
    min_uppercase: "Uppercase",
    min_digits: "Digits",
    min_symbols: "Special",
    exclude_ambiguous: "Exclude look-alikes",
    exclude: "Also exclude:",
    symbol_set: "Allowed special characters:",
    strength: "Strength:",
    impossible: "impossible combination",
    words: "Number of words:",
    separator: "Separator:",
    capitalize: "Capitalize words",
    include_number: "Include a number",
    generated_phrase: "Generated passphrase:",
    phrase_note: "Words from the EFF large wordlist, drawn by the cryptographic generator.",
    weak: "weak",
    fair: "fair",
    strong: "strong",
    very_strong: "very strong",
};

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    lang: &'static str,
    /// `?lang=` of this page, kept by the forms, the tabs and the refresh link.
    lang_query: &'static str,
    t: &'static Texts,
    version: &'static str,
    /// The passphrase tab is the one shown.
    phrase_tab: bool,
    length: i64,
    digits: bool,
    punctuation: bool,
    /// The options panel as posted (re-rendered as typed), and whether it starts open.
    options: OptionsView,
    options_open: bool,
    password_meter: MeterView,
    phrase: PhraseForm,
    phrase_meter: MeterView,
    safe_symbols: &'static str,
    ambiguous: String,
    /// The secret just generated (password or passphrase).
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

/// The letters choice of the options panel (`letras`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Letters {
    Both,
    LowercaseOnly,
    UppercaseOnly,
    None,
}

impl Letters {
    fn parse(value: &str) -> Result<Self, ApiError> {
        match value {
            "ambas" => Ok(Letters::Both),
            "minusculas" => Ok(Letters::LowercaseOnly),
            "maiusculas" => Ok(Letters::UppercaseOnly),
            "nenhuma" => Ok(Letters::None),
            _ => Err(ApiError::InvalidFormField("letras")),
        }
    }

    fn value(self) -> &'static str {
        match self {
            Letters::Both => "ambas",
            Letters::LowercaseOnly => "minusculas",
            Letters::UppercaseOnly => "maiusculas",
            Letters::None => "nenhuma",
        }
    }
}

/// Longest `excluir` / `simbolos` accepted, in characters (the inputs have the same `maxlength`).
const MAX_OPTION_TEXT: usize = 256;

/// The options panel as posted. Every field is optional and an empty value counts as absent (browsers send
/// empty inputs): with none set, `POST /` keeps the legacy policy; with any set, the v1 policy applies, its
/// digits and symbols classes switched by the simple form's two checkboxes.
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
}

/// The passphrase tab's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhraseForm {
    pub words: i64,
    pub separator: String,
    pub capitalize: bool,
    pub include_number: bool,
}

impl Default for PhraseForm {
    fn default() -> Self {
        Self {
            words: DEFAULT_WORDS,
            separator: DEFAULT_SEPARATOR.to_owned(),
            capitalize: false,
            include_number: false,
        }
    }
}

impl PhraseForm {
    pub fn policy(&self) -> Result<PassphrasePolicy, ApiError> {
        PassphrasePolicy::new(
            self.words,
            &self.separator,
            self.capitalize,
            self.include_number,
        )
        .map_err(ApiError::Policy)
    }
}

/// What a page post asks for: a password (legacy fields plus the optional options panel) or, with
/// `modo=frase`, a passphrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRequest {
    Password(FormRequest, OptionsForm),
    Passphrase(PhraseForm),
}

fn option_integer(
    value: &str,
    field: &'static str,
    min: usize,
    max: usize,
) -> Result<usize, ApiError> {
    parse_digits(value.trim())
        .and_then(|v| usize::try_from(v).ok())
        .filter(|v| (min..=max).contains(v))
        .ok_or(ApiError::InvalidInteger { field, min, max })
}

fn option_text(value: &str, field: &'static str) -> Result<String, ApiError> {
    if value.chars().count() > MAX_OPTION_TEXT {
        return Err(ApiError::InvalidFormField(field));
    }
    Ok(value.to_owned())
}

/// The whole page form: [`parse_form`] for the legacy fields, then the options panel or the passphrase tab.
/// Unknown fields are ignored; a known field repeated is an error; an empty option counts as absent. Every
/// known field is checked in both modes (the page never mixes them; a client that does gets a clear 422
/// rather than a value silently ignored), the rules across fields only in the mode that uses them.
pub fn parse_page_form(pairs: &[(String, String)]) -> Result<PageRequest, ApiError> {
    let mut mode = None;
    for (name, value) in pairs {
        if name == "modo" {
            let phrase = match value.as_str() {
                "senha" => false,
                "frase" => true,
                _ => return Err(ApiError::InvalidFormField("modo")),
            };
            set_once(&mut mode, phrase, "modo")?;
        }
    }
    let form = parse_form(pairs)?;
    let phrase = parse_phrase_form(pairs)?;
    let mut options = OptionsForm::default();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in pairs {
        let field: &'static str = match name.as_str() {
            "letras" => "letras",
            "min_minusculas" => "min_minusculas",
            "min_maiusculas" => "min_maiusculas",
            "min_numeros" => "min_numeros",
            "min_especiais" => "min_especiais",
            "excluir_parecidos" => "excluir_parecidos",
            "excluir" => "excluir",
            "simbolos" => "simbolos",
            _ => continue,
        };
        if seen.contains(&field) {
            return Err(ApiError::DuplicateFormField(field));
        }
        seen.push(field);
        if value.is_empty() {
            continue;
        }
        let min = |v: &str| option_integer(v, field, 0, MAX_LENGTH).map(Some);
        match field {
            "letras" => options.letters = Some(Letters::parse(value)?),
            "min_minusculas" => options.min_lowercase = min(value)?,
            "min_maiusculas" => options.min_uppercase = min(value)?,
            "min_numeros" => options.min_digits = min(value)?,
            "min_especiais" => options.min_symbols = min(value)?,
            "excluir_parecidos" => options.exclude_ambiguous = checkbox(value, field)?,
            "excluir" => options.exclude = Some(option_text(value, field)?),
            _ => {
                let set = option_text(value, field)?;
                // Checked here too so a passphrase post with a bad set is refused (every field is checked).
                crate::generator::policy::check_symbol_set(&set).map_err(ApiError::Policy)?;
                options.symbol_set = Some(set);
            }
        }
    }
    if mode == Some(true) {
        phrase.policy()?;
        return Ok(PageRequest::Passphrase(phrase));
    }
    Ok(PageRequest::Password(form, options))
}

/// The passphrase fields, checked one by one; [`PhraseForm::policy`] checks the separator's characters.
fn parse_phrase_form(pairs: &[(String, String)]) -> Result<PhraseForm, ApiError> {
    let mut words = None;
    let mut separator = None;
    let mut capitalize = None;
    let mut include_number = None;
    for (name, value) in pairs {
        match name.as_str() {
            "palavras" => set_once(
                &mut words,
                option_integer(value, "palavras", MIN_WORDS, MAX_WORDS)? as i64,
                "palavras",
            )?,
            // An empty separator is a real choice (words glued together); absent means the default.
            "separador" => set_once(&mut separator, value.clone(), "separador")?,
            "capitalizar" => set_once(
                &mut capitalize,
                checkbox(value, "capitalizar")?,
                "capitalizar",
            )?,
            "incluir_numero" => set_once(
                &mut include_number,
                checkbox(value, "incluir_numero")?,
                "incluir_numero",
            )?,
            _ => {}
        }
    }
    let separator = separator.unwrap_or_else(|| DEFAULT_SEPARATOR.to_owned());
    // Checked in both modes, like every known field.
    crate::generator::passphrase::check_separator(&separator).map_err(ApiError::Policy)?;
    Ok(PhraseForm {
        words: words.unwrap_or(DEFAULT_WORDS),
        separator,
        capitalize: capitalize.unwrap_or(false),
        include_number: include_number.unwrap_or(false),
    })
}

/// The options panel's inputs as the page re-renders them.
#[derive(Debug, Default)]
struct OptionsView {
    letters: &'static str,
    min_lowercase: String,
    min_uppercase: String,
    min_digits: String,
    min_symbols: String,
    exclude_ambiguous: bool,
    exclude: String,
    symbol_set: String,
}

impl From<&OptionsForm> for OptionsView {
    fn from(o: &OptionsForm) -> Self {
        let n = |v: Option<usize>| v.map(|v| v.to_string()).unwrap_or_default();
        Self {
            letters: o.letters.map_or("", Letters::value),
            min_lowercase: n(o.min_lowercase),
            min_uppercase: n(o.min_uppercase),
            min_digits: n(o.min_digits),
            min_symbols: n(o.min_symbols),
            exclude_ambiguous: o.exclude_ambiguous,
            exclude: o.exclude.clone().unwrap_or_default(),
            symbol_set: o.symbol_set.clone().unwrap_or_default(),
        }
    }
}

/// The strength meter as rendered by the server; `assets/app.js` recomputes it by the same rules as the
/// options change. `None` bits: no secret satisfies the policy.
#[derive(Debug)]
struct MeterView {
    /// Rounded to one decimal, with a dot (the `<meter>` value).
    value: String,
    /// What the page shows and screen readers read: strength word and bits.
    text: String,
    /// `weak`, `fair`, `strong`, `very_strong` or `impossible` (CSS hook).
    level: &'static str,
}

impl MeterView {
    fn new(bits: Option<f64>, lang: Lang, t: &Texts) -> Self {
        let Some(bits) = bits.map(rounded) else {
            return Self {
                value: "0".into(),
                text: t.impossible.into(),
                level: "impossible",
            };
        };
        let strength = Strength::from_bits(bits);
        let word = match strength {
            Strength::Weak => t.weak,
            Strength::Fair => t.fair,
            Strength::Strong => t.strong,
            Strength::VeryStrong => t.very_strong,
        };
        let mut number = format!("{bits:.1}");
        if lang == Lang::Pt {
            number = number.replace('.', ",");
        }
        Self {
            value: format!("{bits:.1}"),
            text: format!("{word} · {number} bits"),
            level: strength.as_str(),
        }
    }
}

/// The entropy of what the password form describes: the legacy policy, or the v1 one when an option is set.
fn password_bits(form: FormRequest, options: &OptionsForm) -> Option<f64> {
    let policy = if options.is_set() {
        options.password_options(form).policy()
    } else {
        Policy::legacy(form.length, form.digits, form.punctuation)
    };
    policy.ok().map(|p| p.entropy_bits())
}

impl IndexPage {
    async fn new(
        app: &AppState,
        lang: Lang,
        form: FormRequest,
        options: &OptionsForm,
        phrase: PhraseForm,
    ) -> Self {
        let (history, history_unavailable) = match app.recent().await {
            Ok(history) => (history, false),
            Err(_) => (Vec::new(), true),
        };
        let t = match lang {
            Lang::Pt => &PT,
            Lang::En => &EN,
        };
        // The slider shows 8–64; the meter describes what the form will post, i.e. the clamped length.
        let length = form.length.clamp(CONTROL_MIN, CONTROL_MAX);
        let shown = FormRequest { length, ..form };
        let phrase_bits = phrase.policy().ok().map(|p| p.entropy_bits());
        Self {
            lang: lang.html_tag(),
            lang_query: lang.query_value(),
            t,
            version: env!("CARGO_PKG_VERSION"),
            phrase_tab: false,
            length,
            digits: form.digits,
            punctuation: form.punctuation,
            options: OptionsView::from(options),
            options_open: options.is_set(),
            password_meter: MeterView::new(password_bits(shown, options), lang, t),
            phrase_meter: MeterView::new(phrase_bits, lang, t),
            phrase,
            safe_symbols: std::str::from_utf8(SAFE_SYMBOLS).unwrap_or_default(),
            ambiguous: AMBIGUOUS
                .iter()
                .map(|&b| char::from(b).to_string())
                .collect::<Vec<_>>()
                .join(" "),
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

/// `?modo=frase` opens the passphrase tab (a plain link: no JavaScript needed).
fn phrase_tab_requested(uri: &Uri) -> bool {
    uri.query()
        .is_some_and(|q| q.split('&').any(|pair| pair == "modo=frase"))
}

/// The page: form with defaults and the history; `?modo=frase` shows the passphrase tab.
#[utoipa::path(get, path = "/", tag = "page",
    params(("modo" = Option<String>, Query, description = "`frase` shows the passphrase tab"),
        ("lang" = Option<String>, Query, description = "`en` or `pt`: the page's language, over Accept-Language")),
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn index(State(app): State<AppState>, lang: Lang, uri: Uri) -> Response {
    let mut page = IndexPage::new(
        &app,
        lang,
        PAGE_DEFAULTS,
        &OptionsForm::default(),
        PhraseForm::default(),
    )
    .await;
    page.phrase_tab = phrase_tab_requested(&uri);
    page.into_response_with(StatusCode::OK)
}

/// The form's fields as [`parse_page_form`] accepts them, for the OpenAPI document. Unknown fields are
/// ignored; a repeated known field is a 422. Rules across fields (minimums over the length, a minimum for a
/// disabled class, a class emptied by exclusions, a separator with letters) are 422s a schema cannot state.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the body; parsed by `parse_page_form`
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
    /// `senha` (default) or `frase`: a passphrase from the fields `palavras`, `separador`, `capitalizar`,
    /// `incluir_numero` instead of a password.
    #[schema(pattern = "^(senha|frase)$", nullable = false)]
    modo: Option<String>,
    /// Options panel (password mode; empty = absent; any set → the v1 policy, as `POST /api/v1/passwords`,
    /// with digits and symbols switched by the two checkboxes): `ambas` (default), `minusculas`,
    /// `maiusculas` or `nenhuma`.
    #[schema(pattern = "^(|ambas|minusculas|maiusculas|nenhuma)$", nullable = false)]
    letras: Option<String>,
    /// Minimum lowercase letters, 0–128 (empty: 1 when the class is on).
    #[schema(pattern = "^[ \\t\\r\\n]*[0-9]{0,9}[ \\t\\r\\n]*$", nullable = false)]
    min_minusculas: Option<String>,
    /// Minimum uppercase letters, 0–128.
    #[schema(pattern = "^[ \\t\\r\\n]*[0-9]{0,9}[ \\t\\r\\n]*$", nullable = false)]
    min_maiusculas: Option<String>,
    /// Minimum digits, 0–128.
    #[schema(pattern = "^[ \\t\\r\\n]*[0-9]{0,9}[ \\t\\r\\n]*$", nullable = false)]
    min_numeros: Option<String>,
    /// Minimum special characters, 0–128.
    #[schema(pattern = "^[ \\t\\r\\n]*[0-9]{0,9}[ \\t\\r\\n]*$", nullable = false)]
    min_especiais: Option<String>,
    /// Leave out `0 O o 1 l I |` (a checkbox: `on`).
    #[schema(pattern = "^(|on|true|1)$", nullable = false)]
    excluir_parecidos: Option<String>,
    /// Characters never to use.
    #[schema(max_length = 256, nullable = false)]
    excluir: Option<String>,
    /// The special characters to draw from (ASCII punctuation; empty: the safe set).
    #[schema(max_length = 256, pattern = "^[!-/:-@\\[-`{-~]*$", nullable = false)]
    simbolos: Option<String>,
    /// Passphrase: number of words, 3–20 (default 6).
    #[schema(
        pattern = "^[ \\t\\r\\n]*0{0,8}([3-9]|1[0-9]|20)[ \\t\\r\\n]*$",
        nullable = false
    )]
    palavras: Option<String>,
    /// Passphrase: separator, up to 5 printable characters, no letters (default `-`; empty glues the words).
    #[schema(max_length = 5, nullable = false)]
    separador: Option<String>,
    /// Passphrase: capitalise each word (a checkbox: `on`).
    #[schema(pattern = "^(on|true|1)$", nullable = false)]
    capitalizar: Option<String>,
    /// Passphrase: append a digit to one word (a checkbox: `on`).
    #[schema(pattern = "^(on|true|1)$", nullable = false)]
    incluir_numero: Option<String>,
}

/// Form post: generates, records, and renders the page with the secret; bad input re-renders with a message.
#[utoipa::path(post, path = "/", tag = "page",
    request_body(content = FormFields, content_type = "application/x-www-form-urlencoded",
        description = "Fields `tamanho` (4–128), `incluir_numeros=on`, `incluir_caracteres_especiais=on`; \
            the options panel's fields (any set → the v1 policy); `modo=frase` with the passphrase fields"),
    responses(
        (status = 200, description = "HTML page with the generated secret", content_type = "text/html"),
        (status = 413, description = "Body over 16 KiB", content_type = "text/html"),
        (status = 415, description = "Not a form post", content_type = "text/html"),
        (status = 422, description = "Invalid field or impossible policy; the page shows the message", content_type = "text/html"),
    ))]
pub async fn generate(State(app): State<AppState>, lang: Lang, request: Request) -> Response {
    let pairs = match read_form(request).await {
        Ok(pairs) => pairs,
        Err(e) => return error_page(&app, lang, e, false).await,
    };
    let parsed = match parse_page_form(&pairs) {
        Ok(parsed) => parsed,
        Err(e) => {
            let phrase = pairs.iter().any(|(n, v)| n == "modo" && v == "frase");
            return error_page(&app, lang, e, phrase).await;
        }
    };
    let (result, mut page) = match parsed {
        PageRequest::Passphrase(phrase) => {
            let result = match phrase.policy() {
                Ok(policy) => app.passphrase_and_record(&policy).await,
                Err(e) => Err(e),
            };
            // Read the history after the write, so the new secret is in the list as in the original.
            let mut page =
                IndexPage::new(&app, lang, PAGE_DEFAULTS, &OptionsForm::default(), phrase).await;
            page.phrase_tab = true;
            (result, page)
        }
        PageRequest::Password(form, options) => {
            let policy = if options.is_set() {
                options
                    .password_options(form)
                    .policy()
                    .map_err(ApiError::Policy)
            } else {
                Policy::legacy(form.length, form.digits, form.punctuation)
                    .map_err(|_| ApiError::Internal)
            };
            let result = match policy {
                Ok(policy) => {
                    app.generate_and_record(&policy, crate::metrics::Interface::Page)
                        .await
                }
                Err(e) => Err(e),
            };
            let page = IndexPage::new(&app, lang, form, &options, PhraseForm::default()).await;
            (result, page)
        }
    };
    let status = match result {
        Ok(secret) => {
            page.password = Some(secret);
            StatusCode::OK
        }
        Err(e) => {
            page.error = Some(e.message(lang));
            e.status()
        }
    };
    page.into_response_with(status)
}

/// The page with defaults and the message of `e`, on the tab the post came from.
async fn error_page(app: &AppState, lang: Lang, e: ApiError, phrase_tab: bool) -> Response {
    let mut page = IndexPage::new(
        app,
        lang,
        PAGE_DEFAULTS,
        &OptionsForm::default(),
        PhraseForm::default(),
    )
    .await;
    page.phrase_tab = phrase_tab;
    page.error = Some(e.message(lang));
    page.into_response_with(e.status())
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
