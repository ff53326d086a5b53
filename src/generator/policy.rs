//! Password policies: disjoint character classes, each with a minimum count, and a length. Counting the valid
//! strings exactly, and sampling uniformly among them.
//!
//! **Counting.** With classes of sizes `s_1..s_c` and minimums `m_1..m_c`, a valid string of length `L` has
//! `k_j >= m_j` characters of class `j` (`Σ k_j = L`), so the number of valid strings is
//! `N = Σ_k L!/(k_1!…k_c!) · Π s_j^k_j`. It is computed by dynamic programming over the classes:
//! `g_0(n) = [n = 0]`, `g_j(n) = Σ_{k=m_j..n} C(n,k) · s_j^k · g_{j−1}(n−k)` (choose the `k` positions of class
//! `j`, fill them, fill the rest with the earlier classes), `N = g_c(L)`. When every minimum is 0 or 1,
//! inclusion–exclusion gives the same number more cheaply: `N = Σ_{T ⊆ required} (−1)^|T| (S − Σ_{j∈T} s_j)^L`.
//! Both are exact big-integer computations and are tested equal to brute-force enumeration.
//!
//! **Sampling**, exact in every case; only the speed depends on the choice, made once per request
//! ([`Policy::prepare`]) from floating-point estimates of how often each method would succeed:
//! - *rejection*: draw every character uniformly from the whole alphabet, keep the string if it meets the
//!   minimums. Each candidate is uniform over all strings, so a kept one is uniform over the valid ones. Used
//!   when at least 1 candidate in 16 is valid — any minimums (the legacy policies; four classes with minimum 2
//!   at length 128 too: nearly every candidate qualifies).
//! - *counting*: draw the composition `(k_1..k_c)` with probability `C·Π s_j^k_j / N` (class by class, from
//!   the table above and a uniform big integer), then a uniformly random arrangement of the classes over the
//!   positions (Fisher–Yates over the multiset), then each character uniformly within its class. A given
//!   valid string has probability `[multinomial·Π s^k / N] · [1/multinomial] · [1/Π s^k] = 1/N`.
//! - *counting some classes, rejecting on the others*: the counting sampler over the classes whose minimums
//!   chance rarely meets, plus one part holding every other class's characters with no minimum, gives a
//!   string uniform among those meeting the counted minimums; it is kept if it meets the other minimums too:
//!   uniform over the valid strings, as for plain rejection. The fewest classes are counted that keep 1
//!   candidate in 16, so the table (the costly part: `(parts − 1)·L²/2` big-integer products) stays small.
//!
//! The table is built once per request and the weights of its last row are kept, so `count` passwords cost
//! one table and `count` cheap draws; the entropy of a policy with a minimum above 1 comes from the same
//! recurrence in floating point (within 10^-9 bits) instead of a second, exact table.

use std::sync::OnceLock;

use num_bigint::BigUint;
use rand::TryCryptoRng;

use super::sampling::Sampler;
use super::{
    AMBIGUOUS, DIGITS, GenerationError, LETTERS, LOWERCASE, MAX_LENGTH, MIN_LENGTH, PUNCTUATION,
    PolicyError, SAFE_SYMBOLS, UPPERCASE,
};

/// Which class a set of characters is, for error messages and options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClassKind {
    /// a–z A–Z as one class (the legacy policy).
    Letters,
    Lowercase,
    Uppercase,
    Digits,
    Symbols,
}

impl ClassKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClassKind::Letters => "letters",
            ClassKind::Lowercase => "lowercase",
            ClassKind::Uppercase => "uppercase",
            ClassKind::Digits => "digits",
            ClassKind::Symbols => "symbols",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    kind: ClassKind,
    chars: Vec<u8>,
    min: usize,
}

impl Class {
    pub fn kind(&self) -> ClassKind {
        self.kind
    }
    pub fn chars(&self) -> &[u8] {
        &self.chars
    }
    pub fn min(&self) -> usize {
        self.min
    }
}

/// A validated password policy: length within bounds, at least one class, classes disjoint and non-empty,
/// minimums that fit the length. An existing `Policy` is always satisfiable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    length: usize,
    classes: Vec<Class>,
}

/// One class of [`PasswordOptions`]: on/off and its minimum (default 1 when on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassOption {
    pub enabled: bool,
    pub min: Option<usize>,
}

impl ClassOption {
    pub const ON: ClassOption = ClassOption {
        enabled: true,
        min: None,
    };
}

/// What a user may ask for (API v1, CLI, the page's options). [`PasswordOptions::policy`] validates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordOptions {
    pub length: i64,
    pub lowercase: ClassOption,
    pub uppercase: ClassOption,
    pub digits: ClassOption,
    pub symbols: ClassOption,
    /// Drop `0 O o 1 l I |`.
    pub exclude_ambiguous: bool,
    /// Characters never to use.
    pub exclude: String,
    /// The symbols class; `None` is [`SAFE_SYMBOLS`]. ASCII punctuation only.
    pub symbol_set: Option<String>,
}

pub const DEFAULT_LENGTH: i64 = 16;

impl Default for PasswordOptions {
    fn default() -> Self {
        Self {
            length: DEFAULT_LENGTH,
            lowercase: ClassOption::ON,
            uppercase: ClassOption::ON,
            digits: ClassOption::ON,
            symbols: ClassOption::ON,
            exclude_ambiguous: false,
            exclude: String::new(),
            symbol_set: None,
        }
    }
}

/// The one check of a custom symbol set, wherever it comes from (API v1, page, CLI): ASCII punctuation only,
/// a subset of the printable characters of [`super::printable`] (no control, invisible or non-ASCII
/// character can get in), and single bytes, which the sampler relies on.
pub fn check_symbol_set(set: &str) -> Result<(), PolicyError> {
    match set.chars().find(|c| !c.is_ascii_punctuation()) {
        Some(c) => Err(PolicyError::InvalidSymbolSet(c)),
        None => Ok(()),
    }
}

fn check_length(length: i64) -> Result<usize, PolicyError> {
    usize::try_from(length)
        .ok()
        .filter(|l| (MIN_LENGTH..=MAX_LENGTH).contains(l))
        .ok_or(PolicyError::LengthOutOfRange(length))
}

impl PasswordOptions {
    /// The policy these options describe, or the first conflict found, in this order: length, symbol set,
    /// minimum for a disabled class, no class enabled, a class emptied by exclusions, minimums over the length.
    pub fn policy(&self) -> Result<Policy, PolicyError> {
        let length = check_length(self.length)?;
        let symbols: Vec<u8> = match &self.symbol_set {
            None => SAFE_SYMBOLS.to_vec(),
            Some(set) => {
                check_symbol_set(set)?;
                let mut out = Vec::new();
                for b in set.bytes() {
                    if !out.contains(&b) {
                        out.push(b);
                    }
                }
                out
            }
        };
        let excluded = |b: &u8| {
            (self.exclude_ambiguous && AMBIGUOUS.contains(b)) || self.exclude.as_bytes().contains(b)
        };
        let wanted = [
            (ClassKind::Lowercase, self.lowercase, LOWERCASE.to_vec()),
            (ClassKind::Uppercase, self.uppercase, UPPERCASE.to_vec()),
            (ClassKind::Digits, self.digits, DIGITS.to_vec()),
            (ClassKind::Symbols, self.symbols, symbols),
        ];
        let mut classes = Vec::new();
        for (kind, option, chars) in wanted {
            if !option.enabled {
                if option.min.is_some_and(|m| m > 0) {
                    return Err(PolicyError::MinimumForDisabledClass(kind));
                }
                continue;
            }
            let chars: Vec<u8> = chars.into_iter().filter(|b| !excluded(b)).collect();
            classes.push((kind, chars, option.min.unwrap_or(1)));
        }
        Policy::from_classes(length, classes)
    }
}

