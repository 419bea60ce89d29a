//! Finding a dataset's files and partitions, and turning them into a lazy Polars scan.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use polars::io::parquet::metadata::FileMetadataRef;
use polars::prelude::*;

use crate::contract::{CsvOptions, Format};
use crate::types::DeclaredType;

/// The data could not be read: exit code 3, naming the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot read {}: {message}", file.display())]
pub struct DataError {
    pub file: PathBuf,
    pub message: String,
    pub kind: DataErrorKind,
}

/// What failed, where a caller acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataErrorKind {
    /// The data could not be found, listed, opened or decoded.
    #[default]
    Read,
    /// A query failed on the values: in CSV, a value that does not fit the types Polars inferred
    /// from the first rows.
    Compute,
}

impl DataError {
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        DataError { file: file.into(), message: message.into(), kind: DataErrorKind::Read }
    }

    pub fn of_kind(self, kind: DataErrorKind) -> Self {
        DataError { kind, ..self }
    }
}

impl From<crate::history::HistoryError> for DataError {
    fn from(e: crate::history::HistoryError) -> Self {
        DataError::new(&e.store, e.message)
    }
}

/// `a/b/../c` → `a/c`, without touching the file system. URLs stay as written.
pub fn normalize(path: &Path) -> PathBuf {
    if crate::remote::is_url(path) {
        return path.to_path_buf();
    }
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        PathBuf::from(".")
    } else {
        out.iter().collect()
    }
}

/// A partition value, ordered by its type: integers numerically, ISO dates by date, else text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PartitionValue {
    Int(i64),
    Date(chrono::NaiveDate),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionType {
    Int,
    Date,
    Text,
}

#[derive(Debug, Clone)]
pub struct Partition {
    /// As written in the folder name.
    pub raw: String,
    pub value: PartitionValue,
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Dataset {
    /// The dataset path as shown in reports.
    pub display: String,
    pub format: Format,
    pub files: Vec<PathBuf>,
    pub csv: CsvOptions,
    pub partition_key: Option<String>,
    pub partition_type: PartitionType,
    /// In partition order; empty when the dataset is not partitioned.
    pub partitions: Vec<Partition>,
    /// `--candidate`: the partition value the candidate files stand as, and their path.
    pub candidate: Option<(String, PathBuf)>,
    /// CSV rows the type inference of undeclared columns reads; `None`: the whole data.
    pub infer_rows: Option<usize>,
    /// Parquet footers by file, each read once and shared by clones: the engine asks them for row
    /// counts (engine choice, reported rows, anomaly history, sample locations) and statistics.
    pub footers: Arc<std::sync::Mutex<std::collections::HashMap<PathBuf, FileMetadataRef>>>,
    /// Each CSV file's records and blank lines, as the structure check (which reads every record
    /// anyway) found them: sample locations need no count of their own, and scans drop the rows
    /// Polars makes of blank lines.
    pub csv_layouts: Arc<std::sync::Mutex<std::collections::HashMap<PathBuf, CsvLayout>>>,
    /// A dataset only the executor reads (a Spark catalog table, or a path of a scheme this
    /// process does not read, e.g. `hdfs://`): the relation it reads, in its own SQL, and the
    /// rows of each partition (by its raw value; "" for the whole) as it counted them. Its
    /// partitions have no files.
    pub read_by_engine: Option<EngineRelation>,
    /// Scans made ahead on all cores by [`Dataset::prepare_scans`], by files and inference rows,
    /// with the typed columns they were made for; [`Dataset::scan`] takes each once.
    pub prepared_scans: PreparedScans,
}

/// A CSV file's records and blank lines, as the structure check found them (SPEC §1: a blank
/// line is no record, except in a file of one column, where it is an empty value).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvLayout {
    /// Data records: the header and blank lines aside.
    pub records: u64,
    /// The rows Polars reads where a file of several columns has a blank line after its first
    /// record (a row of nulls; no other reader counts one), among the data rows it reads, from 0.
    pub blank_rows: Vec<u64>,
    /// Blank lines before the first record, which no reader counts.
    pub leading_blank_lines: u64,
}

impl CsvLayout {
    /// Rows Polars reads from the file, blank ones included.
    fn polars_rows(&self) -> u64 {
        self.records + self.blank_rows.len() as u64
    }

    /// The 1-based line of data record `record` (from 0), one record per line assumed.
    pub fn line_of(&self, record: u64, header: bool) -> u64 {
        let mut row = record;
        for blank in &self.blank_rows {
            if *blank > row {
                break;
            }
            row += 1;
        }
        self.leading_blank_lines + u64::from(header) + row + 1
    }
}

/// Shared by clones, as the footers are.
#[derive(Clone, Default)]
pub struct PreparedScans(Arc<std::sync::Mutex<PreparedByFiles>>);

type PreparedByFiles =
    std::collections::HashMap<(Vec<PathBuf>, Option<usize>), (Vec<(String, DeclaredType)>, LazyFrame)>;

impl std::fmt::Debug for PreparedScans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.0.lock().map(|scans| scans.len()).unwrap_or(0);
        write!(f, "PreparedScans({held})")
    }
}

#[derive(Debug, Clone)]
pub struct EngineRelation {
    pub sql: String,
    pub rows: std::collections::HashMap<String, u64>,
}

/// Types of undeclared CSV columns are first inferred from this many rows; if a later value
/// does not fit, the check is run again with inference over all rows.
pub const INFER_ROWS: usize = 10_000;

fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

fn format_from_name(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".parquet") || name.ends_with(".pq") {
        Some(Format::Parquet)
    } else if name.ends_with(".csv") || name.ends_with(".tsv") {
        Some(Format::Csv)
    } else {
        None
    }
}

/// Parquet files start with `PAR1`; anything else we are asked to read as a single file is CSV.
fn sniff_format(path: &Path) -> Format {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let read = if crate::remote::is_url(path) {
        crate::remote::read_range(path, 0..4).ok().filter(|b| b.len() == 4).map(|b| magic.copy_from_slice(&b))
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).ok()
    };
    match read {
        Some(()) if &magic == b"PAR1" => Format::Parquet,
        _ => Format::Csv,
    }
}

