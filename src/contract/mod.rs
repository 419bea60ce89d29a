//! The data contract: its model, and loading it from YAML with precise diagnostics.

pub mod diagnostic;
pub mod kinds;
mod native;
mod odcs;
mod read;
pub mod types;
pub mod yaml;

use std::path::{Path, PathBuf};

pub use diagnostic::{Diagnostic, InvalidContract};
pub use native::parse_duration;
pub use yaml::{Pos, Scalar};

use types::DeclaredType;

#[derive(Debug, Clone)]
pub struct Contract {
    pub name: String,
    pub version: Option<String>,
    pub owner: Option<String>,
    pub description: Option<String>,
    /// The contract file as the user named it.
    pub file: PathBuf,
    pub dataset: DatasetSpec,
    pub schema: Option<SchemaSpec>,
    pub checks: Vec<DatasetCheck>,
    /// What is read but has no effect (an ignored unit, say): `validate` prints them as warnings.
    pub warnings: Vec<Diagnostic>,
}

impl Contract {
    /// The folder relative paths inside the contract are resolved against.
    pub fn dir(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new(""))
    }

    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        // An object-store URL (`s3://bucket/orders`) is absolute too.
        if p.is_absolute() || path.contains("://") {
            p.to_path_buf()
        } else {
            self.dir().join(p)
        }
    }

    pub fn columns(&self) -> &[ColumnSpec] {
        self.schema.as_ref().map(|s| s.columns.as_slice()).unwrap_or(&[])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Parquet,
    Csv,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    pub delimiter: u8,
    pub header: bool,
    pub null_values: Vec<String>,
    pub quote: Option<u8>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { delimiter: b',', header: true, null_values: vec![String::new()], quote: Some(b'"') }
    }
}

/// One ODCS `servers` entry: where a copy of the data lives.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub name: String,
    /// The data's path, if the server has one: a local `path`, or an object-store `location`.
    pub path: Option<String>,
    /// An object-store server's settings (`endpointUrl` → `endpoint`).
    pub storage_options: std::collections::BTreeMap<String, String>,
    /// `format` as written (ODCS servers also say `avro`, `json`, `delta`, …).
    pub format_text: Option<String>,
    pub format: Option<Format>,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub struct DatasetSpec {
    /// ODCS servers, in contract order (empty for native contracts); `--server` picks one.
    pub servers: Vec<ServerSpec>,
    pub path: String,
    /// `table: catalog.schema.table`: a table of the Spark catalog, read by `--engine spark`
    /// (then `path` is empty).
    pub table: Option<String>,
    pub format: Option<Format>,
    pub partition_key: Option<String>,
    pub csv: CsvOptions,
    /// Non-secret object-store settings for a URL `path` (endpoint, region, path_style, …).
    pub storage_options: std::collections::BTreeMap<String, String>,
    /// Where the path is written (for "no such file" errors).
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub struct SchemaSpec {
    pub strict: bool,
    pub columns: Vec<ColumnSpec>,
    pub pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Severity {
    #[default]
    Error,
    Warn,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warn => "warn",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Dataset,
    Partition,
}

/// How many failures a rule tolerates. Neither given: zero.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Limits {
    pub max_failures: Option<u64>,
    pub max_failure_rate: Option<f64>,
}

impl Limits {
    /// Failures ≤ max_failures and failures / denominator ≤ max_failure_rate (a zero denominator
    /// passes the rate).
    pub fn holds(&self, failures: u64, denominator: u64) -> bool {
        let count_ok = match (self.max_failures, self.max_failure_rate) {
            (None, None) => failures == 0,
            (Some(max), _) => failures <= max,
            (None, Some(_)) => true,
        };
        let rate_ok = match self.max_failure_rate {
            Some(rate) => denominator == 0 || (failures as f64 / denominator as f64) <= rate,
            None => true,
        };
        count_ok && rate_ok
    }
}

/// A bound or listed value exactly as written; converted to the column's type at check time.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub value: Scalar,
    pub raw: String,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    /// `type`: checked against the declared type of the column.
    Type(DeclaredType),
    /// `type: list<…>` / `struct<…>` (ODCS `array`/`object`): the stored nesting and item types.
    NestedType(types::NestedType),
    Required,
    Unique {
        scope: Option<Scope>,
    },
    NullRate {
        max: f64,
    },
    /// Inclusive bounds unless marked exclusive (ODCS `exclusiveMinimum`, native `exclusive_min`).
    Range {
        min: Option<Literal>,
        max: Option<Literal>,
        exclusive_min: bool,
        exclusive_max: bool,
    },
    AcceptedValues(Vec<Literal>),
    /// `full`: the whole value must match (native); otherwise a match anywhere (ODCS, JSON Schema).
    Pattern {
        regex: String,
        full: bool,
    },
    Length {
        min: Option<u64>,
        max: Option<u64>,
    },
}

