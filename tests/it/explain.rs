//! `tollgate explain`: the plan of every shipped contract (snapshots), and the plan held to what
//! a run then does: the same checks, footers answering exactly the checks the run answers from
//! footers, the pass reading only the columns the contract names.

use std::collections::BTreeSet;

use crate::common::*;

const SHIPPED: &[&str] = &[
    "contracts/orders.yaml",
    "contracts/orders_csv.yaml",
    "contracts/orders_daily.yaml",
    "contracts/odcs/orders-v3.0.odcs.yaml",
    "contracts/odcs/orders-v3.1.odcs.yaml",
];

#[test]
fn plans_of_the_shipped_contracts() {
    for contract in SHIPPED {
        let run = tollgate(&["explain", contract]);
        assert_eq!(run.code, 0, "{contract}: {}", run.stderr);
        let name = std::path::Path::new(contract).file_name().unwrap().to_string_lossy().replace('.', "_");
        insta::assert_snapshot!(format!("explain_{name}"), run.stdout);
    }
}

/// The columns a contract names (its columns, and those of its checks).
fn named_columns(contract: &str) -> BTreeSet<String> {
    let c = tollgate::contract::load(&repo().join(contract)).unwrap();
    let mut named: BTreeSet<String> = c.columns().iter().map(|c| c.name.clone()).collect();
    for check in &c.checks {
        named.extend(check.kind.columns().into_iter().map(str::to_string));
    }
    named
}

