//! API v1: `POST /api/v1/passwords` and `POST /api/v1/passphrases`. English field names, every field optional,
//! unknown fields rejected (a typo like `lenght` should not silently give the default). Results are never
//! written to the history: the history belongs to the legacy page and API.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::body::JsonBody;
use super::error::{ErrorBody, Localized};
use super::input::v1::{PassphrasesRequest, PasswordsRequest};
use super::lang::Lang;
use crate::metrics::Interface;

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordsResponse {
    pub passwords: Vec<String>,
    /// `log2` of the number of passwords the policy allows (each equally likely), one decimal.
    #[schema(example = 101.2)]
    pub entropy_bits: f64,
    /// `weak` (< 40 bits), `fair` (< 64), `strong` (< 100), `very_strong` (≥ 100).
    #[schema(example = "very_strong")]
    pub strength: &'static str,
    /// With `rules` or `site` only: the rules string followed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        example = "minlength: 8; maxlength: 16; required: lower; required: upper; required: digit;"
    )]
    pub rules: Option<String>,
    /// With `rules` or `site` only: `request`, or `site:<domain>` (the table's entry that matched).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "site:apple.com")]
    pub rules_source: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PassphrasesResponse {
    pub passphrases: Vec<String>,
    #[schema(example = 77.5)]
    pub entropy_bits: f64,
    #[schema(example = "strong")]
    pub strength: &'static str,
}

/// Generates passwords from a policy (never recorded in the history).
#[utoipa::path(
    post, path = "/api/v1/passwords", tag = "v1",
    request_body(content = PasswordsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Passwords, uniformly random among all the policy allows", body = PasswordsResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Content type is not JSON", body = ErrorBody),
        (status = 422, description = "Invalid field or impossible policy; the code names the conflict \
            (`no_classes_enabled`, `minimums_exceed_length`, `class_emptied_by_exclusions`, \
            `minimum_for_disabled_class`, `invalid_symbol_set`, `too_much_work` (minimums that need the exact \
            counting sampler, for more passwords than fit ~1 ms of CPU: the message gives the count that fits), \
            `entropy_unreachable` (no length reaches `min_entropy_bits`: the message gives the most), \
            `entropy_below_target` (the `length` given is below `min_entropy_bits`), `invalid_length`, `invalid_integer`, \
            `invalid_flag`, `invalid_string`, `unknown_field`, `body_not_object`; with `rules` or `site`: \
            `invalid_rules`, `rules_too_long`, `rules_too_many_required`, `rules_length_conflict`, \
            `length_outside_rules`, `invalid_max_consecutive`, `required_set_empty`, `rules_no_characters`, \
            `required_lines_exceed_length`, `max_consecutive_unsatisfiable`, `rules_conflict`, `site_and_rules`, \
            `unknown_site`)", body = ErrorBody),
    )
)]
pub async fn passwords(
    State(app): State<AppState>,
    lang: Lang,
    JsonBody(request): JsonBody<PasswordsRequest>,
) -> Result<Json<PasswordsResponse>, Localized> {
    let fail = |e| Localized(e, lang);
    let count = request.count.as_usize();
    if let Some(rules) = request.rules().map_err(fail)? {
        // Counted once for all `count` passwords, and refused (`too_much_work`) before any work past the budget.
        let generated = app
            .service()
            .rules_passwords(&rules.policy, count, Interface::V1)
            .map_err(|e| fail(e.into()))?;
        return Ok(Json(PasswordsResponse {
            entropy_bits: generated.rounded_bits(),
            strength: generated.strength().as_str(),
            passwords: generated.secrets,
            rules: Some(rules.text),
            rules_source: Some(rules.source),
        }));
    }
    let policy = request.policy().map_err(fail)?;
    // Prepared once: the method, the counting table and the entropy serve all `count` passwords. A policy
    // whose counting work would pass the CPU budget is a 422 `too_much_work` before any is done.
    let generated = app
        .service()
        .passwords(&policy, count, Interface::V1)
        .map_err(|e| fail(e.into()))?;
    Ok(Json(PasswordsResponse {
        entropy_bits: generated.rounded_bits(),
        strength: generated.strength().as_str(),
        passwords: generated.secrets,
        rules: None,
        rules_source: None,
    }))
}

/// Generates passphrases from the EFF large wordlist or, with `language: "pt-BR"`, the BIP-39 Portuguese list
/// (never recorded in the history).
#[utoipa::path(
    post, path = "/api/v1/passphrases", tag = "v1",
    request_body(content = PassphrasesRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Passphrases", body = PassphrasesResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Content type is not JSON", body = ErrorBody),
        (status = 422, description = "Invalid field (`invalid_integer`, `invalid_separator`, `invalid_language`, \
            `invalid_flag`, `invalid_string`, `unknown_field`, `body_not_object`), or a target no word count reaches \
            (`entropy_unreachable`) or the `words` given fall short of (`entropy_below_target`)", body = ErrorBody),
    )
)]
pub async fn passphrases(
    State(app): State<AppState>,
    lang: Lang,
    JsonBody(request): JsonBody<PassphrasesRequest>,
) -> Result<Json<PassphrasesResponse>, Localized> {
    let fail = |e| Localized(e, lang);
    let policy = request.policy().map_err(fail)?;
    let generated = app
        .service()
        .passphrases(&policy, request.count.as_usize(), Interface::V1)
        .map_err(|e| fail(e.into()))?;
    Ok(Json(PassphrasesResponse {
        entropy_bits: generated.rounded_bits(),
        strength: generated.strength().as_str(),
        passphrases: generated.secrets,
    }))
}
