//! `--quarantine` and `--clean`: together they hold exactly the input rows, each quarantined row
//! names the rules it broke, the input is untouched, and samples stay bounded.

use crate::common::*;
use polars::prelude::*;

fn read(path: &std::path::Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

#[test]
fn quarantine_and_clean_partition_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let (q, c) = (dir.path().join("bad"), dir.path().join("good"));
    let run = tollgate(&[
        "check",
        "contracts/orders.yaml",
        "--now",
        "2026-01-11T00:00:00Z",
        "--format",
        "json",
        "--quarantine",
        q.to_str().unwrap(),
        "--clean",
        c.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let outputs = &run.json()["results"][0]["outputs"];
    let bad = read(&q.join("orders.parquet"));
    let good = read(&c.join("orders.parquet"));
    assert_eq!(outputs["quarantine"]["rows"], bad.height());
    assert_eq!(outputs["clean"]["rows"], good.height());
    let input = read(&repo().join("fixtures/orders.parquet"));
    assert_eq!(bad.height() + good.height(), input.height());
    assert_eq!(good.width(), input.width());
    assert_eq!(bad.width(), input.width() + 1);
    // Rows that break rules, by the fixture's construction: 7 amounts (range), 4 order ids of the
    // 2 duplicated values (unique), 3 countries, 2 emails, 60 unknown customers; 20 null customer
    // ids break nothing row-level (null_rate is about the whole set).
    let failed = bad.column("_tollgate_failed_rules").unwrap().as_materialized_series().clone();
    let ids: Vec<Vec<String>> = (0..failed.len())
        .map(|i| match failed.get(i).unwrap() {
            AnyValue::List(s) => (0..s.len()).map(|j| s.get(j).unwrap().get_str().unwrap().to_string()).collect(),
            other => panic!("not a list: {other:?}"),
        })
        .collect();
    let count = |id: &str| ids.iter().filter(|r| r.iter().any(|x| x == id)).count();
    assert_eq!(count("amount.range"), 7);
    assert_eq!(count("order_id.unique"), 4);
    assert_eq!(count("country.pattern"), 3);
    assert_eq!(count("email.pattern"), 2);
    assert_eq!(count("references"), 60);
    assert!(ids.iter().all(|r| !r.is_empty()));
    // Every input row, text included, is on exactly one side, unchanged (the quarantined rows'
    // text is copied out of the buffers it shared with the dropped rows).
    let names: Vec<String> = input.get_column_names().iter().map(|c| c.to_string()).collect();
    let sorted = |df: &DataFrame| df.sort(names.clone(), SortMultipleOptions::default()).unwrap();
    let mut rows = bad.drop("_tollgate_failed_rules").unwrap();
    rows.vstack_mut(&good).unwrap();
    assert!(sorted(&rows).equals_missing(&sorted(&input)));
    let clean_again = tollgate(&[
        "check",
        "contracts/orders.yaml",
        "--data",
        c.join("orders.parquet").to_str().unwrap(),
        "--now",
        "2026-01-11T00:00:00Z",
        "--format",
        "json",
    ])
    .json();
    for id in ["amount.range", "order_id.unique", "country.pattern", "email.pattern", "references"] {
        assert_eq!(check(&clean_again, id)["failures"], 0, "{id} on the clean rows");
    }
}

#[test]
fn quarantine_csv_keeps_raw_text_per_partition() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let run = tollgate(&["check", "contracts/orders_csv.yaml", "--quarantine", q.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    let bad = read(&q.join("orders_csv.parquet"));
    // Rows 2 (qty two), 3 (price abc), 4 (qty 1.5, day, active, note) and 5 (price NaN) break rules.
    assert_eq!(bad.height(), 4);
    assert_eq!(bad.column("qty").unwrap().dtype(), &DataType::String, "typed CSV columns keep their text");
    let q2 = dir.path().join("q2");
    let run =
        tollgate(&["check", "contracts/orders_daily.yaml", "--all-partitions", "--quarantine", q2.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    let latest = read(&q2.join("orders_daily-dt=2026-01-08.parquet"));
    assert_eq!(latest.height(), 3, "the three re-loaded ids");
    assert_eq!(read(&q2.join("orders_daily-dt=2026-01-07.parquet")).height(), 3);
    assert_eq!(read(&q2.join("orders_daily-dt=2026-01-01.parquet")).height(), 0);
}

#[test]
fn samples_are_bounded_on_a_large_input() {
    let dir = tempfile::tempdir().unwrap();
    let n = 200_000i64;
    let mut df = df!("v" => (0..n).collect::<Vec<i64>>()).unwrap();
    write_parquet(&dir.path().join("big.parquet"), &mut df);
    std::fs::write(dir.path().join("c.yaml"), "contract: big\ndataset: {path: big.parquet}\nschema:\n  columns:\n    - {name: v, range: {max: 10}, accepted_values: [1]}\n").unwrap();
    let r = tollgate_in(dir.path(), &["check", "c.yaml", "--format", "json", "--sample", "3"]).json();
    let range = check(&r, "v.range");
    assert_eq!(range["failures"], n - 11);
    assert_eq!(range["sample"], serde_json::json!([11, 12, 13]));
    assert_eq!(range["samples"].as_array().unwrap().len(), 3);
    assert_eq!(range["samples"][0], serde_json::json!({"value": 11, "count": 1, "file": "big.parquet", "row": 11}));
}

#[test]
fn quarantine_and_clean_of_files_other_writers_made() {
    // The interop fixtures (pyarrow, polars, pandas): the repeated id's two rows and the status
    // that breaks its rule go to the quarantine; every row lands on one side with its key and
    // text as the writer stored them.
    for writer in ["pyarrow", "polars", "pandas"] {
        let dir = tempfile::tempdir().unwrap();
        let (q, c) = (dir.path().join("bad"), dir.path().join("good"));
        let data = repo().join(format!("fixtures/interop/{writer}/trips.parquet"));
        let run = tollgate(&[
            "check",
            "fixtures/interop/trips.yaml",
            "--data",
            data.to_str().unwrap(),
            "--now=2024-01-01T20:00:00Z",
            "--quarantine",
            q.to_str().unwrap(),
            "--clean",
            c.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 1, "{writer}: {}", run.stderr);
        let (bad, good) = (read(&q.join("trips.parquet")), read(&c.join("trips.parquet")));
        let keep = ["id", "driver", "status"];
        let rows = |df: &DataFrame| df.select(keep).unwrap().sort(keep, SortMultipleOptions::default()).unwrap();
        let mut both = bad.select(keep).unwrap();
        both.vstack_mut(&good.select(keep).unwrap()).unwrap();
        assert!(rows(&both).equals_missing(&rows(&read(&data))), "{writer}");
        let failed = bad.column("_tollgate_failed_rules").unwrap().as_materialized_series().clone();
        let naming = |id: &str| {
            (0..failed.len())
                .filter(|&i| match failed.get(i).unwrap() {
                    AnyValue::List(s) => (0..s.len()).any(|j| s.get(j).unwrap().get_str() == Some(id)),
                    other => panic!("not a list: {other:?}"),
                })
                .count()
        };
        assert_eq!(naming("id.unique"), 2, "{writer}: both rows of the repeated id");
        assert_eq!(naming("status.accepted_values"), 1, "{writer}");
    }
}

#[test]
fn a_column_tollgate_cannot_read_stops_quarantine_before_anything_is_written() {
    // DuckDB's file holds an INTERVAL column (`waited`): the outputs would have to carry it.
    let dir = tempfile::tempdir().unwrap();
    let (q, c) = (dir.path().join("bad"), dir.path().join("good"));
    let run = tollgate(&[
        "check",
        "fixtures/interop/trips.yaml",
        "--data",
        "fixtures/interop/duckdb/trips.parquet",
        "--now=2024-01-01T20:00:00Z",
        "--quarantine",
        q.to_str().unwrap(),
        "--clean",
        c.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("duckdb/trips.parquet"), "{}", run.stderr);
    assert!(run.stderr.contains("column `waited` is an INTERVAL"), "{}", run.stderr);
    for side in [&q, &c] {
        let written: Vec<_> = std::fs::read_dir(side).map(|d| d.flatten().collect()).unwrap_or_default();
        assert!(written.is_empty(), "{side:?} holds {written:?}");
    }
}

#[test]
fn blank_lines_of_csv_files_are_no_rows_in_checks_samples_or_outputs() {
    // Two files with blank lines: the rows after a file's blank lines, and the second file's,
    // keep their own lines.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("a.csv"), "id,v\n1,x\n\n2,y\n\n").unwrap();
    std::fs::write(data.join("b.csv"), "id,v\n\n3,z\n4,bad\n\n\n").unwrap();
    let contract = dir.path().join("c.yaml");
    std::fs::write(
        &contract,
        "contract: blank\ndataset: {path: data}\nschema:\n  columns:\n    - {name: id, required: true}\n    - {name: v, accepted_values: [x, y, z]}\n",
    )
    .unwrap();
    let (q, c) = (dir.path().join("q"), dir.path().join("c"));
    let r = tollgate(&[
        "check",
        contract.to_str().unwrap(),
        "--quarantine",
        q.to_str().unwrap(),
        "--clean",
        c.to_str().unwrap(),
        "-f",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = r.json();
    let result = &doc["results"][0];
    assert_eq!(result["rows"], 4);
    assert_eq!(check(&doc, "id.required")["failures"], 0);
    let sample = &check(&doc, "v.accepted_values")["samples"][0];
    assert_eq!((sample["value"].as_str(), sample["line"].as_u64()), (Some("bad"), Some(4)), "{sample}");
    assert!(sample["file"].as_str().unwrap().ends_with("b.csv"), "{sample}");
    assert_eq!(
        (result["outputs"]["quarantine"]["rows"].as_u64(), result["outputs"]["clean"]["rows"].as_u64()),
        (Some(1), Some(3))
    );
}

#[test]
fn the_pass_that_writes_the_split_reports_what_the_plain_check_reports() {
    // The split's pass counts its flags instead of the rules, and counts `unique` keys in a pass
    // before it: every check's status, failures, observation, samples and message must stay as
    // the plain check reports them (Parquet and CSV, partitioned, keys across partitions).
    let runs: [&[&str]; 3] = [
        &["contracts/orders.yaml"],
        &["contracts/orders_csv.yaml"],
        &["contracts/orders_daily.yaml", "--partition", "2026-01-08"],
    ];
    for args in runs {
        let dir = tempfile::tempdir().unwrap();
        let (q, c) = (dir.path().join("bad"), dir.path().join("good"));
        let run = |split: bool| {
            let mut all = vec!["check", "--now", "2026-01-11T00:00:00Z", "-f", "json"];
            all.extend_from_slice(args);
            if split {
                all.extend_from_slice(&["--quarantine", q.to_str().unwrap(), "--clean", c.to_str().unwrap()]);
            }
            let r = tollgate(&all);
            assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
            let doc = r.json();
            let checks = doc["results"][0]["checks"].clone();
            (checks, doc["results"][0]["outputs"].clone())
        };
        let (plain, nothing) = run(false);
        let (split, outputs) = run(true);
        assert!(nothing.is_null());
        assert!(outputs["quarantine"]["rows"].as_u64().unwrap() > 0, "{args:?}: {outputs}");
        let failing_with_samples =
            plain.as_array().unwrap().iter().filter(|c| c["samples"].as_array().is_some_and(|s| !s.is_empty()));
        assert!(failing_with_samples.count() >= 1, "{args:?}: {plain}");
        assert_eq!(plain, split, "{args:?}");
    }
}
