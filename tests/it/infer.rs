//! `tollgate infer`: on every fixture the proposed contract (native and ODCS) passes `check`.

use crate::common::*;

/// Every fixture, ours and other writers'; partitioned ones are also checked `--all-partitions`.
const FIXTURES: &[&str] = &[
    "fixtures/orders.parquet",
    "fixtures/orders.csv",
    "fixtures/orders_daily",
    "fixtures/customers.parquet",
    "fixtures/interop/pyarrow/trips.csv",
    "fixtures/interop/pyarrow/trips.parquet",
    "fixtures/interop/duckdb/trips.csv",
    "fixtures/interop/duckdb/trips.parquet",
    "fixtures/interop/pandas/trips.csv",
    "fixtures/interop/pandas/trips.parquet",
    "fixtures/interop/polars/trips.csv",
    "fixtures/interop/polars/trips.parquet",
    "fixtures/interop/polars/trips_semicolon.csv",
    "fixtures/interop/spark/parquet",
    "fixtures/interop/spark/csv",
    "fixtures/interop/evolution",
    "fixtures/interop/crlf/dayfirst.csv",
];

#[test]
fn proposals_pass_check_on_their_own_data() {
    let dir = tempfile::tempdir().unwrap();
    for (i, data) in FIXTURES.iter().enumerate() {
        for odcs in [false, true] {
            if odcs && data.ends_with("semicolon.csv") {
                continue; // refused: an ODCS server cannot declare the delimiter (tested below)
            }
            let out = dir.path().join(format!("c{i}{}.yaml", if odcs { "-odcs" } else { "" }));
            let mut args = vec!["infer", data, "--output", out.to_str().unwrap()];
            if odcs {
                args.push("--odcs");
            }
            let run = tollgate(&args);
            assert_eq!(run.code, 0, "{data}: {}", run.stderr);
            let text = std::fs::read_to_string(&out).unwrap();
            let partitioned = text.contains("partitioning:");
            let modes: &[&[&str]] = if partitioned { &[&[], &["--all-partitions"]] } else { &[&[]] };
            for mode in modes {
                let mut args = vec!["check", out.to_str().unwrap(), "--format", "json"];
                args.extend_from_slice(mode);
                let check = tollgate(&args);
                assert_eq!(
                    check.code, 0,
                    "{data} (odcs: {odcs}, {mode:?}) fails its own proposal:\n{text}\n{}",
                    check.stdout
                );
                let report = check.json();
                for result in report["results"].as_array().unwrap() {
                    let checks = result["checks"].as_array().unwrap();
                    assert!(checks.iter().all(|c| c["status"] == "pass"), "{data} {mode:?}: {report:#}");
                }
            }
        }
    }
}

#[test]
fn what_other_writers_put_in_a_csv_is_proposed_as_check_reads_it() {
    // Arrow's `2024-01-01 06:59:58.867660Z` is a timestamp; day-first dates stay text.
    let arrow = tollgate(&["infer", "fixtures/interop/pyarrow/trips.csv"]).stdout;
    assert!(arrow.contains("    - name: started_at\n      type: timestamp\n"), "{arrow}");
    assert!(
        arrow.contains("range: {min: \"2024-01-01T06:59:58.867660\", max: \"2024-01-01T17:59:58.867660\"}"),
        "{arrow}"
    );
    let dayfirst = tollgate(&["infer", "fixtures/interop/crlf/dayfirst.csv"]).stdout;
    assert!(dayfirst.contains("    - name: when\n      type: string\n"), "{dayfirst}");
    assert!(dayfirst.contains("dates in an order tollgate does not read"), "{dayfirst}");
    // The delimiter is sniffed and written down.
    let semicolon = tollgate(&["infer", "fixtures/interop/polars/trips_semicolon.csv"]).stdout;
    assert!(semicolon.contains("  csv: {delimiter: \";\"}\n"), "{semicolon}");
    assert!(semicolon.contains("    - name: driver\n"), "one column per field: {semicolon}");
    let odcs = tollgate(&["infer", "fixtures/interop/polars/trips_semicolon.csv", "--odcs"]);
    assert_eq!(odcs.code, 3);
    assert!(odcs.stderr.contains("fields are separated by `;`"), "{}", odcs.stderr);
    // Decimal bounds keep every digit.
    let decimal = tollgate(&["infer", "fixtures/interop/pyarrow/trips.parquet"]).stdout;
    assert!(decimal.contains("range: {min: -3.25, max: 12345678901234567890.1234}"), "{decimal}");
    assert!(decimal.contains("range: {min: 1, max: 5000000000000.000001}"), "{decimal}");
}

