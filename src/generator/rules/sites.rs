//! The built-in table of known sites' rules: Apple's `password-rules.json` (MIT; commit and licence in
//! `NOTICE`), embedded in the binary and read once, on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// `data/password-rules.json` without its indentation (build.rs).
const TABLE: &str = include_str!(concat!(env!("OUT_DIR"), "/password-rules.json"));

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "password-rules")]
    rules: String,
}

fn table() -> &'static HashMap<String, String> {
    static PARSED: OnceLock<HashMap<String, String>> = OnceLock::new();
    PARSED.get_or_init(|| {
        // The file is ours and tested to parse; an empty table (every site unknown) is the safe failure.
        serde_json::from_str::<HashMap<String, Entry>>(TABLE)
            .map(|m| {
                m.into_iter()
                    .map(|(domain, e)| (domain.to_ascii_lowercase(), e.rules))
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// The rules of `host`: the exact host first, then its nearest parent domain in the table
/// (`www.activision.com` → `activision.com`). Case-insensitive; a trailing dot is ignored. Returns the domain
/// that matched and its rules.
pub fn lookup(host: &str) -> Option<(&'static str, &'static str)> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let table = table();
    let mut candidate = host.as_str();
    loop {
        if let Some((domain, rules)) = table.get_key_value(candidate) {
            return Some((domain.as_str(), rules.as_str()));
        }
        // The parent: drop the first label; a bare top-level domain is never a site.
        candidate = candidate.split_once('.')?.1;
        if !candidate.contains('.') {
            return None;
        }
    }
}

/// Every domain of the table, sorted (tests, suggestions).
pub fn domains() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = table().keys().map(String::as_str).collect();
    all.sort_unstable();
    all
}

/// Every domain of the table with its rules, sorted by domain (the page's suggestions).
pub fn with_rules() -> &'static [(&'static str, &'static str)] {
    static SORTED: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    SORTED.get_or_init(|| {
        let mut all: Vec<(&'static str, &'static str)> = table()
            .iter()
            .map(|(d, r)| (d.as_str(), r.as_str()))
            .collect();
        all.sort_unstable();
        all
    })
}
