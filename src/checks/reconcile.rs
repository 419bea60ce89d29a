//! `reconcile: {with, key, …}` — the checked data against another dataset (its source, or the
//! shadow output of a rewritten pipeline): row counts, and by key, the keys missing on either
//! side, duplicate keys, and the values of matching rows. One comparison serves every check of
//! the group: both sides are read once (key and compared columns only), keys are matched with
//! one full join of the distinct keys, and every count comes from one pass over the join.
//!
//! Partition-aware: when both sides are hive-partitioned, the checked partition is compared with
//! the partition of the same value on the other side (none: an empty side).

use std::collections::HashMap;
use std::path::PathBuf;

use polars::prelude::*;
use serde_json::{json, Value};

use super::{CheckContext, Planning};
use crate::contract::{CheckKind, Contract, DatasetCheck, Limits, ReconcilePart, ReconcileWith, Tolerance};
use crate::rules::{decided, Evidence, Measured, Planned};
use crate::source::{normalize, DataError, Dataset, Partition};

/// What one group's comparison found.
#[derive(Debug, Clone)]
pub struct Reconciled {
    /// The other side as reports name it.
    pub there: String,
    pub here_rows: u64,
    pub there_rows: u64,
    /// With a key.
    pub keyed: Option<Keyed>,
}

/// Counts and samples of a comparison by key. Samples are (value, count), ordered by key.
#[derive(Debug, Clone, Default)]
pub struct Keyed {
    /// Distinct keys on each side (rows with a null key part are not compared).
    pub here_keys: u64,
    pub there_keys: u64,
    pub unkeyed: (u64, u64),
    pub missing: (u64, Vec<(Value, u64)>),
    pub extra: (u64, Vec<(Value, u64)>),
    /// Rows sharing their key with another row: (here, there, samples).
    pub duplicates: (u64, u64, Vec<(Value, u64)>),
    /// Keys on both sides.
    pub matched: u64,
    /// Per compared column: differing matched rows and samples, or why it cannot be compared.
    pub values: HashMap<String, Result<Counted, String>>,
}

/// A count with its samples (value, rows), most telling first.
pub type Counted = (u64, Vec<(Value, u64)>);

const HERE: &str = "__tollgate_here";
const THERE: &str = "__tollgate_there";

pub fn there_name(column: &str) -> String {
    format!("{column}__tollgate_there")
}

fn differs_name(i: usize) -> String {
    format!("__tollgate_differs_{i}")
}

/// The other side's dataset, its display name and the files to compare.
fn open_other(
    contract: &Contract,
    with: &ReconcileWith,
    partition: Option<&Partition>,
) -> Result<Result<(Dataset, Vec<PathBuf>), String>, DataError> {
    let (path, format, csv, partition_key, options) = if with.contract {
        let file = contract.resolve(&with.path);
        let other = match crate::contract::load(&file) {
            Ok(other) => other,
            Err(invalid) => {
                return Ok(Err(format!("`with.contract` {} is not a valid contract: {invalid}", file.display())))
            }
        };
        if other.dataset.path.is_empty() {
            return Ok(Err(format!("`with.contract` {} names no data", file.display())));
        }
        let path = other.resolve(&other.dataset.path);
        (
            path,
            other.dataset.format,
            other.dataset.csv.clone(),
            other.dataset.partition_key.clone(),
            other.dataset.storage_options,
        )
    } else {
        let path = contract.resolve(&with.path);
        (
            path,
            with.format,
            with.csv.clone().unwrap_or_default(),
            with.partition_key.clone(),
            with.storage_options.clone(),
        )
    };
    if crate::remote::is_url(&path) {
        crate::remote::set_options(&path, &options);
    }
    let display = normalize(&path).to_string_lossy().into_owned();
    let other = Dataset::open(&path, display, format, csv, partition_key.as_deref())?;
    let files = match (partition, other.partition_key.is_some()) {
        (Some(p), true) => other.partition(&p.raw).map(|q| q.files.clone()).unwrap_or_default(),
        _ => other.files.clone(),
    };
    Ok(Ok((other, files)))
}

/// A group's key columns, the other side's dataset and the files of it compared.
pub type OtherSide<'c> = (&'c [String], Dataset, Vec<PathBuf>);

