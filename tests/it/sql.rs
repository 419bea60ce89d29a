//! Custom SQL checks (`sql`, ODCS `type: sql`, `where_not`) on a fixture DuckDB wrote
//! (fixtures/sql/make.py), each expected number being DuckDB's answer to the same query.

use crate::common::*;

fn fixture(path: &str) -> String {
    repo().join("fixtures/sql").join(path).display().to_string()
}

fn by_id<'a>(result: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    result["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {result:#}"))
}

const CHECKS: &str = r#"checks:
  - sql:
      name: shipped_after_ordered
      query: "SELECT count(*) FROM orders WHERE shipped_at < ordered_at"
      max: 0
  - sql:
      name: mean_paid
      query: "SELECT avg(amount) FROM {object} WHERE status = 'paid'"
      between: [40, 50]
  - sql:
      name: negatives
      query: "SELECT count(*) FROM ${object} WHERE amount < 0"
      equals: 10
  - sql:
      name: busiest_status
      query: |
        WITH s AS (SELECT status, count(*) AS n FROM orders GROUP BY status)
        SELECT max(n) FROM s
      min: 67
      max: 67
  - where_not:
      name: shipped_in_order
      condition: "shipped_at >= ordered_at"
      show: [order_id]
"#;

#[test]
fn sql_checks_give_duckdbs_answers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        format!("contract: orders\ndataset: {{path: {}}}\n{CHECKS}", fixture("orders.parquet")),
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "-f", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let result = &run.json()["results"][0];
    // DuckDB: 52 rows shipped before ordered; avg paid amount 45.43283582089552; 10 negative
    // amounts; the busiest status has 67 rows; 71 rows where shipped_at >= ordered_at is false or null.
    let shipped = by_id(result, "shipped_after_ordered");
    assert_eq!((shipped["status"].as_str(), shipped["observed"].as_f64()), (Some("fail"), Some(52.0)));
    assert_eq!(shipped["failures"], 1);
    let mean = by_id(result, "mean_paid");
    assert_eq!(mean["status"], "pass");
    assert!((mean["observed"].as_f64().unwrap() - 45.43283582089552).abs() < 1e-9);
    assert_eq!(
        (by_id(result, "negatives")["status"].as_str(), by_id(result, "negatives")["observed"].as_f64()),
        (Some("pass"), Some(10.0))
    );
    assert_eq!(by_id(result, "busiest_status")["status"], "pass");
    let in_order = by_id(result, "shipped_in_order");
    assert_eq!((in_order["status"].as_str(), in_order["failures"].as_u64()), (Some("fail"), Some(71)));
    // Samples: the failing rows' order ids, with where each first occurs.
    let samples = in_order["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 5);
    assert!(samples.iter().all(|s| s["count"] == 1 && s["row"].as_u64() == s["value"].as_u64()), "{samples:?}");
    // A row-level SQL rule quarantines like any other.
    let q = tempfile::tempdir().unwrap();
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "--quarantine", q.path().to_str().unwrap(), "-f", "json"]);
    assert_eq!(run.json()["results"][0]["outputs"]["quarantine"]["rows"], 71);
}

