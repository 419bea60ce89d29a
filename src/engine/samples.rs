//! Samples of failing values, with the file and row of their first occurrence.

use super::exec::collect_on;
use super::plan::{Pending, State};
use crate::contract::Format;
use crate::rules::Evidence;
use crate::source::normalize;
use crate::source::{DataError, Dataset};
use polars::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

/// The row-number column of sample queries, to locate a value's first occurrence.
pub(super) const ROW_INDEX: &str = "__tollgate_row";

/// A sampled failing value.
pub struct SampleRow {
    pub value: Value,
    pub count: u64,
    /// Index of its first occurrence among all rows of the scan.
    pub first_row: Option<u64>,
}

/// Turns a row index of the scan into the file and row (Parquet) or line (CSV) it came from.
pub struct Locator<'a> {
    pub(super) dataset: &'a Dataset,
    /// The scanned files, in scan order.
    pub(super) files: &'a [PathBuf],
    /// Rows of each file, counted on first use (footers for Parquet).
    pub(super) counts: std::cell::OnceCell<Vec<u64>>,
    /// The rows the pass read from `files`, if known: CSV record counts from the structure check
    /// are used only when they add up to it.
    pub(super) rows: Option<u64>,
}

impl<'a> Locator<'a> {
    pub(super) fn new(dataset: &'a Dataset, files: &'a [PathBuf], rows: Option<u64>) -> Locator<'a> {
        Locator { dataset, files, counts: std::cell::OnceCell::new(), rows }
    }

    /// Each file's rows as known without reading it (CSV records the structure check counted,
    /// Parquet footers), when they add up to the pass's rows (else the files are counted again).
    fn counted_records(&self) -> Option<Vec<u64>> {
        let counts: Vec<u64> = self.files.iter().map(|f| self.dataset.known_rows(f)).collect::<Option<_>>()?;
        (Some(counts.iter().sum::<u64>()) == self.rows).then_some(counts)
    }

    pub(super) fn locate(&self, row: u64) -> Result<Value, DataError> {
        if self.counts.get().is_none() {
            let counts = if self.files.len() == 1 {
                vec![u64::MAX]
            } else if let Some(counts) = self.counted_records() {
                counts
            } else {
                self.files
                    .iter()
                    .map(|f| super::prefetch::count_rows(self.dataset, std::slice::from_ref(f)))
                    .collect::<Result<_, _>>()?
            };
            let _ = self.counts.set(counts);
        }
        let counts = self.counts.get().map(Vec::as_slice).unwrap_or_default();
        let mut start = 0u64;
        for (file, n) in self.files.iter().zip(counts) {
            if row < start.saturating_add(*n) {
                let local = row - start;
                return Ok(match self.dataset.format {
                    Format::Parquet => serde_json::json!({"file": normalize(file).to_string_lossy(), "row": local}),
                    // 1-based, after the header and blank lines; assumes one record per line.
                    Format::Csv => {
                        let header = self.dataset.csv.header;
                        let line = match self.dataset.csv_layout(file) {
                            Some(layout) => layout.line_of(local, header),
                            None => local + 1 + u64::from(header),
                        };
                        serde_json::json!({"file": normalize(file).to_string_lossy(), "line": line})
                    }
                });
            }
            start = start.saturating_add(*n);
        }
        Ok(Value::Null)
    }
}

/// Failing values a check's count gathers in the main pass, so its samples need no other pass:
/// each batch adds its failing rows' values and row numbers, up to [`COLLECTED_ROWS`]. Beyond
/// that, or if the rows gathered do not add up to the check's failures, the samples come from
/// the extra pass as before.
pub(super) struct SampleCollector {
    state: std::sync::Mutex<Collected>,
}

#[derive(Default)]
struct Collected {
    values: Vec<Series>,
    rows: Vec<Series>,
    count: usize,
    overflowed: bool,
}

