//! ODCS v3.0 and v3.1 contracts: each mapping onto tollgate's checks, asserted on the fixture.

use crate::common::*;
use serde_json::json;

const NOW: &str = "--now=2026-01-11T00:00:00Z";

fn status_and_failures(r: &serde_json::Value, id: &str) -> (String, serde_json::Value) {
    let c = check(r, id);
    (c["status"].as_str().unwrap().to_string(), c["failures"].clone())
}

#[test]
fn v3_1_mappings() {
    let run = tollgate(&["check", "contracts/odcs/orders-v3.1.odcs.yaml", NOW, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(r["results"][0]["contract"], "orders_odcs");
    assert_eq!(r["results"][0]["contract_version"], "2.0.0");
    assert_eq!(r["results"][0]["dataset"], "fixtures/orders.parquet", "the server path, relative to the contract");
    let expect = [
        // logicalType → type; primaryKey → required + unique
        ("order_id.type", "pass", json!(0)),
        ("order_id.required", "pass", json!(0)),
        ("order_id.unique", "fail", json!(2)),
        // quality rules: id, else name, else <column>.<metric>
        ("few_duplicate_ids", "pass", json!(2)),
        ("customer_id.nullValues", "pass", json!(20)), // 2% < 2.5%
        ("customer_missing", "pass", json!(20)),       // nulls; no id is 0
        ("status.invalidValues", "fail", json!(4)),
        ("country.invalidValues", "pass", json!(3)), // 3 < 5
        // logicalTypeOptions: exclusive maximum, maxLength, pattern matched anywhere
        ("amount.range", "fail", json!(7)),
        ("country.length", "fail", json!(3)),
        ("country.pattern", "fail", json!(3)),
        ("email.required", "pass", json!(0)),
        // schema-level metrics, at table level named <metric>
        ("rowCount", "pass", json!(0)),
        ("order_customer_key", "pass", json!(0)),
        // slaProperties freshness with element
        ("freshness", "pass", json!(0)),
    ];
    for (id, status, failures) in expect {
        assert_eq!(status_and_failures(&r, id), (status.to_string(), failures), "{id}");
    }
    assert_eq!(check(&r, "customer_id.nullValues")["observed"], 2.0, "percent = 100 × count / rows");
    // `type: sql` is evaluated: DuckDB counts 5 negative amounts in fixtures/orders.parquet.
    let sql = check(&r, "negative_amounts_sql");
    assert_eq!((sql["status"].as_str(), sql["observed"].as_f64()), (Some("fail"), Some(5.0)), "{sql}");
    assert_eq!(check(&r, "text")["status"], "skipped");
    assert_eq!(check(&r, "country.invalidValues")["severity"], "warn", "severity warning → warn");
}

#[test]
fn country_pattern_matches_anywhere_unlike_native() {
    // "usa" has no two consecutive capitals, so it fails even a match-anywhere pattern; but a
    // value like "xUSx" would pass ODCS `[A-Z]{2}` and fail native `^[A-Z]{2}$`.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), "c\nxUSx\nUS\nu\n").unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "apiVersion: v3.1.0\nkind: DataContract\nname: p\nservers: [{server: l, type: local, path: d.csv}]\nschema:\n  - name: t\n    properties:\n      - name: c\n        logicalTypeOptions: {pattern: \"[A-Z]{2}\"}\n",
    )
    .unwrap();
    let r = tollgate_in(dir.path(), &["check", "c.yaml", "--format", "json"]).json();
    assert_eq!(check(&r, "c.pattern")["failures"], 1);
}

#[test]
fn v3_0_rule_spelling() {
    let r = tollgate(&["check", "contracts/odcs/orders-v3.0.odcs.yaml", "--format", "json"]).json();
    for (id, status, failures) in [
        ("order_id.duplicateValues", "pass", json!(2)), // 0.2% < 1%
        ("status.invalidValues", "pass", json!(252)),   // 4 unknown + 248 cancelled, < 300
        ("customer_id.nullValues", "pass", json!(20)),  // mustNotBe 0
        ("rowCount", "pass", json!(0)),                 // 1000 not in [0, 999]
    ] {
        assert_eq!(status_and_failures(&r, id), (status.to_string(), failures), "{id}");
    }
    assert_eq!(check(&r, "customer_id.nullValues")["severity"], "warn", "info → warn");
    assert_eq!(check(&r, "custom")["status"], "skipped");
}

#[test]
fn operators_and_bounds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), "n\n1\n2\n3\n\n").unwrap();
    let rules = [
        ("mustBe: 1", true),
        ("mustNotBe: 1", false),
        ("mustBeGreaterThan: 1", false),
        ("mustBeGreaterOrEqualTo: 1", true),
        ("mustBeLessThan: 1", false),
        ("mustBeLessOrEqualTo: 1", true),
        ("mustBeBetween: [1, 2]", true),
        ("mustBeBetween: [2, 3]", false),
        ("mustNotBeBetween: [1, 2]", false),
        ("mustNotBeBetween: [2, 3]", true),
    ];
    for (op, passes) in rules {
        std::fs::write(
            dir.path().join("c.yaml"),
            format!("apiVersion: v3.1.0\nkind: DataContract\nname: o\nservers: [{{server: l, type: local, path: d.csv}}]\nschema:\n  - name: t\n    properties:\n      - name: n\n        quality:\n          - metric: nullValues\n            {op}\n"),
        )
        .unwrap();
        let r = tollgate_in(dir.path(), &["check", "c.yaml", "--format", "json"]).json();
        let c = check(&r, "n.nullValues");
        assert_eq!(c["status"] == "pass", passes, "{op}: {c:#}");
        assert_eq!(c["failures"], 1);
    }
}

