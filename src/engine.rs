//! The engine: plans one lazy query holding every rule of a contract, runs it once, reads the
//! answers back, and fetches failing-value samples only for checks that did not hold.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;
use serde_json::Value;

use crate::checks::{self, CheckContext, Planning};
use crate::contract::diagnostic::{missing_column, nearest_name};
use crate::contract::{CheckKind, Contract, Format, RuleKind, Scope, Severity};
use crate::history::HistoryStore;
use crate::report::{CheckReport, ResultReport, Status};
use crate::rules::key_set::KeySet;
use crate::rules::{self, ColumnInput, Evidence, Facts, Measured, Pass, Planned};
use crate::source::{normalize, parquet_rows, DataError, Dataset, Partition};
use crate::types::{family, DeclaredType, DeclaredTypeExt, Family};

pub struct Options {
    /// `--candidate PATH`: these files are partition `partition` of the dataset for this run.
    pub candidate: Option<PathBuf>,
    /// Replaces `dataset.path` (relative to the working directory).
    pub data: Option<PathBuf>,
    pub partition: Option<String>,
    pub all_partitions: bool,
    pub now: chrono::DateTime<chrono::Utc>,
    pub sample: usize,
    pub quarantine: Option<PathBuf>,
    pub clean: Option<PathBuf>,
    /// Answer null counts, bounds and freshness from Parquet footer statistics where they decide.
    pub statistics: bool,
    /// Told what is being read, for a progress display.
    pub progress: Option<std::sync::Arc<dyn Fn(String) + Send + Sync>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            candidate: None,
            data: None,
            partition: None,
            all_partitions: false,
            now: chrono::Utc::now(),
            sample: 5,
            quarantine: None,
            clean: None,
            statistics: true,
            progress: None,
        }
    }
}

/// One check between planning and reporting.
struct Pending {
    id: String,
    kind: String,
    column: Option<String>,
    severity: Severity,
    threshold: Value,
    line: usize,
    state: State,
}

enum State {
    Planned { planned: Box<Planned>, first: usize },
    Error(String),
    Skipped(String),
    Done(Measured),
}

/// Checks a contract against its data: one result per checked partition.
pub fn check_contract(contract: &Contract, options: &Options) -> Result<Vec<ResultReport>, DataError> {
    check_with_history(contract, options, None)
}

/// The partition a run is recorded under: the partition value, else the UTC date of `--now`.
pub fn history_label(partition: Option<&Partition>, options: &Options) -> String {
    partition.map(|p| p.raw.clone()).unwrap_or_else(|| options.now.date_naive().to_string())
}

/// The columns of the data at `path` (its own format), for `compare` without `--columns`.
pub fn columns_of(path: &Path) -> Result<Vec<String>, DataError> {
    let display = normalize(path).to_string_lossy().into_owned();
    let dataset = Dataset::open(path, display, None, Default::default(), None)?;
    let schema = dataset
        .scan(&dataset.files, &[])?
        .collect_schema()
        .map_err(|e| DataError::new(&dataset.display, e.to_string()))?;
    Ok(schema.iter_names().map(|n| n.to_string()).collect())
}

/// Like [`check_contract`], reading anomaly history from and recording metrics to `store`.
pub fn check_with_history(
    contract: &Contract,
    options: &Options,
    store: Option<&dyn HistoryStore>,
) -> Result<Vec<ResultReport>, DataError> {
    let path = match &options.data {
        Some(p) => p.clone(),
        None if contract.dataset.path.is_empty() => {
            return Err(DataError::new(
                &contract.file,
                "the contract names no data (an ODCS contract needs a `servers` entry with a local `path`); pass --data PATH",
            ))
        }
        None => contract.resolve(&contract.dataset.path),
    };
    let display = normalize(&path).to_string_lossy().into_owned();
    // A contract's own path that leads nowhere: point at the line that wrote it, as a
    // contract error would, and show where it led.
    let is_glob = contract.dataset.path.contains(['*', '?', '[']);
    if crate::remote::is_url(&path) {
        crate::remote::set_options(&path, &contract.dataset.storage_options);
    } else if options.data.is_none() && !is_glob && !path.exists() {
        let pos = contract.dataset.pos;
        return Err(DataError::new(
            &display,
            format!(
                "no such file or folder\n  --> {}:{}:{}: `dataset.path: {}` resolves to {display}\n   = help: a \
                 contract's paths are relative to the contract's own folder; fix the path or pass --data PATH",
                contract.file.display(),
                pos.line,
                pos.column,
                contract.dataset.path,
            ),
        ));
    }
    // `--data` is that data in its own format (extension, else content), whatever the
    // contract's server says.
    let format = if options.data.is_some() { None } else { contract.dataset.format };
    let mut dataset =
        Dataset::open(&path, display, format, contract.dataset.csv.clone(), contract.dataset.partition_key.as_deref())?;
    if let (Some(candidate), Some(raw)) = (&options.candidate, &options.partition) {
        let value = dataset.partition_value_named(raw);
        dataset = dataset.with_candidate(&value, candidate)?;
    }
    dataset.retrying_full_inference(|dataset| check_dataset(contract, dataset, &path, options, store))
}

fn check_dataset(
    contract: &Contract,
    dataset: &Dataset,
    path: &Path,
    options: &Options,
    store: Option<&dyn HistoryStore>,
) -> Result<Vec<ResultReport>, DataError> {
    let tell = |what: String| {
        if let Some(progress) = &options.progress {
            progress(what);
        }
    };
    let record = |result: &ResultReport| -> Result<(), DataError> {
        let Some(store) = store else { return Ok(()) };
        let label = result.partition.clone().unwrap_or_else(|| history_label(None, options));
        store
            .record(&contract.name, &label, &metrics_of(result), &options.now.to_rfc3339())
            .map_err(|e| DataError::new(&e.store, e.message))
    };
    let run = |p: Option<&Partition>, shared: Option<&SharedKeys>| {
        let files = p.map(|p| p.files.len()).unwrap_or(dataset.files.len());
        let partition = p.map(|p| format!(" partition {}", p.raw)).unwrap_or_default();
        tell(format!("{}: reading {}{partition} ({files} files)", contract.name, dataset.display));
        let result = evaluate(contract, dataset, p, options, store, shared)?;
        record(&result)?;
        Ok(result)
    };
    if dataset.partition_key.is_none() {
        return Ok(vec![run(None, None)?]);
    }
    let chosen: Vec<&Partition> = if let Some(raw) = &options.partition {
        vec![dataset.partition(raw).ok_or_else(|| {
            let known: Vec<&str> = dataset.partitions.iter().map(|p| p.raw.as_str()).collect();
            DataError::new(path, format!("partition `{raw}` does not exist (found: {})", known.join(", ")))
        })?]
    } else if options.all_partitions {
        dataset.partitions.iter().collect()
    } else {
        dataset.partitions.last().into_iter().collect()
    };
    // Every partition is read once, one at a time (bounded memory), once the keys found in
    // several partitions are learnt in one pass over the key column. Keys a bitmap cannot hold
    // are found by a window in one grouped pass over all partitions instead, unless quarantine
    // (which writes per partition) or drifted schemas need the partitions apart.
    let every = options.all_partitions && options.partition.is_none();
    let shared = if every {
        tell(format!("{}: learning keys shared by partitions of {}", contract.name, dataset.display));
        shared_keys_of(contract, dataset, options)?
    } else {
        None
    };
    let splitting = options.quarantine.is_some() || options.clean.is_some();
    if every && shared.is_none() && !splitting {
        tell(format!(
            "{}: reading {} partitions of {} in one pass",
            contract.name,
            dataset.partitions.len(),
            dataset.display
        ));
        if let Some(results) = evaluate_all(contract, dataset, options, store)? {
            for r in &results {
                record(r)?;
            }
            return Ok(results);
        }
    }
    chosen.into_iter().map(|p| run(Some(p), shared.as_ref())).collect()
}

