//! Property tests of the `passwordrules` path (`src/generator/rules/`): the parser, `RulesPolicy`, the exact
//! count and the sampler, on arbitrary input — the same path the cargo-fuzz target `fuzz/fuzz_targets/rules.rs`
//! drives (`make fuzz`).
//!
//! The properties state *what* must hold, not the code's order of checks:
//! - any string (valid properties, classes, custom sets with tricky characters, spaces, unicode, garbage, long
//!   inputs) gives either a policy or a typed error whose reason really is in the input, never a panic; rules
//!   written from the grammar parse to exactly the sets they name;
//! - every password an accepted policy generates (seeded RNG) has the length, uses only the alphabet the rules
//!   name (no space unless a custom set lists it, no excluded character), meets every `required` line and the
//!   `max-consecutive` limit;
//! - the count equals brute-force enumeration of every string when there are at most ~50,000 of them, and
//!   `entropy_bits` is `log2` of the count.

use giropops_senhas::generator::rules::{
    self, ASCII_PRINTABLE, CharSet, MAX_REQUIRED_LINES, MAX_RULES_BYTES, Parsed, RulesError,
    RulesPolicy, SPACE,
};
use giropops_senhas::generator::{MAX_LENGTH, MIN_LENGTH, PolicyError};
use num_bigint::BigUint;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

