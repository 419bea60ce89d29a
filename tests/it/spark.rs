//! The Spark engine against the local one: every Parquet fixture contract (native and ODCS,
//! one partition and `--all-partitions`, the per-kind fixtures' Parquet twins written by
//! pyarrow, files written by pyarrow, pandas, polars, DuckDB and Spark) gives the same JSON
//! report on both, but for the differences listed in [`ALLOWED`]; the property test's random
//! tables give the row-by-row reference's counts on Spark too; and a server that is not there,
//! a file Spark cannot read and a pattern Java reads differently fail as they should.
//!
//! `.ci/run` starts a Spark Connect server (PySpark 4.3.0, `local[2]`) on 127.0.0.1 and sets
//! `TOLLGATE_TEST_SPARK` to its `sc://` URL; without it the tests that need a server say why
//! they did not run. All of this needs the `spark` feature (`cargo test --features spark`).

use crate::common::*;

/// What may differ between the engines' reports, each with its reason. Everything else must
/// be equal.
const ALLOWED: &[(&str, &str)] = &[
    ("duration_ms", "wall time"),
    (
        "checks[].details.source",
        "the local engine answers some checks from Parquet footer statistics and says so; Spark reads the data",
    ),
];

/// The report as compared: [`ALLOWED`] taken out.
fn comparable(mut report: serde_json::Value) -> serde_json::Value {
    assert_eq!(ALLOWED.len(), 2, "each allowed difference is taken out below");
    report.as_object_mut().unwrap().remove("duration_ms");
    for result in report["results"].as_array_mut().unwrap() {
        result.as_object_mut().unwrap().remove("duration_ms");
        for check in result["checks"].as_array_mut().unwrap() {
            let details = check.get_mut("details").and_then(|d| d.as_object_mut());
            if let Some(details) = details {
                details.remove("source");
                if details.is_empty() {
                    check.as_object_mut().unwrap().remove("details");
                }
            }
        }
    }
    report
}

fn server() -> Option<String> {
    match std::env::var("TOLLGATE_TEST_SPARK") {
        Ok(url) => Some(url),
        Err(_) => {
            println!("skipped: TOLLGATE_TEST_SPARK is not set (.ci/run starts a Spark Connect server and sets it)");
            None
        }
    }
}

const NOW: &str = "--now=2026-01-11T00:00:00Z";

/// Every Parquet fixture, as `check` arguments (the contract first).
fn cases() -> Vec<Vec<String>> {
    let mut cases: Vec<Vec<String>> = Vec::new();
    let mut add = |args: &[&str]| cases.push(args.iter().map(|a| a.to_string()).collect());
    add(&["contracts/orders.yaml"]);
    add(&["contracts/orders_daily.yaml"]);
    add(&["contracts/orders_daily.yaml", "--all-partitions"]);
    add(&["contracts/orders_daily.yaml", "--partition", "2026-01-03"]);
    // A candidate whose keys are another partition's: `unique` fails across partitions (40 rows).
    add(&[
        "contracts/orders_daily.yaml",
        "--partition",
        "2026-01-09",
        "--candidate",
        "fixtures/orders_daily/dt=2026-01-08",
    ]);
    add(&["contracts/odcs/orders-v3.0.odcs.yaml"]);
    add(&["contracts/odcs/orders-v3.1.odcs.yaml"]);
    add(&["contracts/orders.yaml", "--sample", "0"]);
    add(&["contracts/orders.yaml", "--sample", "50"]);
    for writer in ["pyarrow", "pandas", "polars"] {
        add(&["fixtures/interop/trips.yaml", "--data", &format!("fixtures/interop/{writer}/trips.parquet")]);
    }
    add(&["fixtures/interop/trips.yaml", "--data", "fixtures/interop/spark/parquet"]);
    add(&["fixtures/interop/trips.yaml", "--data", "fixtures/interop/spark/parquet", "--all-partitions"]);
    add(&["fixtures/interop/trips.yaml", "--data", "fixtures/interop/evolution"]);
    add(&["fixtures/interop/trips.yaml", "--data", "fixtures/interop/nested/nested.parquet"]);
    // The per-kind fixtures' Parquet twins (fixtures/spark/make.py).
    for group in ["rules", "checks"] {
        let mut kinds: Vec<_> = std::fs::read_dir(repo().join("fixtures/spark").join(group))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        kinds.sort();
        for kind in kinds {
            let twin = format!("fixtures/spark/{group}/{kind}");
            let data = std::fs::read_dir(repo().join(&twin)).unwrap().next().unwrap().unwrap().file_name();
            let data = format!("{twin}/{}", data.to_string_lossy());
            let contract = format!("fixtures/{group}/{kind}/contract.yaml");
            add(&[&contract, "--data", &data]);
            if repo().join(&data).is_dir() {
                add(&[&contract, "--data", &data, "--all-partitions"]);
            }
        }
    }
    cases
}

