use std::collections::HashMap;

use rand::{SeedableRng, rngs::StdRng};

use super::parse::{DIGIT, LOWER, SPECIAL, UPPER};
use super::*;

fn set(chars: &str) -> CharSet {
    chars.bytes().fold(0, |s, c| s | (1u128 << c))
}

fn policy(text: &str, length: Option<i64>) -> RulesPolicy {
    RulesPolicy::new(text, 0, length).unwrap()
}

fn error(text: &str, excluded: CharSet, length: Option<i64>) -> RulesError {
    RulesPolicy::new(text, excluded, length).unwrap_err()
}

/// A policy built directly, for alphabets and lengths the API never takes (brute force needs tiny ones).
fn tiny(alphabet: &str, lines: &[&str], k: Option<usize>, length: usize) -> RulesPolicy {
    RulesPolicy {
        alphabet: alphabet.bytes().collect(),
        lines: lines.iter().map(|l| set(l)).collect(),
        max_consecutive: k,
        length,
    }
}

#[test]
fn parses_the_syntax() {
    let p = parse("minlength: 8; maxlength: 32; required: lower, upper; required: digit; allowed: [-_./\\@$*&!#];")
        .unwrap();
    assert_eq!(
        (p.min_length, p.max_length, p.max_consecutive),
        (Some(8), Some(32), None)
    );
    assert_eq!(p.required, vec![LOWER | UPPER, DIGIT]);
    assert_eq!(p.allowed, vec![set("-_./\\@$*&!#")]);
    assert!(!p.space_listed);
    // Case, spaces, no trailing semicolon, the strictest of repeated numbers.
    let p = parse(
        "  MinLength :10;minlength: 12 ; MAX-CONSECUTIVE: 3; max-consecutive: 2; Allowed: Special",
    )
    .unwrap();
    assert_eq!((p.min_length, p.max_consecutive), (Some(12), Some(2)));
    assert_eq!(p.allowed, vec![SPECIAL]);
    // `-` first and `]` last in a custom set; non-ASCII ignored; a listed space is noted.
    let p = parse("required: [-a]]; allowed: [é ’x]").unwrap();
    assert_eq!(p.required, vec![set("-a]")]);
    assert_eq!(p.allowed, vec![set(" x")]);
    assert!(p.space_listed);
    assert_eq!(
        parse("allowed: unicode").unwrap().allowed,
        vec![ASCII_PRINTABLE]
    );
    assert_eq!(SPECIAL.count_ones(), 33);
}

#[test]
fn syntax_errors_say_where_and_what() {
    let at = |text: &str| match parse(text) {
        Err(RulesError::Syntax { at, error }) => (at, error),
        other => panic!("{text:?}: {other:?}"),
    };
    assert_eq!(at(""), (0, SyntaxError::Property));
    assert_eq!(at("   "), (3, SyntaxError::Property));
    assert_eq!(at("minlenght: 3"), (0, SyntaxError::Property));
    assert_eq!(at("minlength: 3; foo: 1"), (14, SyntaxError::Property));
    assert_eq!(at("minlength 3"), (10, SyntaxError::Colon));
    assert_eq!(at("minlength: x"), (11, SyntaxError::Number));
    assert_eq!(at("minlength: -1"), (11, SyntaxError::Number));
    assert_eq!(at("required: uper"), (14, SyntaxError::Class));
    assert_eq!(at("required: upper,"), (16, SyntaxError::Class));
    assert_eq!(at("required: [abc"), (14, SyntaxError::SetEnd));
    assert_eq!(at("required: [a-b]"), (12, SyntaxError::SetEnd));
    assert_eq!(at("required: upper lower"), (16, SyntaxError::Semicolon));
    assert_eq!(at("é: 3"), (0, SyntaxError::Property));
    assert!(parse("minlength: 99999999999999").is_ok(), "saturates");
}

#[test]
fn the_alphabet_follows_the_spec_and_our_choices() {
    // Only lengths: ascii-printable without the space.
    let p = policy("minlength: 6; maxlength: 16;", None);
    assert_eq!(p.alphabet().len(), 94);
    assert_eq!(p.length(), 16);
    assert!(!p.alphabet().contains(&b' '));
    // `special` loses the space unless a custom set lists it; then `special` has it too.
    assert_eq!(policy("allowed: special", None).alphabet().len(), 32);
    let p = policy("required: special; allowed: [ ]", None);
    assert_eq!(p.alphabet().len(), 33);
    assert_eq!(p.lines, vec![SPECIAL]);
    // Exclusions take characters from every set; `unicode` is ascii-printable.
    let p = RulesPolicy::new(
        "required: digit; allowed: unicode",
        excluded(true, "9é"),
        None,
    )
    .unwrap();
    assert_eq!(p.alphabet().len(), 94 - 7 - 1);
    assert_eq!(p.lines, vec![DIGIT & !set("019")]);
}

