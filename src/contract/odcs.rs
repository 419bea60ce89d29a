//! Open Data Contract Standard (ODCS) v3.0.x / v3.1.0 files, mapped onto tollgate's model
//! (SPEC §5). ODCS has many descriptive keys; only the ones that define checks are read, the rest
//! are ignored rather than refused.

use std::path::Path;

use super::diagnostic::suggestion;
use super::read::{
    bool_of, check_read_only, count_of, format_of, literal, regex_of, resolve_placeholders, text_of, Ctx,
};
use super::types::{DeclaredType, NestedType};
use super::yaml::{Node, Pos, Scalar};
use super::*;

const VERSIONS: &[&str] = &["v3.0.0", "v3.0.1", "v3.0.2", "v3.1.0"];
const METRICS: &[&str] = &["nullValues", "missingValues", "invalidValues", "duplicateValues", "rowCount"];

fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    node.as_map()?.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v)
}

fn text(node: &Node, key: &str) -> Option<String> {
    get(node, key).and_then(|n| n.as_text()).map(str::to_string)
}

pub fn is_odcs(root: &Node) -> bool {
    get(root, "kind").and_then(Node::as_text) == Some("DataContract")
        && get(root, "apiVersion").and_then(Node::as_text).is_some_and(|v| v.starts_with("v3"))
}

fn sanitize(name: &str) -> String {
    let s: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' })
        .collect();
    let s = s.trim_matches('_').to_string();
    if s.is_empty() {
        "contract".into()
    } else {
        s
    }
}

/// The type of a property with its nesting: `array` by its `items`, `object` by its typed
/// `properties`; `None` when a part is untyped or unknown.
fn nested_type(property: &Node) -> Option<NestedType> {
    match text(property, "logicalType")?.as_str() {
        "array" => Some(NestedType::List(Box::new(nested_type(get(property, "items")?)?))),
        "object" => {
            let fields: Vec<(String, NestedType)> = get(property, "properties")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|p| Some((text(p, "name")?, nested_type(p)?)))
                .collect();
            (!fields.is_empty()).then_some(NestedType::Struct(fields))
        }
        scalar => logical_type(scalar).map(NestedType::Scalar),
    }
}

/// Rules written on fields inside an `array`/`object` property: tollgate checks the nested types
/// but evaluates no rule inside them, so each such field is reported `skipped`, with its reason.
fn nested_rules_skipped(property: &Node, column: &str, checks: &mut Vec<DatasetCheck>) {
    let mut inner: Vec<(String, &Node)> = Vec::new();
    if let Some(items) = get(property, "items") {
        inner.push((format!("{column}[]"), items));
    }
    for p in get(property, "properties").and_then(Node::as_seq).unwrap_or_default() {
        inner.push((format!("{column}.{}", text(p, "name").unwrap_or_default()), p));
    }
    for (path, node) in inner {
        let ruled = ["quality", "logicalTypeOptions", "required", "unique"]
            .iter()
            .any(|k| get(node, k).is_some_and(|v| v.as_bool() != Some(false)));
        if ruled {
            checks.push(DatasetCheck {
                name: Some(format!("{path}.rules")),
                kind: CheckKind::Unsupported {
                    reason: format!(
                        "rules on the nested field `{path}` (line {}) are not evaluated; its type is checked by `{column}.type`",
                        node.pos.line
                    ),
                },
                severity: Severity::Error,
                limits: Limits::default(),
                pos: node.pos,
            });
        }
        nested_rules_skipped(node, &path, checks);
    }
}

fn logical_type(name: &str) -> Option<DeclaredType> {
    Some(match name {
        "string" => DeclaredType::String,
        "integer" => DeclaredType::Integer,
        "number" => DeclaredType::Number,
        "boolean" => DeclaredType::Bool,
        "date" => DeclaredType::Date,
        "timestamp" => DeclaredType::Timestamp,
        "time" => DeclaredType::Time,
        _ => return None,
    })
}

fn severity(node: &Node) -> Severity {
    match text(node, "severity").as_deref() {
        Some("info" | "warning" | "warn") => Severity::Warn,
        _ => Severity::Error,
    }
}