/// What a run leaves in the history store: rows, and each check's numeric failures and observation.
fn metrics_of(result: &ResultReport) -> Vec<(String, f64)> {
    let mut out = vec![("rows".to_string(), result.rows.unwrap_or(0) as f64)];
    for c in &result.checks {
        if let Some(f) = c.failures {
            out.push((format!("{}.failures", c.id), f as f64));
        }
        if let Some(o) = c.observed.as_f64() {
            out.push((format!("{}.observed", c.id), o));
        }
        // A measured metric (an anomaly's), recorded even when its check was skipped for lack
        // of history, so history builds up from the first run.
        if let Some(v) = c.details.as_ref().and_then(|d| d.get("value")).and_then(Value::as_f64) {
            out.push((format!("{}.value", c.id), v));
        }
    }
    out
}

/// Earlier values of every `anomaly` check's metric, by check id, oldest first. The earlier
/// partitions (at most the largest `window` of them) are measured in one grouped pass over the
/// columns the metrics name (row counts from footers); the history store fills the partition
/// values the folder lacks, and is the only source of another check's failures.
#[allow(clippy::too_many_arguments)]
fn anomaly_history(
    contract: &Contract,
    dataset: &Dataset,
    partition: Option<&Partition>,
    earlier_rows: &[(String, u64)],
    inputs: &HashMap<String, ColumnInput>,
    typed: &[(String, DeclaredType)],
    options: &Options,
    store: Option<&dyn HistoryStore>,
) -> Result<HashMap<String, Vec<(String, f64)>>, DataError> {
    use crate::contract::AnomalyMetric;
    let anomalies: Vec<(String, &Option<String>, &AnomalyMetric, usize)> = contract
        .checks
        .iter()
        .filter_map(|c| match &c.kind {
            CheckKind::Anomaly { column, metric, window, .. } => Some((c.id(), column, metric, *window)),
            _ => None,
        })
        .collect();
    let mut out: HashMap<String, Vec<(String, f64)>> = HashMap::new();
    if anomalies.is_empty() {
        return Ok(out);
    }
    if let Some(checked) = partition {
        let window = anomalies.iter().map(|a| a.3).max().unwrap_or(0);
        let earlier: Vec<&Partition> = dataset.partitions.iter().filter(|p| p.value < checked.value).collect();
        let earlier = &earlier[earlier.len().saturating_sub(window)..];
        // Column metrics of the earlier partitions, all checks in one grouped pass.
        let mut exprs = vec![len().cast(DataType::Int64).alias("__rows")];
        let mut slots: Vec<(String, &AnomalyMetric, usize)> = Vec::new();
        for (id, column, metric, _) in &anomalies {
            let Some(input) = column.as_ref().and_then(|c| inputs.get(c)) else { continue };
            let first = exprs.len();
            for (i, a) in crate::checks::anomaly::aggregates(metric, input.value.clone(), &input.dtype, Pass::Grouped)
                .into_iter()
                .enumerate()
            {
                exprs.push(a.alias(format!("__{id}_{i}")));
            }
            if exprs.len() > first {
                slots.push((id.clone(), metric, first));
            }
        }
        if !slots.is_empty() && !earlier.is_empty() {
            let mut scans = Vec::new();
            for (i, p) in earlier.iter().enumerate() {
                scans.push(dataset.scan(&p.files, typed)?.with_column(lit(i as u32).alias(PARTITION_TAG)));
            }
            let files: Vec<PathBuf> = earlier.iter().flat_map(|p| p.files.clone()).collect();
            // Diagonal: a partition written before a column existed has it as nulls.
            let union = concat(scans, UnionArgs { to_supertypes: true, diagonal: true, ..Default::default() })
                .map_err(|e| DataError::new(&dataset.display, e.to_string()))?;
            let df = collect(union.group_by([col(PARTITION_TAG)]).agg(exprs), dataset, &files)?;
            let tags = df.column(PARTITION_TAG).map_err(|e| DataError::new(&dataset.display, e.to_string()))?.clone();
            for row in 0..df.height() {
                let Some(tag) = tags.get(row).ok().and_then(|v| v.extract::<u32>()) else { continue };
                let pass = PassValues::of_row(&df, row, 1);
                let rows = pass.ints.first().copied().flatten().unwrap_or(0).max(0) as u64;
                let none = HashMap::new();
                for (id, metric, first) in &slots {
                    let facts = Facts { rows, floats: &pass.floats[*first..], failures: &none };
                    if let Some(v) = crate::checks::anomaly::value(metric, &pass.ints[*first..], &facts) {
                        out.entry(id.clone()).or_default().push((earlier[tag as usize].raw.clone(), v));
                    }
                }
            }
        }
        // Row counts from footers (or a count of CSV rows), read by the caller.
        for (id, _, metric, window) in &anomalies {
            if matches!(metric, AnomalyMetric::RowCount) {
                let start = earlier_rows.len().saturating_sub(*window);
                out.insert(id.clone(), earlier_rows[start..].iter().map(|(p, r)| (p.clone(), *r as f64)).collect());
            }
        }
    }
    if let Some(store) = store {
        let label = history_label(partition, options);
        for (id, ..) in &anomalies {
            let recorded = store
                .series(&contract.name, &format!("{id}.value"), &label)
                .map_err(|e| DataError::new(&e.store, e.message))?;
            fill_from_store(out.entry(id.clone()).or_default(), recorded, dataset);
        }
    }
    Ok(out)
}

/// Adds the history store's values for the partitions `series` lacks (the folder's own
/// partitions win) and puts the series in partition order: a table overwritten daily has no
/// earlier partitions, a staging folder only some.
fn fill_from_store<T>(
    series: &mut Vec<(String, T)>,
    recorded: impl IntoIterator<Item = (String, T)>,
    dataset: &Dataset,
) {
    for (partition, value) in recorded {
        if !series.iter().any(|(p, _)| *p == partition) {
            series.push((partition, value));
        }
    }
    series.sort_by(|(a, _), (b, _)| dataset.value_of(a).cmp(&dataset.value_of(b)));
}

/// Rows of each partition before `checked`, oldest first: Parquet from footers, CSV by counting.
fn earlier_rows(dataset: &Dataset, checked: &Partition) -> Result<Vec<(String, u64)>, DataError> {
    let mut out = Vec::new();
    for p in dataset.partitions.iter().take_while(|p| p.value < checked.value) {
        out.push((p.raw.clone(), count_rows(dataset, &p.files)?));
    }
    Ok(out)
}

fn count_rows(dataset: &Dataset, files: &[PathBuf]) -> Result<u64, DataError> {
    match dataset.format {
        Format::Parquet => dataset.parquet_rows(files),
        Format::Csv => {
            let df = collect(dataset.scan(files, &[])?.select([len().cast(DataType::Int64)]), dataset, files)?;
            Ok(first_i64(&df, 0).unwrap_or(0).max(0) as u64)
        }
    }
}

/// Up to this many rows a query that needs a hash set may run in memory, at a peak of roughly
/// 120 bytes per row for a 10-column contract.
const IN_MEMORY_ROWS: u64 = 12_000_000;
/// The same bound for CSV, by file size.
const IN_MEMORY_CSV_BYTES: u64 = 1 << 30;

/// Polars' streaming engine bounds memory and, on the benchmark, is faster than the in-memory one
/// (0.8 s against 1.0 s at 10M rows), except where a hash set is built — `n_unique`, `unique`,
/// windows — which streams 5x slower. Such queries run in memory while the data is small.
/// `TOLLGATE_ENGINE=streaming|in-memory` overrides the choice.
fn engine_for(dataset: &Dataset, files: &[PathBuf], builds_hash_set: bool) -> Engine {
    match std::env::var("TOLLGATE_ENGINE").as_deref() {
        Ok("in-memory") => return Engine::InMemory,
        Ok("streaming") => return Engine::Streaming,
        _ => {}
    }
    let small = match dataset.format {
        Format::Parquet => dataset.parquet_rows(files).is_ok_and(|rows| rows <= IN_MEMORY_ROWS),
        Format::Csv => files.iter().map(|f| file_size(f).unwrap_or(u64::MAX)).sum::<u64>() <= IN_MEMORY_CSV_BYTES,
    };
    if small && builds_hash_set {
        Engine::InMemory
    } else {
        Engine::Streaming
    }
}

/// A data file's size: the file's, or the object's (from its listing).
fn file_size(file: &Path) -> Option<u64> {
    if crate::remote::is_url(file) {
        crate::remote::size(file).ok()
    } else {
        std::fs::metadata(file).map(|m| m.len()).ok()
    }
}

