//! Running a pass on Polars: the engine choice (streaming or in memory) and pinning a failure
//! on the file that cannot be read.

use crate::contract::Format;
use crate::rules::{Planned, Slot, SlotValues};
use crate::source::{parquet_rows, DataError, DataErrorKind, Dataset};
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// Up to this many rows a query that needs a hash set may run in memory, at a peak of roughly
/// 120 bytes per row for a 10-column contract.
pub(super) const IN_MEMORY_ROWS: u64 = 12_000_000;

/// The same bound for CSV, by file size.
pub(super) const IN_MEMORY_CSV_BYTES: u64 = 1 << 30;

/// Polars' streaming engine bounds memory and, on the benchmark, is faster than the in-memory one
/// (0.8 s against 1.0 s at 10M rows), except where a hash set is built — `n_unique`, `unique`,
/// windows — which streams 5x slower. Such queries run in memory while the data is small.
/// `TOLLGATE_ENGINE=streaming|in-memory` overrides the choice.
pub(super) fn engine_for(dataset: &Dataset, files: &[PathBuf], builds_hash_set: bool) -> Engine {
    match std::env::var("TOLLGATE_ENGINE").as_deref() {
        Ok("in-memory") => return Engine::InMemory,
        Ok("streaming") => return Engine::Streaming,
        _ => {}
    }
    let small = match dataset.format {
        Format::Parquet => dataset.parquet_rows(files).is_ok_and(|rows| rows <= IN_MEMORY_ROWS),
        Format::Csv => files.iter().map(|f| file_size(f).unwrap_or(u64::MAX)).sum::<u64>() <= IN_MEMORY_CSV_BYTES,
    };
    if small && builds_hash_set {
        Engine::InMemory
    } else {
        Engine::Streaming
    }
}

/// A data file's size: the file's, or the object's (from its listing).
pub(super) fn file_size(file: &Path) -> Option<u64> {
    if crate::remote::is_url(file) {
        crate::remote::size(file).ok()
    } else {
        std::fs::metadata(file).map(|m| m.len()).ok()
    }
}

/// An aggregate counts distinct values in a hash set.
pub(super) fn counts_distinct(aggregates: &[Expr]) -> bool {
    aggregates.iter().any(|a| a.into_iter().any(|e| matches!(e, Expr::Agg(AggExpr::NUnique(_)))))
}

/// Runs a query that may build hash sets (keys, samples, groups).
pub(super) fn collect(lf: LazyFrame, dataset: &Dataset, files: &[PathBuf]) -> Result<DataFrame, DataError> {
    collect_on(lf, engine_for(dataset, files, true), dataset, files)
}

/// Runs a query; a failure is pinned on the file to blame: one that cannot be read on its own,
/// or (for keys outside the footers' range) one whose values contradict its own footer.
pub(super) fn collect_on(
    lf: LazyFrame,
    engine: Engine,
    dataset: &Dataset,
    files: &[PathBuf],
) -> Result<DataFrame, DataError> {
    lf.collect_with_engine(engine).map(|r| r.unwrap_single()).map_err(|e| {
        blamed_input(&e, dataset, files)
            .unwrap_or_else(|| DataError::new(files.first().cloned().unwrap_or_default(), e.to_string()))
    })
}

/// The input a failed query is pinned on: a file that cannot be read on its own, one whose values
/// contradict its own footer, or (a value that does not fit the types inferred for CSV) the
/// query's files. `None` when every file reads: then it failed elsewhere (writing an output).
pub(super) fn blamed_input(e: &PolarsError, dataset: &Dataset, files: &[PathBuf]) -> Option<DataError> {
    if dataset.format == Format::Parquet && is_out_of_bounds(e) {
        if let Some(found) = crate::statistics::contradicting_file(dataset, files) {
            return Some(DataError::new(&found.file, found.message()));
        }
    }
    let unreadable = files.iter().find(|f| {
        let single = [f.to_path_buf()];
        match dataset.format {
            Format::Parquet => parquet_rows(&single).is_err(),
            Format::Csv => dataset
                .scan(&single, &[])
                .and_then(|lf| lf.select([len()]).collect().map_err(|e| DataError::new(f.as_path(), e.to_string())))
                .is_err(),
        }
    });
    let compute = is_compute_error(e);
    let culprit = unreadable.or(files.first().filter(|_| compute))?;
    let kind = if compute { DataErrorKind::Compute } else { DataErrorKind::Read };
    Some(DataError::new(culprit, e.to_string()).of_kind(kind))
}

/// Polars' error, through any context it was wrapped in.
fn root_error(e: &PolarsError) -> &PolarsError {
    match e {
        PolarsError::Context { error, .. } | PolarsError::ExprContext { error, .. } => root_error(error),
        other => other,
    }
}

fn is_out_of_bounds(e: &PolarsError) -> bool {
    matches!(root_error(e), PolarsError::OutOfBounds(_))
}

/// A computation failed on the values (in CSV, a value that does not fit the inferred type).
fn is_compute_error(e: &PolarsError) -> bool {
    matches!(root_error(e), PolarsError::ComputeError(_))
}

pub(super) fn first_i64(df: &DataFrame, index: usize) -> Option<i64> {
    let column = df.columns().get(index)?;
    column.get(0).ok()?.extract::<i64>()
}

/// The column check number `check` of a plan computes its slot `slot` into.
pub(super) fn slot_column(check: usize, slot: &str) -> String {
    format!("#{check}.{slot}")
}

/// The row count a pass computes beside the checks' slots (CSV; every grouped pass).
pub(super) const ROWS_COLUMN: &str = "#rows";

/// One row of what a pass computed: the whole single pass, or one group of a grouped pass;
/// `None` when nothing ran (or the group had no rows).
#[derive(Clone, Copy)]
pub(super) struct PassRow<'a> {
    pub(super) df: Option<&'a DataFrame>,
    pub(super) row: usize,
}

impl PassRow<'_> {
    pub(super) const NOTHING: PassRow<'static> = PassRow { df: None, row: 0 };

    fn cell(&self, column: &str) -> Option<AnyValue<'_>> {
        self.df?.column(column).ok()?.get(self.row).ok()
    }

    pub(super) fn int(&self, column: &str) -> Option<i64> {
        self.cell(column)?.extract::<i64>()
    }

    /// The values of `slots`, computed into `columns` (same order).
    pub(super) fn slot_values(&self, slots: &[Slot], columns: impl Iterator<Item = String>) -> SlotValues {
        SlotValues::new(
            slots
                .iter()
                .zip(columns)
                .map(|(slot, column)| {
                    let cell = self.cell(&column);
                    let int = cell.as_ref().and_then(|c| c.extract::<i64>());
                    let float = cell.as_ref().and_then(|c| c.extract::<f64>());
                    (slot.name, int, float)
                })
                .collect(),
        )
    }

    /// The values of plan check number `check`'s slots.
    pub(super) fn check_values(&self, check: usize, planned: &Planned) -> SlotValues {
        self.slot_values(&planned.aggregates, planned.aggregates.iter().map(|s| slot_column(check, s.name)))
    }
}