/// A group's key and its other side: the dataset and the files compared (the partition of the
/// checked one's value, when both are partitioned). `Ok(Err(reason))`: it cannot be opened as
/// named.
pub fn other_side<'c>(
    contract: &Contract,
    checks: &[&'c DatasetCheck],
    partition: Option<&Partition>,
) -> Result<Result<OtherSide<'c>, String>, DataError> {
    let Some(CheckKind::Reconcile { with, key, .. }) = checks.first().map(|c| &c.kind) else {
        return Ok(Err("no reconcile check".into()));
    };
    Ok(open_other(contract, with, partition)?.map(|(other, files)| (key.as_slice(), other, files)))
}

/// A scan of `files`, or an empty frame of the dataset's schema when there are none.
pub fn scan_or_empty(dataset: &Dataset, files: &[PathBuf]) -> Result<LazyFrame, DataError> {
    if files.is_empty() {
        return Ok(dataset.scan(&dataset.files[..1.min(dataset.files.len())], &[])?.limit(0));
    }
    dataset.scan(files, &[])
}

fn run(lf: LazyFrame, file: &str) -> Result<DataFrame, DataError> {
    lf.collect().map_err(|e| DataError::new(file, e.to_string()))
}

fn count(df: &DataFrame, column: &str) -> u64 {
    df.column(column).ok().and_then(|c| c.get(0).ok()).and_then(|v| v.extract::<u64>()).unwrap_or(0)
}

/// A key as a sample shows it: its value, or a list for a compound key.
pub fn key_json(df: &DataFrame, key: &[String], row: usize) -> Value {
    let parts: Vec<Value> = key
        .iter()
        .map(|k| {
            df.column(k)
                .ok()
                .and_then(|c| c.get(row).ok())
                .map(|v| crate::values::json_value(&v))
                .unwrap_or(Value::Null)
        })
        .collect();
    if parts.len() == 1 {
        parts.into_iter().next().unwrap_or(Value::Null)
    } else {
        Value::Array(parts)
    }
}

/// Both sides equal, within `tolerance`; nulls equal nulls, NaN equals NaN. `as_float`: both
/// sides are compared as f64.
fn equal(here: Expr, there: Expr, tolerance: Tolerance, as_float: bool) -> Expr {
    let (here, there) =
        if as_float { (here.cast(DataType::Float64), there.cast(DataType::Float64)) } else { (here, there) };
    let both_null = here.clone().is_null().and(there.clone().is_null());
    // |x| without Polars' `abs` feature (a rebuild of Polars for one function).
    let abs = |x: Expr| when(x.clone().lt(lit(0.0))).then(lit(0.0) - x.clone()).otherwise(x);
    let difference = || abs(here.clone().cast(DataType::Float64) - there.clone().cast(DataType::Float64));
    let close = match tolerance {
        Tolerance::Exact => here.clone().eq(there.clone()),
        Tolerance::Absolute(t) => difference().lt_eq(lit(t)),
        Tolerance::Relative(r) => difference().lt_eq(lit(r) * abs(there.clone().cast(DataType::Float64))),
    };
    let same = both_null.or(close.fill_null(lit(false)));
    if as_float {
        same.or(here.is_nan().and(there.is_nan()).fill_null(lit(false)))
    } else {
        same
    }
}

/// What a keyed comparison compares, decided from both sides' columns before reading a row.
pub struct Decided {
    /// Compared columns that cannot be compared, with the reason (their checks are errors).
    pub values: HashMap<String, Result<Counted, String>>,
    /// Compared columns: name, tolerance, compared as f64.
    pub compared: Vec<(String, Tolerance, bool)>,
    /// Key columns of two integer types, joined as Int64.
    pub cast_keys: Vec<String>,
}