#[test]
fn lengths_default_clamp_and_refuse() {
    assert_eq!(policy("minlength: 24", None).length(), 24);
    assert_eq!(policy("maxlength: 12", None).length(), 12);
    assert_eq!(policy("minlength: 2; maxlength: 400", None).length(), 20);
    assert_eq!(policy("minlength: 6; maxlength: 16", Some(6)).length(), 6);
    assert_eq!(
        error("minlength: 6; maxlength: 16", 0, Some(17)),
        RulesError::LengthOutsideRules {
            length: 17,
            min: 6,
            max: 16
        }
    );
    assert_eq!(
        error("minlength: 12; maxlength: 8", 0, None),
        RulesError::LengthConflict { min: 12, max: 8 }
    );
    assert_eq!(
        error("maxlength: 3", 0, None),
        RulesError::LengthConflict { min: 4, max: 3 }
    );
    assert_eq!(
        error("minlength: 200", 0, None),
        RulesError::LengthConflict { min: 200, max: 128 }
    );
}

#[test]
fn impossible_rules_name_the_conflict() {
    assert_eq!(
        error("max-consecutive: 0", 0, None),
        RulesError::MaxConsecutiveZero
    );
    assert_eq!(
        error("required: lower; required: []", 0, None),
        RulesError::RequiredSetEmpty(2)
    );
    assert_eq!(
        error("required: [ab]", set("ab"), None),
        RulesError::RequiredSetEmpty(1)
    );
    assert_eq!(
        error("allowed: [ab]", set("ab"), None),
        RulesError::NoCharacters
    );
    assert_eq!(
        error(&"allowed: upper;".repeat(70), 0, None),
        RulesError::TooLong
    );
    assert_eq!(
        error(&"required: upper;".repeat(9), 0, None),
        RulesError::TooManyRequired(9)
    );
    assert!(RulesPolicy::new(&"required: upper;".repeat(8), 0, None).is_ok());
    let disjoint = "required: [a]; required: [b]; required: [c]; required: [d]; required: [e]";
    assert!(matches!(
        policy(disjoint, Some(4)).prepare_for(1),
        Err(PolicyError::Rules(RulesError::RequiredExceedLength {
            required: 5,
            length: 4
        }))
    ));
    // Five lines that one character meets fit in four.
    let overlapping =
        "required: [a]; required: [ab]; required: [ac]; required: [ad]; required: [ae]";
    assert!(policy(overlapping, Some(4)).prepare_for(1).is_ok());
    assert!(matches!(
        policy("allowed: [a]; max-consecutive: 3", Some(4)).prepare_for(1),
        Err(PolicyError::Rules(RulesError::Unsatisfiable(4)))
    ));
}

/// Every string over the alphabet, checked one by one.
fn brute_force(p: &RulesPolicy) -> u64 {
    let a = p.alphabet.len() as u64;
    (0..a.pow(p.length as u32))
        .filter(|&mut_index| {
            let mut index = mut_index;
            let s: Vec<u8> = (0..p.length)
                .map(|_| {
                    let c = p.alphabet[(index % a) as usize];
                    index /= a;
                    c
                })
                .collect();
            p.is_satisfied_by(&s)
        })
        .count() as u64
}

fn small_cases() -> Vec<RulesPolicy> {
    let mut cases = Vec::new();
    let line_sets: [&[&str]; 6] = [
        &[],
        &["a"],
        &["a", "b"],
        &["ab", "bc"],
        &["a", "ab", "cd"],
        &["ab", "b", "bcd", "d"],
    ];
    for alphabet in ["abc", "abcd", "abcde"] {
        for lines in line_sets {
            if lines
                .iter()
                .any(|l| l.bytes().any(|c| !alphabet.as_bytes().contains(&c)))
            {
                continue;
            }
            for k in [None, Some(1), Some(2), Some(3)] {
                for length in 1..=6 {
                    if alphabet.len() == 5 && length > 5 {
                        continue;
                    }
                    cases.push(tiny(alphabet, lines, k, length));
                }
            }
        }
    }
    cases
}

