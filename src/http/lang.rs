//! Language negotiation: `?lang=` first, then the page's language cookie, then `Accept-Language`; pt-BR by
//! default.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use std::convert::Infallible;

use crate::generator::Language;

/// The cookie that keeps the page's language choice.
pub const LANG_COOKIE: &str = "giropops-idioma";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Pt,
    En,
}

impl Lang {
    /// The supported language with the highest `q` in `Accept-Language`; ties go to the first listed.
    pub fn negotiate(accept_language: &str) -> Self {
        let mut best: Option<(f32, Lang)> = None;
        for item in accept_language.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else if tag == "pt" || tag.starts_with("pt-") {
                Lang::Pt
            } else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(best_q, _)| q > best_q) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Pt, |(_, lang)| lang)
    }

    pub fn from_headers(headers: &HeaderMap) -> Self {
        headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::Pt, Lang::negotiate)
    }

    /// `?lang=en` / `?lang=pt` (the page's language switch, which needs no JavaScript) wins over the header.
    pub fn from_query(query: &str) -> Option<Self> {
        query
            .split('&')
            .filter_map(|pair| pair.strip_prefix("lang="))
            .find_map(Lang::from_value)
    }

    /// The language the page's switch chose, from the cookie `GET /?lang=` set.
    pub fn from_cookie(headers: &HeaderMap) -> Option<Self> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().strip_prefix(LANG_COOKIE)?.strip_prefix('='))
            .find_map(Lang::from_value)
    }

    fn from_value(value: &str) -> Option<Self> {
        match value {
            "en" => Some(Lang::En),
            "pt" | "pt-BR" => Some(Lang::Pt),
            _ => None,
        }
    }

    /// The cookie that remembers a language chosen by `?lang=` across links (a preference, not a secret: a
    /// year, readable by no script).
    pub fn cookie(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Lang::Pt => "giropops-idioma=pt; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax",
            Lang::En => "giropops-idioma=en; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax",
        })
    }

    /// The value of `?lang=` that selects this language.
    pub fn query_value(self) -> &'static str {
        match self {
            Lang::Pt => "pt",
            Lang::En => "en",
        }
    }

    /// The passphrase word list a page in this language offers first.
    pub fn passphrase_language(self) -> Language {
        match self {
            Lang::Pt => Language::PtBr,
            Lang::En => Language::En,
        }
    }

    pub fn html_tag(self) -> &'static str {
        match self {
            Lang::Pt => "pt-BR",
            Lang::En => "en",
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .uri
            .query()
            .and_then(Lang::from_query)
            .or_else(|| Lang::from_cookie(&parts.headers))
            .unwrap_or_else(|| Lang::from_headers(&parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_by_quality() {
        assert_eq!(Lang::negotiate(""), Lang::Pt);
        assert_eq!(Lang::negotiate("en"), Lang::En);
        assert_eq!(Lang::negotiate("en-US,en;q=0.9"), Lang::En);
        assert_eq!(Lang::negotiate("pt-BR,pt;q=0.9,en;q=0.8"), Lang::Pt);
        assert_eq!(Lang::negotiate("fr, en;q=0.5"), Lang::En);
        assert_eq!(Lang::negotiate("en;q=0.2, pt;q=0.8"), Lang::Pt);
        assert_eq!(Lang::negotiate("en;q=0"), Lang::Pt);
        assert_eq!(Lang::negotiate("de"), Lang::Pt);
    }

    #[test]
    fn query_switch() {
        assert_eq!(Lang::from_query("lang=en"), Some(Lang::En));
        assert_eq!(Lang::from_query("x=1&lang=pt"), Some(Lang::Pt));
        assert_eq!(Lang::from_query("lang=fr"), None);
        assert_eq!(Lang::from_query("language=en"), None);
    }

    #[test]
    fn cookie_choice() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::from_cookie(&h), None);
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; giropops-idioma=en"),
        );
        assert_eq!(Lang::from_cookie(&h), Some(Lang::En));
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("giropops-idiomas=en; giropops-idioma=fr"),
        );
        assert_eq!(Lang::from_cookie(&h), None);
        for lang in [Lang::Pt, Lang::En] {
            let set = lang.cookie();
            let pair = set
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default();
            let mut h = HeaderMap::new();
            h.append(header::COOKIE, HeaderValue::from_str(pair).unwrap());
            assert_eq!(Lang::from_cookie(&h), Some(lang), "{pair}");
        }
    }
}