/// The key columns must be on both sides with one type (integers of any width join); each
/// compared column must be on both sides, of one type or numbers. `Err`: why the group cannot
/// be compared at all.
pub fn decide(
    here_display: &str,
    there_display: &str,
    key: &[String],
    checks: &[&DatasetCheck],
    here_schema: &Schema,
    there_schema: &Schema,
) -> Result<Decided, String> {
    let display = here_display;
    for k in key {
        let (Some(h), Some(t)) = (here_schema.get(k), there_schema.get(k)) else {
            let side = if here_schema.get(k).is_none() { display } else { there_display };
            return Err(format!("key column `{k}` is not in {side}"));
        };
        if h != t && !(h.is_integer() && t.is_integer()) {
            return Err(format!("key column `{k}` is {h} in {display} and {t} in {there_display}; cast one side"));
        }
    }
    // The compared columns that exist on both sides with comparable types.
    let mut values: HashMap<String, Result<Counted, String>> = HashMap::new();
    let mut compared: Vec<(String, Tolerance, bool)> = Vec::new();
    for check in checks {
        let CheckKind::Reconcile { part: ReconcilePart::Values { column, tolerance }, .. } = &check.kind else {
            continue;
        };
        let problem = match (here_schema.get(column), there_schema.get(column)) {
            (None, _) => Some(format!("`{column}` is not in {}", display)),
            (_, None) => Some(format!("`{column}` is not in {there_display}")),
            (Some(h), Some(t)) => {
                let numeric = h.is_numeric() && t.is_numeric();
                if !numeric && *tolerance != Tolerance::Exact {
                    Some(format!("`{column}` is {h}; a tolerance needs numbers on both sides"))
                } else if h != t && !numeric {
                    Some(format!("`{column}` is {h} in {} and {t} in {there_display}", display))
                } else {
                    None
                }
            }
        };
        match problem {
            Some(reason) => {
                values.insert(column.clone(), Err(reason));
            }
            None => {
                // Numbers of two types (a decimal and a float, say), or floats: compared as f64.
                let (h, t) = (here_schema.get(column), there_schema.get(column));
                let numeric = h.is_some_and(DataType::is_numeric) && t.is_some_and(DataType::is_numeric);
                let as_float =
                    h.is_some_and(DataType::is_float) || t.is_some_and(DataType::is_float) || (h != t && numeric);
                compared.push((column.clone(), *tolerance, as_float));
            }
        }
    }

    let cast_keys =
        key.iter().filter(|k| here_schema.get(k.as_str()) != there_schema.get(k.as_str())).cloned().collect();
    Ok(Decided { values, compared, cast_keys })
}

