//! `type` — Parquet: the column's stored type matches the declaration. CSV: every non-null text
//! parses as the declared type; each that does not is one failure.

use polars::prelude::*;
use serde_json::json;

use super::{counted, decided, of_rows, ColumnInput, Evidence, Measured, Planned};
use crate::contract::ColumnRule;
use crate::types::{type_name, DeclaredType, DeclaredTypeExt};

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
            failures: Some(0),
            observed: json!(actual),
            passed: true,
            message: format!("type {actual}"),
            details: None,
        }
    } else {
        Measured {
            failures: None,
            observed: json!(actual),
            passed: false,
            message: format!("expected {}, found {actual}", declared.name()),
            details: None,
        }
    }))
}
