//! `required: true` — no nulls.

use polars::prelude::*;

use super::{counted, footer_nulls_and_rows, known, of_rows, ColumnInput, Planned, DENOMINATOR, FAILURES};
use crate::contract::ColumnRule;

pub fn plan(rule: &ColumnRule, input: &ColumnInput) -> Planned {
    let planned = counted(input.is_null.clone(), len(), rule.limits, None, |f, d| {
        if f == 0 {
            format!("no nulls in {d} rows")
        } else {
            format!("{} are null", of_rows(f, d, "rows"))
        }
    });
    known(
        planned,
        footer_nulls_and_rows(input).map(|(nulls, rows)| vec![(FAILURES, Some(nulls)), (DENOMINATOR, Some(rows))]),
    )
}