impl RuleKind {
    /// The kind's entry in the registry.
    pub fn registered(&self) -> kinds::RuleName {
        use kinds::RuleName;
        match self {
            RuleKind::Type(_) | RuleKind::NestedType(_) => RuleName::Type,
            RuleKind::Required => RuleName::Required,
            RuleKind::Unique { .. } => RuleName::Unique,
            RuleKind::NullRate { .. } => RuleName::NullRate,
            RuleKind::Range { .. } => RuleName::Range,
            RuleKind::AcceptedValues(_) => RuleName::AcceptedValues,
            RuleKind::Pattern { .. } => RuleName::Pattern,
            RuleKind::Length { .. } => RuleName::Length,
        }
    }

    pub fn name(&self) -> &'static str {
        self.registered().word()
    }
}

#[derive(Debug, Clone)]
pub struct ColumnRule {
    pub kind: RuleKind,
    pub limits: Limits,
    pub severity: Severity,
    /// Where the rule's key is written, for diagnostics and `--format github`.
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub struct ColumnSpec {
    pub name: String,
    pub declared_type: Option<DeclaredType>,
    /// In contract order; a declared type is the first rule.
    pub rules: Vec<ColumnRule>,
    /// Marked sensitive (native `sensitive: true` or `classification: pii|confidential|restricted`;
    /// ODCS `classification` or a PII custom property): its values never reach a report.
    pub sensitive: bool,
    pub pos: Pos,
}

/// Classifications whose values must not reach a report or a log.
pub const SENSITIVE_CLASSES: &[&str] = &["pii", "confidential", "restricted", "sensitive", "secret"];

/// Is a `classification` value one of [`SENSITIVE_CLASSES`] (any case)?
pub fn is_sensitive_class(class: &str) -> bool {
    SENSITIVE_CLASSES.iter().any(|c| c.eq_ignore_ascii_case(class.trim()))
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AnomalyMethod {
    Median { tolerance: f64 },
    ZScore { threshold: f64 },
    Mad { threshold: f64 },
}

impl AnomalyMethod {
    pub fn name(&self) -> &'static str {
        match self {
            AnomalyMethod::Median { .. } => "median",
            AnomalyMethod::ZScore { .. } => "zscore",
            AnomalyMethod::Mad { .. } => "mad",
        }
    }
}

#[derive(Debug, Clone)]
pub enum CheckKind {
    RowCount {
        min: Option<u64>,
        max: Option<u64>,
    },
    Freshness {
        column: String,
        max_age_seconds: f64,
        max_age_text: String,
    },
    RowCountAnomaly {
        method: AnomalyMethod,
        window: usize,
        min_history: usize,
    },
    Unique {
        columns: Vec<String>,
        scope: Option<Scope>,
    },
    References {
        column: String,
        dataset: String,
        key: String,
        format: Option<Format>,
        csv: Option<CsvOptions>,
    },
    MissingPartitions {
        interval_days: i64,
        lookback: i64,
    },
    /// `anomaly`: a metric of the checked data against a band from its earlier values.
    Anomaly {
        column: Option<String>,
        metric: AnomalyMetric,
        method: AnomalyMethod,
        window: usize,
        min_history: usize,
        direction: Direction,
    },
    /// An ODCS library metric compared with an operator.
    Metric {
        column: Option<String>,
        metric: Metric,
        condition: Condition,
        percent: bool,
    },
    /// A rule tollgate does not evaluate (ODCS `sql`, `custom`, `text`): reported as skipped.
    Unsupported {
        reason: String,
    },
    /// `sql`: a read-only query over the checked data (placeholders already resolved) that
    /// returns one number, compared with `condition`. `tables`: the names the data is known by
    /// in the query (the contract's name; in ODCS also the schema object's `name` and
    /// `physicalName`).
    Sql {
        query: String,
        condition: Condition,
        tables: Vec<String>,
        column: Option<String>,
    },
    /// `where_not`: rows where the SQL expression `condition` is false or null fail; samples show
    /// the `show` columns (default: the columns the condition names).
    WhereNot {
        condition: String,
        show: Vec<String>,
    },
    /// One comparison of a `reconcile` check (its `group`, the check's name) of the data with
    /// another dataset, `with`.
    Reconcile {
        group: String,
        with: ReconcileWith,
        key: Vec<String>,
        part: ReconcilePart,
    },
}

/// The other side of a `reconcile`: a dataset as `dataset:` declares one, or another contract's.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconcileWith {
    /// A path or URL, relative to this contract; or, with `contract`, that contract's file.
    pub path: String,
    /// `with: {contract: FILE}`: the data is that contract's dataset.
    pub contract: bool,
    pub format: Option<Format>,
    pub partition_key: Option<String>,
    pub csv: Option<CsvOptions>,
    pub storage_options: std::collections::BTreeMap<String, String>,
}