impl Policy {
    /// The original app's policy: letters always, digits and punctuation (all 32 characters) by flag; every
    /// included class required at least once.
    pub fn legacy(length: i64, digits: bool, punctuation: bool) -> Result<Self, PolicyError> {
        let length = check_length(length)?;
        let mut classes = vec![(ClassKind::Letters, LETTERS.to_vec(), 1)];
        if digits {
            classes.push((ClassKind::Digits, DIGITS.to_vec(), 1));
        }
        if punctuation {
            classes.push((ClassKind::Symbols, PUNCTUATION.to_vec(), 1));
        }
        Self::from_classes(length, classes)
    }

    /// Validates classes given as (kind, characters, minimum). Characters must be ASCII and the classes
    /// disjoint (true of every caller: letters, digits and punctuation never overlap).
    fn from_classes(
        length: usize,
        classes: Vec<(ClassKind, Vec<u8>, usize)>,
    ) -> Result<Self, PolicyError> {
        if classes.is_empty() {
            return Err(PolicyError::NoClasses);
        }
        if let Some((kind, _, _)) = classes.iter().find(|(_, chars, _)| chars.is_empty()) {
            return Err(PolicyError::ClassEmptied(*kind));
        }
        let required: usize = classes
            .iter()
            .fold(0usize, |sum, (_, _, min)| sum.saturating_add(*min));
        if required > length {
            return Err(PolicyError::MinimumsExceedLength { required, length });
        }
        Ok(Self {
            length,
            classes: classes
                .into_iter()
                .map(|(kind, chars, min)| Class { kind, chars, min })
                .collect(),
        })
    }

    pub fn length(&self) -> usize {
        self.length
    }

    pub fn classes(&self) -> &[Class] {
        &self.classes
    }

    /// The alphabet: the concatenation of the classes, in order.
    pub fn alphabet(&self) -> Vec<u8> {
        self.classes.iter().flat_map(|c| c.chars.clone()).collect()
    }

    /// The exact number of strings this policy allows. With a minimum above 1 this builds the whole counting
    /// table (thousands of big-integer products at length 128): request paths use [`Policy::entropy_bits`] or
    /// [`Prepared::entropy_bits`], which do not.
    pub fn count(&self) -> BigUint {
        if self.all_minimums_at_most_one() {
            self.count_by_inclusion_exclusion()
        } else {
            self.count_by_table()
        }
    }

    /// Entropy in bits of one password: `log2(count)`. Exact (from the big-integer count) when every minimum
    /// is at most 1; otherwise `L·log2(S) + log2(P)` with `P` the floating-point probability of a valid string
    /// (see [`Policy::probability_meeting`]): within 10^-9 bits, far below the 0.1 bit shown.
    pub fn entropy_bits(&self) -> f64 {
        if self.all_minimums_at_most_one() {
            super::entropy::log2(&self.count_by_inclusion_exclusion())
        } else {
            self.entropy_from_probability(self.probability_meeting(&self.minimums()))
        }
    }

    fn all_minimums_at_most_one(&self) -> bool {
        self.classes.iter().all(|c| c.min <= 1)
    }

    fn minimums(&self) -> Vec<usize> {
        self.classes.iter().map(|c| c.min).collect()
    }

    fn alphabet_len(&self) -> usize {
        self.classes.iter().map(|c| c.chars.len()).sum()
    }

    /// `log2(S^L · probability)`; should the probability ever be unusable, the exact count decides.
    fn entropy_from_probability(&self, probability: f64) -> f64 {
        if probability > 0.0 && probability.is_finite() {
            self.length as f64 * (self.alphabet_len() as f64).log2() + probability.log2()
        } else {
            super::entropy::log2(&self.count_by_table())
        }
    }

    /// The probability that `L` characters drawn uniformly from the whole alphabet hold at least `mins[j]`
    /// characters of each class `j`, in `f64`: the counting recurrence over probabilities,
    /// `p_0(n) = [n = 0]`, `p_j(n) = Σ_{k ≥ m_j} C(n,k) q_j^k p_{j−1}(n−k)` with `q_j = s_j / S`. Every term is
    /// positive (no cancellation), so the relative error stays within a few hundred ulps; no term underflows,
    /// each being at least `S^−L ≥ 94^−128 ≈ 10^−253`. The classes without a minimum form the first row
    /// (`q^n`) and only `n = L` of the last row is needed: `(classes with a minimum − 1) · L²/2` steps at most.
    fn probability_meeting(&self, mins: &[usize]) -> f64 {
        let l = self.length;
        let total = self.alphabet_len() as f64;
        let free: f64 = self
            .classes
            .iter()
            .zip(mins)
            .filter(|(_, m)| **m == 0)
            .map(|(c, _)| c.chars.len() as f64)
            .sum::<f64>()
            / total;
        let binomials = binomials_f64();
        let mut row: Vec<f64> = (0..=l).map(|n| free.powi(n as i32)).collect();
        let constrained: Vec<(f64, usize)> = self
            .classes
            .iter()
            .zip(mins)
            .filter(|(_, m)| **m > 0)
            .map(|(c, m)| (c.chars.len() as f64 / total, *m))
            .collect();
        for (i, &(q, min)) in constrained.iter().enumerate() {
            let powers: Vec<f64> = (0..=l).map(|k| q.powi(k as i32)).collect();
            let first = if i + 1 == constrained.len() { l } else { 0 };
            let mut next = vec![0.0; l + 1];
            for (n, slot) in next.iter_mut().enumerate().skip(first) {
                *slot = (min..=n)
                    .map(|k| binomials[n][k] * powers[k] * row[n - k])
                    .sum();
            }
            row = next;
        }
        row[l]
    }

    fn count_by_inclusion_exclusion(&self) -> BigUint {
        let total: usize = self.alphabet_len();
        let required: Vec<usize> = self
            .classes
            .iter()
            .filter(|c| c.min == 1)
            .map(|c| c.chars.len())
            .collect();
        let (mut plus, mut minus) = (BigUint::ZERO, BigUint::ZERO);
        for missing in 0u32..(1 << required.len()) {
            let absent: usize = (0..required.len())
                .filter(|i| missing & (1 << i) != 0)
                .map(|i| required[i])
                .sum();
            let term = BigUint::from(total - absent).pow(self.length as u32);
            if missing.count_ones() % 2 == 0 {
                plus += term;
            } else {
                minus += term;
            }
        }
        // plus >= minus: the difference is a count. Saturate rather than panic should that ever be violated.
        if plus >= minus {
            plus - minus
        } else {
            BigUint::ZERO
        }
    }

    fn count_by_table(&self) -> BigUint {
        Table::new(self.length, &self.parts_counting(ALL_CLASSES)).count()
    }

    /// Rejection is fast when every minimum is at most 1 and at least one candidate in 16 is valid. The
    /// acceptance rate is estimated in floating point: the choice of method never affects the distribution
    /// (every method is exact), only the speed.
    fn rejection_is_fast(&self) -> bool {
        if !self.all_minimums_at_most_one() {
            return false;
        }
        let total: usize = self.alphabet_len();
        let required: Vec<usize> = self
            .classes
            .iter()
            .filter(|c| c.min == 1)
            .map(|c| c.chars.len())
            .collect();
        let acceptance: f64 = (0u32..(1 << required.len()))
            .map(|missing| {
                let absent: usize = (0..required.len())
                    .filter(|i| missing & (1 << i) != 0)
                    .map(|i| required[i])
                    .sum();
                let sign = if missing.count_ones() % 2 == 0 {
                    1.0
                } else {
                    -1.0
                };
                sign * (1.0 - absent as f64 / total as f64).powi(self.length as i32)
            })
            .sum();
        acceptance >= MIN_ACCEPTANCE
    }