fn hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.') || n.starts_with('_'))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DataError> {
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::new(dir, e.to_string()))?;
    for entry in entries {
        let entry = entry.map_err(|e| DataError::new(dir, e.to_string()))?;
        let path = entry.path();
        if hidden(&path) {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The data files a dataset path names, and their format.
pub fn discover(path: &Path, declared: Option<Format>) -> Result<(Format, Vec<PathBuf>), DataError> {
    let text = path.to_string_lossy();
    let mut candidates = Vec::new();
    let single_file;
    if let Some(scheme) = crate::remote::unsupported_scheme(path) {
        return Err(DataError::new(
            path,
            format!(
                "`{scheme}://` is not a store tollgate reads; it reads local paths and {} URLs",
                crate::remote::SCHEMES
            ),
        ));
    }
    if crate::remote::is_url(path) {
        // Listed, never downloaded: the objects under the URL (or matching its glob).
        candidates = if is_glob(&text) { crate::remote::glob(path)? } else { crate::remote::list(path)? };
        single_file = candidates.len() == 1 && candidates[0] == Path::new(text.trim_end_matches('/'));
        if candidates.is_empty() {
            return Err(DataError::new(path, "no object matches"));
        }
    } else if is_glob(&text) {
        let paths = glob::glob(&text).map_err(|e| DataError::new(path, format!("invalid glob: {e}")))?;
        for p in paths.flatten() {
            if p.is_dir() {
                walk(&p, &mut candidates)?;
            } else if !hidden(&p) {
                candidates.push(p);
            }
        }
        single_file = false;
    } else {
        let meta = std::fs::metadata(path).map_err(|e| DataError::new(path, e.to_string()))?;
        single_file = !meta.is_dir();
        if meta.is_dir() {
            walk(path, &mut candidates)?;
        } else {
            candidates.push(path.to_path_buf());
        }
    }
    candidates.sort();
    if single_file {
        let format = declared.or_else(|| format_from_name(path)).unwrap_or_else(|| sniff_format(path));
        return Ok((format, candidates));
    }
    let typed: Vec<(PathBuf, Option<Format>)> = candidates
        .into_iter()
        .map(|p| {
            let f = format_from_name(&p);
            (p, f)
        })
        .collect();
    let format = match declared {
        Some(f) => f,
        None => {
            let has = |f: Format| typed.iter().any(|(_, x)| *x == Some(f));
            match (has(Format::Parquet), has(Format::Csv)) {
                (true, true) => {
                    return Err(DataError::new(
                        path,
                        "the folder mixes CSV and Parquet files; set `dataset.format` to choose one",
                    ))
                }
                (true, false) => Format::Parquet,
                (false, true) => Format::Csv,
                (false, false) => return Err(DataError::new(path, "no data file (*.parquet, *.csv) found")),
            }
        }
    };
    let files: Vec<PathBuf> = typed.into_iter().filter(|(_, f)| *f == Some(format)).map(|(p, _)| p).collect();
    if files.is_empty() {
        return Err(DataError::new(path, format!("no {} file found", format.name())));
    }
    Ok((format, files))
}

fn partition_of(file: &Path, key: &str) -> Option<String> {
    let prefix = format!("{key}=");
    file.parent()?.components().rev().find_map(|c| match c {
        Component::Normal(name) => name.to_str()?.strip_prefix(&prefix).map(str::to_string),
        _ => None,
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Types all partition values by the narrowest type that fits every one of them.
fn type_partitions(raw: &[String]) -> PartitionType {
    if raw.iter().all(|r| r.parse::<i64>().is_ok()) {
        PartitionType::Int
    } else if raw.iter().all(|r| crate::values::parse_date(r).is_some()) {
        PartitionType::Date
    } else {
        PartitionType::Text
    }
}

fn typed_value(raw: &str, t: PartitionType) -> PartitionValue {
    match t {
        PartitionType::Int => PartitionValue::Int(raw.parse().unwrap_or_default()),
        PartitionType::Date => PartitionValue::Date(crate::values::parse_date(raw).unwrap_or_default()),
        PartitionType::Text => PartitionValue::Text(raw.to_string()),
    }
}

impl Dataset {
    /// A catalog table (`dataset.table`), which Spark reads: no files, no partitions.
    /// A dataset the executor reads (see [`Dataset::read_by_engine`]): `relation` in its SQL,
    /// partitioned by `partition_key` into the partitions of `rows` (raw value, rows), or whole.
    pub fn of_engine(
        display: &str,
        relation: String,
        partition_key: Option<&str>,
        rows: Vec<(String, u64)>,
    ) -> Dataset {
        let mut dataset = Dataset {
            display: display.to_string(),
            format: Format::Parquet,
            files: Vec::new(),
            csv: CsvOptions::default(),
            partition_key: partition_key.map(str::to_string),
            partition_type: PartitionType::Text,
            partitions: Vec::new(),
            candidate: None,
            infer_rows: None,
            footers: Default::default(),
            csv_layouts: Default::default(),
            prepared_scans: Default::default(),
            read_by_engine: Some(EngineRelation { sql: relation, rows: rows.iter().cloned().collect() }),
        };
        if partition_key.is_some() {
            dataset.set_partitions(rows.into_iter().map(|(raw, _)| (raw, Vec::new())).collect());
        }
        dataset
    }

    pub fn open(
        path: &Path,
        display: String,
        declared: Option<Format>,
        csv: CsvOptions,
        partition_key: Option<&str>,
    ) -> Result<Dataset, DataError> {
        let (format, files) = discover(path, declared)?;
        let layouts = if format == Format::Csv { validate_csv_structure(&files, &csv)? } else { Vec::new() };
        let mut dataset = Dataset {
            display,
            format,
            files,
            csv,
            partition_key: partition_key.map(str::to_string),
            partition_type: PartitionType::Text,
            partitions: Vec::new(),
            candidate: None,
            infer_rows: Some(INFER_ROWS),
            footers: Default::default(),
            csv_layouts: Arc::new(std::sync::Mutex::new(layouts.into_iter().collect())),
            prepared_scans: Default::default(),
            read_by_engine: None,
        };
        if let Some(key) = partition_key {
            let mut by_value: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
            for f in &dataset.files {
                match partition_of(f, key) {
                    Some(v) => by_value.entry(percent_decode(&v)).or_default().push(f.clone()),
                    None => {
                        return Err(DataError::new(
                            f,
                            format!(
                                "the file is not inside a `{key}=VALUE` folder, but the contract partitions by `{key}`"
                            ),
                        ))
                    }
                }
            }
            dataset.set_partitions(by_value.into_iter().collect());
        }
        // Every footer is read (and kept) before any scan: a malformed one is reported here, with
        // its file, rather than inside a query.
        if format == Format::Parquet {
            dataset.prefetch_footers(&dataset.files)?;
            dataset.parquet_rows(&dataset.files)?;
        }
        Ok(dataset)
    }

    /// The dataset as it would be with `candidate` (a staging folder or file) as partition
    /// `value`, replacing any partition of that value: what a pre-promotion check must see.
    /// Production is only listed and its footers read here; its data is read by the checks that
    /// need it.
    pub fn with_candidate(mut self, value: &str, candidate: &Path) -> Result<Dataset, DataError> {
        let (format, files) = discover(candidate, Some(self.format))?;
        if format != self.format {
            return Err(DataError::new(
                candidate,
                format!("the candidate is {} but the dataset is {}", format.name(), self.format.name()),
            ));
        }
        if self.format == Format::Csv {
            let layouts = validate_csv_structure(&files, &self.csv)?;
            self.csv_layouts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend(layouts);
        }
        let mut parts: Vec<(String, Vec<PathBuf>)> = std::mem::take(&mut self.partitions)
            .into_iter()
            .filter(|p| p.raw != value)
            .map(|p| (p.raw, p.files))
            .collect();
        parts.push((value.to_string(), files.clone()));
        self.set_partitions(parts);
        self.files = self.partitions.iter().flat_map(|p| p.files.clone()).collect();
        if self.format == Format::Parquet {
            self.parquet_rows(&files)?;
        }
        self.candidate = Some((value.to_string(), candidate.to_path_buf()));
        Ok(self)
    }

    /// Types the partition values by what all of them look like and orders them by that type.
    fn set_partitions(&mut self, parts: Vec<(String, Vec<PathBuf>)>) {
        let raws: Vec<String> = parts.iter().map(|(raw, _)| raw.clone()).collect();
        self.partition_type = type_partitions(&raws);
        let mut partitions: Vec<Partition> = parts
            .into_iter()
            .map(|(raw, files)| Partition { value: typed_value(&raw, self.partition_type), raw, files })
            .collect();
        partitions.sort_by(|a, b| a.value.cmp(&b.value));
        self.partitions = partitions;
    }

    /// A partition value as written, typed like the dataset's partitions (for ordering).
    pub fn value_of(&self, raw: &str) -> PartitionValue {
        typed_value(raw, self.partition_type)
    }

    /// Reads the footers of object-store files on several threads (each is two ranged GETs, so
    /// the round trips overlap); local footers are read as asked.
    fn prefetch_footers(&self, files: &[PathBuf]) -> Result<(), DataError> {
        let remote: Vec<&PathBuf> = files.iter().filter(|f| crate::remote::is_url(f)).collect();
        if remote.len() < 2 {
            return Ok(());
        }
        let chunk = remote.len().div_ceil(16);
        std::thread::scope(|scope| {
            let handles: Vec<_> = remote
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().try_for_each(|f| self.footer(f).map(|_| ()))))
                .collect();
            handles
                .into_iter()
                .try_for_each(|h| h.join().unwrap_or_else(|_| Err(DataError::new("", "footer read failed"))))
        })
    }

    /// The footer of one Parquet file, read once per dataset.
    pub fn footer(&self, file: &Path) -> Result<FileMetadataRef, DataError> {
        if let Some(cached) = self.footers.lock().ok().and_then(|c| c.get(file).cloned()) {
            return Ok(cached);
        }
        let footer = read_footer(file)?;
        if let Ok(mut cache) = self.footers.lock() {
            cache.insert(file.to_path_buf(), footer.clone());
        }
        Ok(footer)
    }

    /// The Arrow schema one Parquet file's footer declares (read once; see [`Dataset::footer`]).
    fn arrow_schema(&self, file: &Path) -> Result<ArrowSchema, DataError> {
        let footer = self.footer(file)?;
        polars::io::parquet::read::infer_schema(&footer)
            .map_err(|e| DataError::new(file, format!("not a readable Parquet file ({e})")))
    }

    /// Column types of one Parquet file, from its footer.
    pub fn parquet_schema(&self, file: &Path) -> Result<Vec<(String, DataType)>, DataError> {
        let schema = self.arrow_schema(file)?;
        Ok(schema
            .iter_values()
            .map(|field| {
                // pyarrow's date64 is stored as a Parquet DATE: judged by what the file declares.
                let dtype = match field.dtype() {
                    ArrowDataType::Date64 => DataType::Date,
                    _ => DataType::from_arrow_field(field),
                };
                (field.name.to_string(), dtype)
            })
            .collect())
    }

    /// Column names and Polars types of one Parquet file, as Polars' scan reads them.
    fn scan_schema(&self, file: &Path) -> Result<Vec<(PlSmallStr, DataType)>, DataError> {
        let schema = self.arrow_schema(file)?;
        Ok(schema.iter_values().map(|f| (f.name.clone(), DataType::from_arrow_field(f))).collect())
    }

    /// Declared-or-not columns that some of `files` hold and others lack (schema evolution: an
    /// optional column added later), with the files that lack each. Parquet only.
    pub fn columns_absent_from(&self, files: &[PathBuf]) -> Result<Vec<(String, Vec<PathBuf>)>, DataError> {
        if self.format != Format::Parquet || files.len() < 2 {
            return Ok(Vec::new());
        }
        let per_file: Vec<Vec<(PlSmallStr, DataType)>> =
            files.iter().map(|f| self.scan_schema(f)).collect::<Result<_, _>>()?;
        let mut all: Vec<&PlSmallStr> = Vec::new();
        for (name, _) in per_file.iter().flatten() {
            if !all.contains(&name) {
                all.push(name);
            }
        }
        Ok(all
            .into_iter()
            .filter_map(|name| {
                let lacking: Vec<PathBuf> = files
                    .iter()
                    .zip(&per_file)
                    .filter(|(_, schema)| !schema.iter().any(|(n, _)| n == name))
                    .map(|(f, _)| f.clone())
                    .collect();
                (!lacking.is_empty()).then(|| (name.to_string(), lacking))
            })
            .collect())
    }

    /// The union of the files' columns (first file's order, later additions after), when the
    /// files differ: the scan then reads by name and a column a file lacks is null there.
    fn union_schema(&self, files: &[PathBuf]) -> Result<Option<Schema>, DataError> {
        if files.len() < 2 {
            return Ok(None);
        }
        let mut union = Schema::default();
        let mut differ = false;
        for (i, file) in files.iter().enumerate() {
            let columns = self.scan_schema(file)?;
            if i > 0 && (columns.len() != union.len() || columns.iter().any(|(n, _)| union.get(n).is_none())) {
                differ = true;
            }
            for (name, dtype) in columns {
                if union.get(&name).is_none() {
                    union.with_column(name, dtype);
                }
            }
        }
        Ok(differ.then_some(union))
    }

    /// Columns of `file` whose values tollgate cannot read, with the reason (only when a rule
    /// names them: an unnamed column is never read).
    pub fn unreadable_columns(&self, file: &Path) -> Result<Vec<(String, String)>, DataError> {
        if self.format != Format::Parquet {
            return Ok(Vec::new());
        }
        let schema = self.arrow_schema(file)?;
        Ok(schema
            .iter_values()
            .filter(|f| matches!(f.dtype(), ArrowDataType::Interval(_)))
            .map(|f| {
                let reason = format!(
                    "column `{}` of {} is an INTERVAL, a type tollgate cannot read; no rule can apply to it",
                    f.name,
                    file.display()
                );
                (f.name.to_string(), reason)
            })
            .collect())
    }

    /// Columns Polars would read as `datetime[ms]` although the file stores a Parquet DATE
    /// (Arrow's date64, which pyarrow writes as DATE plus an Arrow schema hint).
    fn date64_columns(&self, file: &Path) -> Result<Vec<String>, DataError> {
        let schema = self.arrow_schema(file)?;
        Ok(schema.iter_values().filter(|f| *f.dtype() == ArrowDataType::Date64).map(|f| f.name.to_string()).collect())
    }

    /// A file's rows when known without reading its data: a CSV file's records as the structure
    /// check counted them, a Parquet file's from its footer.
    pub fn known_rows(&self, file: &Path) -> Option<u64> {
        match self.format {
            Format::Csv => self.csv_layout(file).map(|layout| layout.records),
            Format::Parquet => self.footer(file).ok().map(|f| f.num_rows as u64),
        }
    }

    /// A CSV file's layout, as the structure check found it.
    pub fn csv_layout(&self, file: &Path) -> Option<CsvLayout> {
        self.csv_layouts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(file).cloned()
    }

    /// `lf`, a scan of CSV `files`, without the rows Polars made of blank lines.
    fn without_blank_rows(&self, lf: LazyFrame, files: &[PathBuf]) -> LazyFrame {
        const POLARS_ROW: &str = "__tollgate_polars_row";
        let mut blank = Vec::new();
        let mut before = 0u64;
        for file in files {
            // A file the structure check did not see is scanned as Polars reads it.
            let Some(layout) = self.csv_layout(file) else { return lf };
            blank.extend(layout.blank_rows.iter().map(|row| (before + row) as IdxSize));
            before += layout.polars_rows();
        }
        if blank.is_empty() {
            return lf;
        }
        let blank = lit(Scalar::new_list(Series::new(PlSmallStr::EMPTY, blank)));
        lf.with_row_index(POLARS_ROW, None).filter(col(POLARS_ROW).is_in(blank, false).not()).drop(cols([POLARS_ROW]))
    }

    /// Rows of these Parquet files, from their footers.
    pub fn parquet_rows(&self, files: &[PathBuf]) -> Result<u64, DataError> {
        files.iter().map(|f| Ok(self.footer(f)?.num_rows as u64)).sum()
    }

    /// The partition value a user wrote, given as the value (`12`) or the folder name (`month=12`).
    pub fn partition_value_named(&self, raw: &str) -> String {
        self.partition_key
            .as_deref()
            .and_then(|key| raw.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
            .unwrap_or(raw)
            .to_string()
    }

    /// The partition named by its value (`12`) or its folder name (`month=12`).
    pub fn partition(&self, raw: &str) -> Option<&Partition> {
        let value = self.partition_value_named(raw);
        self.partitions.iter().find(|p| p.raw == value || p.raw == raw)
    }

    /// The partition key's value as a typed literal column.
    pub fn partition_literal(&self, partition: &Partition) -> Expr {
        let key = self.partition_key.as_deref().unwrap_or("partition");
        let e = match &partition.value {
            PartitionValue::Int(i) => lit(*i),
            PartitionValue::Date(d) => lit(crate::values::days_since_epoch(*d)).cast(DataType::Date),
            PartitionValue::Text(t) => lit(t.clone()),
        };
        e.alias(key)
    }

    /// Runs `read` on this dataset; when a CSV value late in the data does not fit the types
    /// inferred from the first rows, runs it again with types inferred from every row.
    pub fn retrying_full_inference<T>(&self, read: impl Fn(&Dataset) -> Result<T, DataError>) -> Result<T, DataError> {
        match read(self) {
            Err(e) if self.format == Format::Csv && self.infer_rows.is_some() && e.kind == DataErrorKind::Compute => {
                read(&Dataset { infer_rows: None, ..self.clone() })
            }
            other => other,
        }
    }

    /// The settings Polars needs to scan `file` when it is on object storage.
    fn cloud_options(&self, file: &Path) -> Result<Option<polars::io::cloud::CloudOptions>, DataError> {
        crate::remote::is_url(file).then(|| crate::remote::polars_options(file)).transpose()
    }

    /// [`Dataset::scan`] of each file list, in their order (the first error in that order). A CSV
    /// scan infers its first file's types, ~0.3 s of one core for 10,000 rows (Polars tries its
    /// date patterns on every text value), so CSV partitions are scanned on all cores.
    pub fn scan_each(
        &self,
        file_lists: &[&[PathBuf]],
        typed: &[(String, DeclaredType)],
    ) -> Result<Vec<LazyFrame>, DataError> {
        if self.format != Format::Csv {
            return file_lists.iter().map(|files| self.scan(files, typed)).collect();
        }
        self.scans_on_all_cores(file_lists, typed).into_iter().collect()
    }

    /// Makes the scans of CSV `file_lists` ahead, on all cores, for partitions checked one after
    /// another: each infers its first file's types, which would otherwise run on one core between
    /// passes. A scan that fails is made again, and reports its error, when it is needed.
    pub fn prepare_scans(&self, file_lists: &[&[PathBuf]], typed: &[(String, DeclaredType)]) {
        if self.format != Format::Csv || file_lists.len() < 2 {
            return;
        }
        let made = self.scans_on_all_cores(file_lists, typed);
        let mut prepared = self.prepared_scans.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (files, made) in file_lists.iter().zip(made) {
            if let Ok(lf) = made {
                prepared.insert((files.to_vec(), self.infer_rows), (typed.to_vec(), lf));
            }
        }
    }

    /// [`Dataset::scan`] of each file list on all cores (rayon's pool, not Polars' own, which
    /// each scan uses), each result in its list's place.
    fn scans_on_all_cores(
        &self,
        file_lists: &[&[PathBuf]],
        typed: &[(String, DeclaredType)],
    ) -> Vec<Result<LazyFrame, DataError>> {
        use rayon::prelude::*;
        file_lists.par_iter().map(|files| self.scan(files, typed)).collect()
    }

    /// Lazily scans `files`. CSV columns named in `typed` are read as text so their values can be
    /// parse-checked against the declared type.
    pub fn scan(&self, files: &[PathBuf], typed: &[(String, DeclaredType)]) -> Result<LazyFrame, DataError> {
        let key = (files.to_vec(), self.infer_rows);
        let ahead = self.prepared_scans.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&key);
        if let Some((made_for, lf)) = ahead {
            if made_for == typed {
                return Ok(lf);
            }
        }
        let first = files.first().cloned().unwrap_or_default();
        let paths: Vec<PlRefPath> = files.iter().map(|p| PlRefPath::new(p.to_string_lossy().as_ref())).collect();
        let sources = ScanSources::Paths(paths.into_iter().collect());
        match self.format {
            Format::Parquet => {
                let union = self.union_schema(files)?;
                let args = ScanArgsParquet {
                    hive_options: HiveOptions { enabled: Some(false), ..HiveOptions::new_enabled() },
                    glob: false,
                    allow_missing_columns: union.is_some(),
                    schema: union.map(Arc::new),
                    cloud_options: self.cloud_options(&first)?,
                    ..Default::default()
                };
                let lf = LazyFrame::scan_parquet_sources(sources, args)
                    .map_err(|e| DataError::new(&first, e.to_string()))?;
                let dates = match files.first() {
                    Some(file) => self.date64_columns(file)?,
                    None => Vec::new(),
                };
                Ok(if dates.is_empty() {
                    lf
                } else {
                    lf.with_columns(dates.iter().map(|c| col(c.as_str()).cast(DataType::Date)).collect::<Vec<_>>())
                })
            }
            Format::Csv => Ok(self.without_blank_rows(self.scan_csv(files, typed)?, files)),
        }
    }

    /// A CSV scan, blank lines as Polars reads them (rows of nulls).
    fn scan_csv(&self, files: &[PathBuf], typed: &[(String, DeclaredType)]) -> Result<LazyFrame, DataError> {
        let first = files.first().cloned().unwrap_or_default();
        let paths: Vec<PlRefPath> = files.iter().map(|p| PlRefPath::new(p.to_string_lossy().as_ref())).collect();
        let sources = ScanSources::Paths(paths.into_iter().collect());
        let csv = &self.csv;
        let text_columns: Schema =
            typed.iter().map(|(name, _)| Field::new(name.as_str().into(), DataType::String)).collect();
        let nulls: Vec<PlSmallStr> = csv.null_values.iter().map(|s| s.as_str().into()).collect();
        let cloud = self.cloud_options(&first)?;
        let csv_reader = |sources: ScanSources| {
            LazyCsvReader::new_with_sources(sources)
                .with_cloud_options(cloud.clone())
                .with_has_header(csv.header)
                .with_separator(csv.delimiter)
                .with_quote_char(csv.quote)
                .with_null_values(if nulls.is_empty() { None } else { Some(NullValues::AllColumns(nulls.clone())) })
                .with_missing_is_null(csv.null_values.iter().any(|s| s.is_empty()))
                .with_infer_schema_length(self.infer_rows)
                .with_try_parse_dates(true)
                .with_dtype_overwrite(if text_columns.is_empty() { None } else { Some(Arc::new(text_columns.clone())) })
                .with_glob(false)
                .with_raise_if_empty(false)
        };
        let reader = csv_reader(sources.clone());
        if self.infer_rows.is_none() {
            // Types from every row: Polars parses every column itself.
            return reader.finish().map_err(|e| DataError::new(&first, e.to_string()));
        }
        // The first rows are in the first file: infer types there once rather than in every
        // file (date detection costs ~0.2 s per file). A file of text only (or no rows) says
        // little, so then the next one is asked.
        let mut inferred = None;
        for file in files {
            let one = ScanSources::Paths([PlRefPath::new(file.to_string_lossy().as_ref())].into_iter().collect());
            let found = csv_reader(one)
                .finish()
                .and_then(|lf| lf.clone().collect_schema())
                .map_err(|e| DataError::new(file, e.to_string()))?;
            let typed = found.iter_values().any(|dtype| dtype != &DataType::String);
            inferred = Some((found, file.clone()));
            if typed {
                break;
            }
        }
        let (schema, sample_file) = match inferred {
            Some(found) => found,
            None => (
                reader
                    .clone()
                    .finish()
                    .and_then(|lf| lf.clone().collect_schema())
                    .map_err(|e| DataError::new(&first, e.to_string()))?,
                first.clone(),
            ),
        };
        // Timestamps Polars inferred are parsed by tollgate's grammar when the first rows
        // are all in it (Polars tries its patterns value by value: 2–3 s per 10M values).
        let candidates: Vec<(PlSmallStr, DataType)> = schema
            .iter()
            .filter(|(_, dtype)| matches!(dtype, DataType::Datetime(TimeUnit::Microseconds, _)))
            .map(|(name, dtype)| (name.clone(), dtype.clone()))
            .collect();
        let ours = self.timestamps_in_grammar(&csv_reader, &sample_file, &candidates)?;
        let mut text_schema = schema.as_ref().clone();
        for (name, _) in &ours {
            text_schema.with_column(name.clone(), DataType::String);
        }
        let lf = reader
            .with_schema(Some(Arc::new(text_schema)))
            .finish()
            .map_err(|e| DataError::new(&first, e.to_string()))?;
        Ok(if ours.is_empty() {
            lf
        } else {
            lf.with_columns(
                ours.into_iter()
                    .map(|(name, dtype)| crate::values::parse_inferred_timestamp(col(name.clone()), dtype).alias(name))
                    .collect::<Vec<_>>(),
            )
        })
    }
}

impl Dataset {
    /// Those of `candidates` whose every value in the first rows of `file` is in tollgate's
    /// timestamp grammar (SPEC §1), so parsing the column with it gives what Polars would.
    fn timestamps_in_grammar(
        &self,
        csv_reader: &dyn Fn(ScanSources) -> LazyCsvReader,
        file: &Path,
        candidates: &[(PlSmallStr, DataType)],
    ) -> Result<Vec<(PlSmallStr, DataType)>, DataError> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let one = ScanSources::Paths([PlRefPath::new(file.to_string_lossy().as_ref())].into_iter().collect());
        let as_text: Schema = candidates.iter().map(|(name, _)| Field::new(name.clone(), DataType::String)).collect();
        let sample = csv_reader(one)
            .with_dtype_overwrite(Some(Arc::new(as_text)))
            .with_n_rows(self.infer_rows)
            .finish()
            .and_then(|lf| {
                lf.select(candidates.iter().map(|(name, _)| col(name.clone())).collect::<Vec<_>>()).collect()
            })
            .map_err(|e| DataError::new(file, e.to_string()))?;
        Ok(candidates
            .iter()
            .filter(|(name, dtype)| {
                let zoned = matches!(dtype, DataType::Datetime(_, Some(_)));
                sample.column(name).ok().and_then(|c| c.str().ok()).is_some_and(|texts| {
                    texts.iter().flatten().all(|t| crate::values::inferred_timestamp_micros(t, zoned).is_some())
                })
            })
            .cloned()
            .collect())
    }
}

/// Polars fills a short CSV row with nulls; the spec calls any ragged row malformed, and an
/// invalid UTF-8 byte too. One streaming pass over the raw records finds both, with the line,
/// and learns each file's layout: its data records and blank lines.
pub fn validate_csv_structure(files: &[PathBuf], csv: &CsvOptions) -> Result<Vec<(PathBuf, CsvLayout)>, DataError> {
    // Files are independent: check them on all cores, and report the first bad one in path order.
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(files.len().max(1));
    let chunk = files.len().div_ceil(workers).max(1);
    let results: Vec<Result<Vec<(PathBuf, CsvLayout)>, DataError>> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            files.chunks(chunk).map(|part| scope.spawn(move || validate_csv_files(part, csv))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(DataError::new("", "CSV check failed")))).collect()
    });
    let mut counts = Vec::new();
    for result in results {
        counts.extend(result?);
    }
    Ok(counts)
}

