//! The native dialect: a YAML tree into a [`Contract`], every rule and check dispatched on the
//! registry (`kinds.rs`), collecting every problem of the file at once.

use std::path::Path;

use super::diagnostic::suggestion;
use super::kinds::{CheckName, ColumnAttribute, ColumnKey, RuleName};
use super::read::{
    bool_of, check_read_only, count_of, fields, format_of, literal, one_of, rate_of, regex_of, required_text,
    resolve_placeholders, severity_of, text_of, Ctx, Fields,
};
use super::types::{unknown_type_help, DeclaredType, NestedType};
use super::yaml::{Node, Pos, Scalar};
use super::*;

const TOP_KEYS: &[&str] = &["contract", "version", "owner", "description", "dataset", "schema", "checks"];
const DATASET_KEYS: &[&str] = &["path", "table", "format", "partitioning", "csv", "storage_options"];

/// Settings a contract may not hold in `storage_options`: a contract is shared and versioned, so
/// secrets come from the environment or credential files.
const SECRET_STORAGE_KEYS: &[&str] = &[
    "access_key_id",
    "aws_access_key_id",
    "secret_access_key",
    "aws_secret_access_key",
    "session_token",
    "aws_session_token",
    "token",
    "account_key",
    "azure_storage_account_key",
    "access_key",
    "sas_token",
    "azure_storage_sas_token",
    "client_secret",
    "azure_client_secret",
    "service_account_key",
    "google_service_account_key",
    "password",
];
const CSV_KEYS: &[&str] = &["delimiter", "header", "null_values", "quote"];
const PARTITIONING_KEYS: &[&str] = &["style", "key"];
const SCHEMA_KEYS: &[&str] = &["strict", "columns"];
const LIMIT_KEYS: &[&str] = &["max_failures", "max_failure_rate", "severity"];
const RECONCILE_KEYS: &[&str] =
    &["with", "key", "row_count", "missing_keys", "extra_keys", "duplicate_keys", "columns"];
const RECONCILE_WITH_KEYS: &[&str] = &["path", "contract", "format", "partitioning", "csv", "storage_options"];
/// Keys of a `checks:` item besides its kind.
const CHECK_ITEM_KEYS: &[&str] = &["name", "severity", "description", "max_failures", "max_failure_rate"];

/// Every key a `checks:` item may hold.
fn check_keys() -> Vec<&'static str> {
    let mut keys = CheckName::words();
    keys.extend(CHECK_ITEM_KEYS);
    keys
}

fn scope_of(ctx: &mut Ctx, node: &Node) -> Option<Scope> {
    one_of(ctx, node, "scope", &[("dataset", Scope::Dataset), ("partition", Scope::Partition)])
}

fn limits_of(ctx: &mut Ctx, f: &Fields) -> Limits {
    Limits {
        max_failures: f.get("max_failures").and_then(|n| count_of(ctx, n, "`max_failures`")),
        max_failure_rate: f.get("max_failure_rate").and_then(|n| rate_of(ctx, n, "`max_failure_rate`")),
    }
}

/// `90m`, `36h`, `7d`, `1h30m`, `45s`, `2w` → seconds.
pub fn parse_duration(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total = 0.0;
    let mut number = String::new();
    let mut saw_unit = false;
    for c in text.chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86400.0,
            'w' => 604800.0,
            _ => return None,
        };
        let value: f64 = number.parse().ok()?;
        total += value * unit;
        number.clear();
        saw_unit = true;
    }
    (number.is_empty() && saw_unit).then_some(total)
}

fn compare_literals(a: &Literal, b: &Literal) -> Option<std::cmp::Ordering> {
    match (&a.value, &b.value) {
        (Scalar::Str(x), Scalar::Str(y)) => Some(x.cmp(y)),
        _ => {
            let x = match a.value {
                Scalar::Int(i) => i as f64,
                Scalar::Float(f) => f,
                _ => return None,
            };
            let y = match b.value {
                Scalar::Int(i) => i as f64,
                Scalar::Float(f) => f,
                _ => return None,
            };
            x.partial_cmp(&y)
        }
    }
}

pub(super) fn contract_of(ctx: &mut Ctx, root: &Node, file: &Path) -> Option<Contract> {
    if root.is_null() {
        return None;
    }
    let top = fields(ctx, root, "the contract", TOP_KEYS)?;
    let name = required_text(ctx, &top, "contract", "the contract");
    if let (Some(n), Some(node)) = (&name, top.get("contract")) {
        let valid =
            !n.is_empty() && n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
        if !valid {
            let fixed: String = n
                .to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' })
                .collect();
            ctx.error(
                node.pos,
                format!("contract name `{n}` may only hold a-z, 0-9, `_`, `.` and `-`"),
                format!("write `contract: {fixed}`"),
            );
        }
    }
    ctx.contract_name = name.clone();
    let version = top.get("version").and_then(|n| text_of(ctx, n, "`version`"));
    let owner = top.get("owner").and_then(|n| text_of(ctx, n, "`owner`"));
    let description = top.get("description").and_then(|n| text_of(ctx, n, "`description`"));
    let dataset = match top.get("dataset") {
        Some(node) => dataset_of(ctx, node),
        None => {
            ctx.error(
                top.pos,
                "the contract needs a `dataset` section",
                "add `dataset: {path: ../fixtures/your_data.parquet}`",
            );
            None
        }
    };
    let schema = top.get("schema").and_then(|node| schema_of(ctx, node));
    let mut checks = match top.get("checks") {
        Some(node) if node.is_null() => Vec::new(),
        Some(node) => checks_of(ctx, node),
        None => Vec::new(),
    };
    checks.append(&mut ctx.column_checks);
    // An anomaly of another check's failures is judged after it: name one declared before.
    for (i, c) in checks.iter().enumerate() {
        if let CheckKind::Anomaly { metric: AnomalyMetric::Failures { check }, .. } = &c.kind {
            let column_rule = schema.as_ref().is_some_and(|s| {
                s.columns
                    .iter()
                    .any(|col| col.rules.iter().any(|r| format!("{}.{}", col.name, r.kind.name()) == *check))
            });
            if !column_rule && !checks[..i].iter().any(|d| d.id() == *check) {
                ctx.error(
                    c.pos,
                    format!("`{check}` is not a column rule or a check declared before this anomaly"),
                    "name a check id of this contract (e.g. `amount.range`), declared above",
                );
            }
        }
    }
    Some(Contract {
        name: name?,
        version,
        owner,
        description,
        file: file.to_path_buf(),
        dataset: dataset?,
        schema,
        checks,
        warnings: Vec::new(),
    })
}

