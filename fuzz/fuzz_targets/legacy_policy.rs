//! `Policy::legacy` + `generate` for any length and flags: a policy exactly for 4..=128, and then a password
//! that satisfies it, with digits/punctuation present exactly when asked for.
#![no_main]

use giropops_senhas::generator::{DIGITS, PUNCTUATION, Policy, PolicyError};
use giropops_senhas_fuzz::{generate_and_check, in_bounds};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (i64, bool, bool, u64)| {
    let (length, digits, punctuation, seed) = input;
    match Policy::legacy(length, digits, punctuation) {
        Ok(policy) => {
            assert!(in_bounds(length));
            let p = generate_and_check(&policy, seed);
            assert_eq!(p.bytes().any(|b| DIGITS.contains(&b)), digits, "{p:?}");
            assert_eq!(
                p.bytes().any(|b| PUNCTUATION.contains(&b)),
                punctuation,
                "{p:?}"
            );
        }
        Err(PolicyError::LengthOutOfRange(l)) => assert!(l == length && !in_bounds(length)),
        Err(other) => panic!("unexpected {other:?} for ({length}, {digits}, {punctuation})"),
    }
});
