//! ODCS library metrics (`nullValues`, `missingValues`, `invalidValues`, `duplicateValues`,
//! `rowCount`), counted in the single pass and compared with the rule's operator, in rows or as
//! a percent of all rows.

use polars::prelude::*;
use serde_json::json;

use super::CheckContext;
use crate::contract::{Condition, Literal, Metric};
use crate::rules::{count_where, known, slot, ColumnInput, Evidence, Measured, Planned, RowFailure, Slot, Source};

/// The slot of the rows a metric counts (but `rowCount` and `duplicateValues`).
const COUNTED: &str = "counted";
use crate::types::{family, Family};
use crate::values::{list_literal, literal_expr, Rounding};

/// The listed values that convert to the column's type (a marker like '' cannot match an integer).
fn convertible(values: &[Literal], input: &ColumnInput) -> Vec<Literal> {
    values.iter().filter(|v| literal_expr(v, &input.dtype, Rounding::Exact).is_ok()).cloned().collect()
}

fn text(input: &ColumnInput) -> Result<Expr, String> {
    match family(&input.dtype) {
        Family::String => Ok(input.value.clone().cast(DataType::String)),
        _ => Err(format!(
            "a pattern applies to string columns; `{}` is {}",
            input.name,
            crate::types::type_name(&input.dtype)
        )),
    }
}

pub fn plan(
    column: Option<&str>,
    metric: &Metric,
    condition: Condition,
    percent: bool,
    ctx: &CheckContext,
) -> Result<Planned, String> {
    let input = |name: Option<&str>| -> Result<&ColumnInput, String> {
        ctx.column(name.ok_or_else(|| format!("{} needs a property", metric.name()))?)
    };
    // Aggregates giving the count of the metric, the failing rows, and what to show of them.
    let (aggregates, row_failure, evidence): (Vec<Slot>, Option<Expr>, Option<Evidence>) = match metric {
        Metric::RowCount => (Vec::new(), None, None),
        Metric::Nulls => {
            let i = input(column)?;
            (vec![slot(COUNTED, count_where(i.is_null.clone()))], Some(i.is_null.clone()), None)
        }
        Metric::Missing { values, null } => {
            let i = input(column)?;
            let listed = convertible(values, i);
            let mut missing = if *null { i.is_null.clone() } else { lit(false) };
            if !listed.is_empty() {
                let dtype = if family(&i.dtype) == Family::String { DataType::String } else { i.dtype.clone() };
                missing =
                    missing.or(i.value.clone().is_in(list_literal(&listed, &dtype)?, false).fill_null(lit(false)));
            }
            (
                vec![slot(COUNTED, count_where(missing.clone()))],
                Some(missing.clone()),
                Some(Evidence::Where { failing: missing, value: i.value.clone() }),
            )
        }
        Metric::Invalid { valid, pattern } => {
            let i = input(column)?;
            let mut invalid = lit(false);
            if let Some(valid) = valid {
                let dtype = if family(&i.dtype) == Family::String { DataType::String } else { i.dtype.clone() };
                let value = if family(&i.dtype) == Family::String {
                    i.value.clone().cast(DataType::String)
                } else {
                    i.value.clone()
                };
                invalid = invalid.or(value.is_in(list_literal(valid, &dtype)?, false).not());
            }
            if let Some(p) = pattern {
                invalid = invalid.or(text(i)?.str().contains(lit(p.clone()), true).not());
            }
            let failing = i.value.clone().is_not_null().and(invalid);
            (
                vec![slot(COUNTED, count_where(failing.clone()))],
                Some(failing.clone()),
                Some(Evidence::Where { failing, value: i.value.clone() }),
            )
        }
        Metric::Duplicates { columns } => {
            let names: Vec<String> =
                if columns.is_empty() { column.map(str::to_string).into_iter().collect() } else { columns.clone() };
            let k = super::unique_key::key_count(&names, ctx)?;
            (
                k.aggregates,
                Some(k.repeated),
                Some(Evidence::Duplicates { keys: k.keys, present: k.full, looked_up: false, tallied: None }),
            )
        }
    };
    let nulls_in_footers = match metric {
        Metric::Nulls => input(column)?.stats.as_ref().and_then(|s| s.nulls).map(|n| vec![(COUNTED, Some(n as i64))]),
        _ => None,
    };
    let metric = metric.clone();
    let source = if matches!(metric, Metric::RowCount) { Source::Rows } else { Source::Pass };
    let planned = Planned {
        source,
        aggregates,
        finish: Box::new(move |v, facts| {
            let count = match metric {
                Metric::RowCount => facts.rows,
                // Duplicates: rows with a full key − distinct keys.
                Metric::Duplicates { .. } => v.count("keyed").saturating_sub(v.count("distinct")),
                Metric::Nulls | Metric::Missing { .. } | Metric::Invalid { .. } => v.count(COUNTED),
            };
            let value = if percent {
                if facts.rows == 0 {
                    0.0
                } else {
                    100.0 * count as f64 / facts.rows as f64
                }
            } else {
                count as f64
            };
            let passed = condition.holds(value);
            let unit = if percent { "%" } else { " rows" };
            Measured {
                skipped: None,
                failures: Some(if matches!(metric, Metric::RowCount) { u64::from(!passed) } else { count }),
                observed: json!(value),
                passed,
                message: format!("{} = {value}{unit}, must be {}", metric.name(), condition.describe()),
                details: None,
            }
        }),
        evidence,
        row_failure: row_failure.map(RowFailure::OfRow),
    };
    Ok(known(planned, nulls_in_footers))
}
