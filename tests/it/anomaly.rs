//! Metric anomalies (`anomaly:`): each metric and method on partitioned data whose values are
//! known, history from sibling partitions and from the store (both backends), `history --metric`,
//! contract errors, and a property test of the band and verdict against a reference.

use std::path::Path;

use polars::prelude::*;
use proptest::prelude::*;

use crate::common::*;
use crate::history::stores;

/// Eight days of 100 rows. Days 1–7 are normal: 1 null `customer_id`, `amount` i/10 + day/10
/// (mean 4.95 + day/10), 5 countries. Day 8 jumps: 30 nulls, amounts ×10, one country.
fn days(data: &Path, last: usize) {
    for day in 1..=last {
        let jump = day == 8;
        let nulls = if jump { 30 } else { 1 };
        let customer: Vec<Option<i64>> = (0..100).map(|i| if i < nulls { None } else { Some(i) }).collect();
        let amount: Vec<f64> =
            (0..100).map(|i| (i as f64 / 10.0 + day as f64 / 10.0) * if jump { 10.0 } else { 1.0 }).collect();
        let countries = ["US", "DE", "FR", "JP", "BR"];
        let country: Vec<&str> = (0..100).map(|i| if jump { "US" } else { countries[i % 5] }).collect();
        let mut df = df!("customer_id" => customer, "amount" => amount, "country" => country).unwrap();
        write_parquet(&data.join(format!("dt=2026-02-{day:02}/part-0.parquet")), &mut df);
    }
}

const CONTRACT: &str = "contract: metrics
dataset: {path: data, partitioning: {style: hive, key: dt}}
schema:
  columns:
    - name: customer_id
      anomaly: {metric: null_rate, method: median, tolerance: 1.0}
    - name: amount
      anomaly: [{metric: mean, method: zscore, threshold: 4}, {metric: sum, method: mad, threshold: 5}]
    - name: country
      anomaly: {metric: distinct_count, method: median, tolerance: 0.2, direction: down}
checks:
  - anomaly: {metric: row_count, method: median, tolerance: 0.1}
";

