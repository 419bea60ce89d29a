//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use polars::prelude::*;
use tollgate::contract::{parse_contract, Contract};
use tollgate::engine::{check_contract, Options};
use tollgate::report::{CheckReport, ResultReport};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr: {}", self.stdout, self.stderr))
    }
}

/// Runs the real binary from the repository root.
pub fn tollgate(args: &[&str]) -> Run {
    tollgate_in(&repo(), args)
}

pub fn tollgate_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate")).args(args).current_dir(dir).output().expect("run tollgate");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "tollgate panicked: {stderr}");
    Run { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into_owned(), stderr }
}

/// The check with `id` in the first result of a JSON report.
pub fn check<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["results"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

pub fn write_parquet(path: &Path, df: &mut DataFrame) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap()).finish(df).unwrap();
}

/// Parses `yaml` as if it were a contract file inside `dir`.
pub fn contract_in(dir: &Path, yaml: &str) -> Contract {
    parse_contract(yaml, &dir.join("contract.yaml")).unwrap_or_else(|e| panic!("invalid contract: {e}"))
}

pub fn evaluate(contract: &Contract) -> ResultReport {
    let options = Options { now: "2026-01-11T00:00:00Z".parse().unwrap(), ..Options::default() };
    check_contract(contract, &options).expect("data readable").remove(0)
}

pub fn by_id<'a>(result: &'a ResultReport, id: &str) -> &'a CheckReport {
    result
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}: {:#?}", result.checks.iter().map(|c| &c.id).collect::<Vec<_>>()))
}

/// Writes `df` to `dir/data.parquet` and evaluates `columns_yaml` (the `schema.columns` list) on it.
pub fn run_rules(df: &mut DataFrame, columns_yaml: &str) -> ResultReport {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(&dir.path().join("data.parquet"), df);
    let yaml = format!("contract: t\ndataset: {{path: data.parquet}}\nschema:\n  columns:\n{columns_yaml}");
    evaluate(&contract_in(dir.path(), &yaml))
}

/// Writes `text` as `dir/data.csv` and evaluates a contract whose body follows the dataset path.
pub fn run_csv(text: &str, csv_options: &str, columns_yaml: &str) -> ResultReport {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), text).unwrap();
    let yaml = format!("contract: t\ndataset: {{path: data.csv{csv_options}}}\nschema:\n  columns:\n{columns_yaml}");
    evaluate(&contract_in(dir.path(), &yaml))
}