#[test]
fn every_fixture_gives_the_same_report_on_both_engines() {
    let Some(url) = server() else { return };
    let cases = cases();
    assert!(cases.len() >= 35, "{} cases", cases.len());
    for case in cases {
        let mut args: Vec<&str> = vec!["check"];
        args.extend(case.iter().map(String::as_str));
        args.extend([NOW, "-f", "json"]);
        let local = tollgate(&args);
        args.extend(["--engine", "spark", "--spark-remote", &url]);
        let spark = tollgate(&args);
        assert_eq!(local.code, spark.code, "{case:?}: exit codes\nlocal: {}\nspark: {}", local.stderr, spark.stderr);
        assert!(local.code <= 1, "{case:?}: {}", local.stderr);
        let (local, spark) = (comparable(local.json()), comparable(spark.json()));
        assert_eq!(local, spark, "{case:?}: the reports differ");
        // Not all errors: the run measured something.
        let statuses: Vec<&str> = spark["results"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["checks"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()))
            .collect();
        assert!(statuses.iter().any(|s| *s != "error"), "{case:?}: every check errored");
        assert!(!spark.to_string().contains("cannot run"), "{case:?}: a construct was not translated: {spark:#}");
    }
}

#[test]
fn samples_locate_their_first_row_on_spark() {
    let Some(url) = server() else { return };
    let run =
        tollgate(&["check", "contracts/orders.yaml", NOW, "-f", "json", "--engine", "spark", "--spark-remote", &url]);
    let range = check(&run.json(), "amount.range").clone();
    assert_eq!(range["failures"], 7);
    assert_eq!(
        range["samples"][0],
        serde_json::json!({"value": -50.0, "count": 1, "file": "fixtures/orders.parquet", "row": 49})
    );
}

