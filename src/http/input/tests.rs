use super::form::FormFields;
use super::legacy::GerarSenhaRequest;
use super::v1::{PassphrasesRequest, PasswordsRequest};
use super::*;
use utoipa::PartialSchema;
use utoipa::openapi::{RefOr, schema::Schema};

/// The names the decoder maps to errors are the names serde reads and the document lists.
fn schema_fields<T: PartialSchema>() -> Vec<String> {
    match T::schema() {
        RefOr::T(Schema::Object(object)) => object.properties.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn assert_fields<T: Input + PartialSchema>() {
    let mut listed: Vec<String> = T::FIELDS.iter().map(|f| (*f).to_owned()).collect();
    listed.sort();
    let mut documented = schema_fields::<T>();
    documented.sort();
    assert_eq!(listed, documented);
}

#[test]
fn every_body_lists_the_fields_it_documents() {
    assert_fields::<GerarSenhaRequest>();
    assert_fields::<PasswordsRequest>();
    assert_fields::<PassphrasesRequest>();
    assert_fields::<FormFields>();
}

#[test]
fn the_field_check_can_fail() {
    struct Missing;
    impl PartialSchema for Missing {
        fn schema() -> RefOr<Schema> {
            PasswordsRequest::schema()
        }
    }
    let mut documented = schema_fields::<Missing>();
    documented.sort();
    let mut listed: Vec<String> = PassphrasesRequest::FIELDS
        .iter()
        .map(|f| (*f).to_owned())
        .collect();
    listed.sort();
    assert_ne!(listed, documented);
}
