//! Partitioned datasets: anomalies by every method, ordering, uniqueness scope, schema drift,
//! the history store (idempotent re-runs, concurrent writers).

mod common;

use std::path::Path;

use common::*;
use polars::prelude::*;

/// Writes `dir/key=value/part-0.parquet` with `rows` rows of (id, amount) per partition.
fn partitions(dir: &Path, key: &str, parts: &[(&str, usize)]) {
    let mut next = 0i64;
    for (value, rows) in parts {
        let ids: Vec<i64> = (next..next + *rows as i64).collect();
        next += *rows as i64;
        let amount: Vec<f64> = ids.iter().map(|i| *i as f64).collect();
        let mut df = df!("id" => ids, "amount" => amount).unwrap();
        write_parquet(&dir.join(format!("{key}={value}")).join("part-0.parquet"), &mut df);
    }
}

fn contract_file(dir: &Path, body: &str) -> String {
    let path = dir.join("c.yaml");
    std::fs::write(
        &path,
        format!("contract: p\ndataset:\n  path: data\n  partitioning: {{style: hive, key: dt}}\n{body}"),
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

const DAYS: [&str; 6] = ["2026-02-01", "2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05", "2026-02-06"];

#[test]
fn anomaly_methods_pass_normal_and_fail_anomalous() {
    for (last, expected) in [(100usize, "pass"), (300, "fail"), (20, "fail")] {
        let dir = tempfile::tempdir().unwrap();
        let counts = [100, 110, 90, 105, 95, last];
        let parts: Vec<(&str, usize)> = DAYS.iter().copied().zip(counts).collect();
        partitions(&dir.path().join("data"), "dt", &parts);
        let c = contract_file(
            dir.path(),
            "checks:\n  - row_count_anomaly: {method: median, tolerance: 0.3}\n    name: by_median\n  - row_count_anomaly: {method: zscore}\n    name: by_zscore\n  - row_count_anomaly: {method: mad, threshold: 3}\n    name: by_mad\n",
        );
        let r = tollgate(&["check", &c, "--format", "json"]).json();
        for id in ["by_median", "by_zscore", "by_mad"] {
            assert_eq!(check(&r, id)["status"], expected, "{id} with {last} rows: {:#}", check(&r, id));
            assert_eq!(check(&r, id)["observed"], last);
        }
        let z = &check(&r, "by_zscore")["details"];
        assert_eq!(z["method"], "zscore");
        assert_eq!(z["center"], 100.0);
        assert!((z["upper"].as_f64().unwrap() - (100.0 + 3.0 * 62.5f64.sqrt())).abs() < 1e-9);
        let m = &check(&r, "by_mad")["details"];
        assert!((m["lower"].as_f64().unwrap() - (100.0 - 3.0 * 1.4826 * 5.0)).abs() < 1e-9);
        assert_eq!(m["history"].as_array().unwrap().len(), 5);
    }
}

#[test]
fn window_limits_history_and_min_history_skips() {
    let dir = tempfile::tempdir().unwrap();
    let parts: Vec<(&str, usize)> = DAYS.iter().copied().zip([1000, 1000, 1000, 10, 10, 10]).collect();
    partitions(&dir.path().join("data"), "dt", &parts);
    let c = contract_file(dir.path(), "checks:\n  - row_count_anomaly: {window: 2, min_history: 2}\n");
    let r = tollgate(&["check", &c, "--format", "json"]).json();
    let a = check(&r, "row_count_anomaly");
    assert_eq!(a["status"], "pass", "only the last two partitions (10, 10) count");
    assert_eq!(
        a["details"]["history"],
        serde_json::json!([{"partition": "2026-02-04", "rows": 10}, {"partition": "2026-02-05", "rows": 10}])
    );
    let c = contract_file(dir.path(), "checks:\n  - row_count_anomaly: {min_history: 6}\n");
    let r = tollgate(&["check", &c, "--format", "json"]);
    assert_eq!(r.code, 0, "skipped is not a failure");
    assert_eq!(check(&r.json(), "row_count_anomaly")["status"], "skipped");
}

#[test]
fn integer_partitions_order_numerically() {
    let dir = tempfile::tempdir().unwrap();
    partitions(&dir.path().join("data"), "month", &[("9", 5), ("10", 6), ("12", 7)]);
    std::fs::write(dir.path().join("c.yaml"), "contract: m\ndataset: {path: data, partitioning: {key: month}}\nschema:\n  columns:\n    - {name: month, type: int64, range: {min: 12}}\n").unwrap();
    let r = tollgate_in(dir.path(), &["check", "c.yaml", "--format", "json"]).json();
    assert_eq!(r["results"][0]["partition"], "12");
    assert_eq!(r["results"][0]["rows"], 7);
    assert_eq!(check(&r, "month.range")["failures"], 0, "the partition key is a typed column");
    let r = tollgate_in(dir.path(), &["check", "c.yaml", "--format", "json", "--all-partitions"]).json();
    let order: Vec<&str> = r["results"].as_array().unwrap().iter().map(|x| x["partition"].as_str().unwrap()).collect();
    assert_eq!(order, ["9", "10", "12"]);
}

#[test]
fn uniqueness_scope() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut a = df!("id" => [1i64, 2, 3], "line" => [1i64, 1, 1]).unwrap();
    let mut b = df!("id" => [3i64, 4, 4, 5], "line" => [1i64, 1, 1, 2]).unwrap();
    write_parquet(&data.join("dt=2026-01-01/a.parquet"), &mut a);
    write_parquet(&data.join("dt=2026-01-02/b.parquet"), &mut b);
    let c = contract_file(
        dir.path(),
        "schema:\n  columns:\n    - {name: id, unique: true}\n    - {name: line, unique: {scope: partition}}\nchecks:\n  - unique: {columns: [id, line]}\n    name: key\n  - unique: {columns: [id, line], scope: partition}\n    name: key_here\n",
    );
    // With footer statistics, `id` (dense integers) is matched against a bitmap of the other
    // partition's keys; without, against its distinct keys.
    for extra in [None, Some("--no-statistics")] {
        let mut args = vec!["check", c.as_str(), "--format", "json"];
        args.extend(extra);
        let r = tollgate(&args).json();
        // id: 4 repeats within (1) + 3 appears in the other partition (1 row) = 2.
        assert_eq!(check(&r, "id.unique")["failures"], 2, "{extra:?}");
        assert_eq!(check(&r, "id.unique")["sample"], serde_json::json!([3]), "{extra:?}");
        assert_eq!(check(&r, "line.unique")["failures"], 2, "within the partition only: 1,1,1,2");
        assert_eq!(check(&r, "key")["failures"], 2, "(4,1) twice + (3,1) found in the other partition");
        assert_eq!(check(&r, "key_here")["failures"], 1);
    }
}

#[test]
fn schema_drift_is_reported_with_the_partition() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    partitions(&data, "dt", &[("2026-01-01", 3), ("2026-01-02", 3)]);
    let mut drifted = df!("id" => [10i64, 11], "amount" => ["1.5", "x"]).unwrap();
    write_parquet(&data.join("dt=2026-01-03/part-0.parquet"), &mut drifted);
    let c = contract_file(
        dir.path(),
        "schema:\n  columns:\n    - {name: id, type: int64, unique: true}\n    - {name: amount, type: float64}\n",
    );
    let r = tollgate(&["check", &c, "--format", "json"]);
    assert_eq!(r.code, 1);
    let j = r.json();
    assert_eq!(check(&j, "amount.type")["observed"], "string");
    assert_eq!(check(&j, "amount.type")["status"], "fail");
    let schema = check(&j, "schema");
    assert_eq!(schema["status"], "fail");
    assert_eq!(
        schema["message"],
        "schema drift: `amount` is string in dt=2026-01-03 but float64 (as declared) in dt=2026-01-01, dt=2026-01-02"
    );
    assert_eq!(check(&j, "id.unique")["failures"], 0);
    // A partition that matches the contract passes, whatever another partition holds.
    let r = tollgate(&["check", &c, "--format", "json", "--partition", "2026-01-01"]).json();
    assert_eq!(check(&r, "schema")["status"], "pass", "{r:#}");
    assert_eq!(check(&r, "amount.type")["status"], "pass");
    let all = tollgate(&["check", &c, "--format", "json", "--all-partitions"]);
    assert_eq!(all.code, 1);
    let results = all.json()["results"].as_array().unwrap().clone();
    let schema_status: Vec<String> = results
        .iter()
        .map(|r| r["checks"].as_array().unwrap().iter().find(|c| c["id"] == "schema").unwrap()["status"].to_string())
        .collect();
    assert_eq!(schema_status, ["\"pass\"", "\"pass\"", "\"fail\""], "only the drifted partition");
    // Without a declared type, each partition is compared with the one before it.
    let c = contract_file(dir.path(), "schema:\n  columns:\n    - {name: id, type: int64}\n    - {name: amount}\n");
    let r = tollgate(&["check", &c, "--format", "json"]).json();
    assert_eq!(
        check(&r, "schema")["message"],
        "schema drift: `amount` is string in dt=2026-01-03 but float64 in dt=2026-01-02 (the previous partition)"
    );
    let r = tollgate(&["check", &c, "--format", "json", "--partition", "2026-01-02"]).json();
    assert_eq!(check(&r, "schema")["status"], "pass");
}

