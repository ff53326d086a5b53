//! The word lists a passphrase can be drawn from. English is the EFF large wordlist (7,776 words, CC BY 3.0 US);
//! Brazilian Portuguese is the BIP-39 Portuguese list (2,048 words, CC0), the only Portuguese list of a useful
//! size with a licence we can ship (the 7,776-word Dadoware list is CC BY-NC). Both are lowercase ASCII, so
//! capitalising, the appended digit and [`super::passphrase::MAX_WORD_BYTES`] work the same for both
//! (checked by the tests below).

/// The lists, packed by `build.rs`: `{NAME}_TEXT` and `{NAME}_STARTS`.
mod packed {
    include!(concat!(env!("OUT_DIR"), "/wordlists.rs"));
}

/// A word list as `build.rs` packs it: the words concatenated, and where each starts (plus the end). Two bytes of
/// offset per word instead of a 16-byte `&str`: the EFF list takes 68 KiB instead of 175.
#[derive(Debug, Clone, Copy)]
pub struct WordList {
    text: &'static str,
    starts: &'static [u16],
}

impl WordList {
    pub fn len(self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// Word `index`, or `None` past the end.
    pub fn get(self, index: usize) -> Option<&'static str> {
        let start = usize::from(*self.starts.get(index)?);
        let end = usize::from(*self.starts.get(index + 1)?);
        self.text.get(start..end)
    }

    pub fn iter(self) -> impl ExactSizeIterator<Item = &'static str> {
        // Every index below len() has a word: build.rs writes the offsets from the words themselves.
        (0..self.len()).map(move |i| self.get(i).unwrap_or_default())
    }
}

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

    pub fn words(self) -> WordList {
        match self {
            Language::En => WordList {
                text: packed::EFF_LARGE_TEXT,
                starts: &packed::EFF_LARGE_STARTS,
            },
            Language::PtBr => WordList {
                text: packed::BIP39_PORTUGUESE_TEXT,
                starts: &packed::BIP39_PORTUGUESE_STARTS,
            },
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
        assert_eq!(list.get(0), Some("abacate"));
        assert_eq!(list.get(2047), Some("zumbido"));
        assert_eq!(list.get(2048), None);
        let unique: HashSet<_> = list.iter().collect();
        assert_eq!(unique.len(), 2048, "no duplicates");
    }

    #[test]
    fn the_packed_lists_are_the_crates_lists_word_for_word() {
        let shipped: [(Language, &[&str]); 2] = [
            (Language::En, &diceware_wordlists::EFF_LONG_WORDLIST),
            (Language::PtBr, bip39::Language::Portuguese.word_list()),
        ];
        for (language, original) in shipped {
            let packed = language.words();
            assert_eq!(packed.len(), original.len(), "{language:?}");
            assert!(packed.iter().eq(original.iter().copied()), "{language:?}");
        }
    }

    #[test]
    fn every_word_is_lowercase_ascii() {
        // Capitalising uppercases the first byte only, and the byte bounds count one byte per letter: both need
        // ASCII. (The EFF list also has hyphens: "drop-down", "t-shirt"…)
        for language in Language::ALL {
            for word in language.words().iter() {
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