#[test]
fn a_query_sees_only_the_checked_partition() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        format!(
            "contract: orders\ndataset: {{path: {}, partitioning: {{style: hive, key: dt}}}}\n{CHECKS}",
            fixture("daily")
        ),
    )
    .unwrap();
    // DuckDB: 31 rows shipped before ordered on 2026-01-01, 21 on 2026-01-02; 29 failing the
    // condition on 2026-01-02.
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "-f", "json"]);
    let latest = &run.json()["results"][0];
    assert_eq!(latest["partition"], "2026-01-02");
    assert_eq!(by_id(latest, "shipped_after_ordered")["observed"], 21.0);
    assert_eq!(by_id(latest, "shipped_in_order")["failures"], 29);
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "--all-partitions", "-f", "json"]);
    let results = run.json()["results"].as_array().unwrap().clone();
    let observed: Vec<f64> =
        results.iter().map(|r| by_id(r, "shipped_after_ordered")["observed"].as_f64().unwrap()).collect();
    assert_eq!(observed, [31.0, 21.0]);
    let failing: Vec<u64> =
        results.iter().map(|r| by_id(r, "shipped_in_order")["failures"].as_u64().unwrap()).collect();
    assert_eq!(failing, [71 - 29, 29]);
    // The partition key is a column of the query's table too.
    std::fs::write(
        dir.path().join("dt.yaml"),
        format!(
            "contract: orders\ndataset: {{path: {}, partitioning: {{style: hive, key: dt}}}}\nchecks:\n  - sql: {{name: days, query: \"SELECT count(DISTINCT dt) FROM orders\", equals: 1}}\n",
            fixture("daily")
        ),
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["check", "dt.yaml", "--all-partitions", "-f", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn only_one_select_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    for (query, message) in [
        ("INSERT INTO orders VALUES (1)", "the query is a INSERT statement; a contract's SQL may only read"),
        ("DROP TABLE orders", "the query is a DROP statement"),
        ("SELECT 1; SELECT 2", "the query holds 2 statements; a check runs exactly one"),
        ("COPY orders TO 'x.csv'", "the query is a COPY statement"),
        ("SELEC count(*) FROM orders", "the query is not valid SQL"),
    ] {
        std::fs::write(
            dir.path().join("c.yaml"),
            format!("contract: orders\ndataset: {{path: x.parquet}}\nchecks:\n  - sql:\n      query: \"{query}\"\n      max: 0\n"),
        )
        .unwrap();
        let run = tollgate_in(dir.path(), &["validate", "c.yaml"]);
        assert_eq!(run.code, 2, "{query}");
        assert!(run.stderr.contains("c.yaml:5:14") && run.stderr.contains(message), "{query}: {}", run.stderr);
    }
    std::fs::write(
        dir.path().join("c.yaml"),
        "contract: orders\ndataset: {path: x.parquet}\nchecks:\n  - where_not: {condition: \"a >\"}\n  - sql: {query: \"SELECT 1\"}\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["validate", "c.yaml"]);
    assert!(
        run.stderr.contains("c.yaml:4:28") && run.stderr.contains("the condition is not one SQL expression"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("`sql` needs a bound on its number"), "{}", run.stderr);
}

#[test]
fn sql_polars_cannot_run_is_an_error_check_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        format!(
            "contract: orders\ndataset: {{path: {}}}\nchecks:\n  - sql: {{name: udf, query: \"SELECT my_udf(amount) FROM orders\", max: 0}}\n  - sql: {{name: rows, query: \"SELECT order_id FROM orders\", max: 0}}\n  - sql: {{name: text, query: \"SELECT max(status) FROM orders\", max: 0}}\n  - sql: {{name: table, query: \"SELECT count(*) FROM elsewhere\", max: 0}}\n  - where_not: {{name: typo, condition: \"amount_x > 0\"}}\n",
            fixture("orders.parquet")
        ),
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "-f", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let result = &run.json()["results"][0];
    for (id, says) in [
        ("udf", "my_udf"),
        ("rows", "the query returned 200 row(s) of 1 column(s); it must return one number"),
        ("text", "not a number"),
        ("table", "elsewhere"),
        ("typo", "amount_x"),
    ] {
        let c = by_id(result, id);
        assert_eq!(c["status"], "error", "{id}: {c}");
        assert!(c["message"].as_str().unwrap().contains(says), "{id}: {c}");
    }
}

#[test]
fn odcs_sql_rules_are_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    // The standard's own example: `select count(*) from Air_Quality where DataValue <= 0 or
    // DataValue >= 500`, mustBe 0, on a property of the object `Air_Quality`.
    let mut df = polars::df!("DataValue" => [10.0, 0.0, 600.0, 20.0, 499.9]).unwrap();
    write_parquet(&dir.path().join("air.parquet"), &mut df);
    let example = repo().join("fixtures/odcs-examples/v3.1.0/quality/column-accuracy.odcs.yaml");
    let run = tollgate_in(dir.path(), &["check", example.to_str().unwrap(), "--data", "air.parquet", "-f", "json"]);
    let result = &run.json()["results"][0];
    let sql = &result["checks"].as_array().unwrap().iter().find(|c| c["kind"] == "sql").unwrap().clone();
    assert_eq!((sql["status"].as_str(), sql["observed"].as_f64()), (Some("fail"), Some(2.0)), "{sql}");
    assert_eq!(sql["id"], "DataValue.sql");
    // {column} and the object's physicalName resolve too.
    std::fs::write(
        dir.path().join("p.yaml"),
        "apiVersion: v3.1.0\nkind: DataContract\nid: p\nname: p\nversion: 1.0.0\nstatus: active\nschema:\n  - name: air\n    physicalName: raw_air_quality\n    properties:\n      - name: DataValue\n        quality:\n          - type: sql\n            query: SELECT count(*) FROM raw_air_quality WHERE ${column} > 100\n            mustBeLessThan: 2\n          - type: sql\n            name: low\n            query: SELECT count(*) FROM {object} WHERE {column} < 15\n            mustBeBetween: [2, 2]\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["check", "p.yaml", "--data", "air.parquet", "-f", "json"]);
    let report = run.json();
    let c = report["results"][0]["checks"].as_array().unwrap().iter().find(|c| c["kind"] == "sql").unwrap();
    // 600 and 499.9 are above 100: 2, not less than 2.
    assert_eq!((c["status"].as_str(), c["observed"].as_f64()), (Some("fail"), Some(2.0)), "{c}");
    // {object} and {column}: 10 and 0 are below 15.
    let low = report["results"][0]["checks"].as_array().unwrap().iter().find(|c| c["id"] == "low").unwrap();
    assert_eq!((low["status"].as_str(), low["observed"].as_f64()), (Some("pass"), Some(2.0)), "{low}");
}