#[test]
fn a_file_spark_cannot_read_exits_3_in_sparks_words() {
    let Some(url) = server() else { return };
    // DuckDB writes an INTERVAL column as FIXED_LEN_BYTE_ARRAY(INTERVAL), which Spark refuses.
    let run = tollgate(&[
        "check",
        "fixtures/interop/trips.yaml",
        "--data",
        "fixtures/interop/duckdb/trips.parquet",
        NOW,
        "--engine",
        "spark",
        "--spark-remote",
        &url,
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("fixtures/interop/duckdb/trips.parquet"), "{}", run.stderr);
    assert!(run.stderr.contains("PARQUET_TYPE_NOT_SUPPORTED"), "{}", run.stderr);
    assert!(!run.stderr.contains("\tat org.apache"), "a JVM stack trace: {}", run.stderr);
}

#[test]
fn property_tables_count_as_the_reference_on_spark() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let Some(url) = server() else { return };
    let session = std::sync::Arc::new(tollgate::spark::Session::connect(&url).expect("connect"));
    let options = tollgate::engine::Options {
        now: "2026-01-11T00:00:00Z".parse().unwrap(),
        executor: tollgate::engine::Executor::Spark(session),
        ..Default::default()
    };
    let mut runner = TestRunner::new(Config { cases: 24, ..Config::default() });
    runner
        .run(&(crate::property::table(), 1usize..8), |(t, row_group)| {
            let (_dir, contract) = crate::property::write_table(&t, row_group);
            let result = tollgate::engine::check_contract(&contract, &options).expect("data readable").remove(0);
            prop_assert_eq!(result.rows, Some(t.ints.len() as u64));
            for (id, expected) in crate::property::reference(&t) {
                prop_assert_eq!(by_id(&result, id).failures, Some(expected), "{}", id);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn no_server_exits_3_naming_it() {
    // Nothing listens on port 9 of the loopback.
    let run = tollgate(&["check", "contracts/orders.yaml", "--engine", "spark", "--spark-remote", "sc://127.0.0.1:9"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("cannot connect to Spark at sc://127.0.0.1:9"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

#[test]
fn a_pattern_java_reads_otherwise_is_refused_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "contract: greek\ndataset: {path: d.parquet}\nschema:\n  columns:\n    - name: word\n      pattern: '^\\p{Greek}+$'\n",
    )
    .unwrap();
    // The port is never dialled: the contract is refused first.
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "--engine", "spark", "--spark-remote", "sc://127.0.0.1:9"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("c.yaml:6:7: the pattern of `word` cannot run on Spark"), "{}", run.stderr);
    assert!(run.stderr.contains("\\p{Greek}"), "{}", run.stderr);
}

/// The rows of a Parquet output: the local engine's file, or the folder of parts Spark wrote;
/// as sorted lines (a list column joined), for comparing as multisets.
fn output_rows(path: &std::path::Path) -> (Vec<(String, String)>, Vec<String>) {
    use polars::prelude::*;
    let files: Vec<std::path::PathBuf> = if path.is_dir() {
        let mut parts: Vec<_> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "parquet")
                    && !p.file_name().unwrap().to_string_lossy().starts_with('.')
            })
            .collect();
        parts.sort();
        parts
    } else {
        vec![path.to_path_buf()]
    };
    assert!(!files.is_empty(), "{} holds no Parquet part", path.display());
    let mut rows = Vec::new();
    let mut schema = Vec::new();
    for file in files {
        let df = ParquetReader::new(std::fs::File::open(&file).unwrap()).finish().unwrap();
        schema = df.schema().iter().map(|(n, t)| (n.to_string(), format!("{t:?}"))).collect();
        for i in 0..df.height() {
            let row: Vec<String> = df.columns().iter().map(|c| format!("{}", c.get(i).unwrap())).collect();
            rows.push(row.join(" | "));
        }
    }
    rows.sort();
    (schema, rows)
}

/// Cases whose rows break rules of every row-level kind, within and across partitions.
fn quarantine_cases() -> Vec<Vec<String>> {
    let mut cases: Vec<Vec<String>> = vec![
        vec!["contracts/orders.yaml".into()],
        vec!["contracts/orders_daily.yaml".into(), "--all-partitions".into()],
        [
            "contracts/orders_daily.yaml",
            "--partition",
            "2026-01-09",
            "--candidate",
            "fixtures/orders_daily/dt=2026-01-08",
        ]
        .map(String::from)
        .to_vec(),
    ];
    // (`type` marks rows of CSV only, which Spark does not read.)
    for kind in ["accepted_values", "length", "pattern", "range", "required", "unique"] {
        cases.push(
            [
                &format!("fixtures/rules/{kind}/contract.yaml"),
                "--data",
                &format!("fixtures/spark/rules/{kind}/data.parquet"),
            ]
            .map(|a| a.to_string())
            .to_vec(),
        );
    }
    cases.push(["fixtures/checks/references/contract.yaml", "--data"].map(String::from).to_vec());
    let references =
        std::fs::read_dir(repo().join("fixtures/spark/checks/references")).unwrap().next().unwrap().unwrap();
    cases
        .last_mut()
        .unwrap()
        .push(format!("fixtures/spark/checks/references/{}", references.file_name().to_string_lossy()));
    cases
}

#[test]
fn quarantine_and_clean_hold_the_local_engines_rows_on_spark() {
    let Some(url) = server() else { return };
    for case in quarantine_cases() {
        let dir = tempfile::tempdir().unwrap();
        let mut reports = Vec::new();
        for engine in ["local", "spark"] {
            let (q, c) = (dir.path().join(engine).join("bad"), dir.path().join(engine).join("good"));
            let mut args: Vec<&str> = vec!["check"];
            args.extend(case.iter().map(String::as_str));
            args.extend([NOW, "-f", "json", "--engine", engine, "--spark-remote", &url]);
            args.extend(["--quarantine", q.to_str().unwrap(), "--clean", c.to_str().unwrap()]);
            let run = tollgate(&args);
            assert!(run.code <= 1, "{case:?} on {engine}: {}", run.stderr);
            reports.push(run.json());
        }
        let outputs = |report: &serde_json::Value| -> Vec<serde_json::Value> {
            report["results"].as_array().unwrap().iter().map(|r| r["outputs"].clone()).collect()
        };
        let (local, spark) = (outputs(&reports[0]), outputs(&reports[1]));
        assert_eq!(local.len(), spark.len(), "{case:?}");
        let mut quarantined = 0;
        for (l, s) in local.iter().zip(&spark) {
            for side in ["quarantine", "clean"] {
                assert_eq!(l[side]["rows"], s[side]["rows"], "{case:?}: {side} rows");
                let name = |o: &serde_json::Value| {
                    std::path::Path::new(o[side]["path"].as_str().unwrap()).file_name().unwrap().to_owned()
                };
                assert_eq!(name(l), name(s), "{case:?}: {side} names");
                let (l_schema, l_rows) = output_rows(std::path::Path::new(l[side]["path"].as_str().unwrap()));
                let (s_schema, s_rows) = output_rows(std::path::Path::new(s[side]["path"].as_str().unwrap()));
                assert_eq!(l_schema, s_schema, "{case:?}: {side} columns");
                assert_eq!(l_rows, s_rows, "{case:?}: {side} rows");
            }
            quarantined += l["quarantine"]["rows"].as_u64().unwrap();
        }
        assert!(quarantined > 0, "{case:?}: no row broke a rule, so the case shows nothing");
        // Nothing but the outputs is left beside them (no staging folder).
        for side in ["bad", "good"] {
            let left: Vec<String> = std::fs::read_dir(dir.path().join("spark").join(side))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.'))
                .collect();
            assert!(left.is_empty(), "{case:?}: left behind {left:?}");
        }
    }
}

#[test]
fn a_partition_scoped_key_is_judged_within_its_partition_when_spark_reads_them_all() {
    let Some(url) = server() else { return };
    // `id` is unique across partitions, so Spark's source holds both; `b` only within each.
    // b = 10 is in both partitions (not a failure of `b`); id = 1 is too (a failure of `id`).
    let dir = tempfile::tempdir().unwrap();
    for (dt, ids, bs) in [("1", [1, 2], [10, 11]), ("2", [1, 4], [10, 12])] {
        let folder = dir.path().join(format!("data/dt={dt}"));
        std::fs::create_dir_all(&folder).unwrap();
        let column = |v: [i64; 2]| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
        write_ints(&folder.join("part-0.parquet"), &[("id", column(ids)), ("b", column(bs))]);
    }
    std::fs::write(
        dir.path().join("c.yaml"),
        "contract: scoped\ndataset: {path: data, partitioning: {style: hive, key: dt}}\nschema:\n  columns:\n    - \
         {name: id, unique: true}\n    - {name: b, unique: {scope: partition}}\n",
    )
    .unwrap();
    let mut quarantined = Vec::new();
    for engine in ["local", "spark"] {
        let q = dir.path().join(engine);
        let run = tollgate_in(
            dir.path(),
            &[
                "check",
                "c.yaml",
                NOW,
                "-f",
                "json",
                "--quarantine",
                q.to_str().unwrap(),
                "--engine",
                engine,
                "--spark-remote",
                &url,
            ],
        );
        assert_eq!(run.code, 1, "{engine}: {}", run.stderr);
        let report = run.json();
        let checks = report["results"][0]["checks"].as_array().unwrap();
        let failures = |id: &str| checks.iter().find(|c| c["id"] == id).unwrap()["failures"].clone();
        assert_eq!(failures("id.unique"), 1, "{engine}");
        assert_eq!(failures("b.unique"), 0, "{engine}");
        quarantined.push(output_rows(std::path::Path::new(
            report["results"][0]["outputs"]["quarantine"]["path"].as_str().unwrap(),
        )));
    }
    assert_eq!(quarantined[0].1.len(), 1, "{:?}", quarantined[0]);
    assert!(quarantined[0].1[0].contains("[\"id.unique\"]"), "{:?}", quarantined[0]);
    assert_eq!(quarantined[0], quarantined[1]);
}

#[test]
fn a_spark_output_replaces_an_earlier_one_whole() {
    let Some(url) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let check = |engine: &str| {
        let args = ["check", "contracts/orders.yaml", NOW, "-f", "json", "--quarantine", q.to_str().unwrap()];
        let mut args = args.to_vec();
        args.extend(["--engine", engine, "--spark-remote", &url]);
        tollgate(&args)
    };
    // The local engine's file, then Spark's folder in its place, then Spark's again.
    assert_eq!(check("local").code, 1);
    assert!(q.join("orders.parquet").is_file());
    for _ in 0..2 {
        let run = check("spark");
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(q.join("orders.parquet").is_dir());
        assert_eq!(output_rows(&q.join("orders.parquet")).1.len(), 76);
        let names: Vec<String> =
            std::fs::read_dir(&q).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["orders.parquet"]);
    }
    // A run of the same contract that fails (Spark cannot read the file) leaves the earlier
    // output as it was.
    let before = output_rows(&q.join("orders.parquet"));
    let run = tollgate(&[
        "check",
        "contracts/orders.yaml",
        "--data",
        "fixtures/interop/duckdb/trips.parquet",
        "--quarantine",
        q.to_str().unwrap(),
        "--engine",
        "spark",
        "--spark-remote",
        &url,
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(output_rows(&q.join("orders.parquet")), before);
    let names: Vec<String> =
        std::fs::read_dir(&q).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["orders.parquet"]);
}

#[test]
fn quarantine_to_object_storage_is_refused_before_connecting() {
    // The port is never dialled: the flags are refused first.
    let run = tollgate(&[
        "check",
        "contracts/orders.yaml",
        "--quarantine",
        "s3://lake/dead-letter",
        "--engine",
        "spark",
        "--spark-remote",
        "sc://127.0.0.1:9",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("s3://lake/dead-letter is object storage"), "{}", run.stderr);
}

/// Writes `columns` (name, values; `None` a null) as a Parquet file.
fn write_ints(path: &std::path::Path, columns: &[(&str, Vec<Option<i64>>)]) {
    use polars::prelude::*;
    let columns: Vec<Column> = columns.iter().map(|(n, v)| Column::new((*n).into(), v.clone())).collect();
    let mut df = DataFrame::new(columns[0].len(), columns).unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap()).finish(&mut df).unwrap();
}

#[test]
fn references_to_a_large_dataset_are_read_by_spark() {
    let Some(url) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    // 200,000 keys: twice what a query's list may hold, so only a set Spark reads answers.
    write_ints(&dir.path().join("customers.parquet"), &[("id", (0..200_000).map(Some).collect())]);
    // Customer ids 0, 2, … 239,998, every thousandth null: the 20,000 ids from 200,000 up have
    // no customer, less the 20 of them that are null.
    let ids: Vec<Option<i64>> = (0..120_000).map(|i| if i % 1000 == 999 { None } else { Some(i * 2) }).collect();
    write_ints(&dir.path().join("orders.parquet"), &[("customer_id", ids)]);
    {
        // 50,000 keys as 32-bit integers: compared after a cast, which the client makes, so
        // they go into the query as a list.
        use polars::prelude::*;
        let ids: Vec<i32> = (0..50_000).collect();
        let mut df = DataFrame::new(ids.len(), vec![Column::new("id".into(), ids)]).unwrap();
        ParquetWriter::new(std::fs::File::create(dir.path().join("customers32.parquet")).unwrap())
            .finish(&mut df)
            .unwrap();
    }
    std::fs::write(
        dir.path().join("c.yaml"),
        "contract: orders\ndataset: {path: orders.parquet}\nchecks:\n  - references: {column: customer_id, dataset: \
         customers.parquet, key: id}\n  - references: {column: customer_id, dataset: customers32.parquet, key: id}\n    \
         name: narrow\n",
    )
    .unwrap();
    let local = tollgate_in(dir.path(), &["check", "c.yaml", NOW, "-f", "json"]);
    let spark =
        tollgate_in(dir.path(), &["check", "c.yaml", NOW, "-f", "json", "--engine", "spark", "--spark-remote", &url]);
    assert_eq!(local.code, 1, "{}", local.stderr);
    assert_eq!(spark.code, 1, "{}", spark.stderr);
    let (local, spark) = (comparable(local.json()), comparable(spark.json()));
    assert_eq!(local, spark);
    let checks = spark["results"][0]["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0]["failures"], 19_980, "{:#}", checks[0]);
    assert_eq!(checks[0]["samples"][0]["value"], 200_000);
    // Ids from 50,000 up (rows 25,000 on): 95,000 less their 95 nulls.
    assert_eq!(checks[1]["failures"], 94_905, "{:#}", checks[1]);
    assert_eq!(checks[1]["samples"][0]["value"], 50_000);
}

/// What else may differ when Spark alone reads the dataset (a catalog table, or a path of a
/// scheme tollgate does not read): its name, and its samples' locations (Spark lists the files,
/// so their rows are not numbered).
fn comparable_when_spark_lists(report: serde_json::Value) -> serde_json::Value {
    let mut report = comparable(report);
    for result in report["results"].as_array_mut().unwrap() {
        result.as_object_mut().unwrap().remove("dataset");
        for check in result["checks"].as_array_mut().unwrap() {
            for sample in check["samples"].as_array_mut().into_iter().flatten() {
                let sample = sample.as_object_mut().unwrap();
                sample.remove("file");
                sample.remove("row");
            }
        }
    }
    report
}

#[test]
fn a_path_only_spark_reads_is_listed_and_partitioned_by_spark() {
    let Some(url) = server() else { return };
    // `file://` is a scheme tollgate itself does not read (as `hdfs://`): Spark lists the files,
    // finds the partitions and counts their rows.
    let under = |path: &str| format!("file://{}", repo().join(path).display());
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("contracts/orders.yaml", under("fixtures/orders.parquet"), vec![]),
        ("contracts/orders_daily.yaml", under("fixtures/orders_daily"), vec![]),
        ("contracts/orders_daily.yaml", under("fixtures/orders_daily"), vec!["--all-partitions"]),
        ("contracts/orders_daily.yaml", under("fixtures/orders_daily"), vec!["--partition", "2026-01-03"]),
        ("fixtures/checks/anomaly/contract.yaml", under("fixtures/spark/checks/anomaly/data"), vec![]),
        (
            "fixtures/checks/row_count_anomaly/contract.yaml",
            under("fixtures/spark/checks/row_count_anomaly/data"),
            vec![],
        ),
        (
            "fixtures/checks/missing_partitions/contract.yaml",
            under("fixtures/spark/checks/missing_partitions/data"),
            vec!["--all-partitions"],
        ),
    ];
    for (contract, spark_path, extra) in cases {
        let local_path = spark_path.trim_start_matches("file://").to_string();
        let mut args = vec!["check", contract, NOW, "-f", "json"];
        args.extend(&extra);
        let local = tollgate(&[args.clone(), vec!["--data", &local_path]].concat());
        let spark =
            tollgate(&[args, vec!["--data", &spark_path, "--engine", "spark", "--spark-remote", &url]].concat());
        assert_eq!(local.code, spark.code, "{contract} {extra:?}: {}", spark.stderr);
        assert!(local.code <= 1, "{contract}: {}", local.stderr);
        let (local, spark) = (local.json(), spark.json());
        assert_eq!(spark["results"][0]["dataset"], spark_path.as_str());
        assert_eq!(comparable_when_spark_lists(local), comparable_when_spark_lists(spark), "{contract} {extra:?}");
    }
    // CSV is refused as it is from files tollgate lists.
    let csv = under("fixtures/orders.csv");
    let run =
        tollgate(&["check", "contracts/orders.yaml", "--data", &csv, "--engine", "spark", "--spark-remote", &url]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("reads Parquet only"), "{}", run.stderr);
}

#[test]
fn a_partitioned_catalog_table_is_checked_partition_by_partition() {
    let Some(url) = server() else { return };
    let session = tollgate::spark::Session::connect(&url).expect("connect");
    let folder = repo().join("fixtures/orders_daily");
    session
        .query(&format!(
            "CREATE OR REPLACE GLOBAL TEMPORARY VIEW tollgate_orders_daily AS SELECT * FROM parquet.`{}`",
            folder.display()
        ))
        .expect("view");
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("contracts/orders_daily.yaml")).unwrap();
    let text = text.replace("  path: ../fixtures/orders_daily\n", "  table: global_temp.tollgate_orders_daily\n");
    assert!(text.contains("table: global_temp.tollgate_orders_daily\n  partitioning: {style: hive, key: dt}"));
    std::fs::write(dir.path().join("orders_daily.yaml"), text).unwrap();
    for extra in [vec![], vec!["--all-partitions"], vec!["--partition", "2026-01-03"]] {
        let mut args = vec!["check", "orders_daily.yaml", NOW, "-f", "json"];
        args.extend(&extra);
        let spark =
            tollgate_in(dir.path(), &[args.clone(), vec!["--engine", "spark", "--spark-remote", &url]].concat());
        args[1] = "contracts/orders_daily.yaml";
        let local = tollgate(&args);
        assert_eq!(local.code, spark.code, "{extra:?}: {}", spark.stderr);
        let (local, spark) = (local.json(), spark.json());
        assert_eq!(spark["results"][0]["dataset"], "global_temp.tollgate_orders_daily");
        let partitions = |r: &serde_json::Value| -> Vec<serde_json::Value> {
            r["results"].as_array().unwrap().iter().map(|r| r["partition"].clone()).collect()
        };
        assert_eq!(partitions(&spark), partitions(&local), "{extra:?}");
        assert!(!partitions(&spark)[0].is_null());
        let (local, mut spark) = (comparable_when_spark_lists(local), comparable_when_spark_lists(spark));
        // The contract's path differs (the table's contract is a copy).
        for r in spark["results"].as_array_mut().unwrap() {
            r["contract_path"] = local["results"][0]["contract_path"].clone();
        }
        assert_eq!(local, spark, "{extra:?}");
    }
}

const RECONCILE: &str = "contract: rc\ndataset: {path: here.parquet}\nchecks:\n  - reconcile:\n      with: there.parquet\n      \
                         key: [id]\n      row_count: {}\n      missing_keys: {}\n      extra_keys: {}\n      \
                         duplicate_keys: {}\n      columns:\n        amount: {}\n        name: {}\n  - name: loose\n    \
                         reconcile:\n      with: there.parquet\n      key: [id]\n      columns:\n        amount: \
                         {tolerance: 0.01}\n";

#[test]
fn reconcile_is_computed_by_spark_with_the_local_engines_answers() {
    use polars::prelude::*;
    let Some(url) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Here: key 3 twice (the first row is compared), key 1 only here, a row without key, NaN for
    // key 5 on both sides (equal); there: 32-bit keys (joined as 64-bit), key 8 twice and only
    // there, amount 2.5 for key 2 and 6.001 for key 6 (within 0.01), name `F` for key 6.
    let nan = f64::NAN;
    // Key 7's amount is null on both sides (equal), key 9's only here (a difference).
    let mut here = df!(
        "id" => [Some(1i64), Some(2), Some(3), Some(3), Some(5), Some(6), None, Some(7), Some(9)],
        "amount" => [Some(1.0), Some(2.0), Some(3.0), Some(3.5), Some(nan), Some(6.0), Some(9.0), None, None],
        "name" => ["a", "b", "c", "c2", "e", "f", "x", "g", "i"]
    )
    .unwrap();
    let mut there = df!(
        "id" => [2i32, 3, 5, 6, 8, 8, 7, 9],
        "amount" => [Some(2.5), Some(3.0), Some(nan), Some(6.001), Some(8.0), Some(8.0), None, Some(9.0)],
        "name" => ["b", "c", "e", "F", "h", "h", "g", "i"]
    )
    .unwrap();
    write_parquet(&dir.path().join("here.parquet"), &mut here);
    write_parquet(&dir.path().join("there.parquet"), &mut there);
    std::fs::write(dir.path().join("c.yaml"), RECONCILE).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["check", "c.yaml", NOW, "-f", "json", "--spark-remote", &url];
        all.extend(args);
        tollgate_in(dir.path(), &all)
    };
    let local = run(&[]);
    let spark = run(&["--engine", "spark"]);
    assert_eq!(local.code, 1, "{}", local.stderr);
    assert_eq!(spark.code, 1, "{}", spark.stderr);
    let local = local.json();
    let failures: Vec<(String, u64)> = local["results"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["failures"].as_u64().unwrap()))
        .collect();
    let expected = [
        ("reconcile.row_count", 1),
        ("reconcile.missing_keys", 1),
        ("reconcile.extra_keys", 1),
        ("reconcile.duplicate_keys", 4),
        ("reconcile.values.amount", 3),
        ("reconcile.values.name", 1),
        ("loose.values.amount", 2),
    ];
    for (id, n) in expected {
        assert!(failures.contains(&(id.to_string(), n)), "{id}: {failures:?}");
    }
    assert_eq!(comparable(local.clone()), comparable(spark.json()));
    // The checked file as a path only Spark reads: the comparison cannot have been made by the
    // client, which does not read `file://`.
    let here = format!("file://{}", dir.path().join("here.parquet").display());
    let only_spark = run(&["--engine", "spark", "--data", &here]);
    assert_eq!(only_spark.code, 1, "{}", only_spark.stderr);
    assert_eq!(comparable_when_spark_lists(local), comparable_when_spark_lists(only_spark.json()));
}