    /// Which classes the counting table must enforce so that rejection on the others keeps enough candidates
    /// ([`MIN_ACCEPTANCE`], [`MIN_ACCEPTANCE_WITH_MINIMUMS`]): none when plain rejection is fast enough, else the
    /// classes least likely to meet their minimum by chance, fewest first. Returns the method and `P` (see [`Policy::probability_meeting`])
    /// when it was computed. Costs at most `c + 2` runs of the floating-point recurrence.
    fn choose_method(&self) -> (Method, Option<f64>) {
        if self.rejection_is_fast() {
            return (Method::Rejection, None);
        }
        let mins = self.minimums();
        let valid = self.probability_meeting(&mins);
        // When the minimums leave little slack, the full table is small and nothing is ever rejected.
        let slack = self.length.saturating_sub(mins.iter().sum());
        if slack <= SMALL_SLACK {
            return (Method::Counting, Some(valid));
        }
        let only = |counted: &[usize]| -> Vec<usize> {
            (0..mins.len())
                .map(|j| if counted.contains(&j) { mins[j] } else { 0 })
                .collect()
        };
        // Hardness of a class: the probability that its own minimum is met by chance.
        let mut order: Vec<(usize, f64)> = (0..mins.len())
            .filter(|&j| mins[j] > 0)
            .map(|j| (j, self.probability_meeting(&only(&[j]))))
            .collect();
        order.sort_by(|a, b| a.1.total_cmp(&b.1));
        let order: Vec<usize> = order.into_iter().map(|(j, _)| j).collect();
        for counted in 0..order.len() {
            let relaxed = if counted == 0 {
                1.0
            } else {
                self.probability_meeting(&only(&order[..counted]))
            };
            // Acceptance of the rejection step: valid strings among those meeting the counted minimums.
            if relaxed > 0.0 && valid / relaxed >= MIN_ACCEPTANCE_WITH_MINIMUMS {
                let mask = order[..counted].iter().fold(0u8, |m, &j| m | (1 << j));
                let method = if mask == 0 {
                    Method::Rejection
                } else {
                    Method::CountingSome(mask)
                };
                return (method, Some(valid));
            }
        }
        (Method::Counting, Some(valid))
    }

    /// The parts sampling by counting works on: each counted class (bit `j` of `counted`) with its minimum,
    /// preceded by one part holding the characters of every other class, minimum 0 (drawn uniformly among
    /// them: those classes are unconstrained in the proposal).
    fn parts_counting(&self, counted: u8) -> Vec<Part> {
        let is_counted = |j: usize| counted & (1 << j) != 0;
        let free: Vec<u8> = self
            .classes
            .iter()
            .enumerate()
            .filter(|&(j, _)| !is_counted(j))
            .flat_map(|(_, c)| c.chars.iter().copied())
            .collect();
        let mut parts = Vec::with_capacity(self.classes.len() + 1);
        if !free.is_empty() {
            parts.push(Part {
                chars: free,
                min: 0,
            });
        }
        parts.extend(
            self.classes
                .iter()
                .enumerate()
                .filter(|&(j, _)| is_counted(j))
                .map(|(_, c)| Part {
                    chars: c.chars.clone(),
                    min: c.min,
                }),
        );
        parts
    }

    #[cfg(test)]
    fn is_satisfied_by(&self, password: &[u8]) -> bool {
        self.classes
            .iter()
            .all(|class| password.iter().filter(|c| class.chars.contains(c)).count() >= class.min)
    }

    /// Decides once how this policy's passwords are drawn (and builds the counting table if needed), so a
    /// request for many passwords pays for it once.
    pub fn prepare(&self) -> Prepared<'_> {
        let (method, probability) = self.choose_method();
        Prepared::new(self, method, probability)
    }

    /// [`Policy::prepare`] for a request of `count` passwords, refused with [`PolicyError::TooMuchWork`] when
    /// the counting sampler would cost more than [`WORK_BUDGET_NS`] of CPU: the table's big-integer products
    /// plus the per-character cost of counting draws, both estimated before any is done. Plain rejection is
    /// never refused (100 passwords of 128 cost about 1 ms).
    pub fn prepare_for(&self, count: usize) -> Result<Prepared<'_>, PolicyError> {
        let (method, probability) = self.choose_method();
        let counted = match method {
            Method::Rejection => return Ok(Prepared::new(self, method, probability)),
            Method::Counting => ALL_CLASSES,
            Method::CountingSome(mask) => mask,
        };
        let table = table_products(self.length, &self.parts_counting(counted)) * NS_PER_PRODUCT;
        let per_password = self.length * NS_PER_COUNTED_CHAR;
        if table.saturating_add(count.saturating_mul(per_password)) > WORK_BUDGET_NS {
            let max_count = WORK_BUDGET_NS.saturating_sub(table) / per_password.max(1);
            return Err(PolicyError::TooMuchWork { max_count });
        }
        Ok(Prepared::new(self, method, probability))
    }

    /// One password, uniformly among all the policy allows.
    pub fn generate<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Result<String, GenerationError> {
        self.prepare().generate(rng)
    }

    /// `n` independent passwords; the preparation is done once for all of them.
    pub fn generate_many<R: TryCryptoRng + ?Sized>(
        &self,
        n: usize,
        rng: &mut R,
    ) -> Result<Vec<String>, GenerationError> {
        self.prepare().generate_many(n, rng)
    }

    #[cfg(test)]
    pub(crate) fn generate_with<R: TryCryptoRng + ?Sized>(
        &self,
        method: Method,
        n: usize,
        rng: &mut R,
    ) -> Result<Vec<String>, GenerationError> {
        Prepared::new(self, method, None).generate_many(n, rng)
    }

    fn by_rejection<R: TryCryptoRng + ?Sized>(
        &self,
        sampler: &mut Sampler<'_, R>,
    ) -> Result<Vec<u8>, GenerationError> {
        // A uniform index into the classes laid end to end (the alphabet), resolved to its class: the class
        // of every character is known as it is drawn, so checking the minimums needs no search.
        let alphabet_len = self.alphabet_len();
        let mut password = vec![0u8; self.length];
        let mut per_class = vec![0usize; self.classes.len()];
        for _ in 0..MAX_ATTEMPTS {
            per_class.fill(0);
            for slot in password.iter_mut() {
                let mut index = sampler.below(alphabet_len)?;
                for (class, count) in self.classes.iter().zip(per_class.iter_mut()) {
                    match class.chars.get(index) {
                        Some(&c) => {
                            *slot = c;
                            *count += 1;
                            break;
                        }
                        None => index -= class.chars.len(),
                    }
                }
            }
            if self
                .classes
                .iter()
                .zip(&per_class)
                .all(|(class, &n)| n >= class.min)
            {
                return Ok(password);
            }
        }
        Err(GenerationError::Exhausted(MAX_ATTEMPTS))
    }
}

/// A policy ready to draw passwords: the method chosen and, for counting, the table built — once per request.
pub struct Prepared<'p> {
    policy: &'p Policy,
    plan: Plan,
    /// `P` of [`Policy::probability_meeting`] when the choice of method computed it.
    probability: Option<f64>,
}

enum Plan {
    /// Every character uniform over the alphabet, the whole string kept if it meets the minimums.
    Rejection,
    /// Uniform among the strings meeting the minimums of the counted classes (by counting, over `parts`),
    /// kept if it meets the others' minimums too (`rejecting`; with every class counted, always).
    Counting(Box<CountingPlan>),
}

struct CountingPlan {
    parts: Vec<Part>,
    table: Table,
    rejecting: bool,
    /// The class of each ASCII byte (`u8::MAX`: none), to check the minimums without a search.
    class_of: [u8; 128],
}