/// The band parameters of `row_count_anomaly` and `anomaly`: `method` (median with `tolerance`,
/// zscore or mad with `threshold`), `window`, `min_history`.
fn anomaly_params(ctx: &mut Ctx, b: &Fields) -> Option<(AnomalyMethod, usize, usize)> {
    let number = |ctx: &mut Ctx, key: &str| -> Option<f64> {
        let n = b.get(key)?;
        match n.as_f64() {
            Some(v) if v >= 0.0 && v.is_finite() => Some(v),
            _ => {
                ctx.error(n.pos, format!("`{key}` must be a number ≥ 0"), "");
                None
            }
        }
    };
    let tolerance = number(ctx, "tolerance");
    let threshold = number(ctx, "threshold");
    #[derive(Clone, Copy, PartialEq)]
    enum Method {
        Median,
        ZScore,
        Mad,
    }
    let words = [("median", Method::Median), ("zscore", Method::ZScore), ("mad", Method::Mad)];
    let method = match b.get("method") {
        Some(n) => one_of(ctx, n, "anomaly method", &words)?,
        None => Method::Median,
    };
    let method_name = words.iter().find(|(_, m)| *m == method).map_or("median", |(word, _)| *word);
    let method = match method {
        Method::Median => {
            if let Some(p) = b.key_pos("threshold") {
                ctx.error(
                    p,
                    "`threshold` applies to methods zscore and mad",
                    "use `tolerance` (a fraction) with method median",
                );
            }
            AnomalyMethod::Median { tolerance: tolerance.unwrap_or(0.3) }
        }
        Method::ZScore | Method::Mad => {
            if let Some(p) = b.key_pos("tolerance") {
                ctx.error(
                    p,
                    format!("`tolerance` applies to method median, not {method_name}"),
                    "use `threshold` (standard deviations)",
                );
            }
            let threshold = threshold.unwrap_or(3.0);
            if method == Method::ZScore {
                AnomalyMethod::ZScore { threshold }
            } else {
                AnomalyMethod::Mad { threshold }
            }
        }
    };
    let positive = |ctx: &mut Ctx, key: &str, default: usize| -> usize {
        match b.get(key).map(|n| (n, count_of(ctx, n, &format!("`{key}`")))) {
            Some((n, Some(0))) => {
                ctx.error(n.pos, format!("`{key}` must be at least 1"), "");
                default
            }
            Some((_, Some(v))) => v as usize,
            _ => default,
        }
    };
    let window = positive(ctx, "window", 7);
    let min_history = positive(ctx, "min_history", 3);
    Some((method, window, min_history))
}

/// An `anomaly` body (`metric` and its band; `column` at dataset level, `check` for
/// `failures`). Sets the check's name to its id when none is given: `<column>.anomaly.<metric>`,
/// else `anomaly.<metric>` (`anomaly.failures.<check>`).
fn anomaly_of(
    ctx: &mut Ctx,
    b: &Fields,
    pos: Pos,
    column_of_rule: Option<&str>,
    name: &mut Option<String>,
) -> Option<CheckKind> {
    let metric_name = required_text(ctx, b, "metric", "`anomaly`")?;
    let column =
        column_of_rule.map(str::to_string).or_else(|| b.get("column").and_then(|n| text_of(ctx, n, "`column`")));
    let metric = match metric_name.as_str() {
        "row_count" => AnomalyMetric::RowCount,
        "null_rate" => AnomalyMetric::NullRate,
        "distinct_count" => AnomalyMetric::DistinctCount,
        "mean" => AnomalyMetric::Mean,
        "min" => AnomalyMetric::Min,
        "max" => AnomalyMetric::Max,
        "sum" => AnomalyMetric::Sum,
        "failures" => {
            let check = required_text(ctx, b, "check", "`anomaly` of `failures`")?;
            AnomalyMetric::Failures { check }
        }
        other => {
            ctx.error(
                b.get("metric")?.pos,
                format!("unknown anomaly metric `{other}`"),
                suggestion(other, AnomalyMetric::NAMES),
            );
            return None;
        }
    };
    match (metric.of_a_column(), &column) {
        (true, None) => {
            ctx.error(
                pos,
                format!("metric `{metric_name}` describes a column"),
                "add `column: NAME`, or write the anomaly under the column",
            );
            return None;
        }
        (false, Some(_)) if column_of_rule.is_some() => {
            ctx.error(
                b.get("metric")?.pos,
                format!("metric `{metric_name}` is not a column's"),
                "write it in `checks:` at dataset level",
            );
            return None;
        }
        (false, Some(_)) => {
            ctx.error(b.key_pos("column")?, format!("metric `{metric_name}` takes no `column`"), "remove `column`");
            return None;
        }
        _ => {}
    }
    let direction = match b.get("direction") {
        None => Direction::Both,
        Some(n) => {
            let words = [("up", Direction::Up), ("down", Direction::Down), ("both", Direction::Both)];
            one_of(ctx, n, "direction", &words)?
        }
    };
    let (method, window, min_history) = anomaly_params(ctx, b)?;
    if name.is_none() {
        let subject = match &metric {
            AnomalyMetric::Failures { check } => format!("failures.{check}"),
            other => other.name().to_string(),
        };
        *name = Some(match &column {
            Some(c) => format!("{c}.anomaly.{subject}"),
            None => format!("anomaly.{subject}"),
        });
    }
    Some(CheckKind::Anomaly { column, metric, method, window, min_history, direction })
}

fn csv_of(ctx: &mut Ctx, node: &Node) -> Option<CsvOptions> {
    let f = fields(ctx, node, "`csv`", CSV_KEYS)?;
    let mut csv = CsvOptions::default();
    if let Some(n) = f.get("delimiter") {
        match n.as_text().map(|s| s.as_bytes()) {
            Some([b]) => csv.delimiter = *b,
            _ => ctx.error(
                n.pos,
                "`delimiter` must be a single ASCII character",
                "write e.g. `delimiter: \";\"` or `delimiter: \"\\t\"`",
            ),
        }
    }
    if let Some(n) = f.get("quote") {
        match n.as_text().map(|s| s.as_bytes()) {
            Some([b]) => csv.quote = Some(*b),
            None if n.is_null() => csv.quote = None,
            _ => ctx.error(n.pos, "`quote` must be a single ASCII character or null", "write `quote: \"'\"`"),
        }
    }
    if let Some(n) = f.get("header") {
        if let Some(b) = bool_of(ctx, n, "`header`") {
            csv.header = b;
        }
    }
    if let Some(n) = f.get("null_values") {
        match n.as_seq() {
            Some(items) => {
                csv.null_values = items
                    .iter()
                    .filter_map(|i| match i.scalar() {
                        Some(Scalar::Null) => Some(String::new()),
                        Some(_) => i.raw().map(str::to_string),
                        None => {
                            ctx.error(i.pos, "`null_values` holds only strings", "");
                            None
                        }
                    })
                    .collect()
            }
            None => ctx.error(n.pos, "`null_values` must be a list", "write `null_values: [\"\", \"NULL\"]`"),
        }
    }
    Some(csv)
}

