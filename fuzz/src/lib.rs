//! What the fuzz targets check after the code under test returned: the same invariants as
//! `tests/parsing_props.rs`, as panics so libFuzzer records the input that broke them.

use giropops_senhas::generator::{self, MAX_LENGTH, MIN_LENGTH, Policy};
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
