//! `POST /` without HTTP: raw `application/x-www-form-urlencoded` bytes → pairs → `parse_form` →
//! `Policy::legacy` → a password. An accepted form is always within bounds (so its policy exists) and its
//! password satisfies the policy; a rejected one is one of the three typed form errors.
#![no_main]

use giropops_senhas::generator::Policy;
use giropops_senhas::http::ApiError;
use giropops_senhas::http::parsing::parse_form;
use giropops_senhas_fuzz::{generate_and_check, in_bounds, seed_of};
use libfuzzer_sys::fuzz_target;

const FIELDS: [&str; 3] = ["tamanho", "incluir_numeros", "incluir_caracteres_especiais"];

fuzz_target!(|data: &[u8]| {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) else {
        return;
    };
    match parse_form(&pairs) {
        Ok(form) => {
            assert!(in_bounds(form.length), "accepted length {}", form.length);
            for field in FIELDS {
                assert!(
                    pairs.iter().filter(|(n, _)| n == field).count() <= 1,
                    "{field} repeated"
                );
            }
            let policy = Policy::legacy(form.length, form.digits, form.punctuation)
                .expect("an accepted form always has a policy");
            generate_and_check(&policy, seed_of(data));
        }
        Err(ApiError::InvalidLength {
            field: "tamanho", ..
        }) => {}
        Err(ApiError::InvalidFormField(f) | ApiError::DuplicateFormField(f)) => {
            assert!(FIELDS.contains(&f), "error names unknown field {f}");
            assert!(
                pairs.iter().any(|(n, _)| n == f),
                "error names absent field {f}"
            );
        }
        Err(other) => panic!("unexpected error {other:?}"),
    }
});
