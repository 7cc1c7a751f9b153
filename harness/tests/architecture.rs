//! The architecture invariants, read from the source: the harness's imports
//! point down the pipeline (cli → check → campaign / conformance → report →
//! isolate → compare → execute → source), and no two files of the harness or
//! of the runners crate import each other in a circle; the runners crate
//! keeps its engines in rooms (`native/`, `js/`, `wasi/`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `harness/src` and its rank: a module may import
/// only modules of a lower rank (or its own).
const STAGES: &[(&str, u32)] = &[
    ("source", 0),
    ("execute", 1),
    ("compare", 2),
    ("isolate", 3),
    ("report", 4),
    ("campaign", 5),
    ("conformance", 5),
    ("check", 6),
    ("fuzzing", 6),
    ("wasi", 6),
    ("corpus", 6),
    ("perf", 6),
    ("cli", 7),
    ("lib", 8),
    ("main", 8),
];

fn rank(stage: &str) -> u32 {
    STAGES
        .iter()
        .find(|(s, _)| *s == stage)
        .map(|(_, r)| *r)
        .unwrap_or_else(|| panic!("harness/src/{stage} is in no stage: add it to STAGES and to the code map in docs/src/architecture.md"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `source::case` for `src/source/case.rs`, `source` for `src/source/mod.rs`.
fn module_path(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let parts: Vec<&str> = match parts.last().map(String::as_str) {
        Some("mod") => parts[..parts.len() - 1].iter().map(String::as_str).collect(),
        _ => parts.iter().map(String::as_str).collect(),
    };
    parts.join("::")
}

/// The code of a file without comments and without its unit-test module.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b…` path in `code`, as the module path it names, with
/// `use crate::x::{a, b}` groups expanded one level.
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let tail = &rest[at + "crate::".len()..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(tail.len());
        let base = tail[..end].trim_end_matches(':').to_string();
        if tail[end..].starts_with('{') {
            let group = &tail[end + 1..tail[end..].find('}').map_or(tail.len(), |i| end + i)];
            for item in group.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let item = item.split_whitespace().next().unwrap_or("");
                paths.push(format!("{base}::{item}"));
            }
        }
        paths.push(base);
        rest = &tail[end..];
    }
    paths
}

/// The longest prefix of `path` that is a module of the crate.
fn resolve<'a>(modules: &'a BTreeSet<String>, path: &str) -> Option<&'a String> {
    let mut parts: Vec<&str> = path.split("::").filter(|p| *p != "self").collect();
    while !parts.is_empty() {
        if let Some(m) = modules.get(&parts.join("::")) {
            return Some(m);
        }
        parts.pop();
    }
    None
}

/// Module → the modules it imports, for the harness.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    import_graph_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

/// Module → the modules it imports, for the crate whose sources are `src`.
fn import_graph_of(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let src = src.to_path_buf();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_path(&src, f)).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let me = module_path(&src, file);
        let text = std::fs::read_to_string(file).unwrap();
        let targets: BTreeSet<String> = crate_paths(&code(&text))
            .iter()
            .filter_map(|p| resolve(&modules, p))
            .filter(|t| **t != me)
            .cloned()
            .collect();
        graph.insert(me, targets);
    }
    graph
}

fn stage_of(module: &str) -> &str {
    match module.split("::").next().unwrap_or("") {
        "" => "lib",
        s => s,
    }
}

#[test]
fn imports_point_down_the_pipeline() {
    let mut upward = Vec::new();
    for (from, targets) in import_graph() {
        for to in targets {
            let (a, b) = (stage_of(&from), stage_of(&to));
            if a != b && rank(a) <= rank(b) {
                upward.push(format!("{from} imports {to}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports against the pipeline:\n{}",
        upward.join("\n")
    );
}

/// Import circles of `graph`, one line each.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    // A module reaches itself through its imports: a circle (a parent mod.rs
    // naming its own children is not one, so edges into descendants are left out).
    let reaches = |start: &String| -> Option<Vec<String>> {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((m, trail)) = stack.pop() {
            for next in graph.get(&m).into_iter().flatten() {
                if next.starts_with(&format!("{m}::")) {
                    continue;
                }
                if next == start {
                    return Some([trail.clone(), vec![next.clone()]].concat());
                }
                if seen.insert(next.clone()) {
                    stack.push((next.clone(), [trail.clone(), vec![next.clone()]].concat()));
                }
            }
        }
        None
    };
    graph.keys().filter_map(reaches).map(|c| c.join(" → ")).collect()
}

#[test]
fn no_import_circles_between_files() {
    let circles = circles(&import_graph());
    assert!(circles.is_empty(), "import circles:\n{}", circles.join("\n"));
}

/// The runners crate's sources.
fn runners_src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runners/src")
}

#[test]
fn the_runners_crate_has_rooms_without_import_circles() {
    let graph = import_graph_of(&runners_src());
    // The checker reads the rooms: the node WASI adapter builds on the
    // JavaScript engines, the registry on every room.
    assert!(graph["wasi::node"].contains("js"), "{:?}", graph["wasi::node"]);
    assert!(graph["registry"].contains("wasi"), "{:?}", graph["registry"]);
    let circles = circles(&graph);
    assert!(
        circles.is_empty(),
        "import circles in runners:\n{}",
        circles.join("\n")
    );
    // No file sits beside the rooms but the model and the plumbing they share.
    let mut top: Vec<String> = std::fs::read_dir(runners_src())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(
        top,
        [
            "child.rs",
            "engine.rs",
            "js",
            "lib.rs",
            "limits.rs",
            "measure.rs",
            "native",
            "probe.rs",
            "registry.rs",
            "value.rs",
            "versions.rs",
            "wasi"
        ]
    );
    // Each room's mod.rs opens saying what it owns and what holds in it.
    for room in ["js", "native", "wasi"] {
        let text = std::fs::read_to_string(runners_src().join(room).join("mod.rs")).unwrap();
        assert!(
            text.starts_with("//! "),
            "runners/src/{room}/mod.rs opens without saying what it owns"
        );
        assert!(
            text.contains("Invariant:"),
            "runners/src/{room}/mod.rs states no invariant"
        );
    }
}

#[test]
fn the_checker_sees_imports() {
    // Guards the two tests above against reading nothing.
    let graph = import_graph();
    assert!(
        graph["campaign"].contains("report::bundle"),
        "{:?}",
        graph["campaign"]
    );
    assert!(
        graph["compare::judge"].contains("execute"),
        "{:?}",
        graph["compare::judge"]
    );
    assert!(graph.len() > 30);
}