/// The 1-based line of the record starting at byte `offset` of `file`: one more than the `\n`
/// before it. In a CRLF file the reader starts a record at the `\n` of the previous line's
/// terminator, so a `\n` at `offset` itself counts too.
fn line_at(file: &Path, offset: u64) -> u64 {
    use std::io::Read;
    let Ok(f) = std::fs::File::open(file) else { return 0 };
    let mut before = Vec::new();
    if std::io::BufReader::new(f).take(offset + 1).read_to_end(&mut before).is_err() {
        return 0;
    }
    1 + before.iter().filter(|&&b| b == b'\n').count() as u64
}

/// `file` itself, or for an object a local copy (streamed to the temporary folder).
fn local_copy(file: &Path) -> Result<(PathBuf, Option<crate::output::Scratch>), DataError> {
    if !crate::remote::is_url(file) {
        return Ok((file.to_path_buf(), None));
    }
    let copy = crate::output::Scratch::new("csv");
    crate::remote::download(file, copy.path())?;
    Ok((copy.path().to_path_buf(), Some(copy)))
}

/// The lines of a CSV file as the structure check reads them, before header and one-column files
/// are told apart: [`Lines::layout`] makes its [`CsvLayout`].
#[derive(Debug, Default, PartialEq, Eq)]
struct Lines {
    /// Records, the header included.
    records: u64,
    /// Fields of the first record.
    fields: u64,
    /// Where each blank line after the first record falls among the records and blank lines
    /// (from 0, the first record being 0).
    blank_at: Vec<u64>,
    /// Blank lines before the first record.
    leading_blank_lines: u64,
}

