//! Custom SQL, in Polars' SQL dialect:
//! - `sql` (and ODCS `type: sql`): a read-only query over the checked data (the checked partition
//!   only) that returns one number, compared with its bounds. Its own query, after the pass.
//! - `where_not`: rows where an SQL condition is false or null fail. The condition becomes a
//!   Polars expression of the single pass, so it counts, samples and quarantines like any rule.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use polars::sql::SQLContext;

use super::{CheckContext, Planning};
use crate::contract::{CheckKind, Condition, Contract, Limits};
use crate::rules::{counted, decided, ColumnInput, Evidence, Measured, Planned};
use crate::source::{normalize, DataError, Dataset, Partition};

/// Each `sql` check's id, query and the names its data goes by.
pub fn queries(contract: &Contract) -> Vec<(String, &str, &[String])> {
    contract
        .checks
        .iter()
        .filter_map(|c| match &c.kind {
            CheckKind::Sql { query, tables, .. } => Some((c.id(), query.as_str(), tables.as_slice())),
            _ => None,
        })
        .collect()
}

/// Runs every `sql` check of the contract over the checked data: each query's number, or why
/// it could not be computed (SQL Polars cannot run, a result that is not one number).
/// `inputs` supply the typed values of declared CSV columns, as the rules see them.
pub fn evaluate_all(
    contract: &Contract,
    dataset: &Dataset,
    files: &[PathBuf],
    partition: Option<&Partition>,
    inputs: &HashMap<String, ColumnInput>,
    typed: &[(String, crate::types::DeclaredType)],
) -> Result<HashMap<String, Result<f64, String>>, DataError> {
    let queries = queries(contract);
    let mut out = HashMap::new();
    if queries.is_empty() {
        return Ok(out);
    }
    let mut data = dataset.scan(files, typed)?;
    if let Some(p) = partition {
        data = data.with_column(dataset.partition_literal(p));
    }
    let typed_values: Vec<Expr> =
        inputs.values().filter(|i| i.raw.is_some()).map(|i| i.value.clone().alias(i.name.as_str())).collect();
    if !typed_values.is_empty() {
        data = data.with_columns(typed_values);
    }
    // `references` datasets are further tables, by their file or folder name (`customers`).
    let mut others: Vec<(String, LazyFrame)> = Vec::new();
    for check in &contract.checks {
        if let CheckKind::References { dataset: other, format, csv, .. } = &check.kind {
            let path = contract.resolve(other);
            let name = table_name_of(&path);
            if others.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let display = normalize(&path).to_string_lossy().into_owned();
            let opened = Dataset::open(&path, display, *format, csv.clone().unwrap_or_default(), None)?;
            others.push((name, opened.scan(&opened.files, &[])?));
        }
    }
    for (id, query, tables) in queries {
        let mut sql = SQLContext::new();
        for (name, lf) in &others {
            sql.register(name, lf.clone());
        }
        for table in tables {
            sql.register(table, data.clone());
        }
        out.insert(id, number_of(&mut sql, query));
    }
    Ok(out)
}

/// `../fixtures/customers.parquet` → `customers`.
fn table_name_of(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name.split('.').next().unwrap_or(&name).to_string()
}

fn number_of(sql: &mut SQLContext, query: &str) -> Result<f64, String> {
    let lf = sql.execute(query).map_err(|e| format!("Polars SQL cannot run the query: {e}"))?;
    let df = lf.collect().map_err(|e| format!("the query failed: {e}"))?;
    if df.height() != 1 || df.width() != 1 {
        return Err(format!(
            "the query returned {} row(s) of {} column(s); it must return one number",
            df.height(),
            df.width()
        ));
    }
    let value = df.columns()[0].get(0).map_err(|e| e.to_string())?;
    match value {
        AnyValue::Null => Err("the query returned null; it must return one number".into()),
        other => other.extract::<f64>().ok_or_else(|| format!("the query returned `{other}`, not a number")),
    }
}

/// A `sql` check: its number against its bounds.
pub fn plan_sql(id: &str, condition: Condition, ctx: &CheckContext) -> Planning {
    match ctx.sql_results.get(id) {
        None => Planning::Error("the query was not run".into()),
        Some(Err(reason)) => Planning::Error(reason.clone()),
        Some(Ok(value)) => {
            let passed = condition.holds(*value);
            Planning::Plan(decided(Measured {
                skipped: None,
                failures: Some(u64::from(!passed)),
                observed: crate::values::float_json(*value),
                passed,
                message: format!(
                    "the query returned {value}, which {} {}",
                    if passed { "is" } else { "is not" },
                    condition.describe()
                ),
                details: None,
            }))
        }
    }
}

/// A `where_not` check: the condition as an expression of the single pass, over the typed
/// values the rules see.
pub fn plan_where_not(condition: &str, show: &[String], limits: Limits, ctx: &CheckContext) -> Result<Planned, String> {
    let expr = polars::sql::sql_expr(condition).map_err(|e| format!("Polars SQL cannot run the condition: {e}"))?;
    let mut missing = None;
    let expr = expr.map_expr(|e| match e {
        Expr::Column(name) => match ctx.columns.get(name.as_str()) {
            Some(input) => input.value.clone(),
            None => {
                missing.get_or_insert_with(|| name.to_string());
                Expr::Column(name)
            }
        },
        other => other,
    });
    if let Some(name) = missing {
        return Err(crate::contract::diagnostic::missing_column(&name, ctx.data_columns));
    }
    let values: Vec<Expr> =
        show.iter().map(|c| ctx.column(c).map(|i| i.value.clone().alias(c.as_str()))).collect::<Result<_, _>>()?;
    let value = match values.as_slice() {
        [one] => one.clone(),
        _ => as_struct(values),
    };
    let failing = expr.fill_null(lit(false)).not();
    let shown = condition.to_string();
    Ok(counted(failing.clone(), len(), limits, Some(Evidence::Where { failing, value }), move |f, n| {
        format!("{f} of {n} rows do not satisfy `{shown}`")
    }))
}
