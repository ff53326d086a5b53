//! The offline generators, `giropops-senhas generate` and `giropops-senhas passphrase`: the server's
//! generator from a terminal or a script, with no server and no history store. Their flags are in
//! [`crate::config`] with every other setting. An impossible policy exits with 2 and one line saying why;
//! `--json` prints the API v1 response shape.

use std::io::Write;
use std::process::ExitCode;

use serde_json::json;

use crate::config::{GenerateArgs, PassphraseArgs};
use crate::generator::policy::DEFAULT_LENGTH;
use crate::generator::{ClassOption, PassphrasePolicy, PasswordOptions, target};
use crate::service::{self, Budget, Generated, ServiceError};

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
        // Not read: the length is `args.length`, or what `--min-entropy` asks for.
        length: DEFAULT_LENGTH,
        lowercase: class(args.no_lowercase, args.min_lowercase),
        uppercase: class(args.no_uppercase, args.min_uppercase),
        digits: class(args.no_digits, args.min_digits),
        symbols: class(args.no_symbols, args.min_symbols),
        exclude_ambiguous: args.exclude_ambiguous,
        exclude: args.exclude.clone(),
        symbol_set: args.symbol_set.clone(),
    };
    let policy = match target::password_policy(&options, args.length, args.min_entropy) {
        Ok(policy) => policy,
        Err(e) => return refuse(format_args!("impossible policy: {e}")),
    };
    // The user's own process: no per-request CPU budget.
    match service::passwords(&policy, usize::from(args.count), Budget::Unbounded) {
        Ok(generated) => print(args.json, "passwords", generated),
        Err(e) => failed(e),
    }
}

pub fn passphrase(args: &PassphraseArgs) -> ExitCode {
    let build = |words| {
        PassphrasePolicy::new(words, &args.separator, args.capitalize, args.number)
            .map(|p| p.with_language(args.language))
    };
    let policy = match target::passphrase_policy(args.words, args.min_entropy, build) {
        Ok(policy) => policy,
        Err(e) => return refuse(format_args!("impossible passphrase: {e}")),
    };
    match service::passphrases(&policy, usize::from(args.count)) {
        Ok(generated) => print(args.json, "passphrases", generated),
        Err(e) => failed(e),
    }
}

fn failed(e: ServiceError) -> ExitCode {
    eprintln!("giropops-senhas: {e}");
    ExitCode::FAILURE
}

/// One secret per line, or the JSON document. A closed pipe (`| head -1`) is not an error worth a message.
fn print(as_json: bool, key: &str, generated: Generated) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let written = if as_json {
        let document = json!({
            key: generated.secrets,
            "entropy_bits": generated.rounded_bits(),
            "strength": generated.strength().as_str(),
        });
        writeln!(out, "{document}")
    } else {
        generated
            .secrets
            .iter()
            .try_for_each(|s| writeln!(out, "{s}"))
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
