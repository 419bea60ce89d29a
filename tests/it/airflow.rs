//! The Airflow recipe (examples/airflow_dag.py) run in a real Apache Airflow 3.3.2 with
//! `airflow dags test`: good days promote, bad days fail without retry and leave staging for
//! rejected/, unreadable days retry then fail, re-runs leave production byte-identical.
//!
//! `.ci/run` installs Airflow into a virtualenv and sets `TOLLGATE_AIRFLOW` to its `airflow`
//! executable; without it the test says why it did not run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use polars::prelude::*;

struct Airflow {
    airflow: PathBuf,
    home: tempfile::TempDir,
    root: tempfile::TempDir,
}

struct DagRun {
    ok: bool,
    log: String,
}

impl DagRun {
    /// How many times the check task ran (retries included).
    fn check_attempts(&self) -> usize {
        self.log.matches("[DAG TEST] starting task_id=tollgate_check").count()
    }
}

impl Airflow {
    fn start() -> Option<Airflow> {
        let Some(airflow) = std::env::var_os("TOLLGATE_AIRFLOW").map(PathBuf::from) else {
            println!("skipped: TOLLGATE_AIRFLOW is not set (.ci/run installs Airflow 3.3.2 and sets it)");
            return None;
        };
        let af = Airflow { airflow, home: tempfile::tempdir().unwrap(), root: tempfile::tempdir().unwrap() };
        std::fs::create_dir_all(af.home.path().join("dags")).unwrap();
        std::fs::copy(repo().join("examples/airflow_dag.py"), af.home.path().join("dags/airflow_dag.py")).unwrap();
        let migrate = af.command().args(["db", "migrate"]).output().unwrap();
        assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
        Some(af)
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.airflow);
        c.env("AIRFLOW_HOME", self.home.path())
            .env("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
            .env("AIRFLOW__CORE__DAGS_FOLDER", self.home.path().join("dags"))
            .env("TOLLGATE_BIN", env!("CARGO_BIN_EXE_tollgate"))
            .env("TOLLGATE_ROOT", self.root.path())
            .env("TOLLGATE_RETRY_DELAY_SECONDS", "1")
            .current_dir(self.home.path());
        if let Some(store) = self.history() {
            c.env("TOLLGATE_HISTORY", store);
        }
        c
    }

    /// The shared PostgreSQL history store the recipe records into, when the test has a server.
    fn history(&self) -> Option<String> {
        let url = std::env::var("TOLLGATE_TEST_POSTGRES").ok()?;
        let sep = if url.contains('?') { '&' } else { '?' };
        Some(format!("{url}{sep}schema=airflow_{}", std::process::id()))
    }

    /// `airflow dags test orders_daily` for `day` (given in the run's conf).
    fn run(&self, day: &str) -> DagRun {
        let out = self
            .command()
            .args(["dags", "test", "orders_daily", "2030-01-01", "-c", &format!("{{\"date\": \"{day}\"}}")])
            .output()
            .unwrap();
        let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        DagRun { ok: out.status.success() && log.contains("state=success"), log }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    fn report(&self, day: &str) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.path(&format!("reports/orders-{day}.json"))).unwrap())
            .unwrap()
    }
}

