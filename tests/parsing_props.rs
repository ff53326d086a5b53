//! Property tests of the request parsers and the legacy policy, on arbitrary input: the same functions the
//! cargo-fuzz targets in `fuzz/` drive (`make fuzz`). For any JSON object, any list of form pairs, any
//! length and flags, the code never panics and gives either a request within bounds or the typed error whose
//! reason really is in the input; every generated password satisfies its policy.
//!
//! The properties state *what* must hold (no model of the parser's order of checks): an input is accepted
//! exactly when every field it carries is valid, and an error names a field that really is wrong.

use giropops_senhas::generator::{self, DIGITS, MAX_LENGTH, MIN_LENGTH, PUNCTUATION, Policy};
use giropops_senhas::http::ApiError;
use giropops_senhas::http::parsing::{DEFAULT_API_LENGTH, GerarSenhaRequest, parse_form};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

const FIELDS: [&str; 3] = ["tamanho", "incluir_numeros", "incluir_caracteres_especiais"];
const FLAGS: [&str; 2] = ["incluir_numeros", "incluir_caracteres_especiais"];

fn length_range() -> std::ops::RangeInclusive<i64> {
    MIN_LENGTH as i64..=MAX_LENGTH as i64
}

/// Strings a hostile client sends for a number: digits, signs, exponents, unicode digits, spaces, huge.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (MIN_LENGTH..=MAX_LENGTH).prop_map(|n| n.to_string()),
        2 => Just("on".to_string()),
        1 => "[0-9]{0,12}",
        1 => "[ +-]?[0-9]{1,4}[ .e]?[0-9]{0,3}",
        1 => Just("١٢".to_string()),   // Arabic-Indic digits
        1 => Just("１２".to_string()), // full-width digits
        1 => Just("-0".to_string()),
        1 => Just("1e400".to_string()),
        1 => Just("99999999999999999999".to_string()),
        1 => Just("on".to_string()),
        1 => Just("true".to_string()),
        1 => Just("1".to_string()),
        1 => Just("\u{0}".to_string()),
        1 => ".{0,8}",
    ]
}

/// Any JSON value, weighted towards the shapes that sit on the border of valid.
fn tricky_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-10i64..200).prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(json!(-0.0)),
        Just(json!(12.0)),
        Just(json!(1e300)),
        tricky_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(field_name(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(FIELDS.to_vec()).prop_map(str::to_string),
        1 => "[a-zA-Z_]{0,12}",
        1 => Just("Tamanho".to_string()),
    ]
}

fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    proptest::collection::btree_map(field_name(), tricky_value(), 0..6)
        .prop_map(|m| m.into_iter().collect())
}

fn form_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((field_name(), tricky_string()), 0..6)
}

/// What `tamanho` may be in JSON: a number with an integer value that fits i64, or 1–9 ASCII digits.
fn json_length(v: &Value) -> Option<i64> {
    match v {
        // An integer value, also written as a float (`12.0`): JSON Schema's `integer`, exact up to 2^53.
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= 2f64.powi(53))
                .map(|f| f as i64)
        }),
        Value::String(s) => ascii_digits(s),
        _ => None,
    }
}

fn ascii_digits(s: &str) -> Option<i64> {
    (!s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().unwrap())
}