impl Lines {
    fn blank(&mut self) {
        if self.records == 0 {
            self.leading_blank_lines += 1;
        } else {
            self.blank_at.push(self.records + self.blank_at.len() as u64);
        }
    }

    /// In a file of one column a blank line is a record whose value is empty, as DuckDB reads it
    /// and as Polars and pandas write a null; elsewhere it is no record, and Polars' row of nulls
    /// for it is dropped.
    fn layout(self, header: bool) -> CsvLayout {
        let header = u64::from(header);
        let records = self.records.saturating_sub(header);
        if self.fields <= 1 {
            return CsvLayout {
                records: records + self.blank_at.len() as u64,
                blank_rows: Vec::new(),
                leading_blank_lines: self.leading_blank_lines,
            };
        }
        CsvLayout {
            records,
            blank_rows: self.blank_at.into_iter().map(|at| at - header).collect(),
            leading_blank_lines: self.leading_blank_lines,
        }
    }
}

/// The structure check's fast path, for a file without a quote character or a lone `\r`:
/// there every record is a line and every field ends at a delimiter, so checking is counting,
/// 64 bytes at a time by bit masks, and UTF-8 is validated a block of whole lines at a time (a
/// delimiter or line end is never inside a multi-byte character). Its lines when every line has
/// the first line's field count and the file is UTF-8; `None` for anything else, and the `csv`
/// crate's reader then decides and words the error (it is 4-5x slower).
fn unquoted_lines(path: &Path, csv: &CsvOptions) -> std::io::Result<Option<Lines>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 22];
    let mut filled = 0;
    let mut lines = LineScan::new(csv.delimiter);
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0); // a line longer than the buffer
        }
        let n = file.read(&mut buf[filled..])?;
        filled += n;
        let data = &buf[..filled];
        if csv.quote.is_some_and(|q| memchr::memchr(q, &data[filled - n..]).is_some()) {
            return Ok(None);
        }
        let end = if n == 0 { filled } else { memchr::memrchr(b'\n', data).map_or(0, |i| i + 1) };
        let whole = &data[..end];
        if simdutf8::basic::from_utf8(whole).is_err() || !lines.scan(whole) {
            return Ok(None);
        }
        if n == 0 {
            return Ok(lines.finish());
        }
        buf.copy_within(end..filled, 0);
        filled -= end;
    }
}