/// One day of orders with ids `first..first + n`; `negative` amounts below zero.
fn write_day(folder: &Path, first: i64, n: i64, negative: i64) {
    let ids: Vec<i64> = (first..first + n).collect();
    let amounts: Vec<f64> = (0..n).map(|i| if i < negative { -1.0 } else { 10.0 + i as f64 }).collect();
    let mut df = df!("order_id" => ids, "amount" => amounts).unwrap();
    write_parquet(&folder.join("part-0.parquet"), &mut df);
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn check_of<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["results"][0]["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()
}

#[test]
fn the_recipe_gates_promotion_in_a_real_airflow() {
    let Some(af) = Airflow::start() else { return };
    let errors = af.command().args(["dags", "list-import-errors"]).output().unwrap();
    let listed = String::from_utf8_lossy(&errors.stdout);
    assert!(listed.contains("No data found"), "the DAG imports cleanly: {listed}");

    std::fs::create_dir_all(af.path("contracts")).unwrap();
    std::fs::write(
        af.path("contracts/orders.yaml"),
        "contract: orders\ndataset:\n  path: ../production\n  partitioning: {style: hive, key: dt}\nschema:\n  columns:\n    - {name: order_id, type: int64, required: true, unique: true}\n    - {name: amount, type: float64, range: {min: 0}}\nchecks:\n  - row_count: {min: 1}\n  - missing_partitions: {interval: 1d, lookback: 30}\n",
    )
    .unwrap();
    for (i, day) in ["2026-01-01", "2026-01-02", "2026-01-03"].iter().enumerate() {
        write_day(&af.path(&format!("production/dt={day}")), i as i64 * 10, 10, 0);
    }

    // A good day promotes: staging empties, production gains the partition.
    write_day(&af.path("staging/dt=2026-01-04"), 30, 10, 0);
    let staged = snapshot(&af.path("staging/dt=2026-01-04"));
    let run = af.run("2026-01-04");
    assert!(run.ok, "{}", run.log);
    assert!(!af.path("staging/dt=2026-01-04").exists());
    assert_eq!(snapshot(&af.path("production/dt=2026-01-04")), staged);
    assert_eq!(af.report("2026-01-04")["results"][0]["candidate"], af.path("staging/dt=2026-01-04").to_str().unwrap());

    // Re-running a promoted date (the load writes the same files again) changes nothing.
    let production = snapshot(&af.path("production"));
    write_day(&af.path("staging/dt=2026-01-04"), 30, 10, 0);
    let run = af.run("2026-01-04");
    assert!(run.ok, "{}", run.log);
    assert_eq!(snapshot(&af.path("production")), production, "byte-identical after a re-run");
    // ... and with nothing staged it is skipped, not failed.
    let run = af.run("2026-01-04");
    assert!(run.ok && run.log.contains("already in production"), "{}", run.log);

    // A bad day fails at once (no retry), moves to rejected/, and production is unchanged.
    write_day(&af.path("staging/dt=2026-01-05"), 40, 10, 3);
    let run = af.run("2026-01-05");
    assert!(!run.ok);
    assert_eq!(run.check_attempts(), 1, "exit 1 is not retried:\n{}", run.log);
    assert!(run.log.contains("broke its contract (tollgate exit 1)"));
    assert_eq!(snapshot(&af.path("production")), production);
    assert!(!af.path("staging/dt=2026-01-05").exists(), "a rejected candidate leaves staging");
    let rejected: Vec<String> = std::fs::read_dir(af.path("rejected"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("dt=2026-01-05."))
        .collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(check_of(&af.report("2026-01-05"), "amount.range")["failures"], 3);
    // The HTML page beside it, for the person on call: same verdict, the failing check first.
    let page = std::fs::read_to_string(af.path("reports/orders-2026-01-05.html")).unwrap();
    assert!(page.contains("data-exit-code=\"1\""));
    assert!(page.contains("<tr class=\"check s-fail\" data-status=\"fail\" data-id=\"amount.range\">"));

    // A key already in an earlier production day fails `unique` (scope dataset).
    write_day(&af.path("staging/dt=2026-01-05"), 5, 1, 0); // id 5 is production's 2026-01-01
    let run = af.run("2026-01-05");
    assert!(!run.ok);
    let report = af.report("2026-01-05");
    let unique = check_of(&report, "order_id.unique");
    assert_eq!((unique["status"].as_str(), unique["failures"].as_u64()), (Some("fail"), Some(1)), "{unique}");

    // A day after a gap fails `missing_partitions`.
    write_day(&af.path("staging/dt=2026-01-06"), 60, 10, 0);
    let run = af.run("2026-01-06");
    assert!(!run.ok);
    let report = af.report("2026-01-06");
    let missing = check_of(&report, "missing_partitions");
    assert_eq!(missing["details"]["missing"], serde_json::json!(["2026-01-05"]), "{missing}");

    // An unreadable (truncated) file is retried with backoff, then fails with exit 3.
    std::fs::create_dir_all(af.path("staging/dt=2026-01-05")).unwrap();
    std::fs::write(af.path("staging/dt=2026-01-05/part-0.parquet"), b"PAR1 half written").unwrap();
    let run = af.run("2026-01-05");
    assert!(!run.ok);
    assert_eq!(run.check_attempts(), 4, "retries=3:\n{}", run.log);
    assert!(run.log.contains("(exit 3); retrying"));
    assert_eq!(snapshot(&af.path("production")), production);

    // With the shared PostgreSQL store, every checked day was recorded there.
    match af.history() {
        Some(store) => {
            let listed = tollgate(&[
                "history",
                af.path("contracts/orders.yaml").to_str().unwrap(),
                "--history",
                &store,
                "-f",
                "json",
            ]);
            assert_eq!(listed.code, 0, "{}", listed.stderr);
            let rows: Vec<(String, f64)> = listed
                .json()
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["metric"] == "rows")
                .map(|m| (m["partition"].as_str().unwrap().to_string(), m["value"].as_f64().unwrap()))
                .collect();
            assert_eq!(
                rows,
                [("2026-01-04".to_string(), 10.0), ("2026-01-05".to_string(), 1.0), ("2026-01-06".to_string(), 10.0)]
            );
        }
        None => println!("history half skipped: TOLLGATE_TEST_POSTGRES is not set"),
    }
}
