//! Planning: every check of the contract compiled to named aggregates of one pass (or decided
//! without data), from the columns and what was read before planning.

use super::exec::slot_column;
use super::prefetch::Gathered;
use super::samples::SampleCollector;
use crate::checks::{CheckContext, Planning};
use crate::contract::diagnostic::{missing_column, nearest_name};
use crate::contract::{Contract, RuleKind, Severity};
use crate::rules::{Evidence, Measured, Pass, Planned, RowFailure};
use crate::source::{Dataset, Partition};
use crate::{checks, rules};
use polars::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

/// One check between planning and reporting.
pub(super) struct Pending {
    pub(super) id: String,
    pub(super) kind: String,
    pub(super) column: Option<String>,
    pub(super) severity: Severity,
    pub(super) threshold: Value,
    pub(super) line: usize,
    pub(super) state: State,
    /// What the main pass gathers for this check's samples (see [`gather_samples_in_pass`]).
    pub(super) gathered_by: Option<GatheredBy>,
    /// The check passes with some failing rows (`max_failures` or `max_failure_rate` above 0).
    pub(super) tolerates_failures: bool,
}

/// How the main pass gathers a check's samples.
pub(super) enum GatheredBy {
    /// Its failing rows, value and row number (a `Where` check).
    Rows(Arc<SampleCollector>),
    /// The set that counts its distinct keys, numbering their rows: it tallies each repeated
    /// key's occurrences and first row (a `unique` check).
    Tally(Arc<crate::rules::distinct_set::DistinctSet>),
}

fn tolerates(limits: &crate::contract::Limits) -> bool {
    limits.max_failures.is_some_and(|n| n > 0) || limits.max_failure_rate.is_some_and(|r| r > 0.0)
}

pub(super) enum State {
    Planned { planned: Box<Planned> },
    Error(String),
    Skipped(String),
    Done(Measured),
}

