//! `unique: {columns}` — a full key (no null part) appears at most once. failures = rows with a
//! full key − distinct keys; on partitioned data (scope dataset) plus rows whose key appears in
//! another partition.

use polars::prelude::*;
use serde_json::json;

use super::CheckContext;
use crate::contract::Limits;
use crate::rules::{count_where, slot, Evidence, Measured, Planned, RowFailure, Slot, Source};

/// A key made of `columns`, counted the same way wherever duplicates are judged (this check and
/// the ODCS `duplicateValues` metric).
pub struct KeyCount {
    pub keys: Vec<Expr>,
    /// Every part of the key is present.
    pub full: Expr,
    /// Rows with a full key (`keyed`) and distinct full keys (`distinct`): duplicates are their
    /// difference.
    pub aggregates: Vec<Slot>,
    /// Per row: its full key occurs more than once.
    pub repeated: Expr,
}

pub fn key_count(columns: &[String], ctx: &CheckContext) -> Result<KeyCount, String> {
    let mut keys = Vec::new();
    for name in columns {
        keys.push(ctx.column(name)?.value.clone().alias(name.as_str()));
    }
    let full = keys.iter().cloned().map(|k| k.is_not_null()).reduce(|a, b| a.and(b)).unwrap_or(lit(false));
    let key = as_struct(keys.clone());
    let aggregates = vec![
        slot("keyed", count_where(full.clone())),
        slot("distinct", key.clone().filter(full.clone()).n_unique().cast(DataType::Int64)),
    ];
    let repeated = full.clone().and(key.is_duplicated());
    Ok(KeyCount { keys, full, aggregates, repeated })
}

pub fn plan(id: &str, columns: &[String], limits: Limits, ctx: &CheckContext) -> Result<Planned, String> {
    let KeyCount { keys, full, mut aggregates, repeated } = key_count(columns, ctx)?;
    let across_partitions = matches!(ctx.unique_elsewhere.get(id), Some(Some(_)));
    if let Some(Some(elsewhere)) = ctx.unique_elsewhere.get(id) {
        aggregates.push(slot("elsewhere", count_where(full.clone().and(elsewhere.clone()))));
    }
    let mut row_failure = repeated;
    if let Some(Some(elsewhere)) = ctx.unique_elsewhere.get(id) {
        row_failure = row_failure.or(full.clone().and(elsewhere.clone()));
    }
    let described = columns.join(", ");
    Ok(Planned {
        source: Source::Pass,
        row_failure: Some(RowFailure::OfRow(row_failure)),
        aggregates,
        finish: Box::new(move |v, _| {
            let rows = v.count("keyed");
            let within = rows.saturating_sub(v.count("distinct"));
            let elsewhere = if across_partitions { v.count("elsewhere") } else { 0 };
            let failures = within + elsewhere;
            let mut message = format!("{within} duplicate keys ({described}) among {rows} rows with a full key");
            if across_partitions {
                message.push_str(&format!(", {elsewhere} rows whose key appears in another partition"));
            }
            Measured {
                skipped: None,
                failures: Some(failures),
                observed: json!(failures),
                passed: limits.holds(failures, rows),
                message,
                details: None,
            }
        }),
        evidence: Some(Evidence::Duplicates { keys, present: full, looked_up: false, tallied: None }),
    })
}
