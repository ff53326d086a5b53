//! The page's static files, prepared once at build time so that no request pays for it: each file of `assets/`
//! gets a name carrying a hash of its content (`app.<hash>.css`, cached by browsers for a year) and a gzip body
//! (sent to clients that accept it). The stylesheet names the background pattern by its hashed name, so the
//! pattern is hashed first. Writes `$OUT_DIR/assets.rs`, included by `src/http/pages/assets.rs`.

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

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=assets");
    let out = PathBuf::from(env::var("OUT_DIR")?);
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
