//! Passwords that follow a `passwordrules` string (Apple's format, WHATWG whatwg/html#3518): parse → alphabet
//! and constraints → exact count → uniform sample. Pure: no I/O, the RNG injected.
//!
//! - The alphabet is the union of the `required` and `allowed` sets (`ascii-printable` when the rules name no
//!   class, as the spec says); `unicode` is `ascii-printable`; the space is in no set unless a custom `[...]` set
//!   lists it (spaces break forms and shells); `exclude_ambiguous` / `exclude` remove characters from every set.
//! - A password has the chosen length, at least one character of each `required` line (lines may overlap), and
//!   no run of more than `max-consecutive` identical characters. Each such string is equally likely and
//!   `entropy_bits` is `log2` of their exact number ([`count`] explains the counting).
//! - Sampling: plain rejection (uniform characters, kept when every line and the run limit are met) when at
//!   least 1 candidate in 16 is kept; else, with a run limit, a uniform run-limited proposal by counting, kept
//!   when every line is met, when at least 1 in 2 is kept; otherwise counting with every line enforced. All
//!   three are exact (a kept candidate is uniform over the valid strings, the proposal being uniform over a
//!   superset); the choice only changes the speed.
//!
//! [`sites`] is the built-in table of known sites' rules.

mod count;
mod parse;
pub mod sites;
#[cfg(test)]
mod tests;

use num_bigint::BigUint;
use rand::TryCryptoRng;
use thiserror::Error;

use super::sampling::{ByteAlphabet, Sampler};
use super::{AMBIGUOUS, GenerationError, MAX_LENGTH, MIN_LENGTH, PolicyError};
use count::Counter;
pub use parse::{ASCII_PRINTABLE, CharSet, Parsed, SPACE, parse};

/// Longest `rules` string accepted, in bytes.
pub const MAX_RULES_BYTES: usize = 1024;
/// Most `required` lines accepted: inclusion–exclusion costs `2^lines` (8 is the most any known site has).
pub const MAX_REQUIRED_LINES: usize = 8;
/// Length when the request gives none, clamped into the rules' range.
pub const DEFAULT_RULES_LENGTH: usize = 20;

/// CPU cost model (the budget is `policy::counting::WORK_BUDGET_NS`). Measured with num-bigint 0.5 in a
/// release build on this machine kind, for counts of 64 to 840 bits (the size barely matters at these widths):
/// one inclusion–exclusion term (two big additions) ~80 ns; one candidate group of a position (its completion
/// count, the product by its members, the comparison) ~250 ns; one position's uniform big draw and the division
/// that picks the member ~800 ns; one row of a run table ~150 ns; one character of plain rejection ~30 ns.
const NS_PER_TERM: usize = 80;
const NS_PER_CANDIDATE: usize = 250;
const NS_PER_POSITION: usize = 800;
const NS_PER_TABLE_ROW: usize = 150;
const NS_PER_PLAIN_CHAR: usize = 30;

/// Rejection thresholds, as in `policy::counting`: plain candidates are cheap, run-limited ones cost a draw per
/// character.
const MIN_ACCEPTANCE_PLAIN: f64 = 1.0 / 16.0;
const MIN_ACCEPTANCE_RUNS: f64 = 0.5;
/// Below 1/2 (or 1/16) acceptance 10,000 rejections in a row have probability under 10^-280.
const MAX_ATTEMPTS: u32 = 10_000;

