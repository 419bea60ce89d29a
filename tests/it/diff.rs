//! `tollgate diff`: every change class of SPEC §6, with its verdict in each mode.

use crate::common::*;

fn contract(columns: &str, extra: &str) -> String {
    format!("contract: d\ndataset: {{path: x.parquet}}\n{extra}schema:\n  columns:\n{columns}")
}

/// Runs diff in every mode; returns the change kinds and the exit code per mode.
fn diff(old: &str, new: &str) -> (Vec<String>, [i32; 3]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.yaml"), old).unwrap();
    std::fs::write(dir.path().join("new.yaml"), new).unwrap();
    let mut codes = [0; 3];
    let mut kinds = Vec::new();
    for (i, mode) in ["backward", "forward", "full"].iter().enumerate() {
        let run = tollgate_in(dir.path(), &["diff", "old.yaml", "new.yaml", "--mode", mode, "--format", "json"]);
        codes[i] = run.code;
        let j = run.json();
        assert_eq!(j["compatible"], run.code == 0);
        kinds = j["changes"].as_array().unwrap().iter().map(|c| c["change"].as_str().unwrap().to_string()).collect();
    }
    (kinds, codes)
}

const BASE: &str = "    - {name: id, type: int64, required: true}\n    - {name: note, type: string}\n";
// Exit codes in [backward, forward, full]: 0 compatible, 1 breaking.
const OK: [i32; 3] = [0, 0, 0];
const BACKWARD: [i32; 3] = [1, 0, 1];
const FORWARD: [i32; 3] = [0, 1, 1];
const BOTH: [i32; 3] = [1, 1, 1];

fn case(old_cols: &str, new_cols: &str, kind: &str, codes: [i32; 3]) {
    let (kinds, got) = diff(&contract(old_cols, ""), &contract(new_cols, ""));
    assert_eq!(kinds, vec![kind.to_string()], "{old_cols} → {new_cols}");
    assert_eq!(got, codes, "{kind}");
}

#[test]
fn columns_added_and_removed() {
    case(BASE, &format!("{BASE}    - {{name: extra, type: string}}\n"), "column_added_optional", OK);
    case(
        BASE,
        &format!("{BASE}    - {{name: extra, type: string, required: true}}\n"),
        "column_added_required",
        BACKWARD,
    );
    case(BASE, "    - {name: id, type: int64, required: true}\n", "column_removed_optional", OK);
    case(BASE, "    - {name: note, type: string}\n", "column_removed_required", FORWARD);
    case(
        BASE,
        "    - {name: id, type: int64, required: true}\n    - {name: comment, type: string}\n",
        "column_renamed",
        BOTH,
    );
}

#[test]
fn type_changes() {
    case(
        BASE,
        "    - {name: id, type: int32, required: true}\n    - {name: note, type: string}\n",
        "type_narrowed",
        BACKWARD,
    );
    case("    - {name: id, type: int32}\n", "    - {name: id, type: int64}\n", "type_widened", FORWARD);
    case("    - {name: f, type: float32}\n", "    - {name: f, type: float64}\n", "type_widened", FORWARD);
    case("    - {name: id, type: int64}\n", "    - {name: id, type: string}\n", "type_changed", BOTH);
}

#[test]
fn rules_tightened_and_loosened() {
    let r = |rule: &str| format!("    - {{name: a, type: int64{rule}}}\n");
    case(&r(", range: {min: 0, max: 100}"), &r(", range: {min: 0, max: 50}"), "rule_tightened", BACKWARD);
    case(&r(", range: {min: 0, max: 50}"), &r(", range: {min: 0, max: 100}"), "rule_loosened", FORWARD);
    case(&r(""), &r(", required: true"), "nullability_changed", BACKWARD);
    case(&r(", required: true"), &r(""), "nullability_changed", FORWARD);
    case(&r(", accepted_values: [1, 2, 3]"), &r(", accepted_values: [1, 2]"), "accepted_values_removed", BACKWARD);
    case(&r(", accepted_values: [1, 2]"), &r(", accepted_values: [1, 2, 3]"), "accepted_values_added", FORWARD);
    case(&r(", null_rate: {max: 0.1}"), &r(", null_rate: {max: 0.01}"), "rule_tightened", BACKWARD);
    case(&r(", unique: {max_failure_rate: 0.1}"), &r(", unique: {max_failure_rate: 0.2}"), "rule_loosened", FORWARD);
    let s = |rule: &str| format!("    - {{name: a, type: string{rule}}}\n");
    case(&s(""), &s(", pattern: \"^a\""), "rule_tightened", BACKWARD);
    case(&s(", pattern: \"^a\""), &s(""), "rule_loosened", FORWARD);
}

#[test]
fn metadata_never_breaks_and_identical_is_compatible() {
    let (kinds, codes) = diff(&contract(BASE, "owner: a@x\n"), &contract(BASE, "owner: b@x\ndescription: new words\n"));
    assert_eq!(kinds, vec!["metadata_changed", "metadata_changed"]);
    assert_eq!(codes, OK);
    let (kinds, codes) = diff(&contract(BASE, ""), &contract(BASE, ""));
    assert!(kinds.is_empty());
    assert_eq!(codes, OK);
}

#[test]
fn odcs_against_native() {
    let run = tollgate(&[
        "diff",
        "contracts/odcs/orders-v3.0.odcs.yaml",
        "contracts/odcs/orders-v3.1.odcs.yaml",
        "--format",
        "json",
    ]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let j = run.json();
    assert!(j["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["change"] == "column_added_optional" && c["column"] == "amount"));
    let table = tollgate(&["diff", "contracts/orders.yaml", "contracts/orders.yaml"]);
    assert_eq!(table.code, 0);
    assert!(table.stdout.contains("0 changes"));
}