fn dataset_of(ctx: &mut Ctx, node: &Node) -> Option<DatasetSpec> {
    let f = fields(ctx, node, "`dataset`", DATASET_KEYS)?;
    if let Some(table) = f.get("table") {
        return table_dataset(ctx, &f, table);
    }
    let path = required_text(ctx, &f, "path", "`dataset`");
    let format = f.get("format").and_then(|n| format_of(ctx, n));
    let partition_key = f.get("partitioning").and_then(|n| partitioning_of(ctx, n));
    let csv = f.get("csv").and_then(|n| csv_of(ctx, n)).unwrap_or_default();
    let storage_options = f.get("storage_options").map(|n| storage_options_of(ctx, n)).unwrap_or_default();
    let pos = f.get("path").map(|n| n.pos).unwrap_or(f.pos);
    Some(DatasetSpec {
        servers: Vec::new(),
        path: path?,
        table: None,
        format,
        partition_key,
        csv,
        storage_options,
        pos,
    })
}

/// `partitioning: {style: hive, key: dt}`: the key.
fn partitioning_of(ctx: &mut Ctx, n: &Node) -> Option<String> {
    let p = fields(ctx, n, "`partitioning`", PARTITIONING_KEYS)?;
    if let Some(style) = p.get("style") {
        if style.as_text() != Some("hive") {
            ctx.error(
                style.pos,
                format!("unknown partitioning style `{}`", style.as_text().unwrap_or("")),
                "write `style: hive` (folders named key=value)",
            );
        }
    }
    required_text(ctx, &p, "key", "`partitioning`")
}

/// `dataset: {table: catalog.schema.table}`: one to three names, each of letters, digits and
/// `_`, joined by dots; the table is read through Spark's catalog, so nothing about files
/// applies, but it may be partitioned by one of its columns.
fn table_dataset(ctx: &mut Ctx, f: &Fields, node: &Node) -> Option<DatasetSpec> {
    let name = text_of(ctx, node, "`table` of `dataset`")?;
    let parts: Vec<&str> = name.split('.').collect();
    let plain = |p: &&str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if parts.len() > 3 || !parts.iter().all(plain) {
        ctx.error(
            node.pos,
            format!("`{name}` is not a table name"),
            "write `table: catalog.schema.table` (or `schema.table`, `table`): names of letters, digits and _",
        );
        return None;
    }
    for key in ["path", "format", "csv", "storage_options"] {
        if let Some(other) = f.get(key) {
            ctx.error(
                other.pos,
                format!("`{key}` does not apply to a catalog `table`"),
                "a table is read through Spark's catalog; remove the key (or name files with `path`)",
            );
        }
    }
    let partition_key = f.get("partitioning").and_then(|n| partitioning_of(ctx, n));
    Some(DatasetSpec {
        servers: Vec::new(),
        path: String::new(),
        table: Some(name),
        format: None,
        partition_key,
        csv: Default::default(),
        storage_options: Default::default(),
        pos: node.pos,
    })
}

/// `storage_options`: non-secret object-store settings (endpoint, region, path_style, …), each a
/// scalar; a secret key is refused with where to put it instead.
fn storage_options_of(ctx: &mut Ctx, node: &Node) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let Some(entries) = node.as_map() else {
        ctx.error(
            node.pos,
            format!("`storage_options` must be a mapping, found {}", node.type_name()),
            "write `storage_options: {endpoint: http://127.0.0.1:9000, region: us-east-1}`",
        );
        return out;
    };
    for (key, value) in entries {
        let Some(name) = key.as_text() else {
            ctx.error(key.pos, "`storage_options` has a key that is not a name", "keys must be plain words");
            continue;
        };
        let name = name.to_ascii_lowercase();
        if SECRET_STORAGE_KEYS.contains(&name.as_str()) {
            ctx.error(
                key.pos,
                format!("`storage_options.{name}` is a secret, and a contract is shared and versioned"),
                "set it in the environment (AWS_SECRET_ACCESS_KEY, AZURE_STORAGE_ACCOUNT_KEY, GOOGLE_APPLICATION_CREDENTIALS, …) or a credentials file (~/.aws/credentials)",
            );
            continue;
        }
        match value.as_text() {
            Some(text) => {
                out.insert(name, text.to_string());
            }
            None => ctx.error(
                value.pos,
                format!("`storage_options.{name}` must be a single value, found {}", value.type_name()),
                "write `key: value`",
            ),
        }
    }
    out
}

fn schema_of(ctx: &mut Ctx, node: &Node) -> Option<SchemaSpec> {
    let f = fields(ctx, node, "`schema`", SCHEMA_KEYS)?;
    let strict = f.get("strict").and_then(|n| bool_of(ctx, n, "`strict`")).unwrap_or(false);
    let mut columns: Vec<ColumnSpec> = Vec::new();
    match f.get("columns") {
        None => {}
        Some(n) if n.is_null() => {}
        Some(n) => match n.as_seq() {
            None => ctx.error(
                n.pos,
                "`columns` must be a list of columns",
                "write `columns:` followed by `- name: ...` items",
            ),
            Some(items) => {
                for item in items {
                    if let Some(column) = column_of(ctx, item) {
                        if columns.iter().any(|c| c.name == column.name) {
                            ctx.error(
                                column.pos,
                                format!("column `{}` is declared twice", column.name),
                                "merge its rules into one entry",
                            );
                        } else {
                            columns.push(column);
                        }
                    }
                }
            }
        },
    }
    Some(SchemaSpec { strict, columns, pos: f.pos })
}

/// A rule's options: a bare value, or a mapping holding the value under `value_key` plus limits.
struct RuleForm<'n> {
    value: Option<&'n Node>,
    extra: Option<Fields<'n>>,
    limits: Limits,
    severity: Option<Severity>,
}

