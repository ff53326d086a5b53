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

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `NAME` of every `| \`NAME\` |` row of the README's configuration table (between its section markers).
fn table_rows(readme: &str) -> Vec<String> {
    let section = readme
        .split("<!-- section:config -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- /section:config -->").next())
        .unwrap_or("");
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .filter(|name| name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .map(str::to_owned)
        .collect()
}

fn stale(rows: &[String], names: &[String]) -> Vec<String> {
    rows.iter()
        .filter(|r| !names.contains(r))
        .cloned()
        .collect()
}

#[test]
fn every_row_of_the_readme_table_is_a_real_setting() {
    let readme = read("README.md");
    let rows = table_rows(&readme);
    let names = settings_in_help();
    assert!(rows.len() >= 16, "rows found: {rows:?}");
    assert!(
        stale(&rows, &names).is_empty(),
        "README rows for settings --help does not have: {:?}",
        stale(&rows, &names)
    );
    // The check can fail: a row for a setting that does not exist is caught.
    let mut with_stale = rows.clone();
    with_stale.push("REDIS_POOL_SIZE".into());
    assert_eq!(stale(&with_stale, &names), ["REDIS_POOL_SIZE"]);
}

/// Relative links `](path)` / `](path#anchor)` of a Markdown file that point at no file (code spans, which
/// may hold regular expressions, left out).
fn broken_links(base: &std::path::Path, text: &str) -> Vec<String> {
    let prose: String = text.split('`').step_by(2).collect::<Vec<_>>().join(" ");
    prose
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|target| !target.contains("://") && !target.starts_with('#'))
        .filter(|target| !target.starts_with("mailto:"))
        .map(|target| target.split('#').next().unwrap_or(target).to_owned())
        .filter(|path| !path.is_empty() && !base.join(path).exists())
        .collect()
}

#[test]
fn every_link_between_the_docs_points_at_a_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        let path = entry.expect("docs entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read doc");
        let base = file.parent().unwrap_or(root);
        for link in broken_links(base, &text) {
            broken.push(format!("{}: {link}", file.display()));
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
    // The check can fail.
    assert_eq!(
        broken_links(
            root,
            "see [x](docs/nowhere.md#a), [y](README.md) and `^([a-z](x))$`"
        ),
        ["docs/nowhere.md"]
    );
    assert!(
        read("README.md").contains("](ARCHITECTURE.md)"),
        "the README links the map"
    );
}

/// The top-level modules of the crate: `src/X.rs` and `src/X/`.
fn top_level_modules() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules: Vec<String> = std::fs::read_dir(root)
        .expect("src/")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_stem()?.to_str()?.to_owned();
            Some(name)
        })
        .collect();
    modules.sort();
    modules.dedup();
    modules
}

/// `src/…`, `tests/…` and `docs/…` paths in backticks that do not exist.
fn missing_paths(text: &str) -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| ["src/", "tests/", "docs/"].iter().any(|p| s.starts_with(p)))
        .flat_map(|s| s.split(", "))
        .filter(|path| !root.join(path).exists())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_architecture_map_names_every_module_and_only_real_paths() {
    let map = read("ARCHITECTURE.md");
    let unlisted: Vec<String> = top_level_modules()
        .into_iter()
        .filter(|m| {
            !map.contains(&format!("`src/{m}.rs`")) && !map.contains(&format!("`src/{m}/`"))
        })
        .collect();
    assert!(
        unlisted.is_empty(),
        "ARCHITECTURE.md does not map {unlisted:?}"
    );
    let missing = missing_paths(&map);
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
    // The checks can fail.
    assert_eq!(
        missing_paths("see `src/nowhere.rs` and `src/lib.rs`"),
        ["src/nowhere.rs"]
    );
    assert!(!map.contains("`src/nowhere.rs`"));
}

/// The README is the front door: what, why, the two commands, settings, an API summary and links. Depth goes to
/// `docs/`.
const README_MAX_LINES: usize = 300;

fn too_long(text: &str) -> bool {
    text.lines().count() > README_MAX_LINES
}

#[test]
fn the_readme_stays_a_front_door() {
    let readme = read("README.md");
    assert!(
        !too_long(&readme),
        "README.md has {} lines (at most {README_MAX_LINES}): move depth to docs/",
        readme.lines().count()
    );
    assert!(
        too_long(&"x\n".repeat(README_MAX_LINES + 1)),
        "the check can fail"
    );
}
