//! Report formats for CI systems: JUnit (checked against tests/it/junit.xsd's structure), GitHub
//! workflow commands and markdown (snapshots), several outputs in one run.

use std::collections::HashMap;

use crate::common::*;
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

/// Every element and required attribute of tests/it/junit.xsd, and counts that add up.
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

/// A copy of contracts/orders.yaml whose failing columns are marked sensitive in each of the
/// native ways; `email` fails its pattern without tolerance so it is sampled.
fn sensitive_native(dir: &std::path::Path) -> std::path::PathBuf {
    let fixtures = repo().join("fixtures");
    let text = format!(
        "contract: orders_pii
dataset: {{path: {f}/orders.parquet}}
schema:
  columns:
    - {{name: amount, type: float64, range: {{min: 0, max: 10000}}, sensitive: true}}
    - {{name: country, type: string, pattern: \"^[A-Z]{{2}}$\", classification: PII}}
    - {{name: email, type: string, pattern: \"^[^@\\\\s]+@[^@\\\\s]+$\", classification: restricted}}
    - {{name: customer_id, type: int64, classification: confidential}}
    - {{name: created_at, type: timestamp, sensitive: true}}
    - {{name: status, type: string, accepted_values: [placed], classification: public}}
checks:
  - freshness: {{column: created_at, max_age: 36h}}
  - references: {{column: customer_id, dataset: {f}/customers.parquet, key: id}}
",
        f = fixtures.display()
    );
    let path = dir.join("pii.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The failing values each sensitive check shows when allowed to, learnt from the data itself.
fn shown_values(contract: &str) -> Vec<String> {
    let r = tollgate(&["check", contract, "--format", "json", "--show-sensitive", NOW]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("--show-sensitive: values of amount, country, email, customer_id, created_at are shown"),
        "{}",
        r.stderr
    );
    let doc = r.json();
    let mut values = Vec::new();
    for id in ["amount.range", "country.pattern", "email.pattern", "references"] {
        let samples = check(&doc, id)["samples"].as_array().unwrap_or_else(|| panic!("{id} has samples")).clone();
        assert!(!samples.is_empty(), "{id}");
        values.extend(samples.iter().map(|s| match &s["value"] {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        }));
    }
    assert!(check(&doc, "freshness")["message"].as_str().unwrap().contains("2026-01-10T16:39:00"));
    values
}

#[test]
fn sensitive_values_never_reach_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let contract = sensitive_native(dir.path());
    let contract = contract.to_str().unwrap();
    let values = shown_values(contract);
    assert!(values.contains(&"usa".to_string()) && values.contains(&"-50.0".to_string()), "{values:?}");
    for format in ["table", "json", "junit", "markdown", "github"] {
        let r = tollgate(&["check", contract, "--format", format, NOW]);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        for v in &values {
            // Numbers are searched as whole tokens: `-50.0` must not appear, `1000 rows` may.
            let leaked = regex::Regex::new(&format!(r"(^|[^0-9.]){}($|[^0-9])", regex::escape(v))).unwrap();
            assert!(!leaked.is_match(&r.stdout), "{format} leaks {v}:\n{}", r.stdout);
            assert!(!leaked.is_match(&r.stderr), "{format} leaks {v} on stderr");
        }
        assert!(!r.stdout.contains("2026-01-10T16:39:00"), "{format} leaks the newest created_at");
    }
    // JSON keeps counts and locations, the value redacted; the public column is shown.
    let doc = tollgate(&["check", contract, "--format", "json", NOW]).json();
    let country = &check(&doc, "country.pattern")["samples"][0];
    assert_eq!(country["value"], "<redacted>");
    assert_eq!(country["count"], 3);
    assert_eq!(country["row"], 5);
    assert_eq!(check(&doc, "country.pattern")["sample"], serde_json::json!(["<redacted>"]));
    assert_eq!(check(&doc, "references")["samples"].as_array().unwrap().len(), 5);
    assert_eq!(check(&doc, "freshness")["message"], "newest value is 7.3h old (max 36h)");
    let status = check(&doc, "status.accepted_values")["sample"].as_array().unwrap();
    assert!(status.iter().all(|v| v != "<redacted>" && v.is_string()), "public stays visible: {status:?}");
    let table = tollgate(&["check", contract, NOW]);
    assert!(table.stdout.contains("\"<redacted>\" ×3 (first at row 5)"), "{}", table.stdout);
}

#[test]
fn quarantine_keeps_sensitive_values_in_the_users_storage() {
    let dir = tempfile::tempdir().unwrap();
    let contract = sensitive_native(dir.path());
    let q = dir.path().join("q");
    let r = tollgate(&["check", contract.to_str().unwrap(), "--quarantine", q.to_str().unwrap(), NOW, "-q"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    use polars::prelude::*;
    let frame = ParquetReader::new(std::fs::File::open(q.join("orders_pii.parquet")).unwrap()).finish().unwrap();
    let rows = frame.lazy().filter(col("country").eq(lit("usa"))).collect().unwrap();
    assert_eq!(rows.height(), 3, "the quarantined rows hold the real values");
}

#[test]
fn odcs_classification_and_custom_properties_mark_columns_sensitive() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "apiVersion: v3.0.2
kind: DataContract
id: pii
name: pii
version: 1.0.0
status: active
servers:
  - server: local
    type: local
    path: {}
    format: parquet
schema:
  - name: orders
    properties:
      - name: country
        logicalType: string
        classification: restricted
        logicalTypeOptions: {{pattern: \"^[A-Z]{{2}}$\"}}
      - name: amount
        logicalType: number
        customProperties:
          - property: pii
            value: true
        logicalTypeOptions: {{minimum: 0}}
      - name: status
        logicalType: string
        classification: public
        logicalTypeOptions: {{pattern: \"^placed$\"}}
",
        repo().join("fixtures/orders.parquet").display()
    );
    let path = dir.path().join("pii.odcs.yaml");
    std::fs::write(&path, text).unwrap();
    let doc = tollgate(&["check", path.to_str().unwrap(), "--format", "json", NOW]).json();
    assert_eq!(check(&doc, "country.pattern")["sample"], serde_json::json!(["<redacted>"]));
    assert!(check(&doc, "amount.range")["sample"].as_array().unwrap().iter().all(|v| v == "<redacted>"));
    assert_eq!(check(&doc, "amount.range")["sample"].as_array().unwrap().len(), 5);
    assert!(check(&doc, "status.pattern")["sample"].as_array().unwrap().iter().all(|v| v != "<redacted>"));
}

#[test]
fn a_sensitive_columns_min_and_max_are_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.yaml");
    std::fs::write(
        &c,
        format!(
            "contract: s\ndataset: {{path: {}}}\nschema:\n  columns:\n    - {{name: amount, sensitive: true, anomaly: [{{metric: max}}, {{metric: mean}}]}}\n",
            repo().join("fixtures/orders.parquet").display()
        ),
    )
    .unwrap();
    let shown = tollgate(&["check", c.to_str().unwrap(), "-f", "json", "--show-sensitive"]);
    assert!(shown.stdout.contains("20000"), "the max is 20000: {}", shown.stdout);
    for format in ["json", "table", "markdown", "junit", "github"] {
        let r = tollgate(&["check", c.to_str().unwrap(), "-f", format]);
        assert!(!r.stdout.contains("20000"), "{format}: {}", r.stdout);
    }
    let doc = tollgate(&["check", c.to_str().unwrap(), "-f", "json"]).json();
    assert_eq!(check(&doc, "amount.anomaly.max")["message"], "max of a sensitive column: skipped (<redacted>)");
    assert!(
        check(&doc, "amount.anomaly.mean")["message"].as_str().unwrap().starts_with("mean of `amount` is "),
        "an aggregate, not a value"
    );
}
