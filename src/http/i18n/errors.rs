//! The message of every [`ApiError`], in both languages. English messages are sentences built from the same
//! wording as the error's `Display` (logs), so the two cannot drift.

use super::super::error::ApiError;
use super::super::lang::Lang;
use crate::generator::entropy::Bits;
use crate::generator::passphrase::{MAX_SEPARATOR_CHARS, MAX_WORDS, MIN_WORDS};
use crate::generator::rules::{MAX_REQUIRED_LINES, MAX_RULES_BYTES, RulesError, SyntaxError};
use crate::generator::{ClassKind, Language, MAX_LENGTH, MIN_LENGTH, PolicyError, Sizing};

pub fn message(error: &ApiError, lang: Lang) -> String {
    match lang {
        Lang::En => sentence(english(error)),
        Lang::Pt => portuguese(error),
    }
}

/// The English text without the sentence's capital and full stop: what `Display` (and so the logs) print.
pub fn english(error: &ApiError) -> String {
    match error {
        ApiError::MalformedJson => "malformed JSON body".into(),
        ApiError::UnreadableBody => "request body could not be read".into(),
        ApiError::PayloadTooLarge(limit) => format!("request body larger than {limit} bytes"),
        ApiError::BodyTimeout => "the request body did not arrive in time".into(),
        ApiError::InvalidHost => "the request must have exactly one Host header".into(),
        ApiError::UnsupportedMediaType(expected) => {
            format!("unsupported content type, expected {expected}")
        }
        ApiError::BodyNotObject => "the body must be a JSON object".into(),
        ApiError::InvalidLength { field, min, max }
        | ApiError::InvalidInteger { field, min, max } => {
            format!("field {field} must be an integer between {min} and {max}")
        }
        ApiError::InvalidFlag(field) => format!("field {field} must be a boolean"),
        ApiError::InvalidString(field) => format!("field {field} must be a string"),
        ApiError::InvalidLanguage(field) => {
            format!("field {field} must be one of {}", language_tags())
        }
        ApiError::UnknownField(field) => format!("unknown field {field}"),
        // The generator's own wording, which the command line prints too.
        ApiError::Policy(e) => e.to_string(),
        ApiError::InvalidFormField(field) => format!("form field {field} has an invalid value"),
        ApiError::DuplicateFormField(field) => {
            format!("form field {field} appears more than once")
        }
        ApiError::NotFound => "no such route".into(),
        ApiError::MethodNotAllowed => "method not allowed".into(),
        ApiError::HistoryUnavailable => "the password history is unavailable".into(),
        ApiError::CrossOrigin => "requests from another site may not change the history".into(),
        ApiError::SharedHistory => {
            "the history is shared by everyone on this server and cannot be cleared".into()
        }
        ApiError::Timeout => "the request took too long".into(),
        ApiError::Overloaded => "the server is busy, try again shortly".into(),
        ApiError::RateLimited(seconds) => {
            format!("too many requests from this address, try again in {seconds} s")
        }
        ApiError::GenerationFailed => "the server could not generate a password".into(),
        ApiError::Internal => "internal error".into(),
    }
}

/// `en, pt-BR`: the tags a passphrase language may have.
fn language_tags() -> String {
    Language::ALL.map(Language::tag).join(", ")
}

fn sentence(mut text: String) -> String {
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    text + "."
}

