//! `anomaly: {metric, method, window, …}` — a metric of the checked data (its rows, a column's
//! null rate, distinct count, mean, min, max or sum, or another check's failures) against the
//! band of its previous `window` values: from the earlier partitions, else the history store.
//! The value is measured in the pass with the other checks; with fewer than `min_history`
//! earlier values the check is skipped, and the value is still recorded so history builds up.

use polars::prelude::*;
use serde_json::json;

use super::row_count_anomaly::band;
use super::CheckContext;
use crate::contract::{AnomalyMethod, AnomalyMetric, Direction};
use crate::rules::distinct_set::DistinctSet;
use crate::rules::{slot, Facts, Measured, Pass, Planned, Slot, SlotValues, Source};

/// The slot holding a column metric's value.
pub const VALUE: &str = "value";

/// The aggregate that measures `metric` on `value` (a column's values, of type `dtype`), as the
/// slot [`VALUE`]; none for the metrics known without one. Read back by [`value`].
pub fn aggregates(metric: &AnomalyMetric, value: Expr, dtype: &DataType, pass: Pass) -> Vec<Slot> {
    let float = || value.clone().cast(DataType::Float64);
    let expr = match metric {
        AnomalyMetric::RowCount | AnomalyMetric::Failures { .. } => return Vec::new(),
        AnomalyMetric::NullRate => value.null_count().cast(DataType::Int64),
        // A single pass counts in a set that streams; a grouped pass needs one count per group.
        AnomalyMetric::DistinctCount => match pass {
            Pass::Single => DistinctSet::count(value.clone(), dtype),
            Pass::Grouped | Pass::Portable => None,
        }
        .unwrap_or_else(|| value.drop_nulls().n_unique().cast(DataType::Int64)),
        AnomalyMetric::Mean => float().mean(),
        AnomalyMetric::Min => float().min(),
        AnomalyMetric::Max => float().max(),
        AnomalyMetric::Sum => float().sum(),
    };
    vec![slot(VALUE, expr)]
}

/// The metric's value from its [`aggregates`]' values.
pub fn value(metric: &AnomalyMetric, values: &SlotValues, facts: &Facts) -> Option<f64> {
    match metric {
        AnomalyMetric::RowCount => Some(facts.rows as f64),
        AnomalyMetric::Failures { check } => facts.failures.get(check).copied().flatten().map(|f| f as f64),
        AnomalyMetric::NullRate => {
            let nulls = values.int(VALUE)? as f64;
            Some(if facts.rows == 0 { 0.0 } else { nulls / facts.rows as f64 })
        }
        AnomalyMetric::DistinctCount => values.int(VALUE).map(|n| n as f64),
        AnomalyMetric::Mean | AnomalyMetric::Min | AnomalyMetric::Max | AnomalyMetric::Sum => values.float(VALUE),
    }
}

/// Is `value` inside the band, on the sides `direction` watches? A zero spread passes only the
/// centre (or, one-sided, the centre and the unwatched side).
pub fn holds(value: f64, (center, lower, upper): (f64, f64, f64), direction: Direction) -> bool {
    let (low_ok, high_ok) =
        if lower == upper { (value >= center, value <= center) } else { (value >= lower, value <= upper) };
    match direction {
        Direction::Both => low_ok && high_ok,
        Direction::Up => high_ok,
        Direction::Down => low_ok,
    }
}

/// Every point of a recorded series judged as the check would have judged it then: the band
/// from the `window` points before it, `skipped` with fewer than `min_history`.
pub fn judge_series(
    series: &[(String, f64)],
    method: AnomalyMethod,
    window: usize,
    min_history: usize,
    direction: Direction,
) -> Vec<serde_json::Value> {
    series
        .iter()
        .enumerate()
        .map(|(i, (partition, value))| {
            let before: Vec<f64> = series[i.saturating_sub(window)..i].iter().map(|(_, v)| *v).collect();
            if before.len() < min_history {
                return json!({"partition": partition, "value": value, "status": "skipped"});
            }
            let (center, lower, upper) = band(method, &before);
            let status = if holds(*value, (center, lower, upper), direction) { "pass" } else { "fail" };
            json!({"partition": partition, "value": value, "center": center, "lower": lower, "upper": upper, "status": status})
        })
        .collect()
}