/// `values` in buffers of their own: a filtered text column still points into its whole batch's
/// buffers, and keeping a few rows of every batch would keep every batch (at 30M rows, +600 MiB).
fn detached(values: &Series) -> PolarsResult<Series> {
    let owned: Vec<AnyValue<'static>> = values.iter().map(|v| v.into_static()).collect();
    Series::from_any_values_and_dtype(values.name().clone(), &owned, values.dtype(), true)
}

/// Failing rows one check may gather in the main pass; past it, the extra pass samples instead.
pub(super) const COLLECTED_ROWS: usize = 1 << 20;

impl SampleCollector {
    /// `failing`, unchanged, gathering the `value` and `row` of its true rows on the way.
    pub(super) fn gather(failing: Expr, value: Expr, row: Expr) -> (Expr, std::sync::Arc<SampleCollector>) {
        let collector = std::sync::Arc::new(SampleCollector { state: Default::default() });
        let gathering = std::sync::Arc::clone(&collector);
        // One struct input: a UDF of one column streams where one of several may not.
        let udf = move |columns: &mut [Column]| -> PolarsResult<Column> {
            let fields = columns[0].struct_()?.fields_as_series();
            let flags = fields[0].bool()?.clone();
            let failing = flags.fill_null_with_values(false)?;
            let n = failing.sum().unwrap_or(0) as usize;
            if n > 0 {
                let mut state = gathering.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if !state.overflowed {
                    if state.count + n > COLLECTED_ROWS {
                        *state = Collected { overflowed: true, ..Default::default() };
                    } else {
                        state.values.push(detached(&fields[1].filter(&failing)?)?);
                        state.rows.push(fields[2].filter(&failing)?);
                        state.count += n;
                    }
                }
            }
            Ok(flags.with_name(columns[0].name().clone()).into_column())
        };
        let field = |_: &Schema, fields: &[Field]| Ok(Field::new(fields[0].name().clone(), DataType::Boolean));
        let input = as_struct(vec![failing.alias("failing"), value.alias("value"), row.alias("row")]);
        let expr = crate::rules::named_udf(input.map_many(udf, &[], field), "samples.gather");
        (expr, collector)
    }

    /// The gathered failing rows (`k0`, and the row number as `ROW_INDEX`) when they are all of
    /// the check's `failures`; `None` past the cap or when the counts disagree.
    pub(super) fn rows(&self, failures: u64) -> Option<DataFrame> {
        let state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.overflowed || state.count as u64 != failures {
            return None;
        }
        let concat = |parts: &[Series]| -> Option<Series> {
            let mut parts = parts.iter();
            let mut all = parts.next()?.clone();
            for part in parts {
                all.append(part).ok()?;
            }
            Some(all)
        };
        let values = concat(&state.values)?.with_name("k0".into());
        let rows = concat(&state.rows)?.with_name(ROW_INDEX.into());
        DataFrame::new(values.len(), vec![values.into_column(), rows.into_column()]).ok()
    }
}

/// Each planned check's per-row failure, by check id, for `--quarantine`.
pub(super) fn row_rules(pending: &[Pending]) -> Vec<(String, Expr)> {
    pending
        .iter()
        .filter_map(|p| match &p.state {
            State::Planned { planned, .. } => planned.row_failure.as_ref().map(|f| (p.id.clone(), f.expr().clone())),
            _ => None,
        })
        .collect()
}

/// A failing check whose samples are wanted: its evidence, and the failing rows the main pass
/// gathered for it, if it could.
pub(super) struct Wanted<'a> {
    pub(super) evidence: &'a Evidence,
    pub(super) gathered: Option<Gathered>,
}

/// What the main pass gathered for a check's samples.
pub(super) enum Gathered {
    /// Failing rows: `k0` and the row number `ROW_INDEX`.
    Rows(DataFrame),
    /// Values already counted: `k0`, `n` and `first`.
    Counted(DataFrame),
}