/// What one `reconcile` comparison counts.
#[derive(Debug, Clone, PartialEq)]
pub enum ReconcilePart {
    /// |rows here − rows there| against `max_difference` rows and `max_difference_rate`
    /// (of the rows there); both absent: the counts must be equal.
    RowCount { max_difference: Option<u64>, max_difference_rate: Option<f64> },
    /// Keys there that are absent here.
    MissingKeys,
    /// Keys here that are absent there.
    ExtraKeys,
    /// Rows whose key occurs more than once on either side.
    DuplicateKeys,
    /// Rows of matching keys whose `column` differs beyond `tolerance`.
    Values { column: String, tolerance: Tolerance },
}

impl ReconcilePart {
    /// The part of the check id after the group name.
    pub fn suffix(&self) -> String {
        match self {
            ReconcilePart::RowCount { .. } => "row_count".into(),
            ReconcilePart::MissingKeys => "missing_keys".into(),
            ReconcilePart::ExtraKeys => "extra_keys".into(),
            ReconcilePart::DuplicateKeys => "duplicate_keys".into(),
            ReconcilePart::Values { column, .. } => format!("values.{column}"),
        }
    }
}

/// How close two values of a compared column must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// Equal (nulls equal nulls).
    Exact,
    /// |here − there| ≤ this.
    Absolute(f64),
    /// |here − there| ≤ this × |there|.
    Relative(f64),
}

/// What an `anomaly` check watches.
#[derive(Debug, Clone, PartialEq)]
pub enum AnomalyMetric {
    RowCount,
    NullRate,
    DistinctCount,
    Mean,
    Min,
    Max,
    Sum,
    /// The failures of another check of the contract, by its id.
    Failures {
        check: String,
    },
}

impl AnomalyMetric {
    pub const NAMES: &'static [&'static str] =
        &["row_count", "null_rate", "distinct_count", "mean", "min", "max", "sum", "failures"];

    pub fn name(&self) -> &'static str {
        match self {
            AnomalyMetric::RowCount => "row_count",
            AnomalyMetric::NullRate => "null_rate",
            AnomalyMetric::DistinctCount => "distinct_count",
            AnomalyMetric::Mean => "mean",
            AnomalyMetric::Min => "min",
            AnomalyMetric::Max => "max",
            AnomalyMetric::Sum => "sum",
            AnomalyMetric::Failures { .. } => "failures",
        }
    }

    /// Does the metric describe one column (and so need `column`)?
    pub fn of_a_column(&self) -> bool {
        match self {
            AnomalyMetric::NullRate
            | AnomalyMetric::DistinctCount
            | AnomalyMetric::Mean
            | AnomalyMetric::Min
            | AnomalyMetric::Max
            | AnomalyMetric::Sum => true,
            AnomalyMetric::RowCount | AnomalyMetric::Failures { .. } => false,
        }
    }
}

/// Which side of the band fails an anomaly check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
    Both,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Both => "both",
        }
    }
}

/// What an ODCS library metric counts.
#[derive(Debug, Clone, PartialEq)]
pub enum Metric {
    Nulls,
    /// Nulls (when `null` is listed) and values equal to one of the listed markers.
    Missing {
        values: Vec<Literal>,
        null: bool,
    },
    Invalid {
        valid: Option<Vec<Literal>>,
        pattern: Option<String>,
    },
    Duplicates {
        columns: Vec<String>,
    },
    RowCount,
}

