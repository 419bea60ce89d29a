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

/// Streams `lf` into the Parquet file `path`.
fn sink(lf: LazyFrame, path: &Path) -> PolarsResult<()> {
    lf.sink(
        SinkDestination::File { target: SinkTarget::Path(PlRefPath::new(path.to_string_lossy().as_ref())) },
        FileWriteFormat::Parquet(Arc::new(ParquetWriteOptions::default())),
        UnifiedSinkArgs::default(),
    )
    .and_then(|lf| lf.collect_with_engine(Engine::Streaming))
    .map(|_| ())
}

/// Writes `lf` to `dir/name` whole or not at all, returning where and how many rows: locally
/// through a temporary file renamed into place; on object storage from a local temporary file
/// uploaded with one PUT (an object appears whole or not at all).
fn write_atomically(lf: LazyFrame, dir: &Path, name: &str) -> Result<(PathBuf, u64), DataError> {
    if crate::remote::is_url(dir) {
        let url = dir.join(name);
        let local = crate::output::Scratch::new("parquet");
        sink(lf, local.path()).map_err(|e| DataError::new(&url, e.to_string()))?;
        let rows = parquet_rows(&[local.path().to_path_buf()])?;
        let bytes = std::fs::read(local.path()).map_err(|e| DataError::new(&url, e.to_string()))?;
        crate::remote::write(&url, bytes)?;
        return Ok((url, rows));
    }
    let path = sink_atomically(lf, dir, name)?;
    let rows = parquet_rows(std::slice::from_ref(&path))?;
    Ok((path, rows))
}

/// Streams `lf` into `dir/name` through a temporary file in the same folder, then renames it.
fn sink_atomically(lf: LazyFrame, dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    std::fs::create_dir_all(dir).map_err(|e| DataError::new(dir, e.to_string()))?;
    let named = dir.join(name);
    // A symlink is followed (the link stays); a device or FIFO is no place for a Parquet file.
    let target = match crate::output::target_of(&named).map_err(|e| DataError::new(&named, e.to_string()))? {
        crate::output::Target::Replace(path) => path,
        crate::output::Target::Stdout | crate::output::Target::InPlace(_) | crate::output::Target::Object(_) => {
            return Err(DataError::new(&named, "not a regular file; name a folder where a Parquet file can be written"))
        }
    };
    let tmp = crate::output::temporary_beside(&target);
    if let Err(e) = sink(lf, &tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(DataError::new(&target, e.to_string()));
    }
    // A replaced file keeps its mode and owner, as reports do.
    let renamed = crate::output::keep_mode_and_owner_of(&tmp, &target).and_then(|_| std::fs::rename(&tmp, &target));
    if let Err(e) = renamed {
        let _ = std::fs::remove_file(&tmp);
        return Err(DataError::new(&target, e.to_string()));
    }
    Ok(target)
}

/// Writes the split; returns what was written, for the report. Each rule's per-row flag is
/// computed once over every row (a flag may look across rows, as `unique` does); the list of
/// broken rules is built only for the quarantined rows, and the clean side needs no list at all.
pub fn split(lf: &LazyFrame, rules: &[(String, Expr)], stem: &str, targets: &Targets) -> Result<Value, DataError> {
    let none = lit(NULL).cast(DataType::String);
    let flag = |i: usize| format!("__tollgate_broke{i}");
    let flag_columns: Vec<String> = (0..rules.len()).map(flag).collect();
    let flags: Vec<Expr> = rules
        .iter()
        .enumerate()
        .map(|(i, (_, failing))| failing.clone().fill_null(lit(false)).alias(flag(i)))
        .collect();
    let flagged = lf.clone().with_columns(flags);
    let broken = flag_columns.iter().map(|c| col(c.as_str())).reduce(|a, b| a.or(b)).unwrap_or(lit(false));
    let mut out = serde_json::Map::new();
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
        let quarantined = flagged
            .clone()
            .filter(broken.clone())
            .with_column(failed.alias(FAILED_RULES))
            .drop(cols(flag_columns.clone()));
        let (path, rows) = write_atomically(quarantined, dir, &file_name(stem))?;
        out.insert("quarantine".into(), json!({"path": path.to_string_lossy(), "rows": rows}));
    }
    if let Some(dir) = targets.clean {
        let clean = flagged.filter(broken.not()).drop(cols(flag_columns));
        let (path, rows) = write_atomically(clean, dir, &file_name(stem))?;
        out.insert("clean".into(), json!({"path": path.to_string_lossy(), "rows": rows}));
    }
    Ok(Value::Object(out))
}