fn portuguese(error: &ApiError) -> String {
    match error {
        ApiError::MalformedJson => "O corpo da requisição não é um JSON válido.".into(),
        ApiError::UnreadableBody => "Não foi possível ler o corpo da requisição.".into(),
        ApiError::PayloadTooLarge(limit) => {
            format!("O corpo da requisição passa do limite de {limit} bytes.")
        }
        ApiError::BodyTimeout => "O corpo da requisição não chegou a tempo.".into(),
        ApiError::InvalidHost => "A requisição deve ter exatamente um cabeçalho Host.".into(),
        ApiError::UnsupportedMediaType(expected) => {
            format!("Tipo de conteúdo não suportado: envie {expected}.")
        }
        ApiError::BodyNotObject => "O corpo deve ser um objeto JSON.".into(),
        ApiError::InvalidLength { field, min, max }
        | ApiError::InvalidInteger { field, min, max } => {
            format!("O campo {field} deve ser um número inteiro entre {min} e {max}.")
        }
        ApiError::InvalidFlag(field) => format!("O campo {field} deve ser true ou false."),
        ApiError::InvalidString(field) => format!("O campo {field} deve ser um texto."),
        ApiError::InvalidLanguage(field) => {
            format!("O campo {field} deve ser um destes: {}.", language_tags())
        }
        ApiError::UnknownField(field) => format!("Campo desconhecido: {field}."),
        ApiError::Policy(e) => policy_pt(e),
        ApiError::InvalidFormField(field) => format!("O campo {field} tem um valor inválido."),
        ApiError::DuplicateFormField(field) => {
            format!("O campo {field} aparece mais de uma vez.")
        }
        ApiError::NotFound => "Rota não encontrada.".into(),
        ApiError::MethodNotAllowed => "Método não permitido para esta rota.".into(),
        ApiError::HistoryUnavailable => {
            "O histórico de senhas está indisponível no momento.".into()
        }
        ApiError::CrossOrigin => "Requisições de outro site não podem alterar o histórico.".into(),
        ApiError::SharedHistory => {
            "O histórico é compartilhado por todos neste servidor e não pode ser apagado.".into()
        }
        ApiError::Timeout => "A requisição demorou demais.".into(),
        ApiError::Overloaded => "O servidor está ocupado; tente de novo em instantes.".into(),
        ApiError::RateLimited(seconds) => {
            format!("Muitas requisições deste endereço; tente de novo em {seconds} s.")
        }
        ApiError::GenerationFailed => "Não foi possível gerar a senha.".into(),
        ApiError::Internal => "Erro interno.".into(),
    }
}

fn class_pt(kind: ClassKind) -> &'static str {
    match kind {
        ClassKind::Letters => "letras",
        ClassKind::Lowercase => "minúsculas",
        ClassKind::Uppercase => "maiúsculas",
        ClassKind::Digits => "números",
        ClassKind::Symbols => "símbolos",
    }
}

fn policy_pt(e: &PolicyError) -> String {
    match e {
        PolicyError::LengthOutOfRange(_) => {
            format!("O tamanho deve estar entre {MIN_LENGTH} e {MAX_LENGTH}.")
        }
        PolicyError::NoClasses => "Ative pelo menos um tipo de caractere.".into(),
        PolicyError::MinimumsExceedLength { required, length } => {
            format!("Os mínimos somam {required} caracteres, mais que o tamanho {length}.")
        }
        PolicyError::ClassEmptied(kind) => format!(
            "As exclusões deixaram vazio o conjunto de {}.",
            class_pt(*kind)
        ),
        PolicyError::MinimumForDisabledClass(kind) => format!(
            "Há um mínimo para {}, mas esse tipo está desativado.",
            class_pt(*kind)
        ),
        PolicyError::InvalidSymbolSet(c) => {
            format!("O conjunto de símbolos só aceita pontuação ASCII, não {c:?}.")
        }
        PolicyError::WordsOutOfRange(_) => {
            format!("O número de palavras deve estar entre {MIN_WORDS} e {MAX_WORDS}.")
        }
        PolicyError::InvalidSeparator => format!(
            "O separador pode ter até {MAX_SEPARATOR_CHARS} caracteres, sem letras nem caracteres invisíveis ou de controle."
        ),
        PolicyError::TooMuchWork { max_count } => format!(
            "Esses mínimos exigem o método exato por contagem, mais lento: no máximo {max_count} senhas com esta política por requisição (0: reduza os mínimos ou o tamanho)."
        ),
        PolicyError::EntropyUnreachable { what, target, max } => {
            let max = decimal_comma(*max);
            match what {
                Sizing::Password => format!(
                    "Nenhum tamanho desta política chega a {target} bits de entropia: o máximo é {max} bits."
                ),
                Sizing::Passphrase => format!(
                    "Nenhum número de palavras desta política chega a {target} bits de entropia: o máximo é {max} bits."
                ),
            }
        }
        PolicyError::EntropyBelowTarget {
            what,
            target,
            actual,
        } => {
            let actual = decimal_comma(*actual);
            match what {
                Sizing::Password => format!(
                    "Uma senha deste tamanho tem {actual} bits de entropia, menos que os {target} pedidos."
                ),
                Sizing::Passphrase => format!(
                    "Uma frase secreta com este número de palavras tem {actual} bits de entropia, menos que os {target} pedidos."
                ),
            }
        }
        PolicyError::Rules(e) => rules_pt(e),
    }
}