/// Lines counted from bit masks of their line ends, delimiters and carriage returns.
struct LineScan {
    delimiter: u8,
    lines: Lines,
    /// Delimiters and bytes of the line being read, so far.
    delimiters: u32,
    length: usize,
    /// The last byte scanned is a `\r` (it must be followed by `\n`).
    after_cr: bool,
}

/// Bit `i` set where `chunk[i] == byte`: 16-byte vector compares (SSE2, which every x86-64 CPU
/// has), or a plain loop elsewhere.
#[cfg(target_arch = "x86_64")]
fn byte_mask(chunk: &[u8; 64], byte: u8) -> u64 {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    // SAFETY: SSE2 is part of x86-64; the four unaligned 16-byte loads lie inside `chunk`.
    unsafe {
        let needle = _mm_set1_epi8(byte as i8);
        let mut mask = 0u64;
        for part in 0..4 {
            let v = _mm_loadu_si128(chunk.as_ptr().add(16 * part).cast::<__m128i>());
            let bits = _mm_movemask_epi8(_mm_cmpeq_epi8(v, needle)) as u16;
            mask |= u64::from(bits) << (16 * part);
        }
        mask
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn byte_mask(chunk: &[u8; 64], byte: u8) -> u64 {
    let mut mask = 0u64;
    for (i, &b) in chunk.iter().enumerate() {
        mask |= u64::from(b == byte) << i;
    }
    mask
}

/// The bits below `i`.
fn below(i: usize) -> u64 {
    if i >= 64 {
        u64::MAX
    } else {
        (1u64 << i) - 1
    }
}

impl LineScan {
    fn new(delimiter: u8) -> LineScan {
        LineScan { delimiter, lines: Lines::default(), delimiters: 0, length: 0, after_cr: false }
    }

    /// Scans `bytes`, which continue the previous ones; `false` when the file is not simple.
    fn scan(&mut self, bytes: &[u8]) -> bool {
        let mut chunks = bytes.chunks_exact(64);
        for chunk in &mut chunks {
            let chunk: &[u8; 64] = chunk.try_into().expect("64 bytes");
            if !self.chunk(chunk, 64) {
                return false;
            }
        }
        let rest = chunks.remainder();
        if rest.is_empty() {
            return true;
        }
        // Padding bytes are never line ends; one equal to the delimiter or `\r` lies past `len`.
        let mut padded = [b'\n'; 64];
        padded[..rest.len()].copy_from_slice(rest);
        self.chunk(&padded, rest.len())
    }

    /// The first `len` bytes of `chunk`.
    fn chunk(&mut self, chunk: &[u8; 64], len: usize) -> bool {
        let valid = below(len);
        let newlines = byte_mask(chunk, b'\n') & valid;
        let delimiters = byte_mask(chunk, self.delimiter) & valid;
        let crs = byte_mask(chunk, b'\r') & valid;
        // Every `\r` is followed by `\n` (here, or first in the next chunk).
        if self.after_cr && newlines & 1 == 0 {
            return false;
        }
        if (crs << 1) & !newlines & valid != 0 {
            return false;
        }
        let cr_before = |i: usize, after_cr: bool| if i == 0 { after_cr } else { crs >> (i - 1) & 1 == 1 };
        let mut start = 0;
        let mut rest = newlines;
        while rest != 0 {
            let i = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let length = self.length + (i - start);
            let fields = self.delimiters + (delimiters & below(i) & !below(start)).count_ones() + 1;
            if length > usize::from(cr_before(i, self.after_cr)) {
                if !self.record(fields) {
                    return false;
                }
            } else {
                self.lines.blank();
            }
            self.delimiters = 0;
            self.length = 0;
            start = i + 1;
        }
        self.delimiters += (delimiters & valid & !below(start)).count_ones();
        self.length += len - start;
        self.after_cr = len > 0 && crs >> (len - 1) & 1 == 1;
        true
    }

    fn record(&mut self, fields: u32) -> bool {
        let lines = &mut self.lines;
        if lines.records == 0 {
            lines.fields = u64::from(fields);
        }
        lines.records += 1;
        lines.fields == u64::from(fields)
    }

    /// The lines, once the file ended (a last line without a line end counts too).
    fn finish(mut self) -> Option<Lines> {
        if self.after_cr {
            return None;
        }
        if self.length > 0 && !self.record(self.delimiters + 1) {
            return None;
        }
        Some(self.lines)
    }
}

fn validate_csv_files(files: &[PathBuf], csv: &CsvOptions) -> Result<Vec<(PathBuf, CsvLayout)>, DataError> {
    let mut layouts = Vec::new();
    for f in files {
        // An object's bytes are checked from a local copy; errors still name the URL.
        let (local, _copy) = local_copy(f)?;
        let lines = match unquoted_lines(&local, csv) {
            Ok(Some(lines)) => lines,
            Ok(None) | Err(_) => lines_by_csv_crate(f, &local, csv)?,
        };
        layouts.push((f.clone(), lines.layout(csv.header)));
    }
    Ok(layouts)
}

/// The lines of the file `f` (read from `local`) as the `csv` crate reads its records; a ragged
/// row or invalid UTF-8 is an error naming its line. The crate skips blank lines without a word,
/// so they are found by [`blank_lines_outside_quotes`].
fn lines_by_csv_crate(f: &Path, local: &Path, csv: &CsvOptions) -> Result<Lines, DataError> {
    let file = std::fs::File::open(local).map_err(|e| DataError::new(f, e.to_string()))?;
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(csv.delimiter)
        .quoting(csv.quote.is_some())
        .quote(csv.quote.unwrap_or(b'"'))
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let mut record = ::csv::ByteRecord::new();
    let mut expected: Option<usize> = None;
    let mut records = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(DataError::new(f, e.to_string())),
        }
        // Counted from the byte offset, on the error path only: the reader's own line count
        // is one short in CRLF files.
        let line = || record.position().map(|p| line_at(local, p.byte())).unwrap_or(0);
        records += 1;
        match expected {
            None => expected = Some(record.len()),
            Some(n) if n != record.len() => {
                return Err(DataError::new(
                    f,
                    format!("line {} has {} fields, but the first row has {n} (a ragged row)", line(), record.len()),
                ))
            }
            _ => {}
        }
        if let Some(bad) = record.iter().find(|v| std::str::from_utf8(v).is_err()) {
            let valid = std::str::from_utf8(bad).err().map(|e| e.valid_up_to()).unwrap_or(0);
            return Err(DataError::new(
                f,
                format!("line {} is not valid UTF-8 (after {valid} bytes of a field)", line()),
            ));
        }
    }
    let (blank_at, leading_blank_lines) =
        blank_lines_outside_quotes(local, csv.quote).map_err(|e| DataError::new(f, e.to_string()))?;
    Ok(Lines { records, fields: expected.unwrap_or(0) as u64, blank_at, leading_blank_lines })
}

