use super::*;

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn form_fields_as_the_original_posts_them() {
    assert_eq!(
        parse_form(&pairs(&[
            ("tamanho", "20"),
            ("incluir_numeros", "on"),
            ("incluir_caracteres_especiais", "on")
        ])),
        Ok(FormRequest {
            length: 20,
            digits: true,
            punctuation: true
        })
    );
    assert_eq!(
        parse_form(&pairs(&[("tamanho", " 4 "), ("outro", "x")])),
        Ok(FormRequest {
            length: 4,
            digits: false,
            punctuation: false
        })
    );
}

#[test]
fn bad_form_input_is_a_typed_error() {
    assert!(matches!(
        parse_form(&pairs(&[("tamanho", "abc")])),
        Err(ApiError::InvalidLength { .. })
    ));
    assert!(matches!(
        parse_form(&pairs(&[("tamanho", "129")])),
        Err(ApiError::InvalidLength { .. })
    ));
    assert_eq!(
        parse_form(&pairs(&[("tamanho", "12"), ("tamanho", "13")])),
        Err(ApiError::DuplicateFormField("tamanho"))
    );
    assert_eq!(
        parse_form(&pairs(&[("incluir_numeros", "no")])),
        Err(ApiError::InvalidFormField("incluir_numeros"))
    );
    // A repeated field is refused even when both values are empty.
    assert_eq!(
        parse_page_form(&pairs(&[("letras", ""), ("letras", "ambas")])),
        Err(ApiError::DuplicateFormField("letras"))
    );
}

#[test]
fn empty_options_count_as_absent() {
    let request = parse_page_form(&pairs(&[
        ("tamanho", "16"),
        ("letras", ""),
        ("min_numeros", ""),
        ("excluir_parecidos", ""),
        ("excluir", ""),
        ("simbolos", ""),
    ]))
    .unwrap();
    let PageRequest::Password(_, options) = request else {
        panic!("a password post")
    };
    assert!(!options.is_set());
}

#[test]
fn the_options_panel_and_the_passphrase_tab() {
    let request = parse_page_form(&pairs(&[
        ("tamanho", "20"),
        ("letras", "minusculas"),
        ("min_numeros", " 3"),
        ("simbolos", "!#"),
    ]))
    .unwrap();
    let PageRequest::Password(form, options) = request else {
        panic!("a password post")
    };
    assert_eq!(options.letters, Some(Letters::LowercaseOnly));
    assert_eq!(options.min_digits, Some(3));
    assert_eq!(options.symbol_set.as_deref(), Some("!#"));
    assert_eq!(form.length, 20);

    let request = parse_page_form(&pairs(&[
        ("modo", "frase"),
        ("palavras", "8"),
        ("separador", ""),
        ("capitalizar", "on"),
    ]))
    .unwrap();
    assert_eq!(
        request,
        PageRequest::Passphrase(PhraseForm {
            words: 8,
            separator: String::new(),
            capitalize: true,
            include_number: false,
            language: None,
        })
    );
}

#[test]
fn the_passphrase_language_is_optional_and_checked() {
    let phrase = |idioma: &str| parse_page_form(&pairs(&[("modo", "frase"), ("idioma", idioma)]));
    let language = |idioma| match phrase(idioma) {
        Ok(PageRequest::Passphrase(form)) => Ok(form.language),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e),
    };
    assert_eq!(language("pt-BR"), Ok(Some(Language::PtBr)));
    assert_eq!(language("en"), Ok(Some(Language::En)));
    assert_eq!(language(""), Ok(None));
    for bad in ["pt", "fr", "EN", "pt-br"] {
        assert_eq!(
            language(bad),
            Err(ApiError::InvalidLanguage("idioma")),
            "{bad}"
        );
    }
    let unset = PhraseForm::default();
    assert_eq!(unset.language_or(Language::PtBr), Language::PtBr);
    let policy = unset.policy(Language::PtBr).unwrap();
    assert_eq!(
        policy.entropy_bits(),
        66.0,
        "6 Portuguese words, 11 bits each"
    );
}

#[test]
fn every_known_field_is_checked_in_both_modes() {
    let phrase_with_bad_set = pairs(&[("modo", "frase"), ("simbolos", "é")]);
    assert!(matches!(
        parse_page_form(&phrase_with_bad_set),
        Err(ApiError::Policy(
            crate::generator::PolicyError::InvalidSymbolSet(_)
        ))
    ));
    let password_with_bad_separator = pairs(&[("separador", "abc")]);
    assert_eq!(
        parse_page_form(&password_with_bad_separator),
        Err(ApiError::Policy(
            crate::generator::PolicyError::InvalidSeparator
        ))
    );
    for (field, value) in [
        ("modo", "outro"),
        ("modo", ""),
        ("letras", "todas"),
        ("excluir_parecidos", "no"),
        ("excluir", &"x".repeat(257)),
    ] {
        assert_eq!(
            parse_page_form(&pairs(&[(field, value)])),
            Err(ApiError::InvalidFormField(field)),
            "{field}={value}"
        );
    }
    assert!(matches!(
        parse_page_form(&pairs(&[("palavras", "21")])),
        Err(ApiError::InvalidInteger {
            field: "palavras",
            min: 3,
            max: 20
        })
    ));
    assert!(matches!(
        parse_page_form(&pairs(&[("min_especiais", "129")])),
        Err(ApiError::InvalidInteger {
            field: "min_especiais",
            min: 0,
            max: 128
        })
    ));
}