pub struct Params<'a> {
    pub metric: &'a AnomalyMetric,
    pub method: AnomalyMethod,
    pub window: usize,
    pub min_history: usize,
    pub direction: Direction,
}

pub fn plan(id: &str, column: Option<&str>, p: Params, ctx: &CheckContext) -> Result<Planned, String> {
    let aggregates = match column {
        Some(name) => {
            let input = ctx.column(name)?;
            aggregates(p.metric, input.value.clone(), &input.dtype, ctx.pass)
        }
        None => Vec::new(),
    };
    let all = ctx.metric_history.get(id).cloned().unwrap_or_default();
    let history: Vec<(String, f64)> = all[all.len().saturating_sub(p.window)..].to_vec();
    let metric = p.metric.clone();
    let (method, min_history, direction) = (p.method, p.min_history, p.direction);
    let metric_name = match column {
        Some(c) => format!("{} of `{c}`", metric.name()),
        None => metric.name().to_string(),
    };
    let source = match (&metric, aggregates.is_empty()) {
        (_, false) => Source::Pass,
        (AnomalyMetric::Failures { .. }, true) => Source::OtherChecks,
        (_, true) => Source::Rows,
    };
    Ok(Planned {
        source,
        aggregates,
        finish: Box::new(move |values, facts| {
            let Some(current) = value(&metric, values, facts) else {
                return Measured {
                    skipped: Some(format!("no {metric_name} to judge: the data has no value for it")),
                    failures: None,
                    observed: serde_json::Value::Null,
                    passed: true,
                    message: String::new(),
                    details: None,
                };
            };
            let points: Vec<_> = history.iter().map(|(p, v)| json!({"partition": p, "value": v})).collect();
            if history.len() < min_history {
                return Measured {
                    skipped: Some(format!(
                        "{metric_name} is {current}; only {} earlier value(s) in the partitions or the history store, min_history is {min_history}",
                        history.len()
                    )),
                    failures: None,
                    observed: json!(current),
                    passed: true,
                    message: String::new(),
                    details: Some(json!({"metric": metric.name(), "value": current, "history": points})),
                };
            }
            let values: Vec<f64> = history.iter().map(|(_, v)| *v).collect();
            let b = band(method, &values);
            let passed = holds(current, b, direction);
            let (center, lower, upper) = b;
            Measured {
                skipped: None,
                failures: Some(u64::from(!passed)),
                observed: json!(current),
                passed,
                message: format!(
                    "{metric_name} {current} {} the {} band [{lower:.6}, {upper:.6}] (centre {center:.6}, {} earlier{})",
                    if passed { "within" } else { "outside" },
                    method.name(),
                    values.len(),
                    match direction {
                        Direction::Both => String::new(),
                        other => format!(", direction {}", other.name()),
                    }
                ),
                details: Some(json!({
                    "metric": metric.name(), "value": current, "method": method.name(),
                    "direction": direction.name(), "history": points,
                    "center": center, "lower": lower, "upper": upper,
                })),
            }
        }),
        evidence: None,
        row_failure: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions() {
        let b = (10.0, 8.0, 12.0);
        assert!(holds(12.0, b, Direction::Both) && !holds(12.5, b, Direction::Both) && !holds(7.0, b, Direction::Both));
        assert!(holds(7.0, b, Direction::Up) && !holds(12.5, b, Direction::Up));
        assert!(holds(12.5, b, Direction::Down) && !holds(7.0, b, Direction::Down));
        let flat = (5.0, 5.0, 5.0);
        assert!(holds(5.0, flat, Direction::Both) && !holds(5.1, flat, Direction::Both));
        assert!(holds(4.0, flat, Direction::Up) && !holds(6.0, flat, Direction::Up));
    }
}
