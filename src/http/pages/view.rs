//! What the page shows: the template's data, built from the form as posted and the history.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::super::AppState;
use super::super::error::ApiError;
use super::super::i18n::page::{Texts, texts};
use super::super::input::form::{FormRequest, Letters, OptionsForm, PhraseForm};
use super::super::lang::Lang;
use crate::generator::entropy::{Strength, rounded};
use crate::generator::rules::RulesError;
use crate::generator::{AMBIGUOUS, MAX_LENGTH, MIN_LENGTH, PolicyError, SAFE_SYMBOLS};
use crate::service::Visitor;

/// The page's length default; its number field and slider offer exactly what `POST /` accepts (4–128).
const CONTROL_DEFAULT: i64 = 16;

/// The form as a first visit shows it.
pub const PAGE_DEFAULTS: FormRequest = FormRequest {
    length: CONTROL_DEFAULT,
    digits: true,
    punctuation: true,
};

#[derive(Template)]
#[template(path = "index.html")]
pub struct IndexPage {
    lang: &'static str,
    /// `?lang=` of this page, kept by the forms, the tabs and the refresh link.
    lang_query: &'static str,
    t: &'static Texts,
    css_url: &'static str,
    js_url: &'static str,
    icon_url: &'static str,
    /// The passphrase tab is the one shown.
    pub phrase_tab: bool,
    /// As posted (a refused value is shown as typed).
    length: String,
    /// The length field's range: the server's own bounds.
    length_min: usize,
    length_max: usize,
    digits: bool,
    punctuation: bool,
    /// The options panel as posted (re-rendered as typed), and whether it starts open.
    options: OptionsView,
    options_open: bool,
    password_meter: MeterView,
    phrase: PhraseForm,
    /// The passphrase's word list as the select shows it: the one posted, else the page's (`pt-BR`, `en`).
    phrase_language: &'static str,
    phrase_meter: MeterView,
    safe_symbols: &'static str,
    /// The built-in site table (domain → rules) app.js fetches for the suggestions and the meter, on first use.
    sites_url: &'static str,
    ambiguous: String,
    /// The secret just generated (password or passphrase).
    pub password: Option<String>,
    /// The message of a refused post: beside its field when `error_field` names one on this tab (the field
    /// gets `aria-invalid`, `aria-describedby` and the focus), else in the general alert.
    error: Option<String>,
    error_field: Option<&'static str>,
    history: Vec<String>,
    history_enabled: bool,
    history_unavailable: bool,
    /// A private list the caller may empty (the "Limpar histórico" form); never in the shared scope.
    history_clearable: bool,
    /// The form is rendered for a private list even when it is empty, hidden: the page's script shows it once a
    /// secret generated in place fills the list.
    pub history_clearable_scope: bool,
}

/// The fields of each tab that can show their own error (their `id` is their name).
const PASSWORD_FIELDS: &[&str] = &[
    "tamanho",
    "site",
    "regras",
    "letras",
    "min_minusculas",
    "min_maiusculas",
    "min_numeros",
    "min_especiais",
    "excluir",
    "simbolos",
];
const PHRASE_FIELDS: &[&str] = &["palavras", "separador", "idioma"];

