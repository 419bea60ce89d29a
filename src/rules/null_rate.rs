//! `null_rate: {max}` — the fraction of null rows stays at or below `max`.

use polars::prelude::*;
use serde_json::json;

use super::{count_where, footer_nulls_and_rows, known, ColumnInput, Measured, Planned};

pub fn plan(max: f64, input: &ColumnInput) -> Planned {
    let planned = Planned {
        aggregates: vec![count_where(input.is_null.clone()), len().cast(DataType::Int64)],
        finish: Box::new(move |values, _| {
            let nulls = values[0].unwrap_or(0).max(0) as u64;
            let rows = values[1].unwrap_or(0).max(0) as u64;
            let rate = if rows == 0 { 0.0 } else { nulls as f64 / rows as f64 };
            Measured {
                skipped: None,
                failures: Some(nulls),
                observed: json!(rate),
                passed: rows == 0 || rate <= max,
                message: format!("null rate {:.4} ({nulls} of {rows} rows), max {max}", rate),
                details: None,
            }
        }),
        evidence: None,
        row_failure: None,
    };
    known(planned, footer_nulls_and_rows(input))
}