/// What is wrong with a `rules` string, a `site`, or their combination with a request.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RulesError {
    #[error("the rules are longer than {max} bytes", max = MAX_RULES_BYTES)]
    TooLong,
    #[error("the rules have {0} required lines, more than {max}", max = MAX_REQUIRED_LINES)]
    TooManyRequired(usize),
    #[error("the rules are not valid passwordrules syntax: at character {at}, expected {}", .error.expected())]
    Syntax { at: usize, error: SyntaxError },
    #[error(
        "the rules allow no length between {MIN_LENGTH} and {MAX_LENGTH} (minlength {min}, maxlength {max})"
    )]
    LengthConflict { min: u32, max: u32 },
    #[error("length {length} is outside the rules' range {min}..={max}")]
    LengthOutsideRules { length: i64, min: usize, max: usize },
    #[error("max-consecutive must be at least 1")]
    MaxConsecutiveZero,
    #[error("required line {0} has no character that may be generated")]
    RequiredSetEmpty(usize),
    #[error("the rules leave no character to generate")]
    NoCharacters,
    #[error("the rules have {required} required lines, more than the length {length} can hold")]
    RequiredExceedLength { required: usize, length: usize },
    #[error("no password of length {0} meets max-consecutive with these characters")]
    Unsatisfiable(usize),
    #[error(
        "these rules need more counting work than a request may do: at most {max_count} passwords of them per request (0: shorten the length or simplify the rules)"
    )]
    TooMuchWork { max_count: usize },
    #[error("field {field} cannot be combined with {} or {}", .names.rules, .names.site)]
    Conflict {
        field: &'static str,
        names: RulesFields,
    },
    #[error("send {} or {}, not both", .0.rules, .0.site)]
    SiteAndRules(RulesFields),
    #[error("no built-in rules for the site {site}: send them in the {} field", .names.rules)]
    UnknownSite { site: String, names: RulesFields },
}

/// What a request calls its rules and site fields, so that a refusal names the fields the client filled in:
/// the API's `rules` / `site`, the page form's `regras` / `site`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RulesFields {
    pub rules: &'static str,
    pub site: &'static str,
}

impl RulesFields {
    /// `POST /api/v1/passwords` (and the command line, which prints the API's refusals).
    pub const API: Self = Self {
        rules: "rules",
        site: "site",
    };
    /// The page's form (`POST /`).
    pub const FORM: Self = Self {
        rules: "regras",
        site: "site",
    };
}

/// Where the syntax broke: what was expected there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxError {
    Property,
    Colon,
    Number,
    Class,
    Semicolon,
    SetEnd,
}

impl SyntaxError {
    pub fn expected(self) -> &'static str {
        match self {
            SyntaxError::Property => {
                "a property (minlength, maxlength, max-consecutive, required, allowed)"
            }
            SyntaxError::Colon => "':' after the property",
            SyntaxError::Number => "a number",
            SyntaxError::Class => {
                "a class (upper, lower, digit, special, ascii-printable, unicode or [...])"
            }
            SyntaxError::Semicolon => "';' between properties",
            SyntaxError::SetEnd => "']' closing the set",
        }
    }
}

/// The characters `exclude_ambiguous` and `exclude` take out (only ASCII ever is generated).
pub fn excluded(ambiguous: bool, exclude: &str) -> CharSet {
    let mut set = 0;
    if ambiguous {
        set |= AMBIGUOUS.iter().fold(0, |s, &c| s | (1u128 << c));
    }
    for c in exclude.chars().filter(char::is_ascii) {
        set |= 1u128 << (c as u32);
    }
    set
}

/// Rules made concrete: the alphabet, the required lines, the run limit and the length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesPolicy {
    alphabet: Vec<u8>,
    lines: Vec<CharSet>,
    max_consecutive: Option<usize>,
    length: usize,
}

