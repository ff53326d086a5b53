//! No import cycle between the crate's top-level modules, and the core never imports the layers built on it.
//!
//! The graph comes from the source text: a file under `src/X.rs` or `src/X/` belongs to module `X`, and every
//! `crate::Y` path in its code (comments left out) is an edge X → Y. Rust accepts cycles between modules of
//! one crate, so only this test keeps them out: with a cycle, no module can be read, tested or moved to its
//! own crate without the others.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// Module → the modules it imports, each edge with where it comes from (`file:line`).
type Graph = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// Edges that make a cycle today and are being removed in another change; each says why it is tolerated.
/// The test fails once an edge is gone, so the exception cannot outlive it.
const PENDING: &[(&str, &str, &str)] = &[];

/// The core: what everything else is built on. None of it may import the layers above.
const CORE: &[&str] = &["config", "generator", "metrics", "store", "telemetry"];
/// Those layers: the service operations and the front ends (web, server, command line).
const ABOVE_CORE: &[&str] = &["http", "server", "service", "offline"];

#[test]
fn the_modules_import_each_other_without_a_cycle() {
    let mut graph = crate_graph();
    for (from, to, why) in PENDING {
        let removed = graph.get_mut(*from).and_then(|edges| edges.remove(*to));
        assert!(
            removed.is_some(),
            "{from} → {to} is gone: remove it from PENDING ({why})"
        );
    }
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "import cycles between modules:\n{}",
        describe(&graph, &cycles)
    );
}

#[test]
fn the_core_does_not_import_the_layers_built_on_it() {
    let graph = crate_graph();
    let mut wrong = Vec::new();
    for from in CORE {
        for (to, places) in graph.get(*from).into_iter().flatten() {
            if ABOVE_CORE.contains(&to.as_str()) {
                wrong.push(format!("{from} → {to} ({})", places.join(", ")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the core imports above it:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_graph_sees_the_imports_it_must() {
    let graph = crate_graph();
    // Edges the code has today, so a parser that stopped seeing imports cannot pass as "no cycle"; chosen
    // among modules that are not being rewritten.
    for (from, to) in [
        ("server", "http"),
        ("metrics", "store"),
        ("store", "generator"),
    ] {
        assert!(
            graph.get(from).is_some_and(|edges| edges.contains_key(to)),
            "{from} → {to} missing from {graph:#?}"
        );
    }
    assert!(
        !graph.contains_key("main") && !graph.contains_key("lib"),
        "crate roots are not modules"
    );
}

#[test]
fn a_cycle_is_found_and_named() {
    let graph = synthetic(&[
        ("metrics", "store"),
        ("store", "redis"),
        ("redis", "metrics"),
        ("http", "store"),
    ]);
    assert_eq!(
        cycles(&graph),
        [vec!["metrics", "store", "redis", "metrics"]]
    );
    let message = describe(&graph, &cycles(&graph));
    assert!(
        message.contains("redis → metrics (redis.rs:1)"),
        "{message}"
    );
}

#[test]
fn two_modules_importing_each_other_are_a_cycle_and_a_chain_is_not() {
    assert_eq!(
        cycles(&synthetic(&[("http", "server"), ("server", "http")])),
        [vec!["http", "server", "http"]]
    );
    assert!(
        cycles(&synthetic(&[
            ("http", "store"),
            ("store", "config"),
            ("http", "config")
        ]))
        .is_empty()
    );
}

#[test]
fn group_imports_and_comments_are_read_as_the_compiler_would() {
    let code = "use crate::{config::ServeConfig, store::{Store, Operation}};\n\
                // crate::http is only mentioned here\n\
                let x = crate::metrics::Interface::Cli; /// [`crate::server`]\n\
                let url = \"http://example\"; crate::generator::x();\n";
    let found: Vec<(usize, String)> = imports(code);
    let names: BTreeSet<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["config", "store", "metrics", "generator"])
    );
}

/// Longest source file a reader should face; test modules (`tests.rs`) may be longer.
const MAX_SOURCE_LINES: usize = 600;

fn oversized(files: &[(String, usize)]) -> Vec<String> {
    files
        .iter()
        .filter(|(path, lines)| !path.ends_with("/tests.rs") && *lines > MAX_SOURCE_LINES)
        .map(|(path, lines)| format!("{path}: {lines} lines"))
        .collect()
}

#[test]
fn no_source_file_is_longer_than_a_reader_can_hold() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files: Vec<(String, usize)> = rust_files(&root.join("src"))
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read source");
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            (name, text.lines().count())
        })
        .collect();
    assert!(files.len() > 30, "the walk found the sources");
    let over = oversized(&files);
    assert!(over.is_empty(), "split these files: {over:?}");
    // The check can fail: a long file outside a test module is reported, a long `tests.rs` is not.
    let synthetic = [
        ("src/a.rs".to_owned(), MAX_SOURCE_LINES + 1),
        ("src/a/tests.rs".to_owned(), 2 * MAX_SOURCE_LINES),
    ];
    assert_eq!(oversized(&synthetic), ["src/a.rs: 601 lines"]);
}

/// The HTTP layer's types are all used: no schema-only or leftover code hidden behind `allow(dead_code)`.
#[test]
fn the_http_layer_hides_no_dead_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let hidden: Vec<String> = rust_files(&root.join("src/http"))
        .into_iter()
        .filter(|path| {
            std::fs::read_to_string(path)
                .expect("read source")
                .contains(concat!("allow(", "dead_code)"))
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

fn synthetic(edges: &[(&str, &str)]) -> Graph {
    let mut graph = Graph::new();
    for (from, to) in edges {
        graph
            .entry((*from).to_owned())
            .or_default()
            .insert((*to).to_owned(), vec![format!("{from}.rs:1")]);
    }
    graph
}

fn crate_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = Graph::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).expect("under src");
        let Some(module) = top_level_module(relative) else {
            continue;
        };
        let code = std::fs::read_to_string(&file).expect("read a source file");
        let edges = graph.entry(module.clone()).or_default();
        for (line, to) in imports(&code) {
            if to != module {
                edges
                    .entry(to)
                    .or_default()
                    .push(format!("src/{}:{line}", relative.display()));
            }
        }
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// `store/redis_store.rs` → `store`; `metrics.rs` → `metrics`. `lib.rs` and `main.rs` are crate roots (and
/// `crate::` in `main.rs` is the binary, not the library), not modules.
fn top_level_module(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// The top-level modules a file's code names through `crate::`, with their line numbers.
fn imports(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in code.lines().enumerate() {
        let code = without_comment(line);
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            // A `crate::` that ends a longer name (`my_crate::`) is not this crate.
            let before = &code[..code.len() - rest.len() - "crate::".len()];
            if before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue;
            }
            for name in first_segments(rest) {
                found.push((number + 1, name));
            }
        }
    }
    found
}

/// `store::Operation` → `store`; `{config::X, store::{A, B}}` → `config`, `store`.
fn first_segments(path: &str) -> Vec<String> {
    let identifier = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let Some(group) = path.strip_prefix('{') else {
        return vec![identifier(path)];
    };
    let mut names = Vec::new();
    let mut depth = 0;
    let mut item_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => item_start = true,
            c if item_start && !c.is_whitespace() => {
                names.push(identifier(&group[i..]));
                item_start = false;
            }
            _ => {}
        }
    }
    names.retain(|n| !n.is_empty() && n != "self");
    names
}

