//! `tollgate infer DATA`: one pass over the data proposes a contract the data passes — types,
//! `required` where there are no nulls, `unique` where every value is distinct, ranges from
//! min/max, accepted values for low-cardinality text, null-rate ceilings with headroom.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::rules::distinct_set::DistinctSet;
use std::path::{Component, Path, PathBuf};

use polars::prelude::*;
use serde_json::{json, Value};

use crate::contract::{CsvOptions, Format};
use crate::source::{DataError, Dataset};
use crate::types::DeclaredType;
use crate::types::{family, type_name, Family};
use crate::values::json_value;

/// Text columns with at most this many distinct values get `accepted_values`.
const MAX_ACCEPTED: u32 = 20;

struct ColumnProfile {
    name: String,
    dtype: DataType,
    /// Why the proposal differs from what the reader saw (dates kept as text).
    note: Option<String>,
    /// The highest null rate in any one partition, when the data is partitioned.
    worst_null_rate: Option<f64>,
    nulls: u64,
    distinct: u64,
    nans: u64,
    min: Value,
    max: Value,
    values: Vec<Value>,
}

/// The hive key every file sits under, if there is exactly one.
fn hive_key(files: &[PathBuf]) -> Option<String> {
    let keys = |f: &PathBuf| -> BTreeSet<String> {
        f.parent()
            .map(|p| {
                p.components()
                    .filter_map(|c| match c {
                        Component::Normal(n) => n.to_str()?.split_once('=').map(|(k, _)| k.to_string()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut common = keys(files.first()?);
    for f in &files[1..] {
        let k = keys(f);
        common.retain(|c| k.contains(c));
    }
    (common.len() == 1).then(|| common.into_iter().next()).flatten()
}

fn declared_name(dtype: &DataType) -> Option<&'static str> {
    Some(match family(dtype) {
        Family::Bool => "bool",
        Family::Decimal => "decimal",
        Family::String => "string",
        Family::Binary => "binary",
        Family::Date => "date",
        Family::Time => "time",
        Family::Timestamp => "timestamp",
        Family::Integer | Family::Float => match type_name(dtype).as_str() {
            "int8" => "int8",
            "int16" => "int16",
            "int32" => "int32",
            "int64" => "int64",
            "uint8" => "uint8",
            "uint16" => "uint16",
            "uint32" => "uint32",
            "uint64" => "uint64",
            "float32" => "float32",
            "float64" => "float64",
            _ => return None,
        },
        Family::Other => return None,
    })
}

fn odcs_type(dtype: &DataType) -> Option<&'static str> {
    Some(match family(dtype) {
        Family::Bool => "boolean",
        Family::Integer => "integer",
        Family::Float | Family::Decimal => "number",
        Family::String => "string",
        Family::Date => "date",
        Family::Timestamp => "timestamp",
        Family::Time => "time",
        _ => return None,
    })
}

/// `to` relative to the folder `from_dir`, both made absolute first.
fn relative(to: &Path, from_dir: &Path) -> PathBuf {
    let (Ok(to), Ok(from)) = (std::path::absolute(to), std::path::absolute(from_dir)) else { return to.to_path_buf() };
    let (to, from) = (crate::source::normalize(&to), crate::source::normalize(&from));
    let (a, b): (Vec<_>, Vec<_>) = (to.components().collect(), from.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &a[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// The field separator of a CSV file, from its first line: the most frequent of `,` `;` tab
/// `|` outside quotes (a comma on a tie).
fn sniff_delimiter(file: &Path) -> u8 {
    use std::io::{BufRead, Read};
    let Ok(f) = std::fs::File::open(file) else { return b',' };
    let mut first = Vec::new();
    let _ = std::io::BufReader::new(f.take(1 << 16)).read_until(b'\n', &mut first);
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for &b in &first {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = candidates.iter().position(|&c| c == b) {
                counts[i] += 1;
            }
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], i == 0)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        candidates[best]
    }
}

/// A null-rate ceiling above the observed rate, so the proposal passes with room to spare.
fn headroom(rate: f64) -> f64 {
    ((rate * 1.5 + 0.01) * 1000.0).ceil().min(1000.0) / 1000.0
}

/// Aggregates of one column, named `{what}{i}` in the profile query.
fn slot(what: &str, i: usize) -> String {
    format!("{what}{i}")
}

/// Each partition's rows in the scan of `dataset.files` (in that order): the row where each
/// file starts, the partition of each file, and each partition's rows. `None` if unpartitioned,
/// or if a file's rows are not known without reading it.
fn partition_rows(dataset: &Dataset) -> Option<(Vec<u64>, Vec<usize>, Vec<u64>)> {
    if dataset.partition_key.is_none() || dataset.partitions.len() < 2 {
        return None;
    }
    let (mut starts, mut owners, mut rows) = (Vec::new(), Vec::new(), vec![0u64; dataset.partitions.len()]);
    let mut at = 0u64;
    for file in &dataset.files {
        let owner = dataset.partitions.iter().position(|p| p.files.contains(file))?;
        let n = dataset.known_rows(file)?;
        starts.push(at);
        owners.push(owner);
        rows[owner] += n;
        at += n;
    }
    Some((starts, owners, rows))
}

/// Per partition, the nulls of a column, counted in the profile pass from each null row's
/// number (a row's partition is known from the files' rows).
struct NullsByPartition {
    starts: Vec<u64>,
    owners: Vec<usize>,
    nulls: Vec<AtomicU64>,
}

impl NullsByPartition {
    /// An aggregate (always 0) that counts `value`'s nulls by partition as the pass streams.
    fn count(tally: &Arc<NullsByPartition>, value: Expr, row: Expr) -> Expr {
        let t = Arc::clone(tally);
        let udf = move |columns: &mut [Column]| -> PolarsResult<Column> {
            let fields = columns[0].struct_()?.fields_as_series();
            let nulls = fields[0].bool()?;
            let rows = fields[1].cast(&DataType::UInt64)?;
            for (null, row) in nulls.iter().zip(rows.u64()?.iter()) {
                if let (Some(true), Some(row)) = (null, row) {
                    let file = t.starts.partition_point(|&s| s <= row).saturating_sub(1);
                    t.nulls[t.owners[file]].fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(BooleanChunked::full(columns[0].name().clone(), false, nulls.len()).into_column())
        };
        let field = |_: &Schema, fields: &[Field]| Ok(Field::new(fields[0].name().clone(), DataType::Boolean));
        let input = as_struct(vec![value.is_null().alias("null"), row.alias("row")]);
        count_true(crate::rules::named_udf(input.map_many(udf, &[], field), "infer.nulls_by_partition"))
    }

    /// The highest null rate of any partition with rows.
    fn worst(&self, rows: &[u64]) -> f64 {
        self.nulls
            .iter()
            .zip(rows)
            .map(|(n, r)| if *r > 0 { n.load(Ordering::Relaxed) as f64 / *r as f64 } else { 0.0 })
            .fold(0.0, f64::max)
    }
}

fn profile(dataset: &Dataset) -> Result<(u64, Vec<ColumnProfile>), DataError> {
    let inferred = dataset.scan(&dataset.files, &[])?;
    let schema = inferred.clone().collect_schema().map_err(|e| DataError::new(&dataset.files[0], e.to_string()))?;
    // Nested and exotic columns (lists, structs, DuckDB's INTERVAL) are neither read nor
    // proposed: no rule applies to them, and some cannot be read at all.
    let columns: Vec<(String, DataType)> =
        schema.iter().filter(|(_, d)| family(d) != Family::Other).map(|(n, d)| (n.to_string(), d.clone())).collect();
    // CSV text, and what the CSV reader took for dates, is judged by tollgate's own grammar —
    // the one `check` applies to the types proposed — so the text is read as text.
    let as_text: Vec<(String, DeclaredType)> = match dataset.format {
        Format::Csv => columns
            .iter()
            .filter(|(_, d)| matches!(family(d), Family::String | Family::Date | Family::Timestamp))
            .map(|(n, _)| (n.clone(), DeclaredType::String))
            .collect(),
        Format::Parquet => Vec::new(),
    };
    let lf = if as_text.is_empty() { inferred } else { dataset.scan(&dataset.files, &as_text)? };
    let read_as = lf.clone().collect_schema().map_err(|e| DataError::new(&dataset.files[0], e.to_string()))?;
    // On partitioned data each column's nulls are also counted per partition, in this pass: a
    // null rate proposed from all rows pooled would fail `--all-partitions` on the worst day.
    let by_partition = partition_rows(dataset);
    let lf = if by_partition.is_some() { lf.with_row_index("__tollgate_row", None) } else { lf };
    let mut tallies: Vec<Option<Arc<NullsByPartition>>> = Vec::new();
    let mut exprs = vec![len().cast(DataType::Int64).alias("__rows")];
    let mut texts: Vec<(usize, Option<std::sync::Arc<DistinctSet>>)> = Vec::new();
    for (i, (name, dtype)) in columns.iter().enumerate() {
        let c = col(name.as_str());
        exprs.push(c.clone().null_count().cast(DataType::Int64).alias(slot("nulls", i)));
        let tally = by_partition.as_ref().map(|(starts, owners, rows)| {
            let nulls = rows.iter().map(|_| AtomicU64::new(0)).collect();
            Arc::new(NullsByPartition { starts: starts.clone(), owners: owners.clone(), nulls })
        });
        if let Some(t) = &tally {
            exprs.push(NullsByPartition::count(t, c.clone(), col("__tollgate_row")).alias(slot("by_partition", i)));
        }
        tallies.push(tally);
        // A set the streaming pass fills (Polars' `n_unique` and `unique` stream ~5x slower and
        // hold every distinct value again); a text column's few values come from it too.
        let set = read_as.get(name.as_str()).and_then(DistinctSet::new);
        let distinct = match &set {
            Some(set) => set.insert(c.clone()),
            None => c.clone().drop_nulls().n_unique(),
        };
        exprs.push(distinct.cast(DataType::Int64).alias(slot("distinct", i)));
        if read_as.get(name.as_str()) == Some(&DataType::String) {
            texts.push((i, set.clone()));
        }
        let text = as_text.iter().any(|(n, _)| n == name);
        if text {
            // One parse: a date is a timestamp whose text is 10 bytes (`YYYY-MM-DD`).
            let parsed = crate::values::parse_text(c.clone(), DeclaredType::Timestamp);
            let unparsed = c.clone().is_not_null().and(parsed.clone().is_null());
            exprs.push(count_true(unparsed).alias(slot("timestamp_fail", i)));
            exprs.push(count_true(c.clone().str().len_bytes().neq(lit(10u32))).alias(slot("not_date", i)));
            exprs.push(parsed.clone().min().alias(slot("timestamp_min", i)));
            exprs.push(parsed.max().alias(slot("timestamp_max", i)));
        }
        let from_set = texts.iter().any(|(j, set)| *j == i && set.is_some());
        match family(dtype) {
            _ if from_set => {}
            _ if text => exprs.push(first_values(c).alias(slot("values", i))),
            Family::Integer | Family::Float | Family::Decimal | Family::Date | Family::Timestamp | Family::Time => {
                exprs.push(c.clone().min().alias(slot("min", i)));
                exprs.push(c.clone().max().alias(slot("max", i)));
                if family(dtype) == Family::Float {
                    exprs.push(count_true(c.clone().is_nan()).alias(slot("nans", i)));
                }
            }
            Family::String => exprs.push(first_values(c).alias(slot("values", i))),
            _ => {}
        }
    }
    let df = lf
        .select(exprs)
        .collect_with_engine(Engine::Streaming)
        .map(|r| r.unwrap_single())
        .map_err(|e| DataError::new(&dataset.files[0], e.to_string()))?;
    let get = |name: &str| df.column(name).ok().and_then(|c| c.get(0).ok()).map(|v| v.into_static());
    let int = |name: &str| get(name).and_then(|v| v.extract::<i64>()).unwrap_or(0).max(0) as u64;
    let json = |name: &str| get(name).map(|v| json_value(&v)).unwrap_or(Value::Null);
    let rows = int("__rows");
    // The files' rows must be the rows the pass read, or the partitions are counted again.
    let partition_rows = by_partition.map(|(_, _, per)| per).filter(|per| per.iter().sum::<u64>() == rows);
    let profiles = columns
        .into_iter()
        .enumerate()
        .map(|(i, (name, inferred_type))| {
            let in_set = texts.iter().find_map(|(j, set)| (*j == i).then_some(set.as_ref()).flatten());
            let mut values: Vec<Value> = match (in_set, get(&slot("values", i))) {
                (Some(set), _) => set.some_texts(MAX_ACCEPTED as usize + 1).into_iter().map(Value::String).collect(),
                (None, Some(AnyValue::List(s))) => {
                    (0..s.len()).filter_map(|j| s.get(j).ok().map(|v| json_value(&v))).collect()
                }
                (None, _) => Vec::new(),
            };
            values.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            let nulls = int(&slot("nulls", i));
            let text = as_text.iter().any(|(n, _)| *n == name);
            // Text every value of which tollgate parses as a date (or timestamp) is one; what
            // the CSV reader took for dates in another order (`01/02/2024`) stays text.
            let (dtype, min, max, note) = if !text {
                (inferred_type, json(&slot("min", i)), json(&slot("max", i)), None)
            } else if rows > nulls && int(&slot("timestamp_fail", i)) == 0 && int(&slot("not_date", i)) == 0 {
                let day = |v: Value| match v {
                    Value::String(t) => Value::String(t.get(..10).unwrap_or(&t).to_string()),
                    other => other,
                };
                (DataType::Date, day(json(&slot("timestamp_min", i))), day(json(&slot("timestamp_max", i))), None)
            } else if rows > nulls && int(&slot("timestamp_fail", i)) == 0 {
                let dtype = DataType::Datetime(TimeUnit::Microseconds, None);
                (dtype, json(&slot("timestamp_min", i)), json(&slot("timestamp_max", i)), None)
            } else {
                let note = matches!(family(&inferred_type), Family::Date | Family::Timestamp).then(|| {
                    "dates in an order tollgate does not read (it reads YYYY-MM-DD), so kept as text".to_string()
                });
                (DataType::String, Value::Null, Value::Null, note)
            };
            let exact_bounds = family(&dtype) == Family::Decimal;
            ColumnProfile {
                nulls,
                distinct: int(&slot("distinct", i)),
                nans: int(&slot("nans", i)),
                min: if exact_bounds { raw_number(&min) } else { min },
                max: if exact_bounds { raw_number(&max) } else { max },
                values: if family(&dtype) == Family::String { values } else { Vec::new() },
                worst_null_rate: match (&tallies[i], &partition_rows) {
                    (Some(tally), Some(per)) if nulls > 0 => Some(tally.worst(per)),
                    _ => None,
                },
                note,
                name,
                dtype,
            }
        })
        .collect();
    Ok((rows, profiles))
}

fn count_true(predicate: Expr) -> Expr {
    predicate.sum().cast(DataType::Int64)
}

/// Some distinct values, enough to tell whether there are at most 20 (then they are all of them,
/// sorted afterwards); sorting every distinct value would cost more than the rest of the profile.
fn first_values(c: Expr) -> Expr {
    c.cast(DataType::String).drop_nulls().unique().head(Some(MAX_ACCEPTED as usize + 1)).implode(false)
}

/// Marks a decimal's exact text to be written as a YAML number with every digit (a JSON number
/// would pass through f64). Only [`inline`] reads the mark.
const RAW_NUMBER: char = '\u{0}';

fn raw_number(v: &Value) -> Value {
    match v {
        Value::String(text) => Value::String(format!("{RAW_NUMBER}{text}")),
        other => other.clone(),
    }
}

/// The highest null rate of each column in any one partition: a ceiling proposed from all rows
/// pooled would fail `--all-partitions` on the worst day. One grouped pass over the partitions.
fn worst_null_rates(dataset: &Dataset, columns: &[String]) -> Result<Vec<f64>, DataError> {
    const PART: &str = "__tollgate_partition";
    let mut scans = Vec::new();
    for (i, p) in dataset.partitions.iter().enumerate() {
        let scan = dataset
            .scan(&p.files, &[])?
            .select([cols(columns.iter().map(String::as_str)).as_expr(), lit(i as u32).alias(PART)]);
        scans.push(scan);
    }
    let union = concat(scans, UnionArgs { to_supertypes: true, ..Default::default() })
        .map_err(|e| DataError::new(&dataset.display, e.to_string()))?;
    let mut aggs = vec![len().cast(DataType::Float64).alias("__rows")];
    aggs.extend(
        columns
            .iter()
            .enumerate()
            .map(|(i, c)| col(c.as_str()).null_count().cast(DataType::Float64).alias(slot("nulls", i))),
    );
    let per = union
        .group_by([col(PART)])
        .agg(aggs)
        .collect_with_engine(Engine::Streaming)
        .map(|r| r.unwrap_single())
        .map_err(|e| DataError::new(&dataset.display, e.to_string()))?;
    let column_f64 = |name: &str| -> Vec<f64> {
        per.column(name)
            .ok()
            .and_then(|c| c.f64().ok().map(|ca| ca.iter().map(|v| v.unwrap_or(0.0)).collect()))
            .unwrap_or_default()
    };
    let rows = column_f64("__rows");
    Ok((0..columns.len())
        .map(|i| {
            column_f64(&slot("nulls", i))
                .iter()
                .zip(&rows)
                .map(|(n, r)| if *r > 0.0 { n / r } else { 0.0 })
                .fold(0.0, f64::max)
        })
        .collect())
}

/// The proposed rules of one column, in the native contract's vocabulary.
fn native_rules(p: &ColumnProfile, rows: u64) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("name".into(), json!(p.name));
    if let Some(t) = declared_name(&p.dtype) {
        m.insert("type".into(), json!(t));
    }
    let non_null = rows - p.nulls;
    if rows > 0 && p.nulls == 0 {
        m.insert("required".into(), json!(true));
    } else if rows > 0 {
        let rate = (p.nulls as f64 / rows as f64).max(p.worst_null_rate.unwrap_or(0.0));
        m.insert("null_rate".into(), json!({"max": headroom(rate)}));
    }
    if non_null > 1 && p.distinct == non_null && p.nans <= 1 {
        m.insert("unique".into(), json!(true));
    }
    // NaN is outside every range, so a column holding NaN gets none.
    if !p.min.is_null() && !p.max.is_null() && p.nans == 0 && p.min.as_str() != Some("NaN") {
        m.insert("range".into(), json!({"min": p.min, "max": p.max}));
    }
    if family(&p.dtype) == Family::String && !p.values.is_empty() && p.values.len() <= MAX_ACCEPTED as usize {
        m.insert("accepted_values".into(), Value::Array(p.values.clone()));
    }
    if m.len() == 1 {
        // Every column gets a rule: with nothing else known, that it exists and may be null.
        m.insert("null_rate".into(), json!({"max": 1.0}));
    }
    m
}

/// A string YAML reads back as the same string without quotes (`int64`, `placed`, `a/b.csv`).
fn plain_safe(text: &str) -> bool {
    let reserved = ["true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", "nan", "inf"];
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
        && !reserved.contains(&text.to_ascii_lowercase().as_str())
}

/// One scalar, or a list of scalars, on one line. JSON's quoting is valid YAML 1.2.
fn inline(v: &Value) -> String {
    match v {
        Value::String(text) if text.starts_with(RAW_NUMBER) => text[RAW_NUMBER.len_utf8()..].to_string(),
        Value::String(text) if plain_safe(text) => text.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(inline).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => {
            let fields: Vec<String> = map.iter().map(|(k, v)| format!("{}: {}", key(k), inline(v))).collect();
            format!("{{{}}}", fields.join(", "))
        }
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn key(k: &str) -> String {
    if plain_safe(k) {
        k.to_string()
    } else {
        serde_json::to_string(k).unwrap_or_default()
    }
}

/// A map as block YAML at `indent` spaces; nested maps become blocks, scalar maps and lists stay
/// on one line.
fn block(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (k, v) in map {
        match v {
            // Bounds stay on one line, as the SPEC writes them: `range: {min: 0, max: 10}`.
            Value::Object(inner) if !inner.is_empty() && !inner.values().all(|v| !v.is_object() && !v.is_array()) => {
                out.push_str(&format!("{:indent$}{}:\n", "", key(k)));
                block(out, inner, indent + 2);
            }
            Value::Array(items) if items.iter().any(|i| i.is_object()) => {
                out.push_str(&format!("{:indent$}{}:\n", "", key(k)));
                for item in items {
                    list_item(out, item, indent + 2);
                }
            }
            other => out.push_str(&format!("{:indent$}{}: {}\n", "", key(k), inline(other))),
        }
    }
}

/// `- ` followed by a map whose first key sits on the dash's line.
fn list_item(out: &mut String, item: &Value, indent: usize) {
    match item {
        Value::Object(map) => {
            let mut nested = String::new();
            block(&mut nested, map, indent + 2);
            let body = nested.get(indent + 2..).unwrap_or_default();
            out.push_str(&format!("{:indent$}- {body}", ""));
        }
        other => out.push_str(&format!("{:indent$}- {}\n", "", inline(other))),
    }
}

/// The profile of a column and why each rule was proposed, as YAML comment lines.
fn column_comment(p: &ColumnProfile, rows: u64, rules: &serde_json::Map<String, Value>, indent: usize) -> String {
    let mut facts = vec![format!("{} nulls", p.nulls), format!("{} distinct", p.distinct)];
    if !p.min.is_null() {
        facts.push(format!("min {}, max {}", inline(&p.min), inline(&p.max)));
    }
    if p.nans > 0 {
        facts.push(format!("{} NaN", p.nans));
    }
    if !p.values.is_empty() {
        let shown: Vec<String> = p.values.iter().take(3).map(inline).collect();
        facts.push(format!("e.g. {}", shown.join(", ")));
    }
    let mut why = Vec::new();
    for rule in rules.keys() {
        let reason = match rule.as_str() {
            "type" => "as the data stores it".to_string(),
            "required" => format!("no null in {rows} rows"),
            "null_rate" if p.nulls == 0 => "nothing else is known of it".to_string(),
            "null_rate" => match p.worst_null_rate {
                Some(worst) => format!(
                    "{:.4} overall and {worst:.4} in the worst partition, with headroom",
                    p.nulls as f64 / rows.max(1) as f64
                ),
                None => format!("{:.4} observed, with headroom", p.nulls as f64 / rows.max(1) as f64),
            },
            "unique" => "every non-null value is distinct".to_string(),
            "range" => "the observed min and max".to_string(),
            "accepted_values" => format!("{} distinct values (at most {MAX_ACCEPTED})", p.values.len()),
            _ => continue,
        };
        why.push(format!("{rule}: {reason}"));
    }
    if let Some(note) = &p.note {
        why.push(note.clone());
    }
    let pad = " ".repeat(indent);
    format!("{pad}# {}: {}\n{pad}# {}\n", p.name, facts.join(", "), why.join("; "))
}

pub struct Proposal {
    pub text: String,
}

/// Proposes a contract for `data`; `progress` hears what is being read (for a spinner).
pub fn infer(data: &Path, output: Option<&Path>, odcs: bool, progress: &dyn Fn(String)) -> Result<Proposal, DataError> {
    let (format, files) = crate::source::discover(data, None)?;
    let bytes: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    progress(format!(
        "profiling {} ({} {} file{}, {:.1} MB)",
        data.display(),
        files.len(),
        format.name(),
        if files.len() == 1 { "" } else { "s" },
        bytes as f64 / 1e6
    ));
    let key_name = hive_key(&files);
    let display = crate::source::normalize(data).to_string_lossy().into_owned();
    // CSV types as `check` reads them (the first rows, all rows when a late value disagrees), so
    // the proposal is judged on the very types it declares.
    let delimiter = match (format, files.first()) {
        (Format::Csv, Some(first)) => sniff_delimiter(first),
        _ => b',',
    };
    if delimiter != b',' && odcs {
        return Err(DataError::new(
            data,
            format!(
                "fields are separated by `{}`, which an ODCS server cannot declare (tollgate reads ODCS CSV with \
                 commas); propose a native contract (without --odcs), which says `csv: {{delimiter: ...}}`",
                delimiter as char
            ),
        ));
    }
    let csv = CsvOptions { delimiter, ..CsvOptions::default() };
    let dataset = Dataset::open(data, display, Some(format), csv, key_name.as_deref())?;
    let (rows, mut profiles) = dataset.retrying_full_inference(profile)?;
    if key_name.is_some() && dataset.partitions.len() > 1 {
        // Counted in the profile pass unless the files' rows were not known.
        let names: Vec<String> =
            profiles.iter().filter(|p| p.nulls > 0 && p.worst_null_rate.is_none()).map(|p| p.name.clone()).collect();
        if !names.is_empty() {
            let worst = dataset.retrying_full_inference(|d| worst_null_rates(d, &names))?;
            for (name, rate) in names.iter().zip(worst) {
                if let Some(p) = profiles.iter_mut().find(|p| &p.name == name) {
                    p.worst_null_rate = Some(rate);
                }
            }
        }
    }
    let stem = data.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "dataset".into());
    let name: String = stem
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' })
        .collect();
    let path = match output.and_then(Path::parent) {
        Some(dir) => relative(data, if dir.as_os_str().is_empty() { Path::new(".") } else { dir }),
        None => data.to_path_buf(),
    };
    let path = path.to_string_lossy().replace('\\', "/");
    let columns: Vec<&ColumnProfile> = profiles.iter().filter(|p| Some(&p.name) != key_name.as_ref()).collect();
    let mut text = format!(
        "# Proposed by `tollgate infer` from {} ({rows} rows, {} {} file{}). Review before use:\n# every rule \
         below holds on this data; tighten what you know better.\n",
        data.display(),
        files.len(),
        format.name(),
        if files.len() == 1 { "" } else { "s" }
    );
    if odcs {
        text.push_str(&format!(
            "apiVersion: v3.1.0\nkind: DataContract\nid: {name}\nname: {name}\nversion: 0.1.0\nstatus: draft\nservers:\n"
        ));
        list_item(&mut text, &json!({"server": "local", "type": "local", "path": path, "format": format.name()}), 2);
        text.push_str(&format!("schema:\n  - name: {}\n    properties:\n", inline(&json!(name))));
        for p in columns {
            let mut m = serde_json::Map::new();
            m.insert("name".into(), json!(p.name));
            if let Some(t) = odcs_type(&p.dtype) {
                m.insert("logicalType".into(), json!(t));
            }
            let native = native_rules(p, rows);
            for k in ["required", "unique"] {
                if let Some(v) = native.get(k) {
                    m.insert(k.into(), v.clone());
                }
            }
            if let Some(Value::Object(r)) = native.get("range") {
                if matches!(family(&p.dtype), Family::Integer | Family::Float | Family::Decimal) {
                    m.insert("logicalTypeOptions".into(), json!({"minimum": r["min"], "maximum": r["max"]}));
                }
            }
            let mut quality = Vec::new();
            if let Some(values) = native.get("accepted_values") {
                quality.push(json!({"metric": "invalidValues", "arguments": {"validValues": values}, "mustBe": 0}));
            }
            if let Some(Value::Object(n)) = native.get("null_rate") {
                let percent = (n["max"].as_f64().unwrap_or(1.0) * 100.0 * 1000.0).round() / 1000.0;
                quality.push(json!({"metric": "nullValues", "mustBeLessOrEqualTo": percent, "unit": "percent"}));
            }
            if !quality.is_empty() {
                m.insert("quality".into(), Value::Array(quality));
            }
            text.push_str(&column_comment(p, rows, &native, 6));
            list_item(&mut text, &Value::Object(m), 6);
        }
        if rows > 0 {
            text.push_str("    quality:\n      - metric: rowCount\n        mustBeGreaterThan: 0\n");
        }
    } else {
        text.push_str(&format!(
            "contract: {}\nversion: 0.1.0\ndataset:\n  path: {}\n  format: {}\n",
            inline(&json!(name)),
            inline(&json!(path)),
            format.name()
        ));
        if let Some(k) = &key_name {
            text.push_str(&format!("  partitioning: {{style: hive, key: {}}}\n", inline(&json!(k))));
        }
        if delimiter != b',' {
            text.push_str(&format!(
                "  # fields are separated by `{0}` (sniffed from the first line)\n  csv: {{delimiter: {1}}}\n",
                delimiter as char,
                inline(&json!((delimiter as char).to_string()))
            ));
        }
        text.push_str("schema:\n  columns:\n");
        for p in columns {
            let rules = native_rules(p, rows);
            text.push_str(&column_comment(p, rows, &rules, 4));
            list_item(&mut text, &Value::Object(rules), 4);
        }
        if rows > 0 {
            text.push_str("checks:\n  - row_count: {min: 1}\n");
        }
    }
    Ok(Proposal { text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headroom_stays_above_the_rate() {
        for rate in [0.0, 0.001, 0.02, 0.5, 0.99, 1.0] {
            let h = headroom(rate);
            assert!(h >= rate && h <= 1.0, "{rate} → {h}");
        }
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative(Path::new("/a/b/data.csv"), Path::new("/a/c")), PathBuf::from("../b/data.csv"));
        assert_eq!(relative(Path::new("/a/data.csv"), Path::new("/a")), PathBuf::from("data.csv"));
    }

    #[test]
    fn single_hive_key_only() {
        let f = |s: &str| PathBuf::from(s);
        assert_eq!(hive_key(&[f("d/dt=1/a.parquet"), f("d/dt=2/b.parquet")]), Some("dt".into()));
        assert_eq!(hive_key(&[f("d/a.parquet")]), None);
        assert_eq!(hive_key(&[f("d/y=1/m=2/a.parquet")]), None);
    }
}
