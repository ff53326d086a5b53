//! `rules` of `POST /api/v1/passwords` without HTTP: raw bytes → a rules string → `RulesPolicy` (with a length
//! and `exclude_ambiguous` from the input) → prepare → passwords from a seeded RNG. An accepted string's passwords
//! have its length, use only its alphabet, meet every `required` line and `max-consecutive`, and `entropy_bits`
//! is log2 of the count; a refused one gives a typed error whose reason is in the input (`check_rules`).
#![no_main]

use giropops_senhas_fuzz::check_rules;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check_rules(data);
});
