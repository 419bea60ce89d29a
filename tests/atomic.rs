//! Files tollgate writes are whole or absent, even when the process is killed mid-way.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn output_survives_a_kill_at_any_moment() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let old = "{\"previous\": true}\n";
    for attempt in 0..12u64 {
        std::fs::write(&out, old).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["check", "contracts/orders.yaml", "contracts/orders_daily.yaml", "--format", "json", "--quiet"])
            .arg("--output")
            .arg(&out)
            .current_dir(repo())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(attempt * 15));
        let _ = child.kill();
        let _ = child.wait();
        let text = std::fs::read_to_string(&out).unwrap();
        if text != old {
            let report: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("torn report after kill at {attempt}: {e}"));
            assert_eq!(report["results"].as_array().unwrap().len(), 2);
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name() != "report.json")
            .collect();
        // A killed run may leave its temporary file behind, never a partial report.json.
        for l in leftovers {
            assert!(l.file_name().to_string_lossy().starts_with(".report.json.tollgate-"), "{:?}", l.file_name());
        }
    }
}

#[test]
fn history_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("h.db");
    for attempt in 0..8u64 {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args([
                "check",
                "contracts/orders.yaml",
                "--quiet",
                "--now",
                &format!("2026-05-0{}T00:00:00Z", attempt + 1),
            ])
            .arg("--history")
            .arg(&store)
            .current_dir(repo())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(attempt * 20));
        let _ = child.kill();
        let _ = child.wait();
    }
    let listed =
        tollgate(&["history", "contracts/orders.yaml", "--history", store.to_str().unwrap(), "--format", "json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let metrics = listed.json();
    // Every partition recorded holds its whole set of metrics, or none.
    let mut per_partition = std::collections::BTreeMap::<String, usize>::new();
    for m in metrics.as_array().unwrap() {
        *per_partition.entry(m["partition"].as_str().unwrap().to_string()).or_default() += 1;
    }
    let sizes: std::collections::BTreeSet<usize> = per_partition.values().copied().collect();
    assert!(sizes.len() <= 1, "partial history: {per_partition:?}");
}
