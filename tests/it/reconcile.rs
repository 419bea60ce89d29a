//! `reconcile` and `tollgate compare`: a dataset against its source or shadow — exact counts on
//! pairs with injected differences of each kind, per partition; bad input as clear errors; and a
//! property test against a row-by-row reference comparison.

use std::collections::HashMap;
use std::path::Path;

use crate::common::*;
use polars::prelude::*;
use proptest::prelude::*;

/// Here and there for one day: ids `0..n`, with `amount = id` and `status = "ok"`, then each
/// side's injected differences.
fn day(n: i64, drop: &[i64], change: &[(i64, f64)], dup: &[i64], add: &[i64]) -> DataFrame {
    let mut ids: Vec<Option<i64>> = (0..n).filter(|i| !drop.contains(i)).map(Some).collect();
    ids.extend(dup.iter().map(|d| Some(*d)));
    ids.extend(add.iter().map(|a| Some(*a)));
    let amount: Vec<Option<f64>> = ids
        .iter()
        .map(|id| {
            let id = id.unwrap();
            // id 5 has no amount on either side: null equals null.
            if id == 5 {
                return None;
            }
            Some(change.iter().find(|(c, _)| *c == id).map(|(_, v)| *v).unwrap_or(id as f64))
        })
        .collect();
    let status: Vec<&str> = ids.iter().map(|_| "ok").collect();
    df!("order_id" => ids, "amount" => amount, "status" => status).unwrap()
}

/// Two partitions on each side. Day 1: there lacks nothing; here drops id 3 (missing), adds 100
/// (extra), changes id 7 by 0.5 (a difference) and id 8 by 0.001 (within tolerance 0.01),
/// repeats id 9 (a duplicate key). Day 2: identical.
fn pair(dir: &Path) {
    write_parquet(
        &dir.join("here/dt=2026-01-01/part-0.parquet"),
        &mut day(50, &[3], &[(7, 7.5), (8, 8.001)], &[9], &[100]),
    );
    write_parquet(&dir.join("there/dt=2026-01-01/part-0.parquet"), &mut day(50, &[], &[], &[], &[]));
    write_parquet(&dir.join("here/dt=2026-01-02/part-0.parquet"), &mut day(40, &[], &[], &[], &[]));
    write_parquet(&dir.join("there/dt=2026-01-02/part-0.parquet"), &mut day(40, &[], &[], &[], &[]));
}

const CONTRACT: &str = "contract: shadow\ndataset: {path: here, partitioning: {style: hive, key: dt}}\nchecks:\n  - reconcile:\n      with: {path: there, partitioning: {style: hive, key: dt}}\n      key: [order_id]\n      row_count: {max_difference_rate: 0.05}\n      columns:\n        amount: {tolerance: 0.01}\n        status: {}\n    name: legacy\n";

fn counts(result: &serde_json::Value) -> Vec<(String, String, Option<u64>)> {
    result["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (c["id"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string(), c["failures"].as_u64())
        })
        .collect()
}

fn id_counts(pairs: &[(&str, &str, u64)]) -> Vec<(String, String, Option<u64>)> {
    pairs.iter().map(|(i, s, n)| (i.to_string(), s.to_string(), Some(*n))).collect()
}

