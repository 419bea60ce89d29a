//! `freshness: {column, max_age}` — now − max(column) ≤ max_age; an all-null column is stale.

use polars::prelude::*;
use serde_json::json;

use super::CheckContext;
use crate::rules::{known, slot, Measured, Planned, Source};
use crate::types::{family, DeclaredType, Family};

pub fn plan(column: &str, max_age_seconds: f64, max_age_text: &str, ctx: &CheckContext) -> Result<Planned, String> {
    let input = ctx.column(column)?;
    let timestamps = match family(&input.dtype) {
        Family::Timestamp | Family::Date => input.value.clone(),
        Family::String => crate::values::parse_text(input.value.clone(), DeclaredType::Timestamp),
        _ => {
            return Err(format!(
                "freshness needs a date or timestamp column; `{column}` is {}",
                crate::types::type_name(&input.dtype)
            ))
        }
    };
    let latest = timestamps.dt().timestamp(TimeUnit::Microseconds).max().cast(DataType::Int64);
    let from_footers =
        input.stats.as_ref().and_then(|s| s.on_extremes(latest.clone())).map(|latest| vec![("latest", latest)]);
    let now = ctx.now_micros;
    let limit = max_age_text.to_string();
    let planned = Planned {
        source: Source::Pass,
        aggregates: vec![slot("latest", latest)],
        finish: Box::new(move |v, _| match v.int("latest") {
            None => Measured {
                skipped: None,
                failures: Some(1),
                observed: serde_json::Value::Null,
                passed: false,
                message: "no value to judge freshness by: the column is empty or all null".into(),
                details: None,
            },
            Some(latest) => {
                let age = (now - latest) as f64 / 1e6;
                let passed = age <= max_age_seconds;
                let newest = chrono::DateTime::from_timestamp_micros(latest).map(|d| d.to_rfc3339());
                Measured {
                    skipped: None,
                    failures: Some(u64::from(!passed)),
                    observed: json!(age),
                    passed,
                    message: message(newest.as_deref(), age, &limit),
                    details: None,
                }
            }
        }),
        evidence: None,
        row_failure: None,
    };
    Ok(known(planned, from_footers))
}

/// "newest value 2026-01-10T05:00:00+00:00 is 1.0h old (max 36h)"; without the value when the
/// column is sensitive.
pub fn message(newest: Option<&str>, age_seconds: f64, limit: &str) -> String {
    let newest = newest.map(|n| format!(" {n}")).unwrap_or_default();
    format!("newest value{newest} is {} old (max {limit})", human_age(age_seconds))
}

fn human_age(seconds: f64) -> String {
    let s = seconds.abs();
    let text = if s < 120.0 {
        format!("{s:.0}s")
    } else if s < 7200.0 {
        format!("{:.1}m", s / 60.0)
    } else if s < 172800.0 {
        format!("{:.1}h", s / 3600.0)
    } else {
        format!("{:.1}d", s / 86400.0)
    };
    if seconds < 0.0 {
        format!("-{text}")
    } else {
        text
    }
}
