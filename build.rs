//! What is prepared once at build time so that neither a request nor the binary's size pays for it:
//! - the page's static files: each file of `assets/` gets a name carrying a hash of its content
//!   (`app.<hash>.css`, cached by browsers for a year) and a gzip body (sent to clients that accept it). The
//!   stylesheet names the background pattern by its hashed name, so the pattern is hashed first. Writes
//!   `$OUT_DIR/assets.rs`, included by `src/http/pages/assets.rs`;
//! - the passphrase word lists, packed: each list's words concatenated, and a table of where each starts. The
//!   crates ship `[&str; N]`, 16 bytes of pointer and length per word (124 KiB for the EFF list alone); packed,
//!   2 bytes per word. Writes `$OUT_DIR/wordlists.rs`, included by `src/generator/language.rs`;
//! - the sites' password rules (`data/password-rules.json`, indented as Apple ships it) without the whitespace
//!   between tokens: 9 KB less in the binary. Writes `$OUT_DIR/password-rules.json`, included by
//!   `src/generator/rules/sites.rs`.

use std::error::Error;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::{env, fs};

use flate2::Compression;
use flate2::write::GzEncoder;

/// (file in `assets/`, content type), in build order: what a later file refers to comes first.
const FILES: [(&str, &str); 4] = [
    ("favicon.svg", "image/svg+xml"),
    ("pattern.svg", "image/svg+xml"),
    ("app.css", "text/css; charset=utf-8"),
    ("app.js", "text/javascript; charset=utf-8"),
];

/// FNV-1a, 64 bits: a fixed, documented function of the bytes (the name only has to change when they do).
fn content_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, Box<dyn Error>> {
    // No file name and mtime 0 in the header: the same input always gives the same bytes (reproducible image).
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// One packed list: `pub static {NAME}_TEXT: &str` (the words, concatenated) and `{NAME}_STARTS: [u16; N + 1]`
/// (word `i` is `TEXT[STARTS[i]..STARTS[i + 1]]`).
fn packed_list(name: &str, words: &[&str]) -> Result<String, Box<dyn Error>> {
    let text: String = words.concat();
    u16::try_from(text.len())
        .map_err(|_| format!("word list {name} is too long for u16 offsets"))?;
    let mut starts = vec![0usize];
    starts.extend(words.iter().scan(0, |end, word| {
        *end += word.len();
        Some(*end)
    }));
    let starts: Vec<String> = starts.iter().map(usize::to_string).collect();
    Ok(format!(
        "pub static {name}_TEXT: &str = {text:?};\npub static {name}_STARTS: [u16; {}] = [{}];\n",
        starts.len(),
        starts.join(",")
    ))
}

/// `json` without the whitespace outside its strings (the file is checked to parse by the tests of `sites.rs`).
fn minified_json(json: &str) -> String {
    let (mut in_string, mut escaped) = (false, false);
    json.chars()
        .filter(|&c| {
            if in_string {
                (escaped, in_string) = (!escaped && c == '\\', escaped || c != '"');
                true
            } else {
                in_string = c == '"';
                !c.is_ascii_whitespace()
            }
        })
        .collect()
}

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=assets");
    println!("cargo::rerun-if-changed=data/password-rules.json");
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let lists = packed_list("EFF_LARGE", &diceware_wordlists::EFF_LONG_WORDLIST)?
        + &packed_list("BIP39_PORTUGUESE", bip39::Language::Portuguese.word_list())?;
    fs::write(out.join("wordlists.rs"), lists)?;
    let rules = fs::read_to_string("data/password-rules.json")?;
    fs::write(out.join("password-rules.json"), minified_json(&rules))?;
    let mut renamed: Vec<(String, String)> = Vec::new();
    let mut table = String::from("[\n");
    for (file, content_type) in FILES {
        let mut body = fs::read_to_string(format!("assets/{file}"))?;
        for (plain, hashed) in &renamed {
            body = body.replace(&format!("/assets/{plain}"), &format!("/assets/{hashed}"));
        }
        let (stem, extension) = file.rsplit_once('.').ok_or("asset without extension")?;
        let hashed = format!("{stem}.{:016x}.{extension}", content_hash(body.as_bytes()));
        let compressed = gzip(body.as_bytes())?;
        fs::write(out.join(&hashed), &body)?;
        // Only when it saves bytes (a tiny SVG may not shrink).
        let gzip_field = if compressed.len() < body.len() {
            fs::write(out.join(format!("{hashed}.gz")), &compressed)?;
            format!("Some(include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{hashed}.gz\")))")
        } else {
            "None".to_string()
        };
        writeln!(
            table,
            "    BuiltAsset {{ file: {file:?}, name: {hashed:?}, content_type: {content_type:?}, \
             body: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{hashed}\")), gzip: {gzip_field} }},"
        )?;
        renamed.push((file.to_string(), hashed));
    }
    table.push_str("]\n");
    fs::write(
        out.join("assets.rs"),
        format!("static BUILT: [BuiltAsset; {}] = {table};\n", FILES.len()),
    )?;
    Ok(())
}