#[test]
fn each_kind_of_difference_is_counted_per_partition() {
    let dir = tempfile::tempdir().unwrap();
    pair(dir.path());
    std::fs::write(dir.path().join("c.yaml"), CONTRACT).unwrap();
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "--all-partitions", "-f", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    // Day 1: 51 rows here (50 − 1 + 1 duplicate + 1 added), 50 there.
    assert_eq!(
        counts(&report["results"][0]),
        id_counts(&[
            ("legacy.row_count", "pass", 1),
            ("legacy.missing_keys", "fail", 1),
            ("legacy.extra_keys", "fail", 1),
            ("legacy.duplicate_keys", "fail", 2),
            ("legacy.values.amount", "fail", 1),
            ("legacy.values.status", "pass", 0),
        ])
    );
    assert_eq!(
        counts(&report["results"][1]),
        id_counts(&[
            ("legacy.row_count", "pass", 0),
            ("legacy.missing_keys", "pass", 0),
            ("legacy.extra_keys", "pass", 0),
            ("legacy.duplicate_keys", "pass", 0),
            ("legacy.values.amount", "pass", 0),
            ("legacy.values.status", "pass", 0),
        ])
    );
    let day1 = &report["results"][0];
    let sample =
        |id: &str| day1["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["samples"].clone();
    assert_eq!(sample("legacy.missing_keys"), serde_json::json!([{"value": 3, "count": 1}]));
    assert_eq!(sample("legacy.extra_keys"), serde_json::json!([{"value": 100, "count": 1}]));
    assert_eq!(sample("legacy.duplicate_keys"), serde_json::json!([{"value": {"key": 9, "side": "here"}, "count": 2}]));
    assert_eq!(
        sample("legacy.values.amount"),
        serde_json::json!([{"value": {"key": 7, "here": 7.5, "there": 7.0}, "count": 1}])
    );
    insta::assert_snapshot!(
        "reconcile_table",
        tollgate_in(dir.path(), &["check", "c.yaml", "--partition", "2026-01-01"]).stdout
    );
    let json = tollgate_in(dir.path(), &["check", "c.yaml", "--partition", "2026-01-01", "-f", "json"]).stdout;
    let json =
        regex::Regex::new(r#""duration_ms": \d+"#).unwrap().replace_all(&json, "\"duration_ms\": 0").into_owned();
    insta::assert_snapshot!("reconcile_json", json);

    // The latest partition alone (2026-01-02) matches; a partition missing on the other side is
    // compared with nothing there.
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "-f", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::remove_dir_all(dir.path().join("there/dt=2026-01-02")).unwrap();
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "-f", "json"]);
    let latest = counts(&run.json()["results"][0]);
    assert_eq!(latest[0], ("legacy.row_count".into(), "fail".into(), Some(40)));
    assert_eq!(latest[2], ("legacy.extra_keys".into(), "fail".into(), Some(40)));
}

#[test]
fn the_other_side_may_be_another_format_or_another_contract() {
    let dir = tempfile::tempdir().unwrap();
    pair(dir.path());
    // There as CSV, written by Polars, unpartitioned: day 1 against all of it.
    let mut there = day(50, &[], &[], &[], &[]);
    let mut file = std::fs::File::create(dir.path().join("there.csv")).unwrap();
    CsvWriter::new(&mut file).finish(&mut there).unwrap();
    std::fs::write(
        dir.path().join("csv.yaml"),
        "contract: csv\ndataset: {path: here/dt=2026-01-01}\nchecks:\n  - reconcile:\n      with: there.csv\n      key: order_id\n      columns: {amount: {tolerance: {relative: 0.001}}}\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["check", "csv.yaml", "-f", "json"]);
    let got = counts(&run.json()["results"][0]);
    assert_eq!(
        got,
        id_counts(&[
            ("reconcile.row_count", "fail", 1),
            ("reconcile.missing_keys", "fail", 1),
            ("reconcile.extra_keys", "fail", 1),
            ("reconcile.duplicate_keys", "fail", 2),
            // 7.5 vs 7 is 7% off; 8.001 vs 8 is 0.0125%: within 0.1%.
            ("reconcile.values.amount", "fail", 1),
        ]),
        "{}",
        run.stderr
    );

    // `with: {contract: FILE}`: that contract's dataset and partitioning.
    std::fs::write(
        dir.path().join("legacy.yaml"),
        "contract: legacy\ndataset: {path: there, partitioning: {style: hive, key: dt}}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("via.yaml"),
        "contract: via\ndataset: {path: here, partitioning: {style: hive, key: dt}}\nchecks:\n  - reconcile: {with: {contract: legacy.yaml}, key: [order_id]}\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["check", "via.yaml", "--partition", "2026-01-01", "-f", "json"]);
    let got = counts(&run.json()["results"][0]);
    assert_eq!(got[1], ("reconcile.missing_keys".into(), "fail".into(), Some(1)), "{}", run.stderr);
}

#[test]
fn bad_input_is_an_error_or_a_failure_never_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(&dir.path().join("a.parquet"), &mut df!("id" => [1i64, 2, 3], "v" => ["x", "y", "z"]).unwrap());
    write_parquet(&dir.path().join("b.parquet"), &mut df!("id" => ["1", "2", "3"], "v" => [1i64, 2, 3]).unwrap());
    write_parquet(&dir.path().join("c.parquet"), &mut df!("other" => [1i64], "v" => ["x"]).unwrap());
    write_parquet(&dir.path().join("d.parquet"), &mut df!("id" => [1i32, 2, 3], "v" => ["x", "y", "q"]).unwrap());
    let case = |with: &str, columns: &str| {
        std::fs::write(
            dir.path().join("c.yaml"),
            format!("contract: bad\ndataset: {{path: a.parquet}}\nchecks:\n  - reconcile: {{with: {with}, key: [id], columns: {{{columns}}}}}\n"),
        )
        .unwrap();
        let run = tollgate_in(dir.path(), &["check", "c.yaml", "-f", "json"]);
        (run.code, run.json()["results"][0]["checks"].clone())
    };
    // An int key here and a string key there: every comparison by key is an error saying so.
    let (code, checks) = case("b.parquet", "v: {}");
    assert_eq!(code, 1);
    assert_eq!(checks[1]["status"], "error");
    assert!(
        checks[1]["message"].as_str().unwrap().contains("key column `id` is i64 in a.parquet and str in b.parquet"),
        "{checks}"
    );
    // No key column there.
    let (_, checks) = case("c.parquet", "v: {}");
    assert!(checks[1]["message"].as_str().unwrap().contains("key column `id` is not in c.parquet"), "{checks}");
    // Keys of different integer widths match; a value column missing there errors alone.
    let (code, checks) = case("d.parquet", "v: {}, w: {}");
    assert_eq!(code, 1);
    let by_id: HashMap<String, (String, Option<u64>)> = checks
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().into(), (c["status"].as_str().unwrap().into(), c["failures"].as_u64())))
        .collect();
    assert_eq!(by_id["reconcile.missing_keys"], ("pass".into(), Some(0)));
    assert_eq!(by_id["reconcile.values.v"], ("fail".into(), Some(1)));
    assert_eq!(by_id["reconcile.values.w"].0, "error");
    // A tolerance on text, and an unreadable other side.
    std::fs::write(
        dir.path().join("t.yaml"),
        "contract: t\ndataset: {path: a.parquet}\nchecks:\n  - reconcile: {with: nothing.parquet, key: [id], columns: {v: {tolerance: -1}}}\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["validate", "t.yaml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("t.yaml:4:76") && run.stderr.contains("`tolerance` must be a number ≥ 0"),
        "{}",
        run.stderr
    );
    std::fs::write(
        dir.path().join("t.yaml"),
        "contract: t\ndataset: {path: a.parquet}\nchecks:\n  - reconcile: {with: nothing.parquet, key: [id]}\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["check", "t.yaml"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("nothing.parquet"), "{}", run.stderr);
}