#[test]
fn null_rate_ceilings_hold_in_the_worst_partition() {
    let dir = tempfile::tempdir().unwrap();
    // Three days: 0 of 10 nulls, 0 of 10, 5 of 10. Pooled, 5/30 ≈ 0.167 → ceiling 0.26, which
    // the last day (0.5) breaks; the worst day sets it: 0.5 × 1.5 + 0.01 = 0.76.
    for (day, nulls) in [("2024-01-01", 0), ("2024-01-02", 0), ("2024-01-03", 5)] {
        let mut lines = String::from("id,note\n");
        for i in 0..10 {
            lines.push_str(&format!("{i},{}\n", if i < nulls { "" } else { "x" }));
        }
        let folder = dir.path().join(format!("data/day={day}"));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("part.csv"), lines).unwrap();
    }
    let out = dir.path().join("c.yaml");
    let data = dir.path().join("data");
    assert_eq!(tollgate(&["infer", data.to_str().unwrap(), "-o", out.to_str().unwrap()]).code, 0);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("      null_rate: {max: 0.76}\n"), "{text}");
    assert!(text.contains("0.1667 overall and 0.5000 in the worst partition"), "{text}");
    assert_eq!(tollgate(&["check", out.to_str().unwrap(), "--all-partitions"]).code, 0);
}

#[test]
fn proposal_content() {
    let run = tollgate(&["infer", "fixtures/orders.parquet"]);
    assert_eq!(run.code, 0);
    let c = tollgate(&["validate", "-"]); // a missing file is a usage error, not a crash
    assert_eq!(c.code, 2);
    // Block style: one `- name:` item per column, each after two comment lines.
    let lines: Vec<&str> = run.stdout.lines().collect();
    let items: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].starts_with("    - name: ")).collect();
    assert_eq!(items.len(), 7, "every column: {}", run.stdout);
    for &i in &items {
        assert!(lines[i - 2].starts_with("    # ") && lines[i - 1].starts_with("    # "), "{}", lines[i]);
    }
    assert!(!run.stdout.contains("{\"name\""), "no JSON flow maps");
    assert!(run.stdout.contains("    # customer_id: 20 nulls, 97 distinct, min 1000, max 1096\n    # type: as the data stores it; null_rate: 0.0200 observed, with headroom; range: the observed min and max\n"));
    let block = |name: &str| {
        let at = run.stdout.find(&format!("    - name: {name}\n")).unwrap();
        let rest = &run.stdout[at..];
        let end = rest[1..]
            .find("\n    #")
            .map(|e| e + 2)
            .or_else(|| rest.find("\nchecks:").map(|e| e + 1))
            .unwrap_or(rest.len());
        rest[..end].to_string()
    };
    assert!(block("order_id").contains("      required: true\n"));
    assert!(!block("order_id").contains("unique"), "two ids repeat");
    assert!(block("email").contains("      unique: true\n"));
    assert!(block("status").contains("      accepted_values: [cancelled, delivered, placed, shipped, unknown]\n"));
    assert!(!block("email").contains("accepted_values"), "1000 distinct emails is not low cardinality");
    assert!(block("customer_id").contains("      null_rate: {max: 0.04}\n"), "0.02 with headroom");
    assert!(!block("amount").contains("range"), "a NaN would fail any range");
    assert!(block("created_at").contains("      range: {min: \"2026-01-10T00:00:00\", max: \"2026-01-10T16:39:00\"}\n"));
    // The proposal is a contract tollgate reads as such.
    let dir = tempfile::tempdir().unwrap();
    let written = dir.path().join("orders.yaml");
    let r = tollgate(&["infer", "fixtures/orders.parquet", "-o", written.to_str().unwrap()]);
    assert_eq!(r.stderr, format!("Wrote {0}. Next: tollgate check {0}\n", written.display()));
    let contract = tollgate::contract::load(&written).unwrap();
    assert_eq!(contract.columns().len(), 7);
    assert_eq!(contract.columns()[3].rules.len(), 3, "status: type, required, accepted_values");
    let partitioned = tollgate(&["infer", "fixtures/orders_daily"]);
    assert!(partitioned.stdout.contains("partitioning: {style: hive, key: dt}"));
    assert!(!partitioned.stdout.contains("- name: dt"), "the partition key is not a declared column");
    assert_eq!(tollgate(&["infer", "fixtures/nothing_here"]).code, 3);
}
