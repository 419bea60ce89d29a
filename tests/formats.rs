//! Report formats for CI systems: JUnit (checked against tests/junit.xsd's structure), GitHub
//! workflow commands and markdown (snapshots), several outputs in one run.

mod common;

use std::collections::HashMap;

use common::*;
use quick_xml::events::Event;
use quick_xml::Reader;

const NOW: &str = "--now=2026-01-11T00:00:00Z";

#[derive(Debug)]
struct Element {
    name: String,
    attrs: HashMap<String, String>,
    children: Vec<Element>,
}

fn parse_xml(text: &str) -> Element {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = vec![Element { name: "#document".into(), attrs: HashMap::new(), children: vec![] }];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                stack.push(element(&e));
            }
            Event::Empty(e) => {
                let el = element(&e);
                stack.last_mut().unwrap().children.push(el);
            }
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unbalanced XML");
    let mut doc = stack.pop().unwrap();
    assert_eq!(doc.children.len(), 1, "one root element");
    doc.children.remove(0)
}

fn element(e: &quick_xml::events::BytesStart) -> Element {
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.expect("valid attribute");
            (
                String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                a.unescape_value().expect("escaped value").into_owned(),
            )
        })
        .collect();
    Element { name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(), attrs, children: vec![] }
}

fn int_attr(e: &Element, name: &str) -> usize {
    e.attrs.get(name).unwrap_or_else(|| panic!("<{}> lacks required `{name}`", e.name)).parse().expect("xs:int")
}

/// Every element and required attribute of tests/junit.xsd, and counts that add up.
fn assert_valid_junit(xml: &str) -> Element {
    let root = parse_xml(xml);
    assert_eq!(root.name, "testsuites");
    let mut total = 0;
    for suite in &root.children {
        assert_eq!(suite.name, "testsuite");
        assert!(suite.attrs.contains_key("name"));
        let (tests, failures, errors) =
            (int_attr(suite, "tests"), int_attr(suite, "failures"), int_attr(suite, "errors"));
        let cases: Vec<&Element> = suite.children.iter().filter(|c| c.name == "testcase").collect();
        for other in suite.children.iter().filter(|c| c.name != "testcase") {
            assert_eq!(other.name, "properties");
            assert!(other
                .children
                .iter()
                .all(|p| p.name == "property" && p.attrs.contains_key("name") && p.attrs.contains_key("value")));
        }
        assert_eq!(cases.len(), tests);
        let with = |tag: &str| cases.iter().filter(|c| c.children.iter().any(|x| x.name == tag)).count();
        assert_eq!(with("failure"), failures);
        assert_eq!(with("error"), errors);
        for case in cases {
            assert!(case.attrs.contains_key("name") && case.attrs.contains_key("classname"));
            for child in &case.children {
                assert!(["skipped", "failure", "error", "system-out"].contains(&child.name.as_str()), "{}", child.name);
                if child.name == "failure" || child.name == "error" {
                    assert!(child.attrs.contains_key("message"));
                }
            }
        }
        total += tests;
    }
    assert_eq!(int_attr(&root, "tests"), total);
    root
}

fn redact_time(text: &str) -> String {
    regex::Regex::new(r#"time="[0-9.]+""#).unwrap().replace_all(text, "time=\"[t]\"").into_owned()
}

#[test]
fn junit_is_valid_and_maps_statuses() {
    let run = tollgate(&["check", "contracts/orders.yaml", "contracts/orders_daily.yaml", NOW, "--format", "junit"]);
    assert_eq!(run.code, 1);
    let root = assert_valid_junit(&run.stdout);
    assert_eq!(root.children.len(), 2);
    assert_eq!(root.children[1].attrs["name"], "orders_daily [2026-01-08]");
    assert_eq!(int_attr(&root.children[0], "failures"), 1);
    assert_eq!(int_attr(&root.children[1], "failures"), 3);
    insta::assert_snapshot!("orders_junit", redact_time(&run.stdout));
    let skipped = tollgate(&["check", "contracts/orders_daily.yaml", "--partition", "2026-01-02", "--format", "junit"]);
    let root = assert_valid_junit(&skipped.stdout);
    assert_eq!(int_attr(&root.children[0], "skipped"), 1);
}

#[test]
fn junit_escapes_hostile_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), "a\n<x & \"y\">\n").unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "contract: x\ndataset: {path: d.csv}\nschema:\n  columns:\n    - {name: a, pattern: \"^z$\"}\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "--format", "junit"]);
    assert_eq!(run.code, 1);
    assert_valid_junit(&run.stdout);
    assert!(run.stdout.contains("&lt;x &amp; "), "{}", run.stdout);
}

#[test]
fn github_commands_point_at_contract_lines() {
    let run = tollgate(&["check", "contracts/orders.yaml", NOW, "--format", "github"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("orders_github", run.stdout);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "one command per check that did not pass");
    let contract = std::fs::read_to_string(repo().join("contracts/orders.yaml")).unwrap();
    let range_line = contract.lines().position(|l| l.contains("range: {min: 0, max: 10000")).unwrap() + 1;
    assert!(lines[0].starts_with(&format!("::error file=contracts/orders.yaml,line={range_line},")), "{}", lines[0]);
    assert!(lines[1].starts_with("::warning "));
}

#[test]
fn markdown_summary() {
    let run = tollgate(&["check", "contracts/orders.yaml", NOW, "--format", "markdown"]);
    insta::assert_snapshot!("orders_markdown", run.stdout);
}

#[test]
fn several_outputs_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let xml = dir.path().join("r.xml");
    let md = dir.path().join("r.md");
    let run = tollgate(&[
        "check",
        "contracts/orders.yaml",
        NOW,
        "--format",
        "json",
        "--output",
        json.to_str().unwrap(),
        "--report",
        &format!("junit={}", xml.display()),
        "--report",
        &format!("markdown={}", md.display()),
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("┆ amount.range"), "the table still goes to stdout");
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(j["status"], "fail");
    assert_valid_junit(&std::fs::read_to_string(&xml).unwrap());
    assert!(std::fs::read_to_string(&md).unwrap().starts_with("## tollgate"));
    let quiet =
        tollgate(&["check", "contracts/orders.yaml", NOW, "--quiet", "--report", &format!("json={}", json.display())]);
    assert_eq!(quiet.code, 1);
    assert_eq!(quiet.stdout, "");
    let bad = tollgate(&["check", "contracts/orders.yaml", "--report", "yaml=x"]);
    assert_eq!(bad.code, 2);
}
