//! Dataset-level checks, one file per kind. Like column rules, each compiles to aggregates of the
//! single pass, or is decided from metadata (row counts, partitions) without reading data.

pub mod anomaly;
pub mod freshness;
mod metric;
mod missing_partitions;
pub mod reconcile;
mod references;
mod row_count;
pub mod row_count_anomaly;
mod sql;
mod unique_key;

use std::collections::HashMap;

use polars::prelude::*;
use serde_json::{json, Value};

use crate::contract::{CheckKind, DatasetCheck};
use crate::rules::{limits_json, ColumnInput, Planned};
use crate::source::{Dataset, Partition};

/// What the dataset checks may look at besides the single pass.
pub struct CheckContext<'a> {
    /// Whether the aggregates run over the checked rows at once or per partition.
    pub pass: crate::rules::Pass,
    pub columns: &'a HashMap<String, ColumnInput>,
    pub now_micros: i64,
    pub dataset: &'a Dataset,
    /// The partition being checked, if the dataset is partitioned.
    pub partition: Option<&'a Partition>,
    /// Row counts of earlier partitions (or of the history store), oldest first.
    pub history: &'a [(String, u64)],
    /// Distinct keys of each `references` dataset (a list in the column's type), by check id.
    pub referenced_keys: &'a HashMap<String, Result<Expr, String>>,
    /// Per row: the key also occurs in another partition, by `unique` check id (scope dataset).
    pub unique_elsewhere: &'a HashMap<String, Option<Expr>>,
    /// Every column of the data, for "did you mean" on a misspelt name.
    pub data_columns: &'a [&'a str],
    /// Earlier values of each `anomaly` check's metric (by check id), oldest first: the earlier
    /// partitions' where they could be measured, the history store's for the rest.
    pub metric_history: &'a HashMap<String, Vec<(String, f64)>>,
    /// Each `reconcile` group's comparison, by group name.
    pub reconciled: &'a HashMap<String, Result<reconcile::Reconciled, String>>,
    /// Each `sql` check's number (or why there is none), by check id.
    pub sql_results: &'a HashMap<String, Result<f64, String>>,
}

pub use reconcile::{compare_all as reconcile_all, Reconciled};
pub use sql::{evaluate_all as run_sql_checks, queries as sql_queries};

#[allow(clippy::large_enum_variant)] // short-lived, one per check
pub enum Planning {
    Plan(Planned),
    Error(String),
    Skipped(String),
}

impl CheckContext<'_> {
    pub fn column(&self, name: &str) -> Result<&ColumnInput, String> {
        self.columns.get(name).ok_or_else(|| crate::contract::diagnostic::missing_column(name, self.data_columns))
    }
}

pub fn plan(check: &DatasetCheck, ctx: &CheckContext) -> Planning {
    let planned = match &check.kind {
        CheckKind::RowCount { min, max } => Ok(row_count::plan(*min, *max)),
        CheckKind::Freshness { column, max_age_seconds, max_age_text } => {
            freshness::plan(column, *max_age_seconds, max_age_text, ctx)
        }
        CheckKind::RowCountAnomaly { method, window, min_history } => {
            return row_count_anomaly::plan(*method, *window, *min_history, ctx)
        }
        CheckKind::Unique { columns, .. } => unique_key::plan(&check.id(), columns, check.limits, ctx),
        CheckKind::References { column, .. } => references::plan(&check.id(), column, check.limits, ctx),
        CheckKind::Metric { column, metric, condition, percent } => {
            metric::plan(column.as_deref(), metric, *condition, *percent, ctx)
        }
        CheckKind::Unsupported { reason } => return Planning::Skipped(reason.clone()),
        CheckKind::Reconcile { group, part, .. } => return reconcile::plan(group, part, check.limits, ctx),
        CheckKind::Sql { condition, .. } => return sql::plan_sql(&check.id(), *condition, ctx),
        CheckKind::WhereNot { condition, show } => sql::plan_where_not(condition, show, check.limits, ctx),
        CheckKind::MissingPartitions { interval_days, lookback } => {
            return missing_partitions::plan(*interval_days, *lookback, ctx)
        }
        CheckKind::Anomaly { column, metric, method, window, min_history, direction } => {
            let params = anomaly::Params {
                metric,
                method: *method,
                window: *window,
                min_history: *min_history,
                direction: *direction,
            };
            anomaly::plan(&check.id(), column.as_deref(), params, ctx)
        }
    };
    match planned {
        Ok(p) => Planning::Plan(p),
        Err(reason) => Planning::Error(reason),
    }
}

