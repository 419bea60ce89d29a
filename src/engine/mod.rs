//! The engine: plans one lazy query holding every rule of a contract, runs it once, reads the
//! answers back, and fetches failing-value samples only for checks that did not hold.

mod exec;
mod explain;
mod inputs;
mod judge;
#[cfg(feature = "spark")]
mod on_spark;
mod plan;
mod prefetch;
mod samples;
#[cfg(feature = "spark")]
mod spark_reconcile;
#[cfg(feature = "spark")]
mod spark_sql_checks;

use crate::contract::{CheckKind, Contract, Format, Severity};
use crate::history::HistoryStore;
use crate::report::{CheckReport, ResultReport, Status};
use crate::rules::Pass;
use crate::source::{normalize, DataError, Dataset, Partition};
use polars::prelude::*;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use exec::{collect, collect_on, counts_distinct, engine_for, PassRow, ROWS_COLUMN};
pub use explain::{explain, CheckPlan, Explained, PassSlot, CONSTRUCTS};
pub use inputs::compound_key;
use inputs::{inputs_for, parse_guards, schema_of, typed_columns, PARTITION_TAG};
use judge::conclude;
use plan::{gather_samples_in_pass, lay_out, plan_checks, set_filling_columns, slot_columns, Pending};
pub use prefetch::ENGINE_KEY_SET;
use prefetch::{gather, keys_across_partitions, shared_keys_of, Depth, Elsewhere, Gathered, SharedKeys};
use samples::{row_rules, samples_of, ROW_INDEX};
pub use samples::{Locator, SampleRow};

/// Who runs a plan: Polars in this process, or Spark through Spark Connect (`--engine`).
#[derive(Clone, Default)]
pub enum Executor {
    #[default]
    Local,
    #[cfg(feature = "spark")]
    Spark(std::sync::Arc<crate::spark::Session>),
}

impl Executor {
    /// Whether the executor reads `references` datasets itself (else the client sends the keys).
    fn reads_referenced_datasets(&self) -> bool {
        match self {
            Executor::Local => false,
            #[cfg(feature = "spark")]
            Executor::Spark(_) => true,
        }
    }
}

#[derive(Clone)]
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
    pub executor: Executor,
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
            executor: Executor::Local,
        }
    }
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
    if let (Some(table), None) = (&contract.dataset.table, &options.data) {
        return match &options.executor {
            Executor::Local => Err(DataError::new(
                table,
                "a catalog table is read by the Spark engine: run with --engine spark (or name files with --data)",
            )),
            #[cfg(feature = "spark")]
            Executor::Spark(session) => {
                let name: Vec<String> = table.split('.').map(crate::spark::sql::ident).collect();
                let relation = name.join(".");
                check_relation(session, contract, table, relation, options, store)
            }
        };
    }
    // A path of a scheme this process does not read (`hdfs://…`): Spark lists and reads it.
    #[cfg(feature = "spark")]
    if let Executor::Spark(session) = &options.executor {
        let path = options.data.clone().unwrap_or_else(|| contract.resolve(&contract.dataset.path));
        if crate::remote::unsupported_scheme(&path).is_some() {
            let text = path.to_string_lossy().into_owned();
            let csv = contract.dataset.format == Some(Format::Csv) && options.data.is_none()
                || text.to_ascii_lowercase().ends_with(".csv");
            if csv {
                return Err(DataError::new(&text, on_spark::NO_CSV));
            }
            let relation = format!("parquet.{}", crate::spark::sql::ident(&text));
            return check_relation(session, contract, &text, relation, options, store);
        }
    }
    let (dataset, path) = open_dataset(contract, options)?;
    dataset.retrying_full_inference(|dataset| check_dataset(contract, dataset, &path, options, store))
}

/// A dataset only Spark reads (`relation`, in its SQL), partition by partition as files are.
#[cfg(feature = "spark")]
fn check_relation(
    session: &crate::spark::Session,
    contract: &Contract,
    display: &str,
    relation: String,
    options: &Options,
    store: Option<&dyn HistoryStore>,
) -> Result<Vec<ResultReport>, DataError> {
    if options.candidate.is_some() {
        return Err(DataError::new(
            display,
            "--candidate stands files in for a partition, but Spark lists this dataset itself; check the candidate \
             with --data",
        ));
    }
    let dataset = on_spark::open_relation(session, display, relation, contract.dataset.partition_key.as_deref())?;
    check_dataset(contract, &dataset, Path::new(display), options, store)
}

