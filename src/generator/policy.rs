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

use num_bigint::BigUint;
use rand::TryCryptoRng;

use super::sampling::Sampler;
use super::{
    AMBIGUOUS, DIGITS, GenerationError, LETTERS, LOWERCASE, MAX_LENGTH, MIN_LENGTH, PUNCTUATION,
    PolicyError, SAFE_SYMBOLS, UPPERCASE,
};

mod counting;
mod prepared;

pub use counting::WORK_BUDGET_NS;
use counting::*;
pub use prepared::Prepared;

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

#[cfg(test)]
mod tests;
