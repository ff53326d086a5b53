//! The README's configuration table cannot drift from `--help`: every setting the binary has is documented.

mod common;

use std::process::Command;

/// `[env: NAME=…]` markers in the binary's help (the server's and each subcommand's).
fn settings_in_help() -> Vec<String> {
    let mut names = Vec::new();
    for args in [vec!["--help"], vec!["serve", "--help"]] {
        let out = Command::new(common::BIN)
            .args(&args)
            .output()
            .expect("run --help");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        for part in text.split("[env: ").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

fn undocumented(readme: &str, names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|n| !readme.contains(&format!("| `{n}` |")))
        .cloned()
        .collect()
}

#[test]
fn every_setting_is_in_the_readme_table() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let names = settings_in_help();
    assert!(
        names.len() >= 16,
        "too few settings found in --help: {names:?}"
    );
    let missing = undocumented(&readme, &names);
    assert!(
        missing.is_empty(),
        "README configuration table lacks {missing:?}"
    );
    // And the check can fail: a README without a row is caught.
    let without = readme.replace("| `HISTORY_TTL` |", "| HISTORY_TTL |");
    assert_eq!(undocumented(&without, &names), ["HISTORY_TTL"]);
}
