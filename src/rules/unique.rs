//! `unique: true` — no non-null value appears twice; failures = non-null values − distinct ones.
//! On partitioned data (scope dataset), rows whose value also appears in another partition fail too.

use polars::prelude::*;
use serde_json::json;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use super::{count_where, ColumnInput, ColumnStats, Evidence, Measured, Planned};
use crate::contract::{ColumnRule, RuleKind, Scope};

pub fn plan(rule: &ColumnRule, input: &ColumnInput) -> Result<Planned, String> {
    let scope = match rule.kind {
        RuleKind::Unique { scope } => scope,
        _ => None,
    };
    let value = input.value.clone();
    let present = value.clone().is_not_null();
    let distinct = match input.stats.as_deref().and_then(|stats| dense_distinct(&input.name, &value, stats)) {
        Some(counted) => counted,
        None => value.clone().drop_nulls().n_unique(),
    };
    let mut aggregates = vec![value.clone().count().cast(DataType::Int64), distinct.cast(DataType::Int64)];
    let elsewhere = match (&input.elsewhere, scope) {
        (Some(predicate), None | Some(Scope::Dataset)) => Some(predicate.clone()),
        _ => None,
    };
    if let Some(predicate) = &elsewhere {
        aggregates.push(count_where(predicate.clone()));
    }
    let limits = rule.limits;
    let evidence = match &elsewhere {
        None => Evidence::Duplicates { keys: vec![value.clone()], present },
        // On partitioned data the sample shows values that also occur in other partitions.
        Some(predicate) => Evidence::Where { failing: predicate.clone(), value: value.clone() },
    };
    // Every occurrence of a repeated value is suspect: which copy is the bad one is not knowable.
    let mut row_failure = value.clone().is_not_null().and(value.clone().is_duplicated());
    if let Some(predicate) = &elsewhere {
        row_failure = row_failure.or(predicate.clone());
    }
    Ok(Planned {
        row_failure: Some(row_failure),
        aggregates,
        finish: Box::new(move |v, _| {
            let count = v[0].unwrap_or(0).max(0) as u64;
            let distinct = v[1].unwrap_or(0).max(0) as u64;
            let within = count.saturating_sub(distinct);
            let across = v.get(2).copied().flatten().unwrap_or(0).max(0) as u64;
            let failures = within + across;
            let message = if v.len() > 2 {
                format!("{within} duplicate values within the partition, {across} rows whose value appears in another partition")
            } else {
                format!("{failures} duplicate values among {count} non-null values")
            };
            Measured {
                failures: Some(failures),
                observed: json!(failures),
                passed: limits.holds(failures, count),
                message,
                details: None,
            }
        }),
        evidence: Some(evidence),
    })
}

/// Largest key range counted with a bitmap: 2^31 bits = 256 MiB.
const MOST_BITS: u64 = 1 << 31;

/// Distinct integer keys counted in a bitmap over the range the footers give (one bit per
/// possible key) instead of a hash set: auto-increment ids over 30M rows take 4 MB instead of ~1
/// GB. The UDF marks each row whose key it sees first; bits are set atomically, so exactly one
/// row per distinct key counts however the pass splits the rows. `None` when the range is
/// unknown or too sparse for a bitmap to beat a hash set.
fn dense_distinct(name: &str, value: &Expr, stats: &ColumnStats) -> Option<Expr> {
    let min = stats.on_extremes(value.clone().min())??;
    let max = stats.on_extremes(value.clone().max())??;
    let span = u64::try_from(i128::from(max) - i128::from(min) + 1).ok()?;
    if span > MOST_BITS || span > 64 * stats.rows.max(1 << 20) {
        return None;
    }
    let words = span.div_ceil(64) as usize;
    let bits: Arc<OnceLock<Vec<AtomicU64>>> = Arc::default();
    let column = name.to_string();
    let first_seen = move |columns: &mut [Column]| -> PolarsResult<Column> {
        let keys = columns[0].to_physical_repr().cast(&DataType::Int64)?;
        let bits = bits.get_or_init(|| std::iter::repeat_with(|| AtomicU64::new(0)).take(words).collect());
        let mut outside = false;
        let first: BooleanChunked = keys
            .i64()?
            .iter()
            .map(|key| {
                let offset = key?.checked_sub(min).filter(|o| (*o as u64) < span);
                let Some(offset) = offset else {
                    outside = true;
                    return None;
                };
                let mask = 1u64 << (offset % 64);
                Some(bits[(offset / 64) as usize].fetch_or(mask, Ordering::Relaxed) & mask == 0)
            })
            .collect();
        if outside {
            polars_bail!(ComputeError: "the Parquet statistics of `{column}` do not cover its values; run with --no-statistics");
        }
        Ok(first.with_name(keys.name().clone()).into_column())
    };
    let field = |_: &Schema, fields: &[Field]| Ok(Field::new(fields[0].name().clone(), DataType::Boolean));
    Some(count_where(value.clone().map_many(first_seen, &[], field)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(min: i64, max: i64, rows: u64) -> ColumnStats {
        let extremes = DataFrame::new(2, vec![Column::new("k".into(), [min, max])]).unwrap();
        ColumnStats { rows, nulls: Some(0), extremes: Some(extremes) }
    }

    fn distinct_of(keys: Vec<Option<i64>>, stats: &ColumnStats, engine: Engine) -> PolarsResult<i64> {
        let expr = dense_distinct("k", &col("k"), stats).expect("dense range");
        // Several chunks, so the pass may split them across threads.
        let parts: Vec<LazyFrame> = keys.chunks(7).map(|c| df!("k" => c.to_vec()).unwrap().lazy()).collect();
        let df = concat(parts, UnionArgs::default())?.select([expr]).collect_with_engine(engine)?.unwrap_single();
        Ok(df.columns()[0].get(0)?.extract::<i64>().unwrap())
    }

    #[test]
    fn bitmap_counts_each_distinct_key_once_in_either_engine() {
        // 1..=100 with every multiple of 10 three times, 7 twice, and nulls.
        let mut keys: Vec<Option<i64>> = (1..=100).map(Some).collect();
        keys.extend((1..=10).flat_map(|i| [Some(i * 10), Some(i * 10), None]));
        keys.push(Some(7));
        for engine in [Engine::InMemory, Engine::Streaming] {
            assert_eq!(distinct_of(keys.clone(), &stats(1, 100, keys.len() as u64), engine).unwrap(), 100);
        }
    }

    #[test]
    fn keys_outside_the_footer_range_are_an_error_not_a_wrong_count() {
        let err = distinct_of(vec![Some(1), Some(500)], &stats(1, 100, 2), Engine::InMemory).unwrap_err();
        assert!(err.to_string().contains("--no-statistics"), "{err}");
    }

    #[test]
    fn sparse_or_unknown_ranges_fall_back_to_a_hash_set() {
        assert!(dense_distinct("k", &col("k"), &stats(0, i64::MAX, 1000)).is_none());
        assert!(dense_distinct("k", &col("k"), &stats(i64::MIN, i64::MAX, u64::MAX)).is_none());
        let no_extremes = ColumnStats { rows: 10, nulls: Some(0), extremes: None };
        assert!(dense_distinct("k", &col("k"), &no_extremes).is_none());
        assert!(dense_distinct("k", &col("k"), &stats(-5, 5, 10)).is_some());
    }
}
