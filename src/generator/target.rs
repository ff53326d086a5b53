//! Sizing by an entropy target (`min_entropy_bits`, `--min-entropy`): with no length or word count given, the
//! smallest one whose exact entropy reaches the target; with one given, a refusal if it falls short.
//!
//! The search relies on the entropy growing with the size. For passwords it does, by at least `log2` of the
//! alphabet per character: appending any character to a valid password of length `L` gives a valid one of length
//! `L+1` (every minimum still holds), and different (password, character) pairs give different passwords, so
//! `count(L+1) ≥ |alphabet| · count(L)`. The lengths the minimums allow are likewise every length from their sum
//! up. For passphrases `count = n^w` (`· w · 10` with a digit) grows with `w`. So a binary search finds the
//! smallest size; the tests compare it with a linear scan over random policies.
//!
//! Cost: at most `1 + ⌈log2(sizes)⌉` entropy evaluations (8 for the 125 password lengths), each the cheap one
//! ([`Policy::entropy_bits`]: inclusion–exclusion over at most 4 classes, or the floating-point recurrence of at
//! most `3 · 128²/2` steps) — never the big-integer counting table. The policy found then goes through the
//! per-request CPU budget like any other ([`Policy::prepare_for`]).

use std::ops::RangeInclusive;

use super::entropy::Bits;
use super::passphrase::{self, PassphrasePolicy};
use super::policy::DEFAULT_LENGTH;
use super::{MAX_LENGTH, MIN_LENGTH, PasswordOptions, Policy, PolicyError, Sizing};

/// The password policy of `options` at `length` (default [`DEFAULT_LENGTH`]), or, with a target and no
/// length, at the smallest length whose entropy reaches `min_bits`. `options.length` is not read.
pub fn password_policy(
    options: &PasswordOptions,
    length: Option<i64>,
    min_bits: Option<u32>,
) -> Result<Policy, PolicyError> {
    let build = |length| {
        PasswordOptions {
            length,
            ..options.clone()
        }
        .policy()
    };
    sized(
        Sizing::Password,
        (length, DEFAULT_LENGTH),
        MIN_LENGTH..=MAX_LENGTH,
        min_bits,
        build,
        Policy::entropy_bits,
    )
}

/// The passphrase policy `build` makes for `words` (default [`passphrase::DEFAULT_WORDS`]), or, with a target
/// and no word count, for the fewest words whose entropy reaches `min_bits`.
pub fn passphrase_policy(
    words: Option<i64>,
    min_bits: Option<u32>,
    build: impl Fn(i64) -> Result<PassphrasePolicy, PolicyError>,
) -> Result<PassphrasePolicy, PolicyError> {
    sized(
        Sizing::Passphrase,
        (words, passphrase::DEFAULT_WORDS),
        passphrase::MIN_WORDS..=passphrase::MAX_WORDS,
        min_bits,
        build,
        PassphrasePolicy::entropy_bits,
    )
}

