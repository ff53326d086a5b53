//! Passphrases: words drawn uniformly and independently from one list — the EFF large wordlist (7,776 words, so
//! `log2(7776) ≈ 12.925` bits each) or the BIP-39 Portuguese list (2,048 words, 11 bits each; see
//! [`super::language`]) — joined by a separator, optionally capitalised, optionally with one digit appended to
//! one word.
//!
//! The count of equally likely choices is `n^words` for a list of `n` words, times `words · 10` with a digit
//! (which word, which digit); capitalising adds nothing (it is not random). The entropy is `log2` of that count, computed like the
//! passwords'. A separator is at most 5 characters, none of them a letter (which could glue words into other
//! words) and all printable ([`super::printable`]: no control, invisible, bidi or line-breaking character).

use num_bigint::BigUint;
use rand::TryCryptoRng;

use super::language::{Language, WordList};
use super::sampling::Sampler;
use super::{GenerationError, PolicyError};

pub const MIN_WORDS: usize = 3;
pub const MAX_WORDS: usize = 20;
pub const DEFAULT_WORDS: i64 = 6;
pub const DEFAULT_SEPARATOR: &str = "-";
pub const MAX_SEPARATOR_CHARS: usize = 5;
/// The longest word of either list, in bytes (ASCII; checked by a test): the EFF list's 9 (the Portuguese
/// list's longest have 8).
pub const MAX_WORD_BYTES: usize = 9;
/// The longest passphrase in bytes: the most words, each of the longest, one digit, and separators of the most
/// characters at 4 bytes each (UTF-8's longest).
pub const MAX_PASSPHRASE_BYTES: usize =
    MAX_WORDS * MAX_WORD_BYTES + 1 + (MAX_WORDS - 1) * MAX_SEPARATOR_CHARS * 4;

/// The one check of a separator, wherever it comes from (API v1, page, CLI): at most
/// [`MAX_SEPARATOR_CHARS`] characters, printable, no letters.
pub fn check_separator(separator: &str) -> Result<(), PolicyError> {
    if separator.chars().count() > MAX_SEPARATOR_CHARS
        || separator
            .chars()
            .any(|c| c.is_alphabetic() || !super::printable::is_printable(c))
    {
        return Err(PolicyError::InvalidSeparator);
    }
    Ok(())
}

/// The EFF large wordlist (CC BY 3.0 US, Electronic Frontier Foundation), as shipped by `diceware_wordlists`
/// (packed by `build.rs`).
pub fn wordlist() -> WordList {
    Language::En.words()
}

/// A validated passphrase request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassphrasePolicy {
    words: usize,
    separator: String,
    capitalize: bool,
    include_number: bool,
    language: Language,
}

impl PassphrasePolicy {
    pub fn new(
        words: i64,
        separator: &str,
        capitalize: bool,
        include_number: bool,
    ) -> Result<Self, PolicyError> {
        let words = usize::try_from(words)
            .ok()
            .filter(|w| (MIN_WORDS..=MAX_WORDS).contains(w))
            .ok_or(PolicyError::WordsOutOfRange(words))?;
        check_separator(separator)?;
        Ok(Self {
            words,
            separator: separator.to_owned(),
            capitalize,
            include_number,
            language: Language::default(),
        })
    }

    /// The same policy over the words of `language` (English unless set).
    pub fn with_language(mut self, language: Language) -> Self {
        self.language = language;
        self
    }

