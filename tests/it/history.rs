//! The history store, one test body per property and two backends: a SQLite file and a real
//! PostgreSQL server (`TOLLGATE_TEST_POSTGRES`, a URL `.ci/run` sets after starting one on
//! 127.0.0.1; without it the PostgreSQL half says why it did not run).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use polars::prelude::*;

/// Every store to run a test against, each fresh: a SQLite file in `dir`, and a schema of its
/// own in the PostgreSQL database when there is one.
pub(crate) fn stores(dir: &Path, name: &str) -> Vec<String> {
    let mut out = vec![dir.join(format!("{name}.db")).to_string_lossy().into_owned()];
    match std::env::var("TOLLGATE_TEST_POSTGRES") {
        Ok(url) => {
            let unique = format!(
                "t_{name}_{}_{}",
                std::process::id(),
                dir.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .to_lowercase()
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "")
            );
            let sep = if url.contains('?') { '&' } else { '?' };
            out.push(format!("{url}{sep}schema={unique}"));
        }
        Err(_) => {
            println!("PostgreSQL half skipped: TOLLGATE_TEST_POSTGRES is not set (.ci/run starts a server and sets it)")
        }
    }
    out
}

/// `n` daily partitions of `rows` ids each under `dir/data`, and a contract `name` over them.
fn dataset(dir: &Path, name: &str, n: usize, rows: i64) -> PathBuf {
    let data = dir.join("data");
    if !data.exists() {
        for day in 0..n {
            let ids: Vec<i64> = (0..rows).map(|i| day as i64 * rows + i).collect();
            let mut df = df!("id" => ids).unwrap();
            let date = chrono_day(day);
            write_parquet(&data.join(format!("dt={date}/part-0.parquet")), &mut df);
        }
    }
    let contract = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &contract,
        format!("contract: {name}\ndataset:\n  path: data\n  partitioning: {{style: hive, key: dt}}\nschema:\n  columns:\n    - {{name: id, required: true, unique: true}}\nchecks:\n  - row_count: {{min: 1}}\n"),
    )
    .unwrap();
    contract
}