#[test]
fn reconcile_per_partition_is_the_same_on_spark() {
    use polars::prelude::*;
    let Some(url) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Day 1: here lacks id 3, adds 100, has id 9 twice and amount 7.5 for id 7; day 2 equal.
    // Spark reads both sides of each day (the comparison per partition).
    let day = |ids: Vec<i64>, seven: f64| {
        let amount: Vec<f64> = ids.iter().map(|i| if *i == 7 { seven } else { *i as f64 }).collect();
        df!("order_id" => ids, "amount" => amount).unwrap()
    };
    let mut day1: Vec<i64> = (0..50).filter(|i| *i != 3).collect();
    day1.extend([9, 100]);
    write_parquet(&dir.path().join("here/dt=2026-01-01/part-0.parquet"), &mut day(day1, 7.5));
    write_parquet(&dir.path().join("there/dt=2026-01-01/part-0.parquet"), &mut day((0..50).collect(), 7.0));
    write_parquet(&dir.path().join("here/dt=2026-01-02/part-0.parquet"), &mut day((0..40).collect(), 7.0));
    write_parquet(&dir.path().join("there/dt=2026-01-02/part-0.parquet"), &mut day((0..40).collect(), 7.0));
    std::fs::write(
        dir.path().join("c.yaml"),
        "contract: shadow\ndataset: {path: here, partitioning: {style: hive, key: dt}}\nchecks:\n  - reconcile:\n      \
         with: {path: there, partitioning: {style: hive, key: dt}}\n      key: [order_id]\n      missing_keys: {}\n      \
         extra_keys: {}\n      duplicate_keys: {}\n      columns:\n        amount: {}\n",
    )
    .unwrap();
    let args = ["check", "c.yaml", NOW, "-f", "json", "--all-partitions"];
    let local = tollgate_in(dir.path(), &args);
    let spark = tollgate_in(dir.path(), &[&args[..], &["--engine", "spark", "--spark-remote", &url]].concat());
    assert_eq!(local.code, 1, "{}", local.stderr);
    let (local, spark) = (comparable(local.json()), comparable(spark.json()));
    assert_eq!(local, spark);
    let failures = |r: usize| -> Vec<(String, u64)> {
        local["results"][r]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["id"].as_str().unwrap().to_string(), c["failures"].as_u64().unwrap()))
            .collect()
    };
    // 51 rows against 50; id 3 missing; id 100 extra; id 9 on two rows; id 7's amount.
    let expected = [
        ("reconcile.row_count", 1),
        ("reconcile.missing_keys", 1),
        ("reconcile.extra_keys", 1),
        ("reconcile.duplicate_keys", 2),
        ("reconcile.values.amount", 1),
    ];
    assert_eq!(failures(0), expected.map(|(id, n)| (id.to_string(), n)));
    assert!(failures(1).iter().all(|(_, n)| *n == 0));
}

