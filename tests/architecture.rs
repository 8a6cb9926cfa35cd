//! The rules of ARCHITECTURE.md that a reader cannot see the compiler
//! enforce, read off the sources: the layers of `src/` (every import goes
//! down), no import circle between sibling modules, no figure name spelled
//! outside `src/figure/`, short files, a README that is a manual of at most
//! 500 lines and names every long option of every command.
//!
//! The sources are read as text: non-test code is a file up to its first
//! `#[cfg(test)]`, and files named `tests.rs` or under a `tests/` folder are
//! test code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cargo_ratecheck::figure::id;

/// The layers of `src/`, bottom first (ARCHITECTURE.md, "Layers"). A module
/// may import the engine crate and modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    &[
        "figure",
        "git",
        "duration",
        "engine_names",
        "atomic_write",
        "process",
    ],
    &["service", "baseline", "shard"],
    &["config"],
    &["error"],
    &["suite"],
    &["revision"],
    &["gate"],
    &["report"],
    &["init", "cli"],
    &["commands"],
];

/// The largest non-test source file, in lines.
const MAX_FILE_LINES: usize = 600;
/// The longest README.md, in lines.
const MAX_README_LINES: usize = 500;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A source file's module path under `src/` (`src/a/b.rs` and
/// `src/a/b/mod.rs` → `["a", "b"]`; `src/lib.rs` → `[]`).
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn is_test_file(file: &Path) -> bool {
    file.file_name().is_some_and(|n| n == "tests.rs")
        || file.components().any(|c| c.as_os_str() == "tests")
}

/// The code of a file before its first `#[cfg(test)]`, comment lines left
/// out.
fn non_test_code(text: &str) -> String {
    let code = text.find("#[cfg(test)]").map_or(text, |i| &text[..i]);
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The non-test source files of the folder `src` (relative to the
/// workspace root) with their module paths and code.
fn sources_of(src: &str) -> Vec<(PathBuf, Vec<String>, String)> {
    let src = root().join(src);
    rust_files(&src)
        .into_iter()
        .filter(|f| !is_test_file(f.strip_prefix(&src).unwrap()))
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            let module = module_path(&src, &f);
            (f, module, non_test_code(&text))
        })
        .collect()
}

/// [`sources_of`] the gate crate.
fn sources() -> Vec<(PathBuf, Vec<String>, String)> {
    sources_of("src")
}

/// The module paths a piece of code names: `crate::a::b`, `super::x`
/// (resolved against `module`, the file's own module), and the members
/// of a braced list after either (`crate::a::{b, c}`).
fn referenced_paths(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    // `super` is the parent of the file's module (`src/a/b.rs` and
    // `src/a/b/mod.rs` are both `a::b`, so both name `a`).
    let parent = module[..module.len().saturating_sub(1)].to_vec();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent)] {
        let mut rest = code;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut path = base.clone();
            let mut tail = rest;
            loop {
                let ident: String = tail
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if ident.is_empty() {
                    if let Some(list) = tail.strip_prefix('{') {
                        let end = list.find('}').unwrap_or(list.len());
                        for member in list[..end].split(',') {
                            let name: String = member
                                .trim()
                                .chars()
                                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                                .collect();
                            if !name.is_empty() {
                                let mut p = path.clone();
                                p.push(name);
                                out.push(p);
                            }
                        }
                    }
                    break;
                }
                path.push(ident.clone());
                tail = &tail[ident.len()..];
                match tail.strip_prefix("::") {
                    Some(t) => tail = t,
                    None => break,
                }
            }
            out.push(path);
        }
    }
    out
}

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

