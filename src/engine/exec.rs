//! Running a pass on Polars: the engine choice (streaming or in memory) and pinning a failure
//! on the file that cannot be read.

#[allow(unused_imports)]
use super::*;

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

/// Runs a query; a failure is pinned on the first file that cannot be read on its own.
pub(super) fn collect_on(
    lf: LazyFrame,
    engine: Engine,
    dataset: &Dataset,
    files: &[PathBuf],
) -> Result<DataFrame, DataError> {
    lf.collect_with_engine(engine).map(|r| r.unwrap_single()).map_err(|e| {
        let culprit = files
            .iter()
            .find(|f| {
                let single = [f.to_path_buf()];
                match dataset.format {
                    Format::Parquet => parquet_rows(&single).is_err(),
                    Format::Csv => dataset
                        .scan(&single, &[])
                        .and_then(|lf| {
                            lf.select([len()]).collect().map_err(|e| DataError::new(f.as_path(), e.to_string()))
                        })
                        .is_err(),
                }
            })
            .or(files.first())
            .cloned()
            .unwrap_or_default();
        DataError::new(culprit, e.to_string())
    })
}

pub(super) fn first_i64(df: &DataFrame, index: usize) -> Option<i64> {
    let column = df.columns().get(index)?;
    column.get(0).ok()?.extract::<i64>()
}

/// What one pass computed for one result, aggregate by aggregate: as integers (counts) and as
/// floats (means, sums).
#[derive(Default)]
pub(super) struct PassValues {
    pub(super) ints: Vec<Option<i64>>,
    pub(super) floats: Vec<Option<f64>>,
}

impl PassValues {
    /// Row `row` of `df`, from column `skip` on (a grouped pass has its group key first).
    pub(super) fn of_row(df: &DataFrame, row: usize, skip: usize) -> PassValues {
        let cell = |i: usize| df.columns().get(i).and_then(|c| c.get(row).ok());
        let columns = skip..df.width();
        PassValues {
            ints: columns.clone().map(|i| cell(i).and_then(|v| v.extract::<i64>())).collect(),
            floats: columns.map(|i| cell(i).and_then(|v| v.extract::<f64>())).collect(),
        }
    }
}