pub fn threshold(check: &DatasetCheck) -> Value {
    let mut t = serde_json::Map::new();
    match &check.kind {
        CheckKind::RowCount { min, max } => {
            if let Some(m) = min {
                t.insert("min".into(), json!(m));
            }
            if let Some(m) = max {
                t.insert("max".into(), json!(m));
            }
        }
        CheckKind::Freshness { max_age_text, max_age_seconds, column } => {
            t.insert("column".into(), json!(column));
            t.insert("max_age".into(), json!(max_age_text));
            t.insert("max_age_seconds".into(), json!(max_age_seconds));
        }
        CheckKind::RowCountAnomaly { method, window, min_history } => band_json(*method, *window, *min_history, &mut t),
        CheckKind::Unique { columns, .. } => {
            t.insert("columns".into(), json!(columns));
            limits_json(&check.limits, &mut t);
        }
        CheckKind::References { column, dataset, key, .. } => {
            t.insert("column".into(), json!(column));
            t.insert("dataset".into(), json!(dataset));
            t.insert("key".into(), json!(key));
            limits_json(&check.limits, &mut t);
        }
        CheckKind::Metric { metric, condition, percent, .. } => {
            t.insert("metric".into(), json!(metric.name()));
            t.insert("condition".into(), json!(condition.describe()));
            t.insert("unit".into(), json!(if *percent { "percent" } else { "rows" }));
        }
        CheckKind::Unsupported { .. } => {}
        CheckKind::Sql { query, condition, .. } => {
            t.insert("query".into(), json!(query));
            t.insert("condition".into(), json!(condition.describe()));
        }
        CheckKind::WhereNot { condition, .. } => {
            t.insert("condition".into(), json!(condition));
            limits_json(&check.limits, &mut t);
        }
        CheckKind::Reconcile { with, key, part, .. } => {
            t.insert("with".into(), json!(with.path));
            if !key.is_empty() {
                t.insert("key".into(), json!(key));
            }
            match part {
                crate::contract::ReconcilePart::RowCount { max_difference, max_difference_rate } => {
                    if let Some(d) = max_difference {
                        t.insert("max_difference".into(), json!(d));
                    }
                    if let Some(r) = max_difference_rate {
                        t.insert("max_difference_rate".into(), json!(r));
                    }
                }
                crate::contract::ReconcilePart::Values { column, tolerance } => {
                    t.insert("column".into(), json!(column));
                    match tolerance {
                        crate::contract::Tolerance::Exact => {}
                        crate::contract::Tolerance::Absolute(v) => {
                            t.insert("tolerance".into(), json!(v));
                        }
                        crate::contract::Tolerance::Relative(v) => {
                            t.insert("tolerance".into(), json!({"relative": v}));
                        }
                    }
                    limits_json(&check.limits, &mut t);
                }
                crate::contract::ReconcilePart::MissingKeys
                | crate::contract::ReconcilePart::ExtraKeys
                | crate::contract::ReconcilePart::DuplicateKeys => limits_json(&check.limits, &mut t),
            }
        }
        CheckKind::MissingPartitions { interval_days, lookback } => {
            t.insert("interval".into(), json!(format!("{interval_days}d")));
            t.insert("lookback".into(), json!(lookback));
        }
        CheckKind::Anomaly { column, metric, method, window, min_history, direction } => {
            t.insert("metric".into(), json!(metric.name()));
            if let Some(c) = column {
                t.insert("column".into(), json!(c));
            }
            if let crate::contract::AnomalyMetric::Failures { check } = metric {
                t.insert("check".into(), json!(check));
            }
            band_json(*method, *window, *min_history, &mut t);
            t.insert("direction".into(), json!(direction.name()));
        }
    }
    Value::Object(t)
}

/// The band parameters of an anomaly check, for its `threshold`.
fn band_json(
    method: crate::contract::AnomalyMethod,
    window: usize,
    min_history: usize,
    t: &mut serde_json::Map<String, Value>,
) {
    t.insert("method".into(), json!(method.name()));
    match method {
        crate::contract::AnomalyMethod::Median { tolerance } => t.insert("tolerance".into(), json!(tolerance)),
        crate::contract::AnomalyMethod::ZScore { threshold } | crate::contract::AnomalyMethod::Mad { threshold } => {
            t.insert("threshold".into(), json!(threshold))
        }
    };
    t.insert("window".into(), json!(window));
    t.insert("min_history".into(), json!(min_history));
}

/// The column a dataset check is about, for the report's `column` field.
pub fn column_of(check: &DatasetCheck) -> Option<String> {
    match &check.kind {
        CheckKind::Freshness { column, .. } | CheckKind::References { column, .. } => Some(column.clone()),
        CheckKind::Metric { column, .. } | CheckKind::Anomaly { column, .. } => column.clone(),
        CheckKind::Reconcile { part: crate::contract::ReconcilePart::Values { column, .. }, .. } => {
            Some(column.clone())
        }
        CheckKind::Sql { column, .. } => column.clone(),
        CheckKind::Reconcile { .. }
        | CheckKind::RowCount { .. }
        | CheckKind::RowCountAnomaly { .. }
        | CheckKind::Unique { .. }
        | CheckKind::MissingPartitions { .. }
        | CheckKind::Unsupported { .. }
        | CheckKind::WhereNot { .. } => None,
    }
}