#[test]
fn sql_checks_of_one_aggregate_run_on_spark() {
    use polars::prelude::*;
    let Some(url) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut data = df!(
        "id" => [Some(1i64), Some(2), Some(3), Some(3), Some(5), None],
        "amount" => [Some(1.0), Some(2.5), Some(3.0), None, Some(f64::NAN), Some(9.0)],
        "name" => ["a", "b", "c", "c", "e", "x"]
    )
    .unwrap();
    write_parquet(&dir.path().join("data.parquet"), &mut data);
    std::fs::write(
        dir.path().join("c.yaml"),
        r#"contract: q
dataset: {path: data.parquet}
checks:
  - sql: {query: "SELECT count(*) FROM q WHERE amount > 2", max: 1}
  - name: total
    sql: {query: "SELECT sum(amount) AS total FROM q WHERE id < 5 AND name <> 'x'", max: 100}
  - name: ratio
    sql: {query: "SELECT count(amount) / 4 FROM q", max: 1}
  - name: none
    sql: {query: "SELECT max(amount) FROM q WHERE id > 100", min: 0}
  - name: grouped
    sql: {query: "SELECT count(*) FROM (SELECT id FROM q GROUP BY id HAVING count(*) > 1) AS d", max: 0}
"#,
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["check", "c.yaml", NOW, "-f", "json", "--spark-remote", &url];
        all.extend(args);
        tollgate_in(dir.path(), &all)
    };
    let (local, spark) = (run(&[]), run(&["--engine", "spark"]));
    assert_eq!(local.code, 1, "{}", local.stderr);
    let local = local.json();
    let observed: Vec<serde_json::Value> =
        local["results"][0]["checks"].as_array().unwrap().iter().map(|c| c["observed"].clone()).collect();
    // amount > 2: 2.5, 3.0 and 9.0 (NaN is greater than every number in Polars); the sum over ids
    // 1, 2, 3, 3 is 6.5 (the null skipped); 5 non-null amounts / 4; no id > 100 (null); id 3 twice.
    assert_eq!(
        observed,
        [json_number(4.0), json_number(6.5), json_number(1.25), serde_json::Value::Null, json_number(1.0)]
    );
    assert_eq!(comparable(local.clone()), comparable(spark.json()));
    // On a path only Spark reads, the one-aggregate queries are Spark's alone; the grouped one
    // would need the client, which cannot read the data.
    let only_spark = format!("file://{}", dir.path().join("data.parquet").display());
    let only_spark = run(&["--engine", "spark", "--data", &only_spark]).json();
    let checks = only_spark["results"][0]["checks"].as_array().unwrap();
    for (i, check) in checks.iter().enumerate().take(4) {
        assert_eq!(check["observed"], observed[i], "{check:#}");
    }
    assert_eq!(checks[4]["status"], "error");
    assert!(checks[4]["message"].as_str().unwrap().contains("not one aggregate"), "{:#}", checks[4]);
}