impl RulesPolicy {
    /// `text` read, `excluded` characters removed, and the length chosen: `length` if the rules allow it, else
    /// [`DEFAULT_RULES_LENGTH`] clamped into their range.
    pub fn new(text: &str, excluded: CharSet, length: Option<i64>) -> Result<Self, RulesError> {
        if text.len() > MAX_RULES_BYTES {
            return Err(RulesError::TooLong);
        }
        let parsed = parse(text)?;
        if parsed.required.len() > MAX_REQUIRED_LINES {
            return Err(RulesError::TooManyRequired(parsed.required.len()));
        }
        let (min, max) = length_range(&parsed)?;
        let length = match length {
            None => DEFAULT_RULES_LENGTH.clamp(min, max),
            Some(l) if l >= min as i64 && l <= max as i64 => l as usize,
            Some(l) => {
                return Err(RulesError::LengthOutsideRules {
                    length: l,
                    min,
                    max,
                });
            }
        };
        let max_consecutive = match parsed.max_consecutive {
            Some(0) => return Err(RulesError::MaxConsecutiveZero),
            Some(k) => Some(k as usize),
            None => None,
        };
        // The space only when a custom set lists it; then it stays in `special` and `ascii-printable` too.
        let drop = excluded | if parsed.space_listed { 0 } else { SPACE };
        let lines: Vec<CharSet> = parsed.required.iter().map(|&s| s & !drop).collect();
        if let Some(i) = lines.iter().position(|&s| s == 0) {
            return Err(RulesError::RequiredSetEmpty(i + 1));
        }
        let named = parsed
            .required
            .iter()
            .chain(&parsed.allowed)
            .fold(0, |a, &s| a | s);
        // Rules that name no class allow `ascii-printable` (the spec's default; 43 known sites only give lengths).
        let named = if parsed.required.is_empty() && parsed.allowed.is_empty() {
            ASCII_PRINTABLE
        } else {
            named
        };
        let alphabet: Vec<u8> = (0u8..128)
            .filter(|&c| (named & !drop) & (1 << c) != 0)
            .collect();
        if alphabet.is_empty() {
            return Err(RulesError::NoCharacters);
        }
        Ok(Self {
            alphabet,
            lines,
            max_consecutive,
            length,
        })
    }

    pub fn length(&self) -> usize {
        self.length
    }

    pub fn alphabet(&self) -> &[u8] {
        &self.alphabet
    }

    /// Whether `password` meets every rule (length, alphabet, each required line, runs).
    pub fn is_satisfied_by(&self, password: &[u8]) -> bool {
        password.len() == self.length
            && password.iter().all(|c| self.alphabet.contains(c))
            && self
                .lines
                .iter()
                .all(|&l| password.iter().any(|&c| c < 128 && l & (1u128 << c) != 0))
            && self
                .max_consecutive
                .is_none_or(|k| runs_within(password, k))
    }

    fn k(&self) -> usize {
        self.max_consecutive.unwrap_or(self.length).min(self.length)
    }

    fn runs_limited(&self) -> bool {
        self.k() < self.length
    }

    fn all_lines(&self) -> u32 {
        (1u32 << self.lines.len()) - 1
    }

    /// The exact number of passwords the rules allow at this length.
    pub fn count(&self) -> Result<BigUint, GenerationError> {
        let counter = Counter::new(
            &self.alphabet,
            &self.lines,
            self.all_lines(),
            self.length,
            self.k(),
        )?;
        Ok(counter.total().clone())
    }