/// The samples of several failing checks. Those the main pass gathered are counted from what it
/// gathered. The other `Where` kinds share one extra pass: their flags
/// and values are computed together, only rows failing one of them are kept (their value and
/// row number), and each check's most frequent values are then counted from those rows in
/// memory. A `Duplicates` sample groups its own keys (a key that repeats is not known per row).
pub(super) fn samples_of(
    lf: &LazyFrame,
    evidences: &[Wanted],
    within: Expr,
    limit: usize,
    dataset: &Dataset,
    files: &[PathBuf],
) -> Result<Vec<Vec<SampleRow>>, DataError> {
    let mut out: Vec<Option<Vec<SampleRow>>> = evidences.iter().map(|_| None).collect();
    let mut columns = Vec::new();
    let mut shared = Vec::new();
    for (i, wanted) in evidences.iter().enumerate() {
        // Gathered in the main pass: counted here, no pass.
        match &wanted.gathered {
            Some(Gathered::Rows(rows)) => {
                let grouped = rows
                    .clone()
                    .lazy()
                    .group_by([col("k0")])
                    .agg([len().alias("n"), col(ROW_INDEX).min().alias("first")]);
                out[i] = Some(top_samples(grouped, 1, limit, Engine::InMemory, dataset, files)?);
                continue;
            }
            Some(Gathered::Counted(counted)) => {
                out[i] = Some(top_samples(counted.clone().lazy(), 1, limit, Engine::InMemory, dataset, files)?);
                continue;
            }
            None => {}
        }
        match wanted.evidence {
            Evidence::Where { failing, value } => {
                columns.push(failing.clone().alias(format!("__flag{i}")));
                columns.push(value.clone().alias(format!("__value{i}")));
                shared.push(i);
            }
            Evidence::Duplicates { keys, present, looked_up, tallied: _ } => {
                out[i] = Some(duplicate_samples(lf, keys, present, *looked_up, within.clone(), limit, dataset, files)?)
            }
            // Gathered by the check itself; `conclude` never asks for these.
            Evidence::Known(_) => out[i] = Some(Vec::new()),
        }
    }
    if !shared.is_empty() {
        let any = shared.iter().map(|i| col(format!("__flag{i}"))).reduce(|a, b| a.or(b)).unwrap_or(lit(false));
        let mut keep: Vec<Expr> = vec![col(ROW_INDEX)];
        keep.extend(shared.iter().flat_map(|i| [col(format!("__flag{i}")), col(format!("__value{i}"))]));
        // `when` rather than `and`, so the optimizer cannot push `within` below the flags.
        let failing_rows =
            lf.clone().with_columns(columns).filter(when(any).then(within).otherwise(lit(false))).select(keep);
        // A filter and a projection, no hash set: streamed, so memory holds the failing rows only.
        let failing_rows = collect_on(failing_rows, Engine::Streaming, dataset, files)?;
        for i in shared {
            let grouped = failing_rows
                .clone()
                .lazy()
                .filter(col(format!("__flag{i}")))
                .group_by([col(format!("__value{i}")).alias("k0")])
                .agg([len().alias("n"), col(ROW_INDEX).min().alias("first")]);
            out[i] = Some(top_samples(grouped, 1, limit, Engine::InMemory, dataset, files)?);
        }
    }
    Ok(out.into_iter().map(Option::unwrap_or_default).collect())
}

/// The `limit` most frequent of `grouped` (columns `n`, `first`, `k0…`), ties by value.
pub(super) fn top_samples(
    grouped: LazyFrame,
    keys: usize,
    limit: usize,
    engine: Engine,
    dataset: &Dataset,
    files: &[PathBuf],
) -> Result<Vec<SampleRow>, DataError> {
    let mut by: Vec<PlSmallStr> = vec!["n".into()];
    by.extend((0..keys).map(|i| PlSmallStr::from(format!("k{i}"))));
    let descending: Vec<bool> = std::iter::once(true).chain((0..keys).map(|_| false)).collect();
    let sorted = grouped
        .sort(by, SortMultipleOptions::default().with_order_descending_multi(descending).with_nulls_last(true))
        .limit(limit as IdxSize);
    let df = collect_on(sorted, engine, dataset, files)?;
    let cell =
        |name: &str, row: usize| df.column(name).ok().and_then(|c| c.get(row).ok()).and_then(|v| v.extract::<u64>());
    let mut out = Vec::new();
    for row in 0..df.height() {
        let parts: Vec<Value> = (0..keys)
            .map(|i| {
                df.column(&format!("k{i}"))
                    .ok()
                    .and_then(|c| c.get(row).ok())
                    .map(|v| crate::values::json_value(&v))
                    .unwrap_or(Value::Null)
            })
            .collect();
        let value =
            if parts.len() == 1 { parts.into_iter().next().unwrap_or(Value::Null) } else { Value::Array(parts) };
        out.push(SampleRow { value, count: cell("n", row).unwrap_or(0), first_row: cell("first", row) });
    }
    Ok(out)
}

