//! `tollgate infer`: on every fixture the proposed contract (native and ODCS) passes `check`.

mod common;

use common::*;

const FIXTURES: [&str; 4] =
    ["fixtures/orders.parquet", "fixtures/orders.csv", "fixtures/orders_daily", "fixtures/customers.parquet"];

#[test]
fn proposals_pass_check_on_their_own_data() {
    let dir = tempfile::tempdir().unwrap();
    for (i, data) in FIXTURES.iter().enumerate() {
        for odcs in [false, true] {
            let out = dir.path().join(format!("c{i}{}.yaml", if odcs { "-odcs" } else { "" }));
            let mut args = vec!["infer", data, "--output", out.to_str().unwrap()];
            if odcs {
                args.push("--odcs");
            }
            let run = tollgate(&args);
            assert_eq!(run.code, 0, "{data}: {}", run.stderr);
            let text = std::fs::read_to_string(&out).unwrap();
            let check = tollgate(&["check", out.to_str().unwrap(), "--format", "json"]);
            assert_eq!(check.code, 0, "{data} (odcs: {odcs}) fails its own proposal:\n{text}\n{}", check.stdout);
            let report = check.json();
            let checks = report["results"][0]["checks"].as_array().unwrap();
            assert!(checks.iter().all(|c| c["status"] == "pass"), "{data}: {report:#}");
        }
    }
}

#[test]
fn proposal_content() {
    let run = tollgate(&["infer", "fixtures/orders.parquet"]);
    assert_eq!(run.code, 0);
    let c = tollgate(&["validate", "-"]); // a missing file is a usage error, not a crash
    assert_eq!(c.code, 2);
    let lines: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("    - {")).collect();
    assert_eq!(lines.len(), 7, "every column: {}", run.stdout);
    assert!(lines.iter().all(|l| l.matches(':').count() >= 3), "at least one rule per column");
    let find = |name: &str| *lines.iter().find(|l| l.contains(&format!("\"name\":\"{name}\""))).unwrap();
    assert!(find("order_id").contains("\"required\":true"));
    assert!(!find("order_id").contains("unique"), "two ids repeat");
    assert!(find("email").contains("\"unique\":true"));
    assert!(
        find("status").contains("\"accepted_values\":[\"cancelled\",\"delivered\",\"placed\",\"shipped\",\"unknown\"]")
    );
    assert!(!find("email").contains("accepted_values"), "1000 distinct emails is not low cardinality");
    assert!(find("customer_id").contains("\"null_rate\":{\"max\":0.04}"), "0.02 with headroom");
    assert!(!find("amount").contains("range"), "a NaN would fail any range");
    assert!(find("created_at").contains("\"range\":{\"min\":\"2026-01-10T00:00:00\",\"max\":\"2026-01-10T16:39:00\"}"));
    let partitioned = tollgate(&["infer", "fixtures/orders_daily"]);
    assert!(partitioned.stdout.contains("partitioning: {style: hive, key: \"dt\"}"));
    assert!(!partitioned.stdout.contains("\"name\":\"dt\""), "the partition key is not a declared column");
    assert_eq!(tollgate(&["infer", "fixtures/nothing_here"]).code, 3);
}