/// The contract's data (or `--data`), with `--candidate` in place of its partition.
fn open_dataset(contract: &Contract, options: &Options) -> Result<(Dataset, PathBuf), DataError> {
    let path = match &options.data {
        Some(p) => p.clone(),
        None if contract.dataset.table.is_some() => {
            return Err(DataError::new(
                &contract.file,
                "the contract names a catalog table, which only the Spark engine reads; pass --data PATH",
            ))
        }
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
    Ok((dataset, path))
}

/// The partitions a run checks: `--partition`, every one, or the latest.
fn chosen_partitions<'d>(
    dataset: &'d Dataset,
    path: &Path,
    options: &Options,
) -> Result<Vec<&'d Partition>, DataError> {
    Ok(if let Some(raw) = &options.partition {
        vec![dataset.partition(raw).ok_or_else(|| {
            let known: Vec<&str> = dataset.partitions.iter().map(|p| p.raw.as_str()).collect();
            DataError::new(path, format!("partition `{raw}` does not exist (found: {})", known.join(", ")))
        })?]
    } else if options.all_partitions {
        dataset.partitions.iter().collect()
    } else {
        dataset.partitions.last().into_iter().collect()
    })
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
    let record = |result: &ResultReport| record(contract, result, options, store);
    let run = |p: Option<&Partition>, shared: Option<&SharedKeys>| {
        let files = p.map(|p| p.files.len()).unwrap_or(dataset.files.len());
        let partition = p.map(|p| format!(" partition {}", p.raw)).unwrap_or_default();
        tell(format!("{}: reading {}{partition} ({files} files)", contract.name, dataset.display));
        let result = match &options.executor {
            Executor::Local => evaluate(contract, dataset, p, options, store, shared)?,
            #[cfg(feature = "spark")]
            Executor::Spark(session) => {
                let checked: Vec<&Partition> = p.into_iter().collect();
                let mut results = on_spark::evaluate(session, contract, dataset, &checked, options, store)?;
                results.pop().ok_or_else(|| DataError::new(&dataset.display, "Spark gave no result"))?
            }
        };
        record(&result)?;
        Ok(result)
    };
    if dataset.partition_key.is_none() {
        return Ok(vec![run(None, None)?]);
    }
    let chosen = chosen_partitions(dataset, path, options)?;
    // Every partition is read once, one at a time (bounded memory), once the keys found in
    // several partitions are learnt in one pass over the key columns (a bitmap, else a hash set).
    // Keys no set holds (nested, or missing from the data) are found by a window in one grouped
    // pass over all partitions instead, unless quarantine (which writes per partition) or
    // drifted schemas need the partitions apart.
    let every = options.all_partitions && options.partition.is_none() && matches!(options.executor, Executor::Local);
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
    // Spark: every chosen partition in one query, grouped by partition.
    #[cfg(feature = "spark")]
    if let (Executor::Spark(session), true) = (&options.executor, chosen.len() > 1) {
        tell(format!(
            "{}: reading {} partitions of {} in one Spark query",
            contract.name,
            chosen.len(),
            dataset.display
        ));
        let results = on_spark::evaluate(session, contract, dataset, &chosen, options, store)?;
        for r in &results {
            record(r)?;
        }
        return Ok(results);
    }
    if matches!(options.executor, Executor::Local) && dataset.format == Format::Csv && chosen.len() > 1 {
        tell(format!("{}: inferring the types of {} partitions of {}", contract.name, chosen.len(), dataset.display));
        let file_lists: Vec<&[PathBuf]> = chosen.iter().map(|p| p.files.as_slice()).collect();
        dataset.prepare_scans(&file_lists, &typed_columns(contract, dataset));
    }
    chosen.into_iter().map(|p| run(Some(p), shared.as_ref())).collect()
}

