//! What the fuzz targets check after the code under test returned: the same invariants as
//! `tests/parsing_props.rs` and `tests/rules_props.rs`, as panics so libFuzzer records the input that broke them.

use giropops_senhas::generator::rules::{
    self, ASCII_PRINTABLE, CharSet, RulesError, RulesPolicy, SPACE,
};
use giropops_senhas::generator::{self, MAX_LENGTH, MIN_LENGTH, Policy, PolicyError};
use rand::SeedableRng;
use rand::rngs::StdRng;

pub fn in_bounds(length: i64) -> bool {
    (MIN_LENGTH as i64..=MAX_LENGTH as i64).contains(&length)
}

/// Generates one password from `policy` with a seeded RNG and panics unless it satisfies the policy:
/// its length, its alphabet, every class at least its minimum.
pub fn generate_and_check(policy: &Policy, seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    let password = generator::generate(policy, &mut rng)
        .unwrap_or_else(|e| panic!("a valid policy failed to generate: {e} ({policy:?})"));
    assert_eq!(password.len(), policy.length(), "{password:?}");
    let alphabet = policy.alphabet();
    assert!(
        password.bytes().all(|b| alphabet.contains(&b)),
        "{password:?} outside {policy:?}"
    );
    for class in policy.classes() {
        let n = password
            .bytes()
            .filter(|b| class.chars().contains(b))
            .count();
        assert!(
            n >= class.min(),
            "{password:?}: {n} of {:?}, minimum {}",
            class.kind(),
            class.min()
        );
    }
    password
}

