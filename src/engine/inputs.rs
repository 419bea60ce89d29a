//! The columns as the rules see them: typed CSV text parsed, categoricals as text, the
//! compound keys of multi-column checks.

use crate::contract::{CheckKind, Contract, Format};
use crate::rules::ColumnInput;
use crate::source::{DataError, Dataset};
use crate::types::DeclaredTypeExt;
use crate::types::{family, DeclaredType, Family};
use polars::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;

/// The column as the rules see it: typed CSV text parsed, categoricals as text; decimals stay exact.
pub(super) fn column_input(
    name: &str,
    stored: &DataType,
    declared: Option<DeclaredType>,
    format: Format,
) -> ColumnInput {
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
                elsewhere: None,
                stats: None,
            };
        }
    }
    let (value, dtype) = match family(stored) {
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
        elsewhere: None,
        stats: None,
    }
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

/// The literal column that names each row's partition in an all-partitions scan.
pub(super) const PARTITION_TAG: &str = "__tollgate_partition";

/// Types of the CSV columns the contract declares (read as text, then parsed).
pub(super) fn typed_columns(contract: &Contract, dataset: &Dataset) -> Vec<(String, DeclaredType)> {
    if dataset.format != Format::Csv {
        return Vec::new();
    }
    contract.columns().iter().filter_map(|c| Some((c.name.clone(), c.declared_type?))).collect()
}

pub(super) fn inputs_for(contract: &Contract, dataset: &Dataset, schema: &Schema) -> HashMap<String, ColumnInput> {
    let declared: HashMap<&str, DeclaredType> =
        contract.columns().iter().filter_map(|c| Some((c.name.as_str(), c.declared_type?))).collect();
    schema
        .iter()
        .map(|(name, dtype)| {
            (name.to_string(), column_input(name, dtype, declared.get(name.as_str()).copied(), dataset.format))
        })
        .collect()
}

pub(super) fn schema_of(lf: &LazyFrame, files: &[PathBuf]) -> Result<Schema, DataError> {
    lf.clone()
        .collect_schema()
        .map(|s| s.as_ref().clone())
        .map_err(|e| DataError::new(files.first().cloned().unwrap_or_default(), e.to_string()))
}

/// CSV columns typed from the first rows only are read in the pass even when no rule could use
/// them, so a later value of another type fails the pass (and it is retried with full inference)
/// instead of silently changing what the rules mean.
pub(super) fn parse_guards(contract: &Contract, dataset: &Dataset, schema: &Schema) -> Vec<Expr> {
    if dataset.format != Format::Csv || dataset.infer_rows.is_none() {
        return Vec::new();
    }
    let mut named: Vec<&str> =
        contract.columns().iter().filter(|c| c.declared_type.is_none()).map(|c| c.name.as_str()).collect();
    for check in &contract.checks {
        match &check.kind {
            CheckKind::Unique { columns, .. } => named.extend(columns.iter().map(String::as_str)),
            CheckKind::Freshness { column, .. } | CheckKind::References { column, .. } => named.push(column),
            CheckKind::Metric { column: Some(column), .. } => named.push(column),
            _ => {}
        }
    }
    let declared = |n: &str| contract.columns().iter().any(|c| c.name == n && c.declared_type.is_some());
    named.retain(|n| schema.get(n).is_some() && !declared(n));
    named.sort_unstable();
    named.dedup();
    named.iter().map(|n| col(*n).null_count().alias(format!("#parses.{n}"))).collect()
}
