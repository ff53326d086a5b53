//! The word lists a passphrase can be drawn from. English is the EFF large wordlist (7,776 words, CC BY 3.0 US);
//! Brazilian Portuguese is the BIP-39 Portuguese list (2,048 words, CC0), the only Portuguese list of a useful
//! size with a licence we can ship (the 7,776-word Dadoware list is CC BY-NC). Both are lowercase ASCII, so
//! capitalising, the appended digit and [`super::passphrase::MAX_WORD_BYTES`] work the same for both
//! (checked by the tests below).

/// The language of a passphrase's words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Language {
    /// The EFF large wordlist: `log2(7776) ≈ 12.925` bits per word.
    #[default]
    En,
    /// The BIP-39 Portuguese list: exactly 11 bits per word.
    PtBr,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::PtBr];

    /// The tag the API, the form and the command line use: `en` or `pt-BR`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::PtBr => "pt-BR",
        }
    }

    /// The language of a tag, exactly as [`Language::tag`] writes it.
    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.tag() == tag)
    }

    pub fn words(self) -> &'static [&'static str] {
        match self {
            Language::En => &diceware_wordlists::EFF_LONG_WORDLIST,
            Language::PtBr => bip39::Language::Portuguese.word_list(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_portuguese_list_is_bip39s() {
        let list = Language::PtBr.words();
        assert_eq!(list.len(), 2048);
        assert_eq!(list[0], "abacate");
        assert_eq!(list[2047], "zumbido");
        let unique: HashSet<_> = list.iter().collect();
        assert_eq!(unique.len(), 2048, "no duplicates");
    }

    #[test]
    fn every_word_is_lowercase_ascii() {
        // Capitalising uppercases the first byte only, and the byte bounds count one byte per letter: both need
        // ASCII. (The EFF list also has hyphens: "drop-down", "t-shirt"…)
        for language in Language::ALL {
            for word in language.words() {
                assert!(!word.is_empty());
                assert!(
                    word.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                    "{word}"
                );
            }
        }
        assert!(
            Language::PtBr
                .words()
                .iter()
                .all(|w| w.bytes().all(|b| b.is_ascii_lowercase()))
        );
    }

    #[test]
    fn tags_round_trip_and_nothing_else_parses() {
        for language in Language::ALL {
            assert_eq!(Language::from_tag(language.tag()), Some(language));
        }
        for tag in ["", "pt", "pt-br", "PT-BR", "en-US", "de", " en"] {
            assert_eq!(Language::from_tag(tag), None, "{tag:?}");
        }
        assert_eq!(Language::default(), Language::En);
    }
}