/// Records `result`'s metrics in the history store, if there is one, under its partition (else
/// the date of `--now`).
fn record(
    contract: &Contract,
    result: &ResultReport,
    options: &Options,
    store: Option<&dyn HistoryStore>,
) -> Result<(), DataError> {
    let Some(store) = store else { return Ok(()) };
    let label = result.partition.clone().unwrap_or_else(|| history_label(None, options));
    store.record(&contract.name, &label, &metrics_of(result), &options.now.to_rfc3339()).map_err(DataError::from)
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

/// One partition's (or the whole dataset's) single pass, planned: `evaluate` runs it, `explain`
/// shows it, so what is shown is what runs.
struct SinglePass {
    /// The files the pass reads, and their scan (the partition key added as a column).
    files: Vec<PathBuf>,
    lf: LazyFrame,
    schema: Schema,
    gathered: Gathered,
    pending: Vec<Pending>,
    /// Every aggregate of the pass: the checks' slots, CSV parse guards, and for CSV the rows.
    aggregates: Vec<Expr>,
}

fn plan_single_pass(
    contract: &Contract,
    dataset: &Dataset,
    partition: Option<&Partition>,
    options: &Options,
    store: Option<&dyn HistoryStore>,
    elsewhere: &Elsewhere,
    depth: Depth,
) -> Result<SinglePass, DataError> {
    let files: Vec<PathBuf> = partition.map(|p| p.files.clone()).unwrap_or_else(|| dataset.files.clone());
    let typed = typed_columns(contract, dataset);
    let mut lf = dataset.scan(&files, &typed)?;
    if let Some(p) = partition {
        lf = lf.with_column(dataset.partition_literal(p));
    }
    // Row counts, anomalies and partition gaps come from footers and folder names: a run of a
    // contract of only those never asks Polars for the schema, let alone the data.
    let metadata_only = contract.schema.is_none()
        && contract.checks.iter().all(|c| {
            matches!(
                c.kind,
                CheckKind::RowCount { .. } | CheckKind::RowCountAnomaly { .. } | CheckKind::MissingPartitions { .. }
            )
        });
    let schema = if metadata_only && dataset.format == Format::Parquet && depth == Depth::Run {
        Schema::default()
    } else {
        schema_of(&lf, &files)?
    };
    let gathered =
        gather(contract, dataset, partition, options, store, schema.clone(), elsewhere, &typed, Some(&files), depth)?;
    let mut pending = plan_checks(contract, dataset, partition, &gathered, Pass::Single, options.now);
    if options.sample > 0 {
        gather_samples_in_pass(&mut pending, &col(ROW_INDEX));
    }
    // The single pass: every aggregate of every check in one select.
    let mut aggregates = lay_out(&pending);
    aggregates.extend(parse_guards(contract, dataset, &schema));
    if dataset.format == Format::Csv {
        aggregates.push(len().cast(DataType::Int64).alias(ROWS_COLUMN));
    }
    Ok(SinglePass { files, lf, schema, gathered, pending, aggregates })
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
    let elsewhere = match (partition, shared) {
        (Some(_), Some(shared)) => Elsewhere::Shared(shared),
        (Some(p), None) => Elsewhere::KeysOf(p),
        (None, _) => Elsewhere::None,
    };
    let SinglePass { files, lf, schema, pending, aggregates, .. } =
        plan_single_pass(contract, dataset, partition, options, store, &elsewhere, Depth::Run)?;
    let indexed = lf.clone().with_row_index(ROW_INDEX, None);
    // Row numbers are only read when the pass gathers samples.
    let numbered = pending.iter().any(|p| p.gathered_by.is_some());
    let scanned = if numbered { indexed.clone() } else { lf.clone() };
    let rows_from_pass = dataset.format == Format::Csv;
    let splitting = options.quarantine.is_some() || options.clean.is_some();
    let row_rules = row_rules(&pending);
    let (df, written) = if splitting {
        let (df, written) = pass_and_split(
            contract, dataset, partition, &files, &scanned, numbered, &schema, &pending, &row_rules, aggregates,
            options,
        )?;
        (df, Some(written))
    } else if aggregates.is_empty() {
        (None, None)
    } else {
        let engine = engine_for(dataset, &files, counts_distinct(&aggregates));
        (Some(collect_on(scanned.select(aggregates), engine, dataset, &files)?), None)
    };
    // On an error below, `written` is dropped and its files removed: they are put in place only
    // once the report is made.
    let pass = PassRow { df: df.as_ref(), row: 0 };
    let rows =
        if rows_from_pass { pass.int(ROWS_COLUMN).unwrap_or(0).max(0) as u64 } else { dataset.parquet_rows(&files)? };
    let locator = Locator::new(dataset, &files, Some(rows));
    let reports = conclude(
        pending,
        pass,
        rows,
        options,
        |evidences| samples_of(&indexed, evidences, lit(true), options.sample, dataset, &files),
        &locator,
    )?;
    let mut result = result_report(contract, dataset, partition, rows, started.elapsed().as_millis() as u64, reports);
    result.outputs = written.map(|written| written.commit()).transpose()?;
    Ok(result)
}

/// The pass of [`evaluate`] that also writes `--quarantine` and `--clean`, in one query over the
/// input. Slots that fill a set some row failure reads (`unique`'s) run first, in a pass over
/// their columns only. The pass's values, and what was written.
#[allow(clippy::too_many_arguments)]
fn pass_and_split(
    contract: &Contract,
    dataset: &Dataset,
    partition: Option<&Partition>,
    files: &[PathBuf],
    scanned: &LazyFrame,
    numbered: bool,
    schema: &Schema,
    pending: &[Pending],
    row_rules: &[(String, Expr)],
    aggregates: Vec<Expr>,
    options: &Options,
) -> Result<(Option<DataFrame>, crate::quarantine::Written), DataError> {
    // The outputs carry every column: one tollgate cannot read stops them before anything is
    // written (Polars failed mid-write, naming the output and an Arrow type mismatch).
    for file in files {
        if let Some((column, _)) = dataset.unreadable_columns(file)?.into_iter().next() {
            return Err(DataError::new(
                file,
                format!(
                    "column `{column}` is an INTERVAL, a type tollgate cannot read, and --quarantine and --clean copy \
                     every column; nothing was written"
                ),
            ));
        }
    }
    let filling = set_filling_columns(pending);
    let (first, during): (Vec<Expr>, Vec<Expr>) = aggregates
        .into_iter()
        .partition(|a| a.clone().meta().output_name().is_ok_and(|name| filling.iter().any(|f| f == name.as_str())));
    let before = if first.is_empty() {
        None
    } else {
        let engine = engine_for(dataset, files, counts_distinct(&first));
        Some(collect_on(scanned.clone().select(first), engine, dataset, files)?)
    };
    let targets =
        crate::quarantine::Targets { quarantine: options.quarantine.as_deref(), clean: options.clean.as_deref() };
    let stem = match partition {
        Some(p) => format!("{}-{}={}", contract.name, dataset.partition_key.as_deref().unwrap_or("partition"), p.raw),
        None => contract.name.clone(),
    };
    let hidden: &[&str] = if numbered { &[ROW_INDEX] } else { &[] };
    let input = crate::quarantine::Input { lf: scanned, hidden, schema, rules: row_rules, stem: &stem };
    let blame = |e: &PolarsError| exec::blamed_input(e, dataset, files);
    let (during, written) = crate::quarantine::split(&input, during, &targets, &blame)?;
    let df = match (before, during) {
        (Some(before), Some(during)) => {
            Some(before.hstack(during.columns()).map_err(|e| DataError::new(&dataset.display, e.to_string()))?)
        }
        (before, during) => before.or(during),
    };
    Ok((df, written))
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
    let file_lists: Vec<&[PathBuf]> = dataset.partitions.iter().map(|p| p.files.as_slice()).collect();
    let scans: Vec<LazyFrame> = dataset
        .scan_each(&file_lists, &typed)?
        .into_iter()
        .zip(&dataset.partitions)
        .map(|(lf, p)| lf.with_columns([dataset.partition_literal(p), lit(p.raw.clone()).alias(PARTITION_TAG)]))
        .collect();
    let all_files = dataset.files.clone();
    let lf = concat(scans, UnionArgs::default()).map_err(|e| DataError::new(&all_files[0], e.to_string()))?;
    let mut schema = schema_of(&lf, &all_files)?;
    schema.shift_remove(PARTITION_TAG);

    // Keys that must be unique across partitions: a window over the whole scan flags rows whose
    // key occurs in more than one partition. It runs before grouping, which would confine it.
    let inputs = inputs_for(contract, dataset, &schema);
    let mut flags = HashMap::new();
    let mut flag_columns = Vec::new();
    for (columns, name, flag) in elsewhere_flags(contract, dataset, &inputs)? {
        flag_columns.push(flag.alias(name.as_str()));
        flags.insert(columns, name);
    }
    let lf = if flag_columns.is_empty() { lf } else { lf.with_columns(flag_columns) };
    let indexed = lf.clone().with_row_index(ROW_INDEX, None);
    // Row numbers run through the union in partition order.
    let ordered_files: Vec<PathBuf> = dataset.partitions.iter().flat_map(|p| p.files.clone()).collect();
    let elsewhere = Elsewhere::Flags(flags);

    let mut plans = Vec::new();
    for p in &dataset.partitions {
        let gathered =
            gather(contract, dataset, Some(p), options, store, schema.clone(), &elsewhere, &typed, None, Depth::Run)?;
        plans.push(plan_checks(contract, dataset, Some(p), &gathered, Pass::Grouped, options.now));
    }
    // One grouped pass runs the first partition's aggregates for all: every plan must lay out
    // the same slots.
    let Some(first_plan) = plans.first() else { return Ok(Some(Vec::new())) };
    if plans.iter().any(|pending| slot_columns(pending) != slot_columns(first_plan)) {
        return Ok(None);
    }
    let mut aggregates = lay_out(first_plan);
    aggregates.extend(parse_guards(contract, dataset, &schema));
    aggregates.push(len().cast(DataType::Int64).alias(ROWS_COLUMN));
    let df = collect(lf.clone().group_by([col(PARTITION_TAG)]).agg(aggregates), dataset, &all_files)?;
    let tags = df.column(PARTITION_TAG).map_err(|e| DataError::new(&all_files[0], e.to_string()))?.clone();
    let elapsed = started.elapsed().as_millis() as u64;

    // One locator for all partitions: the union's row numbers run through every file.
    let locator = Locator::new(dataset, &ordered_files, None);
    let mut results = Vec::new();
    for (p, pending) in dataset.partitions.iter().zip(plans) {
        let row = (0..df.height())
            .find(|i| tags.get(*i).ok().and_then(|v| v.get_str().map(str::to_string)) == Some(p.raw.clone()));
        let pass = match row {
            Some(row) => PassRow { df: Some(&df), row },
            None => PassRow::NOTHING,
        };
        let rows = match dataset.format {
            Format::Parquet => dataset.parquet_rows(&p.files)?,
            Format::Csv => pass.int(ROWS_COLUMN).unwrap_or(0).max(0) as u64,
        };
        let within = col(PARTITION_TAG).eq(lit(p.raw.clone()));
        let reports = conclude(
            pending,
            pass,
            rows,
            options,
            |evidences| samples_of(&indexed, evidences, within.clone(), options.sample, dataset, &p.files),
            &locator,
        )?;
        results.push(result_report(contract, dataset, Some(p), rows, elapsed, reports));
    }
    Ok(Some(results))
}

/// For a scan of every partition tagged by `PARTITION_TAG`: each key judged across partitions
/// (by its columns), the name of its flag column and the window that computes the flag (the
/// key also occurs in another partition).
fn elsewhere_flags(
    contract: &Contract,
    dataset: &Dataset,
    inputs: &HashMap<String, crate::rules::ColumnInput>,
) -> Result<Vec<(Vec<String>, String, Expr)>, DataError> {
    let mut flags: Vec<(Vec<String>, String, Expr)> = Vec::new();
    for columns in keys_across_partitions(contract) {
        if flags.iter().any(|(known, _, _)| *known == columns) || columns.iter().any(|c| !inputs.contains_key(c)) {
            continue;
        }
        let key = compound_key(&columns, inputs);
        let partitions_with_key = col(PARTITION_TAG)
            .n_unique()
            .over([key.clone()])
            .map_err(|e| DataError::new(&dataset.display, e.to_string()))?;
        let name = format!("__elsewhere_{}", flags.len());
        flags.push((columns, name, key.is_not_null().and(partitions_with_key.gt(lit(1)))));
    }
    Ok(flags)
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