/// `build` at the size given (or the default), checked against the target; or the smallest size in `sizes`
/// that reaches it. `build` must succeed on an upward-closed set of sizes and `bits` must not decrease with
/// the size (module documentation).
fn sized<P>(
    what: Sizing,
    (given, default): (Option<i64>, i64),
    sizes: RangeInclusive<usize>,
    min_bits: Option<u32>,
    build: impl Fn(i64) -> Result<P, PolicyError>,
    bits: impl Fn(&P) -> f64,
) -> Result<P, PolicyError> {
    let Some(target) = min_bits else {
        return build(given.unwrap_or(default));
    };
    let reaches = |policy: &P| bits(policy) >= f64::from(target);
    if let Some(size) = given {
        let policy = build(size)?;
        if reaches(&policy) {
            return Ok(policy);
        }
        return Err(PolicyError::EntropyBelowTarget {
            what,
            target,
            actual: Bits(bits(&policy)),
        });
    }
    let (mut low, mut high) = (*sizes.start(), *sizes.end());
    // The largest size first: an error there (a class emptied, a bad separator) is one no size fixes.
    let mut best = build(high as i64)?;
    if !reaches(&best) {
        return Err(PolicyError::EntropyUnreachable {
            what,
            target,
            max: Bits(bits(&best)),
        });
    }
    // Invariant: `best` is the policy at `high`, which reaches the target; no size below `low` does. A size
    // the policy refuses (minimums over the length) is below every size it accepts.
    while low < high {
        let middle = low + (high - low) / 2;
        match build(middle as i64) {
            Ok(policy) if reaches(&policy) => {
                high = middle;
                best = policy;
            }
            _ => low = middle + 1,
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{ClassOption, Language};
    use rand::{RngExt, SeedableRng, rngs::StdRng};

    fn random_options(rng: &mut StdRng) -> PasswordOptions {
        let class = |rng: &mut StdRng| ClassOption {
            enabled: rng.random_ratio(3, 4),
            min: if rng.random_bool(0.5) {
                None
            } else {
                Some(rng.random_range(0..=12))
            },
        };
        let mut options = PasswordOptions {
            lowercase: class(rng),
            uppercase: class(rng),
            digits: class(rng),
            symbols: class(rng),
            exclude_ambiguous: rng.random_bool(0.3),
            ..PasswordOptions::default()
        };
        if rng.random_bool(0.3) {
            options.symbol_set = Some(format!("!{}", &"#$%&"[..rng.random_range(0..=4)]));
        }
        for class in [
            &mut options.lowercase,
            &mut options.uppercase,
            &mut options.digits,
            &mut options.symbols,
        ] {
            if !class.enabled {
                class.min = None;
            }
        }
        options
    }

    /// The smallest length reaching `target` by trying every length in order.
    fn linear_scan(options: &PasswordOptions, target: u32) -> Option<usize> {
        (MIN_LENGTH..=MAX_LENGTH).find(|&length| {
            PasswordOptions {
                length: length as i64,
                ..options.clone()
            }
            .policy()
            .is_ok_and(|p| p.entropy_bits() >= f64::from(target))
        })
    }

    #[test]
    fn the_smallest_sufficient_length_matches_a_linear_scan() {
        let mut rng = StdRng::seed_from_u64(21);
        let mut found = 0;
        for _ in 0..300 {
            let options = random_options(&mut rng);
            let target = rng.random_range(1..=900);
            let searched = password_policy(&options, None, Some(target));
            match (linear_scan(&options, target), searched) {
                (Some(length), Ok(policy)) => {
                    assert_eq!(policy.length(), length, "{options:?} {target}");
                    found += 1;
                }
                (None, Err(PolicyError::EntropyUnreachable { max, .. })) => {
                    assert!(max.0 < f64::from(target));
                }
                // A conflict no length fixes is the policy's own error, at any length.
                (None, Err(e)) => assert_eq!(
                    Err(e),
                    PasswordOptions {
                        length: MAX_LENGTH as i64,
                        ..options.clone()
                    }
                    .policy()
                ),
                (expected, got) => panic!("{options:?} {target}: {expected:?} vs {got:?}"),
            }
        }
        assert!(
            found > 100,
            "the random policies should mostly be satisfiable: {found}"
        );
    }

    #[test]
    fn password_entropy_grows_with_the_length() {
        let mut rng = StdRng::seed_from_u64(22);
        for _ in 0..50 {
            let options = random_options(&mut rng);
            let mut previous = None;
            for length in MIN_LENGTH..=MAX_LENGTH {
                let bits = PasswordOptions {
                    length: length as i64,
                    ..options.clone()
                }
                .policy()
                .map(|p| p.entropy_bits());
                match (previous, &bits) {
                    (Some(before), Ok(now)) => assert!(*now >= before, "{options:?} at {length}"),
                    (Some(_), Err(e)) => {
                        panic!("{options:?}: refused at {length} after accepting: {e}")
                    }
                    _ => {}
                }
                previous = bits.ok();
            }
        }
    }

    #[test]
    fn a_given_length_is_checked_not_changed() {
        let options = PasswordOptions::default();
        let policy = password_policy(&options, Some(20), Some(100)).unwrap();
        assert_eq!(policy.length(), 20);
        let Err(PolicyError::EntropyBelowTarget { target, actual, .. }) =
            password_policy(&options, Some(8), Some(100))
        else {
            panic!("8 characters are below 100 bits");
        };
        assert_eq!(target, 100);
        assert!(actual.0 < 100.0);
        assert_eq!(password_policy(&options, None, None).unwrap().length(), 16);
    }

    #[test]
    fn the_default_policy_needs_16_characters_for_100_bits() {
        // 90 characters, log2(90) ≈ 6.49 bits each, less the passwords that lack a class.
        let options = PasswordOptions::default();
        let policy = password_policy(&options, None, Some(100)).unwrap();
        assert_eq!(policy.length(), 16);
        let Err(PolicyError::EntropyUnreachable { max, .. }) =
            password_policy(&options, None, Some(900))
        else {
            panic!("no 128-character password has 900 bits");
        };
        assert!(max.0 > 800.0 && max.0 < 900.0, "{max:?}");
    }

    #[test]
    fn passphrases_take_the_fewest_words() {
        let build = |language| {
            move |words| {
                PassphrasePolicy::new(words, "-", false, false).map(|p| p.with_language(language))
            }
        };
        // 11 bits a word: 77 bits is exactly 7 words, 78 needs 8.
        let p = passphrase_policy(None, Some(77), build(Language::PtBr)).unwrap();
        assert_eq!(p.words(), 7);
        let p = passphrase_policy(None, Some(78), build(Language::PtBr)).unwrap();
        assert_eq!(p.words(), 8);
        let p = passphrase_policy(None, Some(77), build(Language::En)).unwrap();
        assert_eq!(p.words(), 6);
        for target in 1..=220 {
            let p = passphrase_policy(None, Some(target), build(Language::PtBr)).unwrap();
            let expected = (target as usize).div_ceil(11).max(passphrase::MIN_WORDS);
            assert_eq!(p.words(), expected, "{target}");
        }
        assert_eq!(
            passphrase_policy(None, Some(221), build(Language::PtBr)),
            Err(PolicyError::EntropyUnreachable {
                what: Sizing::Passphrase,
                target: 221,
                max: Bits(220.0)
            })
        );
        assert!(matches!(
            passphrase_policy(Some(5), Some(60), build(Language::PtBr)),
            Err(PolicyError::EntropyBelowTarget { .. })
        ));
        assert_eq!(
            passphrase_policy(None, Some(60), |w| PassphrasePolicy::new(
                w, "and", false, false
            )),
            Err(PolicyError::InvalidSeparator)
        );
    }
}
