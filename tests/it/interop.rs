//! Files other tools write (fixtures/interop, produced by fixtures/interop/make.py with pyarrow,
//! DuckDB, pandas, polars and PySpark): every check gives the answer the data holds.

use crate::common::*;

const NOW: &str = "--now=2024-01-01T20:00:00Z";

/// Non-passing checks of the first result as (id, status, failures).
fn failing(data: &str) -> Vec<(String, String, Option<u64>)> {
    let r = tollgate(&["check", "fixtures/interop/trips.yaml", "--data", data, NOW, "-f", "json"]);
    assert_eq!(r.code, 1, "{data}: {}", r.stderr);
    let doc = r.json();
    let result = &doc["results"][0];
    assert_eq!(result["rows"], 12, "{data}");
    result["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] != "pass")
        .map(|c| (c["id"].as_str().unwrap().into(), c["status"].as_str().unwrap().into(), c["failures"].as_u64()))
        .collect()
}

fn expected(fare_type_fails: bool, fare_out_of_range: u64) -> Vec<(String, String, Option<u64>)> {
    let mut out = vec![("id.unique", "fail", Some(1)), ("driver.null_rate", "fail", Some(2))];
    if fare_type_fails {
        out.push(("fare.type", "fail", None));
    }
    out.push(("fare.range", "fail", Some(fare_out_of_range)));
    out.push(("status.accepted_values", "fail", Some(1)));
    out.into_iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c)).collect()
}

#[test]
fn every_writer_gives_the_same_answers() {
    // Timestamps as each writer prints them (`… 06:59:58.867660Z`, `… 07:59:58.86766+01`,
    // `…+00:00`, `…T06:59:58.867660+0000`) all parse; decimals compare exactly (-3.25 and
    // 12345678901234567890.1234 are outside [0, 12345678901234567890]).
    for data in [
        "fixtures/interop/pyarrow/trips.csv",
        "fixtures/interop/pyarrow/trips.parquet",
        "fixtures/interop/duckdb/trips.csv",
        "fixtures/interop/duckdb/trips.parquet",
        "fixtures/interop/polars/trips.csv",
        "fixtures/interop/polars/trips.parquet",
    ] {
        assert_eq!(failing(data), expected(false, 2), "{data}");
    }
    // pandas wrote the fare as float64 (1.2345678901234567e+19 lost the fraction and is no longer
    // above the bound): the CSV holds that text, the Parquet file a double.
    assert_eq!(failing("fixtures/interop/pandas/trips.csv"), expected(false, 1));
    // The same file with blank lines (after the header, inside, two at the end), which pandas and
    // DuckDB read as the same 12 rows.
    assert_eq!(failing("fixtures/interop/blank/trips.csv"), expected(false, 1));
    assert_eq!(failing("fixtures/interop/pandas/trips.parquet"), expected(true, 1));
}

#[test]
fn freshness_and_types_from_every_writer() {
    for data in [
        "fixtures/interop/pyarrow/trips.csv",
        "fixtures/interop/duckdb/trips.csv",
        "fixtures/interop/pyarrow/trips.parquet",
    ] {
        let doc = tollgate(&["check", "fixtures/interop/trips.yaml", "--data", data, NOW, "-f", "json"]).json();
        let fresh = check(&doc, "freshness");
        assert_eq!(fresh["status"], "pass", "{data}: {fresh}");
        assert_eq!(fresh["observed"], 7201.13234, "{data}: newest 17:59:58.867660Z");
        assert_eq!(check(&doc, "started_at.type")["status"], "pass", "{data}");
        // pyarrow's date64 is a Parquet DATE.
        assert_eq!(check(&doc, "day.type")["status"], "pass", "{data}");
    }
    let doc = tollgate(&[
        "check",
        "fixtures/interop/trips.yaml",
        "--data",
        "fixtures/interop/pyarrow/trips.parquet",
        NOW,
        "-f",
        "json",
    ])
    .json();
    assert_eq!(check(&doc, "day.type")["observed"], "date");
    let samples = &check(&doc, "fare.range")["sample"];
    assert_eq!(samples, &serde_json::json!(["-3.25", "12345678901234567890.1234"]), "exact decimal text");
}

