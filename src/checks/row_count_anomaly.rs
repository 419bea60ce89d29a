//! `row_count_anomaly` — the checked rows against a band computed from the previous `window`
//! partitions' row counts (read from Parquet footers, or the history store).

use serde_json::json;
use statrs::statistics::{Data, Median, Statistics};

use super::{CheckContext, Planning};
use crate::contract::AnomalyMethod;
use crate::rules::{Measured, Planned, Source};

/// Consistency constant that makes the MAD estimate the standard deviation of normal data.
const MAD_SCALE: f64 = 1.4826;

/// The band rows must fall in: (centre, lower, upper).
pub fn band(method: AnomalyMethod, history: &[f64]) -> (f64, f64, f64) {
    match method {
        AnomalyMethod::Median { tolerance } => {
            let center = Data::new(history.to_vec()).median();
            (center, center * (1.0 - tolerance), center * (1.0 + tolerance))
        }
        AnomalyMethod::ZScore { threshold } => {
            let mean = history.iter().mean();
            let sd = history.iter().std_dev();
            (mean, mean - threshold * sd, mean + threshold * sd)
        }
        AnomalyMethod::Mad { threshold } => {
            let center = Data::new(history.to_vec()).median();
            let deviations: Vec<f64> = history.iter().map(|x| (x - center).abs()).collect();
            let spread = MAD_SCALE * Data::new(deviations).median();
            (center, center - threshold * spread, center + threshold * spread)
        }
    }
}

/// Inside the band passes; a zero spread passes only rows equal to the centre.
pub fn within(rows: f64, (center, lower, upper): (f64, f64, f64)) -> bool {
    if lower == upper {
        rows == center
    } else {
        rows >= lower && rows <= upper
    }
}

pub fn plan(method: AnomalyMethod, window: usize, min_history: usize, ctx: &CheckContext) -> Planning {
    let start = ctx.history.len().saturating_sub(window);
    let history: Vec<(String, u64)> = ctx.history[start..].to_vec();
    if history.len() < min_history {
        return Planning::Skipped(format!(
            "only {} earlier partition(s) or recorded runs; min_history is {min_history}",
            history.len()
        ));
    }
    let counts: Vec<f64> = history.iter().map(|(_, r)| *r as f64).collect();
    let b = band(method, &counts);
    let details_history: Vec<_> = history.iter().map(|(p, r)| json!({"partition": p, "rows": r})).collect();
    Planning::Plan(Planned {
        source: Source::Rows,
        aggregates: Vec::new(),
        finish: Box::new(move |_, facts| {
            let rows = facts.rows as f64;
            let passed = within(rows, b);
            let (center, lower, upper) = b;
            Measured {
                skipped: None,
                failures: Some(u64::from(!passed)),
                observed: json!(facts.rows),
                passed,
                message: format!(
                    "{} rows {} the {} band [{lower:.1}, {upper:.1}] (centre {center:.1}, {} earlier)",
                    facts.rows,
                    if passed { "within" } else { "outside" },
                    method.name(),
                    counts.len()
                ),
                details: Some(json!({
                    "method": method.name(), "history": details_history,
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
    fn median_band_uses_mean_of_middle_pair() {
        let (c, lo, hi) = band(AnomalyMethod::Median { tolerance: 0.5 }, &[10.0, 20.0, 30.0, 40.0]);
        assert_eq!((c, lo, hi), (25.0, 12.5, 37.5));
    }

    #[test]
    fn zscore_uses_sample_sd() {
        let (c, lo, hi) = band(AnomalyMethod::ZScore { threshold: 1.0 }, &[2.0, 4.0, 6.0]);
        assert_eq!(c, 4.0);
        assert_eq!((lo, hi), (2.0, 6.0));
    }

    #[test]
    fn mad_scales_and_zero_spread() {
        let (c, lo, hi) = band(AnomalyMethod::Mad { threshold: 2.0 }, &[10.0, 10.0, 10.0, 12.0, 8.0]);
        assert_eq!(c, 10.0);
        assert_eq!((lo, hi), (10.0, 10.0));
        assert!(within(10.0, (c, lo, hi)));
        assert!(!within(10.5, (c, lo, hi)));
        let (_, lo, hi) = band(AnomalyMethod::Mad { threshold: 1.0 }, &[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert!((lo - (3.0 - 1.4826)).abs() < 1e-9 && (hi - (3.0 + 1.4826)).abs() < 1e-9);
    }
}
