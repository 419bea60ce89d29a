//! The real binary on the shipped contracts and fixtures: exact counts and exit codes.

use crate::common::*;

const NOW: &str = "--now=2026-01-11T00:00:00Z";

#[test]
fn example_contract_reports_known_counts() {
    let run = tollgate(&["check", "contracts/orders.yaml", NOW, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "", "no progress output when piped");
    let r = run.json();
    assert_eq!(r["report_version"], 1);
    assert_eq!(r["status"], "fail");
    let result = &r["results"][0];
    assert_eq!(result["rows"], 1000);
    assert_eq!(result["dataset"], "fixtures/orders.parquet");
    assert_eq!(result["contract_path"], "contracts/orders.yaml");
    assert_eq!(result["partition"], serde_json::Value::Null);
    let expect = [
        ("schema", "pass", 0),
        ("order_id.required", "pass", 0),
        ("order_id.unique", "pass", 2),
        ("customer_id.null_rate", "pass", 20),
        ("amount.range", "fail", 7),
        ("status.accepted_values", "pass", 0),
        ("country.pattern", "warn", 3),
        ("email.pattern", "pass", 2),
        ("row_count", "pass", 0),
        ("freshness", "pass", 0),
        ("references", "warn", 60),
    ];
    for (id, status, failures) in expect {
        let c = check(&r, id);
        assert_eq!(c["status"], status, "{id}: {c:#}");
        assert_eq!(c["failures"], failures, "{id}: {c:#}");
    }
    let range = check(&r, "amount.range");
    assert_eq!(range["threshold"], serde_json::json!({"min": 0, "max": 10000, "max_failures": 5}));
    assert_eq!(range["sample"].as_array().unwrap().len(), 5);
    assert_eq!(check(&r, "country.pattern")["sample"], serde_json::json!(["usa"]));
    assert_eq!(check(&r, "freshness")["observed"], 26460.0);
}

#[test]
fn sample_flag_bounds_samples() {
    let r = tollgate(&["check", "contracts/orders.yaml", NOW, "--format", "json", "--sample", "2"]).json();
    assert_eq!(check(&r, "amount.range")["sample"], serde_json::json!([-50.0, -40.0]));
    let r = tollgate(&["check", "contracts/orders.yaml", NOW, "--format", "json", "--sample", "0"]).json();
    assert_eq!(check(&r, "amount.range")["sample"], serde_json::json!([]));
}

#[test]
fn csv_typed_parse_failures() {
    let run = tollgate(&["check", "contracts/orders_csv.yaml", "--format", "json"]);
    assert_eq!(run.code, 1);
    let r = run.json();
    assert_eq!(r["results"][0]["rows"], 5);
    for (id, status, failures) in [
        ("id.type", "pass", 0),
        ("id.unique", "pass", 0),
        ("qty.type", "fail", 2),
        ("qty.range", "pass", 0),
        ("price.type", "fail", 1),
        ("price.range", "fail", 1),
        ("day.type", "fail", 1),
        ("active.type", "fail", 1),
        ("note.length", "fail", 1),
    ] {
        let c = check(&r, id);
        assert_eq!((c["status"].as_str().unwrap(), c["failures"].as_u64().unwrap()), (status, failures), "{id}");
    }
    assert_eq!(check(&r, "qty.type")["sample"], serde_json::json!(["1.5", "two"]));
    assert_eq!(check(&r, "price.range")["sample"], serde_json::json!(["NaN"]));
}

#[test]
fn latest_partition_by_default() {
    let run = tollgate(&["check", "contracts/orders_daily.yaml", "--format", "json"]);
    assert_eq!(run.code, 1);
    let r = run.json();
    assert_eq!(r["results"].as_array().unwrap().len(), 1);
    assert_eq!(r["results"][0]["partition"], "2026-01-08");
    assert_eq!(r["results"][0]["rows"], 40);
    assert_eq!(check(&r, "order_id.unique")["failures"], 3);
    let anomaly = check(&r, "row_count_anomaly");
    assert_eq!(anomaly["status"], "fail");
    assert_eq!(anomaly["details"]["center"], 100.0);
    assert_eq!(anomaly["details"]["lower"], 70.0);
    assert_eq!(anomaly["details"]["upper"], 130.0);
    assert_eq!(anomaly["details"]["history"].as_array().unwrap().len(), 6);
    assert_eq!(anomaly["details"]["history"][0], serde_json::json!({"partition": "2026-01-01", "rows": 100}));
    let missing = check(&r, "missing_partitions");
    assert_eq!(missing["failures"], 1);
    assert_eq!(missing["details"]["missing"], serde_json::json!(["2026-01-05"]));
}

#[test]
fn named_partition_and_too_little_history() {
    let r = tollgate(&["check", "contracts/orders_daily.yaml", "--partition", "2026-01-04", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = r.json();
    assert_eq!(check(&r, "row_count_anomaly")["status"], "pass");
    assert_eq!(check(&r, "order_id.unique")["failures"], 0);
    let r = tollgate(&["check", "contracts/orders_daily.yaml", "--partition", "2026-01-02", "--format", "json"]).json();
    let anomaly = check(&r, "row_count_anomaly");
    assert_eq!(anomaly["status"], "skipped");
    assert_eq!(anomaly["failures"], serde_json::Value::Null);
    assert!(anomaly["message"].as_str().unwrap().contains("min_history"));
}

#[test]
fn all_partitions_one_result_each_in_order() {
    let r = tollgate(&["check", "contracts/orders_daily.yaml", "--all-partitions", "--format", "json"]).json();
    let partitions: Vec<&str> =
        r["results"].as_array().unwrap().iter().map(|x| x["partition"].as_str().unwrap()).collect();
    assert_eq!(
        partitions,
        ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-06", "2026-01-07", "2026-01-08"]
    );
    // The re-loaded ids fail in both partitions that hold them.
    let unique: Vec<u64> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            x["checks"].as_array().unwrap().iter().find(|c| c["id"] == "order_id.unique").unwrap()["failures"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(unique, [0, 0, 0, 0, 0, 3, 3]);
    let sample = |i: usize| {
        r["results"][i]["checks"].as_array().unwrap().iter().find(|c| c["id"] == "order_id.unique").unwrap()["sample"]
            .clone()
    };
    assert_eq!(sample(5), serde_json::json!([598, 599, 600]));
    assert_eq!(sample(6), serde_json::json!([598, 599, 600]));
}

#[test]
fn unknown_partition_exits_3() {
    let r = tollgate(&["check", "contracts/orders_daily.yaml", "--partition", "2030-01-01"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("2030-01-01") && r.stderr.contains("orders_daily"), "{}", r.stderr);
}

#[test]
fn validate_accepts_examples() {
    let r =
        tollgate(&["validate", "contracts/orders.yaml", "contracts/orders_csv.yaml", "contracts/orders_daily.yaml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 3);
}

#[test]
fn invalid_contract_exits_2_with_location_and_evaluates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "contract: t\ndataset: {path: x.parquet}\nschema:\n  columns:\n    - name: a\n      tpye: int64\n      range: {min: 3, max: 1}\n").unwrap();
    let r = tollgate(&["check", "contracts/orders.yaml", bad.to_str().unwrap(), "--format", "json"]);
    assert_eq!(r.code, 2);
    // Nothing evaluated: the JSON document carries the diagnostics, not results.
    let doc = r.json();
    assert_eq!(doc["status"], "invalid");
    assert!(doc.get("results").is_none());
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{doc:#}");
    assert_eq!((errors[0]["line"].as_u64(), errors[0]["column"].as_u64()), (Some(6), Some(7)));
    assert_eq!((errors[1]["line"].as_u64(), errors[1]["column"].as_u64()), (Some(7), Some(14)));
    assert!(errors[0]["file"].as_str().unwrap().ends_with("bad.yaml"));
    assert_eq!(errors[0]["help"], "did you mean `type`?");
    assert!(r.stderr.contains("bad.yaml:6:7"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean `type`?"), "{}", r.stderr);
    assert!(r.stderr.contains("bad.yaml:7:14"), "both problems reported: {}", r.stderr);
    let r = tollgate(&["validate", "contracts/does_not_exist.yaml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("does_not_exist.yaml"));
}

#[test]
fn output_file_gets_the_format_and_stdout_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let r = tollgate(&["check", "contracts/orders.yaml", NOW, "--format", "json", "--output", out.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("amount.range"));
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written["status"], "fail");
    let r =
        tollgate(&["check", "contracts/orders.yaml", NOW, "--output", "/nonexistent-dir/r.json", "--format", "json"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("/nonexistent-dir/r.json"));
}

#[test]
fn fail_on_warn_changes_only_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("warn.yaml");
    let data = repo().join("fixtures/orders.parquet");
    std::fs::write(&c, format!("contract: w\ndataset: {{path: {}}}\nschema:\n  columns:\n    - {{name: country, pattern: \"^[A-Z]{{2}}$\", severity: warn}}\n", data.display())).unwrap();
    let r = tollgate(&["check", c.to_str().unwrap(), "--format", "json"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.json()["status"], "warn");
    let r = tollgate(&["check", c.to_str().unwrap(), "--format", "json", "--fail-on", "warn"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["status"], "warn");
}

#[test]
fn data_flag_replaces_the_path() {
    let r = tollgate(&[
        "check",
        "contracts/orders_daily.yaml",
        "--data",
        "fixtures/orders_daily",
        "--partition",
        "2026-01-04",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = tollgate(&["check", "contracts/orders.yaml", "contracts/orders_csv.yaml", "--data", "fixtures/orders.csv"]);
    assert_eq!(r.code, 2, "--data with two contracts is a usage error");
}

#[test]
fn data_error_in_one_contract_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("missing.yaml");
    std::fs::write(&c, "contract: m\ndataset: {path: nowhere.parquet}\n").unwrap();
    let r = tollgate(&["check", c.to_str().unwrap(), "contracts/orders.yaml", NOW, "--format", "json"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("nowhere.parquet"), "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["results"].as_array().unwrap().len(), 2);
    assert_eq!(j["results"][0]["status"], "error");
    assert_eq!(j["results"][1]["status"], "fail");
}

#[test]
fn all_partitions_pass_agrees_with_each_partition_alone() {
    // After a pass that learns the ids shared by partitions — in a bitmap over the footer range,
    // or without footer statistics in a hash set — the partitions are read one at a time.
    for extra in [None, Some("--no-statistics")] {
        let mut args = vec!["check", "contracts/orders_daily.yaml", "--all-partitions", "--format", "json"];
        args.extend(extra);
        let all = tollgate(&args).json();
        agrees_with_each_partition_alone(&all);
    }
}

fn agrees_with_each_partition_alone(all: &serde_json::Value) {
    let mut elsewhere = 0;
    for result in all["results"].as_array().unwrap() {
        let unique = result["checks"].as_array().unwrap().iter().find(|c| c["id"] == "order_id.unique").unwrap();
        elsewhere += unique["sample"].as_array().unwrap().len();
        let p = result["partition"].as_str().unwrap();
        let one = tollgate(&["check", "contracts/orders_daily.yaml", "--partition", p, "--format", "json"]).json();
        let strip = |r: &serde_json::Value| {
            r["checks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["id"].clone(), c["status"].clone(), c["failures"].clone(), c["sample"].clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(result), strip(&one["results"][0]), "partition {p}");
        assert_eq!(result["rows"], one["results"][0]["rows"]);
    }
    assert!(elsewhere > 0, "the fixture has ids shared by partitions");
}

#[test]
fn what_would_be_ignored_is_refused() {
    for args in [
        vec!["diff", "contracts/orders.yaml", "contracts/orders.yaml", "--format", "junit"],
        vec!["history", "contracts/orders.yaml", "--history", "x.db", "--format", "markdown"],
        vec!["history", "contracts/orders.yaml", "--history", "x.db", "--format", "github"],
    ] {
        let r = tollgate(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stdout);
        assert!(r.stderr.contains("invalid value"), "{}", r.stderr);
    }
    let r = tollgate(&["check", "contracts/orders.yaml", "--partition", "2026-01-01"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("contracts/orders.yaml declares no partitioning"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("absent.db");
    let r = tollgate(&["history", "contracts/orders.yaml", "--history", store.to_str().unwrap()]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("absent.db does not exist"), "{}", r.stderr);
    assert!(!store.exists(), "listing must not create the store");
}

#[test]
fn partition_by_folder_name_and_now_by_date() {
    let by_value = tollgate(&[
        "check",
        "contracts/orders_daily.yaml",
        "--partition",
        "2026-01-03",
        "--now",
        "2026-01-04",
        "-f",
        "json",
    ]);
    let by_folder = tollgate(&[
        "check",
        "contracts/orders_daily.yaml",
        "--partition",
        "dt=2026-01-03",
        "--now",
        "2026-01-04T00:00:00Z",
        "-f",
        "json",
    ]);
    assert_eq!(by_value.code, 0, "{}", by_value.stderr);
    assert_eq!(by_folder.code, 0, "{}", by_folder.stderr);
    let strip = |r: &Run| r.stdout.lines().filter(|l| !l.contains("duration_ms")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(&by_value), strip(&by_folder));
    assert_eq!(by_value.json()["results"][0]["partition"], "2026-01-03");
    let r = tollgate(&["check", "contracts/orders_daily.yaml", "--now", "01/04/2026"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--now 2026-01-10"), "{}", r.stderr);
}

#[test]
fn invalid_contract_as_workflow_commands() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "contract: t\ndataset: {path: x.parquet}\nschema:\n  columns:\n    - name: a\n      tpye: int64\n",
    )
    .unwrap();
    let r = tollgate_in(dir.path(), &["check", "bad.yaml", "--format", "github"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stdout,
        "::error file=bad.yaml,line=6,col=7,title=invalid contract::unknown key `tpye` in a column%0Ahelp: did you mean `type`?\n"
    );
    let r = tollgate_in(dir.path(), &["validate", "bad.yaml", "--format", "json"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.json()["errors"][0]["line"], 6);
}

#[test]
fn help_describes_every_option_with_examples_and_exit_codes() {
    for command in ["check", "validate", "history", "diff", "infer", "completions", "man"] {
        let r = tollgate(&[command, "--help"]);
        assert_eq!(r.code, 0);
        assert!(r.stdout.contains("Examples:"), "{command}");
        if !["completions", "man"].contains(&command) {
            assert!(r.stdout.contains("Exit codes"), "{command}");
        }
        let examples = r.stdout.lines().filter(|l| l.starts_with("  tollgate ")).count();
        assert!((3..=4).contains(&examples), "{command}: {examples} examples");
        // Every option line carries a description after its name.
        // Option lines are indented a little; wrapped description lines a lot.
        let option_line = |l: &&str| l.len() - l.trim_start().len() <= 6 && l.trim_start().starts_with('-');
        for line in r.stdout.lines().filter(option_line) {
            let described = line.trim().split_once("  ").is_some_and(|(_, d)| !d.trim().is_empty());
            assert!(described, "{command}: undescribed option `{line}`");
        }
    }
    let r = tollgate(&["check", "--help"]);
    for short in ["-o, --output", "-q, --quiet", "-f, --format"] {
        assert!(r.stdout.contains(short), "{short}");
    }
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let r = tollgate(&["completions", shell]);
        assert_eq!(r.code, 0);
        assert!(r.stdout.contains("all-partitions"), "{shell}");
    }
    let man = tollgate(&["man"]);
    assert!(man.stdout.starts_with(".ie") || man.stdout.contains(".TH tollgate"), "{}", &man.stdout[..200]);
    assert!(man.stdout.contains("validate"));
}

#[test]
fn data_errors_point_at_the_contract_and_suggest_from_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let orders = repo().join("fixtures/orders.parquet");
    std::fs::write(
        dir.path().join("c.yaml"),
        format!(
            "contract: t\ndataset: {{path: {}}}\nschema:\n  columns:\n    - {{name: emial, type: string}}\nchecks:\n  - freshness: {{column: created_ta, max_age: 1d}}\n",
            orders.display()
        ),
    )
    .unwrap();
    let doc = tollgate_in(dir.path(), &["check", "c.yaml", "-f", "json"]).json();
    assert_eq!(check(&doc, "emial.type")["message"], "column `emial` is not in the data; did you mean `email`?");
    assert_eq!(
        check(&doc, "freshness")["message"],
        "column `created_ta` is not in the data; did you mean `created_at`?"
    );
    assert_eq!(check(&doc, "schema")["message"], "missing columns: emial (did you mean `email`?)");

    std::fs::write(dir.path().join("d.yaml"), "contract: t\ndataset:\n  path: nothere/orders.parquet\n").unwrap();
    let r = tollgate_in(dir.path(), &["check", "d.yaml"]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("d.yaml:3:9: `dataset.path: nothere/orders.parquet` resolves to nothere/orders.parquet"),
        "{}",
        r.stderr
    );

    std::fs::write(
        dir.path().join("e.yaml"),
        "contract: t\ndataset: {path: x.parquet}\nschema:\n  columns:\n    - {name: a, type: varchar}\n",
    )
    .unwrap();
    let r = tollgate_in(dir.path(), &["validate", "e.yaml"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("e.yaml:5:23\n   = help: tollgate calls `varchar` `string`: write `type: string`"),
        "{}",
        r.stderr
    );
}

#[cfg(not(feature = "spark"))]
#[test]
fn engine_spark_without_the_feature_says_how_to_build_it() {
    let run = tollgate(&["check", "contracts/orders.yaml", "--engine", "spark"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("built without the Spark engine"), "{}", run.stderr);
    assert!(run.stderr.contains("--features spark"), "{}", run.stderr);
}