fn number(ctx: &mut Ctx, node: &Node, what: &str) -> Option<f64> {
    let v = node.as_f64();
    if v.is_none() {
        ctx.error(node.pos, format!("{what} must be a number, found {}", node.type_name()), "");
    }
    v
}

/// The operator of a library rule; a count metric without one must be zero.
fn condition(ctx: &mut Ctx, rule: &Node, metric: &Metric) -> Option<Condition> {
    let pair = |ctx: &mut Ctx, n: &Node, op: &str| -> Option<(f64, f64)> {
        match n.as_seq() {
            Some([a, b]) => Some((number(ctx, a, op)?, number(ctx, b, op)?)),
            _ => {
                ctx.error(n.pos, format!("`{op}` takes two numbers"), format!("write `{op}: [10, 20]`"));
                None
            }
        }
    };
    let ops = [
        "mustBe",
        "mustNotBe",
        "mustBeGreaterThan",
        "mustBeGreaterOrEqualTo",
        "mustBeGreaterThanOrEqualTo",
        "mustBeLessThan",
        "mustBeLessOrEqualTo",
        "mustBeLessThanOrEqualTo",
        "mustBeBetween",
        "mustNotBeBetween",
    ];
    for op in ops {
        let Some(n) = get(rule, op) else { continue };
        return Some(match op {
            "mustBeBetween" => {
                let (a, b) = pair(ctx, n, op)?;
                Condition::Between(a, b)
            }
            "mustNotBeBetween" => {
                let (a, b) = pair(ctx, n, op)?;
                Condition::NotBetween(a, b)
            }
            _ => {
                let x = number(ctx, n, op)?;
                match op {
                    "mustBe" => Condition::Equal(x),
                    "mustNotBe" => Condition::NotEqual(x),
                    "mustBeGreaterThan" => Condition::Greater(x),
                    "mustBeGreaterOrEqualTo" | "mustBeGreaterThanOrEqualTo" => Condition::GreaterOrEqual(x),
                    "mustBeLessThan" => Condition::Less(x),
                    _ => Condition::LessOrEqual(x),
                }
            }
        });
    }
    Some(if matches!(metric, Metric::RowCount) { Condition::Greater(0.0) } else { Condition::Equal(0.0) })
}

fn literals(node: Option<&Node>) -> Vec<Literal> {
    node.and_then(Node::as_seq).map(|items| items.iter().filter_map(literal).collect()).unwrap_or_default()
}

