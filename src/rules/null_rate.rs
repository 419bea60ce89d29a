//! `null_rate: {max}` — the fraction of null rows stays at or below `max`.

use polars::prelude::*;
use serde_json::json;

use super::{count_where, footer_nulls_and_rows, known, slot, ColumnInput, Measured, Planned, Source};

pub fn plan(max: f64, input: &ColumnInput) -> Planned {
    let planned = Planned {
        source: Source::Pass,
        aggregates: vec![slot("nulls", count_where(input.is_null.clone())), slot("rows", len().cast(DataType::Int64))],
        finish: Box::new(move |values, _| {
            let nulls = values.count("nulls");
            let rows = values.count("rows");
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
    known(planned, footer_nulls_and_rows(input).map(|(nulls, rows)| vec![("nulls", Some(nulls)), ("rows", Some(rows))]))
}
