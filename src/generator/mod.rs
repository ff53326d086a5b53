//! Secret generation: a policy in, a secret out. Pure logic; the RNG is injected so tests can drive it.
//!
//! - [`policy`]: passwords over disjoint character classes with minimum counts, sampled *exactly* uniformly
//!   over every string that satisfies the policy (the maximum-entropy choice), by rejection or by counting.
//! - [`passphrase`]: words from the EFF large wordlist or, in Portuguese, the BIP-39 list ([`language`]).
//! - [`passphrase`]: words from the EFF large wordlist.
//! - [`rules`]: passwords that follow a `passwordrules` string or a known site's rules, exactly uniform too.
//! - [`entropy`]: `log2` of the exact number of possible secrets, and the strength labels.
//! - `sampling`: unbiased draws from the injected CSPRNG.
//! - [`target`]: the smallest length or word count whose exact entropy reaches a target.
//!
//! The legacy endpoints use [`Policy::legacy`]: letters always, digits and the 32 ASCII punctuation characters
//! by flag, each included class at least once — the same distribution, and for a given RNG the same bytes, as
//! before the module grew.

pub mod entropy;
pub mod language;
pub mod passphrase;
pub mod policy;
pub mod printable;
pub mod rules;
mod sampling;
pub mod target;

use rand::TryCryptoRng;
use thiserror::Error;

pub use entropy::Strength;
pub use language::{Language, WordList};
pub use passphrase::PassphrasePolicy;
pub use policy::{ClassKind, ClassOption, PasswordOptions, Policy};

pub const LOWERCASE: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
pub const UPPERCASE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub const DIGITS: &[u8] = b"0123456789";
/// The 32 characters of Python's `string.punctuation`, which the original app used.
pub const PUNCTUATION: &[u8] = br##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##;
/// The default symbols of the new policies: [`PUNCTUATION`] without the quotes, the backslash and the
/// backtick, which break shells and configuration files (28 characters; no space either).
pub const SAFE_SYMBOLS: &[u8] = b"!#$%&()*+,-./:;<=>?@[]^_{|}~";
/// Look-alikes dropped by `exclude_ambiguous`.
pub const AMBIGUOUS: &[u8] = b"0Oo1lI|";
const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Lengths the API and the form accept.
pub const MIN_LENGTH: usize = 4;
pub const MAX_LENGTH: usize = 128;

/// The longest secret this service generates, in bytes: a 128-character ASCII password, or the longest
/// passphrase ([`passphrase::MAX_PASSPHRASE_BYTES`], 561). Anything longer in the history was not written by us.
pub const MAX_SECRET_BYTES: usize = if MAX_LENGTH > passphrase::MAX_PASSPHRASE_BYTES {
    MAX_LENGTH
} else {
    passphrase::MAX_PASSPHRASE_BYTES
};

/// Why a request cannot be satisfied. Each variant names one conflict; the HTTP layer maps it to a code.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PolicyError {
    #[error("length {0} is outside {MIN_LENGTH}..={MAX_LENGTH}")]
    LengthOutOfRange(i64),
    #[error("no character class is enabled")]
    NoClasses,
    #[error("the minimums add up to {required}, more than the length {length}")]
    MinimumsExceedLength { required: usize, length: usize },
    #[error("the exclusions leave the {} class empty", .0.as_str())]
    ClassEmptied(ClassKind),
    #[error("a minimum is set for the disabled {} class", .0.as_str())]
    MinimumForDisabledClass(ClassKind),
    #[error("the symbol set may only contain ASCII punctuation, not {0:?}")]
    InvalidSymbolSet(char),
    #[error("word count {0} is outside {min}..={max}", min = passphrase::MIN_WORDS, max = passphrase::MAX_WORDS)]
    WordsOutOfRange(i64),
    #[error("the separator may have at most {max} characters, none of them a letter, an invisible or a control character", max = passphrase::MAX_SEPARATOR_CHARS)]
    InvalidSeparator,
    #[error("no {size} of this {noun} policy reaches {target} bits of entropy: the most is {max} bits", size = .what.size(), noun = .what.noun())]
    EntropyUnreachable {
        what: Sizing,
        target: u32,
        max: entropy::Bits,
    },
    #[error("a {noun} of this {size} has {actual} bits of entropy, below the {target} asked for", size = .what.size(), noun = .what.noun())]
    EntropyBelowTarget {
        what: Sizing,
        target: u32,
        actual: entropy::Bits,
    },
    #[error(
        "these minimums need the slower exact counting sampler: at most {max_count} passwords of this policy per request (0: lower the minimums or the length)"
    )]
    TooMuchWork { max_count: usize },
    /// A `rules` string, `site` or their combination with other fields that cannot be honoured.
    #[error(transparent)]
    Rules(#[from] rules::RulesError),
}

/// What an entropy target sizes: a password's length or a passphrase's word count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sizing {
    Password,
    Passphrase,
}

