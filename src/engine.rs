//! The engine: plans one lazy query holding every rule of a contract, runs it once, reads the
//! answers back, and fetches failing-value samples only for checks that did not hold.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use polars::prelude::*;
use serde_json::Value;

use crate::checks::{self, CheckContext, Planning};
use crate::contract::{CheckKind, Contract, Format, RuleKind, Scope, Severity};
use crate::history::HistoryStore;
use crate::report::{CheckReport, ResultReport, Status};
use crate::rules::{self, ColumnInput, Evidence, Facts, Measured, Planned};
use crate::source::{normalize, parquet_rows, DataError, Dataset, Partition};
use crate::types::{family, DeclaredType, Family};

pub struct Options {
    /// Replaces `dataset.path` (relative to the working directory).
    pub data: Option<PathBuf>,
    pub partition: Option<String>,
    pub all_partitions: bool,
    pub now: chrono::DateTime<chrono::Utc>,
    pub sample: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { data: None, partition: None, all_partitions: false, now: chrono::Utc::now(), sample: 5 }
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
    Planned { planned: Planned, first: usize },
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

/// Like [`check_contract`], reading anomaly history from and recording metrics to `store`.
pub fn check_with_history(
    contract: &Contract,
    options: &Options,
    store: Option<&dyn HistoryStore>,
) -> Result<Vec<ResultReport>, DataError> {
    let path = match &options.data {
        Some(p) => p.clone(),
        None => contract.resolve(&contract.dataset.path),
    };
    let display = normalize(&path).to_string_lossy().into_owned();
    let dataset = Dataset::open(
        &path,
        display,
        contract.dataset.format,
        contract.dataset.csv.clone(),
        contract.dataset.partition_key.as_deref(),
    )?;
    let run = |p: Option<&Partition>| -> Result<ResultReport, DataError> {
        let result = evaluate(contract, &dataset, p, options, store)?;
        if let Some(store) = store {
            let label = history_label(p, options);
            store
                .record(&contract.name, &label, &metrics_of(&result), &options.now.to_rfc3339())
                .map_err(|e| DataError::new(&e.store, e.message))?;
        }
        Ok(result)
    };
    if dataset.partition_key.is_none() {
        return Ok(vec![run(None)?]);
    }
    let chosen: Vec<&Partition> = if let Some(raw) = &options.partition {
        vec![dataset.partition(raw).ok_or_else(|| {
            let known: Vec<&str> = dataset.partitions.iter().map(|p| p.raw.as_str()).collect();
            DataError::new(&path, format!("partition `{raw}` does not exist (found: {})", known.join(", ")))
        })?]
    } else if options.all_partitions {
        dataset.partitions.iter().collect()
    } else {
        dataset.partitions.last().into_iter().collect()
    };
    chosen.into_iter().map(|p| run(Some(p))).collect()
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
    }
    out
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
        Format::Parquet => parquet_rows(files),
        Format::Csv => {
            let df = collect(dataset.scan(files, &[])?.select([len().cast(DataType::Int64)]), dataset, files)?;
            Ok(first_i64(&df, 0).unwrap_or(0).max(0) as u64)
        }
    }
}

/// Runs a query; a failure is pinned on the first file that cannot be read on its own.
fn collect(lf: LazyFrame, dataset: &Dataset, files: &[PathBuf]) -> Result<DataFrame, DataError> {
    lf.collect_with_engine(Engine::Streaming).map(|r| r.unwrap_single()).map_err(|e| {
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

/// The column as the rules see it: typed CSV text parsed, decimals as floats, categoricals as text.
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
                other_partitions: None,
            };
        }
    }
    let (value, dtype) = match family(stored) {
        Family::Decimal => (raw.clone().cast(DataType::Float64), DataType::Float64),
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
        other_partitions: None,
    }
}