fn rule_form<'n>(
    ctx: &mut Ctx,
    node: &'n Node,
    rule: &str,
    keys: &[&str],
    value_key: Option<&str>,
    with_limits: bool,
) -> Option<RuleForm<'n>> {
    if node.as_map().is_none() {
        return Some(RuleForm { value: Some(node), extra: None, limits: Limits::default(), severity: None });
    }
    let mut allowed: Vec<&str> = keys.to_vec();
    if with_limits {
        allowed.extend_from_slice(LIMIT_KEYS);
    } else {
        allowed.push("severity");
    }
    let f = fields(ctx, node, &format!("`{rule}`"), &allowed)?;
    let value = match value_key {
        Some(k) => match f.get(k) {
            Some(v) => Some(v),
            None => {
                ctx.error(
                    node.pos,
                    format!("the long form of `{rule}` needs `{k}`"),
                    format!("write `{rule}: {{{k}: ...}}`"),
                );
                return None;
            }
        },
        None => None,
    };
    let limits = limits_of(ctx, &f);
    let severity = f.get("severity").and_then(|n| severity_of(ctx, n));
    Some(RuleForm { value, extra: Some(f), limits, severity })
}

fn column_of(ctx: &mut Ctx, node: &Node) -> Option<ColumnSpec> {
    let f = fields(ctx, node, "a column", &ColumnKey::words())?;
    let name = required_text(ctx, &f, "name", "a column")?;
    let column_severity = f.get("severity").and_then(|n| severity_of(ctx, n)).unwrap_or_default();
    let mut declared_type = None;
    let mut rules = Vec::new();
    let mut sensitive = false;
    for (key, key_node, value) in &f.entries {
        let pos = key_node.pos;
        // `fields` reported every key that is not a column key.
        let Some(column_key) = ColumnKey::from_word(key) else { continue };
        let rule = match column_key {
            ColumnKey::Rule(rule) => rule,
            ColumnKey::Attribute(ColumnAttribute::Name | ColumnAttribute::Description | ColumnAttribute::Severity) => {
                continue
            }
            ColumnKey::Attribute(ColumnAttribute::Sensitive) => {
                sensitive |= bool_of(ctx, value, "`sensitive`").unwrap_or(false);
                continue;
            }
            ColumnKey::Attribute(ColumnAttribute::Classification) => {
                sensitive |= text_of(ctx, value, "`classification`").is_some_and(|c| is_sensitive_class(&c));
                continue;
            }
            ColumnKey::Attribute(ColumnAttribute::Anomaly) => {
                // One map, or a list of maps for several metrics.
                let items: Vec<&Node> = match value.as_seq() {
                    Some(items) => items.iter().collect(),
                    None => vec![value],
                };
                let keys = CheckName::column_anomaly_keys();
                for item in items {
                    let Some(f) = fields(ctx, item, "`anomaly`", &keys) else { continue };
                    let mut check_name = f.get("name").and_then(|n| text_of(ctx, n, "`name`"));
                    let severity = f.get("severity").and_then(|n| severity_of(ctx, n)).unwrap_or(column_severity);
                    if let Some(kind) = anomaly_of(ctx, &f, item.pos, Some(&name), &mut check_name) {
                        ctx.column_checks.push(DatasetCheck {
                            name: check_name,
                            kind,
                            severity,
                            limits: Limits::default(),
                            pos: key_node.pos,
                        });
                    }
                }
                continue;
            }
        };
        let registration = rule.registration();
        let form = rule_form(ctx, value, key, registration.keys, rule.value_key(), rule.takes_limits());
        let form: Option<(RuleKind, Limits, Option<Severity>)> = match rule {
            RuleName::Type => form.and_then(|form| {
                let text = form.value?.as_text().unwrap_or("");
                match (DeclaredType::parse(text), NestedType::parse(text)) {
                    (Some(t), _) => {
                        declared_type = Some(t);
                        Some((RuleKind::Type(t), form.limits, form.severity))
                    }
                    (None, Some(nested)) => Some((RuleKind::NestedType(nested), form.limits, form.severity)),
                    (None, None) => {
                        ctx.error(form.value?.pos, format!("unknown type `{text}`"), unknown_type_help(text));
                        None
                    }
                }
            }),
            RuleName::Required | RuleName::Unique => form.and_then(|form| {
                if let Some(v) = form.value {
                    if !bool_of(ctx, v, &format!("`{key}`"))? {
                        return None;
                    }
                }
                let kind = if rule == RuleName::Required {
                    RuleKind::Required
                } else {
                    let scope = form.extra.as_ref().and_then(|f| f.get("scope")).and_then(|n| scope_of(ctx, n));
                    RuleKind::Unique { scope }
                };
                Some((kind, form.limits, form.severity))
            }),
            RuleName::NullRate => form.and_then(|form| {
                let max = rate_of(ctx, form.value?, "`null_rate` max")?;
                Some((RuleKind::NullRate { max }, Limits::default(), form.severity))
            }),
            RuleName::Range | RuleName::Length => {
                if value.as_map().is_none() {
                    ctx.error(
                        value.pos,
                        format!("`{key}` needs bounds"),
                        format!("write `{key}: {{min: ..., max: ...}}`"),
                    );
                    continue;
                }
                form.and_then(|form| {
                    let f = form.extra.as_ref()?;
                    let (min, max) = (f.get("min").filter(|n| !n.is_null()), f.get("max").filter(|n| !n.is_null()));
                    if min.is_none() && max.is_none() {
                        ctx.error(
                            value.pos,
                            format!("`{key}` has no bound"),
                            format!("give `min`, `max` or both: `{key}: {{min: 0}}`"),
                        );
                        return None;
                    }
                    if rule == RuleName::Length {
                        let min_n = min.map(|n| count_of(ctx, n, "`length` min"));
                        let max_n = max.map(|n| count_of(ctx, n, "`length` max"));
                        if let (Some(Some(a)), Some(Some(b))) = (min_n, max_n) {
                            if a > b {
                                ctx.error(
                                    value.pos,
                                    format!("`length` min {a} is greater than max {b}"),
                                    "swap the bounds",
                                );
                                return None;
                            }
                        }
                        return Some((
                            RuleKind::Length { min: min_n.flatten(), max: max_n.flatten() },
                            form.limits,
                            form.severity,
                        ));
                    }
                    let (lo, hi) = (min.and_then(literal), max.and_then(literal));
                    for (n, l) in [(min, &lo), (max, &hi)] {
                        if let (Some(n), None) = (n, l) {
                            ctx.error(n.pos, "a `range` bound must be a number or an ISO date/time string", "");
                        }
                    }
                    if let (Some(a), Some(b)) = (&lo, &hi) {
                        if compare_literals(a, b) == Some(std::cmp::Ordering::Greater) {
                            ctx.error(
                                value.pos,
                                format!("`range` min {} is greater than max {}", a.raw, b.raw),
                                "swap the bounds",
                            );
                            return None;
                        }
                    }
                    let flag = |ctx: &mut Ctx, key: &str| {
                        f.get(key).and_then(|n| bool_of(ctx, n, &format!("`{key}`"))).unwrap_or(false)
                    };
                    let (exclusive_min, exclusive_max) = (flag(ctx, "exclusive_min"), flag(ctx, "exclusive_max"));
                    Some((
                        RuleKind::Range { min: lo, max: hi, exclusive_min, exclusive_max },
                        form.limits,
                        form.severity,
                    ))
                })
            }
            RuleName::AcceptedValues => form.and_then(|form| {
                let list = form.value?;
                let Some(items) = list.as_seq() else {
                    ctx.error(list.pos, "`accepted_values` must be a list", "write `accepted_values: [a, b, c]`");
                    return None;
                };
                if items.is_empty() {
                    ctx.error(
                        list.pos,
                        "`accepted_values` is empty: every value would fail",
                        "list at least one value, or remove the rule",
                    );
                    return None;
                }
                let mut values = Vec::new();
                for item in items {
                    match literal(item) {
                        Some(l) => values.push(l),
                        None => ctx.error(
                            item.pos,
                            format!("`accepted_values` holds only plain values, found {}", item.type_name()),
                            "nulls are checked by `required` and `null_rate`",
                        ),
                    }
                }
                Some((RuleKind::AcceptedValues(values), form.limits, form.severity))
            }),
            RuleName::Pattern => form.and_then(|form| {
                let regex = regex_of(ctx, form.value?, "`pattern`")?;
                Some((RuleKind::Pattern { regex, full: true }, form.limits, form.severity))
            }),
        };
        if let Some((kind, limits, severity)) = form {
            rules.push(ColumnRule { kind, limits, severity: severity.unwrap_or(column_severity), pos });
        }
    }
    Some(ColumnSpec { name, declared_type, rules, sensitive, pos: node.pos })
}

