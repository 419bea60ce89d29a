//! What Parquet footers know about a column: its null count and each row group's min and max.
//! Rules whose answer these decide exactly take it from here and leave the column unread.

use std::path::PathBuf;

use polars::io::parquet::metadata::{deserialize, ParquetStatistics};
use polars::io::parquet::read::infer_schema;
use polars::prelude::*;

use crate::source::Dataset;
use crate::types::{family, Family};

/// Footer statistics of one column over the checked files, present only when every row group
/// records them.
#[derive(Debug)]
pub struct ColumnStats {
    pub rows: u64,
    /// `None` where a writer is known to record wrong null counts.
    pub nulls: Option<u64>,
    /// Every row group's min and max, in the column's type. Only for integers, dates and
    /// timestamps: float extremes leave NaN out, text extremes may be truncated.
    pub extremes: Option<DataFrame>,
}

impl ColumnStats {
    /// Evaluates `aggregate` over the extremes: `None` without extremes; inside, `None` for a
    /// null result. Exact only for aggregates the extremes decide (max, min, "any value outside
    /// bounds").
    pub fn on_extremes(&self, aggregate: Expr) -> Option<Option<i64>> {
        let frame = self.extremes.as_ref()?;
        let df = frame.clone().lazy().select([aggregate.cast(DataType::Int64)]).collect().ok()?;
        Some(df.columns().first()?.get(0).ok()?.extract::<i64>())
    }
}

/// A file whose integer (date, timestamp) values fall outside the minimum and maximum its own
/// footer states: corrupt data pages, or a writer's wrong statistics. Decodes every such column
/// of each file in turn, so it is only for explaining a failure.
pub fn contradicting_file(dataset: &Dataset, files: &[PathBuf]) -> Option<Contradiction> {
    for file in files {
        let single = std::slice::from_ref(file);
        let Ok(columns) = dataset.parquet_schema(file) else { continue };
        // The footer's range of each integer-like column with statistics, then one query decoding
        // all of their minima and maxima.
        let stated: Vec<(String, Expr, i64, i64)> = columns
            .into_iter()
            .filter_map(|(name, dtype)| {
                let stats = column_stats(dataset, single, &name, &dtype)?;
                let value = col(name.as_str()).to_physical().cast(DataType::Int64);
                let low = stats.on_extremes(value.clone().min()).flatten()?;
                let high = stats.on_extremes(value.clone().max()).flatten()?;
                Some((name, value, low, high))
            })
            .collect();
        if stated.is_empty() {
            continue;
        }
        let aggregates: Vec<Expr> = stated
            .iter()
            .enumerate()
            .flat_map(|(i, (_, value, _, _))| {
                [value.clone().min().alias(format!("min{i}")), value.clone().max().alias(format!("max{i}"))]
            })
            .collect();
        // Pages that do not even decode contradict the footer too.
        let decoded = dataset.scan(single, &[]).ok().and_then(|lf| lf.select(aggregates).collect().ok());
        let found = |c: String| decoded.as_ref()?.column(&c).ok()?.get(0).ok()?.extract::<i64>();
        for (i, (name, _, low, high)) in stated.into_iter().enumerate() {
            let (min, max) = (found(format!("min{i}")), found(format!("max{i}")));
            if !matches!((min, max), (Some(a), Some(b)) if a >= low && b <= high) {
                return Some(Contradiction {
                    file: file.clone(),
                    column: name,
                    stated: (low, high),
                    found: min.zip(max),
                });
            }
        }
    }
    None
}

/// See [`contradicting_file`].
#[derive(Debug, Clone, PartialEq)]
pub struct Contradiction {
    pub file: PathBuf,
    pub column: String,
    /// The footer's minimum and maximum (physical integers).
    pub stated: (i64, i64),
    /// The decoded minimum and maximum, if the pages decode.
    pub found: Option<(i64, i64)>,
}

