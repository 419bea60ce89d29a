//! `row_count: {min, max}` — answered from Parquet footers, or the pass's row count for CSV.

use serde_json::json;

use crate::rules::{Measured, Planned, Source};

pub fn plan(min: Option<u64>, max: Option<u64>) -> Planned {
    Planned {
        source: Source::Rows,
        aggregates: Vec::new(),
        finish: Box::new(move |_, facts| {
            let rows = facts.rows;
            let passed = min.is_none_or(|m| rows >= m) && max.is_none_or(|m| rows <= m);
            let bounds = format!(
                "[{}, {}]",
                min.map(|m| m.to_string()).unwrap_or("0".into()),
                max.map(|m| m.to_string()).unwrap_or("inf".into())
            );
            Measured {
                skipped: None,
                failures: Some(u64::from(!passed)),
                observed: json!(rows),
                passed,
                message: if passed {
                    format!("{rows} rows within {bounds}")
                } else {
                    format!("{rows} rows outside {bounds}")
                },
                details: None,
            }
        }),
        evidence: None,
        row_failure: None,
    }
}