    /// Counts, chooses the sampler, and refuses (before sampling) what would cost more than a request may:
    /// [`RulesError::TooMuchWork`] with the number of passwords that fit.
    pub fn prepare_for(&self, count: usize) -> Result<PreparedRules<'_>, PolicyError> {
        self.prepare_bounded(Some(count))
    }

    /// [`RulesPolicy::prepare_for`] with no CPU budget (the command line).
    pub fn prepare(&self) -> Result<PreparedRules<'_>, PolicyError> {
        self.prepare_bounded(None)
    }

    fn prepare_bounded(&self, count: Option<usize>) -> Result<PreparedRules<'_>, PolicyError> {
        let budget = super::policy::WORK_BUDGET_NS;
        let tables = self.distinct_sizes(self.all_lines());
        let setup = tables * (self.length + 1) * NS_PER_TABLE_ROW
            + (1usize << self.lines.len()) * NS_PER_CANDIDATE;
        if count.is_some() && setup > budget {
            return Err(RulesError::TooMuchWork { max_count: 0 }.into());
        }
        let full = Counter::new(
            &self.alphabet,
            &self.lines,
            self.all_lines(),
            self.length,
            self.k(),
        )
        .map_err(|_| PolicyError::Rules(RulesError::Unsatisfiable(self.length)))?;
        if full.total().bits() == 0 {
            return Err(PolicyError::Rules(self.why_empty()));
        }
        let proposal = Counter::new(&self.alphabet, &self.lines, 0, self.length, self.k())
            .map_err(|_| PolicyError::Rules(RulesError::Unsatisfiable(self.length)))?;
        let l = self.length;
        let any_string = BigUint::from(self.alphabet.len()).pow(l as u32);
        let plain = ratio(full.total(), &any_string);
        let acceptance = ratio(full.total(), proposal.total());
        let (method, per_password) = if plain >= MIN_ACCEPTANCE_PLAIN {
            (
                // Never refused: the alphabet is 1 to 128 ASCII characters by construction.
                Method::Plain(
                    ByteAlphabet::new(&self.alphabet)
                        .map_err(|_| PolicyError::Rules(RulesError::NoCharacters))?,
                ),
                (l as f64 * NS_PER_PLAIN_CHAR as f64 / plain) as usize,
            )
        } else if self.runs_limited() && acceptance >= MIN_ACCEPTANCE_RUNS {
            // Two candidates a position (another character, or the same one again), one term each.
            let per_char = 2 * (NS_PER_CANDIDATE + NS_PER_TERM) + NS_PER_POSITION;
            (
                Method::Proposal(proposal),
                (l as f64 * per_char as f64 / acceptance) as usize,
            )
        } else {
            // Estimate: every line open for the first few characters (all `2^lines` terms), then about one term
            // per candidate group.
            let candidates = full.groups() + 1;
            let lines = self.lines.len();
            let terms = candidates * (l + lines * (1usize << lines));
            (
                Method::Counting,
                l * (NS_PER_POSITION + candidates * NS_PER_CANDIDATE) + terms * NS_PER_TERM,
            )
        };
        if let Some(count) = count {
            let per_password = per_password.max(1);
            if setup.saturating_add(count.saturating_mul(per_password)) > budget {
                let max_count = budget.saturating_sub(setup) / per_password;
                return Err(RulesError::TooMuchWork { max_count }.into());
            }
        }
        Ok(PreparedRules {
            policy: self,
            method,
            full,
        })
    }

    /// Run tables the counter builds: one per distinct `|A \ ∪_T R|` over the subsets `T` of `lines`.
    fn distinct_sizes(&self, lines: u32) -> usize {
        let alphabet = self.alphabet.iter().fold(0u128, |a, &c| a | (1 << c));
        let mut sizes: Vec<u32> = (0u32..(1 << self.lines.len()))
            .filter(|t| t & !lines == 0)
            .map(|t| {
                let union = (0..self.lines.len())
                    .filter(|i| t & (1 << i) != 0)
                    .fold(0u128, |u, i| u | self.lines[i]);
                (alphabet & !union).count_ones()
            })
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes.len()
    }

    /// The conflict behind a count of zero (lines and alphabet are non-empty by construction).
    fn why_empty(&self) -> RulesError {
        if self.lines.len() > self.length {
            RulesError::RequiredExceedLength {
                required: self.lines.len(),
                length: self.length,
            }
        } else {
            RulesError::Unsatisfiable(self.length)
        }
    }
}

/// No run of more than `k` identical characters.
fn runs_within(password: &[u8], k: usize) -> bool {
    password.chunk_by(|a, b| a == b).all(|run| run.len() <= k)
}