fn checks_of(ctx: &mut Ctx, node: &Node) -> Vec<DatasetCheck> {
    let Some(items) = node.as_seq() else {
        ctx.error(node.pos, "`checks` must be a list", "write `checks:` followed by `- row_count: {min: 1}` items");
        return Vec::new();
    };
    let mut checks: Vec<DatasetCheck> = Vec::new();
    for item in items {
        // `reconcile` declares one check per comparison.
        let declared = match item.as_map().is_some_and(|m| m.iter().any(|(k, _)| k.as_text() == Some("reconcile"))) {
            true => reconcile_of(ctx, item),
            false => check_of(ctx, item).into_iter().collect(),
        };
        for check in declared {
            let id = check.id();
            if checks.iter().any(|c| c.id() == id) {
                let help = if check.name.is_none() {
                    format!("give each `{id}` check its own `name:`")
                } else {
                    "choose another name".to_string()
                };
                ctx.error(check.pos, format!("two checks have the id `{id}`"), help);
                continue;
            }
            checks.push(check);
        }
    }
    checks
}

/// `min`/`max`/`equals`/`between` of a native `sql` check, as a condition on its number.
fn sql_bounds(ctx: &mut Ctx, b: &Fields, pos: Pos) -> Option<Condition> {
    let number = |ctx: &mut Ctx, key: &str| -> Option<f64> {
        let n = b.get(key)?;
        let v = n.as_f64();
        if v.is_none() {
            ctx.error(n.pos, format!("`{key}` must be a number"), format!("write `{key}: 0`"));
        }
        v
    };
    let (min, max, equals) = (number(ctx, "min"), number(ctx, "max"), number(ctx, "equals"));
    let between = match b.get("between") {
        None => None,
        Some(n) => match n.as_seq() {
            Some([a, c]) if a.as_f64().is_some() && c.as_f64().is_some() => Some((a.as_f64()?, c.as_f64()?)),
            _ => {
                ctx.error(n.pos, "`between` takes two numbers", "write `between: [0, 10]`");
                return None;
            }
        },
    };
    match (min, max, equals, between) {
        (None, None, Some(x), None) => Some(Condition::Equal(x)),
        (None, None, None, Some((a, c))) => Some(Condition::Between(a, c)),
        (Some(a), Some(c), None, None) => Some(Condition::Between(a, c)),
        (Some(a), None, None, None) => Some(Condition::GreaterOrEqual(a)),
        (None, Some(c), None, None) => Some(Condition::LessOrEqual(c)),
        (None, None, None, None) => {
            ctx.error(
                pos,
                "`sql` needs a bound on its number",
                "add `max: 0`, `min: 1`, `equals: 0` or `between: [0, 10]`",
            );
            None
        }
        _ => {
            ctx.error(
                pos,
                "`sql` takes `min` and/or `max`, or `equals`, or `between`",
                "keep one way of bounding the number",
            );
            None
        }
    }
}

/// The name the checked data has in a native contract's SQL: the contract's name.
fn ctx_contract_name(ctx: &Ctx) -> String {
    ctx.contract_name.clone().unwrap_or_else(|| "data".into())
}

