//! `missing_partitions: {interval, lookback}` — every expected date partition up to the checked one exists.

use std::collections::BTreeSet;

use serde_json::json;

use super::{CheckContext, Planning};
use crate::rules::{decided, Measured};
use crate::source::PartitionValue;

pub fn plan(interval_days: i64, lookback: i64, ctx: &CheckContext) -> Planning {
    let Some(checked) = ctx.partition else {
        return Planning::Error("missing_partitions needs a dataset partitioned by date (dataset.partitioning)".into());
    };
    let dates: BTreeSet<chrono::NaiveDate> = ctx
        .dataset
        .partitions
        .iter()
        .filter_map(|p| match p.value {
            PartitionValue::Date(d) => Some(d),
            _ => None,
        })
        .collect();
    let (PartitionValue::Date(checked_date), Some(first)) = (&checked.value, dates.first()) else {
        return Planning::Error("missing_partitions needs date partition values (YYYY-MM-DD)".into());
    };
    let step = chrono::Duration::days(interval_days);
    let start = (*checked_date - step * lookback as i32).max(*first);
    let mut missing = Vec::new();
    let mut expected = 0u64;
    let mut day = start;
    while day <= *checked_date {
        expected += 1;
        if !dates.contains(&day) {
            missing.push(day.to_string());
        }
        day += step;
    }
    let n = missing.len() as u64;
    Planning::Plan(decided(Measured {
        skipped: None,
        failures: Some(n),
        observed: json!(n),
        passed: n == 0,
        message: if n == 0 {
            format!("all {expected} expected partitions from {start} to {checked_date} are present")
        } else {
            format!("{n} of {expected} expected partitions are missing: {}", missing.join(", "))
        },
        details: Some(
            json!({"missing": missing, "expected": expected, "from": start.to_string(), "to": checked_date.to_string()}),
        ),
    }))
}