impl Contradiction {
    pub fn message(&self) -> String {
        let found = match self.found {
            Some((min, max)) => format!("its pages hold {min}..{max}"),
            None => "its pages do not decode".to_string(),
        };
        format!(
            "the values of `{}` contradict this file's own footer, which states {}..{} while {found}: the file \
             is corrupt, or its writer recorded wrong statistics; rewrite it from its source",
            self.column, self.stated.0, self.stated.1
        )
    }
}

/// The column's statistics in `files`, or `None` when any row group lacks them (or they are
/// malformed: the decoder may panic on those, see `cli::quiet_footer_decoder_panics`).
pub fn column_stats(dataset: &Dataset, files: &[PathBuf], name: &str, dtype: &DataType) -> Option<ColumnStats> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| stats_of(dataset, files, name, dtype))).ok().flatten()
}

fn stats_of(dataset: &Dataset, files: &[PathBuf], name: &str, dtype: &DataType) -> Option<ColumnStats> {
    let with_extremes = matches!(family(dtype), Family::Integer | Family::Date | Family::Timestamp);
    let (mut rows, mut nulls) = (0u64, Some(0u64));
    let mut extremes: Option<Series> = with_extremes.then(|| Series::new_empty(name.into(), dtype));
    for file in files {
        let footer = dataset.footer(file).ok()?;
        let schema = infer_schema(&footer).ok()?;
        let field = schema.get(name)?;
        let writer = footer.created_by.as_deref().unwrap_or_default();
        let mut bounds = Vec::new();
        for group in &footer.row_groups {
            let dictionary = group.columns_under_root_iter(name)?.any(|c| c.dictionary_page_offset().is_some());
            let mut chunks = group.columns_under_root_iter(name)?;
            let ParquetStatistics::Column(stats) = deserialize(field, &mut chunks, &footer.footer_buf).ok()?? else {
                return None;
            };
            let stats = stats.into_arrow().ok()?;
            let group_nulls = stats.null_count?;
            rows += group.num_rows() as u64;
            nulls = nulls.filter(|_| null_count_trusted(writer, dictionary, group_nulls)).map(|n| n + group_nulls);
            match (stats.min_value, stats.max_value) {
                (Some(min), Some(max)) => bounds.extend([min, max]),
                // A group of nulls only has no extremes, and needs none.
                _ if group_nulls == group.num_rows() as u64 => {}
                _ => extremes = None,
            }
        }
        if let (Some(all), false) = (&mut extremes, bounds.is_empty()) {
            let these = Series::from_arrow_chunks(name.into(), bounds).ok()?.cast(dtype).ok()?;
            all.append(&these).ok()?;
        }
    }
    let extremes = match extremes {
        Some(series) if series.null_count() == 0 => Some(DataFrame::new(series.len(), vec![series.into()]).ok()?),
        _ => None,
    };
    if nulls.is_none() && extremes.is_none() {
        return None;
    }
    Some(ColumnStats { rows, nulls, extremes })
}

/// Writers known to record wrong null counts for dictionary-encoded column chunks: Polars
/// multiplies the count by the chunk's number of data pages (pola-rs/polars#29321; its footers
/// say only "Polars", no version), so only a count of 0 is exact; Arrow C++ before 5.0 wrote 0
/// whatever the nulls (ARROW-12513).
fn null_count_trusted(writer: &str, dictionary: bool, null_count: u64) -> bool {
    if !dictionary {
        return true;
    }
    if writer.starts_with("Polars") {
        return null_count == 0;
    }
    match writer.strip_prefix("parquet-cpp-arrow version ") {
        Some(version) => version.split('.').next().and_then(|major| major.parse::<u32>().ok()).is_some_and(|m| m >= 5),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::null_count_trusted;

    #[test]
    fn null_counts_of_known_faulty_writers_are_not_trusted() {
        assert!(null_count_trusted("Polars", false, 7));
        assert!(null_count_trusted("Polars", true, 0));
        assert!(!null_count_trusted("Polars", true, 7));
        assert!(!null_count_trusted("parquet-cpp-arrow version 4.0.1", true, 0));
        assert!(null_count_trusted("parquet-cpp-arrow version 14.0.2", true, 3));
        assert!(null_count_trusted("DuckDB version v1.1.3 (build 19864453f7)", true, 3));
    }
}