/// The blank lines of a file whose fields may be quoted (a line end inside quotes ends no line):
/// where each one after the first record falls among records and blank lines, as
/// [`Lines::blank_at`], and how many come before it. A doubled quote inside quotes toggles twice,
/// so counting quotes is enough.
fn blank_lines_outside_quotes(path: &Path, quote: Option<u8>) -> std::io::Result<(Vec<u64>, u64)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut lines = Lines::default();
    let mut quoted = false;
    // Bytes of the line being read, and whether the last of them is a `\r`.
    let mut length = 0u64;
    let mut after_cr = false;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok((lines.blank_at, lines.leading_blank_lines));
        }
        let data = &buf[..n];
        let mut at = 0;
        while at < n {
            let hit = match quote {
                Some(q) => memchr::memchr2(q, b'\n', &data[at..]),
                None => memchr::memchr(b'\n', &data[at..]),
            };
            let Some(offset) = hit else {
                length += (n - at) as u64;
                after_cr = data[n - 1] == b'\r';
                break;
            };
            let i = at + offset;
            if i > at {
                length += (i - at) as u64;
                after_cr = data[i - 1] == b'\r';
            }
            if data[i] == b'\n' && !quoted {
                if length > u64::from(after_cr) {
                    lines.records += 1;
                } else {
                    lines.blank();
                }
                length = 0;
            } else {
                quoted ^= data[i] != b'\n';
                length += 1;
            }
            after_cr = false;
            at = i + 1;
        }
    }
}