#[test]
fn the_plan_is_what_the_run_does() {
    for contract in SHIPPED {
        let plan = tollgate(&["explain", contract, "--format", "json"]).json();
        assert_eq!(plan["explain_version"], 1);
        let plan = &plan["plans"][0];
        let run = tollgate(&["check", contract, "--format", "json", "--now", "2026-01-11T00:00:00Z"]).json();
        let checks = run["results"][0]["checks"].as_array().unwrap();
        let planned = plan["checks"].as_array().unwrap();
        // The same checks, in the same order.
        let ids =
            |list: &[serde_json::Value]| list.iter().map(|c| c["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(ids(planned), ids(checks), "{contract}");
        // Footers answer exactly the checks the run answered from footers.
        let from_footers = |c: &serde_json::Value| c["details"]["source"] == "parquet statistics";
        for (p, c) in planned.iter().zip(checks) {
            assert_eq!(p["source"] == "footers", from_footers(c), "{contract}: {p} vs {c}");
            // A check planned as an error is one in the run, and only then.
            assert_eq!(p["source"] == "error", c["status"] == "error", "{contract}: {p} vs {c}");
        }
        // Every slot of the pass belongs to a check answered by the pass, and back.
        let slots: BTreeSet<(String, String)> = plan["pass"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["check"].as_str().unwrap().to_string(), s["slot"].as_str().unwrap().to_string()))
            .collect();
        let declared: BTreeSet<(String, String)> = planned
            .iter()
            .flat_map(|c| {
                c["slots"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| (c["id"].as_str().unwrap().to_string(), s.as_str().unwrap().to_string()))
            })
            .collect();
        assert_eq!(slots, declared, "{contract}");
        for c in planned {
            assert_eq!(c["source"] == "pass", !c["slots"].as_array().unwrap().is_empty(), "{contract}: {c}");
        }
        // One pass over only the columns the contract names.
        let read: BTreeSet<String> =
            plan["columns_read"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
        assert!(read.is_subset(&named_columns(contract)), "{contract}: reads {read:?}");
    }
}

#[test]
fn footers_answer_nothing_with_no_statistics() {
    let plan = tollgate(&["explain", "contracts/orders.yaml", "--no-statistics", "--format", "json"]).json();
    let sources: Vec<&str> =
        plan["plans"][0]["checks"].as_array().unwrap().iter().map(|c| c["source"].as_str().unwrap()).collect();
    assert!(!sources.contains(&"footers"), "{sources:?}");
    // The columns the footers answered for are read in the pass instead.
    let with = tollgate(&["explain", "contracts/orders.yaml", "--format", "json"]).json();
    let count = |p: &serde_json::Value| p["plans"][0]["pass"].as_array().unwrap().len();
    assert!(count(&plan) > count(&with));
}

#[test]
fn a_plan_with_work_before_the_pass() {
    let dir = tempfile::tempdir().unwrap();
    let data = repo().join("fixtures/orders_daily");
    let customers = repo().join("fixtures/customers.parquet");
    let yaml = format!(
        "contract: planned\ndataset: {{path: '{}', partitioning: {{style: hive, key: dt}}}}\nschema:\n  columns:\n    \
         - name: order_id\n      unique: true\n    - name: amount\n      anomaly: {{metric: mean, window: 3}}\nchecks:\n  \
         - references: {{column: order_id, dataset: '{}', key: id}}\n  \
         - sql: {{query: 'SELECT count(*) FROM planned WHERE amount > 100', max: 5}}\n  \
         - reconcile: {{with: '{}', key: [order_id], missing_keys: {{max_failures: 0}}}}\n",
        data.display(),
        customers.display(),
        data.join("dt=2026-01-02").display(),
    );
    std::fs::write(dir.path().join("planned.yaml"), yaml).unwrap();
    let run = tollgate_in(dir.path(), &["explain", "planned.yaml", "--partition", "2026-01-06"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = run.stdout.replace(&repo().display().to_string(), "[repo]");
    insta::assert_snapshot!("explain_before_the_pass", text);
    let plan = tollgate_in(dir.path(), &["explain", "planned.yaml", "--partition", "2026-01-06", "-f", "json"]).json();
    let source = |id: &str| {
        plan["plans"][0]["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["source"].clone()
    };
    assert_eq!(source("sql"), "before_the_pass");
    assert_eq!(source("reconcile.missing_keys"), "before_the_pass");
    assert_eq!(source("references"), "pass");
    assert_eq!(source("amount.anomaly.mean"), "pass");
    assert_eq!(plan["plans"][0]["partition"], "2026-01-06");
}

#[test]
fn bad_contracts_and_unreadable_data_exit_as_check_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "contract: x\ndataset: {path: d.parquet}\nchecks:\n  - row_cnt: {min: 1}\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["explain", "bad.yaml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("bad.yaml:4:5"), "{}", run.stderr);
    std::fs::write(
        dir.path().join("missing.yaml"),
        "contract: x\ndataset: {path: nowhere.parquet}\nchecks:\n  - row_count: {min: 1}\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["explain", "missing.yaml"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("nowhere.parquet"), "{}", run.stderr);
}

/// Every fixture contract: the shipped ones and one per rule and check kind.
fn fixture_contracts() -> Vec<std::path::PathBuf> {
    let mut all: Vec<std::path::PathBuf> = SHIPPED.iter().map(|c| repo().join(c)).collect();
    for group in ["fixtures/rules", "fixtures/checks"] {
        for entry in std::fs::read_dir(repo().join(group)).unwrap() {
            all.push(entry.unwrap().path().join("contract.yaml"));
        }
    }
    all.sort();
    all
}

#[test]
fn plans_are_made_of_the_listed_constructs() {
    // What another executor must translate (`engine::CONSTRUCTS`): exactly the constructs the
    // fixtures' plans use, so a new one is listed when it comes and the list holds nothing stale.
    let mut used = BTreeSet::new();
    for contract in fixture_contracts() {
        let dir = contract.parent().unwrap();
        let run = tollgate_in(dir, &["explain", contract.file_name().unwrap().to_str().unwrap(), "-f", "json"]);
        assert_eq!(run.code, 0, "{}: {}", contract.display(), run.stderr);
        for plan in run.json()["plans"].as_array().unwrap() {
            used.extend(plan["constructs"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()));
        }
    }
    let listed: BTreeSet<String> = tollgate::engine::CONSTRUCTS.iter().map(|c| c.to_string()).collect();
    let unlisted: Vec<&String> = used.difference(&listed).collect();
    let unused: Vec<&String> = listed.difference(&used).collect();
    assert!(unlisted.is_empty(), "constructs plans use but engine::CONSTRUCTS does not list: {unlisted:?}");
    assert!(unused.is_empty(), "engine::CONSTRUCTS lists constructs no fixture's plan uses: {unused:?}");
}
