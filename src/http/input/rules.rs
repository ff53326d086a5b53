//! `rules` and `site`: which rules a request asks for, and which of its other fields may come with them
//! (docs/rules.md has the table). One resolution for `POST /api/v1/passwords` and the page's form (`regras`,
//! `site`), so both refuse the same things with the same codes. Beside `v1.rs` so the body's own file stays about
//! fields.

use super::v1::{Length, PasswordsRequest};
use crate::generator::rules::{self, RulesError, RulesFields, RulesPolicy, sites};
use crate::http::error::ApiError;

/// A request's rules, from `rules` or from `site`.
pub struct RequestedRules {
    pub policy: RulesPolicy,
    /// The rules string followed (the site's, or the request's).
    pub text: String,
    /// `request` or `site:<domain of the table>`.
    pub source: String,
}

/// What a request (API body or page form) says about rules, in its own field names.
pub struct RulesRequest<'a> {
    /// What the request calls `rules` and `site` (its refusals name them).
    pub names: RulesFields,
    pub rules: Option<&'a str>,
    pub site: Option<&'a str>,
    /// The request's fields that contradict rules, by the name the client sent, and whether each is set.
    pub conflicts: &'a [(&'static str, bool)],
    pub exclude_ambiguous: bool,
    pub exclude: &'a str,
    pub length: Option<i64>,
}

impl RulesRequest<'_> {
    /// `None` without `rules` and `site`. A set conflicting field is refused (`rules_conflict`, naming it);
    /// `exclude_ambiguous` and `exclude` take characters out of every set.
    pub fn resolve(&self) -> Result<Option<RequestedRules>, ApiError> {
        let (text, source) = match (self.rules, self.site) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => return Err(RulesError::SiteAndRules(self.names).into()),
            (Some(rules), None) => (rules.to_owned(), "request".to_owned()),
            (None, Some(site)) => match sites::lookup(site) {
                Some((domain, rules)) => (rules.to_owned(), format!("site:{domain}")),
                None => {
                    let shown: String = site.chars().take(64).collect();
                    return Err(RulesError::UnknownSite {
                        site: shown,
                        names: self.names,
                    }
                    .into());
                }
            },
        };
        if let Some((field, _)) = self.conflicts.iter().find(|(_, set)| *set) {
            return Err(RulesError::Conflict {
                field,
                names: self.names,
            }
            .into());
        }
        let excluded = rules::excluded(self.exclude_ambiguous, self.exclude);
        let policy = RulesPolicy::new(&text, excluded, self.length)?;
        Ok(Some(RequestedRules {
            policy,
            text,
            source,
        }))
    }
}

impl PasswordsRequest {
    /// `None` without `rules` and `site`. The class fields that would contradict the rules are refused
    /// (`rules_conflict`); `exclude_ambiguous` and `exclude` take characters out of every set.
    pub fn rules(&self) -> Result<Option<RequestedRules>, ApiError> {
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
        RulesRequest {
            names: RulesFields::API,
            rules: self.rules.as_deref(),
            site: self.site.as_ref().map(|s| s.0.as_str()),
            conflicts: &conflicts,
            exclude_ambiguous: self.exclude_ambiguous,
            exclude: &self.exclude.0,
            length: self.length.map(Length::get),
        }
        .resolve()
    }
}
