//! `--quarantine DIR` / `--clean DIR`: route the rows that break any row-level rule to a
//! dead-letter Parquet file (with the ids of the rules each row broke) and the rest to a clean
//! one, so a pipeline can promote the clean rows. The input is only read; outputs are atomic.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::{json, Value};

use crate::source::{parquet_rows, DataError};

/// The list column naming the rules a quarantined row broke.
pub const FAILED_RULES: &str = "_tollgate_failed_rules";

/// Where each side goes.
pub struct Targets<'a> {
    pub quarantine: Option<&'a Path>,
    pub clean: Option<&'a Path>,
}

fn file_name(stem: &str) -> String {
    let safe: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.=".contains(c) { c } else { '_' }).collect();
    format!("{safe}.parquet")
}

/// `lf` streamed into the Parquet file `path`, as a plan (run by [`run_sinks`]).
fn sink_plan(lf: LazyFrame, path: &Path) -> PolarsResult<LazyFrame> {
    lf.sink(
        SinkDestination::File { target: SinkTarget::Path(PlRefPath::new(path.to_string_lossy().as_ref())) },
        FileWriteFormat::Parquet(Arc::new(ParquetWriteOptions::default())),
        UnifiedSinkArgs::default(),
    )
}

/// The text and binary columns of `lf` with each batch's values copied into buffers of their
/// own. A filtered batch shares its text buffers with the rows it dropped, and the sink holds
/// rows until a row group fills: the few quarantined rows of every batch kept every batch's text
/// alive until the file ended (a one-rule quarantine of 30M rows peaked at 1.0 GiB; 0.34 GiB
/// with the copy).
fn with_own_buffers(lf: LazyFrame, schema: &Schema) -> LazyFrame {
    let copies: Vec<Expr> = schema
        .iter()
        .filter(|(_, dtype)| matches!(dtype, DataType::String | DataType::Binary))
        .map(|(name, _)| {
            let udf = |columns: &mut [Column]| -> PolarsResult<Column> {
                let values = columns[0].as_materialized_series();
                let copied = match values.dtype() {
                    DataType::String => values.str()?.iter().collect::<StringChunked>().into_series(),
                    _ => values.binary()?.iter().collect::<BinaryChunked>().into_series(),
                };
                Ok(copied.with_name(values.name().clone()).into_column())
            };
            let field = |_: &Schema, fields: &[Field]| Ok(fields[0].clone());
            crate::rules::named_udf(col(name.clone()).map_many(udf, &[], field), "quarantine.own_buffers")
        })
        .collect();
    if copies.is_empty() {
        lf
    } else {
        lf.with_columns(copies)
    }
}

/// One side's file, written first to a temporary file and put in place only once every side is
/// written whole: renamed beside its target locally, uploaded with one PUT to object storage (an
/// object appears whole or not at all).
enum Staged {
    Local { temp: PathBuf, target: PathBuf },
    Object { scratch: crate::output::Scratch, url: PathBuf },
}

impl Staged {
    fn new(dir: &Path, name: &str) -> Result<Staged, DataError> {
        if crate::remote::is_url(dir) {
            return Ok(Staged::Object { scratch: crate::output::Scratch::new("parquet"), url: dir.join(name) });
        }
        std::fs::create_dir_all(dir).map_err(|e| DataError::new(dir, e.to_string()))?;
        let named = dir.join(name);
        // A symlink is followed (the link stays); a device or FIFO is no place for a Parquet file.
        let target = match crate::output::target_of(&named).map_err(|e| DataError::new(&named, e.to_string()))? {
            crate::output::Target::Replace(path) => path,
            crate::output::Target::Stdout | crate::output::Target::InPlace(_) | crate::output::Target::Object(_) => {
                return Err(DataError::new(
                    &named,
                    "not a regular file; name a folder where a Parquet file can be written",
                ))
            }
        };
        Ok(Staged::Local { temp: crate::output::temporary_beside(&target), target })
    }

    fn temp(&self) -> &Path {
        match self {
            Staged::Local { temp, .. } => temp,
            Staged::Object { scratch, .. } => scratch.path(),
        }
    }

    fn target(&self) -> &Path {
        match self {
            Staged::Local { target, .. } => target,
            Staged::Object { url, .. } => url,
        }
    }

    /// Puts the written file in place; where it went and how many rows it holds.
    fn commit(self) -> Result<(PathBuf, u64), DataError> {
        let rows = parquet_rows(&[self.temp().to_path_buf()]);
        match self {
            Staged::Local { temp, target } => {
                // A replaced file keeps its mode and owner, as reports do.
                let placed = rows.and_then(|rows| {
                    crate::output::keep_mode_and_owner_of(&temp, &target)
                        .and_then(|_| std::fs::rename(&temp, &target))
                        .map(|_| rows)
                        .map_err(|e| DataError::new(&target, e.to_string()))
                });
                if placed.is_err() {
                    let _ = std::fs::remove_file(&temp);
                }
                Ok((target, placed?))
            }
            Staged::Object { scratch, url } => {
                let rows = rows?;
                let bytes = std::fs::read(scratch.path()).map_err(|e| DataError::new(&url, e.to_string()))?;
                crate::remote::write(&url, bytes)?;
                Ok((url, rows))
            }
        }
    }