/// An aggregate counts distinct values in a hash set.
fn counts_distinct(aggregates: &[Expr]) -> bool {
    aggregates.iter().any(|a| a.into_iter().any(|e| matches!(e, Expr::Agg(AggExpr::NUnique(_)))))
}

/// Runs a query that may build hash sets (keys, samples, groups).
fn collect(lf: LazyFrame, dataset: &Dataset, files: &[PathBuf]) -> Result<DataFrame, DataError> {
    collect_on(lf, engine_for(dataset, files, true), dataset, files)
}

/// Runs a query; a failure is pinned on the first file that cannot be read on its own.
fn collect_on(lf: LazyFrame, engine: Engine, dataset: &Dataset, files: &[PathBuf]) -> Result<DataFrame, DataError> {
    lf.collect_with_engine(engine).map(|r| r.unwrap_single()).map_err(|e| {
        let culprit = files
            .iter()
            .find(|f| {
                let single = [f.to_path_buf()];
                match dataset.format {
                    Format::Parquet => parquet_rows(&single).is_err(),
                    Format::Csv => dataset
                        .scan(&single, &[])
                        .and_then(|lf| {
                            lf.select([len()]).collect().map_err(|e| DataError::new(f.as_path(), e.to_string()))
                        })
                        .is_err(),
                }
            })
            .or(files.first())
            .cloned()
            .unwrap_or_default();
        DataError::new(culprit, e.to_string())
    })
}

fn first_i64(df: &DataFrame, index: usize) -> Option<i64> {
    let column = df.columns().get(index)?;
    column.get(0).ok()?.extract::<i64>()
}

/// The column as the rules see it: typed CSV text parsed, categoricals as text; decimals stay exact.
fn column_input(name: &str, stored: &DataType, declared: Option<DeclaredType>, format: Format) -> ColumnInput {
    let raw = col(name);
    if format == Format::Csv {
        if let Some(t) = declared {
            return ColumnInput {
                name: name.to_string(),
                value: crate::values::parse_text(raw.clone(), t),
                is_null: raw.clone().is_null(),
                dtype: t.csv_target(),
                stored: stored.clone(),
                raw: Some(raw),
                elsewhere: None,
                stats: None,
            };
        }
    }
    let (value, dtype) = match family(stored) {
        Family::String if !matches!(stored, DataType::String) => (raw.clone().cast(DataType::String), DataType::String),
        _ => (raw.clone(), stored.clone()),
    };
    ColumnInput {
        name: name.to_string(),
        value,
        is_null: raw.is_null(),
        dtype,
        stored: stored.clone(),
        raw: None,
        elsewhere: None,
        stats: None,
    }
}

/// The key of every row of `partitions` that have all its columns: column `key`, cast to
/// `key_type`, and `partition`, the partition's number in the dataset from 1. One scan per
/// partition, unioned, so a partition with a drifted type is cast instead of breaking the scan.
fn keys_of(
    dataset: &Dataset,
    partitions: &[&Partition],
    columns: &[String],
    key: &Expr,
    key_type: &DataType,
    typed: &[(String, DeclaredType)],
) -> Result<Option<(LazyFrame, Vec<PathBuf>)>, DataError> {
    let mut scans = Vec::new();
    let mut files = Vec::new();
    for p in partitions {
        let lf = dataset.scan(&p.files, typed)?;
        let schema = lf.clone().collect_schema().map_err(|e| DataError::new(&p.files[0], e.to_string()))?;
        if columns.iter().all(|c| schema.get(c.as_str()).is_some()) {
            let number = dataset.partitions.iter().position(|q| q.raw == p.raw).unwrap_or(0) as u32 + 1;
            scans.push(lf.select([key.clone().cast(key_type.clone()).alias("key"), lit(number).alias("partition")]));
            files.extend(p.files.iter().cloned());
        }
    }
    if scans.is_empty() {
        return Ok(None);
    }
    let all = concat(scans, UnionArgs::default()).map_err(|e| DataError::new(&files[0], e.to_string()))?;
    Ok(Some((all, files)))
}

/// Per row of the checked partition: its full key occurs in another partition. A single integer
/// key in a dense footer range is looked up in a bitmap the other partitions' keys fill in one
/// streaming pass (see `KeySet`); other keys in the distinct keys of the other partitions (single
/// keys stay typed, compound keys are joined into one text), matched with `is_in`. Every key
/// column must be in `inputs`.
fn in_other_partitions(
    dataset: &Dataset,
    checked: &Partition,
    columns: &[String],
    inputs: &HashMap<String, ColumnInput>,
    typed: &[(String, DeclaredType)],
) -> Result<Option<Expr>, DataError> {
    let key = compound_key(columns, inputs);
    let key_type = if columns.len() == 1 { inputs[&columns[0]].dtype.clone() } else { DataType::String };
    let others: Vec<&Partition> = dataset.partitions.iter().filter(|p| p.raw != checked.raw).collect();
    let Some((all, files)) = keys_of(dataset, &others, columns, &key, &key_type, typed)? else {
        return Ok(None);
    };
    // Footer statistics are in use when the checked partition's key has them.
    let single = match columns {
        [name] => inputs.get(name).filter(|input| input.stats.is_some()),
        _ => None,
    };
    let bitmap = single.and_then(|input| {
        let stats = crate::statistics::column_stats(dataset, &files, &input.name, &input.stored)?;
        KeySet::over(&input.name, &input.value, &stats)
    });
    if let Some(set) = bitmap {
        collect_on(all.select([rules::count_where(set.insert(col("key")))]), Engine::Streaming, dataset, &files)?;
        return Ok(Some(set.contains(key)));
    }
    let distinct = all.select([col("key")]).drop_nulls(None).unique(None, UniqueKeepStrategy::Any);
    let series = collect(distinct, dataset, &files)?.columns()[0].as_materialized_series().clone();
    Ok(Some(key.is_in(lit(polars::prelude::Scalar::new_list(series)), false)))
}

/// Columns of the checked partition whose type drifted (Parquet footers). A column with a
/// declared type drifted when the checked partition breaks the declaration while other
/// partitions keep it (they are named); a partition that matches the contract has no drift,
/// whatever the others hold. A column without a declared type is compared with the previous
/// partition.
fn schema_drift(
    contract: &Contract,
    dataset: &Dataset,
    checked: &Partition,
    schema: &Schema,
) -> Result<Vec<String>, DataError> {
    let key = dataset.partition_key.as_deref().unwrap_or("partition");
    if dataset.format != Format::Parquet {
        return Ok(Vec::new());
    }
    let position = dataset.partitions.iter().position(|p| p.raw == checked.raw).unwrap_or(0);
    let others: Vec<(&Partition, Vec<(String, DataType)>)> = dataset
        .partitions
        .iter()
        .filter(|p| p.raw != checked.raw)
        .filter_map(|p| p.files.first().map(|f| dataset.parquet_schema(f).map(|s| (p, s))))
        .collect::<Result<_, _>>()?;
    let type_in = |p: &Partition, name: &str| -> Option<DataType> {
        others.iter().find(|(o, _)| o.raw == p.raw)?.1.iter().find(|(n, _)| n == name).map(|(_, d)| d.clone())
    };
    let mut drift = Vec::new();
    for (name, ours) in schema.iter() {
        let declared = contract.columns().iter().find(|c| c.name == name.as_str()).and_then(|c| c.declared_type);
        match declared {
            Some(declared) => {
                if declared.accepts(ours) {
                    continue;
                }
                let keeping: Vec<String> = others
                    .iter()
                    .filter(|(p, _)| type_in(p, name).is_some_and(|d| declared.accepts(&d)))
                    .map(|(p, _)| format!("{key}={}", p.raw))
                    .collect();
                if !keeping.is_empty() {
                    drift.push(format!(
                        "`{name}` is {} in {key}={} but {} (as declared) in {}",
                        crate::types::type_name(ours),
                        checked.raw,
                        declared.name(),
                        keeping.join(", ")
                    ));
                }
            }
            None => {
                let Some(previous) = position.checked_sub(1).map(|i| &dataset.partitions[i]) else { continue };
                match type_in(previous, name) {
                    Some(theirs) if &theirs != ours => drift.push(format!(
                        "`{name}` is {} in {key}={} but {} in {key}={} (the previous partition)",
                        crate::types::type_name(ours),
                        checked.raw,
                        crate::types::type_name(&theirs),
                        previous.raw
                    )),
                    _ => {}
                }
            }
        }
    }
    Ok(drift)
}

