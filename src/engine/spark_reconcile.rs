//! `reconcile` on Spark: both sides read by Spark, with the local engine's answers. What is
//! compared is decided as locally (`checks::reconcile::decide`, from both sides' columns); each
//! side is grouped by key once (its rows per key and the first row's compared values, first by
//! file and row), the groups are cached and fully joined, and every count and sample is a query
//! over them. A side of CSV files is compared by this process instead (Spark does not read CSV
//! by SPEC §1's rules), as the local engine does.

use std::collections::HashMap;
use std::path::PathBuf;

use polars::prelude::*;
use serde_json::{json, Value};

use super::on_spark::{ask, partition_tag, spark_path, FILE_COLUMN, ROW_IN_FILE};
use crate::checks::reconcile::{
    decide, groups, key_json, other_side, scan_or_empty, there_name, Counted, Keyed, Reconciled,
};
use crate::contract::{Contract, DatasetCheck, Format, Tolerance};
use crate::source::{DataError, Dataset, Partition};
use crate::spark::sql::{ident, string_literal};
use crate::spark::Session;

const HERE_VIEW: &str = "__tollgate_reconcile_here";
const THERE_VIEW: &str = "__tollgate_reconcile_there";
const HERE_GROUPS: &str = "__tollgate_reconcile_here_groups";
const THERE_GROUPS: &str = "__tollgate_reconcile_there_groups";
const JOINED: &str = "__tollgate_reconcile_joined";

/// Every reconcile group of the contract, compared once each (see `checks::reconcile::compare_all`).
pub(super) fn compare_all(
    session: &Session,
    contract: &Contract,
    dataset: &Dataset,
    here_files: &[PathBuf],
    partition: Option<&Partition>,
    sample: usize,
) -> Result<HashMap<String, Result<Reconciled, String>>, DataError> {
    let mut out = HashMap::new();
    for (group, checks) in groups(contract) {
        let compared = compare(session, contract, dataset, here_files, partition, &checks, sample);
        // The cached groups are the session's; a failure to drop them changes no answer.
        for view in [JOINED, HERE_GROUPS, THERE_GROUPS] {
            let _ = session.query(&format!("DROP VIEW IF EXISTS {view}"));
        }
        out.insert(group.to_string(), compared?);
    }
    Ok(out)
}

/// Registers `view` over `files` (numbered, with each row's index in its file); an empty side
/// reads the dataset's first file with no rows.
fn register_files(session: &Session, dataset: &Dataset, view: &str, files: &[PathBuf]) -> Result<(), DataError> {
    let (read, empty) = match files {
        [] => (dataset.files.iter().take(1).cloned().collect::<Vec<_>>(), true),
        _ => (files.to_vec(), false),
    };
    let parts: Vec<(String, Vec<String>)> = read
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (
                spark_path(f),
                vec![
                    format!("{i} AS {}", ident(FILE_COLUMN)),
                    format!("_metadata.row_index AS {}", ident(ROW_IN_FILE)),
                ],
            )
        })
        .collect();
    let files_view = format!("{view}_files");
    session.register_parquet_union(&files_view, &parts).map_err(|e| DataError::new(&dataset.display, e.to_string()))?;
    let only = if empty { " WHERE FALSE" } else { "" };
    ask(session, dataset, &format!("CREATE OR REPLACE TEMPORARY VIEW {view} AS SELECT * FROM {files_view}{only}"))?;
    Ok(())
}