#[test]
fn every_module_of_src_is_in_a_layer_and_imports_only_lower_layers() {
    let mut broken = BTreeSet::new();
    for (file, module, code) in sources() {
        let Some(top) = module.first() else { continue };
        let own = layer_of(top)
            .unwrap_or_else(|| panic!("module `{top}` ({}) is in no layer", file.display()));
        for path in referenced_paths(&module, &code) {
            let Some(other) = path.first() else { continue };
            if other == top {
                continue;
            }
            if let Some(layer) = layer_of(other) {
                if layer >= own {
                    broken.insert(format!(
                        "{} imports {other} ({})",
                        file.display(),
                        path.join("::")
                    ));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports that do not go down a layer:\n{}",
        Vec::from_iter(broken).join("\n")
    );
}

#[test]
fn no_import_circle_between_sibling_modules() {
    let mut circles = circles_in(&sources());
    circles.extend(circles_in(&sources_of("crates/ratecheck-engine/src")));
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

/// The pairs of sibling modules that reach each other through imports.
fn circles_in(sources: &[(PathBuf, Vec<String>, String)]) -> Vec<String> {
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|(_, m, _)| m.clone()).collect();
    // Edges between siblings: a module (or anything inside it) naming a
    // sibling (or anything inside it). A parent and its children are not
    // siblings.
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (_, module, code) in sources {
        for path in referenced_paths(module, code) {
            let common = module.iter().zip(&path).take_while(|(a, b)| a == b).count();
            if common >= module.len() || common >= path.len() {
                continue; // itself, its own descendant, or its ancestor
            }
            let from = module[..=common].to_vec();
            let to = path[..=common].to_vec();
            if modules.contains(&to) || modules.iter().any(|m| m.starts_with(&to)) {
                edges.entry(from).or_default().insert(to);
            }
        }
    }
    let mut circles = Vec::new();
    for (a, targets) in &edges {
        for b in targets {
            if a < b && reaches(&edges, b, a) {
                circles.push(format!("{} ↔ {}", a.join("::"), b.join("::")));
            }
        }
    }
    circles
}

/// Whether `to` is reachable from `from` along `edges`.
fn reaches(
    edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    from: &[String],
    to: &[String],
) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_vec()];
    while let Some(m) = stack.pop() {
        if m == to {
            return true;
        }
        if seen.insert(m.clone()) {
            stack.extend(edges.get(&m).into_iter().flatten().cloned());
        }
    }
    false
}

#[test]
fn the_reader_of_imports_resolves_crate_super_and_lists() {
    let module = vec!["report".to_string(), "text".to_string()];
    let code = "use crate::figure::{id, Figure};\nuse super::format::value;\nlet x = a_crate::b;";
    let paths = referenced_paths(&module, code);
    let names: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert!(names.contains(&"figure::id".to_string()), "{names:?}");
    assert!(names.contains(&"figure::Figure".to_string()), "{names:?}");
    assert!(
        names.contains(&"report::format::value".to_string()),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.starts_with('b')), "{names:?}");
}

#[test]
fn no_figure_name_is_spelled_outside_the_figure_module() {
    let mut found = Vec::new();
    for (file, module, code) in sources() {
        if module.first().is_some_and(|m| m == "figure") {
            continue;
        }
        for name in id::ALL {
            if code.contains(&format!("\"{name}\"")) {
                found.push(format!("{}: \"{name}\"", file.display()));
            }
        }
        for prefix in id::PREFIXES {
            if code.contains(&format!("\"{prefix}")) {
                found.push(format!("{}: \"{prefix}…", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "figure names outside src/figure (use figure::id):\n{}",
        found.join("\n")
    );
}

#[test]
fn no_non_test_source_file_is_over_600_lines() {
    let r = root();
    let mut long = Vec::new();
    for dir in ["src", "crates", "xtask/src"] {
        for file in rust_files(&r.join(dir)) {
            let rel = file.strip_prefix(&r).unwrap();
            if is_test_file(rel) || rel.components().any(|c| c.as_os_str() == "benches") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let lines = text.lines().count();
            if lines > MAX_FILE_LINES {
                long.push(format!("{}: {lines} lines", rel.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_readme_is_a_manual_of_at_most_500_lines() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let n = readme.lines().count();
    assert!(
        n <= MAX_README_LINES,
        "README.md has {n} lines (at most {MAX_README_LINES}): move detail to docs/"
    );
}

/// Every long option of every visible command, as `--name`.
fn long_options(cmd: &clap::Command, out: &mut BTreeSet<String>) {
    for arg in cmd.get_arguments() {
        if arg.is_hide_set() {
            continue;
        }
        if let Some(long) = arg.get_long() {
            if long != "help" && long != "version" {
                out.insert(format!("--{long}"));
            }
        }
    }
    for sub in cmd.get_subcommands() {
        if !sub.is_hide_set() {
            long_options(sub, out);
        }
    }
}

#[test]
fn every_long_option_of_every_command_is_in_the_readme() {
    use clap::CommandFactory;
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut options = BTreeSet::new();
    long_options(&cargo_ratecheck::cli::Cargo::command(), &mut options);
    assert!(options.len() > 20, "too few options read: {options:?}");
    let missing: Vec<&String> = options
        .iter()
        .filter(|o| {
            !readme.match_indices(o.as_str()).any(|(i, _)| {
                let next = readme[i + o.len()..].chars().next();
                !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "long options missing from README.md: {missing:?}"
    );
}
