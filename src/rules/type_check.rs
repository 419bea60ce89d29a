//! `type` — Parquet: the column's stored type matches the declaration. CSV: every non-null text
//! parses as the declared type; each that does not is one failure.

use polars::prelude::*;
use serde_json::json;

use super::{counted, decided, of_rows, ColumnInput, Evidence, Measured, Planned};
use crate::contract::types::NestedType;
use crate::contract::ColumnRule;
use crate::types::{type_name, DeclaredType, DeclaredTypeExt};

/// Does a stored type have the declared nesting? Lists (and fixed-size arrays) by their items;
/// structs by every declared field (others may exist).
pub fn nested_accepts(declared: &NestedType, stored: &DataType) -> bool {
    match (declared, stored) {
        (NestedType::Scalar(t), stored) => t.accepts(stored),
        (NestedType::List(inner), DataType::List(items) | DataType::Array(items, _)) => nested_accepts(inner, items),
        (NestedType::Struct(fields), DataType::Struct(stored_fields)) => fields
            .iter()
            .all(|(name, t)| stored_fields.iter().any(|f| f.name().as_str() == name && nested_accepts(t, f.dtype()))),
        (NestedType::List(_) | NestedType::Struct(_), _) => false,
    }
}

/// `type: list<…>` / `struct<…>`: decided from the stored type; CSV holds no nesting.
pub fn plan_nested(declared: &NestedType, input: &ColumnInput) -> Result<Planned, String> {
    if input.raw.is_some() {
        return Err(format!("`{}` is declared {}, but CSV holds no nested values", input.name, declared.name()));
    }
    let actual = type_name(&input.stored);
    let passed = nested_accepts(declared, &input.stored);
    Ok(decided(Measured {
        skipped: None,
        failures: passed.then_some(0),
        observed: json!(actual),
        passed,
        message: if passed {
            format!("type {actual}")
        } else {
            format!("expected {}, found {actual}", declared.name())
        },
        details: None,
    }))
}

pub fn plan(declared: DeclaredType, rule: &ColumnRule, input: &ColumnInput) -> Result<Planned, String> {
    if let Some(raw) = &input.raw {
        let failing = raw.clone().is_not_null().and(input.value.clone().is_null());
        let name = declared.name();
        return Ok(counted(
            failing.clone(),
            len(),
            rule.limits,
            Some(Evidence::Where { failing, value: raw.clone() }),
            move |f, d| {
                if f == 0 {
                    format!("all values parse as {name}")
                } else {
                    format!("{} do not parse as {name}", of_rows(f, d, "values"))
                }
            },
        ));
    }
    let actual = type_name(&input.stored);
    Ok(decided(if declared.accepts(&input.stored) {
        Measured {
            skipped: None,
            failures: Some(0),
            observed: json!(actual),
            passed: true,
            message: format!("type {actual}"),
            details: None,
        }
    } else {
        Measured {
            skipped: None,
            failures: None,
            observed: json!(actual),
            passed: false,
            message: format!("expected {}, found {actual}", declared.name()),
            details: None,
        }
    }))
}