#[test]
fn compare_without_a_contract() {
    let dir = tempfile::tempdir().unwrap();
    pair(dir.path());
    let (a, b) = ("here/dt=2026-01-02", "there/dt=2026-01-02");
    let same = tollgate_in(dir.path(), &["compare", a, b, "--key", "order_id"]);
    assert_eq!(same.code, 0, "{}{}", same.stdout, same.stderr);
    let differ = tollgate_in(
        dir.path(),
        &[
            "compare",
            "here/dt=2026-01-01",
            "there/dt=2026-01-01",
            "--key",
            "order_id",
            "--tolerance",
            "amount=0.01",
            "-f",
            "json",
        ],
    );
    assert_eq!(differ.code, 1);
    assert_eq!(
        counts(&differ.json()["results"][0]),
        id_counts(&[
            ("reconcile.row_count", "fail", 1),
            ("reconcile.missing_keys", "fail", 1),
            ("reconcile.extra_keys", "fail", 1),
            ("reconcile.duplicate_keys", "fail", 2),
            ("reconcile.values.amount", "fail", 1),
            ("reconcile.values.status", "pass", 0),
        ])
    );
    let relative = tollgate_in(
        dir.path(),
        &[
            "compare",
            "here/dt=2026-01-01",
            "there/dt=2026-01-01",
            "--key",
            "order_id",
            "--columns",
            "amount",
            "--tolerance",
            "amount=10%",
            "-f",
            "json",
        ],
    );
    assert_eq!(counts(&relative.json()["results"][0])[4], ("reconcile.values.amount".into(), "pass".into(), Some(0)));
    assert_eq!(tollgate_in(dir.path(), &["compare", a, b, "--tolerance", "amount"]).code, 2);
    assert_eq!(tollgate_in(dir.path(), &["compare", a, "missing/", "--key", "order_id"]).code, 3);
}

/// The reference: row by row, with hash maps — the first row of a key is the one compared.
fn reference(here: &[(Option<i64>, Option<i64>)], there: &[(Option<i64>, Option<i64>)]) -> (u64, u64, u64, u64) {
    let firsts = |rows: &[(Option<i64>, Option<i64>)]| {
        let mut first: HashMap<i64, Option<i64>> = HashMap::new();
        let mut seen: HashMap<i64, u64> = HashMap::new();
        for (k, v) in rows {
            if let Some(k) = k {
                first.entry(*k).or_insert(*v);
                *seen.entry(*k).or_default() += 1;
            }
        }
        let duplicated: u64 = seen.values().filter(|n| **n > 1).sum();
        (first, duplicated)
    };
    let (h, hd) = firsts(here);
    let (t, td) = firsts(there);
    let missing = t.keys().filter(|k| !h.contains_key(k)).count() as u64;
    let extra = h.keys().filter(|k| !t.contains_key(k)).count() as u64;
    let differ = h.iter().filter(|(k, v)| t.get(k).is_some_and(|w| w != *v)).count() as u64;
    (missing, extra, hd + td, differ)
}