#[test]
fn decimal_bounds_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("d.yaml");
    std::fs::write(
        &c,
        format!(
            "contract: d\ndataset: {{path: {}}}\nschema:\n  columns:\n    - {{name: fare, range: {{min: 0, max: 12345678901234568000}}}}\n    - {{name: big, range: {{max: 5000000000000}}}}\n",
            repo().join("fixtures/interop/pyarrow/trips.parquet").display()
        ),
    )
    .unwrap();
    let doc = tollgate(&["check", c.to_str().unwrap(), "-f", "json"]).json();
    // Through float64 both answers were wrong: 12345678901234567890.1234 counted above
    // 12345678901234568000, and 5000000000000.000001 not above 5e12.
    assert_eq!(check(&doc, "fare.range")["failures"], 1);
    assert_eq!(check(&doc, "big.range")["failures"], 1);
    assert_eq!(check(&doc, "big.range")["sample"], serde_json::json!(["5000000000000.000001"]));
}

#[test]
fn a_duckdb_interval_column_no_rule_names_is_not_read() {
    let r = tollgate(&["check", "fixtures/interop/trips.yaml", "--data", "fixtures/interop/duckdb/trips.parquet", NOW]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn spark_partitions_with_int96_and_marker_files() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("spark.yaml");
    std::fs::write(
        &c,
        format!(
            "contract: spark_trips\ndataset: {{path: {}, partitioning: {{style: hive, key: day}}}}\nschema:\n  strict: true\n  columns:\n    - {{name: id, type: int64, required: true, unique: true}}\n    - {{name: driver, type: string}}\n    - {{name: status, type: string}}\n    - {{name: started_at, type: timestamp, required: true}}\n",
            repo().join("fixtures/interop/spark/parquet").display()
        ),
    )
    .unwrap();
    let doc = tollgate(&["check", c.to_str().unwrap(), "--all-partitions", "-f", "json"]).json();
    let results = doc["results"].as_array().unwrap();
    let partitions: Vec<&str> = results.iter().map(|r| r["partition"].as_str().unwrap()).collect();
    assert_eq!(partitions, ["2024-01-01", "2024-01-02", "2024-01-03"], "_SUCCESS and .crc files are not data");
    let unique: Vec<u64> = results
        .iter()
        .map(|r| {
            r["checks"].as_array().unwrap().iter().find(|c| c["id"] == "id.unique").unwrap()["failures"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(unique, [0, 1, 0], "id 7 twice on 2024-01-02");
    for r in results {
        assert_eq!(r["rows"], 4);
        let ts = r["checks"].as_array().unwrap().iter().find(|c| c["id"] == "started_at.type").unwrap();
        assert_eq!(ts["status"], "pass", "INT96 is a timestamp: {ts}");
    }
    let csv = dir.path().join("spark_csv.yaml");
    std::fs::write(
        &csv,
        format!(
            "contract: spark_csv\ndataset: {{path: {}}}\nschema:\n  columns:\n    - {{name: started_at, type: timestamp, required: true}}\n",
            repo().join("fixtures/interop/spark/csv").display()
        ),
    )
    .unwrap();
    let doc = tollgate(&["check", csv.to_str().unwrap(), "-f", "json"]).json();
    assert_eq!(doc["results"][0]["rows"], 12);
    assert_eq!(check(&doc, "started_at.type")["failures"], 0, "Spark's `2024-01-01T06:59:58.867Z`");
}

#[test]
fn files_that_gained_a_column_are_read_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("evo.yaml");
    let write = |tip: &str| {
        std::fs::write(
            &c,
            format!(
                "contract: evo\ndataset: {{path: {}}}\nschema:\n  columns:\n    - {{name: id, type: int64, required: true}}\n    - {{name: tip, type: float64, {tip}}}\n",
                repo().join("fixtures/interop/evolution").display()
            ),
        )
        .unwrap()
    };
    write("null_rate: {max: 0.9}");
    let r = tollgate(&["check", c.to_str().unwrap(), "-f", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = r.json();
    assert_eq!(check(&doc, "tip.null_rate")["failures"], 8, "6 rows of the older file + 2 nulls");
    let schema = check(&doc, "schema");
    assert_eq!(schema["status"], "pass");
    assert!(schema["message"].as_str().unwrap().contains("note: optional column `tip` is absent from "), "{schema}");
    assert!(schema["message"].as_str().unwrap().contains("part-0.parquet (read as null there)"));
    write("required: true");
    let doc = tollgate(&["check", c.to_str().unwrap(), "-f", "json"]).json();
    assert_eq!(check(&doc, "schema")["failures"], 1);
    assert_eq!(check(&doc, "tip.required")["failures"], 8);
    assert!(!doc.to_string().contains("missing_columns"), "no Polars API name reaches a user");
}

#[test]
fn a_ragged_row_in_a_crlf_file_is_named_by_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("r.yaml");
    std::fs::write(
        &c,
        format!("contract: r\ndataset: {{path: {}}}\n", repo().join("fixtures/interop/crlf/ragged.csv").display()),
    )
    .unwrap();
    let r = tollgate(&["check", c.to_str().unwrap()]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("ragged.csv: line 4 has 3 fields, but the first row has 2"), "{}", r.stderr);
}

#[test]
fn nested_types_are_checked_natively_and_from_odcs() {
    let dir = tempfile::tempdir().unwrap();
    let data = repo().join("fixtures/interop/nested/nested.parquet");
    let native = dir.path().join("n.yaml");
    std::fs::write(
        &native,
        format!(
            "contract: n\ndataset: {{path: {}}}\nschema:\n  columns:\n    - {{name: tags, type: list<string>}}\n    - {{name: scores, type: \"list<float64>\"}}\n    - {{name: point, type: \"struct<x: float64, y: float64>\"}}\n    - {{name: id, type: \"struct<a: int64>\"}}\n",
            data.display()
        ),
    )
    .unwrap();
    let doc = tollgate(&["check", native.to_str().unwrap(), "-f", "json"]).json();
    assert_eq!(check(&doc, "tags.type")["status"], "pass");
    let scores = check(&doc, "scores.type");
    assert_eq!((scores["status"].as_str(), scores["observed"].as_str()), (Some("fail"), Some("list<int64>")));
    assert_eq!(check(&doc, "point.type")["status"], "pass");
    assert_eq!(check(&doc, "point.type")["observed"], "struct<x: float64, y: float64>");
    assert_eq!(check(&doc, "id.type")["message"], "expected struct<a: int64>, found int64");

    let odcs = dir.path().join("n.odcs.yaml");
    std::fs::write(
        &odcs,
        format!(
            "apiVersion: v3.1.0\nkind: DataContract\nid: n\nname: n\nversion: 1.0.0\nstatus: active\nservers:\n  - server: local\n    type: local\n    path: {}\n    format: parquet\nschema:\n  - name: t\n    properties:\n      - name: tags\n        logicalType: array\n        items:\n          logicalType: string\n          logicalTypeOptions: {{maxLength: 1}}\n      - name: scores\n        logicalType: array\n        items:\n          logicalType: string\n      - name: point\n        logicalType: object\n        properties:\n          - name: x\n            logicalType: number\n          - name: y\n            logicalType: number\n            quality:\n              - metric: nullValues\n                mustBe: 0\n",
            data.display()
        ),
    )
    .unwrap();
    let doc = tollgate(&["check", odcs.to_str().unwrap(), "-f", "json"]).json();
    assert_eq!(check(&doc, "tags.type")["status"], "pass");
    assert_eq!(check(&doc, "scores.type")["status"], "fail", "items are integers, not strings");
    assert_eq!(check(&doc, "point.type")["status"], "pass");
    let skipped = check(&doc, "tags[].rules");
    assert_eq!(skipped["status"], "skipped");
    assert!(skipped["message"].as_str().unwrap().contains("rules on the nested field `tags[]`"), "{skipped}");
    assert_eq!(check(&doc, "point.y.rules")["status"], "skipped");
}

#[test]
fn a_column_of_a_type_tollgate_cannot_read_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("w.yaml");
    std::fs::write(
        &c,
        format!(
            "contract: w\ndataset: {{path: {}}}\nschema:\n  columns:\n    - {{name: waited, required: true}}\n    - {{name: id, required: true}}\n",
            repo().join("fixtures/interop/duckdb/trips.parquet").display()
        ),
    )
    .unwrap();
    let r = tollgate(&["check", c.to_str().unwrap(), "-f", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = r.json();
    let waited = check(&doc, "waited.required");
    assert_eq!(waited["status"], "error");
    assert!(waited["message"].as_str().unwrap().starts_with("column `waited` of "), "{waited}");
    assert!(waited["message"].as_str().unwrap().contains("trips.parquet is an INTERVAL"), "{waited}");
    assert_eq!(check(&doc, "id.required")["status"], "pass");
}

#[test]
fn undeclared_csv_timestamps_follow_the_same_grammar() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("f.yaml");
    std::fs::write(
        &c,
        "contract: f\ndataset: {path: unused.csv}\nchecks:\n  - freshness: {column: started_at, max_age: 1d}\n",
    )
    .unwrap();
    for (data, age) in [
        ("pyarrow/trips.csv", 7201.13234),
        ("duckdb/trips.csv", 7201.13234),
        ("pandas/trips.csv", 7201.13234),
        ("polars/trips.csv", 7201.13234),
        ("spark/csv", 7201.133),
    ] {
        let path = repo().join("fixtures/interop").join(data);
        let r = tollgate(&["check", c.to_str().unwrap(), "--data", path.to_str().unwrap(), NOW, "-f", "json"]);
        assert_eq!(r.code, 0, "{data}: {}", r.stderr);
        assert_eq!(check(&r.json(), "freshness")["observed"], age, "{data}");
    }
}

#[test]
fn blank_lines_are_no_rows_and_a_one_column_files_blank_line_is_a_null() {
    // The trip `lost` is on line 9: sample lines count the blank lines above it.
    let doc = tollgate(&[
        "check",
        "fixtures/interop/trips.yaml",
        "--data",
        "fixtures/interop/blank/trips.csv",
        NOW,
        "-f",
        "json",
    ])
    .json();
    assert_eq!(check(&doc, "id.required")["failures"], 0);
    assert_eq!(
        check(&doc, "status.accepted_values")["samples"][0],
        serde_json::json!({"value": "lost", "count": 1, "file": "fixtures/interop/blank/trips.csv", "line": 9})
    );
    let nulls = check(&doc, "driver.null_rate");
    assert_eq!((nulls["failures"].as_u64(), nulls["observed"].as_f64()), (Some(2), Some(2.0 / 12.0)));

    // polars wrote the 2 null drivers of 12 as blank lines (lines 4 and 10), as DuckDB reads them;
    // the drivers from `h` on are on lines 11 to 13.
    let dir = tempfile::tempdir().unwrap();
    let contract = dir.path().join("drivers.yaml");
    std::fs::write(
        &contract,
        "contract: drivers\ndataset: {path: d.csv}\nschema:\n  columns:\n    - {name: driver, required: true, pattern: \"[a-g][a-z]*\"}\n",
    )
    .unwrap();
    let r =
        tollgate(&["check", contract.to_str().unwrap(), "--data", "fixtures/interop/blank/drivers.csv", "-f", "json"]);
    let doc = r.json();
    assert_eq!(doc["results"][0]["rows"], 12, "{}", r.stderr);
    assert_eq!(check(&doc, "driver.required")["failures"], 2);
    let file = "fixtures/interop/blank/drivers.csv";
    assert_eq!(
        check(&doc, "driver.pattern")["samples"],
        serde_json::json!([
            {"value": "hal", "count": 1, "file": file, "line": 11},
            {"value": "ivy", "count": 1, "file": file, "line": 12},
            {"value": "jo", "count": 1, "file": file, "line": 13},
        ])
    );
}
