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
        valid
            .iter()
            .any(|s| (counts.get(s).copied().unwrap_or(0) as f64 - expected).abs() > 6.0 * sigma),
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
    assert!((phrase.entropy_bits() - (77.548_875_021_634_7 + 5.906_890_595_608_519)).abs() < 1e-9);
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