/// Distinct full keys of the other partitions, for `unique` with scope dataset. Single keys stay
/// typed; compound keys are joined into one text so they can be matched with `is_in`.
fn other_partition_keys(
    dataset: &Dataset,
    checked: &Partition,
    columns: &[String],
    inputs: &HashMap<String, ColumnInput>,
    typed: &[(String, DeclaredType)],
) -> Result<Option<Expr>, DataError> {
    if columns.iter().any(|c| !inputs.contains_key(c)) {
        return Ok(None);
    }
    let key_type = if columns.len() == 1 { inputs[&columns[0]].dtype.clone() } else { DataType::String };
    // One scan per partition, unioned, so a partition with a drifted type is cast to the checked
    // partition's type instead of breaking the scan.
    let mut scans = Vec::new();
    let mut files = Vec::new();
    for p in dataset.partitions.iter().filter(|p| p.raw != checked.raw) {
        let lf = dataset.scan(&p.files, typed)?;
        let schema = lf.clone().collect_schema().map_err(|e| DataError::new(&p.files[0], e.to_string()))?;
        if columns.iter().all(|c| schema.get(c.as_str()).is_some()) {
            scans.push(lf.select([compound_key(columns, inputs).cast(key_type.clone()).alias("key")]));
            files.extend(p.files.iter().cloned());
        }
    }
    if scans.is_empty() {
        return Ok(None);
    }
    let all = concat(scans, UnionArgs::default()).map_err(|e| DataError::new(&files[0], e.to_string()))?;
    let df = collect(all.drop_nulls(None).unique(None, UniqueKeepStrategy::Any), dataset, &files)?;
    let series = df.columns()[0].as_materialized_series().clone();
    Ok(Some(lit(polars::prelude::Scalar::new_list(series))))
}