/// The form field `e` is about, by its wire name, when one field alone is wrong. Conflicts between fields
/// (minimums over the length, `site` with `regras`, a class switched off with its minimum) name none.
pub fn error_field(e: &ApiError) -> Option<&'static str> {
    match e {
        ApiError::InvalidLength { field, .. }
        | ApiError::InvalidInteger { field, .. }
        | ApiError::InvalidFlag(field)
        | ApiError::InvalidString(field)
        | ApiError::InvalidLanguage(field)
        | ApiError::InvalidFormField(field)
        | ApiError::DuplicateFormField(field) => Some(field),
        ApiError::Policy(e) => match e {
            PolicyError::LengthOutOfRange(_)
            | PolicyError::Rules(RulesError::LengthOutsideRules { .. }) => Some("tamanho"),
            PolicyError::WordsOutOfRange(_) => Some("palavras"),
            PolicyError::InvalidSeparator => Some("separador"),
            PolicyError::InvalidSymbolSet(_) => Some("simbolos"),
            PolicyError::ClassEmptied(_) => Some("excluir"),
            // The built-in table's rules all parse: these come from what was typed in `regras`.
            PolicyError::Rules(
                RulesError::TooLong
                | RulesError::TooManyRequired(_)
                | RulesError::Syntax { .. }
                | RulesError::LengthConflict { .. }
                | RulesError::MaxConsecutiveZero,
            ) => Some("regras"),
            PolicyError::Rules(RulesError::UnknownSite { .. }) => Some("site"),
            _ => None,
        },
        _ => None,
    }
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
    site: String,
    rules: String,
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
            site: o.site.clone().unwrap_or_default(),
            rules: o.rules.clone().unwrap_or_default(),
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

/// The entropy of what the password form describes: the rules of `site` / `regras`, else the legacy policy, or
/// the v1 one when an option is set. `None` where the post would be a 422 (`too_much_work` included).
fn password_bits(form: FormRequest, options: &OptionsForm) -> Option<f64> {
    match options.rules(form) {
        Ok(Some(rules)) => rules.policy.prepare_for(1).ok().map(|p| p.entropy_bits()),
        Ok(None) => options.policy(form).ok().map(|p| p.entropy_bits()),
        Err(_) => None,
    }
}

impl IndexPage {
    /// The page as `GET /` shows it: the default options on both tabs.
    pub async fn with_defaults(app: &AppState, lang: Lang, visitor: &Visitor) -> Self {
        Self::new(
            app,
            lang,
            visitor,
            PAGE_DEFAULTS,
            &OptionsForm::default(),
            PhraseForm::default(),
        )
        .await
    }

    pub async fn new(
        app: &AppState,
        lang: Lang,
        visitor: &Visitor,
        form: FormRequest,
        options: &OptionsForm,
        phrase: PhraseForm,
    ) -> Self {
        let (history, history_unavailable) = match app.service().recent(visitor).await {
            Ok(history) => (history, false),
            Err(_) => (Vec::new(), true),
        };
        let t = texts(lang);
        let length = form.length.to_string();
        let page_words = lang.passphrase_language();
        let phrase_bits = phrase.policy(page_words).ok().map(|p| p.entropy_bits());
        Self {
            lang: lang.html_tag(),
            lang_query: lang.query_value(),
            t,
            css_url: super::assets::asset_url("app.css"),
            js_url: super::assets::asset_url("app.js"),
            icon_url: super::assets::asset_url("favicon.svg"),
            phrase_tab: false,
            length,
            length_min: MIN_LENGTH,
            length_max: MAX_LENGTH,
            digits: form.digits,
            punctuation: form.punctuation,
            options: OptionsView::from(options),
            options_open: options.is_set(),
            password_meter: MeterView::new(password_bits(form, options), lang, t),
            phrase_meter: MeterView::new(phrase_bits, lang, t),
            phrase_language: phrase.language_or(page_words).tag(),
            phrase,
            sites_url: super::assets::site_table_url(),
            safe_symbols: std::str::from_utf8(SAFE_SYMBOLS).unwrap_or_default(),
            ambiguous: AMBIGUOUS
                .iter()
                .map(|&b| char::from(b).to_string())
                .collect::<Vec<_>>()
                .join(" "),
            password: None,
            error: None,
            error_field: None,
            history_enabled: app.service().history_enabled(),
            history_clearable: matches!(visitor, Visitor::Private(_)) && !history.is_empty(),
            history_clearable_scope: matches!(visitor, Visitor::Private(_)),
            history,
            history_unavailable,
        }
    }