/// A `where_not` condition: one SQL expression. Returns the columns it names.
fn check_sql_expression(ctx: &mut Ctx, condition: &str, pos: Pos) -> Option<Vec<String>> {
    use sqlparser::ast::{Expr, Visit, Visitor};
    let dialect = sqlparser::dialect::GenericDialect {};
    let parsed = sqlparser::parser::Parser::new(&dialect).try_with_sql(condition).and_then(|mut p| {
        let expr = p.parse_expr()?;
        match p.peek_token().token {
            sqlparser::tokenizer::Token::EOF => Ok(expr),
            other => {
                Err(sqlparser::parser::ParserError::ParserError(format!("unexpected `{other}` after the expression")))
            }
        }
    });
    let expr = match parsed {
        Ok(expr) => expr,
        Err(e) => {
            ctx.error(
                pos,
                format!("the condition is not one SQL expression: {e}"),
                "write e.g. `condition: \"shipped_at >= ordered_at\"`",
            );
            return None;
        }
    };
    struct Columns(Vec<String>);
    impl Visitor for Columns {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> std::ops::ControlFlow<()> {
            let name = match expr {
                Expr::Identifier(ident) => Some(ident.value.clone()),
                Expr::CompoundIdentifier(parts) => parts.last().map(|p| p.value.clone()),
                _ => None,
            };
            if let Some(name) = name {
                if !self.0.contains(&name) {
                    self.0.push(name);
                }
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut columns = Columns(Vec::new());
    let _ = expr.visit(&mut columns);
    Some(columns.0)
}

/// `reconcile: {with, key, row_count, missing_keys, extra_keys, duplicate_keys, columns}`: one
/// check per comparison, ids `<name>.<part>` (name: `reconcile` unless given).
fn reconcile_of(ctx: &mut Ctx, item: &Node) -> Vec<DatasetCheck> {
    let Some(f) = fields(ctx, item, "a check", &check_keys()) else { return Vec::new() };
    let is_other_kind = |k: &str| CheckName::from_word(k).is_some_and(|kind| kind != CheckName::Reconcile);
    if let Some((other, key, _)) = f.entries.iter().find(|(k, _, _)| is_other_kind(k)) {
        ctx.error(
            key.pos,
            format!("a check has more than one kind (`reconcile` and `{other}`)"),
            "write each check as its own list item",
        );
        return Vec::new();
    }
    let Some(body_node) = f.get("reconcile") else { return Vec::new() };
    let pos = f.entries.iter().find(|(k, _, _)| *k == "reconcile").map(|(_, k, _)| k.pos).unwrap_or(item.pos);
    let group = f.get("name").and_then(|n| text_of(ctx, n, "`name`")).unwrap_or_else(|| "reconcile".into());
    let severity = f.get("severity").and_then(|n| severity_of(ctx, n)).unwrap_or_default();
    let Some(b) = fields(ctx, body_node, "`reconcile`", RECONCILE_KEYS) else { return Vec::new() };
    let with = match b.get("with") {
        None => {
            ctx.error(
                b.pos,
                "`reconcile` needs `with` (the dataset to compare with)",
                "add `with: {path: ../legacy/orders}`",
            );
            None
        }
        Some(node) => reconcile_with_of(ctx, node),
    };
    let key: Vec<String> = match b.get("key") {
        None => Vec::new(),
        Some(node) => match (node.as_seq(), node.as_text()) {
            (Some(items), _) => items.iter().filter_map(|n| text_of(ctx, n, "a `key` column")).collect(),
            (None, Some(one)) => vec![one.to_string()],
            (None, None) => {
                ctx.error(node.pos, "`key` must be a column or a list of columns", "write `key: [order_id]`");
                Vec::new()
            }
        },
    };
    let mut parts: Vec<(ReconcilePart, Limits, Pos)> = Vec::new();
    // Row counts are always compared: equal unless a difference is allowed.
    let row_count = match b.get("row_count") {
        None => ReconcilePart::RowCount { max_difference: None, max_difference_rate: None },
        Some(node) => {
            let r = fields(ctx, node, "`row_count` of `reconcile`", &["max_difference", "max_difference_rate"]);
            ReconcilePart::RowCount {
                max_difference: r
                    .as_ref()
                    .and_then(|r| r.get("max_difference"))
                    .and_then(|n| count_of(ctx, n, "`max_difference`")),
                max_difference_rate: r
                    .as_ref()
                    .and_then(|r| r.get("max_difference_rate"))
                    .and_then(|n| rate_of(ctx, n, "`max_difference_rate`")),
            }
        }
    };
    parts.push((row_count, Limits::default(), b.get("row_count").map(|n| n.pos).unwrap_or(pos)));
    let with_key = ["missing_keys", "extra_keys", "duplicate_keys", "columns"];
    if key.is_empty() {
        for name in with_key {
            if let Some(node) = b.get(name) {
                ctx.error(
                    node.pos,
                    format!("`{name}` compares rows by key, and `reconcile` has no `key`"),
                    "add `key: [COLUMN, ...]`",
                );
            }
        }
    } else {
        for (name, part) in [
            ("missing_keys", ReconcilePart::MissingKeys),
            ("extra_keys", ReconcilePart::ExtraKeys),
            ("duplicate_keys", ReconcilePart::DuplicateKeys),
        ] {
            let limits = match b.get(name) {
                None => Limits::default(),
                Some(node) => fields(ctx, node, &format!("`{name}`"), &["max_failures", "max_failure_rate"])
                    .map(|l| limits_of(ctx, &l))
                    .unwrap_or_default(),
            };
            parts.push((part, limits, b.get(name).map(|n| n.pos).unwrap_or(pos)));
        }
        if let Some(columns) = b.get("columns") {
            match columns.as_map() {
                None => ctx.error(
                    columns.pos,
                    "`columns` must map column names to options",
                    "write `columns: {amount: {tolerance: 0.005}, status: {}}`",
                ),
                Some(entries) => {
                    for (name_node, options) in entries {
                        let Some(column) = name_node.as_text().map(str::to_string) else { continue };
                        let mut tolerance = Tolerance::Exact;
                        let mut limits = Limits::default();
                        if !options.is_null() {
                            if let Some(o) = fields(
                                ctx,
                                options,
                                &format!("`columns.{column}`"),
                                &["tolerance", "max_failures", "max_failure_rate"],
                            ) {
                                limits = limits_of(ctx, &o);
                                if let Some(t) = o.get("tolerance") {
                                    tolerance = tolerance_of(ctx, t);
                                }
                            }
                        }
                        parts.push((ReconcilePart::Values { column, tolerance }, limits, name_node.pos));
                    }
                }
            }
        }
    }
    let Some(with) = with else { return Vec::new() };
    parts
        .into_iter()
        .map(|(part, limits, pos)| DatasetCheck {
            name: Some(format!("{group}.{}", part.suffix())),
            kind: CheckKind::Reconcile { group: group.clone(), with: with.clone(), key: key.clone(), part },
            severity,
            limits,
            pos,
        })
        .collect()
}

/// `tolerance: 0.005` (absolute) or `tolerance: {relative: 0.001}`.
fn tolerance_of(ctx: &mut Ctx, node: &Node) -> Tolerance {
    if let Some(v) = node.as_f64() {
        if v >= 0.0 {
            return Tolerance::Absolute(v);
        }
    }
    if let Some(r) = node.as_map().and_then(|_| fields(ctx, node, "`tolerance`", &["relative", "absolute"])) {
        match (r.get("relative").and_then(Node::as_f64), r.get("absolute").and_then(Node::as_f64)) {
            (Some(v), None) if v >= 0.0 => return Tolerance::Relative(v),
            (None, Some(v)) if v >= 0.0 => return Tolerance::Absolute(v),
            _ => {}
        }
    }
    ctx.error(
        node.pos,
        "`tolerance` must be a number ≥ 0 or `{relative: NUMBER}`",
        "write `tolerance: 0.005` or `tolerance: {relative: 0.001}`",
    );
    Tolerance::Exact
}

/// `with: PATH`, `with: {path, format, partitioning, csv, storage_options}` or `with: {contract: FILE}`.
fn reconcile_with_of(ctx: &mut Ctx, node: &Node) -> Option<ReconcileWith> {
    let mut with = ReconcileWith {
        path: String::new(),
        contract: false,
        format: None,
        partition_key: None,
        csv: None,
        storage_options: Default::default(),
    };
    if let Some(text) = node.as_str() {
        with.path = text.to_string();
        return Some(with);
    }
    let w = fields(ctx, node, "`with`", RECONCILE_WITH_KEYS)?;
    match (w.get("path"), w.get("contract")) {
        (Some(p), None) => with.path = text_of(ctx, p, "`with.path`")?,
        (None, Some(c)) => {
            with.path = text_of(ctx, c, "`with.contract`")?;
            with.contract = true;
            if let Some((name, key, _)) = w.entries.iter().find(|(k, _, _)| *k != "contract") {
                ctx.error(
                    key.pos,
                    format!("`with.{name}` comes from the other contract"),
                    "keep `contract:` alone, or write `path:` instead",
                );
            }
        }
        _ => {
            ctx.error(
                w.pos,
                "`with` needs exactly one of `path` and `contract`",
                "write `with: {path: ../legacy/orders}`",
            );
            return None;
        }
    }
    with.format = w.get("format").and_then(|n| format_of(ctx, n));
    with.csv = w.get("csv").and_then(|n| csv_of(ctx, n));
    with.storage_options = w.get("storage_options").map(|n| storage_options_of(ctx, n)).unwrap_or_default();
    with.partition_key = w.get("partitioning").and_then(|n| {
        let p = fields(ctx, n, "`partitioning`", PARTITIONING_KEYS)?;
        required_text(ctx, &p, "key", "`partitioning`")
    });
    Some(with)
}

fn check_of(ctx: &mut Ctx, item: &Node) -> Option<DatasetCheck> {
    let reported = ctx.diagnostics.len();
    let f = fields(ctx, item, "a check", &check_keys())?;
    let kinds: Vec<_> =
        f.entries.iter().filter_map(|(k, key, body)| CheckName::from_word(k).map(|kind| (kind, *key, *body))).collect();
    let (kind, kind_key, body) = match kinds.as_slice() {
        [one] => *one,
        // A misspelt kind was already reported with a suggestion.
        [] if ctx.diagnostics.len() > reported => return None,
        [] => {
            ctx.error(item.pos, "a check needs a kind", format!("expected one of: {}", CheckName::words().join(", ")));
            return None;
        }
        [_, second, ..] => {
            ctx.error(second.1.pos, "a check has more than one kind", "write each check as its own list item");
            return None;
        }
    };
    let kind_name = kind.word();
    let mut name = f.get("name").and_then(|n| text_of(ctx, n, "`name`"));
    let mut severity = f.get("severity").and_then(|n| severity_of(ctx, n));
    let mut limits = limits_of(ctx, &f);
    let kind_keys = kind.registration().keys;
    let mut allowed = kind_keys.to_vec();
    allowed.push("severity");
    let body_fields = if body.is_null() && kind == CheckName::MissingPartitions {
        Fields { pos: body.pos, entries: Vec::new() }
    } else {
        fields(ctx, body, &format!("`{kind_name}`"), &allowed)?
    };
    let b = &body_fields;
    if let Some(s) = b.get("severity").and_then(|n| severity_of(ctx, n)) {
        severity = Some(s);
    }
    let inner = limits_of(ctx, b);
    limits.max_failures = inner.max_failures.or(limits.max_failures);
    limits.max_failure_rate = inner.max_failure_rate.or(limits.max_failure_rate);
    let kind = match kind {
        CheckName::RowCount => {
            let min = b.get("min").map(|n| count_of(ctx, n, "`row_count` min"));
            let max = b.get("max").map(|n| count_of(ctx, n, "`row_count` max"));
            if min.is_none() && max.is_none() {
                ctx.error(body.pos, "`row_count` has no bound", "write `row_count: {min: 1}`");
                return None;
            }
            let (min, max) = (min.flatten(), max.flatten());
            if let (Some(a), Some(b)) = (min, max) {
                if a > b {
                    ctx.error(body.pos, format!("`row_count` min {a} is greater than max {b}"), "swap the bounds");
                    return None;
                }
            }
            CheckKind::RowCount { min, max }
        }
        CheckName::Freshness => {
            let column = required_text(ctx, b, "column", "`freshness`");
            let age_text = required_text(ctx, b, "max_age", "`freshness`")?;
            let seconds = parse_duration(&age_text);
            if seconds.is_none() {
                ctx.error(
                    b.get("max_age")?.pos,
                    format!("cannot read the duration `{age_text}`"),
                    "write a number with a unit: `90m`, `36h`, `7d`",
                );
            }
            CheckKind::Freshness { column: column?, max_age_seconds: seconds?, max_age_text: age_text }
        }
        CheckName::RowCountAnomaly => {
            let (method, window, min_history) = anomaly_params(ctx, b)?;
            CheckKind::RowCountAnomaly { method, window, min_history }
        }
        CheckName::Anomaly => anomaly_of(ctx, b, body.pos, None, &mut name)?,
        CheckName::Unique => {
            let columns: Vec<String> = match b.get("columns").and_then(|n| n.as_seq()) {
                Some(items) if !items.is_empty() => {
                    items.iter().filter_map(|i| text_of(ctx, i, "a key column")).collect()
                }
                _ => {
                    ctx.error(
                        body.pos,
                        "`unique` needs a non-empty list of `columns`",
                        "write `unique: {columns: [order_id, line_no]}`",
                    );
                    return None;
                }
            };
            let scope = b.get("scope").and_then(|n| scope_of(ctx, n));
            CheckKind::Unique { columns, scope }
        }
        CheckName::References => {
            let column = required_text(ctx, b, "column", "`references`");
            let dataset = required_text(ctx, b, "dataset", "`references`");
            let key = required_text(ctx, b, "key", "`references`");
            let format = b.get("format").and_then(|n| format_of(ctx, n));
            let csv = b.get("csv").and_then(|n| csv_of(ctx, n));
            CheckKind::References { column: column?, dataset: dataset?, key: key?, format, csv }
        }
        CheckName::Sql => {
            if let Some(n) = b.get("name") {
                name = text_of(ctx, n, "`name`");
            }
            let query_node = b.get("query");
            let query = required_text(ctx, b, "query", "`sql`")?;
            let condition = sql_bounds(ctx, b, body.pos)?;
            let table = ctx_contract_name(ctx);
            let query = resolve_placeholders(&query, &table, None);
            check_read_only(ctx, &query, query_node.map(|n| n.pos).unwrap_or(body.pos))?;
            CheckKind::Sql { query, condition, tables: vec![table], column: None }
        }
        CheckName::WhereNot => {
            if let Some(n) = b.get("name") {
                name = text_of(ctx, n, "`name`");
            }
            let node = b.get("condition");
            let condition = required_text(ctx, b, "condition", "`where_not`")?;
            let columns = check_sql_expression(ctx, &condition, node.map(|n| n.pos).unwrap_or(body.pos))?;
            let show = match b.get("show") {
                None => columns,
                Some(n) => match n.as_seq() {
                    Some(items) => items.iter().filter_map(|i| text_of(ctx, i, "a `show` column")).collect(),
                    None => vec![text_of(ctx, n, "`show`")?],
                },
            };
            CheckKind::WhereNot { condition, show }
        }
        // `checks_of` hands a `reconcile` item to `reconcile_of`.
        CheckName::Reconcile => return None,
        CheckName::MissingPartitions => {
            let interval_days = match b.get("interval") {
                None => 1,
                Some(n) => {
                    let text = n.as_text().unwrap_or("");
                    match parse_duration(text) {
                        Some(s) if s >= 86400.0 && s % 86400.0 == 0.0 => (s / 86400.0) as i64,
                        _ => {
                            ctx.error(
                                n.pos,
                                format!("`interval` `{text}` is not a whole number of days"),
                                "write `interval: 1d` (date-keyed partitions)",
                            );
                            1
                        }
                    }
                }
            };
            let lookback = b.get("lookback").and_then(|n| count_of(ctx, n, "`lookback`")).unwrap_or(30) as i64;
            CheckKind::MissingPartitions { interval_days, lookback }
        }
    };
    Some(DatasetCheck { name, kind, severity: severity.unwrap_or_default(), limits, pos: kind_key.pos })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        match parse_contract(text, Path::new("c.yaml")) {
            Ok(_) => vec![],
            Err(e) => e
                .diagnostics
                .iter()
                .map(|d| {
                    format!("{}:{} {} | {}", d.pos.line, d.pos.column, d.message, d.help.clone().unwrap_or_default())
                })
                .collect(),
        }
    }

    const HEAD: &str = "contract: t\ndataset: {path: x.parquet}\n";

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90m"), Some(5400.0));
        assert_eq!(parse_duration("36h"), Some(129600.0));
        assert_eq!(parse_duration("1h30m"), Some(5400.0));
        assert_eq!(parse_duration("7"), None);
        assert_eq!(parse_duration("7x"), None);
    }

    #[test]
    fn misspelt_rule_is_located_and_suggested() {
        let e = errors(&format!("{HEAD}schema:\n  columns:\n    - name: a\n      requird: true\n"));
        assert_eq!(e, vec!["6:7 unknown key `requird` in a column | did you mean `required`?"]);
    }

    #[test]
    fn every_problem_is_reported() {
        let text = format!(
            "{HEAD}schema:\n  columns:\n    - name: a\n      type: int46\n      accepted_values: []\n      range: {{}}\n      null_rate: {{max: 1.5}}\n      pattern: \"(\"\n      length: {{min: 5, max: 2}}\nchecks:\n  - row_count: {{}}\n"
        );
        let e = errors(&text);
        assert_eq!(e.len(), 7, "{e:#?}");
        assert!(e[0].starts_with("6:13 unknown type `int46`"), "{}", e[0]);
        assert!(e[0].contains("did you mean `int64`"));
        assert!(e[1].contains("empty"));
        assert!(e[2].contains("no bound"));
        assert!(e[3].contains("outside 0..1"));
        assert!(e[4].contains("invalid pattern"));
        assert!(e[5].contains("greater than max"));
        assert!(e[6].contains("`row_count` has no bound"));
    }

    #[test]
    fn range_min_above_max() {
        let e = errors(&format!("{HEAD}schema:\n  columns:\n    - name: a\n      range: {{min: 5, max: 1}}\n"));
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("greater than max"));
    }

    #[test]
    fn duplicate_check_kinds_need_names() {
        let e = errors(&format!("{HEAD}checks:\n  - row_count: {{min: 1}}\n  - row_count: {{max: 5}}\n"));
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("two checks have the id `row_count`"));
        let ok =
            errors(&format!("{HEAD}checks:\n  - row_count: {{min: 1}}\n  - row_count: {{max: 5}}\n    name: upper\n"));
        assert!(ok.is_empty(), "{ok:?}");
    }

    #[test]
    fn long_and_bare_forms() {
        let text = format!(
            "{HEAD}schema:\n  columns:\n    - name: a\n      severity: warn\n      required: {{max_failures: 3}}\n      unique: {{max_failure_rate: 0.001, scope: partition}}\n      pattern: {{regex: \"^a\", severity: error}}\n      accepted_values: {{values: [a, b], max_failures: 2}}\n      null_rate: 0.1\n"
        );
        let c = parse_contract(&text, Path::new("c.yaml")).unwrap();
        let rules = &c.columns()[0].rules;
        assert_eq!(rules.len(), 5);
        assert_eq!(rules[0].limits.max_failures, Some(3));
        assert_eq!(rules[0].severity, Severity::Warn);
        assert_eq!(rules[1].kind, RuleKind::Unique { scope: Some(Scope::Partition) });
        assert_eq!(rules[2].kind, RuleKind::Pattern { regex: "^a".into(), full: true });
        assert_eq!(rules[2].severity, Severity::Error);
        assert_eq!(rules[4].kind, RuleKind::NullRate { max: 0.1 });
    }

    #[test]
    fn no_schema_is_valid_and_empty_columns_too() {
        assert!(errors(HEAD).is_empty());
        assert!(errors(&format!("{HEAD}schema:\n  columns: []\n")).is_empty());
    }

    #[test]
    fn yaml_errors_are_located() {
        let e = errors("contract: t\ndataset: [\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("invalid YAML"));
    }
}
