//! `unique: true` — no non-null value appears twice; failures = non-null values − distinct ones.
//! On partitioned data (scope dataset), rows whose value also appears in another partition fail too.

use polars::prelude::*;
use serde_json::json;

use super::distinct_set::DistinctSet;
use super::key_set::KeySet;
use super::{count_where, slot, ColumnInput, Evidence, Measured, Pass, Planned, RowFailure, Source, Tallied};
use crate::contract::{ColumnRule, Scope};
use std::sync::Arc;

pub fn plan(scope: Option<Scope>, rule: &ColumnRule, input: &ColumnInput, pass: Pass) -> Result<Planned, String> {
    let value = input.value.clone();
    let present = value.clone().is_not_null();
    // Integer keys in a dense range are counted in a bitmap (see `KeySet`), others in a hash set
    // the pass fills as it streams (`DistinctSet`); both remember the keys seen twice, so the
    // duplicates sample looks up a few keys instead of grouping every one. A grouped pass (one
    // count per partition) counts with `n_unique`.
    let key_set = input.stats.as_deref().and_then(|stats| KeySet::over(&input.name, &value, stats));
    let distinct_set = match (&key_set, pass) {
        (None, Pass::Single) => DistinctSet::new(&input.dtype),
        (Some(_), _) | (None, Pass::Grouped | Pass::Portable) => None,
    };
    let distinct = match (&key_set, &distinct_set) {
        (Some(set), _) => count_where(set.insert(value.clone())),
        (None, Some(set)) => set.insert(value.clone()),
        (None, None) => value.clone().drop_nulls().n_unique(),
    };
    let mut aggregates = vec![
        slot("values", value.clone().count().cast(DataType::Int64)),
        slot("distinct", distinct.cast(DataType::Int64)),
    ];
    let elsewhere = match (&input.elsewhere, scope) {
        (Some(predicate), None | Some(Scope::Dataset)) => Some(predicate.clone()),
        _ => None,
    };
    if let Some(predicate) = &elsewhere {
        aggregates.push(slot("elsewhere", count_where(predicate.clone())));
    }
    let limits = rule.limits;
    let across_partitions = elsewhere.is_some();
    let repeated = match (&key_set, &distinct_set) {
        (Some(set), _) => Some(set.repeated(value.clone())),
        (None, Some(set)) => Some(set.repeated(value.clone())),
        (None, None) => None,
    };
    // The hash set can also tally each repeated key and its first row in the pass itself.
    let tallied =
        distinct_set.as_ref().map(|set| Tallied { set: Arc::clone(set), slot: "distinct", value: value.clone() });
    let evidence = match (&elsewhere, repeated.clone()) {
        // The pass marked the repeated keys: the sample groups their few rows, not every key.
        (None, Some(repeated)) => Evidence::Duplicates {
            keys: vec![value.clone()],
            present: present.clone().and(repeated),
            looked_up: true,
            tallied,
        },
        (None, None) => Evidence::Duplicates {
            keys: vec![value.clone()],
            present: present.clone(),
            looked_up: false,
            tallied: None,
        },
        // On partitioned data the sample shows values that also occur in other partitions.
        (Some(predicate), _) => Evidence::Where { failing: predicate.clone(), value: value.clone() },
    };
    // Every occurrence of a repeated value is suspect: which copy is the bad one is not knowable.
    // The set the pass filled knows the repeated values, so quarantine looks them up instead of
    // running a window over every key.
    let or_elsewhere = |failing: Expr| match &elsewhere {
        Some(predicate) => failing.or(predicate.clone()),
        None => failing,
    };
    let row_failure = match repeated {
        Some(repeated) => RowFailure::AfterSets(or_elsewhere(present.and(repeated))),
        None => RowFailure::OfRow(or_elsewhere(value.clone().is_not_null().and(value.clone().is_duplicated()))),
    };
    Ok(Planned {
        source: Source::Pass,
        row_failure: Some(row_failure),
        aggregates,
        finish: Box::new(move |v, _| {
            let count = v.count("values");
            let within = count.saturating_sub(v.count("distinct"));
            let across = if across_partitions { v.count("elsewhere") } else { 0 };
            let failures = within + across;
            let message = if across_partitions {
                format!("{within} duplicate values within the partition, {across} rows whose value appears in another partition")
            } else {
                format!("{failures} duplicate values among {count} non-null values")
            };
            Measured {
                skipped: None,
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