fn length_range(parsed: &Parsed) -> Result<(usize, usize), RulesError> {
    let min = parsed
        .min_length
        .map_or(MIN_LENGTH, |m| m as usize)
        .max(MIN_LENGTH);
    let max = parsed
        .max_length
        .map_or(MAX_LENGTH, |m| m as usize)
        .min(MAX_LENGTH);
    if min > max {
        return Err(RulesError::LengthConflict {
            min: parsed.min_length.unwrap_or(MIN_LENGTH as u32),
            max: parsed.max_length.unwrap_or(MAX_LENGTH as u32),
        });
    }
    Ok((min, max))
}

/// `a / b` in floating point from the leading bits (enough to choose a method).
fn ratio(a: &BigUint, b: &BigUint) -> f64 {
    let log = super::entropy::log2(a) - super::entropy::log2(b);
    if b.bits() == 0 { 0.0 } else { log.exp2() }
}

enum Method {
    /// Uniform characters, kept when every line and the run limit are met.
    Plain(ByteAlphabet),
    /// Uniform run-limited strings by counting, kept when every line is met.
    Proposal(Counter),
    /// Counting with every line enforced: nothing is rejected.
    Counting,
}

/// Rules counted and a sampler chosen, for one request.
pub struct PreparedRules<'p> {
    policy: &'p RulesPolicy,
    method: Method,
    full: Counter,
}

impl PreparedRules<'_> {
    /// `log2` of the exact number of passwords the rules allow.
    pub fn entropy_bits(&self) -> f64 {
        super::entropy::log2(self.full.total())
    }

    pub fn generate_many<R: TryCryptoRng + ?Sized>(
        &self,
        n: usize,
        rng: &mut R,
    ) -> Result<Vec<String>, GenerationError> {
        let mut sampler = Sampler::new(rng);
        (0..n)
            .map(|_| {
                let bytes = self.one(&mut sampler)?;
                String::from_utf8(bytes).map_err(|_| GenerationError::Internal("non-ASCII rules"))
            })
            .collect()
    }

    fn one<R: TryCryptoRng + ?Sized>(
        &self,
        sampler: &mut Sampler<'_, R>,
    ) -> Result<Vec<u8>, GenerationError> {
        let policy = self.policy;
        // One pass builds the set of characters present; each line is then one AND (a line like `[f]` would
        // otherwise scan most of a 128-character candidate).
        let meets = |p: &[u8]| {
            let present = p.iter().fold(0u128, |set, &c| set | (1u128 << (c & 127)));
            policy.lines.iter().all(|&l| l & present != 0)
        };
        match &self.method {
            Method::Counting => self.full.draw(sampler),
            Method::Plain(alphabet) => {
                // One buffer for every attempt, filled in place: the worst accepted body draws ~20k characters.
                let mut candidate = vec![0u8; policy.length];
                for _ in 0..MAX_ATTEMPTS {
                    sampler.fill_from(&mut candidate, alphabet)?;
                    if meets(&candidate) && runs_within(&candidate, policy.k()) {
                        return Ok(candidate);
                    }
                }
                Err(GenerationError::Exhausted(MAX_ATTEMPTS))
            }
            Method::Proposal(proposal) => {
                for _ in 0..MAX_ATTEMPTS {
                    let candidate = proposal.draw(sampler)?;
                    if meets(&candidate) {
                        return Ok(candidate);
                    }
                }
                Err(GenerationError::Exhausted(MAX_ATTEMPTS))
            }
        }
    }

    /// The same rules drawn by another method (tests: every method must give the same distribution).
    #[cfg(test)]
    fn with_method(mut self, name: &str) -> Result<Self, GenerationError> {
        let p = self.policy;
        self.method = match name {
            "plain" => Method::Plain(ByteAlphabet::new(&p.alphabet)?),
            "proposal" => {
                Method::Proposal(Counter::new(&p.alphabet, &p.lines, 0, p.length, p.k())?)
            }
            _ => Method::Counting,
        };
        Ok(self)
    }

    #[cfg(test)]
    fn method_name(&self) -> &'static str {
        match self.method {
            Method::Plain(_) => "plain",
            Method::Proposal(_) => "proposal",
            Method::Counting => "counting",
        }
    }
}
