//! Policy validation of the v1 options (`PasswordOptions::policy`) for any lengths, classes, minimums,
//! exclusions and symbol sets: either a typed `PolicyError`, or a policy whose every password satisfies it
//! and contains no excluded character.
#![no_main]

use giropops_senhas::generator::{AMBIGUOUS, ClassOption, PasswordOptions};
use giropops_senhas_fuzz::generate_and_check;
use libfuzzer_sys::fuzz_target;

type Class = (bool, Option<u8>);

fuzz_target!(
    |input: (i16, [Class; 4], bool, String, Option<String>, u64)| {
        let (length, classes, exclude_ambiguous, exclude, symbol_set, seed) = input;
        let class = |(enabled, min): Class| ClassOption {
            enabled,
            min: min.map(usize::from),
        };
        let options = PasswordOptions {
            length: i64::from(length),
            lowercase: class(classes[0]),
            uppercase: class(classes[1]),
            digits: class(classes[2]),
            symbols: class(classes[3]),
            exclude_ambiguous,
            exclude: exclude.clone(),
            symbol_set,
            ..PasswordOptions::default()
        };
        if let Ok(policy) = options.policy() {
            let p = generate_and_check(&policy, seed);
            assert!(
                !p.chars().any(|c| exclude.contains(c)),
                "{p:?} has an excluded character"
            );
            if exclude_ambiguous {
                assert!(
                    !p.bytes().any(|b| AMBIGUOUS.contains(&b)),
                    "{p:?} has an ambiguous character"
                );
            }
        }
    }
);