/// The checked side: its files, or for a dataset only Spark reads, its relation (the partition's
/// rows), whose rows have no file order.
pub(super) fn register_here(
    session: &Session,
    dataset: &Dataset,
    here_files: &[PathBuf],
    partition: Option<&Partition>,
    view_name: &str,
) -> Result<Option<Schema>, DataError> {
    let Some(relation) = &dataset.read_by_engine else {
        register_files(session, dataset, view_name, here_files)?;
        return Ok(None);
    };
    let only = match (dataset.partition_key.as_deref(), partition) {
        (Some(key), Some(p)) => format!(" WHERE {} = {}", partition_tag(key), string_literal(&p.raw)),
        _ => String::new(),
    };
    // Rows in file order where Spark knows their files (a file source's `_metadata`: the path
    // orders a partition's files by name, as tollgate lists them); else in no order.
    let view = |file: &str, row: &str| {
        format!(
            "CREATE OR REPLACE TEMPORARY VIEW {view_name} AS SELECT *, {file} AS {}, {row} AS {} FROM {}{only}",
            ident(FILE_COLUMN),
            ident(ROW_IN_FILE),
            relation.sql
        )
    };
    let ordered = view("_metadata.file_path", "_metadata.row_index");
    if session.query(&ordered).and_then(|_| session.query(&format!("SELECT * FROM {view_name} LIMIT 0"))).is_err() {
        ask(session, dataset, &view("CAST(NULL AS STRING)", "CAST(NULL AS BIGINT)"))?;
    }
    let probe = ask(session, dataset, &format!("SELECT * FROM {view_name} LIMIT 0"))?;
    let mut schema = probe.schema().as_ref().clone();
    for internal in [FILE_COLUMN, ROW_IN_FILE] {
        schema.shift_remove(internal);
    }
    Ok(Some(schema))
}

fn count(df: &DataFrame, column: &str) -> u64 {
    df.column(column).ok().and_then(|c| c.get(0).ok()).and_then(|v| v.extract::<u64>()).unwrap_or(0)
}

/// A double literal Spark reads as `value` (exponent form: a plain decimal is a DECIMAL there).
fn double(value: f64) -> String {
    format!("CAST({} AS DOUBLE)", string_literal(&format!("{value:e}")))
}

/// Both sides equal, within `tolerance`, as `checks::reconcile::equal` says: nulls equal nulls,
/// NaN equals NaN, floats (and numbers of two types) compared as doubles.
fn equal_sql(here: &str, there: &str, tolerance: Tolerance, as_float: bool) -> String {
    let (h, t) = if as_float {
        (format!("CAST({here} AS DOUBLE)"), format!("CAST({there} AS DOUBLE)"))
    } else {
        (here.to_string(), there.to_string())
    };
    let difference = format!("abs(CAST({h} AS DOUBLE) - CAST({t} AS DOUBLE))");
    let close = match tolerance {
        Tolerance::Exact => format!("{h} = {t}"),
        Tolerance::Absolute(a) => format!("{difference} <= {}", double(a)),
        Tolerance::Relative(r) => format!("{difference} <= {} * abs(CAST({t} AS DOUBLE))", double(r)),
    };
    let mut same = format!("(({h} IS NULL AND {t} IS NULL) OR coalesce({close}, FALSE)");
    if as_float {
        same.push_str(&format!(" OR coalesce(isnan({h}) AND isnan({t}), FALSE)"));
    }
    same.push(')');
    same
}

