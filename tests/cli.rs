//! The real binary's `generate` and `passphrase` subcommands: output, JSON, exit codes, `--help`.

use std::process::{Command, Output};

use giropops_senhas::generator::Language;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_giropops-senhas");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .output()
        .expect("run the binary")
}

fn lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .expect("utf-8 output")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn generate_prints_one_password_per_line() {
    let out = run(&["generate", "--length", "24", "--count", "5"]);
    assert!(out.status.success(), "{out:?}");
    let passwords = lines(&out);
    assert_eq!(passwords.len(), 5);
    for p in &passwords {
        assert_eq!(p.len(), 24, "{p}");
        assert!(p.bytes().any(|b| b.is_ascii_lowercase()), "{p}");
        assert!(p.bytes().any(|b| b.is_ascii_uppercase()), "{p}");
        assert!(p.bytes().any(|b| b.is_ascii_digit()), "{p}");
        assert!(
            !p.bytes().any(|b| b"\"'\\` ".contains(&b)),
            "default symbols are shell-safe: {p}"
        );
    }
    assert!(out.stderr.is_empty());
}

#[test]
fn generate_honours_the_policy_flags() {
    let out = run(&[
        "generate",
        "-l",
        "12",
        "--no-uppercase",
        "--no-symbols",
        "--min-digits",
        "10",
        "--exclude-ambiguous",
        "--exclude",
        "23",
        "-n",
        "20",
    ]);
    assert!(out.status.success(), "{out:?}");
    for p in lines(&out) {
        assert_eq!(p.len(), 12);
        assert!(p.bytes().filter(u8::is_ascii_digit).count() >= 10, "{p}");
        assert!(
            p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{p}"
        );
        assert!(!p.bytes().any(|b| b"0Oo1lI|23".contains(&b)), "{p}");
    }
    let out = run(&[
        "generate",
        "--no-lowercase",
        "--no-uppercase",
        "--no-digits",
        "--symbols",
        "#-",
        "-l",
        "6",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(lines(&out)[0].bytes().all(|b| b == b'#' || b == b'-'));
}

#[test]
fn generate_json_is_the_v1_shape() {
    let out = run(&[
        "generate",
        "--json",
        "--count",
        "3",
        "--length",
        "8",
        "--no-symbols",
        "--no-uppercase",
    ]);
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["passwords"].as_array().map(Vec::len), Some(3));
    // 36^8 − 26^8 − 10^8 = 2612182842880 → log2 = 41.248…, shown as 41.2: fair.
    assert_eq!(v["entropy_bits"], 41.2);
    assert_eq!(v["strength"], "fair");
}

#[test]
fn generate_follows_a_sites_rules() {
    let out = run(&[
        "generate",
        "--site",
        "www.activision.com",
        "--count",
        "20",
        "--json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["rules_source"], "site:activision.com");
    for p in doc["passwords"].as_array().unwrap() {
        let p = p.as_str().unwrap();
        assert_eq!(p.len(), 20, "{p}");
        assert!(
            p.as_bytes().chunk_by(|a, b| a == b).all(|r| r.len() <= 2),
            "{p}"
        );
        assert!(p.bytes().any(|b| b.is_ascii_digit()), "{p}");
    }
    let out = run(&[
        "generate",
        "--rules",
        "allowed: [ab]; max-consecutive: 1",
        "--length",
        "6",
    ]);
    assert!(out.status.success(), "{out:?}");
    let line = lines(&out).pop().unwrap_or_default();
    assert!(line == "ababab" || line == "bababa", "{line}");
}

#[test]
fn impossible_policies_exit_2_with_one_line() {
    for args in [
        vec![
            "generate",
            "--length",
            "8",
            "--min-digits",
            "5",
            "--min-symbols",
            "4",
        ],
        vec![
            "generate",
            "--no-lowercase",
            "--no-uppercase",
            "--no-digits",
            "--no-symbols",
        ],
        vec![
            "generate",
            "--no-lowercase",
            "--no-uppercase",
            "--no-symbols",
            "--exclude",
            "0123456789",
        ],
        vec!["generate", "--no-digits", "--min-digits", "2"],
        vec!["generate", "--symbols", "ab"],
        vec!["generate", "--length", "3"],
        vec!["generate", "--length", "129"],
        vec!["passphrase", "--words", "2"],
        vec!["passphrase", "--separator", "and"],
        vec!["generate", "--count", "0"],
        vec!["generate", "--bogus"],
        vec!["passphrase", "--language", "fr"],
        vec!["passphrase", "--language", "pt"],
        vec!["generate", "--min-entropy", "900"],
        vec!["generate", "--min-entropy", "0"],
        vec!["generate", "--length", "8", "--min-entropy", "100"],
        vec!["passphrase", "--language", "pt-BR", "--min-entropy", "221"],
        vec![
            "passphrase",
            "--language",
            "pt-BR",
            "--words",
            "5",
            "--min-entropy",
            "60",
        ],
        vec!["generate", "--site", "example.com"],
        vec!["generate", "--site", "apple.com", "--rules", "minlength: 8"],
        vec!["generate", "--site", "apple.com", "--no-digits"],
        vec![
            "generate",
            "--rules",
            "minlength: 8; maxlength: 10",
            "--length",
            "12",
        ],
        vec!["generate", "--rules", "allowed: [a]; max-consecutive: 2"],
        vec!["generate", "--rules", "minlenght: 8"],
        vec!["generate", "--site", "apple.com", "--min-entropy", "80"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
}

#[test]
fn passphrase_prints_words_from_the_eff_list() {
    let out = run(&[
        "passphrase",
        "--words",
        "7",
        "--separator",
        " ",
        "--capitalize",
        "--number",
        "-n",
        "4",
    ]);
    assert!(out.status.success(), "{out:?}");
    let phrases = lines(&out);
    assert_eq!(phrases.len(), 4);
    for p in phrases {
        let words: Vec<&str> = p.split(' ').collect();
        assert_eq!(words.len(), 7, "{p}");
        assert!(
            words
                .iter()
                .all(|w| w.starts_with(|c: char| c.is_ascii_uppercase())),
            "{p}"
        );
        assert_eq!(p.bytes().filter(u8::is_ascii_digit).count(), 1, "{p}");
    }
    let out = run(&["passphrase", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["entropy_bits"], 77.5, "6 words: 6·log2(7776)");
    assert_eq!(v["strength"], "strong");
    let phrase = v["passphrases"][0].as_str().unwrap();
    assert_eq!(phrase.split('-').count(), 6, "{phrase}");
}

#[test]
fn passphrase_in_portuguese_and_sized_by_entropy() {
    let list: std::collections::HashSet<&str> = Language::PtBr.words().iter().collect();
    let out = run(&[
        "passphrase",
        "--language",
        "pt-BR",
        "--words",
        "7",
        "-n",
        "5",
    ]);
    assert!(out.status.success(), "{out:?}");
    let phrases = lines(&out);
    assert_eq!(phrases.len(), 5);
    for p in &phrases {
        let words: Vec<&str> = p.split('-').collect();
        assert_eq!(words.len(), 7, "{p}");
        assert!(words.iter().all(|w| list.contains(w)), "{p}");
    }
    let out = run(&["passphrase", "--language", "pt-BR", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["entropy_bits"], 66.0, "6 words, 11 bits each");
    // 80 bits: 8 Portuguese words (88 bits; 7 give 77), 7 English ones (90.5; 6 give 77.5).
    let out = run(&[
        "passphrase",
        "--language",
        "pt-BR",
        "--min-entropy",
        "80",
        "--json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["entropy_bits"], 88.0, "{v}");
    let phrase = v["passphrases"][0].as_str().unwrap();
    assert_eq!(phrase.split('-').count(), 8, "{phrase}");
    let out = run(&["passphrase", "--min-entropy", "80", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["entropy_bits"], 90.5, "{v}");
    // Passwords: the default policy reaches 100 bits at 16 characters.
    let out = run(&["generate", "--min-entropy", "100", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["passwords"][0].as_str().map(str::len), Some(16), "{v}");
    assert!(v["entropy_bits"].as_f64().unwrap() >= 100.0, "{v}");
    let out = run(&["generate", "--min-entropy", "900"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("900 bits") && stderr.contains("the most is"),
        "{stderr}"
    );
}

#[test]
fn help_documents_every_option() {
    let out = run(&["generate", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--length",
        "--count",
        "--no-lowercase",
        "--no-uppercase",
        "--no-digits",
        "--no-symbols",
        "--min-digits",
        "--min-symbols",
        "--min-lowercase",
        "--min-uppercase",
        "--exclude-ambiguous",
        "--exclude",
        "--symbols",
        "--min-entropy",
        "--rules",
        "--site",
        "--json",
    ] {
        assert!(help.contains(flag), "generate --help lacks {flag}");
    }
    let out = run(&["passphrase", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--words",
        "--separator",
        "--capitalize",
        "--number",
        "--count",
        "--language",
        "--min-entropy",
        "--json",
    ] {
        assert!(help.contains(flag), "passphrase --help lacks {flag}");
    }
    let top = String::from_utf8_lossy(&run(&["--help"]).stdout).into_owned();
    assert!(
        top.contains("generate") && top.contains("passphrase"),
        "{top}"
    );
}