    /// Shows `message`, beside `field` when this tab has it.
    pub fn set_error(&mut self, message: String, field: Option<&'static str>) {
        let fields = if self.phrase_tab {
            PHRASE_FIELDS
        } else {
            PASSWORD_FIELDS
        };
        self.error_field = field.filter(|f| fields.contains(f));
        // A field inside the closed options panel could not be seen nor focused.
        if self
            .error_field
            .is_some_and(|f| !matches!(f, "tamanho" | "palavras" | "separador" | "idioma"))
        {
            self.options_open = true;
        }
        self.error = Some(message);
    }

    /// The fields as typed, after a post the form type refused (the page was built from the defaults): the
    /// person corrects the one field in error rather than typing everything again.
    pub fn keep_typed(&mut self, pairs: &[(String, String)]) {
        let value = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let text = |name: &str| value(name).unwrap_or_default().to_owned();
        let checked = |name: &str| value(name).is_some_and(|v| !v.is_empty());
        if self.phrase_tab {
            if let Some(words) = value("palavras").and_then(|v| v.trim().parse().ok()) {
                self.phrase.words = words;
            }
            if let Some(separator) = value("separador") {
                self.phrase.separator = separator.to_owned();
            }
            self.phrase.capitalize = checked("capitalizar");
            self.phrase.include_number = checked("incluir_numero");
            self.phrase_language = match value("idioma") {
                Some("en") => "en",
                Some("pt-BR") => "pt-BR",
                _ => self.phrase_language,
            };
            return;
        }
        if let Some(length) = value("tamanho") {
            self.length = length.to_owned();
        }
        self.digits = checked("incluir_numeros");
        self.punctuation = checked("incluir_caracteres_especiais");
        self.options = OptionsView {
            letters: match value("letras") {
                Some("minusculas") => "minusculas",
                Some("maiusculas") => "maiusculas",
                Some("nenhuma") => "nenhuma",
                _ => "",
            },
            min_lowercase: text("min_minusculas"),
            min_uppercase: text("min_maiusculas"),
            min_digits: text("min_numeros"),
            min_symbols: text("min_especiais"),
            exclude_ambiguous: checked("excluir_parecidos"),
            exclude: text("excluir"),
            symbol_set: text("simbolos"),
            site: text("site"),
            rules: text("regras"),
        };
        let o = &self.options;
        self.options_open |= !o.letters.is_empty()
            || o.exclude_ambiguous
            || [
                &o.min_lowercase,
                &o.min_uppercase,
                &o.min_digits,
                &o.min_symbols,
            ]
            .into_iter()
            .chain([&o.exclude, &o.symbol_set, &o.site, &o.rules])
            .any(|v| !v.is_empty());
    }

    /// Whether `field` is the one in error (the template marks it and puts the message beside it).
    fn invalid(&self, field: &str) -> bool {
        self.error_field == Some(field)
    }

    /// The message for the general alert: an error no single field of this tab owns.
    fn general_error(&self) -> Option<&str> {
        self.error.as_deref().filter(|_| self.error_field.is_none())
    }

    /// The history as the page's script lists it after generating in place: `None` when the page shows no
    /// list (history off or unreachable).
    pub fn history_for_script(self) -> Option<Vec<String>> {
        (self.history_enabled && !self.history_unavailable).then_some(self.history)
    }

    /// The result's show and copy buttons: "senha" or "frase secreta" by the tab.
    fn show_label(&self) -> &'static str {
        if self.phrase_tab {
            self.t.show_phrase
        } else {
            self.t.show
        }
    }

    fn copy_label(&self) -> &'static str {
        if self.phrase_tab {
            self.t.copy_phrase
        } else {
            self.t.copy
        }
    }

    /// What the live region says once a new secret is on the page.
    fn announcement(&self) -> &'static str {
        if self.phrase_tab {
            self.t.new_phrase
        } else {
            self.t.new_password
        }
    }

    pub fn into_response_with(self, status: StatusCode) -> Response {
        match self.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "page template failed");
                ApiError::Internal.into_response_in(Lang::Pt)
            }
        }
    }
}