/// Compares the data (`here_files` of `dataset`) with the group's `with`, once for all its
/// checks. `Ok(Err(reason))`: the comparison cannot be made (a key column missing, types that
/// differ); every check of the group reports it as an error. A side that cannot be read is a
/// data error (exit 3), as for `references`.
pub fn compare(
    contract: &Contract,
    dataset: &Dataset,
    here_files: &[PathBuf],
    partition: Option<&Partition>,
    checks: &[&DatasetCheck],
    sample: usize,
) -> Result<Result<Reconciled, String>, DataError> {
    let (key, other, there_files) = match other_side(contract, checks, partition)? {
        Ok(found) => found,
        Err(reason) => return Ok(Err(reason)),
    };
    let there_display = other.display.clone();
    let here_lf = scan_or_empty(dataset, here_files)?;
    let there_lf = scan_or_empty(&other, &there_files)?;
    let here_schema = here_lf.clone().collect_schema().map_err(|e| DataError::new(&dataset.display, e.to_string()))?;
    let there_schema = there_lf.clone().collect_schema().map_err(|e| DataError::new(&there_display, e.to_string()))?;

    if key.is_empty() {
        // Row counts only (Parquet answers them from footers).
        let rows_of = |lf: LazyFrame, name: &str| -> Result<u64, DataError> {
            Ok(count(&run(lf.select([len().alias("n")]), name)?, "n"))
        };
        let (here_rows, there_rows) = (rows_of(here_lf, &dataset.display)?, rows_of(there_lf, &there_display)?);
        return Ok(Ok(Reconciled { there: there_display, here_rows, there_rows, keyed: None }));
    }

    let Decided { mut values, compared, cast_keys } =
        match decide(&dataset.display, &there_display, key, checks, &here_schema, &there_schema) {
            Ok(decided) => decided,
            Err(reason) => return Ok(Err(reason)),
        };
    let key_cols: Vec<Expr> = key.iter().map(|k| col(k.as_str())).collect();
    let full_key = key.iter().fold(lit(true), |acc, k| acc.and(col(k.as_str()).is_not_null()));
    // Integer keys of different widths join as Int64.
    let cast_keys = |lf: LazyFrame| {
        let casts: Vec<Expr> = cast_keys.iter().map(|k| col(k.as_str()).cast(DataType::Int64)).collect();
        if casts.is_empty() {
            lf
        } else {
            lf.with_columns(casts)
        }
    };
    let mut wanted: Vec<Expr> = key_cols.clone();
    wanted.extend(compared.iter().map(|(c, _, _)| col(c.as_str())));
    let here = cast_keys(here_lf.select(wanted.clone()));
    let there = cast_keys(there_lf.select(wanted));

    // Each side once: one group-by gives the distinct keys, each key's row count (duplicates: never
    // an N×M join) and its first row's values. Keys with a null part form groups of their own:
    // their rows are counted (rows without a full key cannot be matched), then set aside.
    let sum_of = |df: &DataFrame, marker: &str, which: Expr| -> Result<u64, DataError> {
        let n = col(marker).cast(DataType::UInt64);
        Ok(count(&run(df.clone().lazy().select([n.filter(which).sum().alias("s")]), &dataset.display)?, "s"))
    };
    let grouped = |lf: LazyFrame, marker: &str, rename: bool, name: &str| -> Result<(DataFrame, u64, u64), DataError> {
        let mut aggs = vec![len().alias(marker)];
        aggs.extend(compared.iter().map(|(c, _, _)| {
            let first = col(c.as_str()).first();
            if rename {
                first.alias(there_name(c))
            } else {
                first
            }
        }));
        let all = run(lf.group_by(key_cols.clone()).agg(aggs), name)?;
        let (rows, unkeyed) = (sum_of(&all, marker, lit(true))?, sum_of(&all, marker, full_key.clone().not())?);
        Ok((run(all.lazy().filter(full_key.clone()), name)?, rows, unkeyed))
    };
    let (here_groups, here_rows, here_unkeyed) = grouped(here, HERE, false, &dataset.display)?;
    let (there_groups, there_rows, there_unkeyed) = grouped(there, THERE, true, &there_display)?;
    let unkeyed_pair = (here_unkeyed, there_unkeyed);
    // Duplicate keys, most repeated first (ties by key): here's, then there's.
    let mut dup_samples = Vec::new();
    for (df, marker, side) in [(&here_groups, HERE, "here"), (&there_groups, THERE, "there")] {
        let by: Vec<PlSmallStr> =
            std::iter::once(PlSmallStr::from(marker)).chain(key.iter().map(|k| PlSmallStr::from(k.as_str()))).collect();
        let descending: Vec<bool> = std::iter::once(true).chain(key.iter().map(|_| false)).collect();
        let top = run(
            df.clone()
                .lazy()
                .filter(col(marker).gt(lit(1)))
                .sort(by, SortMultipleOptions::default().with_order_descending_multi(descending))
                .limit(sample as IdxSize),
            &dataset.display,
        )?;
        for row in 0..top.height() {
            let n = top.column(marker).ok().and_then(|c| c.get(row).ok()).and_then(|v| v.extract::<u64>()).unwrap_or(0);
            dup_samples.push((json!({"key": key_json(&top, key, row), "side": side}), n));
        }
    }
    dup_samples.truncate(sample);
    let repeated = |marker: &str| col(marker).gt(lit(1));
    let duplicate_rows = (sum_of(&here_groups, HERE, repeated(HERE))?, sum_of(&there_groups, THERE, repeated(THERE))?);

    // One full join of the distinct keys, kept in memory: the counts and the samples both read it.
    // The markers (row counts) are null on the side a key is absent from.
    let joined = run(
        here_groups.lazy().join(
            there_groups.lazy(),
            key_cols.clone(),
            key_cols.clone(),
            JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
        ),
        &dataset.display,
    )?
    .lazy();
    let both = col(HERE).is_not_null().and(col(THERE).is_not_null());
    let mut flags = Vec::new();
    for (i, (c, tolerance, float)) in compared.iter().enumerate() {
        let same = equal(col(c.as_str()), col(there_name(c).as_str()), *tolerance, *float);
        flags.push(both.clone().and(same.not()).alias(differs_name(i)));
    }
    let flagged = if flags.is_empty() { joined } else { joined.with_columns(flags) };
    let mut sums = vec![
        col(HERE).is_null().sum().cast(DataType::UInt64).alias("missing"),
        col(THERE).is_null().sum().cast(DataType::UInt64).alias("extra"),
        both.clone().sum().cast(DataType::UInt64).alias("matched"),
        col(HERE).is_not_null().sum().cast(DataType::UInt64).alias("here_keys"),
        col(THERE).is_not_null().sum().cast(DataType::UInt64).alias("there_keys"),
    ];
    sums.extend((0..compared.len()).map(|i| col(differs_name(i)).sum().cast(DataType::UInt64).alias(differs_name(i))));
    let totals = run(flagged.clone().select(sums), &dataset.display)?;
    let differing: Vec<u64> = (0..compared.len()).map(|i| count(&totals, &differs_name(i))).collect();
    let (missing, extra) = (count(&totals, "missing"), count(&totals, "extra"));

    // The samples: a second pass over the join, keeping only rows that failed something.
    let mut missing_samples = Vec::new();
    let mut extra_samples = Vec::new();
    let mut value_samples: Vec<Vec<(Value, u64)>> = vec![Vec::new(); compared.len()];
    if sample > 0 && (missing > 0 || extra > 0 || differing.iter().any(|d| *d > 0)) {
        let any = (0..compared.len())
            .fold(col(HERE).is_null().or(col(THERE).is_null()), |acc, i| acc.or(col(differs_name(i))));
        let sort_by: Vec<PlSmallStr> = key.iter().map(|k| k.as_str().into()).collect();
        let failing = run(flagged.filter(any).sort(sort_by, SortMultipleOptions::default()), &dataset.display)?;
        // A side's marker is null where the key is absent from that side.
        let absent = |marker: &str, row: usize| {
            failing.column(marker).ok().and_then(|c| c.get(row).ok()).is_some_and(|v| matches!(v, AnyValue::Null))
        };
        let cell = |name: &str, row: usize| {
            failing
                .column(name)
                .ok()
                .and_then(|c| c.get(row).ok())
                .map(|v| crate::values::json_value(&v))
                .unwrap_or(Value::Null)
        };
        for row in 0..failing.height() {
            if absent(HERE, row) && missing_samples.len() < sample {
                missing_samples.push((key_json(&failing, key, row), 1));
            }
            if absent(THERE, row) && extra_samples.len() < sample {
                extra_samples.push((key_json(&failing, key, row), 1));
            }
            for (i, (c, _, _)) in compared.iter().enumerate() {
                let differs = failing
                    .column(&differs_name(i))
                    .ok()
                    .and_then(|col| col.get(row).ok())
                    .is_some_and(|v| matches!(v, AnyValue::Boolean(true)));
                if differs && value_samples[i].len() < sample {
                    let shown = json!({"key": key_json(&failing, key, row), "here": cell(c, row), "there": cell(&there_name(c), row)});
                    value_samples[i].push((shown, 1));
                }
            }
        }
    }
    for (i, (c, _, _)) in compared.iter().enumerate() {
        values.insert(c.clone(), Ok((differing[i], std::mem::take(&mut value_samples[i]))));
    }
    let keyed = Some(Keyed {
        here_keys: count(&totals, "here_keys"),
        there_keys: count(&totals, "there_keys"),
        unkeyed: unkeyed_pair,
        missing: (missing, missing_samples),
        extra: (extra, extra_samples),
        duplicates: (duplicate_rows.0, duplicate_rows.1, dup_samples),
        matched: count(&totals, "matched"),
        values,
    });
    Ok(Ok(Reconciled { there: there_display, here_rows, there_rows, keyed }))
}