#[test]
fn unknown_metric_is_invalid_and_skipped_rules_are_pointed_at() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "apiVersion: v3.1.0\nkind: DataContract\nname: b\nschema:\n  - name: t\n    properties:\n      - name: a\n        quality:\n          - metric: nullValue\n            mustBe: 0\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["validate", "bad.yaml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("bad.yaml:9:21") && run.stderr.contains("did you mean `nullValues`?"),
        "{}",
        run.stderr
    );
    let run = tollgate(&["validate", "contracts/odcs/orders-v3.1.odcs.yaml"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("orders-v3.1.odcs.yaml:80:9: `text` will be reported as skipped"), "{}", run.stdout);
    let no_server = dir.path().join("ns.yaml");
    std::fs::write(&no_server, "apiVersion: v3.0.0\nkind: DataContract\nname: ns\n").unwrap();
    let run = tollgate(&["check", no_server.to_str().unwrap()]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("--data"));
    let run = tollgate(&["check", no_server.to_str().unwrap(), "--data", "fixtures/orders.parquet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// The standard's own published examples (fixtures/odcs-examples, Apache-2.0): all valid.
#[test]
fn the_standards_examples_validate() {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    let mut stack = vec![repo().join("fixtures/odcs-examples")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(".odcs.yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert_eq!(files.len(), 16 + 18 + 18, "three tags' examples");
    for f in &files {
        let r = tollgate(&["validate", f.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}: {}", f.display(), r.stderr);
    }
    // v3.0's free-text `rule` names are skipped with their reason and line, not refused.
    let r = tollgate(&["validate", "fixtures/odcs-examples/v3.0.2/quality/column-validity.odcs.yaml"]);
    assert!(
        r.stdout.contains(":23:9: `") && r.stdout.contains("ODCS rule `minCheck` (line 23) is not a library metric"),
        "{}",
        r.stdout
    );
    // 68 tables, ~11,500 nodes, no alias: far from any limit.
    let r = tollgate(&["validate", "fixtures/odcs-examples/v3.1.0/all/postgresql-adventureworks-contract.odcs.yaml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

fn odcs_with_rule(dir: &std::path::Path, rule: &str) -> std::path::PathBuf {
    let path = dir.join("c.odcs.yaml");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v3.0.2\nkind: DataContract\nid: c\nname: c\nversion: 1.0.0\nstatus: active\nservers:\n  - server: local\n    type: local\n    path: {}\n    format: parquet\nschema:\n  - name: orders\n    properties:\n      - name: order_id\n        logicalType: integer\n    quality:\n{rule}",
            repo().join("fixtures/orders.parquet").display()
        ),
    )
    .unwrap();
    path
}

#[test]
fn free_text_rules_are_skipped_and_metrics_stay_strict() {
    let dir = tempfile::tempdir().unwrap();
    let c = odcs_with_rule(dir.path(), "      - rule: countCheck\n        mustBeGreaterThan: 5\n");
    let doc = tollgate(&["check", c.to_str().unwrap(), "-f", "json"]).json();
    let skipped = check(&doc, "countCheck");
    assert_eq!(skipped["status"], "skipped");
    assert!(skipped["message"].as_str().unwrap().contains("ODCS rule `countCheck` (line 18)"), "{skipped}");
    let c = odcs_with_rule(dir.path(), "      - metric: countCheck\n        mustBeGreaterThan: 5\n");
    let r = tollgate(&["validate", c.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown ODCS metric `countCheck`"), "{}", r.stderr);
}

#[test]
fn row_count_in_percent_compares_rows_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    let c = odcs_with_rule(
        dir.path(),
        "      - metric: rowCount\n        mustBeGreaterThan: 5000\n        unit: percent\n",
    );
    let r = tollgate(&["validate", c.to_str().unwrap()]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr.contains("warning: `unit: percent` is ignored for `rowCount`: the row count is compared\n  --> "),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("c.odcs.yaml:20:15"), "{}", r.stderr);
    // 1000 rows: a percent unit (always 100) would pass; the row count fails.
    let doc = tollgate(&["check", c.to_str().unwrap(), "-f", "json"]).json();
    let rows = check(&doc, "rowCount");
    assert_eq!(rows["status"], "fail", "{rows}");
    assert_eq!(rows["observed"], 1000.0);
}

#[test]
fn files_that_are_not_quite_contracts() {
    let dir = tempfile::tempdir().unwrap();
    let bom = dir.path().join("bom.yaml");
    std::fs::write(&bom, "\u{feff}contract: t\ndataset: {path: x.parquet}\n").unwrap();
    assert_eq!(tollgate(&["validate", bom.to_str().unwrap()]).code, 0);
    let dcs = dir.path().join("dcs.yaml");
    std::fs::write(&dcs, "dataContractSpecification: 1.1.0\nid: orders\ninfo:\n  title: Orders\n  version: 1.0.0\nmodels:\n  orders:\n    fields:\n      id: {type: integer}\n").unwrap();
    let r = tollgate(&["validate", dcs.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.matches("error:").count(), 1, "one line, not one per key: {}", r.stderr);
    assert!(r
        .stderr
        .contains("Data Contract Specification file (datacontract-cli); tollgate reads its own format and ODCS v3"));
    let tab = dir.path().join("tab.yaml");
    std::fs::write(&tab, "contract: t\ndataset: {path: x.parquet}\nschema:\n  columns:\n    - name: a\n      type: int64\n\t    required: true\n").unwrap();
    let r = tollgate(&["validate", tab.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("a tab in the indentation\n  --> "), "{}", r.stderr);
    assert!(r.stderr.contains("tab.yaml:7:1\n"), "{}", r.stderr);
}

fn multi_server(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("multi.odcs.yaml");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v3.1.0\nkind: DataContract\nid: m\nname: m\nversion: 1.0.0\nstatus: active\nservers:\n  - server: prod\n    type: local\n    path: {csv}\n    format: csv\n  - server: lake\n    type: s3\n    location: s3://bucket/orders/\n    endpointUrl: http://127.0.0.1:9\n  - server: warehouse\n    type: postgres\n    host: db.example.com\n  - server: local-parquet\n    type: local\n    path: {parquet}\n    format: parquet\nschema:\n  - name: orders\n    properties:\n      - name: qty\n        logicalType: integer\n",
            csv = repo().join("fixtures/orders.csv").display(),
            parquet = repo().join("fixtures/interop/pyarrow/trips.parquet").display(),
        ),
    )
    .unwrap();
    path
}

#[test]
fn data_is_read_in_its_own_format_and_servers_are_chosen_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let c = multi_server(dir.path());
    let c = c.to_str().unwrap();
    // The first server is CSV; --data names a Parquet file: read as Parquet.
    let r = tollgate(&["check", c, "--data", "fixtures/orders.parquet", "-f", "json"]);
    assert_ne!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.json()["results"][0]["rows"], 1000);
    let r = tollgate(&["check", c, "--server", "local-parquet", "-f", "json"]);
    assert_ne!(r.code, 3, "{}", r.stderr);
    let doc = r.json();
    assert_eq!(doc["results"][0]["rows"], 12);
    assert!(doc["results"][0]["dataset"].as_str().unwrap().ends_with("trips.parquet"));
    let r = tollgate(&["check", c, "--server", "staging"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("has no server `staging`; its servers: prod, lake, warehouse, local-parquet"),
        "{}",
        r.stderr
    );
    // An object-store server is read at its `location`, through its `endpointUrl` (nothing
    // listens there: exit 3 naming the URL).
    let r = tollgate(&["check", c, "--server", "lake"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("cannot read s3://bucket/orders"), "{}", r.stderr);
    let r = tollgate(&["check", c, "--server", "warehouse"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("server `warehouse`")
            && r.stderr.contains("has neither a local `path` nor an object-store `location`"),
        "{}",
        r.stderr
    );
    let r = tollgate(&["check", "contracts/orders.yaml", "--server", "prod"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("has no `servers`"), "{}", r.stderr);
}
