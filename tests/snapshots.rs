//! insta snapshots of the reports people and programs read.

mod common;

use common::*;

fn redact_durations(text: &str) -> String {
    let re = regex::Regex::new(r#""duration_ms": \d+"#).unwrap();
    re.replace_all(text, "\"duration_ms\": \"[ms]\"").into_owned()
}

#[test]
fn table_report() {
    let run = tollgate(&["check", "contracts/orders.yaml", "--now", "2026-01-11T00:00:00Z"]);
    insta::assert_snapshot!("orders_table", run.stdout);
}

#[test]
fn json_report() {
    let run = tollgate(&["check", "contracts/orders.yaml", "--now", "2026-01-11T00:00:00Z", "--format", "json"]);
    insta::assert_snapshot!("orders_json", redact_durations(&run.stdout));
}

#[test]
fn partitioned_json_report() {
    let run = tollgate(&["check", "contracts/orders_daily.yaml", "--format", "json"]);
    insta::assert_snapshot!("orders_daily_json", redact_durations(&run.stdout));
}

#[test]
fn validate_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "contract: Orders!\ndataset: {path: x.parquet, fromat: csv}\nschema:\n  columns:\n    - name: a\n      type: strnig\n      accepted_values: []\n      null_rate: {max: 2}\nchecks:\n  - row_cnt: {min: 1}\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["validate", "bad.yaml"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("validate_diagnostics", run.stderr);
}