impl Sizing {
    fn size(self) -> &'static str {
        match self {
            Sizing::Password => "length",
            Sizing::Passphrase => "word count",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Sizing::Password => "password",
            Sizing::Passphrase => "passphrase",
        }
    }
}

#[derive(Debug, Error)]
pub enum GenerationError {
    #[error("the operating system's random number generator failed: {0}")]
    Rng(String),
    #[error("the random number generator produced no usable value in {0} attempts")]
    Exhausted(u32),
    #[error("internal error in the sampler: {0}")]
    Internal(&'static str),
}

/// Generates one password satisfying `policy`, uniformly among all that do.
pub fn generate<R: TryCryptoRng + ?Sized>(
    policy: &Policy,
    rng: &mut R,
) -> Result<String, GenerationError> {
    policy.generate(rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, TryRng, rngs::StdRng};
    use std::collections::HashMap;

    fn seeded(seed: u64) -> StdRng {
        StdRng::seed_from_u64(seed)
    }

    /// Exact probability that a given position holds one particular character of class `class`, under the
    /// uniform distribution over valid strings: fix that position, the other `length-1` must still cover
    /// every other class.
    fn expected_char_probability(sizes: &[usize], length: usize, class: usize) -> f64 {
        let n: usize = sizes.iter().sum();
        let others: Vec<usize> = sizes
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != class)
            .map(|(_, &s)| s)
            .collect();
        covering_fraction(&others, n, length - 1) / (n as f64 * covering_fraction(sizes, n, length))
    }

    /// Fraction of strings of `length` over an alphabet of `n` characters that contain each of the classes
    /// `sizes` (which need not cover the alphabet).
    fn covering_fraction(sizes: &[usize], n: usize, length: usize) -> f64 {
        (0u32..(1 << sizes.len()))
            .map(|missing| {
                let absent: usize = (0..sizes.len())
                    .filter(|i| missing & (1 << i) != 0)
                    .map(|i| sizes[i])
                    .sum();
                let sign = if missing.count_ones() % 2 == 0 {
                    1.0
                } else {
                    -1.0
                };
                sign * (1.0 - absent as f64 / n as f64).powi(length as i32)
            })
            .sum()
    }

    /// Counts characters over `samples` passwords and compares each with its exact expectation. The bound
    /// is 6 standard deviations per character: a false alarm has probability ~10^-7 over a whole alphabet,
    /// and the seeds are fixed anyway; any real bias of a few percent is far outside it.
    fn frequencies_match(
        policy: &Policy,
        rng: &mut impl TryCryptoRng,
        samples: usize,
    ) -> Result<(), String> {
        let sizes: Vec<usize> = policy.classes().iter().map(|c| c.chars().len()).collect();
        let mut counts: HashMap<u8, u64> = HashMap::new();
        for _ in 0..samples {
            let password = generate(policy, rng).map_err(|e| format!("generation failed: {e}"))?;
            for b in password.bytes() {
                *counts.entry(b).or_default() += 1;
            }
        }
        let trials = (samples * policy.length()) as f64;
        for (class_index, class) in policy.classes().iter().enumerate() {
            let p = expected_char_probability(&sizes, policy.length(), class_index);
            let sigma = (trials * p * (1.0 - p)).sqrt();
            for c in class.chars().iter() {
                let observed = counts.get(c).copied().unwrap_or(0) as f64;
                let expected = trials * p;
                if (observed - expected).abs() > 6.0 * sigma {
                    return Err(format!(
                        "char {:?}: observed {observed}, expected {expected:.1} ± {:.1}",
                        *c as char,
                        6.0 * sigma
                    ));
                }
            }
        }
        Ok(())
    }