#[test]
fn counts_match_brute_force() {
    let cases = small_cases();
    assert!(cases.len() > 300);
    for p in cases {
        let exact = p.count().unwrap();
        assert_eq!(exact, BigUint::from(brute_force(&p)), "{p:?}");
        // The completion counts of the sampler agree with the total (the enforced-none proposal too).
        let none = Counter::new(&p.alphabet, &p.lines, 0, p.length, p.k()).unwrap();
        let runs_only = RulesPolicy {
            lines: Vec::new(),
            ..p.clone()
        };
        assert_eq!(
            none.total(),
            &BigUint::from(brute_force(&runs_only)),
            "{p:?}"
        );
    }
}

#[test]
fn the_table_estimate_matches_the_tables_built() {
    for p in small_cases() {
        let counter = Counter::new(&p.alphabet, &p.lines, p.all_lines(), p.length, p.k()).unwrap();
        assert_eq!(counter.tables(), p.distinct_sizes(p.all_lines()), "{p:?}");
    }
}

/// Pearson's chi-square of `samples` draws against the uniform distribution over every valid string; every
/// draw must be valid. The bound is the mean plus 6 standard deviations (`df + 6·sqrt(2·df)`): with fixed seeds a
/// correct sampler passes, and a sampler that favours some strings by a few percent fails.
fn chi_square_uniform(p: &RulesPolicy, method: &str, samples: usize, seed: u64) {
    let valid = brute_force(p) as f64;
    let prepared = p.prepare().unwrap().with_method(method).unwrap();
    assert_eq!(prepared.method_name(), method);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut seen: HashMap<String, u64> = HashMap::new();
    for s in prepared.generate_many(samples, &mut rng).unwrap() {
        assert!(p.is_satisfied_by(s.as_bytes()), "{method} {s}");
        *seen.entry(s).or_default() += 1;
    }
    let expected = samples as f64 / valid;
    let observed_sum: f64 = seen
        .values()
        .map(|&o| (o as f64 - expected).powi(2) / expected)
        .sum();
    let unseen = valid - seen.len() as f64;
    let chi2 = observed_sum + unseen * expected;
    let df = valid - 1.0;
    assert!(
        chi2 < df + 6.0 * (2.0 * df).sqrt(),
        "{method}: chi2 {chi2} df {df} {p:?}"
    );
}

#[test]
fn every_sampler_is_uniform_over_the_valid_strings() {
    // Overlapping lines and a run limit: 4 characters, length 5.
    let p = tiny("abcd", &["ab", "bc", "d"], Some(2), 5);
    let n = brute_force(&p);
    assert!(n > 100, "{n}");
    for (seed, method) in ["counting", "proposal", "plain"].into_iter().enumerate() {
        // Plain rejection ignores runs by design: only used without a run limit.
        let p = if method == "plain" {
            RulesPolicy {
                max_consecutive: None,
                ..p.clone()
            }
        } else {
            p.clone()
        };
        let n = brute_force(&p) as usize;
        chi_square_uniform(&p, method, n * 60, seed as u64);
    }
    // A run limit of 1 and a single-character line.
    chi_square_uniform(&tiny("abc", &["a"], Some(1), 6), "counting", 40 * 60, 9);
}

#[test]
fn a_biased_sampler_fails_the_chi_square() {
    // The check has power: a sampler that draws one valid string twice as often as each other one fails it.
    let p = tiny("abc", &["a", "b"], None, 3);
    let valid = brute_force(&p) as f64;
    let samples = (valid as usize) * 200;
    let expected = samples as f64 / valid;
    // One string drawn twice as often as the others, the rest adjusted to keep the total.
    let heavy = 2.0 * samples as f64 / (valid + 1.0);
    let light = samples as f64 / (valid + 1.0);
    let chi2 = (heavy - expected).powi(2) / expected
        + (valid - 1.0) * (light - expected).powi(2) / expected;
    let df = valid - 1.0;
    assert!(chi2 > df + 6.0 * (2.0 * df).sqrt(), "{chi2}");
}

#[test]
fn the_method_follows_the_acceptance() {
    let method = |text: &str, length| policy(text, Some(length)).prepare().unwrap().method_name();
    assert_eq!(
        method("required: upper; required: lower; required: digit", 20),
        "plain"
    );
    assert_eq!(
        method("required: upper; required: lower; max-consecutive: 2", 20),
        "plain"
    );
    assert_eq!(method("allowed: [abc]; max-consecutive: 1", 20), "proposal");
    assert_eq!(
        method(
            "required: [a]; required: [b]; required: [c]; allowed: ascii-printable",
            6
        ),
        "counting"
    );
}