fn rules_pt(e: &RulesError) -> String {
    match e {
        RulesError::TooLong => format!("As regras passam do limite de {MAX_RULES_BYTES} bytes."),
        RulesError::TooManyRequired(n) => {
            format!("As regras têm {n} linhas required, mais que o máximo de {MAX_REQUIRED_LINES}.")
        }
        RulesError::Syntax { at, error } => format!(
            "As regras não seguem a sintaxe passwordrules: no caractere {at}, esperava {}.",
            expected_pt(*error)
        ),
        RulesError::LengthConflict { min, max } => format!(
            "As regras não permitem nenhum tamanho entre {MIN_LENGTH} e {MAX_LENGTH} (minlength {min}, maxlength {max})."
        ),
        RulesError::LengthOutsideRules { length, min, max } => {
            format!("O tamanho {length} está fora do intervalo das regras, de {min} a {max}.")
        }
        RulesError::MaxConsecutiveZero => "O max-consecutive deve ser pelo menos 1.".into(),
        RulesError::RequiredSetEmpty(line) => {
            format!("A linha required {line} não tem nenhum caractere que possa ser gerado.")
        }
        RulesError::NoCharacters => "As regras não deixam nenhum caractere para gerar.".into(),
        RulesError::RequiredExceedLength { required, length } => format!(
            "As regras têm {required} linhas required, mais do que cabe no tamanho {length}."
        ),
        RulesError::Unsatisfiable(length) => format!(
            "Nenhuma senha de tamanho {length} respeita o max-consecutive com esses caracteres."
        ),
        RulesError::TooMuchWork { max_count } => format!(
            "Essas regras exigem mais contagem do que cabe numa requisição: no máximo {max_count} senhas com elas por requisição (0: reduza o tamanho ou simplifique as regras)."
        ),
        RulesError::Conflict { field, names } => format!(
            "O campo {field} não pode ser usado junto com {} ou {}.",
            names.rules, names.site
        ),
        RulesError::SiteAndRules(names) => {
            format!("Envie {} ou {}, não os dois.", names.rules, names.site)
        }
        RulesError::UnknownSite { site, names } => format!(
            "Não há regras embutidas para o site {site}: envie-as no campo {}.",
            names.rules
        ),
    }
}

fn expected_pt(error: SyntaxError) -> &'static str {
    match error {
        SyntaxError::Property => {
            "uma propriedade (minlength, maxlength, max-consecutive, required, allowed)"
        }
        SyntaxError::Colon => "':' depois da propriedade",
        SyntaxError::Number => "um número",
        SyntaxError::Class => {
            "uma classe (upper, lower, digit, special, ascii-printable, unicode ou [...])"
        }
        SyntaxError::Semicolon => "';' entre as propriedades",
        SyntaxError::SetEnd => "']' fechando o conjunto",
    }
}

/// Bits as written in Portuguese: `77,5`.
fn decimal_comma(bits: Bits) -> String {
    bits.to_string().replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_messages_are_sentences() {
        assert_eq!(
            message(&ApiError::InvalidFlag("incluir_numeros"), Lang::En),
            "Field incluir_numeros must be a boolean."
        );
    }

    #[test]
    fn every_message_is_a_sentence_in_both_languages() {
        for e in [
            ApiError::MalformedJson,
            ApiError::PayloadTooLarge(16_384),
            ApiError::Policy(PolicyError::NoClasses),
            ApiError::InvalidLanguage("language"),
            ApiError::Policy(PolicyError::EntropyUnreachable {
                what: Sizing::Passphrase,
                target: 300,
                max: Bits(220.0),
            }),
            ApiError::Policy(PolicyError::EntropyBelowTarget {
                what: Sizing::Password,
                target: 100,
                actual: Bits(52.46),
            }),
            ApiError::RateLimited(3),
            ApiError::Internal,
        ] {
            for lang in [Lang::Pt, Lang::En] {
                let text = message(&e, lang);
                assert!(text.ends_with('.'), "{text}");
                assert!(text.starts_with(|c: char| c.is_uppercase()), "{text}");
            }
        }
    }
}
