//! Every text a person reads, in both languages: the page's ([`page`]) and the error messages ([`errors`]).
//! Adding a language: a `Lang` variant (`http/lang.rs`, with its `Accept-Language` tags), a `Texts` constant
//! here and an arm in each `match` of [`errors`]; the compiler lists every place left.

pub mod errors;
pub mod page;