/// One `quality` entry, at property level (`column`) or schema level.
fn quality_rule(ctx: &mut Ctx, rule: &Node, column: Option<&str>, tables: &[String]) -> Option<DatasetCheck> {
    let kind = text(rule, "type").unwrap_or_else(|| "library".into());
    let metric_node = get(rule, "metric").or_else(|| get(rule, "rule"));
    let metric_name = metric_node.and_then(|n| n.as_text()).map(str::to_string);
    let base = |suffix: &str| match column {
        Some(c) => format!("{c}.{suffix}"),
        None => suffix.to_string(),
    };
    let id = text(rule, "id").or_else(|| text(rule, "name"));
    if kind == "sql" {
        let Some(query_node) = get(rule, "query") else {
            ctx.error(
                rule.pos,
                "an ODCS `sql` rule needs `query`",
                "write `query: SELECT count(*) FROM {object} WHERE …`",
            );
            return None;
        };
        let query = text_of(ctx, query_node, "`query`")?;
        let table = tables.first().cloned().unwrap_or_else(|| "data".into());
        let query = resolve_placeholders(&query, &table, column);
        check_read_only(ctx, &query, query_node.pos)?;
        let has_operator =
            rule.as_map().is_some_and(|m| m.iter().any(|(k, _)| k.as_text().is_some_and(|k| k.starts_with("must"))));
        if !has_operator {
            ctx.error(rule.pos, "an ODCS `sql` rule needs an operator for its number", "add e.g. `mustBe: 0`");
            return None;
        }
        let condition = condition(ctx, rule, &Metric::Nulls)?;
        return Some(DatasetCheck {
            name: Some(id.unwrap_or_else(|| base("sql"))),
            kind: CheckKind::Sql { query, condition, tables: tables.to_vec(), column: column.map(str::to_string) },
            severity: severity(rule),
            limits: Limits::default(),
            pos: rule.pos,
        });
    }
    if kind != "library" {
        return Some(DatasetCheck {
            name: Some(id.unwrap_or_else(|| base(&kind))),
            kind: CheckKind::Unsupported {
                reason: format!("ODCS `{kind}` rules are not evaluated by tollgate (line {})", rule.pos.line),
            },
            severity: severity(rule),
            limits: Limits::default(),
            pos: rule.pos,
        });
    }
    let Some(name) = metric_name else {
        ctx.error(rule.pos, "a library quality rule needs `metric`", format!("one of: {}", METRICS.join(", ")));
        return None;
    };
    let args = get(rule, "arguments");
    let arg = |key: &str| args.and_then(|a| get(a, key)).or_else(|| get(rule, key));
    let metric = match name.as_str() {
        "nullValues" | "nullCheck" | "notNull" => Metric::Nulls,
        "missingValues" => {
            let listed = arg("missingValues");
            let null = listed.and_then(Node::as_seq).is_some_and(|items| items.iter().any(Node::is_null));
            Metric::Missing { values: literals(listed), null }
        }
        "invalidValues" | "validValues" => {
            let valid = arg("validValues").map(|n| literals(Some(n)));
            let pattern = match arg("pattern") {
                Some(n) => Some(regex_of(ctx, n, "`pattern`")?),
                None => None,
            };
            if valid.is_none() && pattern.is_none() {
                ctx.error(rule.pos, "`invalidValues` needs `arguments.validValues` or `arguments.pattern`", "");
                return None;
            }
            Metric::Invalid { valid, pattern }
        }
        "duplicateValues" | "duplicateCount" => {
            let columns: Vec<String> = arg("properties")
                .and_then(Node::as_seq)
                .map(|items| items.iter().filter_map(|i| i.as_text().map(str::to_string)).collect())
                .unwrap_or_default();
            if column.is_none() && columns.is_empty() {
                ctx.error(
                    rule.pos,
                    "a schema-level `duplicateValues` needs `arguments.properties`",
                    "write `arguments: {properties: [a, b]}`",
                );
                return None;
            }
            Metric::Duplicates { columns }
        }
        "rowCount" => Metric::RowCount,
        // ODCS v3.0's `rule` is free text (its JSON Schema has no enum there) and the standard's
        // own examples use names such as `countCheck`: skipped with the reason, not refused.
        other if get(rule, "metric").is_none() => {
            let line = rule.pos.line;
            return Some(DatasetCheck {
                name: Some(id.unwrap_or_else(|| base(other))),
                kind: CheckKind::Unsupported {
                    reason: format!(
                        "ODCS rule `{other}` (line {line}) is not a library metric tollgate evaluates ({})",
                        METRICS.join(", ")
                    ),
                },
                severity: severity(rule),
                limits: Limits::default(),
                pos: rule.pos,
            });
        }
        other => {
            ctx.error(metric_node?.pos, format!("unknown ODCS metric `{other}`"), suggestion(other, METRICS));
            return None;
        }
    };
    let condition = condition(ctx, rule, &metric)?;
    let percent = match text(rule, "unit").as_deref() {
        None | Some("rows") => false,
        // Rows as a percent of rows is always 100: the row count is what can be compared.
        Some("percent") if metric == Metric::RowCount => {
            ctx.warn(
                get(rule, "unit")?.pos,
                "`unit: percent` is ignored for `rowCount`: the row count is compared",
                "drop `unit`, or write the bound as a number of rows",
            );
            false
        }
        Some("percent") => true,
        Some(other) => {
            ctx.error(
                get(rule, "unit")?.pos,
                format!("unknown unit `{other}`"),
                suggestion(other, &["rows", "percent"]),
            );
            return None;
        }
    };
    Some(DatasetCheck {
        name: Some(id.unwrap_or_else(|| base(metric.name()))),
        kind: CheckKind::Metric { column: column.map(str::to_string), metric, condition, percent },
        severity: severity(rule),
        limits: Limits::default(),
        pos: rule.pos,
    })
}

fn rule(kind: RuleKind, pos: Pos) -> ColumnRule {
    ColumnRule { kind, limits: Limits::default(), severity: Severity::Error, pos }
}