    /// Removes what was written, when the query failed.
    fn abandon(self) {
        if let Staged::Local { temp, .. } = self {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// What the split reads: the pass's input and each row rule's failure.
pub struct Input<'a> {
    /// The pass's scan: `hidden` are columns it adds (a row number) that the outputs leave out.
    pub lf: &'a LazyFrame,
    pub hidden: &'a [&'a str],
    /// The input's schema, as the pass resolved it (its text and binary columns are copied out
    /// on the quarantined side).
    pub schema: &'a Schema,
    /// Each row rule's id and per-row failure.
    pub rules: &'a [(String, Expr)],
    /// The outputs' file name, before `.parquet`.
    pub stem: &'a str,
}

/// Writes the split in the same query as the pass's `aggregates` (one read of the input for
/// both), and returns their values and the sides written, to be put in place. Each rule's per-row
/// flag is computed once over every row (a flag may look across rows, as `unique` does); the
/// list of broken rules is built only for the quarantined rows, and the clean side needs no list
/// at all. A failed query is pinned by `blame` on an input, else on an output.
pub fn split(
    input: &Input,
    aggregates: Vec<Expr>,
    targets: &Targets,
    blame: &dyn Fn(&PolarsError) -> Option<DataError>,
) -> Result<(Option<DataFrame>, Written), DataError> {
    let Input { lf, hidden, schema, rules, stem } = *input;
    let none = lit(NULL).cast(DataType::String);
    let flag = |i: usize| format!("__tollgate_broke{i}");
    let flag_columns: Vec<String> = (0..rules.len()).map(flag).collect();
    let left_out: Vec<String> = flag_columns.iter().cloned().chain(hidden.iter().map(|c| c.to_string())).collect();
    let flags: Vec<Expr> = rules
        .iter()
        .enumerate()
        .map(|(i, (_, failing))| failing.clone().fill_null(lit(false)).alias(flag(i)))
        .collect();
    let flagged = lf.clone().with_columns(flags);
    let broken = flag_columns.iter().map(|c| col(c.as_str())).reduce(|a, b| a.or(b)).unwrap_or(lit(false));
    let mut sides: Vec<(&'static str, LazyFrame, Staged)> = Vec::new();
    if let Some(dir) = targets.quarantine {
        let mut names: Vec<Expr> = rules
            .iter()
            .enumerate()
            .map(|(i, (id, _))| when(col(flag(i))).then(lit(id.clone())).otherwise(none.clone()))
            .collect();
        if names.is_empty() {
            names.push(none.clone());
        }
        let failed = concat_list(names).map_err(|e| DataError::new(stem, e.to_string()))?.list().drop_nulls();
        let quarantined = with_own_buffers(flagged.clone().filter(broken.clone()), schema)
            .with_column(failed.alias(FAILED_RULES))
            .drop(cols(left_out.clone()));
        sides.push(("quarantine", quarantined, Staged::new(dir, &file_name(stem))?));
    }
    if let Some(dir) = targets.clean {
        let clean = flagged.clone().filter(broken.not()).drop(cols(left_out));
        sides.push(("clean", clean, Staged::new(dir, &file_name(stem))?));
    }
    // The pass and both sides in one query over the input; nothing is put in place unless both
    // were written.
    let mut plans = Vec::new();
    let counted = !aggregates.is_empty();
    if counted {
        // The pass's counts read the flags rather than evaluate each rule again.
        let aggregates: Vec<Expr> = aggregates
            .into_iter()
            .map(|aggregate| {
                rules.iter().enumerate().fold(aggregate, |aggregate, (i, (_, failing))| {
                    aggregate.map_expr(|e| if e == *failing { col(flag(i)) } else { e })
                })
            })
            .collect();
        plans.push(flagged.clone().select(aggregates).logical_plan);
    }
    // Dropped unless committed: a failed query (or run) removes what was written.
    let mut written = Written { staged: Vec::new() };
    let mut failed = None;
    for (side, lf, place) in sides {
        match sink_plan(lf, place.temp()) {
            Ok(sink) => plans.push(sink.logical_plan),
            Err(e) => failed = failed.or(Some(DataError::new(place.target(), e.to_string()))),
        }
        written.staged.push((side, place));
    }
    if let Some(e) = failed {
        return Err(e);
    }
    match LazyFrame::collect_all_with_engine(plans, Engine::Streaming, lf.get_current_optimizations()) {
        Ok(mut frames) => Ok((counted.then(|| frames.swap_remove(0)), written)),
        Err(e) => {
            let output = || {
                let culprit = written.staged.first().map(|(_, place)| place.target().to_path_buf()).unwrap_or_default();
                DataError::new(culprit, e.to_string())
            };
            Err(blame(&e).unwrap_or_else(output))
        }
    }
}

/// Both sides written whole, not yet in place: the run puts them there once its report is made.
/// Dropped uncommitted (the run failed after the pass, or another side failed to go in place),
/// it removes what it holds, so the targets stay as they were.
pub struct Written {
    staged: Vec<(&'static str, Staged)>,
}

impl Written {
    /// Puts every side in place; what was written, for the report.
    pub fn commit(mut self) -> Result<Value, DataError> {
        let mut out = serde_json::Map::new();
        while !self.staged.is_empty() {
            let (side, place) = self.staged.remove(0);
            let (path, rows) = place.commit()?;
            out.insert(side.into(), json!({"path": path.to_string_lossy(), "rows": rows}));
        }
        Ok(Value::Object(out))
    }
}

impl Drop for Written {
    fn drop(&mut self) {
        self.staged.drain(..).for_each(|(_, place)| place.abandon());
    }
}

/// One side written by another engine (Spark): a folder of Parquet part files, Spark's layout,
/// named `DIR/<stem>.parquet` as the local engine's file is. The engine writes it into a new
/// staging folder beside the target (so nothing is ever written over); it is put in place only
/// once every side is written, the earlier output (file or folder) moved aside first and removed
/// last, so the target holds the old rows or the new, never neither.
pub struct StagedFolder {
    pub staging: PathBuf,
    target: PathBuf,
}

impl StagedFolder {
    pub fn new(dir: &Path, stem: &str) -> Result<StagedFolder, DataError> {
        if crate::remote::is_url(dir) {
            return Err(DataError::new(
                dir,
                "the Spark engine writes --quarantine and --clean to a folder this machine shares with the \
                 cluster (object storage cannot put a folder in place whole); name a local or mounted folder",
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| DataError::new(dir, e.to_string()))?;
        let target = dir.join(file_name(stem));
        if let Ok(meta) = std::fs::symlink_metadata(&target) {
            if !meta.is_dir() && !meta.is_file() {
                return Err(DataError::new(
                    &target,
                    "not a regular file or folder; name a folder where a Parquet folder can be written",
                ));
            }
        }
        // The engine, not this process, creates it (its writer refuses a folder that exists).
        Ok(StagedFolder { staging: crate::output::temporary_beside(&target), target })
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Puts the written folder in place; where it went and how many rows its parts hold.
    pub fn commit(self) -> Result<(PathBuf, u64), DataError> {
        let placed = (|| {
            if !self.staging.is_dir() {
                return Err(DataError::new(
                    &self.target,
                    "the Spark cluster wrote the rows where this machine does not see them; name a folder both share \
                     (the same path on both)",
                ));
            }
            let rows = parquet_rows(&part_files(&self.staging)?)?;
            let aside = crate::output::temporary_beside(&self.target);
            let had_earlier = std::fs::symlink_metadata(&self.target).is_ok();
            if had_earlier {
                std::fs::rename(&self.target, &aside).map_err(|e| DataError::new(&self.target, e.to_string()))?;
            }
            if let Err(e) = std::fs::rename(&self.staging, &self.target) {
                if had_earlier {
                    let _ = std::fs::rename(&aside, &self.target);
                }
                return Err(DataError::new(&self.target, e.to_string()));
            }
            if had_earlier {
                let _ = remove_any(&aside);
            }
            Ok(rows)
        })();
        match placed {
            Ok(rows) => Ok((self.target, rows)),
            Err(e) => {
                let _ = remove_any(&self.staging);
                Err(e)
            }
        }
    }

    /// Removes what the engine wrote, when a side failed.
    pub fn abandon(self) {
        let _ = remove_any(&self.staging);
    }
}

fn remove_any(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) => Err(e),
    }
}

/// The Parquet parts of a folder an engine wrote, by name (Hadoop's hidden `_`/`.` files left out).
pub fn part_files(folder: &Path) -> Result<Vec<PathBuf>, DataError> {
    let entries = std::fs::read_dir(folder).map_err(|e| DataError::new(folder, e.to_string()))?;
    let mut parts = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| DataError::new(folder, e.to_string()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(['_', '.']) && name.ends_with(".parquet") {
            parts.push(entry.path());
        }
    }
    parts.sort();
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_written_but_never_committed_leave_the_folder_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kept.parquet"), b"an earlier output").unwrap();
        let sides = ["kept.parquet", "new.parquet"].map(|name| Staged::new(dir.path(), name).unwrap());
        for place in &sides {
            std::fs::write(place.temp(), b"written whole").unwrap();
        }
        let [a, b] = sides;
        drop(Written { staged: vec![("quarantine", a), ("clean", b)] });
        let mut left: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        left.sort();
        assert_eq!(left, ["kept.parquet"]);
        assert_eq!(std::fs::read(dir.path().join("kept.parquet")).unwrap(), b"an earlier output");
    }
}
