//! One fixture per rule and check kind, as ruff keeps one per rule: `fixtures/rules/<rule>/` and
//! `fixtures/checks/<kind>/` hold a contract, hand-written data and `expected.json` (each check's
//! status and failures, worked out by hand from the data, with the reasoning in the contract's
//! comments). Every registered kind must have one: adding a kind without its fixture fails here.
//! The kind's report entries, samples included, and its plan (`explain`) are snapshotted.

use std::path::Path;

use tollgate::contract::kinds::{CheckName, RuleName};

use crate::common::*;

fn fixture(dir: &Path, word: &str, snapshot: &str) {
    assert!(dir.join("contract.yaml").is_file(), "no fixture for `{word}`: add {}", dir.display());
    let args = ["check", "contract.yaml", "--format", "json", "--now", "2026-01-11T00:00:00Z", "--sample", "3"];
    let run = tollgate_in(dir, &args);
    assert!(run.code == 0 || run.code == 1, "{word}: exit {} {}", run.code, run.stderr);
    let report = run.json();
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let expected = expected.as_object().unwrap();
    for (id, want) in expected {
        let got = check(&report, id);
        assert_eq!(got["status"], want["status"], "{word}: {id}: {got:#}");
        assert_eq!(got["failures"], want["failures"], "{word}: {id}: {got:#}");
    }
    let of_kind: Vec<&serde_json::Value> =
        report["results"][0]["checks"].as_array().unwrap().iter().filter(|c| c["kind"] == word).collect();
    assert!(!of_kind.is_empty(), "{word}: the fixture has no check of its kind");
    for c in &of_kind {
        let id = c["id"].as_str().unwrap();
        assert!(expected.contains_key(id), "{word}: `{id}` has no expected answer in expected.json");
    }
    insta::assert_json_snapshot!(snapshot, of_kind);
    // And its plan.
    let plan = tollgate_in(dir, &["explain", "contract.yaml"]);
    assert_eq!(plan.code, 0, "{word}: {}", plan.stderr);
    insta::assert_snapshot!(format!("explain_{snapshot}"), plan.stdout);
}

#[test]
fn every_rule_kind_has_a_fixture_with_known_answers() {
    for rule in RuleName::ALL {
        let word = rule.word();
        fixture(&repo().join("fixtures/rules").join(word), word, &format!("rule_{word}"));
    }
}

#[test]
fn every_check_kind_has_a_fixture_with_known_answers() {
    for kind in CheckName::ALL {
        let word = kind.word();
        fixture(&repo().join("fixtures/checks").join(word), word, &format!("check_{word}"));
    }
}
