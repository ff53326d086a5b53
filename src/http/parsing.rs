//! The request parsers on their own, without HTTP around them: the property tests (`tests/parsing_props.rs`)
//! and the fuzz targets (`fuzz/`) drive them with arbitrary input.
//!
//! - [`GerarSenhaRequest::try_from`] a JSON object (`POST /api/gerar-senha`);
//! - [`parse_form`] the decoded pairs of a form post (`POST /`);
//! - [`digits`] the digit strings both accept for `tamanho`.

pub use super::input::fields::digits;
pub use super::input::form::{FormRequest, parse_form};
pub use super::input::legacy::{DEFAULT_API_LENGTH, GerarSenhaRequest};