/// One expression per key: the typed value for a single column, else the parts joined as text
/// (null when any part is null, so only full keys take part).
pub fn compound_key(columns: &[String], inputs: &HashMap<String, ColumnInput>) -> Expr {
    let part = |c: &String| inputs[c].value.clone();
    if columns.len() == 1 {
        return part(&columns[0]);
    }
    let parts: Vec<Expr> = columns.iter().map(|c| part(c).cast(DataType::String)).collect();
    concat_str(parts, "\u{1f}", false)
}

/// The literal column that names each row's partition in an all-partitions scan.
const PARTITION_TAG: &str = "__tollgate_partition";

/// How rows of other partitions are seen when judging `unique` with scope dataset.
enum Elsewhere<'a> {
    /// One partition is scanned; the other partitions' keys are read first.
    KeysOf(&'a Partition),
    /// All partitions are in the scan, tagged by `PARTITION_TAG`; the flag of each key (by its
    /// columns) was computed by a window before grouping, into the named column.
    Flags(HashMap<Vec<String>, String>),
    /// Partitions are checked one at a time; the keys (by their columns) found in several
    /// partitions were learnt for all of them at once (see `shared_keys_of`).
    Shared(&'a SharedKeys),
    /// Not partitioned.
    None,
}

/// Keys (each by its columns) found in more than one partition.
type SharedKeys = HashMap<Vec<String>, Arc<KeySet>>;

/// The keys (each by its columns) that `unique` with scope dataset judges across partitions.
fn keys_across_partitions(contract: &Contract) -> Vec<Vec<String>> {
    let across_scope = |scope: &Option<Scope>| matches!(scope, None | Some(Scope::Dataset));
    let mut keys: Vec<Vec<String>> = contract
        .columns()
        .iter()
        .filter(|c| c.rules.iter().any(|r| matches!(&r.kind, RuleKind::Unique { scope } if across_scope(scope))))
        .map(|c| vec![c.name.clone()])
        .collect();
    for check in &contract.checks {
        if let CheckKind::Unique { columns, scope } = &check.kind {
            if across_scope(scope) {
                keys.push(columns.clone());
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// For `--all-partitions` one partition at a time: the keys found in more than one partition,
/// learnt in ONE streaming pass over the key column of every partition (see
/// `KeySet::mark_shared`). `None` unless every such key is a single integer column whose footer
/// range is dense enough for a bitmap; then the partitions are judged together in one grouped
/// pass instead.
fn shared_keys_of(contract: &Contract, dataset: &Dataset, options: &Options) -> Result<Option<SharedKeys>, DataError> {
    let mut shared = HashMap::new();
    for columns in keys_across_partitions(contract) {
        let ([name], true, Format::Parquet) = (columns.as_slice(), options.statistics, dataset.format) else {
            return Ok(None);
        };
        let Some(first) = dataset.files.first() else { return Ok(None) };
        let Some((_, dtype)) = dataset.parquet_schema(first)?.into_iter().find(|(n, _)| n == name) else {
            return Ok(None);
        };
        let stats = crate::statistics::column_stats(dataset, &dataset.files, name, &dtype);
        let Some(set) = stats.and_then(|stats| KeySet::over(name, &col(name.as_str()), &stats)) else {
            return Ok(None);
        };
        let partitions: Vec<&Partition> = dataset.partitions.iter().collect();
        if let Some((all, files)) = keys_of(dataset, &partitions, &columns, &col(name.as_str()), &dtype, &[])? {
            let pass = all.select([rules::count_where(set.mark_shared(col("partition"), col("key")))]);
            collect_on(pass, Engine::Streaming, dataset, &files)?;
        }
        shared.insert(columns, set);
    }
    Ok(Some(shared))
}

/// Types of the CSV columns the contract declares (read as text, then parsed).
fn typed_columns(contract: &Contract, dataset: &Dataset) -> Vec<(String, DeclaredType)> {
    if dataset.format != Format::Csv {
        return Vec::new();
    }
    contract.columns().iter().filter_map(|c| Some((c.name.clone(), c.declared_type?))).collect()
}

fn inputs_for(contract: &Contract, dataset: &Dataset, schema: &Schema) -> HashMap<String, ColumnInput> {
    let declared: HashMap<&str, DeclaredType> =
        contract.columns().iter().filter_map(|c| Some((c.name.as_str(), c.declared_type?))).collect();
    schema
        .iter()
        .map(|(name, dtype)| {
            (name.to_string(), column_input(name, dtype, declared.get(name.as_str()).copied(), dataset.format))
        })
        .collect()
}

/// Per-row "this key also occurs in another partition", for the key made of `columns`.
fn elsewhere_predicate(
    elsewhere: &Elsewhere,
    dataset: &Dataset,
    columns: &[String],
    inputs: &HashMap<String, ColumnInput>,
    typed: &[(String, DeclaredType)],
) -> Result<Option<Expr>, DataError> {
    if columns.iter().any(|c| !inputs.contains_key(c)) {
        return Ok(None);
    }
    Ok(match elsewhere {
        Elsewhere::None => None,
        Elsewhere::KeysOf(checked) => in_other_partitions(dataset, checked, columns, inputs, typed)?,
        Elsewhere::Flags(flags) => flags.get(columns).map(|name| col(name.as_str())),
        Elsewhere::Shared(sets) => sets.get(columns).map(|set| set.contains(compound_key(columns, inputs))),
    })
}

/// Every check of the contract for one partition (or the whole dataset), planned but not run;
/// `single_pass_over` names the files of a single pass, `None` plans for the grouped pass.
#[allow(clippy::too_many_arguments)]
fn plan_checks(
    contract: &Contract,
    dataset: &Dataset,
    partition: Option<&Partition>,
    options: &Options,
    store: Option<&dyn HistoryStore>,
    schema: &Schema,
    elsewhere: &Elsewhere,
    typed: &[(String, DeclaredType)],
    single_pass_over: Option<&[PathBuf]>,
) -> Result<Vec<Pending>, DataError> {
    let mut inputs = inputs_for(contract, dataset, schema);
    if let (Some(files), true, Format::Parquet) = (single_pass_over, options.statistics, dataset.format) {
        let checked = contract.checks.iter().filter_map(|c| match &c.kind {
            CheckKind::Freshness { column, .. } | CheckKind::Metric { column: Some(column), .. } => Some(column),
            _ => None,
        });
        for name in contract.columns().iter().map(|c| &c.name).chain(checked) {
            if let Some(input) = inputs.get_mut(name) {
                input.stats = crate::statistics::column_stats(dataset, files, name, &input.stored).map(Arc::new);
            }
        }
    }
    let across_scope = |scope: &Option<Scope>| matches!(scope, None | Some(Scope::Dataset));
    for column in contract.columns() {
        if column.rules.iter().any(|r| matches!(&r.kind, RuleKind::Unique { scope } if across_scope(scope))) {
            let predicate =
                elsewhere_predicate(elsewhere, dataset, std::slice::from_ref(&column.name), &inputs, typed)?;
            if let Some(input) = inputs.get_mut(&column.name) {
                input.elsewhere = predicate;
            }
        }
    }

    let wants_history = contract.checks.iter().any(|c| matches!(c.kind, CheckKind::RowCountAnomaly { .. }));
    let wants_rows = wants_history
        || contract
            .checks
            .iter()
            .any(|c| matches!(c.kind, CheckKind::Anomaly { metric: crate::contract::AnomalyMetric::RowCount, .. }));
    // Earlier partitions' row counts, read once for every check that wants them.
    let earlier = match partition {
        Some(p) if wants_rows => earlier_rows(dataset, p)?,
        _ => Vec::new(),
    };
    let mut history = if wants_history { earlier.clone() } else { Vec::new() };
    if let (true, Some(store)) = (wants_history, store) {
        let label = history_label(partition, options);
        let recorded = store.series(&contract.name, "rows", &label).map_err(|e| DataError::new(&e.store, e.message))?;
        fill_from_store(&mut history, recorded.into_iter().map(|(p, rows)| (p, rows.max(0.0) as u64)), dataset);
    }
    let metric_history = anomaly_history(contract, dataset, partition, &earlier, &inputs, typed, options, store)?;
    let mut referenced_keys = HashMap::new();
    let mut unique_elsewhere: HashMap<String, Option<Expr>> = HashMap::new();
    for check in &contract.checks {
        match &check.kind {
            CheckKind::References { dataset: other, key, format, csv, .. } => {
                referenced_keys.insert(check.id(), load_keys(contract, other, key, *format, csv.clone())?);
            }
            CheckKind::Unique { columns, scope } if across_scope(scope) => {
                unique_elsewhere.insert(check.id(), elsewhere_predicate(elsewhere, dataset, columns, &inputs, typed)?);
            }
            _ => {}
        }
    }

    let data_columns: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
    let checked_files = single_pass_over.or(partition.map(|p| p.files.as_slice())).unwrap_or(&dataset.files);
    let mut pending = Vec::new();
    if let Some(schema_spec) = &contract.schema {
        let drift = match partition {
            Some(p) => schema_drift(contract, dataset, p, schema)?,
            None => Vec::new(),
        };
        let key = dataset.partition_key.as_deref();
        let absent = dataset.columns_absent_from(checked_files)?;
        pending.push(schema_check(contract, schema, key, &drift, &absent, schema_spec.pos.line));
    }
    // `reconcile`: the other side is read and matched here, once per group, before planning.
    let here_files = partition.map(|p| p.files.as_slice()).unwrap_or(&dataset.files);
    let reconciled = checks::reconcile_all(contract, dataset, here_files, partition, options.sample)?;
    let sql_results = checks::run_sql_checks(contract, dataset, here_files, partition, &inputs, typed)?;
    let unreadable = match checked_files.first() {
        Some(first) => dataset.unreadable_columns(first)?,
        None => Vec::new(),
    };
    for column in contract.columns() {
        let cannot_read = unreadable.iter().find(|(name, _)| *name == column.name).map(|(_, why)| why);
        for rule in &column.rules {
            let state = match (cannot_read, inputs.get(&column.name)) {
                (Some(why), _) => State::Error(why.clone()),
                (None, None) => State::Error(missing_column(&column.name, &data_columns)),
                (None, Some(input)) => match rules::plan(rule, input) {
                    Ok(planned) => State::Planned { planned: Box::new(planned), first: 0 },
                    Err(reason) => State::Error(reason),
                },
            };
            pending.push(Pending {
                id: format!("{}.{}", column.name, rule.kind.name()),
                kind: rule.kind.name().to_string(),
                column: Some(column.name.clone()),
                severity: rule.severity,
                threshold: rules::threshold(rule),
                line: rule.pos.line,
                state,
            });
        }
    }
    let ctx = CheckContext {
        pass: if single_pass_over.is_some() { Pass::Single } else { Pass::Grouped },
        columns: &inputs,
        now_micros: options.now.timestamp_micros(),
        dataset,
        partition,
        history: &history,
        referenced_keys: &referenced_keys,
        unique_elsewhere: &unique_elsewhere,
        data_columns: &data_columns,
        metric_history: &metric_history,
        reconciled: &reconciled,
        sql_results: &sql_results,
    };
    for check in &contract.checks {
        let state = match checks::plan(check, &ctx) {
            Planning::Plan(planned) => State::Planned { planned: Box::new(planned), first: 0 },
            Planning::Error(reason) => State::Error(reason),
            Planning::Skipped(reason) => State::Skipped(reason),
        };
        pending.push(Pending {
            id: check.id(),
            kind: check.kind.name().to_string(),
            column: checks::column_of(check),
            severity: check.severity,
            threshold: checks::threshold(check),
            line: check.pos.line,
            state,
        });
    }
    Ok(pending)
}

/// Numbers the aggregates of all checks for the single pass; each check remembers where its start.
fn lay_out(pending: &mut [Pending]) -> Vec<Expr> {
    let mut aggregates: Vec<Expr> = Vec::new();
    for p in pending {
        if let State::Planned { planned, first } = &mut p.state {
            *first = aggregates.len();
            for a in &planned.aggregates {
                aggregates.push(a.clone().alias(format!("__{}", aggregates.len())));
            }
        }
    }
    aggregates
}

/// What one pass computed for one result, aggregate by aggregate: as integers (counts) and as
/// floats (means, sums).
#[derive(Default)]
struct PassValues {
    ints: Vec<Option<i64>>,
    floats: Vec<Option<f64>>,
}

impl PassValues {
    /// Row `row` of `df`, from column `skip` on (a grouped pass has its group key first).
    fn of_row(df: &DataFrame, row: usize, skip: usize) -> PassValues {
        let cell = |i: usize| df.columns().get(i).and_then(|c| c.get(row).ok());
        let columns = skip..df.width();
        PassValues {
            ints: columns.clone().map(|i| cell(i).and_then(|v| v.extract::<i64>())).collect(),
            floats: columns.map(|i| cell(i).and_then(|v| v.extract::<f64>())).collect(),
        }
    }
}

/// Judges every check from the pass's values; fetches samples only for checks that did not hold.
fn conclude(
    pending: Vec<Pending>,
    pass: &PassValues,
    rows: u64,
    options: &Options,
    sample: impl FnOnce(&[&Evidence]) -> Result<Vec<Vec<SampleRow>>, DataError>,
    locator: &Locator,
) -> Result<Vec<CheckReport>, DataError> {
    // First every check is judged; then the samples of all that failed are gathered together
    // (one extra pass for most kinds, see `samples_of`); then the reports are made, in order.
    struct Judged {
        pending: Pending,
        measured: Measured,
        status: Status,
        evidence: Option<Evidence>,
    }
    let mut judged: Vec<Result<Judged, CheckReport>> = Vec::new();
    let mut failures: HashMap<String, Option<u64>> = HashMap::new();
    for mut p in pending {
        let state = std::mem::replace(&mut p.state, State::Skipped(String::new()));
        let (measured, evidence) = match state {
            State::Planned { planned, first } => {
                let end = (first + planned.aggregates.len()).min(pass.ints.len());
                let slot = first.min(end)..end;
                let facts = Facts { rows, floats: &pass.floats[slot.clone()], failures: &failures };
                ((planned.finish)(&pass.ints[slot], &facts), planned.evidence)
            }
            State::Done(m) => (m, None),
            State::Error(reason) => {
                let (id, kind, column, threshold) = (p.id, p.kind, p.column, p.threshold);
                judged.push(Err(empty_report(id, kind, column, p.severity, threshold, p.line, Status::Error, reason)));
                continue;
            }
            State::Skipped(reason) => {
                let (id, kind, column, threshold) = (p.id, p.kind, p.column, p.threshold);
                judged.push(Err(empty_report(
                    id,
                    kind,
                    column,
                    p.severity,
                    threshold,
                    p.line,
                    Status::Skipped,
                    reason,
                )));
                continue;
            }
        };
        let status = match (&measured.skipped, measured.passed, p.severity) {
            (Some(_), _, _) => Status::Skipped,
            (None, true, _) => Status::Pass,
            (None, false, Severity::Warn) => Status::Warn,
            (None, false, Severity::Error) => Status::Fail,
        };
        failures.insert(p.id.clone(), measured.failures);
        judged.push(Ok(Judged { pending: p, measured, status, evidence }));
    }
    // Which checks get samples gathered from the data (a check's own samples need no pass).
    let wanted: Vec<usize> = judged
        .iter()
        .enumerate()
        .filter_map(|(i, j)| {
            let j = j.as_ref().ok()?;
            let failing = matches!(j.status, Status::Warn | Status::Fail) && j.measured.failures.unwrap_or(0) > 0;
            match &j.evidence {
                Some(Evidence::Where { .. } | Evidence::Duplicates { .. }) if failing && options.sample > 0 => Some(i),
                Some(Evidence::Where { .. } | Evidence::Duplicates { .. } | Evidence::Known(_)) | None => None,
            }
        })
        .collect();
    let evidences: Vec<&Evidence> =
        wanted.iter().filter_map(|i| judged[*i].as_ref().ok().and_then(|j| j.evidence.as_ref())).collect();
    let mut gathered: HashMap<usize, Vec<SampleRow>> =
        if evidences.is_empty() { HashMap::new() } else { wanted.iter().copied().zip(sample(&evidences)?).collect() };

    let mut reports = Vec::new();
    for (i, j) in judged.into_iter().enumerate() {
        let Judged { pending: p, measured, status, evidence } = match j {
            Ok(j) => j,
            Err(report) => {
                reports.push(report);
                continue;
            }
        };
        let rows = match (&evidence, status) {
            (Some(Evidence::Known(known)), Status::Warn | Status::Fail) => known
                .iter()
                .take(options.sample)
                .map(|(value, count)| SampleRow { value: value.clone(), count: *count, first_row: None })
                .collect(),
            _ => gathered.remove(&i).unwrap_or_default(),
        };
        let mut samples = Vec::new();
        for r in &rows {
            let mut detail = serde_json::json!({"value": r.value, "count": r.count});
            if let (Some(first), Value::Object(map)) = (r.first_row, &mut detail) {
                if let Value::Object(location) = locator.locate(first)? {
                    map.extend(location);
                }
            }
            samples.push(detail);
        }
        let sample = rows.into_iter().map(|r| r.value).collect();
        // A skipped check reports no figures (SPEC §3); what it measured stays in `details`.
        let (failures_out, observed_out, message) = match &measured.skipped {
            Some(reason) => (None, Value::Null, reason.clone()),
            None => (measured.failures, measured.observed, measured.message),
        };
        reports.push(CheckReport {
            id: p.id,
            kind: p.kind,
            column: p.column,
            severity: p.severity.name().to_string(),
            status,
            failures: failures_out,
            observed: observed_out,
            threshold: p.threshold,
            sample,
            samples,
            message,
            details: measured.details,
            line: p.line,
        });
    }
    Ok(reports)
}

fn result_report(
    contract: &Contract,
    dataset: &Dataset,
    partition: Option<&Partition>,
    rows: u64,
    duration_ms: u64,
    checks: Vec<CheckReport>,
) -> ResultReport {
    ResultReport {
        contract: contract.name.clone(),
        contract_version: contract.version.clone(),
        contract_path: contract.file.to_string_lossy().into_owned(),
        dataset: dataset.display.clone(),
        partition: partition.map(|p| p.raw.clone()),
        candidate: dataset
            .candidate
            .as_ref()
            .filter(|(value, _)| partition.is_some_and(|p| &p.raw == value))
            .map(|(_, path)| path.to_string_lossy().into_owned()),
        rows: Some(rows),
        status: Status::worst(checks.iter().map(|c| c.status)),
        duration_ms,
        checks,
        outputs: None,
        error: None,
    }
}

fn schema_of(lf: &LazyFrame, files: &[PathBuf]) -> Result<Schema, DataError> {
    lf.clone()
        .collect_schema()
        .map(|s| s.as_ref().clone())
        .map_err(|e| DataError::new(files.first().cloned().unwrap_or_default(), e.to_string()))
}

/// CSV columns typed from the first rows only are read in the pass even when no rule could use
/// them, so a later value of another type fails the pass (and it is retried with full inference)
/// instead of silently changing what the rules mean.
fn parse_guards(contract: &Contract, dataset: &Dataset, schema: &Schema, first: usize) -> Vec<Expr> {
    if dataset.format != Format::Csv || dataset.infer_rows.is_none() {
        return Vec::new();
    }
    let mut named: Vec<&str> =
        contract.columns().iter().filter(|c| c.declared_type.is_none()).map(|c| c.name.as_str()).collect();
    for check in &contract.checks {
        match &check.kind {
            CheckKind::Unique { columns, .. } => named.extend(columns.iter().map(String::as_str)),
            CheckKind::Freshness { column, .. } | CheckKind::References { column, .. } => named.push(column),
            CheckKind::Metric { column: Some(column), .. } => named.push(column),
            _ => {}
        }
    }
    let declared = |n: &str| contract.columns().iter().any(|c| c.name == n && c.declared_type.is_some());
    named.retain(|n| schema.get(n).is_some() && !declared(n));
    named.sort_unstable();
    named.dedup();
    named.iter().enumerate().map(|(i, n)| col(*n).null_count().alias(format!("__{}", first + i))).collect()
}

/// One partition (or the whole unpartitioned dataset) in one pass.
fn evaluate(
    contract: &Contract,
    dataset: &Dataset,
    partition: Option<&Partition>,
    options: &Options,
    store: Option<&dyn HistoryStore>,
    shared: Option<&SharedKeys>,
) -> Result<ResultReport, DataError> {
    let started = Instant::now();
    let files: Vec<PathBuf> = partition.map(|p| p.files.clone()).unwrap_or_else(|| dataset.files.clone());
    let typed = typed_columns(contract, dataset);
    let mut lf = dataset.scan(&files, &typed)?;
    if let Some(p) = partition {
        lf = lf.with_column(dataset.partition_literal(p));
    }
    // Row counts, anomalies and partition gaps come from footers and folder names: a contract of
    // only those never asks Polars for the schema, let alone the data.
    let metadata_only = contract.schema.is_none()
        && contract.checks.iter().all(|c| {
            matches!(
                c.kind,
                CheckKind::RowCount { .. } | CheckKind::RowCountAnomaly { .. } | CheckKind::MissingPartitions { .. }
            )
        });
    let schema =
        if metadata_only && dataset.format == Format::Parquet { Schema::default() } else { schema_of(&lf, &files)? };
    let elsewhere = match (partition, shared) {
        (Some(_), Some(shared)) => Elsewhere::Shared(shared),
        (Some(p), None) => Elsewhere::KeysOf(p),
        (None, _) => Elsewhere::None,
    };
    let mut pending =
        plan_checks(contract, dataset, partition, options, store, &schema, &elsewhere, &typed, Some(&files))?;

    // The single pass: every aggregate of every check in one select.
    let mut aggregates = lay_out(&mut pending);
    aggregates.extend(parse_guards(contract, dataset, &schema, aggregates.len()));
    let rows_from_pass = dataset.format == Format::Csv;
    if rows_from_pass {
        aggregates.push(len().cast(DataType::Int64).alias(format!("__{}", aggregates.len())));
    }
    let pass = if aggregates.is_empty() {
        PassValues::default()
    } else {
        let engine = engine_for(dataset, &files, counts_distinct(&aggregates));
        let df = collect_on(lf.clone().select(aggregates), engine, dataset, &files)?;
        PassValues::of_row(&df, 0, 0)
    };
    let rows = if rows_from_pass {
        pass.ints.last().copied().flatten().unwrap_or(0).max(0) as u64
    } else {
        dataset.parquet_rows(&files)?
    };
    let row_rules = row_rules(&pending);
    let locator = Locator::new(dataset, &files);
    let indexed = lf.clone().with_row_index(ROW_INDEX, None);
    let reports = conclude(
        pending,
        &pass,
        rows,
        options,
        |evidences| samples_of(&indexed, evidences, lit(true), options.sample, dataset, &files),
        &locator,
    )?;
    let mut result = result_report(contract, dataset, partition, rows, started.elapsed().as_millis() as u64, reports);
    if options.quarantine.is_some() || options.clean.is_some() {
        let targets =
            crate::quarantine::Targets { quarantine: options.quarantine.as_deref(), clean: options.clean.as_deref() };
        let stem = match partition {
            Some(p) => {
                format!("{}-{}={}", contract.name, dataset.partition_key.as_deref().unwrap_or("partition"), p.raw)
            }
            None => contract.name.clone(),
        };
        result.outputs = Some(crate::quarantine::split(&lf, &row_rules, &stem, &targets)?);
    }
    Ok(result)
}

/// Every partition in ONE pass: the partitions' scans are unioned, tagged with their partition,
/// and every aggregate is computed per tag. `None` when the partitions' schemas differ (drift):
/// then each partition must be judged against its own types, one scan each.
fn evaluate_all(
    contract: &Contract,
    dataset: &Dataset,
    options: &Options,
    store: Option<&dyn HistoryStore>,
) -> Result<Option<Vec<ResultReport>>, DataError> {
    let started = Instant::now();
    if dataset.format == Format::Parquet {
        let mut first_schema = None;
        for p in &dataset.partitions {
            for f in &p.files {
                let s = dataset.parquet_schema(f)?;
                match &first_schema {
                    None => first_schema = Some(s),
                    Some(first) if first != &s => return Ok(None),
                    _ => {}
                }
            }
        }
    }
    let typed = typed_columns(contract, dataset);
    let mut scans = Vec::new();
    for p in &dataset.partitions {
        let tag = lit(p.raw.clone()).alias(PARTITION_TAG);
        scans.push(dataset.scan(&p.files, &typed)?.with_columns([dataset.partition_literal(p), tag]));
    }
    let all_files = dataset.files.clone();
    let lf = concat(scans, UnionArgs::default()).map_err(|e| DataError::new(&all_files[0], e.to_string()))?;
    let mut schema = schema_of(&lf, &all_files)?;
    schema.shift_remove(PARTITION_TAG);

    // Keys that must be unique across partitions: a window over the whole scan flags rows whose
    // key occurs in more than one partition. It runs before grouping, which would confine it.
    let inputs = inputs_for(contract, dataset, &schema);
    let mut flags = HashMap::new();
    let mut flag_columns = Vec::new();
    for columns in keys_across_partitions(contract) {
        if flags.contains_key(&columns) || columns.iter().any(|c| !inputs.contains_key(c)) {
            continue;
        }
        let key = compound_key(&columns, &inputs);
        let partitions_with_key = col(PARTITION_TAG)
            .n_unique()
            .over([key.clone()])
            .map_err(|e| DataError::new(&dataset.display, e.to_string()))?;
        let name = format!("__elsewhere_{}", flags.len());
        flag_columns.push(key.is_not_null().and(partitions_with_key.gt(lit(1))).alias(name.as_str()));
        flags.insert(columns, name);
    }
    let lf = if flag_columns.is_empty() { lf } else { lf.with_columns(flag_columns) };
    let indexed = lf.clone().with_row_index(ROW_INDEX, None);
    // Row numbers run through the union in partition order.
    let ordered_files: Vec<PathBuf> = dataset.partitions.iter().flat_map(|p| p.files.clone()).collect();
    let elsewhere = Elsewhere::Flags(flags);

    let mut plans = Vec::new();
    for p in &dataset.partitions {
        plans.push(plan_checks(contract, dataset, Some(p), options, store, &schema, &elsewhere, &typed, None)?);
    }
    let mut layouts: Vec<Vec<Expr>> = plans.iter_mut().map(|pending| lay_out(pending)).collect();
    if layouts.iter().any(|l| l.len() != layouts[0].len()) {
        return Ok(None);
    }
    let mut aggregates = layouts.swap_remove(0);
    aggregates.extend(parse_guards(contract, dataset, &schema, aggregates.len()));
    let count_column = aggregates.len();
    aggregates.push(len().cast(DataType::Int64).alias(format!("__{count_column}")));
    let df = collect(lf.clone().group_by([col(PARTITION_TAG)]).agg(aggregates), dataset, &all_files)?;
    let tags = df.column(PARTITION_TAG).map_err(|e| DataError::new(&all_files[0], e.to_string()))?.clone();
    let per_check = df.width() - 1;
    let elapsed = started.elapsed().as_millis() as u64;

    // One locator for all partitions: the union's row numbers run through every file.
    let locator = Locator::new(dataset, &ordered_files);
    let mut results = Vec::new();
    for (p, pending) in dataset.partitions.iter().zip(plans) {
        let row = (0..df.height())
            .find(|i| tags.get(*i).ok().and_then(|v| v.get_str().map(str::to_string)) == Some(p.raw.clone()));
        let pass = match row {
            Some(r) => PassValues::of_row(&df, r, 1),
            None => PassValues { ints: vec![None; per_check], floats: vec![None; per_check] },
        };
        let rows = match dataset.format {
            Format::Parquet => dataset.parquet_rows(&p.files)?,
            Format::Csv => pass.ints[count_column].unwrap_or(0).max(0) as u64,
        };
        let within = col(PARTITION_TAG).eq(lit(p.raw.clone()));
        let reports = conclude(
            pending,
            &pass,
            rows,
            options,
            |evidences| samples_of(&indexed, evidences, within.clone(), options.sample, dataset, &p.files),
            &locator,
        )?;
        results.push(result_report(contract, dataset, Some(p), rows, elapsed, reports));
    }
    Ok(Some(results))
}

#[allow(clippy::too_many_arguments)]
fn empty_report(
    id: String,
    kind: String,
    column: Option<String>,
    severity: Severity,
    threshold: Value,
    line: usize,
    status: Status,
    message: String,
) -> CheckReport {
    CheckReport {
        id,
        kind,
        column,
        severity: severity.name().into(),
        status,
        failures: None,
        observed: Value::Null,
        threshold,
        sample: Vec::new(),
        samples: Vec::new(),
        message,
        details: None,
        line,
    }
}

/// `schema`: every declared column exists; with `strict`, no undeclared column exists either.
fn schema_check(
    contract: &Contract,
    schema: &Schema,
    partition_key: Option<&str>,
    drift: &[String],
    absent: &[(String, Vec<PathBuf>)],
    line: usize,
) -> Pending {
    let strict = contract.schema.as_ref().is_some_and(|s| s.strict);
    // A declared column some files lack (added later): null there. It fails only when the
    // column is `required`; otherwise the message notes it.
    let mut lacking_required = Vec::new();
    let mut notes = Vec::new();
    for column in contract.columns() {
        let Some((_, files)) = absent.iter().find(|(name, _)| *name == column.name) else { continue };
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let text = format!("`{}` is absent from {} (read as null there)", column.name, names.join(", "));
        if column.rules.iter().any(|r| r.kind == RuleKind::Required) {
            lacking_required.push(text);
        } else {
            notes.push(text);
        }
    }
    let missing: Vec<&str> =
        contract.columns().iter().map(|c| c.name.as_str()).filter(|n| schema.get(n).is_none()).collect();
    let extra: Vec<&str> = if strict {
        schema
            .iter_names()
            .map(|n| n.as_str())
            .filter(|n| Some(*n) != partition_key && !contract.columns().iter().any(|c| c.name == *n))
            .collect()
    } else {
        Vec::new()
    };
    let failures = (missing.len() + extra.len() + drift.len() + lacking_required.len()) as u64;
    let mut parts = Vec::new();
    if !lacking_required.is_empty() {
        parts.push(format!("required column {}", lacking_required.join("; ")));
    }
    if !drift.is_empty() {
        parts.push(format!("schema drift: {}", drift.join("; ")));
    }
    if !missing.is_empty() {
        let data_columns: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
        let named: Vec<String> = missing
            .iter()
            .map(|m| match nearest_name(m, &data_columns) {
                Some(best) => format!("{m} (did you mean `{best}`?)"),
                None => m.to_string(),
            })
            .collect();
        parts.push(format!("missing columns: {}", named.join(", ")));
    }
    if !extra.is_empty() {
        parts.push(format!("undeclared columns (strict): {}", extra.join(", ")));
    }
    let mut message = if parts.is_empty() {
        format!("all {} declared columns present", contract.columns().len())
    } else {
        parts.join("; ")
    };
    if !notes.is_empty() {
        message.push_str(&format!("; note: optional column {}", notes.join("; ")));
    }
    Pending {
        id: "schema".into(),
        kind: "schema".into(),
        column: None,
        severity: Severity::Error,
        threshold: serde_json::json!({"strict": strict}),
        line,
        state: State::Done(Measured {
            skipped: None,
            failures: Some(failures),
            observed: serde_json::json!(failures),
            passed: failures == 0,
            message,
            details: None,
        }),
    }
}

/// Distinct values of `key` in a referenced dataset, read with its own format.
fn load_keys(
    contract: &Contract,
    other: &str,
    key: &str,
    format: Option<Format>,
    csv: Option<crate::contract::CsvOptions>,
) -> Result<Result<Series, String>, DataError> {
    let path = contract.resolve(other);
    let display = normalize(&path).to_string_lossy().into_owned();
    let dataset = Dataset::open(&path, display, format, csv.unwrap_or_default(), None)?;
    let lf = dataset.scan(&dataset.files, &[])?;
    let schema = lf.clone().collect_schema().map_err(|e| DataError::new(&path, e.to_string()))?;
    if schema.get(key).is_none() {
        return Ok(Err(format!("key column `{key}` is not in {}", dataset.display)));
    }
    let df = collect(
        lf.select([col(key)]).drop_nulls(None).unique(None, UniqueKeepStrategy::Any),
        &dataset,
        &dataset.files,
    )?;
    Ok(Ok(df.columns()[0].as_materialized_series().clone()))
}

/// The row-number column of sample queries, to locate a value's first occurrence.
const ROW_INDEX: &str = "__tollgate_row";

/// A sampled failing value.
pub struct SampleRow {
    pub value: Value,
    pub count: u64,
    /// Index of its first occurrence among all rows of the scan.
    pub first_row: Option<u64>,
}

/// Turns a row index of the scan into the file and row (Parquet) or line (CSV) it came from.
pub struct Locator<'a> {
    dataset: &'a Dataset,
    /// The scanned files, in scan order.
    files: &'a [PathBuf],
    /// Rows of each file, counted on first use (footers for Parquet).
    counts: std::cell::OnceCell<Vec<u64>>,
}

impl<'a> Locator<'a> {
    fn new(dataset: &'a Dataset, files: &'a [PathBuf]) -> Locator<'a> {
        Locator { dataset, files, counts: std::cell::OnceCell::new() }
    }

    fn locate(&self, row: u64) -> Result<Value, DataError> {
        if self.counts.get().is_none() {
            let counts = if self.files.len() == 1 {
                vec![u64::MAX]
            } else {
                self.files
                    .iter()
                    .map(|f| count_rows(self.dataset, std::slice::from_ref(f)))
                    .collect::<Result<_, _>>()?
            };
            let _ = self.counts.set(counts);
        }
        let counts = self.counts.get().map(Vec::as_slice).unwrap_or_default();
        let mut start = 0u64;
        for (file, n) in self.files.iter().zip(counts) {
            if row < start.saturating_add(*n) {
                let local = row - start;
                return Ok(match self.dataset.format {
                    Format::Parquet => serde_json::json!({"file": normalize(file).to_string_lossy(), "row": local}),
                    // 1-based, after the header; assumes one record per line.
                    Format::Csv => {
                        serde_json::json!({"file": normalize(file).to_string_lossy(), "line": local + 1 + u64::from(self.dataset.csv.header)})
                    }
                });
            }
            start = start.saturating_add(*n);
        }
        Ok(Value::Null)
    }
}

/// Each planned check's per-row failure, by check id, for `--quarantine`.
fn row_rules(pending: &[Pending]) -> Vec<(String, Expr)> {
    pending
        .iter()
        .filter_map(|p| match &p.state {
            State::Planned { planned, .. } => planned.row_failure.clone().map(|f| (p.id.clone(), f)),
            _ => None,
        })
        .collect()
}

/// The samples of several failing checks. The `Where` kinds share one extra pass: their flags
/// and values are computed together, only rows failing one of them are kept (their value and
/// row number), and each check's most frequent values are then counted from those rows in
/// memory. A `Duplicates` sample groups its own keys (a key that repeats is not known per row).
fn samples_of(
    lf: &LazyFrame,
    evidences: &[&Evidence],
    within: Expr,
    limit: usize,
    dataset: &Dataset,
    files: &[PathBuf],
) -> Result<Vec<Vec<SampleRow>>, DataError> {
    let mut out: Vec<Option<Vec<SampleRow>>> = evidences.iter().map(|_| None).collect();
    let mut columns = Vec::new();
    let mut shared = Vec::new();
    for (i, evidence) in evidences.iter().enumerate() {
        match evidence {
            Evidence::Where { failing, value } => {
                columns.push(failing.clone().alias(format!("__flag{i}")));
                columns.push(value.clone().alias(format!("__value{i}")));
                shared.push(i);
            }
            Evidence::Duplicates { keys, present } => {
                out[i] = Some(duplicate_samples(lf, keys, present, within.clone(), limit, dataset, files)?)
            }
            // Gathered by the check itself; `conclude` never asks for these.
            Evidence::Known(_) => out[i] = Some(Vec::new()),
        }
    }
    if !shared.is_empty() {
        let any = shared.iter().map(|i| col(format!("__flag{i}"))).reduce(|a, b| a.or(b)).unwrap_or(lit(false));
        let mut keep: Vec<Expr> = vec![col(ROW_INDEX)];
        keep.extend(shared.iter().flat_map(|i| [col(format!("__flag{i}")), col(format!("__value{i}"))]));
        // `when` rather than `and`, so the optimizer cannot push `within` below the flags.
        let failing_rows =
            lf.clone().with_columns(columns).filter(when(any).then(within).otherwise(lit(false))).select(keep);
        // A filter and a projection, no hash set: streamed, so memory holds the failing rows only.
        let failing_rows = collect_on(failing_rows, Engine::Streaming, dataset, files)?;
        for i in shared {
            let grouped = failing_rows
                .clone()
                .lazy()
                .filter(col(format!("__flag{i}")))
                .group_by([col(format!("__value{i}")).alias("k0")])
                .agg([len().alias("n"), col(ROW_INDEX).min().alias("first")]);
            out[i] = Some(top_samples(grouped, 1, limit, dataset, files)?);
        }
    }
    Ok(out.into_iter().map(Option::unwrap_or_default).collect())
}

/// The `limit` most frequent of `grouped` (columns `n`, `first`, `k0…`), ties by value.
fn top_samples(
    grouped: LazyFrame,
    keys: usize,
    limit: usize,
    dataset: &Dataset,
    files: &[PathBuf],
) -> Result<Vec<SampleRow>, DataError> {
    let mut by: Vec<PlSmallStr> = vec!["n".into()];
    by.extend((0..keys).map(|i| PlSmallStr::from(format!("k{i}"))));
    let descending: Vec<bool> = std::iter::once(true).chain((0..keys).map(|_| false)).collect();
    let sorted = grouped
        .sort(by, SortMultipleOptions::default().with_order_descending_multi(descending).with_nulls_last(true))
        .limit(limit as IdxSize);
    let df = collect(sorted, dataset, files)?;
    let cell =
        |name: &str, row: usize| df.column(name).ok().and_then(|c| c.get(row).ok()).and_then(|v| v.extract::<u64>());
    let mut out = Vec::new();
    for row in 0..df.height() {
        let parts: Vec<Value> = (0..keys)
            .map(|i| {
                df.column(&format!("k{i}"))
                    .ok()
                    .and_then(|c| c.get(row).ok())
                    .map(|v| crate::values::json_value(&v))
                    .unwrap_or(Value::Null)
            })
            .collect();
        let value =
            if parts.len() == 1 { parts.into_iter().next().unwrap_or(Value::Null) } else { Value::Array(parts) };
        out.push(SampleRow { value, count: cell("n", row).unwrap_or(0), first_row: cell("first", row) });
    }
    Ok(out)
}

/// The most repeated keys among the rows where `within` and `present` hold, most repeated first
/// (ties by key). The flags are computed over all of `lf` first, so a predicate that looks across
/// partitions (a window) still sees every partition.
fn duplicate_samples(
    lf: &LazyFrame,
    keys: &[Expr],
    present: &Expr,
    within: Expr,
    limit: usize,
    dataset: &Dataset,
    files: &[PathBuf],
) -> Result<Vec<SampleRow>, DataError> {
    let mut columns = vec![present.clone().alias("__flag")];
    columns.extend(keys.iter().enumerate().map(|(i, k)| k.clone().alias(format!("k{i}"))));
    // `when` rather than `and`, so the optimizer cannot split `within` off and push it below the flags.
    let keep = when(col("__flag")).then(within).otherwise(lit(false));
    let key_columns: Vec<Expr> = (0..keys.len()).map(|i| col(format!("k{i}"))).collect();
    let grouped = lf
        .clone()
        .with_columns(columns)
        .filter(keep)
        .group_by(key_columns)
        .agg([len().alias("n"), col(ROW_INDEX).min().alias("first")])
        .filter(col("n").gt(lit(1)));
    top_samples(grouped, keys.len(), limit, dataset, files)
}