/// Every check of the contract for one partition (or the whole dataset), planned but not run:
/// pure, from the data's schema and what [`gather`] read before. `pass` says whether the plan
/// runs as one single pass or as a group of the grouped pass over every partition.
pub(super) fn plan_checks(
    contract: &Contract,
    dataset: &Dataset,
    partition: Option<&Partition>,
    gathered: &Gathered,
    pass: Pass,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Pending> {
    let data_columns: Vec<&str> = gathered.schema.iter_names().map(|n| n.as_str()).collect();
    let mut pending = Vec::new();
    if let Some(schema_spec) = &contract.schema {
        let key = dataset.partition_key.as_deref();
        pending.push(schema_check(
            contract,
            &gathered.schema,
            key,
            &gathered.drift,
            &gathered.absent,
            schema_spec.pos.line,
        ));
    }
    for column in contract.columns() {
        let cannot_read = gathered.unreadable.iter().find(|(name, _)| *name == column.name).map(|(_, why)| why);
        for rule in &column.rules {
            let state = match (cannot_read, gathered.inputs.get(&column.name)) {
                (Some(why), _) => State::Error(why.clone()),
                (None, None) => State::Error(missing_column(&column.name, &data_columns)),
                (None, Some(input)) => match rules::plan(rule, input, pass) {
                    Ok(planned) => State::Planned { planned: Box::new(planned) },
                    Err(reason) => State::Error(reason),
                },
            };
            pending.push(Pending {
                id: format!("{}.{}", column.name, rule.kind.name()),
                kind: rule.kind.name().to_string(),
                column: Some(column.name.clone()),
                severity: rule.severity,
                threshold: rules::threshold(rule),
                line: rule.pos.line,
                state,
                gathered_by: None,
                tolerates_failures: tolerates(&rule.limits),
            });
        }
    }
    let ctx = CheckContext {
        pass,
        columns: &gathered.inputs,
        now_micros: now.timestamp_micros(),
        dataset,
        partition,
        history: &gathered.row_history,
        referenced_keys: &gathered.referenced_keys,
        unique_elsewhere: &gathered.unique_elsewhere,
        data_columns: &data_columns,
        metric_history: &gathered.metric_history,
        reconciled: &gathered.reconciled,
        sql_results: &gathered.sql_results,
    };
    for check in &contract.checks {
        let state = match checks::plan(check, &ctx) {
            Planning::Plan(planned) => State::Planned { planned: Box::new(planned) },
            Planning::Error(reason) => State::Error(reason),
            Planning::Skipped(reason) => State::Skipped(reason),
        };
        pending.push(Pending {
            id: check.id(),
            kind: check.kind.name().to_string(),
            column: checks::column_of(check),
            severity: check.severity,
            threshold: checks::threshold(check),
            line: check.pos.line,
            state,
            gathered_by: None,
            tolerates_failures: tolerates(&check.limits),
        });
    }
    pending
}

/// The aggregates of all checks for one pass, each computed into its check's slot column.
pub(super) fn lay_out(pending: &[Pending]) -> Vec<Expr> {
    let mut aggregates = Vec::new();
    for (check, p) in pending.iter().enumerate() {
        if let State::Planned { planned } = &p.state {
            for slot in &planned.aggregates {
                aggregates.push(slot.expr.clone().alias(slot_column(check, slot.name)));
            }
        }
    }
    aggregates
}

/// Has the main pass gather the failing rows of every check that counts a `Where` predicate
/// (its `failures` slot is that count) and tolerates none, so its samples need no extra pass
/// when it fails. The gathering rides on the count itself: the predicate is still evaluated
/// once. A `unique` check counted in a hash set has the set number its keys' rows, so it
/// tallies the repeated keys' occurrences and first rows. A check that tolerates failures
/// usually passes with some failing rows, so gathering would cost it on every good day; when it
/// does fail, the extra pass samples it. `row` is the row-number column of the pass.
pub(super) fn gather_samples_in_pass(pending: &mut [Pending], row: &Expr) {
    for p in pending.iter_mut() {
        if p.tolerates_failures {
            continue;
        }
        let State::Planned { planned } = &mut p.state else { continue };
        match &planned.evidence {
            Some(Evidence::Where { failing, value }) => {
                let counted = rules::count_where(failing.clone());
                let Some(slot) = planned.aggregates.iter_mut().find(|s| s.name == rules::FAILURES && s.expr == counted)
                else {
                    continue;
                };
                let (gathering, collector) = SampleCollector::gather(failing.clone(), value.clone(), row.clone());
                slot.expr = rules::count_where(gathering);
                p.gathered_by = Some(GatheredBy::Rows(collector));
            }
            Some(Evidence::Duplicates { tallied: Some(tallied), .. }) => {
                let Some(slot) = planned.aggregates.iter_mut().find(|s| s.name == tallied.slot) else { continue };
                slot.expr = tallied.set.insert_numbered(tallied.value.clone(), row.clone()).cast(DataType::Int64);
                p.gathered_by = Some(GatheredBy::Tally(Arc::clone(&tallied.set)));
            }
            Some(Evidence::Duplicates { tallied: None, .. } | Evidence::Known(_)) | None => {}
        }
    }
}

/// The columns [`lay_out`] computes into, in its order.
pub(super) fn slot_columns(pending: &[Pending]) -> Vec<String> {
    let mut columns = Vec::new();
    for (check, p) in pending.iter().enumerate() {
        if let State::Planned { planned } = &p.state {
            columns.extend(planned.aggregates.iter().map(|slot| slot_column(check, slot.name)));
        }
    }
    columns
}

/// The slot columns of the checks whose row failure reads a set the pass fills
/// ([`RowFailure::AfterSets`]): a pass that also writes `--quarantine`/`--clean` needs those sets
/// filled first, so these slots run in a pass before it.
pub(super) fn set_filling_columns(pending: &[Pending]) -> Vec<String> {
    let mut columns = Vec::new();
    for (check, p) in pending.iter().enumerate() {
        if let State::Planned { planned } = &p.state {
            if planned.row_failure.as_ref().is_some_and(RowFailure::after_sets) {
                columns.extend(planned.aggregates.iter().map(|slot| slot_column(check, slot.name)));
            }
        }
    }
    columns
}

/// `schema`: every declared column exists; with `strict`, no undeclared column exists either.
pub(super) fn schema_check(
    contract: &Contract,
    schema: &Schema,
    partition_key: Option<&str>,
    drift: &[String],
    absent: &[(String, Vec<PathBuf>)],
    line: usize,
) -> Pending {
    let strict = contract.schema.as_ref().is_some_and(|s| s.strict);
    // A declared column some files lack (added later): null there. It fails only when the
    // column is `required`; otherwise the message notes it.
    let mut lacking_required = Vec::new();
    let mut notes = Vec::new();
    for column in contract.columns() {
        let Some((_, files)) = absent.iter().find(|(name, _)| *name == column.name) else { continue };
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let text = format!("`{}` is absent from {} (read as null there)", column.name, names.join(", "));
        if column.rules.iter().any(|r| r.kind == RuleKind::Required) {
            lacking_required.push(text);
        } else {
            notes.push(text);
        }
    }
    let missing: Vec<&str> =
        contract.columns().iter().map(|c| c.name.as_str()).filter(|n| schema.get(n).is_none()).collect();
    let extra: Vec<&str> = if strict {
        schema
            .iter_names()
            .map(|n| n.as_str())
            .filter(|n| Some(*n) != partition_key && !contract.columns().iter().any(|c| c.name == *n))
            .collect()
    } else {
        Vec::new()
    };
    let failures = (missing.len() + extra.len() + drift.len() + lacking_required.len()) as u64;
    let mut parts = Vec::new();
    if !lacking_required.is_empty() {
        parts.push(format!("required column {}", lacking_required.join("; ")));
    }
    if !drift.is_empty() {
        parts.push(format!("schema drift: {}", drift.join("; ")));
    }
    if !missing.is_empty() {
        let data_columns: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
        let named: Vec<String> = missing
            .iter()
            .map(|m| match nearest_name(m, &data_columns) {
                Some(best) => format!("{m} (did you mean `{best}`?)"),
                None => m.to_string(),
            })
            .collect();
        parts.push(format!("missing columns: {}", named.join(", ")));
    }
    if !extra.is_empty() {
        parts.push(format!("undeclared columns (strict): {}", extra.join(", ")));
    }
    let mut message = if parts.is_empty() {
        format!("all {} declared columns present", contract.columns().len())
    } else {
        parts.join("; ")
    };
    if !notes.is_empty() {
        message.push_str(&format!("; note: optional column {}", notes.join("; ")));
    }
    Pending {
        id: "schema".into(),
        kind: "schema".into(),
        column: None,
        severity: Severity::Error,
        threshold: serde_json::json!({"strict": strict}),
        line,
        state: State::Done(Measured {
            skipped: None,
            failures: Some(failures),
            observed: serde_json::json!(failures),
            passed: failures == 0,
            message,
            details: None,
        }),
        gathered_by: None,
        tolerates_failures: false,
    }
}