/// Checks a password against its policy: length, alphabet, every class at least its minimum.
fn satisfies(policy: &Policy, password: &str) -> Result<(), String> {
    if password.len() != policy.length() {
        return Err(format!("length {} != {}", password.len(), policy.length()));
    }
    let alphabet = policy.alphabet();
    if let Some(c) = password.bytes().find(|b| !alphabet.contains(b)) {
        return Err(format!("{:?} is outside the alphabet", c as char));
    }
    for class in policy.classes() {
        let n = password
            .bytes()
            .filter(|b| class.chars().contains(b))
            .count();
        if n < class.min() {
            return Err(format!(
                "{} of class {:?}, minimum {}",
                n,
                class.kind(),
                class.min()
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any JSON object: accepted exactly when `tamanho` is absent/an integer/1–9 digits and each flag is
    /// absent or a boolean; the request carries those values; an error names a field that is really wrong.
    #[test]
    fn json_request_is_valid_or_a_true_typed_error(body in json_object()) {
        let length_ok = body.get("tamanho").is_none_or(|v| json_length(v).is_some());
        let bad_flags: Vec<&str> = FLAGS.iter().copied()
            .filter(|f| body.get(*f).is_some_and(|v| !v.is_boolean())).collect();
        match GerarSenhaRequest::try_from(body.clone()) {
            Ok(req) => {
                prop_assert!(length_ok && bad_flags.is_empty(), "accepted invalid input {body:?}");
                let expected_len = body.get("tamanho").map_or(DEFAULT_API_LENGTH, |v| json_length(v).unwrap());
                prop_assert_eq!(req.tamanho, expected_len);
                prop_assert_eq!(req.incluir_numeros, body.get("incluir_numeros") == Some(&Value::Bool(true)));
                prop_assert_eq!(req.incluir_caracteres_especiais,
                    body.get("incluir_caracteres_especiais") == Some(&Value::Bool(true)));
                // The handler then builds the policy: it exists exactly for lengths within bounds.
                let policy = Policy::legacy(req.tamanho, req.incluir_numeros, req.incluir_caracteres_especiais);
                prop_assert_eq!(policy.is_ok(), length_range().contains(&req.tamanho));
            }
            Err(ApiError::InvalidLength { field: "tamanho", min, max }) => {
                prop_assert!(!length_ok, "length error for a valid tamanho in {body:?}");
                prop_assert_eq!((min, max), (MIN_LENGTH, MAX_LENGTH));
            }
            Err(ApiError::InvalidFlag(field)) => {
                prop_assert!(bad_flags.contains(&field), "flag error on {field} for {body:?}");
            }
            Err(other) => prop_assert!(false, "unexpected error {other:?} for {body:?}"),
        }
    }

    /// Any list of form pairs: accepted exactly when each known field appears at most once with a valid
    /// value; the request is within bounds; an error names a field that really is repeated or invalid.
    #[test]
    fn form_is_valid_or_a_true_typed_error(pairs in form_pairs()) {
        let values = |name: &str| -> Vec<&str> {
            pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
        };
        let length_valid = |v: &str| ascii_digits(v.trim()).is_some_and(|l| length_range().contains(&l));
        let checkbox_valid = |v: &str| matches!(v, "on" | "true" | "1");
        let repeated: Vec<&str> = FIELDS.iter().copied().filter(|f| values(f).len() > 1).collect();
        let invalid: Vec<&str> = FIELDS.iter().copied().filter(|f| {
            values(f).iter().any(|v| if *f == "tamanho" { !length_valid(v) } else { !checkbox_valid(v) })
        }).collect();
        match parse_form(&pairs) {
            Ok(form) => {
                prop_assert!(repeated.is_empty() && invalid.is_empty(), "accepted {pairs:?}");
                prop_assert!(length_range().contains(&form.length));
                let expected_len = values("tamanho").first().map_or(DEFAULT_API_LENGTH, |v| ascii_digits(v.trim()).unwrap());
                prop_assert_eq!(form.length, expected_len);
                prop_assert_eq!(form.digits, !values("incluir_numeros").is_empty());
                prop_assert_eq!(form.punctuation, !values("incluir_caracteres_especiais").is_empty());
                prop_assert!(Policy::legacy(form.length, form.digits, form.punctuation).is_ok());
            }
            Err(ApiError::DuplicateFormField(field)) => prop_assert!(repeated.contains(&field), "{field} in {pairs:?}"),
            Err(ApiError::InvalidFormField(field)) => {
                prop_assert!(field != "tamanho" && invalid.contains(&field), "{field} in {pairs:?}");
            }
            Err(ApiError::InvalidLength { field: "tamanho", .. }) => prop_assert!(invalid.contains(&"tamanho"), "{pairs:?}"),
            Err(other) => prop_assert!(false, "unexpected error {other:?} for {pairs:?}"),
        }
    }

    /// The legacy policy exists exactly for 4..=128, and what it generates satisfies it (length, alphabet,
    /// a letter always, a digit and a punctuation character when asked, none when not).
    #[test]
    fn legacy_policy_and_generate(length in prop_oneof![any::<i64>(), -2i64..140], digits: bool,
                                  punctuation: bool, seed: u64) {
        match Policy::legacy(length, digits, punctuation) {
            Ok(policy) => {
                prop_assert!(length_range().contains(&length));
                let mut rng = StdRng::seed_from_u64(seed);
                let password = generator::generate(&policy, &mut rng).expect("a valid policy always generates");
                if let Err(why) = satisfies(&policy, &password) {
                    prop_assert!(false, "{password:?} breaks the policy: {why}");
                }
                prop_assert!(password.bytes().any(|b| b.is_ascii_alphabetic()));
                prop_assert_eq!(password.bytes().any(|b| DIGITS.contains(&b)), digits);
                prop_assert_eq!(password.bytes().any(|b| PUNCTUATION.contains(&b)), punctuation);
            }
            Err(generator::PolicyError::LengthOutOfRange(l)) => {
                prop_assert_eq!(l, length);
                prop_assert!(!length_range().contains(&length));
            }
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }
}

/// The checker above must be able to fail: a password with a wrong length, a character outside the alphabet
/// or a missing required class is rejected.
#[test]
fn the_policy_checker_rejects_broken_passwords() {
    let policy = Policy::legacy(8, true, true).unwrap();
    assert!(satisfies(&policy, "ab1!cdef").is_ok());
    assert!(satisfies(&policy, "ab1!cde").is_err(), "too short");
    assert!(satisfies(&policy, "ab1!cdeé").is_err(), "non-ASCII");
    assert!(
        satisfies(&policy, "abcdefgh").is_err(),
        "no digit, no punctuation"
    );
    assert!(satisfies(&policy, "ab12cdef").is_err(), "no punctuation");
    let letters_only = Policy::legacy(8, false, false).unwrap();
    assert!(
        satisfies(&letters_only, "abcd1fgh").is_err(),
        "a digit outside the alphabet"
    );
}

/// The hostile cases of the issue, pinned: each is refused (a typed length error from the parser, or no
/// policy for the value it carries, e.g. `-0.0` is 0), never a panic.
#[test]
fn hostile_json_lengths_are_refused() {
    for bad in [
        json!(f64::MAX),
        json!(-0.0),
        json!(12.5),
        json!("١٢"),
        json!("１２"),
        json!(u64::MAX),
        json!(i64::MIN),
        json!("1e400"),
        json!({"tamanho": 12}),
        json!([12]),
        json!("0000000012"),
    ] {
        let mut body = Map::new();
        body.insert("tamanho".into(), bad.clone());
        match GerarSenhaRequest::try_from(body) {
            Err(e) => assert!(matches!(e, ApiError::InvalidLength { .. }), "{bad}: {e:?}"),
            Ok(req) => assert!(
                Policy::legacy(req.tamanho, false, false).is_err(),
                "{bad} accepted as {}",
                req.tamanho
            ),
        }
    }
}