/// Columns whose type in another partition differs from the checked partition's (Parquet footers).
fn schema_drift(dataset: &Dataset, checked: &Partition, schema: &Schema) -> Result<Vec<String>, DataError> {
    let key = dataset.partition_key.as_deref().unwrap_or("partition");
    let mut drift: Vec<(String, String)> = Vec::new();
    if dataset.format != Format::Parquet {
        return Ok(Vec::new());
    }
    for p in dataset.partitions.iter().filter(|p| p.raw != checked.raw) {
        let Some(first) = p.files.first() else { continue };
        for (name, dtype) in crate::source::parquet_schema(first)? {
            match schema.get(name.as_str()) {
                Some(ours) if ours != &dtype && !drift.iter().any(|(c, _)| c == &name) => drift.push((
                    name.clone(),
                    format!(
                        "`{name}` is {} in {key}={} but {} in {key}={}",
                        crate::types::type_name(ours),
                        checked.raw,
                        crate::types::type_name(&dtype),
                        p.raw
                    ),
                )),
                _ => {}
            }
        }
    }
    Ok(drift.into_iter().map(|(_, text)| text).collect())
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

fn evaluate(
    contract: &Contract,
    dataset: &Dataset,
    partition: Option<&Partition>,
    options: &Options,
    store: Option<&dyn HistoryStore>,
) -> Result<ResultReport, DataError> {
    let started = Instant::now();
    let files: Vec<PathBuf> = partition.map(|p| p.files.clone()).unwrap_or_else(|| dataset.files.clone());
    let declared: HashMap<&str, DeclaredType> =
        contract.columns().iter().filter_map(|c| Some((c.name.as_str(), c.declared_type?))).collect();
    let typed: Vec<(String, DeclaredType)> = if dataset.format == Format::Csv {
        declared.iter().map(|(n, t)| (n.to_string(), *t)).collect()
    } else {
        Vec::new()
    };
    let mut lf = dataset.scan(&files, &typed)?;
    if let Some(p) = partition {
        lf = lf.with_column(dataset.partition_literal(p));
    }
    let schema = lf
        .clone()
        .collect_schema()
        .map_err(|e| DataError::new(files.first().cloned().unwrap_or_default(), e.to_string()))?;

    let mut inputs: HashMap<String, ColumnInput> = HashMap::new();
    for (name, dtype) in schema.iter() {
        inputs
            .insert(name.to_string(), column_input(name, dtype, declared.get(name.as_str()).copied(), dataset.format));
    }
    if let Some(p) = partition {
        for column in contract.columns() {
            let across =
                column.rules.iter().any(|r| matches!(r.kind, RuleKind::Unique { scope: None | Some(Scope::Dataset) }));
            if across && inputs.contains_key(&column.name) {
                let others = other_partition_keys(dataset, p, std::slice::from_ref(&column.name), &inputs, &typed)?;
                inputs.get_mut(&column.name).expect("present").other_partitions = others;
            }
        }
    }

    let wants_history = contract.checks.iter().any(|c| matches!(c.kind, CheckKind::RowCountAnomaly { .. }));
    let mut history = match partition {
        Some(p) if wants_history => earlier_rows(dataset, p)?,
        _ => Vec::new(),
    };
    if let (true, true, Some(store)) = (wants_history, history.is_empty(), store) {
        // No earlier partitions of its own (e.g. a table overwritten daily): use recorded runs.
        let label = history_label(partition, options);
        history = store
            .series(&contract.name, "rows", &label)
            .map_err(|e| DataError::new(&e.store, e.message))?
            .into_iter()
            .map(|(p, rows)| (p, rows.max(0.0) as u64))
            .collect();
    }
    let mut referenced_keys = HashMap::new();
    let mut compound_others: HashMap<String, Option<Expr>> = HashMap::new();
    for check in &contract.checks {
        match &check.kind {
            CheckKind::References { dataset: other, key, format, csv, .. } => {
                referenced_keys.insert(check.id(), load_keys(contract, other, key, *format, csv.clone())?);
            }
            CheckKind::Unique { columns, scope: None | Some(Scope::Dataset) } if partition.is_some() => {
                compound_others.insert(
                    check.id(),
                    other_partition_keys(dataset, partition.expect("some"), columns, &inputs, &typed)?,
                );
            }
            _ => {}
        }
    }

    let mut pending = Vec::new();
    if let Some(schema_spec) = &contract.schema {
        let drift = match partition {
            Some(p) => schema_drift(dataset, p, &schema)?,
            None => Vec::new(),
        };
        pending.push(schema_check(contract, &schema, dataset.partition_key.as_deref(), &drift, schema_spec.pos.line));
    }
    for column in contract.columns() {
        for rule in &column.rules {
            let state = match inputs.get(&column.name) {
                None => State::Error(format!("column `{}` is not in the data", column.name)),
                Some(input) => match rules::plan(rule, input) {
                    Ok(planned) => State::Planned { planned, first: 0 },
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
    let now_micros = options.now.timestamp_micros();
    let ctx = CheckContext {
        columns: &inputs,
        now_micros,
        dataset,
        partition,
        history: &history,
        referenced_keys: &referenced_keys,
        compound_others: &compound_others,
    };
    for check in &contract.checks {
        let state = match checks::plan(check, &ctx) {
            Planning::Plan(planned) => State::Planned { planned, first: 0 },
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

    // The single pass: every aggregate of every check in one select.
    let mut aggregates: Vec<Expr> = Vec::new();
    for p in &mut pending {
        if let State::Planned { planned, first } = &mut p.state {
            *first = aggregates.len();
            for a in &planned.aggregates {
                aggregates.push(a.clone().alias(format!("__{}", aggregates.len())));
            }
        }
    }
    let rows_from_pass = dataset.format == Format::Csv;
    if rows_from_pass {
        aggregates.push(len().cast(DataType::Int64).alias(format!("__{}", aggregates.len())));
    }
    let values: Vec<Option<i64>> = if aggregates.is_empty() {
        Vec::new()
    } else {
        let df = collect(lf.clone().select(aggregates), dataset, &files)?;
        (0..df.width()).map(|i| first_i64(&df, i)).collect()
    };
    let rows = if rows_from_pass {
        values.last().copied().flatten().unwrap_or(0).max(0) as u64
    } else {
        parquet_rows(&files)?
    };
    let facts = Facts { rows };

    let mut reports = Vec::new();
    for p in pending {
        let (measured, evidence) = match p.state {
            State::Planned { planned, first } => {
                let slice = &values[first.min(values.len())..(first + planned.aggregates.len()).min(values.len())];
                ((planned.finish)(slice, &facts), planned.evidence)
            }
            State::Done(m) => (m, None),
            State::Error(reason) => {
                reports.push(empty_report(
                    p.id,
                    p.kind,
                    p.column,
                    p.severity,
                    p.threshold,
                    p.line,
                    Status::Error,
                    reason,
                ));
                continue;
            }
            State::Skipped(reason) => {
                reports.push(empty_report(
                    p.id,
                    p.kind,
                    p.column,
                    p.severity,
                    p.threshold,
                    p.line,
                    Status::Skipped,
                    reason,
                ));
                continue;
            }
        };
        let status = match (measured.passed, p.severity) {
            (true, _) => Status::Pass,
            (false, Severity::Warn) => Status::Warn,
            (false, Severity::Error) => Status::Fail,
        };
        let sample = match (&evidence, status) {
            (Some(e), Status::Warn | Status::Fail) if options.sample > 0 && measured.failures.unwrap_or(0) > 0 => {
                samples(&lf, e, options.sample, dataset, &files)?
            }
            _ => Vec::new(),
        };
        reports.push(CheckReport {
            id: p.id,
            kind: p.kind,
            column: p.column,
            severity: p.severity.name().to_string(),
            status,
            failures: measured.failures,
            observed: measured.observed,
            threshold: p.threshold,
            sample,
            message: measured.message,
            details: measured.details,
            line: p.line,
        });
    }
    let status = Status::worst(reports.iter().map(|c| c.status));
    Ok(ResultReport {
        contract: contract.name.clone(),
        contract_version: contract.version.clone(),
        contract_path: contract.file.to_string_lossy().into_owned(),
        dataset: dataset.display.clone(),
        partition: partition.map(|p| p.raw.clone()),
        rows: Some(rows),
        status,
        duration_ms: started.elapsed().as_millis() as u64,
        checks: reports,
        error: None,
    })
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
    line: usize,
) -> Pending {
    let strict = contract.schema.as_ref().is_some_and(|s| s.strict);
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
    let failures = (missing.len() + extra.len() + drift.len()) as u64;
    let mut parts = Vec::new();
    if !drift.is_empty() {
        parts.push(format!("schema drift: {}", drift.join("; ")));
    }
    if !missing.is_empty() {
        parts.push(format!("missing columns: {}", missing.join(", ")));
    }
    if !extra.is_empty() {
        parts.push(format!("undeclared columns (strict): {}", extra.join(", ")));
    }
    let message = if parts.is_empty() {
        format!("all {} declared columns present", contract.columns().len())
    } else {
        parts.join("; ")
    };
    Pending {
        id: "schema".into(),
        kind: "schema".into(),
        column: None,
        severity: Severity::Error,
        threshold: serde_json::json!({"strict": strict}),
        line,
        state: State::Done(Measured {
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

/// The most frequent failing values, most frequent first, at most `limit`.
fn samples(
    lf: &LazyFrame,
    evidence: &Evidence,
    limit: usize,
    dataset: &Dataset,
    files: &[PathBuf],
) -> Result<Vec<Value>, DataError> {
    let (grouped, keys) = match evidence {
        Evidence::Where { failing, value } => {
            (lf.clone().filter(failing.clone()).group_by([value.clone().alias("k0")]).agg([len().alias("n")]), 1)
        }
        Evidence::Duplicates { keys, present } => {
            let named: Vec<Expr> = keys.iter().enumerate().map(|(i, k)| k.clone().alias(format!("k{i}"))).collect();
            (
                lf.clone().filter(present.clone()).group_by(named).agg([len().alias("n")]).filter(col("n").gt(lit(1))),
                keys.len(),
            )
        }
    };
    let mut by: Vec<PlSmallStr> = vec!["n".into()];
    by.extend((0..keys).map(|i| PlSmallStr::from(format!("k{i}"))));
    let descending: Vec<bool> = std::iter::once(true).chain((0..keys).map(|_| false)).collect();
    let sorted = grouped
        .sort(by, SortMultipleOptions::default().with_order_descending_multi(descending).with_nulls_last(true))
        .limit(limit as IdxSize);
    let df = collect(sorted, dataset, files)?;
    let mut out = Vec::new();
    for row in 0..df.height() {
        let parts: Vec<Value> = (0..keys)
            .map(|i| df.columns()[i].get(row).map(|v| crate::values::json_value(&v)).unwrap_or(Value::Null))
            .collect();
        out.push(if parts.len() == 1 { parts.into_iter().next().unwrap_or(Value::Null) } else { Value::Array(parts) });
    }
    Ok(out)
}