const UPPER: CharSet = set_of(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ");
const LOWER: CharSet = set_of(b"abcdefghijklmnopqrstuvwxyz");
const DIGIT: CharSet = set_of(b"0123456789");
/// Printable ASCII (space to `~`) minus letters and digits: the spec's `special`, space included.
const SPECIAL: CharSet = ASCII_PRINTABLE & !UPPER & !LOWER & !DIGIT;

const fn set_of(chars: &[u8]) -> CharSet {
    let mut set = 0;
    let mut i = 0;
    while i < chars.len() {
        set |= 1 << chars[i];
        i += 1;
    }
    set
}

fn has(set: CharSet, c: u8) -> bool {
    c < 128 && set & (1u128 << c) != 0
}

// ---- the rules as a person writes them ----

#[derive(Debug, Clone)]
enum Class {
    Named(&'static str, CharSet),
    /// The characters between `[` and `]`, as written (any char; only printable ASCII counts).
    Custom(Vec<char>),
}

impl Class {
    fn set(&self) -> CharSet {
        match self {
            Class::Named(_, s) => *s,
            Class::Custom(chars) => chars
                .iter()
                .filter(|&&c| c == ' ' || c.is_ascii_graphic())
                .fold(0, |s, &c| s | (1u128 << (c as u32))),
        }
    }

    /// `-` only first and `]` only last, as the grammar wants.
    fn render(&self, case: Case) -> String {
        match self {
            Class::Named(name, _) => case.apply(name),
            Class::Custom(chars) => {
                let mut s = String::from("[");
                if chars.contains(&'-') {
                    s.push('-');
                }
                s.extend(chars.iter().filter(|&&c| c != '-' && c != ']'));
                if chars.contains(&']') {
                    s.push(']');
                }
                s.push(']');
                s
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Case {
    Lower,
    Upper,
    Title,
}

impl Case {
    fn apply(self, name: &str) -> String {
        match self {
            Case::Lower => name.to_string(),
            Case::Upper => name.to_ascii_uppercase(),
            Case::Title => {
                let mut s = name.to_string();
                s[..1].make_ascii_uppercase();
                s
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Property {
    MinLength(u64),
    MaxLength(u64),
    MaxConsecutive(u64),
    Required(Vec<Class>),
    Allowed(Vec<Class>),
}

/// Rules as structured data, rendered with arbitrary case, spacing and separators.
#[derive(Debug, Clone)]
struct Written {
    properties: Vec<(Property, Case)>,
    spaces: Vec<&'static str>,
    trailing_semicolon: bool,
}

impl Written {
    fn render(&self) -> String {
        let sp = |i: usize| self.spaces[i % self.spaces.len()];
        let mut out = String::new();
        for (i, (p, case)) in self.properties.iter().enumerate() {
            if i > 0 {
                out.push_str(sp(i));
                out.push(';');
                out.push_str(sp(i + 1));
            }
            let (name, value) = match p {
                Property::MinLength(n) => ("minlength", n.to_string()),
                Property::MaxLength(n) => ("maxlength", n.to_string()),
                Property::MaxConsecutive(n) => ("max-consecutive", n.to_string()),
                Property::Required(cs) | Property::Allowed(cs) => {
                    let name = if matches!(p, Property::Required(_)) {
                        "required"
                    } else {
                        "allowed"
                    };
                    let classes: Vec<String> = cs.iter().map(|c| c.render(*case)).collect();
                    (name, classes.join(&format!("{},{}", sp(i + 2), sp(i + 3))))
                }
            };
            out.push_str(&case.apply(name));
            out.push_str(sp(i + 4));
            out.push(':');
            out.push_str(sp(i + 5));
            out.push_str(&value);
        }
        if self.trailing_semicolon {
            out.push(';');
        }
        out
    }

    /// What the grammar says the text means: the strictest numbers, every set's characters.
    fn meaning(&self) -> Parsed {
        let mut p = Parsed::default();
        let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        for (prop, _) in &self.properties {
            match prop {
                Property::MinLength(n) => {
                    p.min_length = Some(p.min_length.unwrap_or(0).max(clamp(*n)))
                }
                Property::MaxLength(n) => {
                    p.max_length = Some(p.max_length.unwrap_or(u32::MAX).min(clamp(*n)))
                }
                Property::MaxConsecutive(n) => {
                    p.max_consecutive = Some(p.max_consecutive.unwrap_or(u32::MAX).min(clamp(*n)))
                }
                Property::Required(cs) | Property::Allowed(cs) => {
                    let set = cs.iter().fold(0, |s, c| s | c.set());
                    p.space_listed |= cs
                        .iter()
                        .any(|c| matches!(c, Class::Custom(_)) && has(c.set(), b' '));
                    if matches!(prop, Property::Required(_)) {
                        p.required.push(set);
                    } else {
                        p.allowed.push(set);
                    }
                }
            }
        }
        p
    }
}

fn named_class() -> impl Strategy<Value = Class> {
    proptest::sample::select(vec![
        Class::Named("upper", UPPER),
        Class::Named("lower", LOWER),
        Class::Named("digit", DIGIT),
        Class::Named("special", SPECIAL),
        Class::Named("ascii-printable", ASCII_PRINTABLE),
        Class::Named("unicode", ASCII_PRINTABLE),
    ])
}

/// Characters of a custom set: the grammar's own (`-`, `]`, `[`, `,`, `;`, `:`), the space, quotes and
/// backslashes, letters, and characters that must be ignored (tab, accents, emoji, a unicode space).
fn set_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range(' ', '~'),
        2 => proptest::sample::select(vec!['-', ']', '[', ' ', ',', ';', ':', '"', '\\', '\'']),
        1 => proptest::sample::select(vec!['\t', 'é', 'Ç', '€', '🔑', '\u{a0}', '\u{3000}', '\u{0}', '\u{7f}']),
    ]
}

fn class() -> impl Strategy<Value = Class> {
    prop_oneof![
        2 => named_class(),
        2 => proptest::collection::vec(set_char(), 0..12).prop_map(Class::Custom),
    ]
}

fn number() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => 0u64..40,
        1 => 0u64..200,
        1 => Just(u64::from(u32::MAX)),
        1 => Just(99_999_999_999_999_999u64),
    ]
}

fn property() -> impl Strategy<Value = Property> {
    let classes = || proptest::collection::vec(class(), 1..4);
    prop_oneof![
        1 => number().prop_map(Property::MinLength),
        1 => number().prop_map(Property::MaxLength),
        1 => (0u64..6).prop_map(Property::MaxConsecutive),
        4 => classes().prop_map(Property::Required),
        2 => classes().prop_map(Property::Allowed),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![4 => Just(Case::Lower), 1 => Just(Case::Upper), 1 => Just(Case::Title)]
}

fn written() -> impl Strategy<Value = Written> {
    (
        proptest::collection::vec((property(), case()), 1..10),
        proptest::collection::vec(
            proptest::sample::select(vec!["", " ", "  ", "\t", "\n", " \u{3000}"]),
            1..5,
        ),
        any::<bool>(),
    )
        .prop_map(|(properties, spaces, trailing_semicolon)| Written {
            properties,
            spaces,
            trailing_semicolon,
        })
}

/// Garbage built from rules: a character inserted or deleted, a cut, a repetition past the limits.
fn damaged(text: String) -> impl Strategy<Value = String> {
    let n = text.chars().count();
    let chars: Vec<char> = text.chars().collect();
    (
        0..=n,
        prop_oneof![
            Just('['),
            Just(']'),
            Just('-'),
            Just(';'),
            Just(':'),
            Just(','),
            Just('x'),
            Just('é'),
            Just('\u{0}'),
            any::<char>()
        ],
        0u8..4,
        1usize..120,
    )
        .prop_map(move |(at, c, how, times)| {
            let mut cs = chars.clone();
            match how {
                0 => cs.insert(at, c),
                1 if at < cs.len() => {
                    cs.remove(at);
                }
                2 => cs.truncate(at),
                _ => {
                    let one: String = cs.iter().collect();
                    return vec![one; times].join(";");
                }
            }
            cs.into_iter().collect()
        })
}

/// Any rules string: mostly well written, then damaged, arbitrary, or long.
fn rules_text() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => written().prop_map(|w| w.render()),
        3 => written().prop_map(|w| w.render()).prop_flat_map(damaged),
        1 => any::<String>(),
        1 => ".{0,40}",
        1 => "[a-z:;, \\[\\]-]{0,60}",
        1 => (1usize..200).prop_map(|n| "required: [ab]; ".repeat(n)),
        1 => (1usize..20).prop_map(|n| "required: lower;".repeat(n)),
        1 => Just(String::new()),
        1 => Just(" \t\n".to_string()),
    ]
}

fn requested_length() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![
        5 => Just(None),
        3 => (0i64..140).prop_map(Some),
        1 => any::<i64>().prop_map(Some),
    ]
}

fn exclusions() -> impl Strategy<Value = (bool, String)> {
    (
        any::<bool>(),
        prop_oneof![
            3 => Just(String::new()),
            2 => "[ -~]{0,6}",
            1 => ".{0,4}",
        ],
    )
}

// ---- what an accepted policy means, computed from the rules as read ----

/// The rules made concrete, from what the parser read: the checker every password must pass.
#[derive(Debug)]
struct Expected {
    alphabet: CharSet,
    required: Vec<CharSet>,
    max_consecutive: Option<usize>,
    length: usize,
}

impl Expected {
    fn new(parsed: &Parsed, excluded: CharSet, length: usize) -> Self {
        let named = if parsed.required.is_empty() && parsed.allowed.is_empty() {
            ASCII_PRINTABLE
        } else {
            parsed
                .required
                .iter()
                .chain(&parsed.allowed)
                .fold(0, |a, s| a | s)
        };
        let space = if parsed.space_listed { 0 } else { SPACE };
        Expected {
            alphabet: named & !excluded & !space,
            required: parsed.required.clone(),
            max_consecutive: parsed.max_consecutive.map(|k| k as usize),
            length,
        }
    }

    fn check(&self, password: &str) -> Result<(), String> {
        let p = password.as_bytes();
        if password.chars().count() != self.length || p.len() != self.length {
            return Err(format!("length {} != {}", p.len(), self.length));
        }
        if let Some(c) = password
            .chars()
            .find(|&c| !c.is_ascii() || !has(self.alphabet, c as u8))
        {
            return Err(format!("{c:?} is outside the alphabet"));
        }
        if let Some(i) = self
            .required
            .iter()
            .position(|&r| !p.iter().any(|&c| has(r, c)))
        {
            return Err(format!("required line {} not met", i + 1));
        }
        if let Some(k) = self.max_consecutive {
            let mut run = 0;
            for (i, c) in p.iter().enumerate() {
                run = if i > 0 && p[i - 1] == *c { run + 1 } else { 1 };
                if run > k {
                    return Err(format!("a run of {run} {:?}, over {k}", *c as char));
                }
            }
        }
        Ok(())
    }
}

fn excluded_set(ambiguous: bool, exclude: &str) -> CharSet {
    let mut set = if ambiguous { set_of(b"0Oo1lI|") } else { 0 };
    for c in exclude.chars().filter(char::is_ascii) {
        set |= 1u128 << (c as u32);
    }
    set
}

/// `log2` of a big integer through its decimal digits (no shared code with the service's `entropy::log2`).
fn log2_of(n: &BigUint) -> f64 {
    n.to_string().parse::<f64>().unwrap().log2()
}

/// Prepares, generates three passwords with a seeded RNG, and checks each, the count and the entropy.
/// `Err(())` when the rules allow no password (then the count must be zero and the error say why).
fn generate_and_check(
    policy: &RulesPolicy,
    expected: &Expected,
    seed: u64,
) -> Result<(), TestCaseError> {
    let count = policy.count().expect("an accepted policy counts");
    match policy.prepare() {
        Ok(prepared) => {
            prop_assert!(count > BigUint::ZERO, "prepared with a count of zero");
            let bits = prepared.entropy_bits();
            let want = log2_of(&count);
            prop_assert!(
                (bits - want).abs() <= 1e-9 * want.max(1.0),
                "entropy {bits}, log2(count) {want}"
            );
            let mut rng = StdRng::seed_from_u64(seed);
            for password in prepared
                .generate_many(3, &mut rng)
                .expect("a prepared policy generates")
            {
                if let Err(why) = expected.check(&password) {
                    prop_assert!(false, "{password:?} breaks the rules: {why} ({policy:?})");
                }
                prop_assert!(policy.is_satisfied_by(password.as_bytes()));
            }
            // Within the request budget or refused with how many fit: never a panic.
            match policy.prepare_for(10) {
                Ok(_) | Err(PolicyError::Rules(RulesError::TooMuchWork { .. })) => {}
                Err(other) => prop_assert!(false, "prepare_for(10): {other:?}"),
            }
        }
        Err(PolicyError::Rules(
            RulesError::RequiredExceedLength { .. } | RulesError::Unsatisfiable(_),
        )) => prop_assert_eq!(count, BigUint::ZERO, "refused rules that have passwords"),
        Err(other) => prop_assert!(false, "unexpected {other:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Rules written from the grammar, with any case, spacing and separators, read as exactly what they say.
    #[test]
    fn written_rules_parse_to_what_they_say(w in written()) {
        let text = w.render();
        prop_assert_eq!(rules::parse(&text), Ok(w.meaning()), "{:?}", text);
    }

    /// Any string: a policy exactly when nothing is wrong with it, else an error whose reason is in the input;
    /// an accepted policy has the rules' length and alphabet, and what it generates meets the rules.
    #[test]
    fn rules_are_a_policy_or_a_true_typed_error(text in rules_text(), (ambiguous, exclude) in exclusions(),
                                                 length in requested_length(), seed: u64) {
        let excluded = excluded_set(ambiguous, &exclude);
        prop_assert_eq!(rules::excluded(ambiguous, &exclude), excluded);
        let parsed = rules::parse(&text);
        // Everything wrong with the input, in no particular order.
        let mut wrong: Vec<&str> = Vec::new();
        if text.len() > MAX_RULES_BYTES {
            wrong.push("too long");
        }
        let mut range = None;
        match &parsed {
            Err(RulesError::Syntax { at, .. }) => {
                prop_assert!(*at <= text.chars().count(), "syntax error at {at} past the end");
                wrong.push("syntax");
            }
            Err(other) => prop_assert!(false, "parse gave {other:?}"),
            Ok(p) => {
                if p.required.len() > MAX_REQUIRED_LINES {
                    wrong.push("too many required");
                }
                let min = p.min_length.map_or(MIN_LENGTH, |m| (m as usize).max(MIN_LENGTH));
                let max = p.max_length.map_or(MAX_LENGTH, |m| (m as usize).min(MAX_LENGTH));
                if min > max {
                    wrong.push("length conflict");
                } else if length.is_some_and(|l| l < min as i64 || l > max as i64) {
                    wrong.push("length outside");
                }
                range = Some((min, max));
                if p.max_consecutive == Some(0) {
                    wrong.push("max-consecutive 0");
                }
                let e = Expected::new(p, excluded, 0);
                if p.required.iter().any(|&r| r & e.alphabet == 0) {
                    wrong.push("required empty");
                }
                if e.alphabet == 0 {
                    wrong.push("no characters");
                }
            }
        }
        match RulesPolicy::new(&text, excluded, length) {
            Ok(policy) => {
                prop_assert!(wrong.is_empty(), "accepted {text:?} with {wrong:?}");
                let p = parsed.unwrap();
                let (min, max) = range.unwrap();
                let l = policy.length();
                prop_assert!((min..=max).contains(&l), "length {l} outside {min}..={max}");
                prop_assert_eq!(l, length.map_or(20usize.clamp(min, max), |l| l as usize));
                let expected = Expected::new(&p, excluded, l);
                let alphabet: Vec<u8> = (0u8..128).filter(|&c| has(expected.alphabet, c)).collect();
                prop_assert_eq!(policy.alphabet(), &alphabet[..]);
                generate_and_check(&policy, &expected, seed)?;
            }
            Err(e) => {
                let reason = match &e {
                    RulesError::TooLong => "too long",
                    RulesError::Syntax { .. } => "syntax",
                    RulesError::TooManyRequired(n) => {
                        prop_assert!(*n > MAX_REQUIRED_LINES);
                        "too many required"
                    }
                    RulesError::LengthConflict { .. } => "length conflict",
                    RulesError::LengthOutsideRules { length: l, min, max } => {
                        prop_assert_eq!(Some(*l), length);
                        prop_assert_eq!(Some((*min, *max)), range);
                        "length outside"
                    }
                    RulesError::MaxConsecutiveZero => "max-consecutive 0",
                    RulesError::RequiredSetEmpty(i) => {
                        let p = parsed.as_ref().unwrap();
                        let e = Expected::new(p, excluded, 0);
                        prop_assert!(p.required.get(i - 1).is_some_and(|&r| r & e.alphabet == 0),
                                     "line {i} is not empty");
                        "required empty"
                    }
                    RulesError::NoCharacters => "no characters",
                    other => return Err(TestCaseError::fail(format!("unexpected {other:?} for {text:?}"))),
                };
                prop_assert!(wrong.contains(&reason), "{e:?} for {text:?}, wrong: {wrong:?}");
            }
        }
    }
}

// ---- exactness on small rules: brute force ----

/// Small rules over a pool of at most 6 characters (grammar characters and the space included), with overlapping
/// required lines, an optional `allowed` line and run limit, and a length that keeps alphabet^length ≤ ~50,000.
fn small_rules() -> impl Strategy<Value = (String, usize)> {
    let pool = proptest::sample::subsequence(vec!['a', 'b', '-', ']', ' ', '1', 'Z', '!'], 2..=6);
    pool.prop_flat_map(|pool| {
        let subset = proptest::sample::subsequence(pool.clone(), 1..=pool.len());
        (
            Just(pool.clone()),
            proptest::collection::vec(subset, 0..5),
            proptest::option::of(proptest::sample::subsequence(pool.clone(), 1..=pool.len())),
            proptest::option::of(1u64..4),
            any::<prop::sample::Index>(),
        )
    })
    .prop_map(|(pool, required, allowed, k, pick)| {
        let mut properties: Vec<(Property, Case)> = required
            .into_iter()
            .map(|s| (Property::Required(vec![Class::Custom(s)]), Case::Lower))
            .collect();
        // Rules that name no class mean `ascii-printable`: too big to enumerate, so always allow something
        // (one character alone, with a run limit, is rules no password meets).
        let allowed = allowed.unwrap_or(pool);
        properties.push((Property::Allowed(vec![Class::Custom(allowed)]), Case::Lower));
        if let Some(k) = k {
            properties.push((Property::MaxConsecutive(k), Case::Lower));
        }
        let w = Written {
            properties,
            spaces: vec![" "],
            trailing_semicolon: false,
        };
        let text = w.render();
        let m = {
            let p = w.meaning();
            Expected::new(&p, 0, 0).alphabet.count_ones() as usize
        };
        // The longest length ≥ 4 with m^length ≤ 50,000, and a length from 4 to it.
        let longest = (MIN_LENGTH..=12)
            .take_while(|&l| m.pow(l as u32) <= 50_000)
            .last()
            .unwrap_or(MIN_LENGTH);
        (text, MIN_LENGTH + pick.index(longest - MIN_LENGTH + 1))
    })
}

/// Every string over `alphabet` of `length`, counted by the checker.
fn brute_force(alphabet: &[u8], length: usize, expected: &Expected) -> u64 {
    let m = alphabet.len();
    let total = m.pow(length as u32);
    let mut digits = vec![0usize; length];
    let mut s = vec![0u8; length];
    let mut n = 0;
    for _ in 0..total {
        for (c, &d) in s.iter_mut().zip(&digits) {
            *c = alphabet[d];
        }
        if expected.check(std::str::from_utf8(&s).unwrap()).is_ok() {
            n += 1;
        }
        for d in digits.iter_mut() {
            *d += 1;
            if *d < m {
                break;
            }
            *d = 0;
        }
    }
    n
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// The exact count is the number of strings that meet the rules, found by trying them all; the entropy is
    /// its log2; what is generated meets the rules.
    #[test]
    fn count_equals_brute_force((text, length) in small_rules(), seed: u64) {
        let policy = RulesPolicy::new(&text, 0, Some(length as i64))
            .unwrap_or_else(|e| panic!("{text:?} at {length}: {e}"));
        let expected = Expected::new(&rules::parse(&text).unwrap(), 0, length);
        prop_assert!(policy.alphabet().len().pow(length as u32) <= 50_000);
        let brute = brute_force(policy.alphabet(), length, &expected);
        prop_assert_eq!(policy.count().unwrap(), BigUint::from(brute), "{:?} at {}", text, length);
        generate_and_check(&policy, &expected, seed)?;
    }

    /// Every known site's rules, at any length they allow: what is generated meets them.
    #[test]
    fn known_sites_generate_what_they_require(index: prop::sample::Index, length in 4i64..=64, seed: u64) {
        let domains = rules::sites::domains();
        let domain = index.get(&domains);
        let (_, text) = rules::sites::lookup(domain).unwrap();
        let parsed = rules::parse(text).unwrap();
        let Ok(policy) = RulesPolicy::new(text, 0, Some(length)) else {
            return Ok(()); // a length outside the site's range
        };
        let expected = Expected::new(&parsed, 0, length as usize);
        generate_and_check(&policy, &expected, seed)?;
    }
}

/// The checker must be able to fail: each broken password is rejected for the rule it breaks.
#[test]
fn the_rules_checker_rejects_broken_passwords() {
    let text = "minlength: 6; maxlength: 6; required: lower; required: [-!]; allowed: digit, [ ]; max-consecutive: 2";
    let policy = RulesPolicy::new(text, 0, None).unwrap();
    let expected = Expected::new(&rules::parse(text).unwrap(), 0, policy.length());
    assert_eq!(policy.length(), 6);
    assert_eq!(expected.check("ab-1 c"), Ok(()));
    for (bad, why) in [
        ("ab-1c", "length"),
        ("ab-1cde", "length"),
        ("ab-1c\t", "outside"),
        ("ab-1cA", "outside"),
        ("ab-1c#", "outside"),
        ("abc12x", "required line 2"),
        ("12-!3 ", "required line 1"),
        ("aaa-12", "run"),
        ("a---12", "run"),
    ] {
        let err = expected.check(bad).expect_err(bad);
        assert!(err.contains(why), "{bad:?}: {err}");
        assert!(!policy.is_satisfied_by(bad.as_bytes()), "{bad:?}");
    }
    // Without a custom set that lists it, the space is outside the alphabet even though `special` has it.
    let special = Expected::new(&rules::parse("required: special").unwrap(), 0, 4);
    assert!(special.check("!#$%").is_ok());
    assert!(special.check("!# %").unwrap_err().contains("outside"));
    // Excluded characters are outside too.
    let excluded = Expected::new(
        &rules::parse("required: digit").unwrap(),
        excluded_set(true, "9"),
        4,
    );
    assert!(excluded.check("2345").is_ok());
    assert!(excluded.check("2340").is_err() && excluded.check("2349").is_err());
}

/// Rules no password meets count zero by brute force too, and preparing them says why.
#[test]
fn rules_no_password_meets_count_zero() {
    for (text, length) in [
        ("allowed: [a]; max-consecutive: 3", 4),
        (
            "required: [a]; required: [b]; required: [c]; required: [d]; required: [e]",
            4,
        ),
    ] {
        let policy = RulesPolicy::new(text, 0, Some(length)).unwrap();
        let expected = Expected::new(&rules::parse(text).unwrap(), 0, length as usize);
        let brute = brute_force(policy.alphabet(), length as usize, &expected);
        assert_eq!(policy.count().unwrap(), BigUint::from(brute), "{text}");
        assert_eq!(brute, 0, "{text}");
        assert!(
            matches!(
                policy.prepare(),
                Err(PolicyError::Rules(
                    RulesError::RequiredExceedLength { .. } | RulesError::Unsatisfiable(_)
                ))
            ),
            "{text}"
        );
    }
}