fn frame(rows: &[(Option<i64>, Option<i64>)]) -> DataFrame {
    let k: Vec<Option<i64>> = rows.iter().map(|r| r.0).collect();
    let v: Vec<Option<i64>> = rows.iter().map(|r| r.1).collect();
    df!("k" => k, "v" => v).unwrap()
}

fn rows() -> impl Strategy<Value = Vec<(Option<i64>, Option<i64>)>> {
    proptest::collection::vec(
        (proptest::option::weighted(0.95, 0..30i64), proptest::option::weighted(0.8, 0..3i64)),
        0..60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn counts_equal_a_row_by_row_reference(here in rows(), there in rows()) {
        let dir = tempfile::tempdir().unwrap();
        write_parquet(&dir.path().join("here.parquet"), &mut frame(&here));
        write_parquet(&dir.path().join("there.parquet"), &mut frame(&there));
        let contract = contract_in(
            dir.path(),
            "contract: p\ndataset: {path: here.parquet}\nchecks:\n  - reconcile: {with: there.parquet, key: [k], columns: {v: {}}}\n",
        );
        let result = evaluate(&contract);
        let failures = |id: &str| by_id(&result, id).failures.unwrap();
        let (missing, extra, duplicates, differ) = reference(&here, &there);
        prop_assert_eq!(failures("reconcile.missing_keys"), missing);
        prop_assert_eq!(failures("reconcile.extra_keys"), extra);
        prop_assert_eq!(failures("reconcile.duplicate_keys"), duplicates);
        prop_assert_eq!(failures("reconcile.values.v"), differ);
        prop_assert_eq!(failures("reconcile.row_count"), (here.len() as i64 - there.len() as i64).unsigned_abs());
    }
}

#[test]
fn the_same_trips_written_by_five_tools_reconcile() {
    // fixtures/interop: the same 12 trips (id 7 twice) as pyarrow, DuckDB, pandas, Polars and
    // Spark wrote them, CSV and Parquet, each side read in its own format. Against pyarrow's
    // Parquet every writer agrees on counts, keys and values, except one value a float cannot
    // hold: the decimal(38,4) fare 12345678901234567890.1234 is a float in pandas' Parquet and in
    // every CSV (whose numbers are read as floats). Exactly, that is a difference (the float is
    // 12345678901234567168); within a relative tolerance it is not.
    let base = repo().join("fixtures/interop/pyarrow/trips.parquet");
    for other in [
        "duckdb/trips.parquet",
        "duckdb/trips.csv",
        "pandas/trips.parquet",
        "pandas/trips.csv",
        "polars/trips.parquet",
        "polars/trips.csv",
        "pyarrow/trips.csv",
    ] {
        let there = repo().join("fixtures/interop").join(other);
        let args = [
            "compare",
            base.to_str().unwrap(),
            there.to_str().unwrap(),
            "--key",
            "id",
            "--columns",
            "driver,status,started_at,fare",
            "-f",
            "json",
        ];
        let run = tollgate(&args);
        let report = run.json();
        let got = counts(&report["results"][0]);
        let fare_differs = other.starts_with("pandas/") || other.ends_with(".csv");
        assert_eq!(
            got,
            id_counts(&[
                ("reconcile.row_count", "pass", 0),
                ("reconcile.missing_keys", "pass", 0),
                ("reconcile.extra_keys", "pass", 0),
                // id 7 twice on each side.
                ("reconcile.duplicate_keys", "fail", 4),
                ("reconcile.values.driver", "pass", 0),
                ("reconcile.values.status", "pass", 0),
                ("reconcile.values.started_at", "pass", 0),
                ("reconcile.values.fare", if fare_differs { "fail" } else { "pass" }, u64::from(fare_differs)),
            ]),
            "{other}: {}",
            run.stderr
        );
        if fare_differs {
            let relative = tollgate(&[&args[..7], &["--tolerance", "fare=0.0000001%", "-f", "json"]].concat());
            assert_eq!(
                counts(&relative.json()["results"][0])[7],
                ("reconcile.values.fare".into(), "pass".into(), Some(0)),
                "{other}"
            );
        }
    }
}