fn chrono_day(offset: usize) -> String {
    let base = 19_723; // 2024-01-01 in days since the epoch
    let days = base + offset as i64;
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// What `tollgate history -f json` lists: partition → metric → value.
fn recorded(contract: &Path, store: &str) -> BTreeMap<String, BTreeMap<String, f64>> {
    let r = tollgate(&["history", contract.to_str().unwrap(), "--history", store, "-f", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut out: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for m in r.json().as_array().unwrap() {
        out.entry(m["partition"].as_str().unwrap().into())
            .or_default()
            .insert(m["metric"].as_str().unwrap().into(), m["value"].as_f64().unwrap());
    }
    out
}

#[test]
fn exact_figures_and_idempotent_reruns() {
    let dir = tempfile::tempdir().unwrap();
    let contract = dataset(dir.path(), "exact", 3, 7);
    for store in stores(dir.path(), "exact") {
        for _ in 0..2 {
            let r = tollgate(&["check", contract.to_str().unwrap(), "--all-partitions", "--history", &store, "-q"]);
            assert_eq!(r.code, 0, "{store}: {}", r.stderr);
        }
        let figures = recorded(&contract, &store);
        assert_eq!(figures.keys().cloned().collect::<Vec<_>>(), ["2024-01-01", "2024-01-02", "2024-01-03"], "{store}");
        for (partition, metrics) in &figures {
            assert_eq!(metrics["rows"], 7.0, "{store} {partition}");
            assert_eq!(metrics["row_count.observed"], 7.0);
            assert_eq!(metrics["id.unique.failures"], 0.0);
            assert_eq!(metrics.len(), figures["2024-01-01"].len(), "the same metrics for every partition");
        }
    }
}

#[test]
fn concurrent_writers_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let contracts: Vec<PathBuf> = (0..8).map(|i| dataset(dir.path(), &format!("writer{i}"), 50, 3)).collect();
    for store in stores(dir.path(), "concurrent") {
        let children: Vec<_> = contracts
            .iter()
            .map(|c| {
                Command::new(env!("CARGO_BIN_EXE_tollgate"))
                    .args(["check", c.to_str().unwrap(), "--all-partitions", "--history", &store, "-q"])
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert_eq!(child.wait().unwrap().code(), Some(0), "{store}");
        }
        for c in &contracts {
            let figures = recorded(c, &store);
            assert_eq!(figures.len(), 50, "{store}: every result of {}", c.display());
            assert!(figures.values().all(|m| m["rows"] == 3.0));
        }
    }
}

/// A run that opens a store while another program holds its write lock, the file still in
/// SQLite's first journal mode, waits for it. Switching to WAL there is answered "busy" without
/// the busy handler (fixed after `concurrent_writers_lose_nothing` failed 1 run in 10).
#[test]
fn a_store_another_program_is_writing_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let contract = dataset(dir.path(), "waited", 2, 3);
    let store = dir.path().join("held.db");
    let holder = rusqlite::Connection::open(&store).unwrap();
    holder.execute_batch("CREATE TABLE other (x INTEGER); BEGIN IMMEDIATE; INSERT INTO other VALUES (1);").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["check", contract.to_str().unwrap(), "--all-partitions", "--history", store.to_str().unwrap(), "-q"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    holder.execute_batch("COMMIT").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let figures = recorded(&contract, store.to_str().unwrap());
    assert_eq!(figures.keys().cloned().collect::<Vec<_>>(), ["2024-01-01", "2024-01-02"]);
}

#[test]
fn a_killed_writer_leaves_whole_results_only() {
    let dir = tempfile::tempdir().unwrap();
    let contract = dataset(dir.path(), "killed", 40, 3);
    for store in stores(dir.path(), "killed") {
        // The figures one whole result holds.
        let reference = dir.path().join("reference.db");
        let r = tollgate(&[
            "check",
            contract.to_str().unwrap(),
            "--partition",
            "2024-01-01",
            "--history",
            reference.to_str().unwrap(),
            "-q",
        ]);
        assert_eq!(r.code, 0);
        let whole = recorded(&contract, reference.to_str().unwrap())["2024-01-01"].len();
        for delay in [150u64, 400, 900] {
            let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
                .args(["check", contract.to_str().unwrap(), "--all-partitions", "--history", &store, "-q"])
                .spawn()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(delay));
            let _ = child.kill();
            let _ = child.wait();
            for (partition, metrics) in recorded(&contract, &store) {
                assert_eq!(metrics.len(), whole, "{store}: {partition} is whole or absent");
            }
        }
    }
}

/// A throwaway PostgreSQL server of this test's own (root only: `initdb` runs as `postgres`).
struct Server {
    dir: tempfile::TempDir,
    port: u16,
}

impl Server {
    fn start() -> Option<Server> {
        let bin = Path::new("/usr/lib/postgresql/15/bin");
        let root =
            std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false);
        if !bin.join("initdb").exists() || !root {
            println!("skipped: needs root and PostgreSQL's server binaries in {}", bin.display());
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let sh = |script: String| {
            let ok = Command::new("sh").args(["-c", &script]).status().unwrap().success();
            assert!(ok, "{script}");
        };
        let d = dir.path().display();
        sh(format!("chown postgres:postgres {d} && chmod 700 {d}"));
        sh(format!(
            "runuser -u postgres -- {b}/initdb -D {d}/data -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null",
            b = bin.display()
        ));
        let server = Server { dir, port };
        server.ctl("start");
        Some(server)
    }

    fn ctl(&self, action: &str) {
        let d = self.dir.path().display();
        let extra = if action == "start" {
            format!("-l {d}/log -o '-p {} -c listen_addresses=127.0.0.1 -k {d} -c fsync=off'", self.port)
        } else {
            "-m immediate".into()
        };
        let ok = Command::new("sh")
            .args(["-c", &format!("runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D {d}/data -w -t 60 {extra} {action} >/dev/null")])
            .status()
            .unwrap()
            .success();
        assert!(ok, "pg_ctl {action}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let d = self.dir.path().display();
        let _ = Command::new("sh")
            .args(["-c", &format!("runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D {d}/data -m immediate stop >/dev/null 2>&1")])
            .status();
    }
}

#[test]
fn a_server_that_goes_away_is_a_clear_exit_3_without_the_password() {
    let Some(server) = Server::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let contract = dataset(dir.path(), "away", 300, 2);
    let url = format!("postgres://postgres:hunter2@127.0.0.1:{}/postgres", server.port);
    let child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["check", contract.to_str().unwrap(), "--all-partitions", "--history", &url, "-q"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Stop the server once the run has recorded something (it records one result at a time).
    for _ in 0..300 {
        let listed = tollgate(&["history", contract.to_str().unwrap(), "--history", &url, "-f", "json"]);
        if listed.code == 0 && listed.json().as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    server.ctl("stop");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(&format!("postgres://postgres@127.0.0.1:{}/postgres", server.port)), "{stderr}");
    assert!(!stderr.contains("hunter2") && !String::from_utf8_lossy(&out.stdout).contains("hunter2"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    // Back up: whatever was recorded is whole.
    server.ctl("start");
    let figures = recorded(&contract, &url);
    assert!(!figures.is_empty() && figures.len() < 300, "stopped mid-run: {} results", figures.len());
    let whole = figures.values().next().unwrap().len();
    assert!(figures.values().all(|m| m.len() == whole));
}