fn compare(
    session: &Session,
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
    if other.format == Format::Csv || dataset.format == Format::Csv {
        return crate::checks::reconcile::compare(contract, dataset, here_files, partition, checks, sample);
    }
    let there_display = other.display.clone();
    // Both sides' columns as the local engine sees them: the files' footers (Spark's own types
    // for a dataset only it reads).
    let here_schema = match register_here(session, dataset, here_files, partition, HERE_VIEW)? {
        Some(schema) => schema,
        None => scan_or_empty(dataset, here_files)?
            .collect_schema()
            .map_err(|e| DataError::new(&dataset.display, e.to_string()))?
            .as_ref()
            .clone(),
    };
    register_files(session, &other, THERE_VIEW, &there_files)?;
    let there_schema = scan_or_empty(&other, &there_files)?
        .collect_schema()
        .map_err(|e| DataError::new(&there_display, e.to_string()))?
        .as_ref()
        .clone();

    if key.is_empty() {
        let rows_of = |view: &str| -> Result<u64, DataError> {
            Ok(count(&ask(session, dataset, &format!("SELECT count(*) AS n FROM {view}"))?, "n"))
        };
        let (here_rows, there_rows) = (rows_of(HERE_VIEW)?, rows_of(THERE_VIEW)?);
        return Ok(Ok(Reconciled { there: there_display, here_rows, there_rows, keyed: None }));
    }
    let decided = match decide(&dataset.display, &there_display, key, checks, &here_schema, &there_schema) {
        Ok(decided) => decided,
        Err(reason) => return Ok(Err(reason)),
    };
    let mut values = decided.values;
    let compared = decided.compared;

    // Each side grouped by key, cached: rows per key and the first row's compared values.
    let keys: Vec<String> = key.iter().map(|k| ident(k)).collect();
    let key_exprs: Vec<String> = key
        .iter()
        .map(|k| match decided.cast_keys.contains(k) {
            true => format!("CAST({} AS BIGINT) AS {}", ident(k), ident(k)),
            false => ident(k),
        })
        .collect();
    let full = keys.iter().map(|k| format!("{k} IS NOT NULL")).collect::<Vec<_>>().join(" AND ");
    let order = format!("named_struct('f', {}, 'r', {})", ident(FILE_COLUMN), ident(ROW_IN_FILE));
    for (view, groups) in [(HERE_VIEW, HERE_GROUPS), (THERE_VIEW, THERE_GROUPS)] {
        let mut columns = key_exprs.clone();
        columns.extend(compared.iter().map(|(c, _, _)| ident(c)));
        columns.extend([ident(FILE_COLUMN), ident(ROW_IN_FILE)]);
        let mut aggregates = vec!["count(*) AS __n".to_string()];
        if !compared.is_empty() {
            let fields: Vec<String> =
                compared.iter().enumerate().map(|(i, (c, _, _))| format!("'v{i}', {}", ident(c))).collect();
            aggregates.push(format!("min_by(named_struct({}), {order}) AS __first", fields.join(", ")));
        }
        ask(session, dataset, &format!("DROP VIEW IF EXISTS {groups}"))?;
        ask(
            session,
            dataset,
            &format!(
                "CACHE TABLE {groups} AS SELECT {keys}, {aggregates}, {full} AS __full FROM (SELECT {columns} FROM \
                 {view}) AS side GROUP BY {keys}",
                keys = keys.join(", "),
                aggregates = aggregates.join(", "),
                columns = columns.join(", "),
            ),
        )?;
    }
    let side = |groups: &str| -> Result<(u64, u64, u64), DataError> {
        let df = ask(
            session,
            dataset,
            &format!(
                "SELECT coalesce(sum(__n), 0) AS total, coalesce(sum(CASE WHEN NOT __full THEN __n END), 0) AS \
                 unkeyed, coalesce(sum(CASE WHEN __full AND __n > 1 THEN __n END), 0) AS repeated FROM {groups}"
            ),
        )?;
        Ok((count(&df, "total"), count(&df, "unkeyed"), count(&df, "repeated")))
    };
    let (here_rows, here_unkeyed, here_repeated) = side(HERE_GROUPS)?;
    let (there_rows, there_unkeyed, there_repeated) = side(THERE_GROUPS)?;
    // Duplicate keys, most repeated first (ties by key): here's, then there's.
    let mut dup_samples = Vec::new();
    for (groups, name) in [(HERE_GROUPS, "here"), (THERE_GROUPS, "there")] {
        let order: Vec<String> = keys.iter().map(|k| format!("{k} ASC")).collect();
        let top = ask(
            session,
            dataset,
            &format!(
                "SELECT {}, __n FROM {groups} WHERE __full AND __n > 1 ORDER BY __n DESC, {} LIMIT {sample}",
                keys.join(", "),
                order.join(", ")
            ),
        )?;
        for row in 0..top.height() {
            let n = top.column("__n").ok().and_then(|c| c.get(row).ok()).and_then(|v| v.extract::<u64>()).unwrap_or(0);
            dup_samples.push((json!({"key": key_json(&top, key, row), "side": name}), n));
        }
    }
    dup_samples.truncate(sample);

    // One full join of the full keys: the markers (rows per key) are null on a side the key is
    // absent from; a compared column differs where both sides have the key and values differ.
    let mut joined = keys.iter().map(|k| format!("coalesce(h.{k}, t.{k}) AS {k}")).collect::<Vec<_>>();
    joined.extend(["h.__n AS __here".to_string(), "t.__n AS __there".to_string()]);
    for (i, (c, tolerance, float)) in compared.iter().enumerate() {
        let (h, t) = (format!("h.__first.v{i}"), format!("t.__first.v{i}"));
        joined.push(format!("{h} AS {}", ident(c)));
        joined.push(format!("{t} AS {}", ident(&there_name(c))));
        joined.push(format!(
            "(h.__n IS NOT NULL AND t.__n IS NOT NULL AND NOT {}) AS __differs{i}",
            equal_sql(&h, &t, *tolerance, *float)
        ));
    }
    let on: Vec<String> = keys.iter().map(|k| format!("h.{k} = t.{k}")).collect();
    ask(session, dataset, &format!("DROP VIEW IF EXISTS {JOINED}"))?;
    ask(
        session,
        dataset,
        &format!(
            "CREATE TEMPORARY VIEW {JOINED} AS SELECT {} FROM (SELECT * FROM {HERE_GROUPS} WHERE __full) AS h FULL \
             OUTER JOIN (SELECT * FROM {THERE_GROUPS} WHERE __full) AS t ON {}",
            joined.join(", "),
            on.join(" AND ")
        ),
    )?;
    let mut sums = vec![
        "count_if(__here IS NULL) AS missing".to_string(),
        "count_if(__there IS NULL) AS extra".to_string(),
        "count_if(__here IS NOT NULL AND __there IS NOT NULL) AS matched".to_string(),
        "count_if(__here IS NOT NULL) AS here_keys".to_string(),
        "count_if(__there IS NOT NULL) AS there_keys".to_string(),
    ];
    sums.extend((0..compared.len()).map(|i| format!("count_if(__differs{i}) AS __differs{i}")));
    let totals = ask(session, dataset, &format!("SELECT {} FROM {JOINED}", sums.join(", ")))?;
    let differing: Vec<u64> = (0..compared.len()).map(|i| count(&totals, &format!("__differs{i}"))).collect();
    let (missing, extra) = (count(&totals, "missing"), count(&totals, "extra"));

    // Samples: the first failing keys in key order, per comparison.
    let by_key: Vec<String> = keys.iter().map(|k| format!("{k} ASC")).collect();
    let first_keys = |condition: &str, shown: &[String]| -> Result<DataFrame, DataError> {
        let mut columns = keys.clone();
        columns.extend(shown.iter().cloned());
        ask(
            session,
            dataset,
            &format!(
                "SELECT {} FROM {JOINED} WHERE {condition} ORDER BY {} LIMIT {sample}",
                columns.join(", "),
                by_key.join(", ")
            ),
        )
    };
    let keys_of =
        |df: &DataFrame| -> Vec<(Value, u64)> { (0..df.height()).map(|r| (key_json(df, key, r), 1)).collect() };
    let (mut missing_samples, mut extra_samples) = (Vec::new(), Vec::new());
    if sample > 0 && missing > 0 {
        missing_samples = keys_of(&first_keys("__here IS NULL", &[])?);
    }
    if sample > 0 && extra > 0 {
        extra_samples = keys_of(&first_keys("__there IS NULL", &[])?);
    }
    for (i, (c, _, _)) in compared.iter().enumerate() {
        let mut samples: Vec<(Value, u64)> = Vec::new();
        if sample > 0 && differing[i] > 0 {
            let df = first_keys(&format!("__differs{i}"), &[ident(c), ident(&there_name(c))])?;
            let cell = |name: &str, row: usize| {
                df.column(name)
                    .ok()
                    .and_then(|col| col.get(row).ok())
                    .map(|v| crate::values::json_value(&v))
                    .unwrap_or(Value::Null)
            };
            for row in 0..df.height() {
                let shown =
                    json!({"key": key_json(&df, key, row), "here": cell(c, row), "there": cell(&there_name(c), row)});
                samples.push((shown, 1));
            }
        }
        let counted: Counted = (differing[i], samples);
        values.insert(c.clone(), Ok(counted));
    }
    let keyed = Some(Keyed {
        here_keys: count(&totals, "here_keys"),
        there_keys: count(&totals, "there_keys"),
        unkeyed: (here_unkeyed, there_unkeyed),
        missing: (missing, missing_samples),
        extra: (extra, extra_samples),
        duplicates: (here_repeated, there_repeated, dup_samples),
        matched: count(&totals, "matched"),
        values,
    });
    Ok(Ok(Reconciled { there: there_display, here_rows, there_rows, keyed }))
}