/// The contract's reconcile checks by group, in the contract's order.
pub fn groups(contract: &Contract) -> Vec<(&str, Vec<&DatasetCheck>)> {
    let mut groups: Vec<(&str, Vec<&DatasetCheck>)> = Vec::new();
    for check in &contract.checks {
        if let CheckKind::Reconcile { group, .. } = &check.kind {
            match groups.iter_mut().find(|(g, _)| g == group) {
                Some((_, checks)) => checks.push(check),
                None => groups.push((group, vec![check])),
            }
        }
    }
    groups
}

/// Every reconcile group of the contract, compared once each.
pub fn compare_all(
    contract: &Contract,
    dataset: &Dataset,
    here_files: &[PathBuf],
    partition: Option<&Partition>,
    sample: usize,
) -> Result<HashMap<String, Result<Reconciled, String>>, DataError> {
    let mut out = HashMap::new();
    for (group, checks) in groups(contract) {
        out.insert(group.to_string(), compare(contract, dataset, here_files, partition, &checks, sample)?);
    }
    Ok(out)
}

fn judged(failures: u64, passed: bool, observed: Value, message: String, samples: Vec<(Value, u64)>) -> Planned {
    let mut planned =
        decided(Measured { skipped: None, failures: Some(failures), observed, passed, message, details: None });
    if !samples.is_empty() {
        planned.evidence = Some(Evidence::Known(samples));
    }
    planned
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".into();
    }
    format!("{:.3}%", part as f64 * 100.0 / whole as f64)
}