/// Reads exactly the footer: its length from the last 8 bytes, then the footer itself — of a
/// file, or of an object in two ranged GETs.
fn read_footer(file: &Path) -> Result<FileMetadataRef, DataError> {
    let unreadable = |why: String| DataError::new(file, format!("not a readable Parquet file ({why})"));
    let (tail, size) = last_bytes(file, 8)?;
    if size < 12 || tail.len() < 8 {
        return Err(unreadable(format!("{size} bytes is too short for a Parquet file")));
    }
    if &tail[4..] != b"PAR1" {
        return Err(unreadable("the file does not end with PAR1".into()));
    }
    let footer_len = 8 + u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if footer_len + 4 > size {
        return Err(unreadable(format!("the footer claims {footer_len} bytes of a {size}-byte file")));
    }
    let (footer, _) = last_bytes(file, footer_len)?;
    decode_footer(file, footer)
}

/// The last `n` bytes (at most the whole) of a file or object, and its size.
fn last_bytes(file: &Path, n: u64) -> Result<(Vec<u8>, u64), DataError> {
    use std::io::{Read, Seek, SeekFrom};
    if crate::remote::is_url(file) {
        return crate::remote::read_suffix(file, n);
    }
    let mut f = std::fs::File::open(file).map_err(|e| DataError::new(file, e.to_string()))?;
    let size = f.metadata().map_err(|e| DataError::new(file, e.to_string()))?.len();
    let mut bytes = vec![0u8; n.min(size) as usize];
    f.seek(SeekFrom::End(-(bytes.len() as i64)))
        .and_then(|_| f.read_exact(&mut bytes))
        .map_err(|e| DataError::new(file, format!("not a readable Parquet file ({e})")))?;
    Ok((bytes, size))
}

fn decode_footer(file: &Path, footer: Vec<u8>) -> Result<FileMetadataRef, DataError> {
    let unreadable = |why: String| DataError::new(file, format!("not a readable Parquet file ({why})"));
    // The decoder panics on some malformed footers (see `cli::quiet_footer_decoder_panics`).
    let decoded = std::panic::catch_unwind(|| {
        polars_parquet::parquet::read::deserialize_metadata(polars_buffer::Buffer::from_vec(footer))
    });
    match decoded {
        Ok(Ok(metadata)) => Ok(Arc::new(metadata)),
        Ok(Err(e)) => Err(unreadable(e.to_string())),
        Err(_) => Err(unreadable("its footer is malformed".into())),
    }
}

