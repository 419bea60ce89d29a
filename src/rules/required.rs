//! `required: true` — no nulls.

use polars::prelude::*;

use super::{counted, known, of_rows, ColumnInput, Planned};
use crate::contract::ColumnRule;

pub fn plan(rule: &ColumnRule, input: &ColumnInput) -> Planned {
    let planned = counted(input.is_null.clone(), len(), rule.limits, None, |f, d| {
        if f == 0 {
            format!("no nulls in {d} rows")
        } else {
            format!("{} are null", of_rows(f, d, "rows"))
        }
    });
    match input.stats.as_deref().and_then(|s| Some((s.nulls?, s.rows))) {
        Some((nulls, rows)) => known(planned, vec![Some(nulls as i64), Some(rows as i64)]),
        None => planned,
    }
}
