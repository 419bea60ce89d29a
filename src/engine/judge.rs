//! Judging: each check's aggregates read back into a verdict, then one gathering of samples for
//! the checks that failed.

use super::empty_report;
use super::exec::PassRow;
use super::plan::{GatheredBy, Pending, State};
use super::samples::{Gathered, Locator, SampleRow, Wanted};
use super::Options;
use crate::contract::Severity;
use crate::report::{CheckReport, Status};
use crate::rules::{Evidence, Facts, Measured};
use crate::source::DataError;
use serde_json::Value;
use std::collections::HashMap;

/// Judges every check from the pass's values; fetches samples only for checks that did not hold.
pub(super) fn conclude(
    pending: Vec<Pending>,
    pass: PassRow,
    rows: u64,
    options: &Options,
    sample: impl FnOnce(&[Wanted]) -> Result<Vec<Vec<SampleRow>>, DataError>,
    locator: &Locator,
) -> Result<Vec<CheckReport>, DataError> {
    // First every check is judged; then the samples of all that failed are gathered together
    // (one extra pass for most kinds, see `samples_of`); then the reports are made, in order.
    struct Judged {
        pending: Pending,
        measured: Measured,
        status: Status,
        evidence: Option<Evidence>,
    }
    let mut judged: Vec<Result<Judged, CheckReport>> = Vec::new();
    let mut failures: HashMap<String, Option<u64>> = HashMap::new();
    for (check, mut p) in pending.into_iter().enumerate() {
        let state = std::mem::replace(&mut p.state, State::Skipped(String::new()));
        let (measured, evidence) = match state {
            State::Planned { planned } => {
                let facts = Facts { rows, failures: &failures };
                ((planned.finish)(&pass.check_values(check, &planned), &facts), planned.evidence)
            }
            State::Done(m) => (m, None),
            State::Error(reason) => {
                let (id, kind, column, threshold) = (p.id, p.kind, p.column, p.threshold);
                judged.push(Err(empty_report(id, kind, column, p.severity, threshold, p.line, Status::Error, reason)));
                continue;
            }
            State::Skipped(reason) => {
                let (id, kind, column, threshold) = (p.id, p.kind, p.column, p.threshold);
                judged.push(Err(empty_report(
                    id,
                    kind,
                    column,
                    p.severity,
                    threshold,
                    p.line,
                    Status::Skipped,
                    reason,
                )));
                continue;
            }
        };
        let status = match (&measured.skipped, measured.passed, p.severity) {
            (Some(_), _, _) => Status::Skipped,
            (None, true, _) => Status::Pass,
            (None, false, Severity::Warn) => Status::Warn,
            (None, false, Severity::Error) => Status::Fail,
        };
        failures.insert(p.id.clone(), measured.failures);
        judged.push(Ok(Judged { pending: p, measured, status, evidence }));
    }
    // Which checks get samples gathered from the data (a check's own samples need no pass).
    let wanted: Vec<usize> = judged
        .iter()
        .enumerate()
        .filter_map(|(i, j)| {
            let j = j.as_ref().ok()?;
            let failing = matches!(j.status, Status::Warn | Status::Fail) && j.measured.failures.unwrap_or(0) > 0;
            match &j.evidence {
                Some(Evidence::Where { .. } | Evidence::Duplicates { .. }) if failing && options.sample > 0 => Some(i),
                Some(Evidence::Where { .. } | Evidence::Duplicates { .. } | Evidence::Known(_)) | None => None,
            }
        })
        .collect();
    let evidences: Vec<Wanted> = wanted
        .iter()
        .filter_map(|i| {
            let j = judged[*i].as_ref().ok()?;
            let gathered = match (&j.pending.gathered_by, j.measured.failures) {
                (Some(GatheredBy::Rows(collector)), Some(failures)) => collector.rows(failures).map(Gathered::Rows),
                (Some(GatheredBy::Tally(set)), Some(failures)) => {
                    set.duplicates().filter(|d| extra_occurrences(d) == Some(failures)).map(Gathered::Counted)
                }
                (Some(_) | None, _) => None,
            };
            Some(Wanted { evidence: j.evidence.as_ref()?, gathered })
        })
        .collect();
    let mut gathered: HashMap<usize, Vec<SampleRow>> =
        if evidences.is_empty() { HashMap::new() } else { wanted.iter().copied().zip(sample(&evidences)?).collect() };

    let mut reports = Vec::new();
    for (i, j) in judged.into_iter().enumerate() {
        let Judged { pending: p, measured, status, evidence } = match j {
            Ok(j) => j,
            Err(report) => {
                reports.push(report);
                continue;
            }
        };
        let rows = match (&evidence, status) {
            (Some(Evidence::Known(known)), Status::Warn | Status::Fail) => known
                .iter()
                .take(options.sample)
                .map(|(value, count)| SampleRow { value: value.clone(), count: *count, first_row: None })
                .collect(),
            _ => gathered.remove(&i).unwrap_or_default(),
        };
        let mut samples = Vec::new();
        for r in &rows {
            let mut detail = serde_json::json!({"value": r.value, "count": r.count});
            if let (Some(first), Value::Object(map)) = (r.first_row, &mut detail) {
                if let Value::Object(location) = locator.locate(first)? {
                    map.extend(location);
                }
            }
            samples.push(detail);
        }
        let sample = rows.into_iter().map(|r| r.value).collect();
        // A skipped check reports no figures (SPEC §3); what it measured stays in `details`.
        let (failures_out, observed_out, message) = match &measured.skipped {
            Some(reason) => (None, Value::Null, reason.clone()),
            None => (measured.failures, measured.observed, measured.message),
        };
        reports.push(CheckReport {
            id: p.id,
            kind: p.kind,
            column: p.column,
            severity: p.severity.name().to_string(),
            status,
            failures: failures_out,
            observed: observed_out,
            threshold: p.threshold,
            sample,
            samples,
            message,
            details: measured.details,
            line: p.line,
        });
    }
    Ok(reports)
}

/// The occurrences of repeated keys beyond each key's first (what `unique` counts as failures),
/// from a tally's `n` column.
fn extra_occurrences(tally: &polars::prelude::DataFrame) -> Option<u64> {
    let counts = tally.column("n").ok()?.u64().ok()?;
    Some(counts.iter().map(|n| n.unwrap_or(0).saturating_sub(1)).sum())
}