impl<'p> Prepared<'p> {
    fn new(policy: &'p Policy, method: Method, probability: Option<f64>) -> Self {
        let counted = match method {
            Method::Rejection => {
                return Self {
                    policy,
                    plan: Plan::Rejection,
                    probability,
                };
            }
            Method::Counting => ALL_CLASSES,
            Method::CountingSome(mask) => mask,
        };
        let parts = policy.parts_counting(counted);
        let table = Table::new(policy.length, &parts);
        let mut class_of = [u8::MAX; 128];
        for (j, class) in policy.classes.iter().enumerate() {
            for &c in &class.chars {
                if let Some(slot) = class_of.get_mut(usize::from(c)) {
                    *slot = j as u8;
                }
            }
        }
        let all = (0..policy.classes.len()).all(|j| counted & (1 << j) != 0);
        Self {
            policy,
            plan: Plan::Counting(Box::new(CountingPlan {
                parts,
                table,
                rejecting: !all,
                class_of,
            })),
            probability,
        }
    }

    /// Entropy of one password in bits: exact from the table when every class is counted, else as
    /// [`Policy::entropy_bits`] (reusing the probability the choice of method computed).
    pub fn entropy_bits(&self) -> f64 {
        match (&self.plan, self.probability) {
            (Plan::Counting(plan), _) if !plan.rejecting => {
                super::entropy::log2(&plan.table.count())
            }
            (_, Some(p)) if !self.policy.all_minimums_at_most_one() => {
                self.policy.entropy_from_probability(p)
            }
            _ => self.policy.entropy_bits(),
        }
    }

    pub fn generate<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Result<String, GenerationError> {
        let mut many = self.generate_many(1, rng)?;
        many.pop()
            .ok_or(GenerationError::Internal("no password generated"))
    }

    pub fn generate_many<R: TryCryptoRng + ?Sized>(
        &self,
        n: usize,
        rng: &mut R,
    ) -> Result<Vec<String>, GenerationError> {
        let mut sampler = Sampler::new(rng);
        (0..n)
            .map(|_| {
                let bytes = match &self.plan {
                    Plan::Rejection => self.policy.by_rejection(&mut sampler)?,
                    Plan::Counting(plan) => self.by_counting(plan, &mut sampler)?,
                };
                // Every byte comes from an ASCII class, so this conversion cannot fail; map it anyway.
                String::from_utf8(bytes).map_err(|_| GenerationError::Internal("non-ASCII class"))
            })
            .collect()
    }

    fn by_counting<R: TryCryptoRng + ?Sized>(
        &self,
        plan: &CountingPlan,
        sampler: &mut Sampler<'_, R>,
    ) -> Result<Vec<u8>, GenerationError> {
        let CountingPlan {
            parts,
            table,
            rejecting,
            class_of,
        } = plan;
        let rejecting = *rejecting;
        let attempts = if rejecting { MAX_ATTEMPTS } else { 1 };
        let mut per_class = vec![0usize; self.policy.classes.len()];
        for _ in 0..attempts {
            let password = draw_counting(self.policy.length, parts, table, sampler)?;
            if !rejecting {
                return Ok(password);
            }
            per_class.fill(0);
            for &b in &password {
                if let Some(count) = class_of
                    .get(usize::from(b))
                    .and_then(|&j| per_class.get_mut(usize::from(j)))
                {
                    *count += 1;
                }
            }
            if self
                .policy
                .classes
                .iter()
                .zip(&per_class)
                .all(|(class, &n)| n >= class.min)
            {
                return Ok(password);
            }
        }
        Err(GenerationError::Exhausted(MAX_ATTEMPTS))
    }
}

/// One string of `length`, uniform among those holding at least `min` characters of each part.
fn draw_counting<R: TryCryptoRng + ?Sized>(
    length: usize,
    parts: &[Part],
    table: &Table,
    sampler: &mut Sampler<'_, R>,
) -> Result<Vec<u8>, GenerationError> {
    let mut remaining = length;
    let mut counts = vec![0usize; parts.len()];
    // Last part first: how many of the `remaining` positions it takes, weighted by the number of
    // completions; the earlier parts then share what is left.
    for j in (0..parts.len()).rev() {
        let part = &parts[j];
        if j == 0 {
            // The first part takes whatever is left: nothing to draw (the earlier draws only chose
            // compositions whose completion by this part is possible, i.e. `remaining >= min`).
            if remaining < part.min {
                return Err(GenerationError::Internal("composition below a minimum"));
            }
            counts[0] = remaining;
            break;
        }
        let mut r = sampler.below_big(&table.g[j + 1][remaining])?;
        let mut chosen = None;
        for k in part.min..=remaining {
            let computed;
            let weight = if j + 1 == parts.len() {
                // remaining = length here: the weights were computed with the table.
                match table.last_weights.get(k - part.min) {
                    Some(w) => w,
                    None => break,
                }
            } else {
                computed = table.weight(j, remaining, k);
                &computed
            };
            if &r < weight {
                chosen = Some(k);
                break;
            }
            r -= weight;
        }
        let k = chosen.ok_or(GenerationError::Internal("composition not found"))?;
        counts[j] = k;
        remaining -= k;
    }
    let mut slots: Vec<usize> = counts
        .iter()
        .enumerate()
        .flat_map(|(j, &k)| std::iter::repeat_n(j, k))
        .collect();
    if slots.len() != length {
        return Err(GenerationError::Internal(
            "composition does not fill the length",
        ));
    }
    for i in (1..slots.len()).rev() {
        let j = sampler.below(i + 1)?;
        slots.swap(i, j);
    }
    slots
        .into_iter()
        .map(|j| {
            let chars = &parts[j].chars;
            Ok(chars[sampler.below(chars.len())?])
        })
        .collect()
}

/// Which exact sampler to use; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Rejection,
    /// Counting over every class.
    Counting,
    /// Counting over the classes of the bit mask, rejection on the others' minimums.
    CountingSome(u8),
}

const ALL_CLASSES: u8 = u8::MAX;

/// CPU budget of one request's counting work, and the costs it is estimated with: a product of the table
/// (numbers of up to ~840 bits), and one character drawn by counting (composition, shuffle, character; the
/// rejection sampler's is about half). Measured on a release build of this machine kind: 0.5 µs per product,
/// 19 µs per password of 128 characters.
pub const WORK_BUDGET_NS: usize = 1_000_000;
const NS_PER_PRODUCT: usize = 500;
const NS_PER_COUNTED_CHAR: usize = 150;

/// How many big-integer products [`Table::new`] computes for `parts` (the weights whose rest is not zero),
/// known before building it.
fn table_products(length: usize, parts: &[Part]) -> usize {
    let mut before = 0;
    let mut room_after: usize = parts.iter().map(|p| p.min).sum();
    let mut products = 0usize;
    for (j, part) in parts.iter().enumerate() {
        room_after -= part.min;
        let top = length.saturating_sub(room_after);
        if j + 1 == parts.len() {
            products += (length + 1).saturating_sub(before + part.min);
        } else if j > 0 {
            products += (before + part.min..=top)
                .map(|n| n + 1 - before - part.min)
                .sum::<usize>();
        }
        before += part.min;
    }
    products
}

/// Slack (length minus the sum of the minimums) up to which counting every class is cheapest: a table row then
/// has at most `SMALL_SLACK²/2` non-zero products, and no candidate is rejected.
const SMALL_SLACK: usize = 32;

/// Plain rejection for minimums of at most 1 (the legacy policies) is used when at least one candidate in 16 is
/// kept: its check is cheap and those policies never need the table.
const MIN_ACCEPTANCE: f64 = 1.0 / 16.0;

/// With larger minimums, rejection (plain, or on the classes not counted) is used only when at least one
/// candidate in 2 is kept: below that, counting one more class costs less than the rejected candidates (at
/// length 128 and 100 passwords, rejection at 1 in 16 cost 6 times the CPU of counting the hard class).
const MIN_ACCEPTANCE_WITH_MINIMUMS: f64 = 0.5;

/// With rejection only used when at least 1 candidate in 16 is valid, 10,000 consecutive rejections happen
/// with probability below (15/16)^10000 ≈ 10^-280: only a broken RNG gets here.
const MAX_ATTEMPTS: u32 = 10_000;

