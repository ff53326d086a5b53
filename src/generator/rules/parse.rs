//! The `passwordrules` syntax (Apple's format, WHATWG whatwg/html#3518), read into character sets.
//!
//! Written here rather than taken from the `password-rules-parser` crate: that crate pulls `colored` (MPL-2.0,
//! refused by `deny.toml`) through `pretty-lint`, and its canonical form merges a custom set that lists the
//! space into `special`, losing the one fact we need to decide whether a space may be generated.
//!
//! Grammar: `property: value` separated by `;` (a trailing `;` is fine, spaces around anything); properties
//! `minlength`, `maxlength`, `max-consecutive` (a number) and `required`, `allowed` (classes separated by `,`).
//! Names are case-insensitive. Classes: `upper`, `lower`, `digit`, `special`, `ascii-printable`, `unicode` and
//! custom `[...]` sets, where `-` may only come first and `]` only last (`[-ab]]`). As in Apple's parser,
//! characters of a custom set that are not printable ASCII are ignored. Repeated numbers keep the strictest
//! value. Unlike Apple's parser an unknown property is refused: a typo should not silently loosen the rules.

use super::{RulesError, SyntaxError};

/// Bit `c` set: ASCII character `c` is in the set.
pub type CharSet = u128;

pub const fn range(from: u8, to: u8) -> CharSet {
    let mut set = 0;
    let mut c = from;
    while c <= to {
        set |= 1 << c;
        c += 1;
    }
    set
}

pub const SPACE: CharSet = 1 << b' ';
pub const UPPER: CharSet = range(b'A', b'Z');
pub const LOWER: CharSet = range(b'a', b'z');
pub const DIGIT: CharSet = range(b'0', b'9');
/// Space to `~`: the spec's `ascii-printable`.
pub const ASCII_PRINTABLE: CharSet = range(b' ', b'~');
/// The spec's `special`: every printable ASCII character that is not a letter or a digit, space included.
pub const SPECIAL: CharSet = ASCII_PRINTABLE & !UPPER & !LOWER & !DIGIT;

/// A rules string as written: numbers as given, each set as its characters (space still in).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub min_length: Option<u32>,
    pub max_length: Option<u32>,
    pub max_consecutive: Option<u32>,
    pub allowed: Vec<CharSet>,
    pub required: Vec<CharSet>,
    /// Some custom `[...]` set lists the space: only then may a space be generated.
    pub space_listed: bool,
}

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        self.text.get(self.at..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        Some(c)
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn eat(&mut self, wanted: char) -> bool {
        if self.peek() == Some(wanted) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Letters and `-`: a property or class name.
    fn name(&mut self) -> &'a str {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '-')
        {
            self.bump();
        }
        self.text.get(start..self.at).unwrap_or("")
    }

    fn fail(&self, error: SyntaxError) -> RulesError {
        // Characters, not bytes: what a person counts in the string they sent.
        let at = self.text.get(..self.at).map_or(0, |s| s.chars().count());
        RulesError::Syntax { at, error }
    }
}

pub fn parse(text: &str) -> Result<Parsed, RulesError> {
    let mut parsed = Parsed::default();
    let mut cursor = Cursor { text, at: 0 };
    cursor.skip_space();
    if cursor.peek().is_none() {
        return Err(cursor.fail(SyntaxError::Property));
    }
    loop {
        cursor.skip_space();
        if cursor.peek().is_none() {
            return Ok(parsed);
        }
        let start = cursor.at;
        let property = cursor.name().to_ascii_lowercase();
        if !matches!(
            property.as_str(),
            "minlength" | "maxlength" | "max-consecutive" | "required" | "allowed"
        ) {
            // Point at the name, not past it.
            cursor.at = start;
            return Err(cursor.fail(SyntaxError::Property));
        }
        cursor.skip_space();
        if !cursor.eat(':') {
            return Err(cursor.fail(SyntaxError::Colon));
        }
        cursor.skip_space();
        match property.as_str() {
            "minlength" => keep(&mut parsed.min_length, number(&mut cursor)?, u32::max),
            "maxlength" => keep(&mut parsed.max_length, number(&mut cursor)?, u32::min),
            "max-consecutive" => keep(&mut parsed.max_consecutive, number(&mut cursor)?, u32::min),
            "required" => {
                let set = classes(&mut cursor, &mut parsed.space_listed)?;
                parsed.required.push(set);
            }
            _ => {
                let set = classes(&mut cursor, &mut parsed.space_listed)?;
                parsed.allowed.push(set);
            }
        }
        cursor.skip_space();
        if cursor.peek().is_none() {
            return Ok(parsed);
        }
        if !cursor.eat(';') {
            return Err(cursor.fail(SyntaxError::Semicolon));
        }
    }
}

fn keep(slot: &mut Option<u32>, value: u32, strictest: fn(u32, u32) -> u32) {
    *slot = Some(slot.map_or(value, |old| strictest(old, value)));
}

/// ASCII digits; a number beyond `u32` saturates (it is out of every range anyway).
fn number(cursor: &mut Cursor<'_>) -> Result<u32, RulesError> {
    let mut value: Option<u32> = None;
    while let Some(d) = cursor.peek().and_then(|c| c.to_digit(10)) {
        cursor.bump();
        value = Some(value.unwrap_or(0).saturating_mul(10).saturating_add(d));
    }
    value.ok_or_else(|| cursor.fail(SyntaxError::Number))
}

/// `class (, class)*`, as the union of the classes.
fn classes(cursor: &mut Cursor<'_>, space_listed: &mut bool) -> Result<CharSet, RulesError> {
    let mut set = 0;
    loop {
        set |= class(cursor, space_listed)?;
        cursor.skip_space();
        if !cursor.eat(',') {
            return Ok(set);
        }
        cursor.skip_space();
    }
}

fn class(cursor: &mut Cursor<'_>, space_listed: &mut bool) -> Result<CharSet, RulesError> {
    if cursor.eat('[') {
        let set = custom(cursor)?;
        *space_listed |= set & SPACE != 0;
        return Ok(set);
    }
    match cursor.name().to_ascii_lowercase().as_str() {
        "upper" => Ok(UPPER),
        "lower" => Ok(LOWER),
        "digit" => Ok(DIGIT),
        "special" => Ok(SPECIAL),
        // We generate ASCII only: `unicode` is read as `ascii-printable` (as 1Password and Apple do).
        "ascii-printable" | "unicode" => Ok(ASCII_PRINTABLE),
        _ => Err(cursor.fail(SyntaxError::Class)),
    }
}

/// After `[`: an optional leading `-`, characters other than `-` and `]`, an optional `]` when `]]` closes.
fn custom(cursor: &mut Cursor<'_>) -> Result<CharSet, RulesError> {
    let mut set = 0;
    let mut add = |c: char| {
        if c == ' ' || c.is_ascii_graphic() {
            set |= 1u128 << (c as u32);
        }
    };
    if cursor.eat('-') {
        add('-');
    }
    while let Some(c) = cursor.peek().filter(|&c| c != '-' && c != ']') {
        add(c);
        cursor.bump();
    }
    if cursor.rest().starts_with("]]") {
        add(']');
        cursor.bump();
    }
    if cursor.eat(']') {
        Ok(set)
    } else {
        Err(cursor.fail(SyntaxError::SetEnd))
    }
}
