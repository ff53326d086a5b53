//! The request parsers on their own, without HTTP around them: the property tests (`tests/parsing_props.rs`)
//! and the fuzz targets (`fuzz/`) drive them with arbitrary input.
//!
//! - [`GerarSenhaRequest::try_from`] a JSON object (`POST /api/gerar-senha`);
//! - [`parse_form`] the decoded pairs of a form post (`POST /`);
//! - [`parse_digits`] the digit strings both accept for `tamanho`.

pub use super::api::{DEFAULT_API_LENGTH, GerarSenhaRequest, parse_digits};
pub use super::pages::{FormRequest, parse_form};