fn bound(ctx: &mut Ctx, node: &Node, what: &str) -> Option<Literal> {
    match literal(node) {
        Some(l) if matches!(l.value, Scalar::Int(_) | Scalar::Float(_) | Scalar::Str(_)) => Some(l),
        _ => {
            ctx.error(node.pos, format!("{what} must be a number or an ISO date"), "");
            None
        }
    }
}

/// `logicalTypeOptions` → range, length and pattern rules.
fn type_options(ctx: &mut Ctx, options: &Node, rules: &mut Vec<ColumnRule>) {
    let mut min = get(options, "minimum").and_then(|n| bound(ctx, n, "`minimum`"));
    let mut max = get(options, "maximum").and_then(|n| bound(ctx, n, "`maximum`"));
    let (mut exclusive_min, mut exclusive_max) = (false, false);
    // JSON Schema draft 4 style is a flag on minimum/maximum; later drafts give the bound itself.
    for (key, target, flag) in
        [("exclusiveMinimum", &mut min, &mut exclusive_min), ("exclusiveMaximum", &mut max, &mut exclusive_max)]
    {
        let Some(n) = get(options, key) else { continue };
        match n.scalar() {
            Some(Scalar::Bool(b)) => *flag = *b,
            _ => {
                *target = bound(ctx, n, &format!("`{key}`"));
                *flag = true;
            }
        }
    }
    if min.is_some() || max.is_some() {
        rules.push(rule(RuleKind::Range { min, max, exclusive_min, exclusive_max }, options.pos));
    }
    let min_len = get(options, "minLength").and_then(|n| count_of(ctx, n, "`minLength`"));
    let max_len = get(options, "maxLength").and_then(|n| count_of(ctx, n, "`maxLength`"));
    if min_len.is_some() || max_len.is_some() {
        rules.push(rule(RuleKind::Length { min: min_len, max: max_len }, options.pos));
    }
    if let Some(n) = get(options, "pattern") {
        if let Some(regex) = regex_of(ctx, n, "`pattern`") {
            rules.push(rule(RuleKind::Pattern { regex, full: false }, n.pos));
        }
    }
}

/// `freshness`/`latency` SLA properties with an `element` → freshness checks.
fn sla_checks(ctx: &mut Ctx, root: &Node, checks: &mut Vec<DatasetCheck>) {
    let Some(items) = get(root, "slaProperties").and_then(Node::as_seq) else { return };
    for item in items {
        let Some(property) = text(item, "property") else { continue };
        if property != "freshness" && property != "latency" {
            continue;
        }
        let Some(element) = text(item, "element") else { continue };
        let column = element.rsplit('.').next().unwrap_or(&element).to_string();
        let Some(value) = get(item, "value").and_then(Node::as_f64) else {
            ctx.error(item.pos, format!("`{property}` needs a numeric `value`"), "");
            continue;
        };
        let unit = text(item, "unit").unwrap_or_else(|| "d".into());
        let seconds = match unit.to_lowercase().as_str() {
            "s" | "sec" | "second" | "seconds" => 1.0,
            "m" | "min" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86400.0,
            "w" | "week" | "weeks" => 604800.0,
            other => {
                ctx.error(item.pos, format!("unknown time unit `{other}`"), "use s, m, h or d");
                continue;
            }
        };
        checks.push(DatasetCheck {
            name: Some(property.clone()),
            kind: CheckKind::Freshness {
                column,
                max_age_seconds: value * seconds,
                max_age_text: format!("{value}{unit}"),
            },
            severity: Severity::Error,
            limits: Limits::default(),
            pos: item.pos,
        });
    }
}

/// The names an ODCS `sql` rule may call the checked data by: the schema object's `name` and
/// `physicalName`, and the contract's name.
fn table_names(object: &Node, contract: &str) -> Vec<String> {
    let mut names: Vec<String> = [text(object, "name"), text(object, "physicalName")].into_iter().flatten().collect();
    names.push(contract.to_string());
    names.dedup();
    names
}

/// A URL of a store tollgate reads (`s3://`, `gs://`, `az://`, `abfss://`, `https://`, …).
fn is_object_store_url(text: &str) -> bool {
    let scheme = text.split_once("://").map(|(s, _)| s.to_ascii_lowercase()).unwrap_or_default();
    ["s3", "s3a", "gs", "gcs", "az", "azure", "abfs", "abfss", "adl", "http", "https"].contains(&scheme.as_str())
}