impl Metric {
    pub fn name(&self) -> &'static str {
        match self {
            Metric::Nulls => "nullValues",
            Metric::Missing { .. } => "missingValues",
            Metric::Invalid { .. } => "invalidValues",
            Metric::Duplicates { .. } => "duplicateValues",
            Metric::RowCount => "rowCount",
        }
    }
}

/// An ODCS operator with its operand(s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    Equal(f64),
    NotEqual(f64),
    Greater(f64),
    GreaterOrEqual(f64),
    Less(f64),
    LessOrEqual(f64),
    Between(f64, f64),
    NotBetween(f64, f64),
}

impl Condition {
    pub fn holds(&self, v: f64) -> bool {
        match *self {
            Condition::Equal(x) => v == x,
            Condition::NotEqual(x) => v != x,
            Condition::Greater(x) => v > x,
            Condition::GreaterOrEqual(x) => v >= x,
            Condition::Less(x) => v < x,
            Condition::LessOrEqual(x) => v <= x,
            Condition::Between(a, b) => v >= a && v <= b,
            Condition::NotBetween(a, b) => v < a || v > b,
        }
    }

    pub fn describe(&self) -> String {
        match *self {
            Condition::Equal(x) => format!("= {x}"),
            Condition::NotEqual(x) => format!("≠ {x}"),
            Condition::Greater(x) => format!("> {x}"),
            Condition::GreaterOrEqual(x) => format!("≥ {x}"),
            Condition::Less(x) => format!("< {x}"),
            Condition::LessOrEqual(x) => format!("≤ {x}"),
            Condition::Between(a, b) => format!("between {a} and {b}"),
            Condition::NotBetween(a, b) => format!("not between {a} and {b}"),
        }
    }
}

impl CheckKind {
    /// The columns whose values the check may show as samples or in its message.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            CheckKind::Freshness { column, .. } | CheckKind::References { column, .. } => vec![column.as_str()],
            CheckKind::Anomaly { column, .. } => column.iter().map(String::as_str).collect(),
            CheckKind::Unique { columns, .. } => columns.iter().map(String::as_str).collect(),
            CheckKind::Metric { column, metric, .. } => {
                let mut all: Vec<&str> = column.iter().map(String::as_str).collect();
                match metric {
                    Metric::Duplicates { columns } => all.extend(columns.iter().map(String::as_str)),
                    Metric::Nulls | Metric::Missing { .. } | Metric::Invalid { .. } | Metric::RowCount => {}
                }
                all
            }
            CheckKind::Sql { column, .. } => column.iter().map(String::as_str).collect(),
            CheckKind::WhereNot { show, .. } => show.iter().map(String::as_str).collect(),
            CheckKind::Reconcile { key, part, .. } => {
                let mut all: Vec<&str> = key.iter().map(String::as_str).collect();
                if let ReconcilePart::Values { column, .. } = part {
                    all.push(column);
                }
                all
            }
            CheckKind::RowCount { .. }
            | CheckKind::RowCountAnomaly { .. }
            | CheckKind::MissingPartitions { .. }
            | CheckKind::Unsupported { .. } => Vec::new(),
        }
    }

    /// The kind's entry in the registry; `None` for the ODCS-only kinds (library metrics, and
    /// rules reported as unsupported).
    pub fn registered(&self) -> Option<kinds::CheckName> {
        use kinds::CheckName;
        Some(match self {
            CheckKind::RowCount { .. } => CheckName::RowCount,
            CheckKind::Freshness { .. } => CheckName::Freshness,
            CheckKind::RowCountAnomaly { .. } => CheckName::RowCountAnomaly,
            CheckKind::Unique { .. } => CheckName::Unique,
            CheckKind::References { .. } => CheckName::References,
            CheckKind::MissingPartitions { .. } => CheckName::MissingPartitions,
            CheckKind::Anomaly { .. } => CheckName::Anomaly,
            CheckKind::Reconcile { .. } => CheckName::Reconcile,
            CheckKind::Sql { .. } => CheckName::Sql,
            CheckKind::WhereNot { .. } => CheckName::WhereNot,
            CheckKind::Metric { .. } | CheckKind::Unsupported { .. } => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match (self.registered(), self) {
            (Some(kind), _) => kind.word(),
            (None, CheckKind::Metric { metric, .. }) => metric.name(),
            (None, _) => "unsupported",
        }
    }
}

#[derive(Debug, Clone)]
pub struct DatasetCheck {
    pub name: Option<String>,
    pub kind: CheckKind,
    pub severity: Severity,
    pub limits: Limits,
    pub pos: Pos,
}

impl DatasetCheck {
    pub fn id(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.kind.name().to_string())
    }
}