fn statuses(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["results"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn each_metric_and_method_from_sibling_partitions() {
    let dir = tempfile::tempdir().unwrap();
    days(&dir.path().join("data"), 8);
    std::fs::write(dir.path().join("c.yaml"), CONTRACT).unwrap();
    let c = dir.path().join("c.yaml");
    let normal = tollgate(&["check", c.to_str().unwrap(), "--partition", "2026-02-07", "-f", "json"]);
    assert_eq!(normal.code, 0, "{}", normal.stdout);
    let bad = tollgate(&["check", c.to_str().unwrap(), "-f", "json"]);
    assert_eq!(bad.code, 1);
    let doc = bad.json();
    assert_eq!(
        statuses(&doc),
        [
            ("schema", "pass"),
            ("anomaly.row_count", "pass"),
            ("customer_id.anomaly.null_rate", "fail"),
            ("amount.anomaly.mean", "fail"),
            ("amount.anomaly.sum", "fail"),
            ("country.anomaly.distinct_count", "fail"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // Exact figures: 7 earlier null rates of 0.01; median 0.01 ± 100 %.
    let nulls = check(&doc, "customer_id.anomaly.null_rate");
    assert_eq!(nulls["observed"], 0.3);
    assert_eq!(nulls["details"]["center"], 0.01);
    assert_eq!((nulls["details"]["lower"].as_f64(), nulls["details"]["upper"].as_f64()), (Some(0.0), Some(0.02)));
    assert_eq!(nulls["details"]["history"].as_array().unwrap().len(), 7);
    assert_eq!(nulls["column"], "customer_id");
    // The mean's earlier values are 5.05 … 5.65 (zscore around 5.35).
    let mean = check(&doc, "amount.anomaly.mean");
    let history: Vec<f64> =
        mean["details"]["history"].as_array().unwrap().iter().map(|h| h["value"].as_f64().unwrap()).collect();
    let expected: Vec<f64> = (1..=7).map(|d| 4.95 + d as f64 / 10.0).collect();
    for (got, want) in history.iter().zip(&expected) {
        assert!((got - want).abs() < 1e-9, "{history:?}");
    }
    assert!((mean["details"]["center"].as_f64().unwrap() - 5.35).abs() < 1e-9);
    let distinct = check(&doc, "country.anomaly.distinct_count");
    assert_eq!((distinct["observed"].as_f64(), distinct["threshold"]["direction"].as_str()), (Some(1.0), Some("down")));
    let rows = check(&doc, "anomaly.row_count");
    assert_eq!(rows["details"]["center"], 100.0);
}

#[test]
fn a_window_with_too_little_history_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    days(&dir.path().join("data"), 3);
    std::fs::write(dir.path().join("c.yaml"), CONTRACT).unwrap();
    let doc = tollgate(&["check", dir.path().join("c.yaml").to_str().unwrap(), "-f", "json"]).json();
    let nulls = check(&doc, "customer_id.anomaly.null_rate");
    assert_eq!(nulls["status"], "skipped");
    assert_eq!(nulls["observed"], serde_json::Value::Null);
    assert!(nulls["message"].as_str().unwrap().contains("only 2 earlier value(s)"), "{nulls}");
    assert_eq!(nulls["details"]["value"], 0.01, "the value is kept for the history store");
}

#[test]
fn history_from_the_store_for_a_table_overwritten_daily() {
    let dir = tempfile::tempdir().unwrap();
    let contract = dir.path().join("c.yaml");
    std::fs::write(
        &contract,
        "contract: daily\ndataset: {path: today.parquet}\nschema:\n  columns:\n    - {name: amount, range: {min: 0}, anomaly: [{metric: mean, method: median, tolerance: 0.5, min_history: 3}, {metric: sum, method: zscore, threshold: 3, min_history: 3}]}\nchecks:\n  - anomaly: {metric: failures, check: amount.range, method: mad, threshold: 3}\n",
    )
    .unwrap();
    for store in stores(dir.path(), "overwritten") {
        let mut statuses = Vec::new();
        // Five normal days (mean 9.35, one negative amount a day), then a day whose mean is ten times.
        for day in 1..=6 {
            let scale = if day == 6 { 10.0 } else { 1.0 };
            let mut amounts: Vec<f64> = (0..10).map(|i| (5.5 + i as f64) * scale).collect();
            amounts[0] = -1.0;
            let mut df = df!("amount" => amounts).unwrap();
            write_parquet(&dir.path().join("today.parquet"), &mut df);
            let now = format!("2026-03-{day:02}T12:00:00Z");
            let r = tollgate(&["check", contract.to_str().unwrap(), "--history", &store, "--now", &now, "-f", "json"]);
            let doc = r.json();
            statuses.push((
                check(&doc, "amount.anomaly.mean")["status"].as_str().unwrap().to_string(),
                check(&doc, "anomaly.failures.amount.range")["status"].as_str().unwrap().to_string(),
                check(&doc, "amount.anomaly.sum")["status"].as_str().unwrap().to_string(),
            ));
        }
        let mean: Vec<&str> = statuses.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(mean, ["skipped", "skipped", "skipped", "pass", "pass", "fail"], "{store}");
        let failures: Vec<&str> = statuses.iter().map(|s| s.1.as_str()).collect();
        assert_eq!(failures, ["skipped", "skipped", "skipped", "pass", "pass", "pass"], "{store}: one failure a day");
        // The same sum every day: a zero spread, which only the same sum passes.
        let sum: Vec<&str> = statuses.iter().map(|s| s.2.as_str()).collect();
        assert_eq!(sum, ["skipped", "skipped", "skipped", "pass", "pass", "fail"], "{store}");
        // The recorded series, each point judged as the check judged it.
        let listed = tollgate(&[
            "history",
            contract.to_str().unwrap(),
            "--history",
            &store,
            "--metric",
            "amount.anomaly.mean",
            "-f",
            "json",
        ]);
        assert_eq!(listed.code, 0, "{}", listed.stderr);
        let points = listed.json();
        let got: Vec<(&str, &str)> = points
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["partition"].as_str().unwrap(), p["status"].as_str().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-03-01", "skipped"),
                ("2026-03-02", "skipped"),
                ("2026-03-03", "skipped"),
                ("2026-03-04", "pass"),
                ("2026-03-05", "pass"),
                ("2026-03-06", "fail")
            ]
        );
        assert_eq!(points[5]["center"], 9.35, "median of the five earlier means (-1, 6.5 … 14.5)");
        let table =
            tollgate(&["history", contract.to_str().unwrap(), "--history", &store, "--metric", "amount.anomaly.mean"]);
        assert!(table.stdout.contains("6 recorded values"), "{}", table.stdout);
        let unknown =
            tollgate(&["history", contract.to_str().unwrap(), "--history", &store, "--metric", "amount.mean"]);
        assert_eq!(unknown.code, 2);
        assert!(
            unknown
                .stderr
                .contains("its anomaly checks: anomaly.failures.amount.range, amount.anomaly.mean, amount.anomaly.sum"),
            "{}",
            unknown.stderr
        );
    }
}

#[test]
fn bad_parameters_are_pointed_at() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "contract: t
dataset: {path: x.parquet}
schema:
  columns:
    - name: a
      anomaly: {metric: nul_rate}
    - name: b
      anomaly: {metric: row_count}
    - name: c
      anomaly: {metric: mean, direction: sideways, method: median, threshold: 2}
checks:
  - anomaly: {metric: null_rate}
  - anomaly: {metric: failures, check: later}
  - anomaly: {metric: failures}
",
    )
    .unwrap();
    let r = tollgate(&["validate", bad.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    for expected in [
        "unknown anomaly metric `nul_rate`\n  --> BAD:6:25\n   = help: did you mean `null_rate`?",
        "metric `row_count` is not a column's\n  --> BAD:8:25",
        "unknown direction `sideways`\n  --> BAD:10:42",
        "metric `null_rate` describes a column\n  --> BAD:12:14",
        "`later` is not a column rule or a check declared before this anomaly\n  --> BAD:13:5",
        "`anomaly` of `failures` needs `check`\n  --> BAD:14:14",
    ] {
        let expected = expected.replace("BAD", &bad.display().to_string());
        assert!(r.stderr.contains(&expected), "missing:\n{expected}\nin:\n{}", r.stderr);
    }
}

/// The band and verdict of a straightforward reference, written from SPEC's formulas.
fn reference(history: &[f64], value: f64, method: &str, k: f64, direction: &str) -> bool {
    let mut sorted = history.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median =
        |s: &[f64]| if s.len() % 2 == 1 { s[s.len() / 2] } else { (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0 };
    let (center, lower, upper) = match method {
        "median" => {
            let m = median(&sorted);
            (m, m * (1.0 - k), m * (1.0 + k))
        }
        "zscore" => {
            let n = history.len() as f64;
            let mean = history.iter().sum::<f64>() / n;
            let sd = (history.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            (mean, mean - k * sd, mean + k * sd)
        }
        _ => {
            let m = median(&sorted);
            let mut dev: Vec<f64> = history.iter().map(|x| (x - m).abs()).collect();
            dev.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let spread = 1.4826 * median(&dev);
            (m, m - k * spread, m + k * spread)
        }
    };
    let (low_ok, high_ok) =
        if lower == upper { (value >= center, value <= center) } else { (value >= lower, value <= upper) };
    match direction {
        "up" => high_ok,
        "down" => low_ok,
        _ => low_ok && high_ok,
    }
}

proptest! {
    #[test]
    fn band_and_verdict_match_the_reference(
        history in proptest::collection::vec(0u32..1000, 3..10),
        value in 0u32..1200,
        method in prop_oneof![Just("median"), Just("zscore"), Just("mad")],
        k in 1u32..5,
        direction in prop_oneof![Just("up"), Just("down"), Just("both")],
    ) {
        use tollgate::contract::{AnomalyMethod, Direction};
        let history: Vec<f64> = history.into_iter().map(f64::from).collect();
        let k = f64::from(k) / 2.0;
        let m = match method {
            "median" => AnomalyMethod::Median { tolerance: k },
            "zscore" => AnomalyMethod::ZScore { threshold: k },
            _ => AnomalyMethod::Mad { threshold: k },
        };
        let d = match direction { "up" => Direction::Up, "down" => Direction::Down, _ => Direction::Both };
        let mut series: Vec<(String, f64)> = history.iter().enumerate().map(|(i, v)| (format!("p{i:02}"), *v)).collect();
        series.push(("p99".into(), f64::from(value)));
        let judged = tollgate::checks::anomaly::judge_series(&series, m, series.len(), history.len(), d);
        let last = judged.last().unwrap();
        let expected = if reference(&history, f64::from(value), method, k, direction) { "pass" } else { "fail" };
        prop_assert_eq!(last["status"].as_str().unwrap(), expected);
    }
}
