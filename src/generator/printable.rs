//! Which characters a user may put into a secret (the passphrase separator, a custom symbol set): printable
//! ones only. What they type ends up in a password manager, a terminal, a config file and — through the page —
//! in the history other visitors see, so nothing invisible, nothing that reorders text, nothing that breaks a
//! line and nothing that renders differently everywhere is accepted.

/// The format characters (general category Cf) of Unicode 15.1: invisible characters that change how
/// neighbouring text is shaped, joined, broken or ordered. Checked against Python's `unicodedata` (Unicode
/// 14.0) plus U+13439–U+1343F, added in 15.0.
const FORMAT: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),   // soft hyphen
    ('\u{0600}', '\u{0605}'),   // Arabic number signs
    ('\u{061C}', '\u{061C}'),   // Arabic letter mark (bidi)
    ('\u{06DD}', '\u{06DD}'),   // Arabic end of ayah
    ('\u{070F}', '\u{070F}'),   // Syriac abbreviation mark
    ('\u{0890}', '\u{0891}'),   // Arabic pound / piastre mark above
    ('\u{08E2}', '\u{08E2}'),   // Arabic disputed end of ayah
    ('\u{180E}', '\u{180E}'),   // Mongolian vowel separator
    ('\u{200B}', '\u{200F}'),   // zero width space, (non-)joiner, LRM, RLM
    ('\u{202A}', '\u{202E}'),   // bidi embeddings and overrides
    ('\u{2060}', '\u{206F}'), // word joiner, invisible operators, bidi isolates, deprecated (U+2065 unassigned)
    ('\u{FEFF}', '\u{FEFF}'), // zero width no-break space / byte order mark
    ('\u{FFF9}', '\u{FFFB}'), // interlinear annotation
    ('\u{110BD}', '\u{110BD}'), // Kaithi number sign
    ('\u{110CD}', '\u{110CD}'), // Kaithi number sign above
    ('\u{13430}', '\u{1343F}'), // Egyptian hieroglyph format controls
    ('\u{1BCA0}', '\u{1BCA3}'), // shorthand format controls
    ('\u{1D173}', '\u{1D17A}'), // musical symbol beam and slur controls
    ('\u{E0001}', '\u{E0001}'), // language tag
    ('\u{E0020}', '\u{E007F}'), // tag characters
];

/// Whether `c` may appear in a secret: not a control (Cc), format (Cf), line or paragraph separator (Zl, Zp),
/// private-use (Co) character, noncharacter, or U+FFFD (what a byte that is not UTF-8 decodes to). Surrogates
/// cannot be a `char`. Letters, digits, marks, punctuation, symbols and spaces (Zs) pass: a separator's own
/// rules (no letters) are checked by its caller.
pub fn is_printable(c: char) -> bool {
    let code = u32::from(c);
    let private_use = matches!(code, 0xE000..=0xF8FF | 0xF0000..=0x10FFFF);
    // U+FDD0–U+FDEF and the last two code points of every plane are permanently unassigned.
    let noncharacter = matches!(code, 0xFDD0..=0xFDEF) || code & 0xFFFE == 0xFFFE;
    !(c.is_control()
        || FORMAT.iter().any(|&(low, high)| (low..=high).contains(&c))
        || c == '\u{2028}'
        || c == '\u{2029}'
        || private_use
        || noncharacter
        || c == char::REPLACEMENT_CHARACTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One or more characters of every refused class.
    const REFUSED: &[(&str, char)] = &[
        ("Cc NUL", '\u{0}'),
        ("Cc tab", '\t'),
        ("Cc newline", '\n'),
        ("Cc DEL", '\u{7F}'),
        ("Cc C1 NEL", '\u{85}'),
        ("Cf soft hyphen", '\u{AD}'),
        ("Cf Arabic letter mark", '\u{61C}'),
        ("Cf Mongolian vowel separator", '\u{180E}'),
        ("Cf zero width space", '\u{200B}'),
        ("Cf zero width joiner", '\u{200D}'),
        ("Cf right-to-left mark", '\u{200F}'),
        ("Cf LRE", '\u{202A}'),
        ("Cf RLO", '\u{202E}'),
        ("Cf word joiner", '\u{2060}'),
        ("Cf first strong isolate", '\u{2068}'),
        ("Cf nominal digit shapes", '\u{206F}'),
        ("Cf BOM", '\u{FEFF}'),
        ("Cf interlinear annotation", '\u{FFF9}'),
        ("Cf Egyptian format control (15.0)", '\u{1343F}'),
        ("Cf tag", '\u{E0041}'),
        ("Zl line separator", '\u{2028}'),
        ("Zp paragraph separator", '\u{2029}'),
        ("Co private use", '\u{E000}'),
        ("Co private use", '\u{F8FF}'),
        ("Co plane 15", '\u{F0000}'),
        ("Co plane 16", '\u{10FFFD}'),
        ("noncharacter", '\u{FDD0}'),
        ("noncharacter", '\u{FDEF}'),
        ("noncharacter", '\u{FFFE}'),
        ("noncharacter", '\u{1FFFF}'),
        ("replacement character", '\u{FFFD}'),
    ];

    /// Printable characters, including a space (the form's natural separator) and the default `-`.
    const ACCEPTED: &[char] = &[
        ' ',
        '-',
        '_',
        '.',
        '+',
        '·',
        '•',
        '—',
        '~',
        '|',
        '/',
        '1',
        '\u{A0}',
        '\u{3000}',
        '€',
        '→',
        '★',
        '😀',
        '\u{2027}',
        '\u{2070}',
        '\u{FFFC}',
        '\u{1D172}',
        '\u{1D17B}',
        '\u{E0000}',
        '\u{FDCF}',
        '\u{FDF0}',
    ];

    #[test]
    fn every_refused_class_is_refused() {
        for (class, c) in REFUSED {
            assert!(
                !is_printable(*c),
                "{class} U+{:04X} accepted",
                u32::from(*c)
            );
        }
    }

    #[test]
    fn printable_characters_pass() {
        for c in ACCEPTED {
            assert!(is_printable(*c), "U+{:04X} refused", u32::from(*c));
        }
    }

    #[test]
    fn the_table_is_sorted_and_disjoint() {
        for pair in FORMAT.windows(2) {
            assert!(pair[0].0 <= pair[0].1 && pair[0].1 < pair[1].0, "{pair:?}");
        }
    }

    /// The check of the lists above can fail: a predicate that lets one refused character through is caught.
    #[test]
    fn a_leaky_check_is_detected() {
        let leaky = |c: char| c == '\u{200B}' || is_printable(c);
        assert!(
            REFUSED.iter().any(|(_, c)| leaky(*c)),
            "the refused list must catch a check that accepts U+200B"
        );
    }
}