    #[test]
    fn lengths_and_alphabet_hold_for_every_flag_combination() {
        let mut rng = seeded(1);
        for digits in [false, true] {
            for punctuation in [false, true] {
                for length in [4, 5, 8, 12, 64, 128] {
                    let policy = Policy::legacy(length, digits, punctuation).unwrap();
                    let alphabet = policy.alphabet();
                    for _ in 0..200 {
                        let p = generate(&policy, &mut rng).unwrap();
                        assert_eq!(p.len(), length as usize);
                        assert!(p.bytes().all(|b| alphabet.contains(&b)), "{p}");
                        assert!(p.bytes().any(|b| b.is_ascii_alphabetic()), "{p}");
                        assert_eq!(p.bytes().any(|b| b.is_ascii_digit()), digits, "{p}");
                        assert_eq!(
                            p.bytes().any(|b| PUNCTUATION.contains(&b)),
                            punctuation,
                            "{p}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn alphabets_match_python_string_module() {
        assert_eq!(LETTERS.len(), 52);
        assert_eq!(PUNCTUATION.len(), 32);
        assert!(PUNCTUATION.iter().all(|b| b.is_ascii_punctuation()));
        assert_eq!(
            Policy::legacy(8, true, true).unwrap().alphabet().len(),
            94,
            "letters + digits + punctuation"
        );
    }

    #[test]
    fn lengths_outside_bounds_are_rejected() {
        for bad in [i64::MIN, -5, 0, 3, 129, 10_000_000] {
            assert_eq!(
                Policy::legacy(bad, true, true),
                Err(PolicyError::LengthOutOfRange(bad))
            );
        }
        assert!(Policy::legacy(4, true, true).is_ok());
        assert!(Policy::legacy(128, false, false).is_ok());
    }

    #[test]
    fn exact_probabilities_sum_to_one() {
        for (sizes, length) in [(vec![52, 10, 32], 4), (vec![52, 10], 12), (vec![52], 8)] {
            let total: f64 = sizes
                .iter()
                .enumerate()
                .map(|(i, &s)| s as f64 * expected_char_probability(&sizes, length, i))
                .sum();
            assert!((total - 1.0).abs() < 1e-12, "{sizes:?} {length}: {total}");
        }
    }

    #[test]
    fn required_digits_are_more_frequent_than_letters_in_short_passwords() {
        // The exact distribution is not uniform over the alphabet: a required small class shows up more.
        let sizes = [52, 10, 32];
        let letter = expected_char_probability(&sizes, 4, 0);
        let digit = expected_char_probability(&sizes, 4, 1);
        assert!(digit > letter * 1.5, "digit {digit} letter {letter}");
    }

    #[test]
    fn frequencies_match_the_exact_distribution() {
        for (seed, (length, digits, punctuation)) in [
            (4, true, true),
            (12, true, true),
            (8, true, false),
            (16, false, false),
        ]
        .into_iter()
        .enumerate()
        {
            let policy = Policy::legacy(length, digits, punctuation).unwrap();
            let samples = 120_000 / policy.length();
            frequencies_match(&policy, &mut seeded(seed as u64 + 10), samples).unwrap();
        }
    }

    #[test]
    fn frequencies_from_the_os_rng_match() {
        let policy = Policy::legacy(6, true, true).unwrap();
        frequencies_match(&policy, &mut rand::rngs::SysRng, 20_000).unwrap();
    }

    #[test]
    fn uniform_approximation_is_detected_as_wrong() {
        // The check is tight enough to tell the exact distribution from "every character equally likely".
        let policy = Policy::legacy(4, true, true).unwrap();
        let mut rng = seeded(3);
        let mut digit_count = 0u64;
        let samples = 60_000;
        for _ in 0..samples {
            digit_count += generate(&policy, &mut rng)
                .unwrap()
                .bytes()
                .filter(u8::is_ascii_digit)
                .count() as u64;
        }
        let trials = (samples * 4) as f64;
        let uniform = trials * 10.0 / 94.0;
        let exact = trials * 10.0 * expected_char_probability(&[52, 10, 32], 4, 1);
        let sigma = (trials * (10.0 / 94.0)).sqrt();
        let observed = digit_count as f64;
        assert!((observed - exact).abs() < 6.0 * sigma);
        assert!((observed - uniform).abs() > 6.0 * sigma);
    }

    /// An RNG whose bytes are `uniform % 200`: 0..55 twice as likely as the rest — the classic modulo bias.
    struct ModuloBiasedRng(StdRng);

    impl TryRng for ModuloBiasedRng {
        type Error = std::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            self.0.try_next_u32()
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            self.0.try_next_u64()
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            self.0.try_fill_bytes(dst)?;
            for b in dst.iter_mut() {
                *b %= 200;
            }
            Ok(())
        }
    }
    impl TryCryptoRng for ModuloBiasedRng {}

    #[test]
    fn a_biased_rng_fails_the_frequency_check() {
        let policy = Policy::legacy(12, true, true).unwrap();
        let result = frequencies_match(&policy, &mut ModuloBiasedRng(seeded(7)), 10_000);
        assert!(
            result.is_err(),
            "the frequency check must catch modulo bias"
        );
    }

    /// An RNG that always fails, like a broken getrandom.
    struct FailingRng;
    impl TryRng for FailingRng {
        type Error = std::io::Error;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Err(std::io::Error::other("no entropy"))
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Err(std::io::Error::other("no entropy"))
        }
        fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Self::Error> {
            Err(std::io::Error::other("no entropy"))
        }
    }
    impl TryCryptoRng for FailingRng {}

    #[test]
    fn rng_failure_is_a_typed_error() {
        let policy = Policy::legacy(8, false, false).unwrap();
        assert!(matches!(
            generate(&policy, &mut FailingRng),
            Err(GenerationError::Rng(_))
        ));
    }

    /// An RNG stuck on one byte can never satisfy a policy with digits: bounded, not an endless loop.
    struct StuckRng;
    impl TryRng for StuckRng {
        type Error = std::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(0)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(0)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            dst.fill(0);
            Ok(())
        }
    }
    impl TryCryptoRng for StuckRng {}

    #[test]
    fn a_stuck_rng_ends_with_exhausted() {
        let policy = Policy::legacy(8, true, false).unwrap();
        assert!(matches!(
            generate(&policy, &mut StuckRng),
            Err(GenerationError::Exhausted(_))
        ));
    }
}
