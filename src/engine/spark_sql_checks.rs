//! `sql` checks on Spark, where the query is one aggregate over the checked data, optionally
//! filtered: `SELECT <aggregate> FROM <table> [WHERE <condition>]`. Its expressions are read by
//! Polars' SQL (`sql_expr`, the dialect of SPEC §1.3, as the local engine reads them) and written
//! as Spark SQL with Polars' meaning (`spark::sql::Writer`). Any other query (joins, groups,
//! subqueries, other tables) is run by this process as the local engine runs it, which reads the
//! data; on a dataset only Spark reads, that check is `error`, saying why.

use std::collections::HashMap;
use std::path::PathBuf;

use polars::prelude::*;
use sqlparser::ast::{SelectItem, SetExpr, Statement, TableFactor};

use super::on_spark::ask;
use super::spark_reconcile::register_here;
use crate::contract::Contract;
use crate::rules::ColumnInput;
use crate::source::{DataError, Dataset, Partition};
use crate::spark::sql::{ident, Untranslatable, Writer};
use crate::spark::Session;

/// The view of the checked rows the queries read.
const CHECKED_VIEW: &str = "__tollgate_sql_checked";

/// The query as its aggregate and condition, if it is of the one shape run on Spark.
fn one_aggregate(query: &str, tables: &[String]) -> Option<(String, Option<String>)> {
    let dialect = sqlparser::dialect::GenericDialect {};
    let mut statements = sqlparser::parser::Parser::parse_sql(&dialect, query).ok()?;
    let (Some(Statement::Query(parsed)), None) = (statements.pop(), statements.pop()) else { return None };
    let SetExpr::Select(select) = parsed.body.as_ref() else { return None };
    let ([item], [from]) = (select.projection.as_slice(), select.from.as_slice()) else { return None };
    let aggregate = match item {
        SelectItem::UnnamedExpr(e) => e.to_string(),
        SelectItem::ExprWithAlias { expr, .. } => expr.to_string(),
        _ => return None,
    };
    let TableFactor::Table { name, alias: None, .. } = &from.relation else { return None };
    if !from.joins.is_empty() || !tables.iter().any(|t| *t == name.to_string()) {
        return None;
    }
    // Nothing else in the query: it prints back as exactly these parts.
    let condition = select.selection.as_ref().map(|c| c.to_string());
    let mut rebuilt = format!("SELECT {item} FROM {name}");
    if let Some(c) = &condition {
        rebuilt.push_str(&format!(" WHERE {c}"));
    }
    (parsed.to_string() == rebuilt).then_some((aggregate, condition))
}

/// `text` (an SQL expression) as the Polars expression the local engine evaluates, over the
/// typed values the rules see; `None` for a column not in the data.
fn polars_expr(text: &str, inputs: &HashMap<String, ColumnInput>, schema: &Schema) -> Option<Expr> {
    let expr = polars::sql::sql_expr(text).ok()?;
    let mut known = true;
    let expr = expr.map_expr(|e| match e {
        Expr::Column(name) => match inputs.get(name.as_str()) {
            Some(input) => input.value.clone(),
            None if schema.contains(name.as_str()) => Expr::Column(name),
            None => {
                known = false;
                Expr::Column(name)
            }
        },
        other => other,
    });
    known.then_some(expr)
}

/// Each `sql` check's number by check id: those of the one-aggregate shape from Spark, the
/// others from `client` (which reads the data itself).
#[allow(clippy::too_many_arguments)]
pub(super) fn run_all(
    session: &Session,
    contract: &Contract,
    dataset: &Dataset,
    here_files: &[PathBuf],
    partition: Option<&Partition>,
    inputs: &HashMap<String, ColumnInput>,
    schema: &Schema,
    client: impl FnOnce() -> Result<HashMap<String, Result<f64, String>>, DataError>,
) -> Result<HashMap<String, Result<f64, String>>, DataError> {
    let queries = crate::checks::sql_queries(contract);
    let mut out = HashMap::new();
    if queries.is_empty() {
        return Ok(out);
    }
    // The checked rows; `schema` holds their columns as the pass sees them (a partition of
    // files with its key as a column, which is added here as the local engine adds it).
    register_here(session, dataset, here_files, partition, CHECKED_VIEW)?;
    let mut source = format!("SELECT * FROM {CHECKED_VIEW}");
    if let (Some(p), None, Some(key)) = (partition, &dataset.read_by_engine, dataset.partition_key.as_deref()) {
        let empty = Schema::default();
        let value = Writer::new(&empty)
            .expr(&dataset.partition_literal(p))
            .map_err(|e| DataError::new(&dataset.display, e.0))?;
        source = format!("SELECT *, {value} AS {} FROM {CHECKED_VIEW}", ident(key));
    }
    let mut left = Vec::new();
    for (id, query, tables) in queries {
        let shaped = one_aggregate(query, tables).and_then(|(aggregate, condition)| {
            let aggregate = polars_expr(&aggregate, inputs, schema)?;
            let is_aggregate = aggregate.into_iter().any(|e| matches!(e, Expr::Agg(_) | Expr::Len));
            let condition = match condition {
                Some(c) => Some(polars_expr(&c, inputs, schema)?),
                None => None,
            };
            is_aggregate.then_some((aggregate, condition))
        });
        let Some((aggregate, condition)) = shaped else {
            left.push(id);
            continue;
        };
        let mut writer = Writer::new(schema).with_prefix("__sql_window");
        let written = (|| -> Result<(String, String), Untranslatable> {
            let condition = match &condition {
                Some(c) => writer.expr(c)?,
                None => "TRUE".to_string(),
            };
            Ok((writer.expr(&aggregate)?, condition))
        })();
        let Ok((aggregate, condition)) = written else {
            left.push(id);
            continue;
        };
        let query = format!(
            "SELECT {aggregate} AS value FROM (SELECT * FROM ({}) AS checked WHERE coalesce({condition}, FALSE)) AS data",
            writer.over(&source)
        );
        let df = ask(session, dataset, &query)?;
        let value = df.column("value").ok().and_then(|c| c.get(0).ok());
        out.insert(
            id,
            match value {
                None | Some(AnyValue::Null) => Err("the query returned null; it must return one number".into()),
                Some(other) => {
                    other.extract::<f64>().ok_or_else(|| format!("the query returned `{other}`, not a number"))
                }
            },
        );
    }
    if !left.is_empty() {
        if dataset.read_by_engine.is_some() {
            let why = format!(
                "this query is not one aggregate over the data (`SELECT <aggregate> FROM <table> [WHERE …]`), which \
                 tollgate would run itself, but it cannot read {} (only Spark reads it)",
                dataset.display
            );
            for id in left {
                out.insert(id, Err(why.clone()));
            }
        } else {
            let mut computed = client()?;
            for id in left {
                if let Some(found) = computed.remove(&id) {
                    out.insert(id, found);
                }
            }
        }
    }
    Ok(out)
}