/// Row count of Parquet files from their footers, without reading data pages.
pub fn parquet_rows(files: &[PathBuf]) -> Result<u64, DataError> {
    files.iter().map(|f| Ok(read_footer(f)?.num_rows as u64)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Polars' own reader gives for `file` with types from its first `infer` rows.
    fn read_by_polars(file: &Path, infer: usize) -> PolarsResult<DataFrame> {
        LazyCsvReader::new(PlRefPath::new(file.to_string_lossy().as_ref()))
            .with_try_parse_dates(true)
            .with_missing_is_null(true)
            .with_infer_schema_length(Some(infer))
            .finish()?
            .collect()
    }

    fn scan_with(file: &Path, infer: usize) -> (LazyFrame, Dataset) {
        let mut dataset = Dataset::open(file, file.display().to_string(), None, CsvOptions::default(), None).unwrap();
        dataset.infer_rows = Some(infer);
        (dataset.scan(&dataset.files, &[]).unwrap(), dataset)
    }

    #[test]
    fn inferred_timestamps_read_by_tollgate_equal_polars_own_parse() {
        // Files other tools wrote (interop fixtures), then every form Polars takes in a column
        // whose first rows are naive or zoned, past the inference window.
        let dir = tempfile::tempdir().unwrap();
        let naive = dir.path().join("naive.csv");
        std::fs::write(
            &naive,
            "t\n2026-01-01T00:00:00.000000\n2026-01-01 00:00:00\n2026-01-05\n2026-01-05T10:00\n2026-01-05 10:00\n\
             2026-01-05T10:00:00.5\n2026-01-05T10:00:00.123456789\n\n1969-12-31T23:59:59.999999\n",
        )
        .unwrap();
        let zoned = dir.path().join("zoned.csv");
        std::fs::write(
            &zoned,
            "t\n2026-01-01T00:00:00Z\n2026-01-01T00:00:00+01:00\n2026-01-05T10:00:00+01\n2026-01-05T10:00:00-0130\n\
             2026-01-05 10:00:00.5+01:00\n2026-01-05T10:00Z\n",
        )
        .unwrap();
        let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/interop");
        let mut cases: Vec<(PathBuf, usize)> = ["pyarrow", "duckdb", "pandas", "polars"]
            .iter()
            .map(|w| (interop.join(w).join("trips.csv"), INFER_ROWS))
            .collect();
        // Spark writes milliseconds and `Z`.
        cases.push((interop.join("spark/csv/part-00000-e3b80f67-d4a1-4f87-9c74-04e4b207f5b3-c000.csv"), INFER_ROWS));
        cases.push((naive, 2));
        cases.push((zoned, 2));
        for (file, infer) in cases {
            let (lf, _) = scan_with(&file, infer);
            assert!(
                lf.describe_plan().unwrap().contains("parse.inferred_timestamp"),
                "{}: tollgate's parser is not used",
                file.display()
            );
            let ours = lf.collect().unwrap();
            let polars = read_by_polars(&file, infer).unwrap();
            assert_eq!(ours.schema(), polars.schema(), "{}", file.display());
            assert!(ours.equals_missing(&polars), "{}:\n{ours}\n{polars}", file.display());
        }
    }

    #[test]
    fn an_inferred_timestamp_outside_the_grammar_falls_back_to_polars() {
        let dir = tempfile::tempdir().unwrap();
        // Past the first rows: a lower-case separator, a zone in a naive column, and a form
        // Polars reads only with another pattern.
        for later in ["2026-01-05t10:00:00", "2026-01-05T10:00:00Z", "05/01/2026 10:00"] {
            let file = dir.path().join("late.csv");
            std::fs::write(&file, format!("t\n2026-01-01T00:00:00\n2026-01-02T00:00:00\n{later}\n")).unwrap();
            let (lf, dataset) = scan_with(&file, 2);
            let err = lf.collect().unwrap_err();
            let mut root = &err;
            while let PolarsError::Context { error, .. } | PolarsError::ExprContext { error, .. } = root {
                root = error;
            }
            assert!(matches!(root, PolarsError::ComputeError(_)), "{later}: {err}");
            assert!(!err.to_string().contains(later), "the value is not quoted: {err}");
            // The run is repeated with types from every row: Polars' own answer, whatever it is.
            let full = Dataset { infer_rows: None, ..dataset };
            let again = full.scan(&full.files, &[]).unwrap().collect();
            let polars = LazyCsvReader::new(PlRefPath::new(file.to_string_lossy().as_ref()))
                .with_try_parse_dates(true)
                .with_missing_is_null(true)
                .with_infer_schema_length(None)
                .finish()
                .unwrap()
                .collect();
            match (again, polars) {
                (Ok(a), Ok(p)) => assert!(a.equals_missing(&p), "{later}"),
                (a, p) => assert_eq!(a.is_err(), p.is_err(), "{later}"),
            }
        }
    }

    /// Every CSV file in `dir`, recursively.
    fn csv_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                csv_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "csv") {
                out.push(path);
            }
        }
    }

    #[test]
    fn the_structure_checks_fast_path_counts_as_the_csv_crate_or_steps_aside() {
        // Every CSV of the repository (written by pyarrow, DuckDB, pandas, polars, Spark, by
        // hand; CRLF, ragged, invalid UTF-8 among them), then edge cases.
        let mut files = Vec::new();
        csv_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"), &mut files);
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &[u8]); 10] = [
            ("plain", b"a,b\n1,2\n3,4\n"),
            ("no_final_newline", b"a,b\n1,2\n3,4"),
            ("blank_lines", b"a,b\n\n1,2\n\r\n3,4\n\n"),
            ("crlf", b"a,b\r\n1,2\r\n3,4\r\n"),
            ("lone_cr", b"a\r1\r2\n"),
            ("ragged", b"a,b\n1,2\n3\n"),
            ("too_many", b"a,b\n1,2,3\n"),
            ("quoted", b"a,b\n\"x,y\",2\n"),
            ("bad_utf8", b"a,b\n1,\xff\n"),
            ("utf8", "a,b\né,ü\n".as_bytes()),
        ];
        for (name, bytes) in cases {
            let path = dir.path().join(format!("{name}.csv"));
            std::fs::write(&path, bytes).unwrap();
            files.push(path);
        }
        // Lines of every length across 64-byte chunks and the 4 MiB read buffer, CRLF or LF,
        // with blank lines; then the same with one ragged row near the end.
        for (name, crlf, ragged) in [("long_lf", false, false), ("long_crlf", true, false), ("long_ragged", true, true)]
        {
            let mut text = String::from("a,b,c\n");
            for i in 0..60_000usize {
                let field = "x".repeat(i % 211);
                let row =
                    if ragged && i == 59_990 { format!("{field},{i}") } else { format!("{field},{i},é{}", i % 7) };
                text.push_str(&row);
                text.push_str(if crlf { "\r\n" } else { "\n" });
                if i % 1000 == 0 {
                    text.push('\n');
                }
            }
            let path = dir.path().join(format!("{name}.csv"));
            std::fs::write(&path, text).unwrap();
            files.push(path);
        }
        let csv = CsvOptions::default();
        let mut fast = 0;
        for file in &files {
            let slow = lines_by_csv_crate(file, file, &csv);
            match unquoted_lines(file, &csv).unwrap() {
                Some(lines) => {
                    fast += 1;
                    assert_eq!(Ok(lines), slow.map_err(|e| e.message), "{}", file.display());
                }
                // Stepping aside is always allowed; for these it is required.
                None => {}
            }
        }
        let long_crlf = unquoted_lines(&dir.path().join("long_crlf.csv"), &csv).unwrap().unwrap();
        assert_eq!((long_crlf.records, long_crlf.blank_at.len()), (60_001, 60));
        for name in ["lone_cr", "ragged", "too_many", "quoted", "bad_utf8", "long_ragged"] {
            assert!(unquoted_lines(&dir.path().join(format!("{name}.csv")), &csv).unwrap().is_none(), "{name}");
        }
        assert!(fast >= 10, "the fast path took only {fast} of {} files", files.len());
    }

    #[test]
    fn blank_lines_are_no_records_except_in_a_file_of_one_column() {
        let dir = tempfile::tempdir().unwrap();
        let layout = |bytes: &[u8], header: bool| {
            let path = dir.path().join("blank.csv");
            std::fs::write(&path, bytes).unwrap();
            let csv = CsvOptions { header, ..CsvOptions::default() };
            let [(_, layout)]: [(PathBuf, CsvLayout); 1] =
                validate_csv_structure(&[path.clone()], &csv).unwrap().try_into().unwrap();
            // The quote-aware path finds the same blank lines as the fast one.
            assert_eq!(lines_by_csv_crate(&path, &path, &csv).unwrap().layout(header), layout);
            layout
        };
        let several = |records, blank_rows: &[u64], leading_blank_lines| CsvLayout {
            records,
            blank_rows: blank_rows.to_vec(),
            leading_blank_lines,
        };
        // Polars reads the rows 1,x / nulls / 2,y / nulls / nulls / 3,z / nulls.
        assert_eq!(layout(b"\n\na,b\n1,x\n\n2,y\r\n\r\n\n3,z\n\n", true), several(3, &[1, 3, 4, 6], 2));
        assert_eq!(layout(b"1,x\n\n2,y\n", false), several(2, &[1], 0));
        // A row of empty fields is a row.
        assert_eq!(layout(b"a,b\n,\n\n", true), several(1, &[1], 0));
        // Quoted line ends and quoted blank lines are inside a field.
        assert_eq!(layout(b"a,b\n\"x\n\n\",1\n\n\"\"\"\",2\n", true), several(2, &[1], 0));
        // In one column, a blank line is an empty value (after the header, or else the first record).
        assert_eq!(layout(b"\na\n1\n\n2\n\n", true), several(4, &[], 1));
        assert_eq!(layout(b"a\n\"1\"\n\n", true), several(2, &[], 0));
        // Sample lines step over blank lines.
        let skipping = several(3, &[1, 3, 4, 6], 2);
        let lines: Vec<u64> = (0..3).map(|record| skipping.line_of(record, true)).collect();
        assert_eq!(lines, [4, 6, 9]);
    }

    #[test]
    fn normalizes_lexically() {
        assert_eq!(normalize(Path::new("contracts/../fixtures/orders")), PathBuf::from("fixtures/orders"));
        assert_eq!(normalize(Path::new("./a/./b")), PathBuf::from("a/b"));
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
    }

    #[test]
    fn partition_values_order_by_type() {
        let raw: Vec<String> = ["9", "12", "10"].iter().map(|s| s.to_string()).collect();
        assert_eq!(type_partitions(&raw), PartitionType::Int);
        let mut values: Vec<_> = raw.iter().map(|r| typed_value(r, PartitionType::Int)).collect();
        values.sort();
        assert_eq!(values, vec![PartitionValue::Int(9), PartitionValue::Int(10), PartitionValue::Int(12)]);
        let dates: Vec<String> = ["2026-01-10", "2026-01-09"].iter().map(|s| s.to_string()).collect();
        assert_eq!(type_partitions(&dates), PartitionType::Date);
        assert_eq!(type_partitions(&["a".to_string(), "1".to_string()]), PartitionType::Text);
    }

    #[test]
    fn partition_from_any_depth() {
        assert_eq!(
            partition_of(Path::new("d/region=eu/dt=2026-01-01/part-0.parquet"), "dt"),
            Some("2026-01-01".into())
        );
        assert_eq!(
            partition_of(Path::new("d/dt=2026-01-01/region=eu/part-0.parquet"), "dt"),
            Some("2026-01-01".into())
        );
        assert_eq!(partition_of(Path::new("d/part-0.parquet"), "dt"), None);
        assert_eq!(percent_decode("a%20b"), "a b");
    }

    /// A scan made ahead serves the one later scan of the same files, typed columns and
    /// inference rows; anything else is scanned afresh.
    #[test]
    fn a_prepared_scan_is_taken_once_and_only_by_its_own_request() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        std::fs::write(&a, "n\n1\n2\n").unwrap();
        std::fs::write(&b, "n\n3\n").unwrap();
        let dataset = Dataset::open(dir.path(), "d".into(), None, CsvOptions::default(), None).unwrap();
        let n_type = |mut lf: LazyFrame| lf.collect_schema().unwrap().get("n").cloned().unwrap();
        let declared = [("n".to_string(), DeclaredType::Int64)];
        let (a_files, b_files) = (vec![a.clone()], vec![b.clone()]);
        dataset.prepare_scans(&[a_files.as_slice(), b_files.as_slice()], &[]);
        assert_eq!(dataset.prepared_scans.0.lock().unwrap().len(), 2);
        // Declared columns are read as text: a scan made for none is not served.
        assert_eq!(n_type(dataset.scan(&a_files, &declared).unwrap()), DataType::String);
        assert_eq!(dataset.prepared_scans.0.lock().unwrap().len(), 1);
        // Types inferred from every row: another key.
        let full = Dataset { infer_rows: None, ..dataset.clone() };
        assert_eq!(n_type(full.scan(&b_files, &[]).unwrap()), DataType::Int64);
        assert_eq!(dataset.prepared_scans.0.lock().unwrap().len(), 1);
        let served = dataset.scan(&b_files, &[]).unwrap();
        assert_eq!(dataset.prepared_scans.0.lock().unwrap().len(), 0);
        assert_eq!(served.collect().unwrap().column("n").unwrap().i64().unwrap().get(0), Some(3));
    }
}