pub fn plan(group: &str, part: &ReconcilePart, limits: Limits, ctx: &CheckContext) -> Planning {
    let Some(found) = ctx.reconciled.get(group) else {
        return Planning::Error(format!("reconcile `{group}` was not compared"));
    };
    let r = match found {
        Ok(r) => r,
        Err(reason) => return Planning::Error(reason.clone()),
    };
    let there = &r.there;
    let keyed = || r.keyed.as_ref().ok_or_else(|| "this comparison needs a key".to_string());
    let planned = match part {
        ReconcilePart::RowCount { max_difference, max_difference_rate } => {
            let difference = r.here_rows.abs_diff(r.there_rows);
            let rate = if r.there_rows == 0 {
                if difference == 0 {
                    0.0
                } else {
                    f64::INFINITY
                }
            } else {
                difference as f64 / r.there_rows as f64
            };
            let passed = match (max_difference, max_difference_rate) {
                (None, None) => difference == 0,
                (d, q) => d.is_none_or(|d| difference <= d) && q.is_none_or(|q| rate <= q),
            };
            let message = format!(
                "{} rows here, {} in {there}: a difference of {difference} ({})",
                r.here_rows,
                r.there_rows,
                percent(difference, r.there_rows)
            );
            judged(difference, passed, json!(difference), message, Vec::new())
        }
        ReconcilePart::MissingKeys => match keyed() {
            Err(e) => return Planning::Error(e),
            Ok(k) => {
                let (n, samples) = &k.missing;
                let message = format!("{n} of {} keys in {there} are not here", k.there_keys);
                judged(*n, limits.holds(*n, k.there_keys), json!(n), message, samples.clone())
            }
        },
        ReconcilePart::ExtraKeys => match keyed() {
            Err(e) => return Planning::Error(e),
            Ok(k) => {
                let (n, samples) = &k.extra;
                let message = format!("{n} of {} keys here are not in {there}", k.here_keys);
                judged(*n, limits.holds(*n, k.here_keys), json!(n), message, samples.clone())
            }
        },
        ReconcilePart::DuplicateKeys => match keyed() {
            Err(e) => return Planning::Error(e),
            Ok(k) => {
                let (here, there_dups, samples) = &k.duplicates;
                let n = here + there_dups;
                let mut message =
                    format!("{here} rows here and {there_dups} in {there} share their key with another row");
                if n > 0 {
                    message.push_str(" (the first of each is compared)");
                }
                if k.unkeyed != (0, 0) {
                    message.push_str(&format!(
                        "; {} rows here and {} there have no full key and were not compared",
                        k.unkeyed.0, k.unkeyed.1
                    ));
                }
                judged(n, limits.holds(n, r.here_rows + r.there_rows), json!(n), message, samples.clone())
            }
        },
        ReconcilePart::Values { column, tolerance } => match keyed() {
            Err(e) => return Planning::Error(e),
            Ok(k) => match k.values.get(column) {
                None => return Planning::Error(format!("`{column}` was not compared")),
                Some(Err(reason)) => return Planning::Error(reason.clone()),
                Some(Ok((n, samples))) => {
                    let within = match tolerance {
                        Tolerance::Exact => "equal".to_string(),
                        Tolerance::Absolute(t) => format!("within {t}"),
                        Tolerance::Relative(t) => format!("within {t} of the value there"),
                    };
                    let message = format!("{n} of {} matching rows differ in `{column}` (not {within})", k.matched);
                    judged(*n, limits.holds(*n, k.matched), json!(n), message, samples.clone())
                }
            },
        },
    };
    Planning::Plan(planned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn differs(a: Vec<Option<f64>>, b: Vec<Option<f64>>, tolerance: Tolerance) -> Vec<bool> {
        let df = df!("a" => a, "b" => b).unwrap();
        let out = df.lazy().select([equal(col("a"), col("b"), tolerance, true).not().alias("d")]).collect().unwrap();
        let d = out.column("d").unwrap();
        (0..d.len()).map(|i| matches!(d.get(i).unwrap(), AnyValue::Boolean(true))).collect()
    }

    #[test]
    fn nulls_equal_nulls_and_tolerances_are_inclusive() {
        let a = vec![Some(1.0), None, None, Some(1.0), Some(f64::NAN), Some(100.0)];
        let b = vec![Some(1.0), None, Some(1.0), None, Some(f64::NAN), Some(101.0)];
        assert_eq!(differs(a.clone(), b.clone(), Tolerance::Exact), [false, false, true, true, false, true]);
        assert_eq!(differs(a.clone(), b.clone(), Tolerance::Absolute(1.0)), [false, false, true, true, false, false]);
        assert_eq!(differs(a.clone(), b.clone(), Tolerance::Relative(0.005)), [false, false, true, true, false, true]);
        assert_eq!(differs(a, b, Tolerance::Relative(0.01)), [false, false, true, true, false, false]);
    }
}