/// Characters and minimum of one part of the counting table: a class, or all the uncounted classes together.
#[derive(Debug, Clone)]
struct Part {
    chars: Vec<u8>,
    min: usize,
}

/// `C(n, k)` for `n <= MAX_LENGTH`, computed once: `C(128, 64) ≈ 2.4·10^37 < 2^128` fits a `u128`.
fn binomials() -> &'static [Vec<u128>] {
    static TABLE: OnceLock<Vec<Vec<u128>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows = vec![vec![0u128; MAX_LENGTH + 1]; MAX_LENGTH + 1];
        for n in 0..=MAX_LENGTH {
            rows[n][0] = 1;
            for k in 1..=n {
                rows[n][k] = rows[n - 1][k - 1] + if k < n { rows[n - 1][k] } else { 0 };
            }
        }
        rows
    })
}

fn binomials_f64() -> &'static [Vec<f64>] {
    static TABLE: OnceLock<Vec<Vec<f64>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        binomials()
            .iter()
            .map(|row| row.iter().map(|&c| c as f64).collect())
            .collect()
    })
}

/// The counting table `g[j][n]` (strings of length `n` over the first `j` parts meeting their minimums),
/// with the powers of each part size it is built from. Of the last row only `n = L` is computed, and its
/// weights are kept: every password's first draw uses them.
struct Table {
    binomials: &'static [Vec<u128>],
    /// `powers[j][k] = s_j^k`.
    powers: Vec<Vec<BigUint>>,
    g: Vec<Vec<BigUint>>,
    /// `last_weights[k − m] = weight(last, L, k)` for `k` from the last part's minimum `m` to `L`.
    last_weights: Vec<BigUint>,
    length: usize,
    /// Products computed, to check [`table_products`].
    #[cfg(test)]
    products: usize,
}

impl Table {
    fn new(length: usize, parts: &[Part]) -> Self {
        let l = length.min(MAX_LENGTH);
        let powers: Vec<Vec<BigUint>> = parts
            .iter()
            .map(|p| {
                let s = BigUint::from(p.chars.len());
                let mut row = Vec::with_capacity(l + 1);
                let mut power = BigUint::from(1u32);
                for _ in 0..=l {
                    row.push(power.clone());
                    power *= &s;
                }
                row
            })
            .collect();
        let mut table = Self {
            binomials: binomials(),
            powers,
            g: Vec::with_capacity(parts.len() + 1),
            last_weights: Vec::new(),
            length: l,
            #[cfg(test)]
            products: 0,
        };
        let mut first = vec![BigUint::ZERO; l + 1];
        first[0] = BigUint::from(1u32);
        table.g.push(first);
        // Row `j + 1` is only ever read for lengths the later parts' minimums leave room for: `n <= L − Σ_{i>j}
        // m_i` (the draw goes from the last part down). With large minimums this cuts the big-integer products
        // from `L²/2` per row to `slack²/2`.
        let mut room_after: usize = parts.iter().map(|p| p.min).sum();
        for (j, part) in parts.iter().enumerate() {
            room_after -= part.min;
            let top = l.saturating_sub(room_after);
            let mut row = vec![BigUint::ZERO; l + 1];
            if j + 1 == parts.len() {
                let weights: Vec<BigUint> = (part.min..=l)
                    .map(|k| table.build_weight(j, l, k))
                    .collect();
                row[l] = weights.iter().sum();
                table.last_weights = weights;
            } else if j == 0 {
                // Over the first part alone: `s^n` strings once its minimum is met.
                for (n, slot) in row.iter_mut().enumerate().take(top + 1).skip(part.min) {
                    *slot = table.powers[0][n].clone();
                }
            } else {
                for (n, slot) in row.iter_mut().enumerate().take(top + 1) {
                    *slot = (part.min..=n).map(|k| table.build_weight(j, n, k)).sum();
                }
            }
            table.g.push(row);
        }
        table
    }

    /// The number of strings of the full length over all the parts.
    fn count(&self) -> BigUint {
        self.g
            .last()
            .and_then(|row| row.get(self.length))
            .cloned()
            .unwrap_or(BigUint::ZERO)
    }

    /// Strings of length `n` over the first `j + 1` parts with exactly `k` characters of part `j`:
    /// `C(n,k) · s_j^k · g_j(n−k)`.
    fn weight(&self, j: usize, n: usize, k: usize) -> BigUint {
        let rest = &self.g[j][n - k];
        if rest.bits() == 0 {
            return BigUint::ZERO;
        }
        &self.powers[j][k] * rest * self.binomials[n][k]
    }