fn json_number(value: f64) -> serde_json::Value {
    serde_json::json!(value)
}

#[test]
fn a_catalog_table_is_checked_as_its_files_are() {
    let Some(url) = server() else { return };
    // A global temporary view is a catalog table every session of the server sees (`global_temp`),
    // and nothing is written to a warehouse.
    let session = tollgate::spark::Session::connect(&url).expect("connect");
    let file = repo().join("fixtures/orders.parquet");
    session
        .query(&format!(
            "CREATE OR REPLACE GLOBAL TEMPORARY VIEW tollgate_orders AS SELECT * FROM parquet.`{}`",
            file.display()
        ))
        .expect("view");
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("contracts/orders.yaml")).unwrap();
    let customers = repo().join("fixtures/customers.parquet");
    let text = text
        .replace("  path: ../fixtures/orders.parquet", "  table: global_temp.tollgate_orders")
        .replace("dataset: ../fixtures/customers.parquet", &format!("dataset: {}", customers.display()));
    assert!(text.contains("table: global_temp.tollgate_orders"));
    std::fs::write(dir.path().join("orders.yaml"), text).unwrap();
    let table = tollgate_in(
        dir.path(),
        &["check", "orders.yaml", NOW, "-f", "json", "--engine", "spark", "--spark-remote", &url],
    );
    let files = tollgate(&["check", "contracts/orders.yaml", NOW, "-f", "json"]);
    assert_eq!(table.code, files.code, "{}", table.stderr);
    let (table, files) = (table.json(), files.json());
    assert_eq!(table["results"][0]["dataset"], "global_temp.tollgate_orders");
    assert_eq!(table["results"][0]["rows"], 1000);
    // The same verdicts, counts and sample values; a table's samples have no file to point at.
    let verdicts = |report: &serde_json::Value| -> Vec<serde_json::Value> {
        report["results"][0]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let samples: Vec<_> = c["samples"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| (s["value"].clone(), s["count"].clone()))
                    .collect();
                serde_json::json!([c["id"], c["status"], c["failures"], c["observed"], samples])
            })
            .collect()
    };
    assert_eq!(verdicts(&table), verdicts(&files));
    let checks = table["results"][0]["checks"].as_array().unwrap();
    let samples: Vec<&serde_json::Value> =
        checks.iter().flat_map(|c| c["samples"].as_array().into_iter().flatten()).collect();
    assert!(samples.len() >= 10, "{samples:?}");
    assert!(samples.iter().all(|s| s.get("file").is_none()), "{samples:?}");
}

