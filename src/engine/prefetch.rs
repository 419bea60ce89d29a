//! Everything planning needs from outside the checked rows, read before planning: earlier
//! partitions' row counts and metrics, keys of other partitions and of referenced datasets,
//! schema drift, the history store.

use super::exec::{collect, collect_on, first_i64, slot_column, PassRow, ROWS_COLUMN};
use super::inputs::{compound_key, inputs_for, schema_of, typed_columns, PARTITION_TAG};
use super::{history_label, Options};
use crate::contract::{CheckKind, Contract, Format, RuleKind, Scope};
use crate::history::HistoryStore;
use crate::rules::distinct_set::DistinctSet;
use crate::rules::key_set::KeySet;
use crate::rules::{ColumnInput, Facts, Pass, Slot};
use crate::source::normalize;
use crate::source::{DataError, Dataset, Partition};
use crate::types::DeclaredType;
use crate::types::DeclaredTypeExt;
use crate::{checks, rules};
use polars::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;

/// Earlier values of every `anomaly` check's metric, by check id, oldest first. The earlier
/// partitions (at most the largest `window` of them) are measured in one grouped pass over the
/// columns the metrics name (row counts from footers); the history store fills the partition
/// values the folder lacks, and is the only source of another check's failures.
#[allow(clippy::too_many_arguments)]
pub(super) fn anomaly_history(
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
        let mut exprs = vec![len().cast(DataType::Int64).alias(ROWS_COLUMN)];
        // Each metric's slots, computed into columns named by check number and slot.
        let mut measured: Vec<(usize, &String, &AnomalyMetric, Vec<Slot>)> = Vec::new();
        for (check, (id, column, metric, _)) in anomalies.iter().enumerate() {
            let Some(input) = column.as_ref().and_then(|c| inputs.get(c)) else { continue };
            let pass = match options.executor {
                super::Executor::Local => Pass::Grouped,
                #[cfg(feature = "spark")]
                super::Executor::Spark(_) => Pass::Portable,
            };
            let slots = crate::checks::anomaly::aggregates(metric, input.value.clone(), &input.dtype, pass);
            if slots.is_empty() {
                continue;
            }
            exprs.extend(slots.iter().map(|slot| slot.expr.clone().alias(slot_column(check, slot.name))));
            measured.push((check, id, metric, slots));
        }
        if !measured.is_empty() && !earlier.is_empty() {
            // Diagonal: a partition written before a column existed has it as nulls.
            let union = || -> Result<LazyFrame, DataError> {
                let file_lists: Vec<&[PathBuf]> = earlier.iter().map(|p| p.files.as_slice()).collect();
                let scans: Vec<LazyFrame> = dataset
                    .scan_each(&file_lists, typed)?
                    .into_iter()
                    .enumerate()
                    .map(|(i, lf)| lf.with_column(lit(i as u32).alias(PARTITION_TAG)))
                    .collect();
                concat(scans, UnionArgs { to_supertypes: true, diagonal: true, ..Default::default() })
                    .map_err(|e| DataError::new(&dataset.display, e.to_string()))
            };
            let df = match &options.executor {
                super::Executor::Local => {
                    let files: Vec<PathBuf> = earlier.iter().flat_map(|p| p.files.clone()).collect();
                    collect(union()?.group_by([col(PARTITION_TAG)]).agg(exprs), dataset, &files)?
                }
                #[cfg(feature = "spark")]
                super::Executor::Spark(session) => {
                    // Its columns' types: the files' footers, or Spark's for a dataset only it reads.
                    let schema = match dataset.read_by_engine {
                        Some(_) => None,
                        None => Some(
                            union()?
                                .collect_schema()
                                .map_err(|e| DataError::new(&dataset.display, e.to_string()))?
                                .as_ref()
                                .clone(),
                        ),
                    };
                    super::on_spark::grouped_by_partition(session, dataset, earlier, schema, &exprs)?
                }
            };
            // Oldest first, as the partitions are listed (a grouping's rows come in any order).
            let df = df
                .sort([PARTITION_TAG], SortMultipleOptions::default())
                .map_err(|e| DataError::new(&dataset.display, e.to_string()))?;
            let tags = df.column(PARTITION_TAG).map_err(|e| DataError::new(&dataset.display, e.to_string()))?.clone();
            for row in 0..df.height() {
                let Some(tag) = tags.get(row).ok().and_then(|v| v.extract::<u32>()) else { continue };
                let pass = PassRow { df: Some(&df), row };
                let rows = pass.int(ROWS_COLUMN).unwrap_or(0).max(0) as u64;
                let none = HashMap::new();
                for (check, id, metric, slots) in &measured {
                    let facts = Facts { rows, failures: &none };
                    let values = pass.slot_values(slots, slots.iter().map(|slot| slot_column(*check, slot.name)));
                    if let Some(v) = crate::checks::anomaly::value(metric, &values, &facts) {
                        out.entry((*id).clone()).or_default().push((earlier[tag as usize].raw.clone(), v));
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
            let recorded = store.series(&contract.name, &format!("{id}.value"), &label).map_err(DataError::from)?;
            fill_from_store(out.entry(id.clone()).or_default(), recorded, dataset);
        }
    }
    Ok(out)
}

/// Adds the history store's values for the partitions `series` lacks (the folder's own
/// partitions win) and puts the series in partition order: a table overwritten daily has no
/// earlier partitions, a staging folder only some.
pub(super) fn fill_from_store<T>(
    series: &mut Vec<(String, T)>,
    recorded: impl IntoIterator<Item = (String, T)>,
    dataset: &Dataset,
) {
    for (partition, value) in recorded {
        if !series.iter().any(|(p, _)| *p == partition) {
            series.push((partition, value));
        }
    }
    series.sort_by_key(|(a, _)| dataset.value_of(a));
}

/// Rows of each partition before `checked`, oldest first: Parquet from footers, CSV by counting.
pub(super) fn earlier_rows(dataset: &Dataset, checked: &Partition) -> Result<Vec<(String, u64)>, DataError> {
    let mut out = Vec::new();
    for p in dataset.partitions.iter().take_while(|p| p.value < checked.value) {
        let rows = match &dataset.read_by_engine {
            Some(relation) => relation.rows.get(&p.raw).copied().unwrap_or(0),
            None => count_rows(dataset, &p.files)?,
        };
        out.push((p.raw.clone(), rows));
    }
    Ok(out)
}

pub(super) fn count_rows(dataset: &Dataset, files: &[PathBuf]) -> Result<u64, DataError> {
    match dataset.format {
        Format::Parquet => dataset.parquet_rows(files),
        Format::Csv => {
            let df = collect(dataset.scan(files, &[])?.select([len().cast(DataType::Int64)]), dataset, files)?;
            Ok(first_i64(&df, 0).unwrap_or(0).max(0) as u64)
        }
    }
}

/// The key of every row of `partitions` that have all its columns: column `key`, cast to
/// `key_type`, and `partition`, the partition's number in the dataset from 1. One scan per
/// partition, unioned, so a partition with a drifted type is cast instead of breaking the scan.
pub(super) fn keys_of(
    dataset: &Dataset,
    partitions: &[&Partition],
    columns: &[String],
    key: &Expr,
    key_type: &DataType,
    typed: &[(String, DeclaredType)],
) -> Result<Option<(LazyFrame, Vec<PathBuf>)>, DataError> {
    let mut scans = Vec::new();
    let mut files = Vec::new();
    let file_lists: Vec<&[PathBuf]> = partitions.iter().map(|p| p.files.as_slice()).collect();
    for (p, lf) in partitions.iter().zip(dataset.scan_each(&file_lists, typed)?) {
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
pub(super) fn in_other_partitions(
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
    // Other keys fill a hash set in one streaming pass (Polars' `unique` would hold them twice).
    if let Some(set) = DistinctSet::new(&key_type) {
        collect_on(all.select([set.insert(col("key"))]), Engine::Streaming, dataset, &files)?;
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
pub(super) fn schema_drift(
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

/// How rows of other partitions are seen when judging `unique` with scope dataset.
pub(super) enum Elsewhere<'a> {
    /// One partition is scanned; the other partitions' keys are read first.
    KeysOf(&'a Partition),
    /// All partitions are in the scan, tagged by `PARTITION_TAG`; the flag of each key (by its
    /// columns) was computed by a window before grouping, into the named column.
    Flags(HashMap<Vec<String>, String>),
    /// Partitions are checked one at a time; the keys (by their columns) found in several
    /// partitions were learnt for all of them at once (see `shared_keys_of`).
    Shared(&'a SharedKeys),
    /// For `explain`: the keys of the other partitions are not read; the predicate stands for them.
    StandIn,
    /// Not partitioned.
    None,
}

/// Keys (each by its columns) found in more than one partition.
pub(super) type SharedKeys = HashMap<Vec<String>, SharedKeySet>;

/// The set that learnt which keys occur in more than one partition.
pub(super) enum SharedKeySet {
    /// A single integer key in a dense footer range: a bitmap.
    Bitmap(Arc<KeySet>),
    /// Any other key (text, compound, sparse, CSV): a hash set of every key with its first
    /// partition, where the shared ones are its repeated ones.
    Hashed(Arc<DistinctSet>),
}

impl SharedKeySet {
    /// Per row: its key is one of the shared keys; null for a null key.
    fn contains(&self, key: Expr) -> Expr {
        match self {
            SharedKeySet::Bitmap(set) => set.contains(key),
            SharedKeySet::Hashed(set) => set.repeated(key),
        }
    }
}

/// The keys (each by its columns) that `unique` with scope dataset judges across partitions.
pub(super) fn keys_across_partitions(contract: &Contract) -> Vec<Vec<String>> {
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
/// learnt in ONE streaming pass over the key columns of every partition: a bitmap for a single
/// integer column whose footer range is dense enough (see `KeySet::mark_shared`), else a hash
/// set of the keys (see `DistinctSet::mark_shared`). `None` when a key is missing from the data
/// or of a type no set keys (nested); then the partitions are judged together in one grouped
/// pass instead.
pub(super) fn shared_keys_of(
    contract: &Contract,
    dataset: &Dataset,
    options: &Options,
) -> Result<Option<SharedKeys>, DataError> {
    let mut shared = HashMap::new();
    let partitions: Vec<&Partition> = dataset.partitions.iter().collect();
    let typed = typed_columns(contract, dataset);
    // The columns as the rules see them, read from the schema once, when a key needs them.
    let mut data_inputs = None;
    for columns in keys_across_partitions(contract) {
        if let Some(set) = shared_bitmap(dataset, options, &columns)? {
            shared.insert(columns, SharedKeySet::Bitmap(set));
            continue;
        }
        let inputs = match &data_inputs {
            Some(inputs) => inputs,
            None => {
                let schema = schema_of(&dataset.scan(&dataset.files, &typed)?, &dataset.files)?;
                data_inputs.insert(inputs_for(contract, dataset, &schema))
            }
        };
        if columns.iter().any(|c| !inputs.contains_key(c)) {
            return Ok(None);
        }
        let key = compound_key(&columns, inputs);
        let key_type = if columns.len() == 1 { inputs[&columns[0]].dtype.clone() } else { DataType::String };
        let Some(set) = DistinctSet::new(&key_type) else { return Ok(None) };
        let Some(mark) = set.mark_shared(col("partition"), col("key")) else { return Ok(None) };
        if let Some((all, files)) = keys_of(dataset, &partitions, &columns, &key, &key_type, &typed)? {
            collect_on(all.select([mark]), Engine::Streaming, dataset, &files)?;
        }
        shared.insert(columns, SharedKeySet::Hashed(set));
    }
    Ok(Some(shared))
}

/// The bitmap of keys shared by partitions, when `columns` is one integer column of Parquet
/// files whose footer range is dense enough.
fn shared_bitmap(dataset: &Dataset, options: &Options, columns: &[String]) -> Result<Option<Arc<KeySet>>, DataError> {
    let ([name], true, Format::Parquet) = (columns, options.statistics, dataset.format) else { return Ok(None) };
    let Some(first) = dataset.files.first() else { return Ok(None) };
    let Some((_, dtype)) = dataset.parquet_schema(first)?.into_iter().find(|(n, _)| n == name) else {
        return Ok(None);
    };
    let stats = crate::statistics::column_stats(dataset, &dataset.files, name, &dtype);
    let Some(set) = stats.and_then(|stats| KeySet::over(name, &col(name.as_str()), &stats)) else { return Ok(None) };
    let partitions: Vec<&Partition> = dataset.partitions.iter().collect();
    if let Some((all, files)) = keys_of(dataset, &partitions, columns, &col(name.as_str()), &dtype, &[])? {
        let pass = all.select([rules::count_where(set.mark_shared(col("partition"), col("key")))]);
        collect_on(pass, Engine::Streaming, dataset, &files)?;
    }
    Ok(Some(set))
}

/// Per-row "this key also occurs in another partition", for the key made of `columns`.
pub(super) fn elsewhere_predicate(
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
        Elsewhere::StandIn => {
            Some(compound_key(columns, inputs).is_in(stand_in("keys of the other partitions"), false))
        }
    })
}

/// For `explain`: a column named for the values a run reads first (never computed).
pub(super) fn stand_in(what: &str) -> Expr {
    col(what)
}

/// How much [`gather`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Depth {
    /// Everything the checks need.
    Run,
    /// For `explain`: metadata only (footers, schemas, listings). Other datasets' keys, earlier
    /// partitions' metrics, the history store, reconciliations and SQL answers are not read.
    Explain,
}

/// Distinct values of `key` in a referenced dataset, read with its own format.
/// A `references` dataset whose keys the executor reads itself (Spark: a view over its files):
/// the check's `is_in` names the column `view`, a list in the checked column's type, which
/// stands for the set of the dataset's non-null `key` values.
#[cfg_attr(not(feature = "spark"), allow(dead_code))]
pub(super) struct EngineKeySet {
    pub(super) view: String,
    pub(super) files: Vec<PathBuf>,
    pub(super) key: String,
    pub(super) dtype: DataType,
}

/// Where the keys' names begin: the executor's writer reads such an `is_in` as a set it holds.
pub const ENGINE_KEY_SET: &str = "__tollgate_keys_";

/// The `references` dataset as a set the executor reads, when that gives the client's answer:
/// Parquet (the executor reads no CSV) whose key has the checked column's type (no cast, whose
/// rules may differ), not a float. Else `None`, and the client reads the keys.
fn engine_key_set(
    contract: &Contract,
    id: &str,
    other: &str,
    key: &str,
    format: Option<Format>,
    dtype: &DataType,
) -> Result<Option<EngineKeySet>, DataError> {
    let path = contract.resolve(other);
    let display = normalize(&path).to_string_lossy().into_owned();
    let dataset = Dataset::open(&path, display, format, Default::default(), None)?;
    if dataset.format != Format::Parquet {
        return Ok(None);
    }
    let schema =
        dataset.scan(&dataset.files, &[])?.collect_schema().map_err(|e| DataError::new(&path, e.to_string()))?;
    // Spark's join counts NaN equal to NaN and -0.0 to 0.0: floats are left to the client.
    if schema.get(key) != Some(dtype) || dtype.is_float() {
        return Ok(None);
    }
    let view = format!(
        "{ENGINE_KEY_SET}{}",
        id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect::<String>()
    );
    Ok(Some(EngineKeySet { view, files: dataset.files.clone(), key: key.to_string(), dtype: dtype.clone() }))
}

/// The keys of a `references` dataset read by the client, as a list literal in `column`'s type.
fn client_keys(
    contract: &Contract,
    other: &str,
    key: &str,
    format: Option<Format>,
    csv: Option<crate::contract::CsvOptions>,
    column: &str,
    dtype: &DataType,
) -> Result<Result<Expr, String>, DataError> {
    Ok(load_keys(contract, other, key, format, csv)?.and_then(|keys| {
        let keys =
            keys.cast(dtype).map_err(|e| format!("the referenced keys cannot be compared with `{column}`: {e}"))?;
        Ok(lit(polars::prelude::Scalar::new_list(keys)))
    }))
}

pub(super) fn load_keys(
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

/// What planning reads from outside the checked rows, read once before planning (see [`gather`]).
pub(super) struct Gathered {
    /// The checked data's columns.
    pub(super) schema: Schema,
    /// The columns as the rules see them, with footer statistics and cross-partition keys attached.
    pub(super) inputs: HashMap<String, ColumnInput>,
    /// Earlier row counts (partitions, then the history store), oldest first.
    pub(super) row_history: Vec<(String, u64)>,
    /// Earlier values of each `anomaly` check's metric, by check id.
    pub(super) metric_history: HashMap<String, Vec<(String, f64)>>,
    /// Distinct keys of each `references` dataset (a list in the column's type), by check id.
    pub(super) referenced_keys: HashMap<String, Result<Expr, String>>,
    /// The `references` datasets an executor reads itself (its keys stand in as a column).
    #[cfg_attr(not(feature = "spark"), allow(dead_code))]
    pub(super) engine_key_sets: Vec<EngineKeySet>,
    /// Per row: the key occurs in another partition, by `unique` check id.
    pub(super) unique_elsewhere: HashMap<String, Option<Expr>>,
    /// How the checked partition's columns differ from the others'.
    pub(super) drift: Vec<String>,
    /// Declared columns some checked files lack, with those files.
    pub(super) absent: Vec<(String, Vec<PathBuf>)>,
    /// Each `reconcile` group's comparison, by group name.
    pub(super) reconciled: HashMap<String, Result<crate::checks::Reconciled, String>>,
    /// Each `sql` check's number, by check id.
    pub(super) sql_results: HashMap<String, Result<f64, String>>,
    /// Columns Polars cannot read, with the reason.
    pub(super) unreadable: Vec<(String, String)>,
}

/// Everything planning needs from outside the pass, for one partition (or the whole dataset):
/// footer statistics (single pass over `single_pass_over` only), keys of other partitions and of
/// referenced datasets, earlier row counts and metrics, drift, reconciliations, SQL answers.
#[allow(clippy::too_many_arguments)]
pub(super) fn gather(
    contract: &Contract,
    dataset: &Dataset,
    partition: Option<&Partition>,
    options: &Options,
    store: Option<&dyn HistoryStore>,
    schema: Schema,
    elsewhere: &Elsewhere,
    typed: &[(String, DeclaredType)],
    single_pass_over: Option<&[PathBuf]>,
    depth: Depth,
) -> Result<Gathered, DataError> {
    let run = depth == Depth::Run;
    let mut inputs = inputs_for(contract, dataset, &schema);
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
    // Each key judged across partitions gets its "also in another partition" predicate once,
    // however many `unique` rules and checks name it (each may read the other partitions).
    let mut elsewhere_of: HashMap<Vec<String>, Option<Expr>> = HashMap::new();
    for key in keys_across_partitions(contract) {
        let predicate = elsewhere_predicate(elsewhere, dataset, &key, &inputs, typed)?;
        elsewhere_of.insert(key, predicate);
    }
    let across_scope = |scope: &Option<Scope>| matches!(scope, None | Some(Scope::Dataset));
    for column in contract.columns() {
        if column.rules.iter().any(|r| matches!(&r.kind, RuleKind::Unique { scope } if across_scope(scope))) {
            if let Some(input) = inputs.get_mut(&column.name) {
                input.elsewhere = elsewhere_of.get(std::slice::from_ref(&column.name)).cloned().flatten();
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
        // Parquet row counts are footer metadata; CSV would need a scan.
        Some(p) if wants_rows && (run || dataset.format == Format::Parquet) => earlier_rows(dataset, p)?,
        _ => Vec::new(),
    };
    let mut history = if wants_history { earlier.clone() } else { Vec::new() };
    if let (true, Some(store), true) = (wants_history, store, run) {
        let label = history_label(partition, options);
        let recorded = store.series(&contract.name, "rows", &label).map_err(DataError::from)?;
        fill_from_store(&mut history, recorded.into_iter().map(|(p, rows)| (p, rows.max(0.0) as u64)), dataset);
    }
    let metric_history = match depth {
        Depth::Run => anomaly_history(contract, dataset, partition, &earlier, &inputs, typed, options, store)?,
        Depth::Explain => HashMap::new(),
    };
    let mut referenced_keys = HashMap::new();
    let mut engine_key_sets = Vec::new();
    let mut unique_elsewhere: HashMap<String, Option<Expr>> = HashMap::new();
    for check in &contract.checks {
        match &check.kind {
            CheckKind::References { column, dataset: other, key, format, csv } => {
                let keys = match (depth, inputs.get(column)) {
                    // The check reports the missing column itself.
                    (_, None) => Err(format!("`{column}` is not in the data")),
                    (Depth::Run, Some(input)) if options.executor.reads_referenced_datasets() => {
                        match engine_key_set(contract, &check.id(), other, key, *format, &input.dtype)? {
                            Some(set) => {
                                let stand_in = col(set.view.as_str());
                                engine_key_sets.push(set);
                                Ok(stand_in)
                            }
                            None => client_keys(contract, other, key, *format, csv.clone(), column, &input.dtype)?,
                        }
                    }
                    (Depth::Run, Some(input)) => {
                        client_keys(contract, other, key, *format, csv.clone(), column, &input.dtype)?
                    }
                    (Depth::Explain, Some(_)) => Ok(stand_in(&format!("distinct `{key}` of {other}"))),
                };
                referenced_keys.insert(check.id(), keys);
            }
            CheckKind::Unique { columns, scope } if across_scope(scope) => {
                unique_elsewhere.insert(check.id(), elsewhere_of.get(columns).cloned().flatten());
            }
            _ => {}
        }
    }

    let checked_files = single_pass_over.or(partition.map(|p| p.files.as_slice())).unwrap_or(&dataset.files);
    let (mut drift, mut absent) = (Vec::new(), Vec::new());
    if contract.schema.is_some() && dataset.read_by_engine.is_none() {
        if let Some(p) = partition {
            drift = schema_drift(contract, dataset, p, &schema)?;
        }
        absent = dataset.columns_absent_from(checked_files)?;
    }
    // `reconcile`: the other side is read and matched here, once per group, before planning.
    let here_files = partition.map(|p| p.files.as_slice()).unwrap_or(&dataset.files);
    // `reconcile` on Spark: both sides read by Spark.
    #[cfg(feature = "spark")]
    let spark_reconciled = match (&options.executor, depth) {
        (super::Executor::Spark(session), Depth::Run) => Some(super::spark_reconcile::compare_all(
            session,
            contract,
            dataset,
            here_files,
            partition,
            options.sample,
        )?),
        _ => None,
    };
    #[cfg(not(feature = "spark"))]
    let spark_reconciled: Option<HashMap<String, Result<checks::Reconciled, String>>> = None;
    let reconciled = match (depth, spark_reconciled) {
        (Depth::Explain, _) => HashMap::new(),
        (Depth::Run, Some(found)) => found,
        (Depth::Run, None) => checks::reconcile_all(contract, dataset, here_files, partition, options.sample)?,
    };
    let sql_results = match (depth, &options.executor) {
        (Depth::Explain, _) => HashMap::new(),
        // On Spark, a query of one aggregate is Spark's; others the client runs (see the module).
        #[cfg(feature = "spark")]
        (Depth::Run, super::Executor::Spark(session)) => {
            let client = || checks::run_sql_checks(contract, dataset, here_files, partition, &inputs, typed);
            super::spark_sql_checks::run_all(
                session, contract, dataset, here_files, partition, &inputs, &schema, client,
            )?
        }
        (Depth::Run, _) => checks::run_sql_checks(contract, dataset, here_files, partition, &inputs, typed)?,
    };
    let unreadable = match checked_files.first() {
        Some(first) => dataset.unreadable_columns(first)?,
        None => Vec::new(),
    };
    Ok(Gathered {
        schema,
        inputs,
        row_history: history,
        metric_history,
        referenced_keys,
        engine_key_sets,
        unique_elsewhere,
        drift,
        absent,
        reconciled,
        sql_results,
        unreadable,
    })
}
