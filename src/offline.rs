//! The offline generators, `giropops-senhas generate` and `giropops-senhas passphrase`: the server's
//! generator from a terminal or a script, with no server and no history store. Their flags are in
//! [`crate::config`] with every other setting. An impossible policy exits with 2 and one line saying why;
//! `--json` prints the API v1 response shape.

use std::io::Write;
use std::process::ExitCode;

use serde_json::json;

use crate::config::{GenerateArgs, PassphraseArgs};
use crate::generator::policy::DEFAULT_LENGTH;
use crate::generator::rules::{self, RulesError, RulesFields, RulesPolicy, sites};
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
    if args.rules.is_some() || args.site.is_some() {
        return generate_by_rules(args);
    }
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
        Ok(generated) => print(args.json, "passwords", generated, None),
        Err(e) => failed(e),
    }
}

/// `--rules` / `--site`: the API's rules path, with the same refusals (as one line, exit 2).
fn generate_by_rules(args: &GenerateArgs) -> ExitCode {
    let (text, source) = match (&args.rules, &args.site) {
        (Some(rules), _) => (rules.clone(), "request".to_owned()),
        (None, Some(site)) => match sites::lookup(site) {
            Some((domain, rules)) => (rules.to_owned(), format!("site:{domain}")),
            None => {
                return refuse(RulesError::UnknownSite {
                    site: site.chars().take(64).collect(),
                    names: RulesFields::API,
                });
            }
        },
        (None, None) => return refuse("--rules or --site is needed"),
    };
    let conflicts = [
        ("--no-lowercase", args.no_lowercase),
        ("--no-uppercase", args.no_uppercase),
        ("--no-digits", args.no_digits),
        ("--no-symbols", args.no_symbols),
        ("--min-lowercase", args.min_lowercase.is_some()),
        ("--min-uppercase", args.min_uppercase.is_some()),
        ("--min-digits", args.min_digits.is_some()),
        ("--min-symbols", args.min_symbols.is_some()),
        ("--symbols", args.symbol_set.is_some()),
        ("--min-entropy", args.min_entropy.is_some()),
    ];
    if let Some((flag, _)) = conflicts.iter().find(|(_, set)| *set) {
        return refuse(RulesError::Conflict {
            field: flag,
            names: RulesFields::API,
        });
    }
    let excluded = rules::excluded(args.exclude_ambiguous, &args.exclude);
    let policy = match RulesPolicy::new(&text, excluded, args.length) {
        Ok(policy) => policy,
        Err(e) => return refuse(format_args!("impossible rules: {e}")),
    };
    match service::rules_passwords(&policy, usize::from(args.count), Budget::Unbounded) {
        Ok(generated) => print(args.json, "passwords", generated, Some((text, source))),
        Err(ServiceError::Policy(e)) => refuse(format_args!("impossible rules: {e}")),
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
        Ok(generated) => print(args.json, "passphrases", generated, None),
        Err(e) => failed(e),
    }
}

fn failed(e: ServiceError) -> ExitCode {
    eprintln!("giropops-senhas: {e}");
    ExitCode::FAILURE
}

/// One secret per line, or the JSON document. A closed pipe (`| head -1`) is not an error worth a message.
/// `rules`: the rules string followed and where it came from, shown in the JSON as the API does.
fn print(
    as_json: bool,
    key: &str,
    generated: Generated,
    rules: Option<(String, String)>,
) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let written = if as_json {
        let mut document = json!({
            key: generated.secrets,
            "entropy_bits": generated.rounded_bits(),
            "strength": generated.strength().as_str(),
        });
        if let (Some((text, source)), Some(object)) = (rules, document.as_object_mut()) {
            object.insert("rules".into(), text.into());
            object.insert("rules_source".into(), source.into());
        }
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