/// A seed from the input's bytes, so the same input always generates the same password.
pub fn seed_of(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The rules path on raw bytes (`fuzz_targets/rules.rs`): the bytes as a rules string → `RulesPolicy` (the
/// length and `exclude_ambiguous` chosen from the input's hash, as a request might send them) → prepare →
/// passwords from a seeded RNG, each checked against the rules as read: the length, only the alphabet the rules
/// name (no space unless a custom set lists it, no excluded character), every `required` line, the
/// `max-consecutive` limit; `entropy_bits` is `log2` of the count. Any other outcome is a typed error whose
/// reason is in the input. Returns the passwords (for the crate's own tests).
pub fn check_rules(data: &[u8]) -> Vec<String> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Vec::new(); // a JSON string is UTF-8: nothing else reaches the parser
    };
    let seed = seed_of(data);
    // As a request might send it: none (half the inputs), one most rules allow, or anything around the bounds.
    let length = match seed % 4 {
        0 | 1 => None,
        2 => Some(8 + ((seed >> 8) % 9) as i64),
        _ => Some(((seed >> 8) % 140) as i64 - 5),
    };
    let ambiguous = seed & (1 << 40) != 0;
    let excluded = rules::excluded(ambiguous, "");
    let policy = match RulesPolicy::new(text, excluded, length) {
        Ok(policy) => policy,
        Err(e) => {
            assert_true_error(text, &e, length);
            return Vec::new();
        }
    };
    assert!(
        text.len() <= rules::MAX_RULES_BYTES,
        "accepted {} bytes",
        text.len()
    );
    let parsed = rules::parse(text).expect("accepted rules parse");
    assert!(parsed.required.len() <= rules::MAX_REQUIRED_LINES);
    assert_ne!(parsed.max_consecutive, Some(0));
    let l = policy.length();
    assert!((MIN_LENGTH..=MAX_LENGTH).contains(&l), "length {l}");
    if let Some(asked) = length {
        assert_eq!(l as i64, asked);
    }
    let expected = ExpectedRules::new(&parsed, excluded, l);
    let alphabet: Vec<u8> = (0u8..128)
        .filter(|&c| in_set(expected.alphabet, c))
        .collect();
    assert_eq!(policy.alphabet(), &alphabet[..], "alphabet of {text:?}");
    let count = policy.count().expect("an accepted policy counts");
    // The request budget may refuse (with how many fit); the unbounded path is the command line's.
    let prepared = match policy.prepare_for(2).or_else(|_| policy.prepare()) {
        Ok(prepared) => prepared,
        Err(PolicyError::Rules(
            RulesError::RequiredExceedLength { .. } | RulesError::Unsatisfiable(_),
        )) => {
            assert_eq!(count.bits(), 0, "refused {text:?}, which has passwords");
            return Vec::new();
        }
        Err(other) => panic!("unexpected {other:?} for {text:?}"),
    };
    assert!(count.bits() > 0, "prepared {text:?} with no password");
    let bits = prepared.entropy_bits();
    let want = count.to_string().parse::<f64>().expect("a number").log2();
    assert!(
        (bits - want).abs() <= 1e-9 * want.max(1.0),
        "entropy {bits}, log2(count) {want}"
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let passwords = prepared
        .generate_many(2, &mut rng)
        .unwrap_or_else(|e| panic!("prepared rules failed to generate: {e} ({text:?})"));
    for p in &passwords {
        if let Err(why) = expected.check(p) {
            panic!("{p:?} breaks {text:?}: {why}");
        }
    }
    passwords
}

/// An error from `RulesPolicy::new` must name something really wrong with the input.
fn assert_true_error(text: &str, e: &RulesError, length: Option<i64>) {
    let parsed = rules::parse(text);
    let range = parsed.as_ref().ok().map(|p| {
        let min = p
            .min_length
            .map_or(MIN_LENGTH, |m| (m as usize).max(MIN_LENGTH));
        let max = p
            .max_length
            .map_or(MAX_LENGTH, |m| (m as usize).min(MAX_LENGTH));
        (min, max)
    });
    let true_error = match e {
        RulesError::TooLong => text.len() > rules::MAX_RULES_BYTES,
        RulesError::Syntax { at, .. } => parsed.is_err() && *at <= text.chars().count(),
        RulesError::TooManyRequired(n) => {
            *n > rules::MAX_REQUIRED_LINES && parsed.is_ok_and(|p| p.required.len() == *n)
        }
        RulesError::LengthConflict { .. } => range.is_some_and(|(min, max)| min > max),
        RulesError::LengthOutsideRules {
            length: l,
            min,
            max,
        } => {
            Some(*l) == length
                && range == Some((*min, *max))
                && !(*min as i64..=*max as i64).contains(l)
        }
        RulesError::MaxConsecutiveZero => parsed.is_ok_and(|p| p.max_consecutive == Some(0)),
        // Emptied by the space rule or the exclusions: checked by the alphabet the checker computes.
        RulesError::RequiredSetEmpty(_) | RulesError::NoCharacters => parsed.is_ok(),
        _ => false,
    };
    assert!(true_error, "{e:?} for {text:?} (length {length:?})");
}

fn in_set(set: CharSet, c: u8) -> bool {
    c < 128 && set & (1u128 << c) != 0
}

/// The rules as read, made concrete: what every password must meet.
pub struct ExpectedRules {
    alphabet: CharSet,
    required: Vec<CharSet>,
    max_consecutive: Option<usize>,
    length: usize,
}

impl ExpectedRules {
    /// The union of the sets (`ascii-printable` when none is named), minus the excluded characters, minus the
    /// space unless a custom set lists it.
    pub fn new(parsed: &rules::Parsed, excluded: CharSet, length: usize) -> Self {
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
        Self {
            alphabet: named & !excluded & !space,
            required: parsed.required.clone(),
            max_consecutive: parsed.max_consecutive.map(|k| k as usize),
            length,
        }
    }

    pub fn check(&self, password: &str) -> Result<(), String> {
        let p = password.as_bytes();
        if p.len() != self.length || password.chars().count() != self.length {
            return Err(format!("length {} != {}", p.len(), self.length));
        }
        if let Some(c) = password
            .chars()
            .find(|&c| !c.is_ascii() || !in_set(self.alphabet, c as u8))
        {
            return Err(format!("{c:?} is outside the alphabet"));
        }
        if let Some(i) = self
            .required
            .iter()
            .position(|&r| !p.iter().any(|&c| in_set(r, c)))
        {
            return Err(format!("required line {} not met", i + 1));
        }
        if let Some(k) = self.max_consecutive
            && let Some(run) = p.chunk_by(|a, b| a == b).find(|run| run.len() > k)
        {
            return Err(format!(
                "a run of {} {:?}, over {k}",
                run.len(),
                run[0] as char
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every seed runs through the target's function without a finding, and real site rules generate.
    #[test]
    fn seeds_pass() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/rules");
        let mut generated = 0;
        for entry in std::fs::read_dir(dir).expect("seeds/rules") {
            let data = std::fs::read(entry.expect("entry").path()).expect("seed");
            generated += check_rules(&data).len();
        }
        assert!(generated > 0, "no seed generated a password");
    }

    /// A stand-in for libFuzzer on stable: each seed edited a few hundred times (tokens of the dictionary
    /// inserted or appended, bytes replaced, spans deleted or repeated), every result through the target's
    /// function.
    #[test]
    fn edited_seeds_pass() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dict: Vec<Vec<u8>> = std::fs::read_to_string(root.join("dicts/rules.dict"))
            .expect("dicts/rules.dict")
            .lines()
            .filter(|l| l.starts_with('"'))
            .map(|l| unescape(&l[1..l.len() - 1]))
            .collect();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n.max(1) as u64) as usize
        };
        let mut runs = 0;
        for entry in std::fs::read_dir(root.join("seeds/rules")).expect("seeds/rules") {
            let seed = std::fs::read(entry.expect("entry").path()).expect("seed");
            for _ in 0..300 {
                let mut data = seed.clone();
                for _ in 0..1 + next(2) {
                    let at = next(data.len() + 1);
                    match next(6) {
                        0 => {
                            let token = &dict[next(dict.len())];
                            data.splice(at..at, token.iter().copied());
                        }
                        1 if at < data.len() => data[at] = next(256) as u8,
                        // A whole property appended: the rest stays valid.
                        4 | 5 => {
                            let token = &dict[next(dict.len())];
                            data.extend_from_slice(token);
                        }
                        2 => {
                            let end = (at + next(8)).min(data.len());
                            data.drain(at..end);
                        }
                        _ => {
                            let end = (at + next(16)).min(data.len());
                            let span = data[at..end].to_vec();
                            data.splice(at..at, span);
                        }
                    }
                }
                check_rules(&data);
                runs += 1;
            }
        }
        assert!(runs >= 300);
    }

    /// A dictionary entry's bytes: `\xNN` escapes, the rest as written.
    fn unescape(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
                out.push(u8::from_str_radix(&s[i + 2..i + 4], 16).expect("hex"));
                i += 4;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out
    }

    /// The checker can fail: broken passwords are rejected for the rule they break.
    #[test]
    fn checker_rejects_broken_passwords() {
        let parsed =
            rules::parse("required: lower; required: [-!]; allowed: digit; max-consecutive: 2")
                .unwrap();
        let expected = ExpectedRules::new(&parsed, 0, 6);
        assert_eq!(expected.check("ab-12c"), Ok(()));
        for (bad, why) in [
            ("ab-12", "length"),
            ("ab-1 c", "outside"),
            ("ab-1Ac", "outside"),
            ("abc12x", "required line 2"),
            ("12-!34", "required line 1"),
            ("aaa-12", "run"),
        ] {
            assert!(expected.check(bad).expect_err(bad).contains(why), "{bad}");
        }
    }
}