#[test]
fn empty_partition_is_checked_not_crashed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    partitions(&data, "dt", &[("2026-01-01", 3), ("2026-01-02", 0)]);
    let c = contract_file(
        dir.path(),
        "schema:\n  columns:\n    - {name: id, required: true, unique: true}\nchecks:\n  - row_count: {min: 1}\n",
    );
    let r = tollgate(&["check", &c, "--format", "json"]);
    assert_eq!(r.code, 1);
    let j = r.json();
    assert_eq!(j["results"][0]["rows"], 0);
    assert_eq!(check(&j, "row_count")["status"], "fail");
    assert_eq!(check(&j, "id.required")["status"], "pass");
}

#[test]
fn history_store_is_idempotent_and_feeds_anomalies() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("history.db");
    let data = repo().join("fixtures/orders.parquet");
    let c = dir.path().join("daily.yaml");
    std::fs::write(
        &c,
        format!(
            "contract: daily\ndataset: {{path: {}}}\nchecks:\n  - row_count_anomaly: {{min_history: 2}}\n",
            data.display()
        ),
    )
    .unwrap();
    let (c, store) = (c.to_str().unwrap(), store.to_str().unwrap());
    for day in ["01", "02", "02", "02"] {
        let r = tollgate(&[
            "check",
            c,
            "--history",
            store,
            "--now",
            &format!("2026-03-{day}T06:00:00Z"),
            "--format",
            "json",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let r = tollgate(&["check", c, "--history", store, "--now", "2026-03-03T06:00:00Z", "--format", "json"]).json();
    let a = check(&r, "row_count_anomaly");
    assert_eq!(a["status"], "pass");
    assert_eq!(
        a["details"]["history"],
        serde_json::json!([{"partition": "2026-03-01", "rows": 1000}, {"partition": "2026-03-02", "rows": 1000}])
    );
    let listed = tollgate(&["history", c, "--history", store, "--format", "json"]).json();
    let rows: Vec<_> = listed.as_array().unwrap().iter().filter(|m| m["metric"] == "rows").collect();
    assert_eq!(rows.len(), 3, "one `rows` metric per partition despite re-runs: {listed:#}");
    let table = tollgate(&["history", c, "--history", store]);
    assert_eq!(table.code, 0);
    assert!(table.stdout.contains("2026-03-02"));
}

#[test]
fn eight_concurrent_writers_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("h.db");
    let c = repo().join("contracts/orders.yaml");
    let children: Vec<_> = (0..8)
        .map(|i| {
            // Four distinct days, each written twice at once: 4 partitions, no duplicates.
            std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
                .args([
                    "check",
                    c.to_str().unwrap(),
                    "--quiet",
                    "--history",
                    store.to_str().unwrap(),
                    "--now",
                    &format!("2026-04-0{}T00:00:00Z", 1 + i % 4),
                ])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert_eq!(child.wait().unwrap().code(), Some(1), "the example contract fails one check");
    }
    let listed =
        tollgate(&["history", c.to_str().unwrap(), "--history", store.to_str().unwrap(), "--format", "json"]).json();
    let all = listed.as_array().unwrap();
    let rows: Vec<&str> =
        all.iter().filter(|m| m["metric"] == "rows").map(|m| m["partition"].as_str().unwrap()).collect();
    assert_eq!(rows, ["2026-04-01", "2026-04-02", "2026-04-03", "2026-04-04"]);
    let per_partition = all.len() / 4;
    assert_eq!(all.len(), per_partition * 4);
    let mut keys: Vec<(String, String)> =
        all.iter().map(|m| (m["partition"].to_string(), m["metric"].to_string())).collect();
    keys.dedup();
    assert_eq!(keys.len(), all.len(), "no duplicate metric rows");
}