    /// [`Table::weight`] while building, counting the products in tests.
    fn build_weight(&mut self, j: usize, n: usize, k: usize) -> BigUint {
        #[cfg(test)]
        if self.g[j][n - k].bits() != 0 {
            self.products += 1;
        }
        self.weight(j, n, k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{SeedableRng, rngs::StdRng};
    use std::collections::HashMap;

    fn policy(length: usize, classes: &[(&[u8], usize)]) -> Policy {
        Policy::from_classes(
            length,
            classes
                .iter()
                .map(|(chars, min)| (ClassKind::Symbols, chars.to_vec(), *min))
                .collect(),
        )
        .unwrap()
    }

    /// Every string of the policy's length over its alphabet, kept when valid: the reference for counts.
    fn brute_force(policy: &Policy) -> Vec<Vec<u8>> {
        let alphabet = policy.alphabet();
        let mut out = Vec::new();
        let total = alphabet.len().pow(policy.length() as u32);
        for mut index in 0..total {
            let mut s = Vec::with_capacity(policy.length());
            for _ in 0..policy.length() {
                s.push(alphabet[index % alphabet.len()]);
                index /= alphabet.len();
            }
            if policy.is_satisfied_by(&s) {
                out.push(s);
            }
        }
        out
    }

    #[test]
    fn counts_match_brute_force_enumeration() {
        type Case = (usize, Vec<(&'static [u8], usize)>);
        let cases: Vec<Case> = vec![
            (4, vec![(b"ab", 1), (b"1", 1)]),
            (5, vec![(b"ab", 1), (b"12", 2), (b"#", 1)]),
            (6, vec![(b"abc", 0), (b"12", 3)]),
            (6, vec![(b"abc", 2), (b"12", 2), (b"#", 2)]),
            (4, vec![(b"abc", 4)]),
            (7, vec![(b"a", 1), (b"b", 1), (b"c", 1), (b"d", 1)]),
            (5, vec![(b"ab", 0), (b"1", 0)]),
            (6, vec![(b"abcd", 1), (b"12", 0), (b"#!", 3)]),
        ];
        for (length, classes) in cases {
            let p = policy(length, &classes);
            let expected = BigUint::from(brute_force(&p).len());
            assert_eq!(p.count_by_table(), expected, "table {length} {classes:?}");
            assert_eq!(p.count(), expected, "count {length} {classes:?}");
            if classes.iter().all(|(_, m)| *m <= 1) {
                assert_eq!(
                    p.count_by_inclusion_exclusion(),
                    expected,
                    "i-e {length} {classes:?}"
                );
            }
        }
    }

    #[test]
    fn both_counting_methods_agree_on_real_policies() {
        for length in [4usize, 16, 64, 128] {
            for legacy in [
                Policy::legacy(length as i64, true, true).unwrap(),
                Policy::legacy(length as i64, false, true).unwrap(),
                PasswordOptions {
                    length: length as i64,
                    ..PasswordOptions::default()
                }
                .policy()
                .unwrap(),
            ] {
                assert_eq!(
                    legacy.count_by_table(),
                    legacy.count_by_inclusion_exclusion()
                );
            }
        }
    }

    /// Samples `samples` passwords with `method` and checks every valid string of a tiny policy comes up
    /// with frequency 1/N within 6 standard deviations, and no invalid string at all.
    fn exact_distribution(
        p: &Policy,
        method: Method,
        rng: &mut impl TryCryptoRng,
        samples: usize,
    ) -> Result<(), String> {
        let valid = brute_force(p);
        let mut counts: HashMap<Vec<u8>, u64> = HashMap::new();
        for s in p
            .generate_with(method, samples, rng)
            .map_err(|e| e.to_string())?
        {
            *counts.entry(s.into_bytes()).or_default() += 1;
        }
        if counts.keys().any(|s| !valid.contains(s)) {
            return Err("an invalid string was generated".into());
        }
        let prob = 1.0 / valid.len() as f64;
        let expected = samples as f64 * prob;
        let sigma = (samples as f64 * prob * (1.0 - prob)).sqrt();
        for s in &valid {
            let observed = counts.get(s).copied().unwrap_or(0) as f64;
            if (observed - expected).abs() > 6.0 * sigma {
                return Err(format!(
                    "{:?}: observed {observed}, expected {expected:.1} ± {:.1}",
                    String::from_utf8_lossy(s),
                    6.0 * sigma
                ));
            }
        }
        Ok(())
    }

    #[test]
    fn every_valid_string_is_equally_likely_with_both_methods() {
        // Small enough to enumerate: 2 or 3 digits among 4 positions, letters elsewhere.
        let p = policy(4, &[(b"abc", 1), (b"12", 2)]);
        assert_eq!(
            brute_force(&p).len(),
            6 * 4 * 9 + 4 * 8 * 3,
            "C(4,2)·2²·3² + C(4,3)·2³·3"
        );
        let mut rng = StdRng::seed_from_u64(21);
        exact_distribution(&p, Method::Counting, &mut rng, 50_000).unwrap();
        exact_distribution(&p, Method::Rejection, &mut rng, 50_000).unwrap();
    }

    #[test]
    fn partial_counting_gives_every_valid_string_equally_likely() {
        // Counting on the digits' minimum, rejection on the letters' and the symbol's: still exactly 1/N.
        let p = policy(5, &[(b"ab", 1), (b"12", 2), (b"#", 1)]);
        let mut rng = StdRng::seed_from_u64(22);
        exact_distribution(&p, Method::CountingSome(0b010), &mut rng, 60_000).unwrap();
        exact_distribution(&p, Method::CountingSome(0b011), &mut rng, 60_000).unwrap();
    }

    #[test]
    fn the_exact_distribution_check_catches_a_biased_composition() {
        // Guard for the check above: a sampler that prefers strings with a symbol first must fail it.
        let p = policy(4, &[(b"abc", 1), (b"12", 2)]);
        let mut rng = StdRng::seed_from_u64(23);
        let valid = brute_force(&p);
        let mut counts: HashMap<Vec<u8>, u64> = HashMap::new();
        let samples = 50_000;
        for s in p
            .generate_with(Method::Counting, samples, &mut rng)
            .unwrap()
        {
            // Keep strings starting with a digit twice.
            let copies = if s.as_bytes()[0].is_ascii_digit() {
                2
            } else {
                1
            };
            *counts.entry(s.into_bytes()).or_default() += copies;
        }
        let total: u64 = counts.values().sum();
        let expected = total as f64 / valid.len() as f64;
        let sigma = expected.sqrt();
        assert!(
            valid.iter().any(
                |s| (counts.get(s).copied().unwrap_or(0) as f64 - expected).abs() > 6.0 * sigma
            ),
            "a biased sampler went unnoticed"
        );
    }

    /// The body of issue 13 (length 128, four classes with minimum 2, 100 passwords) took the counting path
    /// per request (9–13 ms); almost every uniform candidate meets those minimums, so rejection serves it.
    #[test]
    fn small_minimums_above_one_use_rejection() {
        let p = PasswordOptions {
            length: 128,
            lowercase: ClassOption {
                enabled: true,
                min: Some(2),
            },
            uppercase: ClassOption {
                enabled: true,
                min: Some(2),
            },
            digits: ClassOption {
                enabled: true,
                min: Some(2),
            },
            symbols: ClassOption {
                enabled: true,
                min: Some(2),
            },
            ..PasswordOptions::default()
        }
        .policy()
        .unwrap();
        assert_eq!(p.choose_method().0, Method::Rejection);
        let mut rng = StdRng::seed_from_u64(24);
        for s in p.prepare().generate_many(100, &mut rng).unwrap() {
            assert!(p.is_satisfied_by(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn one_hard_minimum_is_counted_and_the_rest_rejected() {
        // 25 digits of 128 where ~14 are expected: rejection alone would keep ~1 candidate in 500.
        let p = PasswordOptions {
            length: 128,
            digits: ClassOption {
                enabled: true,
                min: Some(25),
            },
            ..PasswordOptions::default()
        }
        .policy()
        .unwrap();
        assert_eq!(p.choose_method().0, Method::CountingSome(0b0100));
        let mut rng = StdRng::seed_from_u64(25);
        for s in p.prepare().generate_many(50, &mut rng).unwrap() {
            assert!(p.is_satisfied_by(s.as_bytes()), "{s}");
        }
        // Same exact distribution as counting every class, per character.
        let short = PasswordOptions {
            length: 12,
            digits: ClassOption {
                enabled: true,
                min: Some(4),
            },
            ..PasswordOptions::default()
        }
        .policy()
        .unwrap();
        frequencies_match(
            &short,
            Method::CountingSome(0b0100),
            &mut StdRng::seed_from_u64(26),
            15_000,
        )
        .unwrap();
    }

    #[test]
    fn costly_counting_requests_are_refused_with_the_count_that_fits() {
        let on = |min| ClassOption {
            enabled: true,
            min: Some(min),
        };
        // Two one-character classes with minimum 5: a wide table, refused for any count.
        let wide = PasswordOptions {
            length: 128,
            lowercase: on(5),
            uppercase: on(5),
            digits: on(5),
            symbols: on(5),
            exclude: "BCDEFGHIJKLMNOPQRSTUVWXYZ".into(),
            symbol_set: Some("!".into()),
            ..PasswordOptions::default()
        }
        .policy()
        .unwrap();
        assert!(matches!(
            wide.prepare_for(1),
            Err(PolicyError::TooMuchWork { max_count: 0 })
        ));
        // Four minimums of 30: a small table, but 100 counted passwords of 128 are over the budget.
        let tight = PasswordOptions {
            length: 128,
            lowercase: on(30),
            uppercase: on(30),
            digits: on(30),
            symbols: on(30),
            ..PasswordOptions::default()
        }
        .policy()
        .unwrap();
        let Err(PolicyError::TooMuchWork { max_count }) = tight.prepare_for(100) else {
            panic!("100 passwords accepted");
        };
        assert!((10..100).contains(&max_count), "{max_count}");
        assert!(tight.prepare_for(max_count).is_ok());
        assert!(tight.prepare_for(max_count + 1).is_err());
        // Rejection is never refused.
        let plain = PasswordOptions {
            length: 128,
            ..PasswordOptions::default()
        }
        .policy()
        .unwrap();
        assert!(plain.prepare_for(100).is_ok());
    }

    #[test]
    fn the_product_estimate_is_what_the_table_computes() {
        let on = |min| ClassOption {
            enabled: true,
            min: Some(min),
        };
        for mins in [
            [30, 30, 30, 30],
            [24, 24, 24, 24],
            [0, 5, 40, 2],
            [1, 1, 1, 1],
        ] {
            let p = PasswordOptions {
                length: 128,
                lowercase: on(mins[0]),
                uppercase: on(mins[1]),
                digits: on(mins[2]),
                symbols: on(mins[3]),
                ..PasswordOptions::default()
            }
            .policy()
            .unwrap();
            for counted in [ALL_CLASSES, 0b0100, 0b0110] {
                let parts = p.parts_counting(counted);
                let table = Table::new(128, &parts);
                assert_eq!(
                    table_products(128, &parts),
                    table.products,
                    "{mins:?} {counted:b}"
                );
            }
        }
    }

    #[test]
    fn floating_point_entropy_matches_the_exact_count() {
        let on = |min| ClassOption {
            enabled: true,
            min: Some(min),
        };
        for (length, mins) in [
            (128, [2, 2, 2, 2]),
            (128, [30, 30, 30, 30]),
            (128, [0, 0, 60, 0]),
            (64, [1, 5, 9, 3]),
            (12, [0, 0, 5, 4]),
            (128, [1, 1, 25, 1]),
        ] {
            let p = PasswordOptions {
                length,
                lowercase: on(mins[0]),
                uppercase: on(mins[1]),
                digits: on(mins[2]),
                symbols: on(mins[3]),
                ..PasswordOptions::default()
            }
            .policy()
            .unwrap();
            let exact = super::super::entropy::log2(&p.count_by_table());
            assert!(
                (p.entropy_bits() - exact).abs() < 1e-9,
                "{length} {mins:?}: {} vs {exact}",
                p.entropy_bits()
            );
            assert!((p.prepare().entropy_bits() - exact).abs() < 1e-9);
        }
    }

    /// Exact probability that one given position holds one given character of class `j`: fix it, and the
    /// other `L−1` positions must still meet the minimums, with one fewer needed from class `j`.
    fn exact_char_probability(p: &Policy, j: usize) -> f64 {
        let rest = Policy::from_classes(
            p.length() - 1,
            p.classes()
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let min = if i == j {
                        c.min.saturating_sub(1)
                    } else {
                        c.min
                    };
                    (c.kind, c.chars.clone(), min)
                })
                .collect(),
        )
        .unwrap();
        ratio(&rest.count(), &p.count())
    }

    fn ratio(a: &BigUint, b: &BigUint) -> f64 {
        (super::super::entropy::log2(a) - super::super::entropy::log2(b)).exp2()
    }

    /// Per-character counts over `samples` passwords against their exact expectations, 6 sigma per character.
    fn frequencies_match(
        p: &Policy,
        method: Method,
        rng: &mut impl TryCryptoRng,
        samples: usize,
    ) -> Result<(), String> {
        let mut counts: HashMap<u8, u64> = HashMap::new();
        for s in p
            .generate_with(method, samples, rng)
            .map_err(|e| e.to_string())?
        {
            for b in s.bytes() {
                *counts.entry(b).or_default() += 1;
            }
        }
        let trials = (samples * p.length()) as f64;
        let mut total_probability = 0.0;
        for (j, class) in p.classes().iter().enumerate() {
            let prob = exact_char_probability(p, j);
            total_probability += prob * class.chars.len() as f64;
            let sigma = (trials * prob * (1.0 - prob)).sqrt();
            for c in &class.chars {
                let observed = counts.get(c).copied().unwrap_or(0) as f64;
                if (observed - trials * prob).abs() > 6.0 * sigma {
                    return Err(format!(
                        "{:?}: observed {observed}, expected {:.1} ± {:.1}",
                        *c as char,
                        trials * prob,
                        6.0 * sigma
                    ));
                }
            }
        }
        if (total_probability - 1.0).abs() > 1e-9 {
            return Err(format!("probabilities sum to {total_probability}"));
        }
        Ok(())
    }

    fn large_minimums() -> Policy {
        PasswordOptions {
            length: 12,
            digits: ClassOption {
                enabled: true,
                min: Some(5),
            },
            symbols: ClassOption {
                enabled: true,
                min: Some(4),
            },
            ..PasswordOptions::default()
        }
        .policy()
        .unwrap()
    }

    #[test]
    fn large_minimums_use_counting_and_match_exact_frequencies() {
        let p = large_minimums();
        assert!(!p.rejection_is_fast());
        // A digit is far more likely than a letter here: 5 of 12 positions at least are digits.
        assert!(exact_char_probability(&p, 2) > 5.0 * exact_char_probability(&p, 0));
        frequencies_match(&p, Method::Counting, &mut StdRng::seed_from_u64(31), 8_000).unwrap();
    }

    #[test]
    fn default_policy_matches_exact_frequencies() {
        let p = PasswordOptions {
            length: 6,
            ..PasswordOptions::default()
        }
        .policy()
        .unwrap();
        assert!(p.rejection_is_fast());
        frequencies_match(
            &p,
            Method::Rejection,
            &mut StdRng::seed_from_u64(33),
            15_000,
        )
        .unwrap();
        frequencies_match(&p, Method::Counting, &mut StdRng::seed_from_u64(34), 15_000).unwrap();
    }

    /// Bytes `uniform % 200`: 0..55 twice as likely as the rest — the classic modulo bias.
    struct ModuloBiasedRng(StdRng);
    impl rand::TryRng for ModuloBiasedRng {
        type Error = std::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            self.0.try_next_u32()
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            self.0.try_next_u64()
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            self.0.try_fill_bytes(dst)?;
            dst.iter_mut().for_each(|b| *b %= 200);
            Ok(())
        }
    }
    impl TryCryptoRng for ModuloBiasedRng {}

    /// Exactly 8 symbols and 4 digits: many draws from the 28 symbols, where modulo bias shifts 4 of them by
    /// about 9%.
    fn symbols_heavy() -> Policy {
        PasswordOptions {
            length: 12,
            lowercase: ClassOption {
                enabled: false,
                min: None,
            },
            uppercase: ClassOption {
                enabled: false,
                min: None,
            },
            digits: ClassOption {
                enabled: true,
                min: Some(4),
            },
            symbols: ClassOption {
                enabled: true,
                min: Some(8),
            },
            ..PasswordOptions::default()
        }
        .policy()
        .unwrap()
    }

    #[test]
    fn a_biased_rng_fails_the_counting_frequency_check() {
        let p = symbols_heavy();
        assert!(!p.rejection_is_fast());
        frequencies_match(&p, Method::Counting, &mut StdRng::seed_from_u64(37), 30_000).unwrap();
        let result = frequencies_match(
            &p,
            Method::Counting,
            &mut ModuloBiasedRng(StdRng::seed_from_u64(35)),
            30_000,
        );
        assert!(
            result.is_err(),
            "the frequency check must catch modulo bias"
        );
    }

    #[test]
    fn huge_minimums_are_fast_and_exact_in_shape() {
        // Rejection would need ~10^40 tries here; counting needs one pass.
        let p = PasswordOptions {
            length: 128,
            lowercase: ClassOption {
                enabled: true,
                min: Some(30),
            },
            uppercase: ClassOption {
                enabled: true,
                min: Some(30),
            },
            digits: ClassOption {
                enabled: true,
                min: Some(30),
            },
            symbols: ClassOption {
                enabled: true,
                min: Some(30),
            },
            ..PasswordOptions::default()
        }
        .policy()
        .unwrap();
        let mut rng = StdRng::seed_from_u64(36);
        for _ in 0..3 {
            let s = p.generate(&mut rng).unwrap();
            assert_eq!(s.len(), 128);
            assert!(p.is_satisfied_by(s.as_bytes()), "{s}");
        }
    }

    /// Hand-computed counts and their entropies.
    #[test]
    fn exact_entropy_table() {
        let on = |min| ClassOption {
            enabled: true,
            min: Some(min),
        };
        let off = ClassOption {
            enabled: false,
            min: None,
        };
        let only = |length, lowercase, uppercase, digits, symbols| PasswordOptions {
            length,
            lowercase,
            uppercase,
            digits,
            symbols,
            ..PasswordOptions::default()
        };
        let cases: Vec<(Policy, u128, f64)> = vec![
            // 26^8 = 208827064576 → 8·log2(26)
            (
                only(8, on(1), off, off, off).policy().unwrap(),
                208_827_064_576,
                37.603_517_745_128_734,
            ),
            // digits only, no minimum: 10^10
            (
                only(10, off, off, on(0), off).policy().unwrap(),
                10_000_000_000,
                33.219_280_948_873_624,
            ),
            // legacy letters+digits, length 4: 62^4 − 52^4 − 10^4 = 14776336 − 7311616 − 10000
            (
                Policy::legacy(4, true, false).unwrap(),
                7_454_720,
                22.829_722_735_086_058,
            ),
            // legacy all classes, length 4: 94^4 − 42^4 − 84^4 − 62^4 + 32^4 + 10^4 + 52^4 − 0^4
            (
                Policy::legacy(4, true, true).unwrap(),
                78_074_896 - 3_111_696 - 49_787_136 - 14_776_336 + 1_048_576 + 10_000 + 7_311_616,
                24.161_919_165_427_25,
            ),
            // exactly 2 digits and 2 symbols of 4 (minimums fill the length): C(4,2)·10²·28² = 6·100·784
            (
                only(4, off, off, on(2), on(2)).policy().unwrap(),
                470_400,
                18.843_528_534_611_09,
            ),
            // 4 lowercase without look-alikes (o, l): 24^4
            (
                PasswordOptions {
                    exclude_ambiguous: true,
                    ..only(4, on(0), off, off, off)
                }
                .policy()
                .unwrap(),
                331_776,
                18.339_850_002_884_624,
            ),
        ];
        for (p, count, bits) in cases {
            assert_eq!(p.count(), BigUint::from(count), "{p:?}");
            assert_eq!(p.count_by_table(), BigUint::from(count), "{p:?}");
            assert!(
                (p.entropy_bits() - bits).abs() < 1e-9,
                "{p:?}: {}",
                p.entropy_bits()
            );
        }
        // 94^128 with every class required once: just under 128·log2(94) = 839.0069…
        let big = Policy::legacy(128, true, true).unwrap();
        let bits = big.entropy_bits();
        assert!(
            bits < 128.0 * 94f64.log2() && bits > 128.0 * 94f64.log2() - 1e-6,
            "{bits}"
        );
        // Passphrases: 6·log2(7776) = 77.548875…; with a digit, + log2(60).
        let phrase = super::super::PassphrasePolicy::new(6, "-", false, false).unwrap();
        assert!((phrase.entropy_bits() - 77.548_875_021_634_7).abs() < 1e-9);
        let phrase = super::super::PassphrasePolicy::new(6, "-", true, true).unwrap();
        assert!(
            (phrase.entropy_bits() - (77.548_875_021_634_7 + 5.906_890_595_608_519)).abs() < 1e-9
        );
    }

    /// Options drawn at random, mostly valid, sometimes impossible.
    fn options() -> impl Strategy<Value = PasswordOptions> {
        let class = (any::<bool>(), proptest::option::of(0usize..12))
            .prop_map(|(enabled, min)| ClassOption { enabled, min });
        (
            4i64..=128,
            [class.clone(), class.clone(), class.clone(), class],
            any::<bool>(),
            proptest::collection::vec(
                proptest::sample::select(b"abcdeXYZ0123!#$%&*".to_vec()),
                0..6,
            ),
            proptest::option::of(proptest::collection::vec(
                proptest::sample::select(b"!#$%&*+-=?@^_~".to_vec()),
                0..6,
            )),
        )
            .prop_map(
                |(
                    length,
                    [lowercase, uppercase, digits, symbols],
                    exclude_ambiguous,
                    exclude,
                    symbol_set,
                )| {
                    PasswordOptions {
                        length,
                        lowercase,
                        uppercase,
                        digits,
                        symbols,
                        exclude_ambiguous,
                        exclude: String::from_utf8(exclude).unwrap_or_default(),
                        symbol_set: symbol_set.map(|s| String::from_utf8(s).unwrap_or_default()),
                    }
                },
            )
    }

    /// The expected outcome, decided independently of `PasswordOptions::policy`.
    fn expected_error(o: &PasswordOptions) -> Option<PolicyError> {
        let classes = [
            (ClassKind::Lowercase, o.lowercase, LOWERCASE.to_vec()),
            (ClassKind::Uppercase, o.uppercase, UPPERCASE.to_vec()),
            (ClassKind::Digits, o.digits, DIGITS.to_vec()),
            (
                ClassKind::Symbols,
                o.symbols,
                o.symbol_set
                    .as_ref()
                    .map_or(SAFE_SYMBOLS.to_vec(), |s| s.as_bytes().to_vec()),
            ),
        ];
        if let Some((kind, _, _)) = classes
            .iter()
            .find(|(_, c, _)| !c.enabled && c.min.unwrap_or(0) > 0)
        {
            return Some(PolicyError::MinimumForDisabledClass(*kind));
        }
        let enabled: Vec<_> = classes.iter().filter(|(_, c, _)| c.enabled).collect();
        if enabled.is_empty() {
            return Some(PolicyError::NoClasses);
        }
        for (kind, _, chars) in &enabled {
            let left = chars
                .iter()
                .filter(|b| {
                    let ambiguous = o.exclude_ambiguous && AMBIGUOUS.contains(b);
                    !ambiguous && !o.exclude.as_bytes().contains(b)
                })
                .count();
            if left == 0 {
                return Some(PolicyError::ClassEmptied(*kind));
            }
        }
        let required: usize = enabled.iter().map(|(_, c, _)| c.min.unwrap_or(1)).sum();
        (required > o.length as usize).then_some(PolicyError::MinimumsExceedLength {
            required,
            length: o.length as usize,
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn valid_policies_hold_and_impossible_ones_are_typed_errors(o in options(), seed in any::<u64>()) {
            match (o.policy(), expected_error(&o)) {
                (Err(got), Some(want)) => prop_assert_eq!(got, want),
                (Err(got), None) => prop_assert!(false, "unexpected error {:?}", got),
                (Ok(p), Some(want)) => prop_assert!(false, "expected {:?}, got {:?}", want, p),
                (Ok(p), None) => {
                    let mut rng = StdRng::seed_from_u64(seed);
                    let s = p.generate(&mut rng).unwrap();
                    prop_assert_eq!(s.len(), o.length as usize);
                    for b in s.bytes() {
                        prop_assert!(p.alphabet().contains(&b));
                        prop_assert!(!o.exclude.as_bytes().contains(&b), "excluded {:?} in {}", b as char, s);
                        prop_assert!(!(o.exclude_ambiguous && AMBIGUOUS.contains(&b)), "ambiguous in {}", s);
                    }
                    let count_in = |set: &[u8]| s.bytes().filter(|b| set.contains(b)).count();
                    let symbols = o.symbol_set.clone().map_or(SAFE_SYMBOLS.to_vec(), String::into_bytes);
                    for (option, set) in [
                        (o.lowercase, LOWERCASE),
                        (o.uppercase, UPPERCASE),
                        (o.digits, DIGITS),
                        (o.symbols, symbols.as_slice()),
                    ] {
                        if option.enabled {
                            prop_assert!(count_in(set) >= option.min.unwrap_or(1), "{} {:?}", s, option);
                        } else {
                            prop_assert_eq!(count_in(set), 0, "{}", s);
                        }
                    }
                }
            }
        }

        #[test]
        fn counts_by_table_and_inclusion_exclusion_agree(length in 1usize..40, sizes in proptest::collection::vec(1usize..30, 1..5)) {
            let alphabet: Vec<u8> = (33u8..127).collect();
            let mut offset = 0;
            let mut classes = Vec::new();
            for s in &sizes {
                classes.push((ClassKind::Symbols, alphabet[offset..offset + s].to_vec(), 1));
                offset += s;
                if offset + 30 > alphabet.len() { break; }
            }
            if let Ok(p) = Policy::from_classes(length, classes) {
                prop_assert_eq!(p.count_by_table(), p.count_by_inclusion_exclusion());
            }
        }
    }
}
