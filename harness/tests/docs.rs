//! The README front page and the book in `docs/`: every relative link and
//! anchor resolves, the book's summary lists every chapter, the front page
//! stays a front page, figures that drift are what the tool says, and the
//! book builds with mdbook where it is installed (`.ci/run` installs it).

use crate::common;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The README and every chapter of the book.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let mut chapters: Vec<PathBuf> = std::fs::read_dir(root().join("docs/src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    chapters.sort();
    pages.extend(chapters);
    pages
}

/// A heading's anchor as GitHub and mdbook write it.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == ' ' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings (outside code blocks).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            code = !code;
        }
        if !code && let Some(h) = line.strip_prefix('#') {
            out.insert(slug(h.trim_start_matches('#')));
        }
    }
    out
}

/// The targets of a page's Markdown links `](target)`, outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            code = !code;
        }
        if code {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}

#[test]
fn every_relative_link_and_anchor_of_the_readme_and_the_book_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let dir = page.parent().unwrap();
        for target in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let file = if path.is_empty() {
                page.clone()
            } else {
                dir.join(path)
            };
            if !file.exists() {
                broken.push(format!("{}: {target}: no such file", page.display()));
                continue;
            }
            if !anchor.is_empty() && file.extension().is_some_and(|x| x == "md") {
                let there = std::fs::read_to_string(&file).unwrap();
                if !anchors(&there).contains(anchor) {
                    broken.push(format!("{}: {target}: no such heading", page.display()));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "{} broken link(s):\n{}",
        broken.len(),
        broken.join("\n")
    );
    assert!(checked > 50, "only {checked} links found");
}

#[test]
fn the_book_summary_lists_every_chapter_and_the_readme_is_a_front_page() {
    let summary = std::fs::read_to_string(root().join("docs/src/SUMMARY.md")).unwrap();
    let listed: BTreeSet<String> = links(&summary).into_iter().collect();
    for page in pages().iter().skip(1) {
        let name = page.file_name().unwrap().to_string_lossy().to_string();
        if name != "SUMMARY.md" {
            assert!(listed.contains(&name), "docs/src/SUMMARY.md does not list {name}");
        }
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 200,
        "the README is {lines} lines: it is a front page, the manual is docs/"
    );
    // Every chapter is linked from the front page.
    let linked: BTreeSet<String> = links(&readme).into_iter().collect();
    for name in &listed {
        assert!(
            linked.iter().any(|l| l.starts_with(&format!("docs/src/{name}"))),
            "the README does not link {name}"
        );
    }
}

/// Figures the tool can state: versions, counts and names in the README and
/// the book must be what `wasmgate engines` and the library say.
#[test]
fn figures_in_the_readme_and_the_book_are_what_the_tool_says() {
    let book: String = pages()
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let generator = wasmgate_harness::source::generate::GENERATOR_VERSION;
    assert!(
        book.contains(&format!("The generator version is `{generator}`")),
        "the book does not name the generator version {generator}"
    );
    let changelog = std::fs::read_to_string(root().join("docs/src/schema-changelog.md")).unwrap();
    let first = changelog
        .lines()
        .find_map(|l| l.strip_prefix("- `"))
        .and_then(|l| l.split('`').next())
        .unwrap_or_default();
    assert_eq!(
        first,
        wasmgate_harness::report::REPORT_SCHEMA_VERSION.to_string(),
        "the schema changelog's first entry is not the current schema version"
    );
    // Wherever the README or the book writes a report's version, it is this one.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let stated: Vec<&str> = [book.as_str(), readme.as_str()]
        .iter()
        .flat_map(|text| text.split("schema_version: ").skip(1))
        .map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap_or_default()
        })
        .collect();
    assert!(!stated.is_empty(), "the book states the report's schema_version");
    for v in stated {
        assert_eq!(
            v,
            wasmgate_harness::report::REPORT_SCHEMA_VERSION.to_string(),
            "a page says `schema_version: {v}`"
        );
    }
    let o = common::wasmgate(&["engines", "--json"]);
    let engines: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let table = std::fs::read_to_string(root().join("docs/src/engines.md")).unwrap();
    let words = [
        "Zero",
        "One",
        "Two",
        "Three",
        "Four",
        "Five",
        "Six",
        "Seven",
        "Eight",
        "Nine",
        "Ten",
        "Eleven",
        "Twelve",
        "Thirteen",
        "Fourteen",
        "Fifteen",
        "Sixteen",
        "Seventeen",
        "Eighteen",
    ];
    let core: Vec<&serde_json::Value> = engines.iter().filter(|e| e["kind"] == "core").collect();
    let defaults = core.iter().filter(|e| e["default"] == true).count();
    let bases: BTreeSet<&str> = core.iter().filter_map(|e| e["code_base"].as_str()).collect();
    assert!(
        table.contains(&format!(
            "{} configurations from {} independent code bases",
            words[core.len()],
            words[bases.len()].to_lowercase()
        )),
        "engines.md miscounts: {} configurations of {} code bases",
        core.len(),
        bases.len()
    );
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("on all {defaults} engines")),
        "the README's main command does not say it runs {defaults} engines"
    );
    assert!(
        readme.contains(&format!(
            "the {} configurations of {} code bases",
            core.len(),
            words[bases.len()].to_lowercase()
        )),
        "the README's chapter table miscounts the engines"
    );
    // Every engine has its row; an in-process runtime's row names its version.
    for e in &engines {
        let name = e["name"].as_str().unwrap();
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("engines.md has no row for {name}"));
        let version = e["version"].as_str().unwrap_or_default();
        if ["wasmtime", "wasmer", "wasmi"].contains(&e["code_base"].as_str().unwrap_or_default()) {
            let number = version.split_whitespace().next().unwrap_or_default();
            assert!(
                row.contains(number),
                "engines.md's row for {name} does not say {number}: {row}"
            );
        }
    }
}

/// The book builds with mdbook (`MDBOOK`, or `mdbook` on the PATH).
#[test]
fn the_book_builds_with_mdbook() {
    let mdbook = std::env::var("MDBOOK").ok().or_else(|| common::which("mdbook"));
    let Some(mdbook) = mdbook else {
        eprintln!("skipped: no mdbook (cargo install mdbook; .ci/run installs it)");
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(mdbook)
        .arg("build")
        .arg(root().join("docs"))
        .arg("--dest-dir")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    for chapter in [
        "index.html",
        "engines.html",
        "findings.html",
        "schema-changelog.html",
    ] {
        assert!(out.path().join(chapter).exists(), "mdbook wrote no {chapter}");
    }
}