#[test]
fn a_catalog_table_needs_the_spark_engine() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.yaml"), "contract: t\ndataset: {table: sales.orders}\n").unwrap();
    let run = tollgate_in(dir.path(), &["check", "c.yaml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("names a catalog table, which the Spark engine reads"), "{}", run.stderr);
    std::fs::write(dir.path().join("bad.yaml"), "contract: t\ndataset: {table: 'sales.orders; DROP'}\n").unwrap();
    let run = tollgate_in(dir.path(), &["validate", "bad.yaml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("bad.yaml:2:18"), "{}", run.stderr);
    assert!(run.stderr.contains("is not a table name"), "{}", run.stderr);
    // A table may be partitioned by a column; file keys do not apply to it.
    std::fs::write(
        dir.path().join("parts.yaml"),
        "contract: t\ndataset: {table: sales.orders, partitioning: {key: dt}}\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["validate", "parts.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::write(dir.path().join("csv.yaml"), "contract: t\ndataset: {table: sales.orders, csv: {header: true}}\n")
        .unwrap();
    let run = tollgate_in(dir.path(), &["validate", "csv.yaml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`csv` does not apply to a catalog `table`"), "{}", run.stderr);
    assert!(run.stderr.contains("--> csv.yaml:2:37"), "{}", run.stderr);
}