    pub fn words(&self) -> usize {
        self.words
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// The number of equally likely choices: `n^words` for the list's `n` words (`· words · 10` with a digit).
    pub fn count(&self) -> BigUint {
        let mut n = BigUint::from(self.language.words().len()).pow(self.words as u32);
        if self.include_number {
            n *= self.words * 10;
        }
        n
    }

    pub fn entropy_bits(&self) -> f64 {
        super::entropy::log2(&self.count())
    }

    pub fn generate<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Result<String, GenerationError> {
        let list = self.language.words();
        let mut sampler = Sampler::new(rng);
        let mut words: Vec<String> = Vec::with_capacity(self.words);
        for _ in 0..self.words {
            let word = list
                .get(sampler.below(list.len())?)
                .ok_or(GenerationError::Internal(
                    "word index past the end of the list",
                ))?;
            words.push(if self.capitalize {
                capitalized(word)
            } else {
                word.to_owned()
            });
        }
        if self.include_number {
            let which = sampler.below(self.words)?;
            let digit = sampler.below(10)?;
            words[which].push(char::from(b'0' + digit as u8));
        }
        Ok(words.join(&self.separator))
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};
    use std::collections::HashSet;

    #[test]
    fn the_wordlist_is_the_eff_large_list() {
        let list = wordlist();
        assert_eq!(list.len(), 7776);
        assert_eq!(list.get(0), Some("abacus"));
        assert_eq!(list.get(7775), Some("zoom"));
        assert_eq!(list.get(7776), None);
        let unique: HashSet<_> = list.iter().collect();
        assert_eq!(unique.len(), 7776, "no duplicates");
        assert!(
            list.iter()
                .all(|w| w.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        );
    }

    #[test]
    fn the_longest_passphrase_fits_its_bound() {
        let longest = wordlist().iter().map(|w| w.len()).max().unwrap();
        assert_eq!(longest, MAX_WORD_BYTES);
        let separator = "\u{1F600}".repeat(MAX_SEPARATOR_CHARS);
        let p = PassphrasePolicy::new(MAX_WORDS as i64, &separator, true, true).unwrap();
        let mut rng = StdRng::seed_from_u64(8);
        for _ in 0..100 {
            assert!(p.generate(&mut rng).unwrap().len() <= MAX_PASSPHRASE_BYTES);
        }
        assert_eq!(MAX_PASSPHRASE_BYTES, 561);
        let longest_pt = Language::PtBr.words().iter().map(|w| w.len()).max();
        assert!(
            longest_pt.is_some_and(|l| l <= MAX_WORD_BYTES),
            "{longest_pt:?}"
        );
        let p = p.with_language(Language::PtBr);
        for _ in 0..100 {
            assert!(p.generate(&mut rng).unwrap().len() <= MAX_PASSPHRASE_BYTES);
        }
    }

    #[test]
    fn portuguese_entropy_is_exactly_eleven_bits_a_word() {
        for words in MIN_WORDS..=MAX_WORDS {
            let p = PassphrasePolicy::new(words as i64, "-", false, false)
                .unwrap()
                .with_language(Language::PtBr);
            assert_eq!(p.count(), BigUint::from(2048u32).pow(words as u32));
            assert_eq!(p.entropy_bits(), 11.0 * words as f64);
            let with_digit = PassphrasePolicy::new(words as i64, "-", false, true)
                .unwrap()
                .with_language(Language::PtBr);
            let expected = 11.0 * words as f64 + ((words * 10) as f64).log2();
            assert!((with_digit.entropy_bits() - expected).abs() < 1e-9);
        }
        // 7 Portuguese words ≈ 6 English ones: 77 bits against 77.5.
        let en = PassphrasePolicy::new(6, "-", false, false).unwrap();
        assert!((en.entropy_bits() - 77.548).abs() < 1e-3);
    }

    #[test]
    fn portuguese_passphrases_follow_the_options() {
        let list: HashSet<&str> = Language::PtBr.words().iter().collect();
        let p = PassphrasePolicy::new(7, " ", true, true)
            .unwrap()
            .with_language(Language::PtBr);
        let mut rng = StdRng::seed_from_u64(16);
        for _ in 0..200 {
            let phrase = p.generate(&mut rng).unwrap();
            let parts: Vec<&str> = phrase.split(' ').collect();
            assert_eq!(parts.len(), 7, "{phrase}");
            assert_eq!(phrase.chars().filter(char::is_ascii_digit).count(), 1);
            for part in parts {
                let word = part.trim_end_matches(|c: char| c.is_ascii_digit());
                assert!(
                    word.starts_with(|c: char| c.is_ascii_uppercase()),
                    "{phrase}"
                );
                assert!(
                    list.contains(word.to_ascii_lowercase().as_str()),
                    "{phrase}"
                );
            }
        }
    }

    #[test]
    fn shape_follows_the_options() {
        let mut rng = StdRng::seed_from_u64(3);
        let list: HashSet<&str> = wordlist().iter().collect();
        for words in [3, 6, 20] {
            let p = PassphrasePolicy::new(words, " ", false, false).unwrap();
            let phrase = p.generate(&mut rng).unwrap();
            let parts: Vec<&str> = phrase.split(' ').collect();
            assert_eq!(parts.len(), words as usize);
            assert!(parts.iter().all(|w| list.contains(w)), "{phrase}");
        }
        let p = PassphrasePolicy::new(5, "_", true, true).unwrap();
        for _ in 0..200 {
            let phrase = p.generate(&mut rng).unwrap();
            let parts: Vec<&str> = phrase.split('_').collect();
            assert_eq!(parts.len(), 5, "{phrase}");
            assert!(
                parts
                    .iter()
                    .all(|w| w.starts_with(|c: char| c.is_ascii_uppercase()))
            );
            assert_eq!(
                phrase.chars().filter(char::is_ascii_digit).count(),
                1,
                "{phrase}"
            );
            let with_digit: Vec<_> = parts
                .iter()
                .filter(|w| w.ends_with(|c: char| c.is_ascii_digit()))
                .collect();
            assert_eq!(with_digit.len(), 1, "{phrase}");
        }
    }

    #[test]
    fn invalid_requests_are_typed_errors() {
        for words in [i64::MIN, -1, 0, 2, 21, 1000] {
            assert_eq!(
                PassphrasePolicy::new(words, "-", false, false),
                Err(PolicyError::WordsOutOfRange(words))
            );
        }
        for separator in [
            "abc", "x", "-----+", "\n", "é", "\u{202E}", "\u{200B}", "\u{FEFF}", "\u{2028}",
            "\u{FFFD}", "-\u{AD}",
        ] {
            assert_eq!(
                PassphrasePolicy::new(6, separator, false, false),
                Err(PolicyError::InvalidSeparator),
                "{separator:?}"
            );
        }
        assert!(PassphrasePolicy::new(6, "", false, false).is_ok());
        assert!(PassphrasePolicy::new(6, " · ", false, false).is_ok());
    }

    #[test]
    fn word_frequencies_are_uniform() {
        // 777,600 draws: each word expected 100 times; count the draws per block of 16 words (1600 expected).
        let p = PassphrasePolicy::new(20, " ", false, false).unwrap();
        let index: std::collections::HashMap<&str, usize> =
            wordlist().iter().enumerate().map(|(i, w)| (w, i)).collect();
        let mut blocks = vec![0u32; 486];
        let mut rng = StdRng::seed_from_u64(4);
        for _ in 0..38_880 {
            for w in p.generate(&mut rng).unwrap().split(' ') {
                blocks[index[w] / 16] += 1;
            }
        }
        let sigma = (1600.0f64 * (1.0 - 16.0 / 7776.0)).sqrt();
        for (i, &c) in blocks.iter().enumerate() {
            assert!(
                (f64::from(c) - 1600.0).abs() < 6.0 * sigma,
                "block {i}: {c}"
            );
        }
    }
}