/// Reads and validates a contract file. `Err` holds every problem of the file.
pub fn load(file: &Path) -> Result<Contract, InvalidContract> {
    // Far above any real contract; refused before reading it into memory.
    const MAX_BYTES: u64 = 64 << 20;
    if let Ok(meta) = std::fs::metadata(file) {
        if meta.is_file() && meta.len() > MAX_BYTES {
            return Err(single(
                file,
                &format!("the contract file is {} MiB; tollgate reads contracts up to 64 MiB", meta.len() >> 20),
                "is this the right file? a contract describes data, it does not hold it",
            ));
        }
    }
    let text = match std::fs::read(file) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => return Err(single(file, "the contract file is not valid UTF-8", "save the file as UTF-8")),
        },
        Err(e) => {
            return Err(single(
                file,
                &format!("cannot read the contract file: {e}"),
                "check the path; contract paths are relative to the working directory",
            ))
        }
    };
    parse_contract(&text, file)
}

/// Parses contract text: YAML, then the dialect it is written in (ODCS v3, else native).
/// `Err` holds every problem of the text.
pub fn parse_contract(text: &str, file: &Path) -> Result<Contract, InvalidContract> {
    let mut ctx = read::Ctx {
        file,
        diagnostics: Vec::new(),
        warnings: Vec::new(),
        column_checks: Vec::new(),
        contract_name: None,
    };
    // Editors on Windows save a byte-order mark; it is not part of the first key.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = match yaml::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let help = match e.kind {
                yaml::YamlErrorKind::TooDeep | yaml::YamlErrorKind::AliasExpansion => {
                    "a contract needs a few levels of nesting and little alias expansion; simplify the document"
                }
                yaml::YamlErrorKind::TooLarge => "no contract is this large; is this the right file?",
                yaml::YamlErrorKind::TabIndent => "YAML indents with spaces only; replace the tab with spaces",
                yaml::YamlErrorKind::Syntax => "fix the YAML syntax at this place",
            };
            ctx.error(e.pos, format!("invalid YAML: {}", e.message), help);
            return Err(InvalidContract { diagnostics: ctx.diagnostics });
        }
    };
    // datacontract-cli's own format: say what it is in one line instead of an error per key.
    let dcs = root.as_map().and_then(|m| m.iter().find(|(k, _)| k.as_text() == Some("dataContractSpecification")));
    if let Some((key, _)) = dcs {
        ctx.error(
            key.pos,
            "this is a Data Contract Specification file (datacontract-cli); tollgate reads its own format and ODCS v3",
            "convert it with `datacontract export --format odcs FILE`, then check the ODCS file",
        );
        return Err(InvalidContract { diagnostics: ctx.diagnostics });
    }
    let contract = if odcs::is_odcs(&root) {
        odcs::contract_of(&mut ctx, &root, file)
    } else {
        native::contract_of(&mut ctx, &root, file)
    };
    match contract {
        Some(c) if ctx.diagnostics.is_empty() => Ok(Contract { warnings: ctx.warnings, ..c }),
        _ => {
            if ctx.diagnostics.is_empty() {
                ctx.error(root.pos, "the contract is empty", "start with `contract: <name>` and a `dataset:` section");
            }
            Err(InvalidContract { diagnostics: ctx.diagnostics })
        }
    }
}

fn single(file: &Path, message: &str, help: &str) -> InvalidContract {
    InvalidContract {
        diagnostics: vec![Diagnostic {
            file: file.to_path_buf(),
            pos: Pos { line: 1, column: 1 },
            message: message.to_string(),
            help: Some(help.to_string()),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_semantics() {
        let none = Limits::default();
        assert!(none.holds(0, 10));
        assert!(!none.holds(1, 10));
        let count = Limits { max_failures: Some(3), max_failure_rate: None };
        assert!(count.holds(3, 10));
        assert!(!count.holds(4, 10));
        let rate = Limits { max_failures: None, max_failure_rate: Some(0.1) };
        assert!(rate.holds(1, 10));
        assert!(!rate.holds(2, 10));
        assert!(rate.holds(5, 0));
        let both = Limits { max_failures: Some(1), max_failure_rate: Some(0.5) };
        assert!(!both.holds(2, 100));
        assert!(both.holds(1, 2));
        assert!(!both.holds(1, 1));
    }
}