/// A property is sensitive when its `classification` says so, or a custom property
/// (`pii`, `sensitive`, `classification`) does.
fn sensitive_property(property: &Node) -> bool {
    let truthy = |n: &Node| match n.scalar() {
        Some(Scalar::Bool(b)) => *b,
        _ => n.as_text().is_some_and(|t| ["true", "yes", "y"].contains(&t.to_ascii_lowercase().as_str())),
    };
    let classified = text(property, "classification").is_some_and(|c| is_sensitive_class(&c));
    let custom = get(property, "customProperties").and_then(Node::as_seq).unwrap_or_default().iter().any(|p| {
        let (Some(name), Some(value)) = (text(p, "property"), get(p, "value")) else { return false };
        match name.to_ascii_lowercase().as_str() {
            "pii" | "sensitive" | "ispii" | "is_pii" => truthy(value),
            "classification" => value.as_text().is_some_and(is_sensitive_class),
            _ => false,
        }
    });
    classified || custom
}

pub fn contract_of(ctx: &mut Ctx, root: &Node, file: &Path) -> Option<Contract> {
    let version_node = get(root, "apiVersion")?;
    let api = version_node.as_text().unwrap_or("");
    if !VERSIONS.contains(&api) {
        ctx.error(
            version_node.pos,
            format!("unsupported ODCS apiVersion `{api}`"),
            format!("tollgate reads {}", VERSIONS.join(", ")),
        );
    }
    let name = sanitize(
        &text(root, "name")
            .or_else(|| text(root, "id"))
            .unwrap_or_else(|| file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()),
    );
    let description =
        get(root, "description").and_then(|d| d.as_text().map(str::to_string).or_else(|| text(d, "purpose")));
    // The first server with a local path is the data; `--server` picks another, `--data`
    // overrides both.
    let all_servers = get(root, "servers").and_then(Node::as_seq).unwrap_or_default();
    let servers: Vec<ServerSpec> = all_servers
        .iter()
        .map(|s| ServerSpec {
            name: text(s, "server").unwrap_or_default(),
            // A local server's `path`; an object-store server's (s3, azure, …) `location` URL.
            path: text(s, "path").or_else(|| text(s, "location").filter(|l| is_object_store_url(l))),
            storage_options: text(s, "endpointUrl").map(|e| [("endpoint".to_string(), e)].into()).unwrap_or_default(),
            format_text: text(s, "format"),
            format: match text(s, "format").as_deref() {
                Some("parquet") => Some(Format::Parquet),
                Some("csv") => Some(Format::Csv),
                _ => None,
            },
            pos: s.pos,
        })
        .collect();
    let first = servers.iter().position(|s| s.path.is_some());
    // The data's server must be in a format tollgate reads; the others may be anything.
    if let Some(node) = first.and_then(|i| get(&all_servers[i], "format")) {
        format_of(ctx, node);
    }
    let path_pos = first.and_then(|i| get(&all_servers[i], "path")).map(|n| n.pos).unwrap_or(root.pos);
    let storage_options = first.map(|i| servers[i].storage_options.clone()).unwrap_or_default();
    let dataset = DatasetSpec {
        path: first.and_then(|i| servers[i].path.clone()).unwrap_or_default(),
        table: None,
        format: first.and_then(|i| servers[i].format),
        servers,
        partition_key: None,
        csv: CsvOptions::default(),
        storage_options,
        pos: path_pos,
    };
    let mut checks: Vec<DatasetCheck> = Vec::new();
    let mut columns: Vec<ColumnSpec> = Vec::new();
    let objects = get(root, "schema").and_then(Node::as_seq).unwrap_or_default();
    let schema_pos = get(root, "schema").map(|n| n.pos).unwrap_or(root.pos);
    if let Some(object) = objects.first() {
        let tables = table_names(object, &name);
        let mut primary: Vec<(i64, String)> = Vec::new();
        for property in get(object, "properties").and_then(Node::as_seq).unwrap_or_default() {
            let Some(col) = text(property, "name") else {
                ctx.error(property.pos, "a property needs `name`", "");
                continue;
            };
            let mut rules = Vec::new();
            let declared = text(property, "logicalType").and_then(|t| logical_type(&t));
            if let (Some(t), Some(n)) = (declared, get(property, "logicalType")) {
                rules.push(rule(RuleKind::Type(t), n.pos));
            }
            if let (Some(nested @ (NestedType::List(_) | NestedType::Struct(_))), Some(n)) =
                (nested_type(property), get(property, "logicalType"))
            {
                rules.push(rule(RuleKind::NestedType(nested), n.pos));
                nested_rules_skipped(property, &col, &mut checks);
            }
            let flag = |ctx: &mut Ctx, key: &str| {
                get(property, key).and_then(|n| bool_of(ctx, n, &format!("`{key}`"))).unwrap_or(false)
            };
            let is_primary = flag(ctx, "primaryKey");
            if is_primary {
                let position = get(property, "primaryKeyPosition").and_then(Node::as_i64).unwrap_or(i64::MAX);
                primary.push((position, col.clone()));
            }
            if flag(ctx, "required") || is_primary {
                rules.push(rule(
                    RuleKind::Required,
                    get(property, "required").or(get(property, "primaryKey")).map(|n| n.pos).unwrap_or(property.pos),
                ));
            }
            if flag(ctx, "unique") {
                rules.push(rule(
                    RuleKind::Unique { scope: None },
                    get(property, "unique").map(|n| n.pos).unwrap_or(property.pos),
                ));
            }
            if let Some(options) = get(property, "logicalTypeOptions") {
                type_options(ctx, options, &mut rules);
            }
            for q in get(property, "quality").and_then(Node::as_seq).unwrap_or_default() {
                checks.extend(quality_rule(ctx, q, Some(&col), &tables));
            }
            let sensitive = sensitive_property(property);
            columns.push(ColumnSpec { name: col, declared_type: declared, rules, sensitive, pos: property.pos });
        }
        // One primary key column is unique on its own; several form one compound key.
        primary.sort();
        match primary.as_slice() {
            [] => {}
            [(_, only)] => {
                if let Some(c) = columns.iter_mut().find(|c| &c.name == only) {
                    if !c.rules.iter().any(|r| matches!(r.kind, RuleKind::Unique { .. })) {
                        let pos = c.pos;
                        c.rules.push(rule(RuleKind::Unique { scope: None }, pos));
                    }
                }
            }
            keys => checks.push(DatasetCheck {
                name: Some("primary_key".into()),
                kind: CheckKind::Unique { columns: keys.iter().map(|(_, c)| c.clone()).collect(), scope: None },
                severity: Severity::Error,
                limits: Limits::default(),
                pos: object.pos,
            }),
        }
        for q in get(object, "quality").and_then(Node::as_seq).unwrap_or_default() {
            checks.extend(quality_rule(ctx, q, None, &tables));
        }
        for extra in &objects[1..] {
            checks.push(DatasetCheck {
                name: Some(format!("{}.schema", text(extra, "name").unwrap_or_default())),
                kind: CheckKind::Unsupported {
                    reason: "tollgate checks the first schema object of an ODCS contract".into(),
                },
                severity: Severity::Error,
                limits: Limits::default(),
                pos: extra.pos,
            });
        }
    }
    let tables = objects.first().map(|o| table_names(o, &name)).unwrap_or_else(|| vec![name.clone()]);
    for q in get(root, "quality").and_then(Node::as_seq).unwrap_or_default() {
        checks.extend(quality_rule(ctx, q, None, &tables));
    }
    sla_checks(ctx, root, &mut checks);
    // Ids must be unique; ODCS does not promise it, so later twins get a suffix.
    let mut seen: Vec<String> = Vec::new();
    for c in &mut checks {
        let mut id = c.id();
        let mut n = 2;
        while seen.contains(&id) {
            id = format!("{}#{n}", c.id());
            n += 1;
        }
        c.name = Some(id.clone());
        seen.push(id);
    }
    Some(Contract {
        name,
        version: text(root, "version"),
        owner: None,
        description,
        file: file.to_path_buf(),
        dataset,
        schema: Some(SchemaSpec { strict: false, columns, pos: schema_pos }),
        checks,
        warnings: Vec::new(),
    })
}