#[test]
fn entropy_is_the_exact_count() {
    let p = policy("minlength: 20; maxlength: 20", None);
    let bits = p.prepare().unwrap().entropy_bits();
    assert!((bits - 20.0 * 94f64.log2()).abs() < 1e-9, "{bits}");
    // Long, overlapping, run-limited: still consistent with the exact big integer.
    let p = policy(
        "required: upper, digit; required: digit; required: [-!]; max-consecutive: 2",
        Some(128),
    );
    let exact = super::super::entropy::log2(&p.count().unwrap());
    assert!((p.prepare().unwrap().entropy_bits() - exact).abs() < 1e-12);
    assert!(exact < 128.0 * 94f64.log2());
}

#[test]
fn generated_passwords_meet_every_rule() {
    let mut rng = StdRng::seed_from_u64(4);
    for text in [
        "minlength: 8; maxlength: 12; required: digit; required: special; required: upper,lower; max-consecutive: 2",
        "required: [a]; required: [b]; required: [c]; allowed: ascii-printable",
        "required: lower; required: upper; required: digit; allowed: [ !#$%&*?@]",
        "allowed: [ab]; max-consecutive: 1",
    ] {
        let p = policy(text, None);
        for s in p.prepare().unwrap().generate_many(200, &mut rng).unwrap() {
            assert!(p.is_satisfied_by(s.as_bytes()), "{text}: {s:?}");
        }
    }
}

#[test]
fn every_known_site_prepares_within_the_budget() {
    let domains = sites::domains();
    assert_eq!(domains.len(), 434);
    let mut rng = StdRng::seed_from_u64(5);
    for domain in domains {
        let (matched, rules) = sites::lookup(domain).unwrap();
        assert_eq!(matched, domain);
        let p = RulesPolicy::new(rules, 0, None).unwrap_or_else(|e| panic!("{domain}: {e}"));
        let prepared = p
            .prepare_for(10)
            .unwrap_or_else(|e| panic!("{domain}: {e}"));
        for s in prepared.generate_many(3, &mut rng).unwrap() {
            assert!(p.is_satisfied_by(s.as_bytes()), "{domain}: {s}");
        }
    }
}

#[test]
fn sites_are_found_by_host_or_parent_domain() {
    let apple = sites::lookup("apple.com").unwrap();
    assert_eq!(apple.0, "apple.com");
    assert_eq!(sites::lookup("APPLE.com.").unwrap(), apple);
    assert_eq!(
        sites::lookup("www.activision.com").unwrap().0,
        "activision.com"
    );
    assert_eq!(
        sites::lookup("a.b.activision.com").unwrap().0,
        "activision.com"
    );
    for unknown in [
        "",
        ".",
        "com",
        "example.com",
        "www.example.com",
        "activision.com.example",
    ] {
        assert_eq!(sites::lookup(unknown), None, "{unknown}");
    }
}

/// Measures the real cost next to the model's estimate: `cargo test --release --lib rules_cost -- --ignored
/// --nocapture`, to compare with the cost model at the top of `rules/mod.rs`.
#[test]
#[ignore]
fn rules_cost() {
    let mut rng = StdRng::seed_from_u64(6);
    for (text, length) in [
        (
            "minlength: 8; maxlength: 20; max-consecutive: 2; required: lower, upper; required: digit;",
            20,
        ),
        (
            "required: lower; required: upper; required: digit; allowed: ascii-printable",
            20,
        ),
        (
            "required: [ab]; required: [bc], digit; required: [!]; allowed: lower; max-consecutive: 1",
            10,
        ),
        (
            "required: [ab]; required: [bc], digit; required: [!]; allowed: lower; max-consecutive: 1",
            128,
        ),
        (
            "required: [a]; required: [b]; required: [c]; required: [d]; required: [e]; required: [f]; required: [g]; required: [h]; allowed: ascii-printable",
            128,
        ),
        (
            "required: upper; required: lower; required: digit; required: special; max-consecutive: 3",
            128,
        ),
    ] {
        let p = policy(text, Some(length));
        let start = std::time::Instant::now();
        let prepared = p.prepare().unwrap();
        let setup = start.elapsed();
        let start = std::time::Instant::now();
        prepared.generate_many(100, &mut rng).unwrap();
        let each = start.elapsed() / 100;
        let admitted = match p.prepare_for(100) {
            Ok(_) => 100,
            Err(PolicyError::Rules(RulesError::TooMuchWork { max_count })) => max_count,
            Err(e) => panic!("{e}"),
        };
        println!(
            "{} L={length}: setup {setup:?}, per password {each:?}, model admits {admitted} of 100 ({text})",
            prepared.method_name()
        );
    }
}
