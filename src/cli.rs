//! The command-line generators, `giropops-senhas generate` and `giropops-senhas passphrase`: the server's
//! generator from a terminal or a script. They never touch a history store. An impossible policy exits with 2
//! and one line saying why; `--json` prints the API v1 response shape.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use crate::generator::entropy::{Strength, rounded};
use crate::generator::passphrase::{DEFAULT_SEPARATOR, DEFAULT_WORDS};
use crate::generator::policy::DEFAULT_LENGTH;
use crate::generator::{ClassOption, PassphrasePolicy, PasswordOptions};

/// Largest `--count`, as in the API.
const MAX_COUNT: u16 = 100;

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Password length (4–128).
    #[arg(long, short = 'l', value_name = "N", default_value_t = DEFAULT_LENGTH, allow_negative_numbers = true)]
    pub length: i64,
    /// How many passwords, one per line (1–100).
    #[arg(long, short = 'n', value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=MAX_COUNT as i64))]
    pub count: u16,
    /// No lowercase letters (a–z).
    #[arg(long)]
    pub no_lowercase: bool,
    /// No uppercase letters (A–Z).
    #[arg(long)]
    pub no_uppercase: bool,
    /// No digits (0–9).
    #[arg(long)]
    pub no_digits: bool,
    /// No symbols.
    #[arg(long)]
    pub no_symbols: bool,
    /// At least N lowercase letters (default 1 when the class is on).
    #[arg(long, value_name = "N")]
    pub min_lowercase: Option<usize>,
    /// At least N uppercase letters (default 1 when the class is on).
    #[arg(long, value_name = "N")]
    pub min_uppercase: Option<usize>,
    /// At least N digits (default 1 when the class is on).
    #[arg(long, value_name = "N")]
    pub min_digits: Option<usize>,
    /// At least N symbols (default 1 when the class is on).
    #[arg(long, value_name = "N")]
    pub min_symbols: Option<usize>,
    /// Leave out the look-alikes 0 O o 1 l I |.
    #[arg(long)]
    pub exclude_ambiguous: bool,
    /// Characters never to use.
    #[arg(
        long,
        value_name = "CHARS",
        default_value = "",
        allow_hyphen_values = true
    )]
    pub exclude: String,
    /// The symbol set (ASCII punctuation). Default: !#$%&()*+,-./:;<=>?@[]^_{|}~ (no quotes, backslash,
    /// backtick or space, which break shells and configuration files).
    #[arg(long = "symbols", value_name = "CHARS", allow_hyphen_values = true)]
    pub symbol_set: Option<String>,
    /// Print the API v1 JSON ({"passwords": [...], "entropy_bits": ..., "strength": ...}).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PassphraseArgs {
    /// Number of words from the EFF large wordlist (3–20; 12.925 bits each).
    #[arg(long, short = 'w', value_name = "N", default_value_t = DEFAULT_WORDS, allow_negative_numbers = true)]
    pub words: i64,
    /// Separator between words (up to 5 characters, no letters).
    #[arg(long, short = 's', value_name = "S", default_value = DEFAULT_SEPARATOR, allow_hyphen_values = true)]
    pub separator: String,
    /// Capitalise the first letter of each word.
    #[arg(long)]
    pub capitalize: bool,
    /// Append one random digit to one random word.
    #[arg(long)]
    pub number: bool,
    /// How many passphrases, one per line (1–100).
    #[arg(long, short = 'n', value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=MAX_COUNT as i64))]
    pub count: u16,
    /// Print the API v1 JSON ({"passphrases": [...], "entropy_bits": ..., "strength": ...}).
    #[arg(long)]
    pub json: bool,
}

fn class(off: bool, min: Option<usize>) -> ClassOption {
    ClassOption { enabled: !off, min }
}

/// Exit code of an impossible request, as for invalid arguments.
const USAGE: u8 = 2;

fn refuse(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("giropops-senhas: {message}");
    ExitCode::from(USAGE)
}

pub fn generate(args: &GenerateArgs) -> ExitCode {
    let options = PasswordOptions {
        length: args.length,
        lowercase: class(args.no_lowercase, args.min_lowercase),
        uppercase: class(args.no_uppercase, args.min_uppercase),
        digits: class(args.no_digits, args.min_digits),
        symbols: class(args.no_symbols, args.min_symbols),
        exclude_ambiguous: args.exclude_ambiguous,
        exclude: args.exclude.clone(),
        symbol_set: args.symbol_set.clone(),
    };
    let policy = match options.policy() {
        Ok(policy) => policy,
        Err(e) => return refuse(format_args!("impossible policy: {e}")),
    };
    // Prepared once: the method, the counting table and the entropy serve every password.
    let prepared = policy.prepare();
    let passwords = match prepared.generate_many(usize::from(args.count), &mut rand::rngs::SysRng) {
        Ok(passwords) => passwords,
        Err(e) => {
            eprintln!("giropops-senhas: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bits = prepared.entropy_bits();
    print(
        args.json,
        &passwords,
        json!({
            "passwords": passwords,
            "entropy_bits": rounded(bits),
            "strength": Strength::from_bits(bits).as_str(),
        }),
    )
}

pub fn passphrase(args: &PassphraseArgs) -> ExitCode {
    let policy =
        match PassphrasePolicy::new(args.words, &args.separator, args.capitalize, args.number) {
            Ok(policy) => policy,
            Err(e) => return refuse(format_args!("impossible passphrase: {e}")),
        };
    let mut rng = rand::rngs::SysRng;
    let phrases: Result<Vec<String>, _> =
        (0..args.count).map(|_| policy.generate(&mut rng)).collect();
    let phrases = match phrases {
        Ok(phrases) => phrases,
        Err(e) => {
            eprintln!("giropops-senhas: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bits = policy.entropy_bits();
    print(
        args.json,
        &phrases,
        json!({
            "passphrases": phrases,
            "entropy_bits": rounded(bits),
            "strength": Strength::from_bits(bits).as_str(),
        }),
    )
}

/// One secret per line, or the JSON document. A closed pipe (`| head -1`) is not an error worth a message.
fn print(as_json: bool, secrets: &[String], document: serde_json::Value) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let written = if as_json {
        writeln!(out, "{document}")
    } else {
        secrets.iter().try_for_each(|s| writeln!(out, "{s}"))
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("giropops-senhas: cannot write the output: {e}");
            ExitCode::FAILURE
        }
    }
}
