//! `tollgate infer DATA`: one pass over the data proposes a contract the data passes — types,
//! `required` where there are no nulls, `unique` where every value is distinct, ranges from
//! min/max, accepted values for low-cardinality text, null-rate ceilings with headroom.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use polars::prelude::*;
use serde_json::{json, Value};

use crate::contract::CsvOptions;
use crate::source::{DataError, Dataset};
use crate::types::{family, type_name, Family};
use crate::values::json_value;

/// Text columns with at most this many distinct values get `accepted_values`.
const MAX_ACCEPTED: u32 = 20;

struct ColumnProfile {
    name: String,
    dtype: DataType,
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

/// A null-rate ceiling above the observed rate, so the proposal passes with room to spare.
fn headroom(rate: f64) -> f64 {
    ((rate * 1.5 + 0.01) * 1000.0).ceil().min(1000.0) / 1000.0
}

fn profile(dataset: &Dataset) -> Result<(u64, Vec<ColumnProfile>), DataError> {
    let lf = dataset.scan(&dataset.files, &[])?;
    let schema = lf.clone().collect_schema().map_err(|e| DataError::new(&dataset.files[0], e.to_string()))?;
    let mut exprs = vec![len().cast(DataType::Int64).alias("__rows")];
    let columns: Vec<(String, DataType)> = schema.iter().map(|(n, d)| (n.to_string(), d.clone())).collect();
    for (i, (name, dtype)) in columns.iter().enumerate() {
        let c = col(name.as_str());
        exprs.push(c.clone().null_count().cast(DataType::Int64).alias(format!("nulls{i}")));
        exprs.push(c.clone().drop_nulls().n_unique().cast(DataType::Int64).alias(format!("distinct{i}")));
        match family(dtype) {
            Family::Integer | Family::Float | Family::Decimal | Family::Date | Family::Timestamp | Family::Time => {
                exprs.push(c.clone().min().alias(format!("min{i}")));
                exprs.push(c.clone().max().alias(format!("max{i}")));
                if family(dtype) == Family::Float {
                    exprs.push(c.clone().is_nan().sum().cast(DataType::Int64).alias(format!("nans{i}")));
                }
            }
            Family::String => {
                // Some distinct values, enough to tell whether there are at most 20 (then they are
                // all of them, sorted below); sorting every distinct value would cost more than
                // the rest of the profile.
                let firsts =
                    c.clone().cast(DataType::String).drop_nulls().unique().head(Some(MAX_ACCEPTED as usize + 1));
                exprs.push(firsts.implode(false).alias(format!("values{i}")));
            }
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
    let rows = int("__rows");
    let profiles = columns
        .into_iter()
        .enumerate()
        .map(|(i, (name, dtype))| {
            let mut values: Vec<Value> = match get(&format!("values{i}")) {
                Some(AnyValue::List(s)) => (0..s.len()).filter_map(|j| s.get(j).ok().map(|v| json_value(&v))).collect(),
                _ => Vec::new(),
            };
            values.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            ColumnProfile {
                nulls: int(&format!("nulls{i}")),
                distinct: int(&format!("distinct{i}")),
                nans: int(&format!("nans{i}")),
                min: get(&format!("min{i}")).map(|v| json_value(&v)).unwrap_or(Value::Null),
                max: get(&format!("max{i}")).map(|v| json_value(&v)).unwrap_or(Value::Null),
                values,
                name,
                dtype,
            }
        })
        .collect();
    Ok((rows, profiles))
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
        m.insert("null_rate".into(), json!({"max": headroom(p.nulls as f64 / rows as f64)}));
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
            "null_rate" => format!("{:.4} observed, with headroom", p.nulls as f64 / rows.max(1) as f64),
            "unique" => "every non-null value is distinct".to_string(),
            "range" => "the observed min and max".to_string(),
            "accepted_values" => format!("{} distinct values (at most {MAX_ACCEPTED})", p.values.len()),
            _ => continue,
        };
        why.push(format!("{rule}: {reason}"));
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
    let dataset = Dataset::open(data, display, Some(format), CsvOptions::default(), None)?;
    let (rows, profiles) = dataset.retrying_full_inference(profile)?;
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
