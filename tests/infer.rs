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