/// The line without its `//` comment; a `//` inside a string literal (a URL) is not a comment.
fn without_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// One cycle for each group of modules that reach each other (a strongly connected component), as the path
/// from its first module back to it.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([from.to_owned()]);
        while let Some(module) = queue.pop_front() {
            for next in graph
                .get(&module)
                .into_iter()
                .flat_map(|edges| edges.keys())
            {
                if seen.insert(next.clone()) {
                    queue.push_back(next.clone());
                }
            }
        }
        seen
    };
    let mut in_a_cycle: BTreeSet<String> = BTreeSet::new();
    let mut found = Vec::new();
    for module in graph.keys() {
        if in_a_cycle.contains(module) || !reach(module).contains(module) {
            continue;
        }
        let path = shortest_path_back(graph, module);
        in_a_cycle.extend(
            graph
                .keys()
                .filter(|other| reach(module).contains(*other) && reach(other).contains(module))
                .cloned(),
        );
        found.push(path);
    }
    found
}

/// The shortest path `module → … → module` (breadth first, so the report names the fewest edges).
fn shortest_path_back(graph: &Graph, module: &str) -> Vec<String> {
    let mut came_from: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = VecDeque::from([module.to_owned()]);
    while let Some(current) = queue.pop_front() {
        for next in graph
            .get(&current)
            .into_iter()
            .flat_map(|edges| edges.keys())
        {
            if next == module {
                let mut path = vec![module.to_owned(), current.clone()];
                let mut at = current.clone();
                while let Some(previous) = came_from.get(&at) {
                    path.push(previous.clone());
                    at = previous.clone();
                }
                path.reverse();
                return path;
            }
            if !came_from.contains_key(next) && next != module {
                came_from.insert(next.clone(), current.clone());
                queue.push_back(next.clone());
            }
        }
    }
    Vec::new()
}

fn describe(graph: &Graph, cycles: &[Vec<String>]) -> String {
    let mut out = String::new();
    for cycle in cycles {
        out.push_str(&cycle.join(" → "));
        out.push('\n');
        for pair in cycle.windows(2) {
            let places = &graph[&pair[0]][&pair[1]];
            out.push_str(&format!(
                "  {} → {} ({})\n",
                pair[0],
                pair[1],
                places.join(", ")
            ));
        }
    }
    out
}
