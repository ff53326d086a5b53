//! `POST /api/gerar-senha` without HTTP: raw body bytes → JSON → `GerarSenhaRequest::try_from` →
//! `Policy::legacy` → a password. Accepted requests must give a policy exactly when 4 ≤ tamanho ≤ 128 and a
//! password that satisfies it; rejected ones must be the length or flag error.
#![no_main]

use giropops_senhas::generator::Policy;
use giropops_senhas::http::ApiError;
use giropops_senhas::http::parsing::GerarSenhaRequest;
use giropops_senhas_fuzz::{generate_and_check, in_bounds, seed_of};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    match GerarSenhaRequest::try_from(body) {
        Ok(req) => {
            match Policy::legacy(
                req.tamanho,
                req.incluir_numeros,
                req.incluir_caracteres_especiais,
            ) {
                Ok(policy) => {
                    assert!(in_bounds(req.tamanho), "policy for length {}", req.tamanho);
                    generate_and_check(&policy, seed_of(data));
                }
                Err(_) => assert!(
                    !in_bounds(req.tamanho),
                    "no policy for length {}",
                    req.tamanho
                ),
            }
        }
        Err(ApiError::InvalidLength {
            field: "tamanho", ..
        }) => {}
        Err(ApiError::InvalidFlag("incluir_numeros" | "incluir_caracteres_especiais")) => {}
        Err(other) => panic!("unexpected error {other:?}"),
    }
});
