//! `rules` and `site` of `POST /api/v1/passwords`: which rules a request asks for, and which of its other fields
//! may come with them (docs/rules.md has the table). Beside `v1.rs` so the body's own file stays about fields.

use super::v1::{Length, PasswordsRequest};
use crate::generator::rules::{self, RulesError, RulesPolicy, sites};
use crate::http::error::ApiError;

/// A request's rules, from `rules` or from `site`.
pub struct RequestedRules {
    pub policy: RulesPolicy,
    /// The rules string followed (the site's, or the request's).
    pub text: String,
    /// `request` or `site:<domain of the table>`.
    pub source: String,
}

impl PasswordsRequest {
    /// `None` without `rules` and `site`. The class fields that would contradict the rules are refused
    /// (`rules_conflict`); `exclude_ambiguous` and `exclude` take characters out of every set.
    pub fn rules(&self) -> Result<Option<RequestedRules>, ApiError> {
        let (text, source) = match (&self.rules, &self.site) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => return Err(RulesError::SiteAndRules.into()),
            (Some(rules), None) => (rules.clone(), "request".to_owned()),
            (None, Some(site)) => match sites::lookup(&site.0) {
                Some((domain, rules)) => (rules.to_owned(), format!("site:{domain}")),
                None => {
                    let shown: String = site.0.chars().take(64).collect();
                    return Err(RulesError::UnknownSite(shown).into());
                }
            },
        };
        let conflicts = [
            ("lowercase", !self.lowercase),
            ("uppercase", !self.uppercase),
            ("digits", !self.digits),
            ("symbols", !self.symbols),
            ("min_lowercase", self.min_lowercase.is_some()),
            ("min_uppercase", self.min_uppercase.is_some()),
            ("min_digits", self.min_digits.is_some()),
            ("min_symbols", self.min_symbols.is_some()),
            ("symbol_set", self.symbol_set.is_some()),
            // The rules fix the alphabet and the length range; an entropy target would be a second length rule.
            ("min_entropy_bits", self.min_entropy_bits.is_some()),
        ];
        if let Some((field, _)) = conflicts.iter().find(|(_, set)| *set) {
            return Err(RulesError::Conflict(field).into());
        }
        let excluded = rules::excluded(self.exclude_ambiguous, &self.exclude.0);
        let policy = RulesPolicy::new(&text, excluded, self.length.map(Length::get))?;
        Ok(Some(RequestedRules {
            policy,
            text,
            source,
        }))
    }
}