/// The most repeated keys among the rows where `within` and `present` hold, most repeated first
/// (ties by key). The flags are computed over all of `lf` first, so a predicate that looks across
/// partitions (a window) still sees every partition.
#[allow(clippy::too_many_arguments)]
pub(super) fn duplicate_samples(
    lf: &LazyFrame,
    keys: &[Expr],
    present: &Expr,
    looked_up: bool,
    within: Expr,
    limit: usize,
    dataset: &Dataset,
    files: &[PathBuf],
) -> Result<Vec<SampleRow>, DataError> {
    let mut columns = vec![present.clone().alias("__flag")];
    columns.extend(keys.iter().enumerate().map(|(i, k)| k.clone().alias(format!("k{i}"))));
    // `when` rather than `and`, so the optimizer cannot split `within` off and push it below the flags.
    let keep = when(col("__flag")).then(within).otherwise(lit(false));
    let key_columns: Vec<Expr> = (0..keys.len()).map(|i| col(format!("k{i}"))).collect();
    let grouped = lf
        .clone()
        .with_columns(columns)
        .filter(keep)
        .group_by(key_columns)
        .agg([len().alias("n"), col(ROW_INDEX).min().alias("first")])
        .filter(col("n").gt(lit(1)));
    // A lookup of the few repeated keys builds no large hash set: it streams. (In memory, a
    // scan whose columns are parsed after reading, as CSV timestamps are, would be read whole.)
    let engine = if looked_up { Engine::Streaming } else { super::exec::engine_for(dataset, files, true) };
    top_samples(grouped, keys.len(), limit, engine, dataset, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_gathers_its_failing_rows_in_either_engine() {
        let values: Vec<Option<i64>> = (0..100).map(|i| if i % 10 == 3 { None } else { Some(i % 7) }).collect();
        for engine in [Engine::InMemory, Engine::Streaming] {
            let parts: Vec<LazyFrame> = values.chunks(9).map(|c| df!("v" => c.to_vec()).unwrap().lazy()).collect();
            let lf = concat(parts, UnionArgs::default()).unwrap().with_row_index(ROW_INDEX, None);
            let failing = col("v").gt(lit(4));
            let (gathering, collector) = SampleCollector::gather(failing, col("v"), col(ROW_INDEX));
            let df =
                lf.select([crate::rules::count_where(gathering)]).collect_with_engine(engine).unwrap().unwrap_single();
            let failures = df.columns()[0].get(0).unwrap().extract::<u64>().unwrap();
            let expected: Vec<(i64, u64)> = values
                .iter()
                .enumerate()
                .filter_map(|(row, v)| v.filter(|v| *v > 4).map(|v| (v, row as u64)))
                .collect();
            assert_eq!(failures, expected.len() as u64);
            let rows = collector.rows(failures).expect("every failing row gathered");
            let mut got: Vec<(i64, u64)> = rows
                .column("k0")
                .unwrap()
                .i64()
                .unwrap()
                .iter()
                .zip(rows.column(ROW_INDEX).unwrap().cast(&DataType::UInt64).unwrap().u64().unwrap().iter())
                .map(|(v, r)| (v.unwrap(), r.unwrap()))
                .collect();
            got.sort_by_key(|(_, row)| *row);
            assert_eq!(got, expected, "{engine:?}");
            // A count that disagrees is not trusted.
            assert!(collector.rows(failures + 1).is_none());
        }
    }
}
