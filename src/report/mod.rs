//! The report model (SPEC §3) and its renderers, one file per format.

pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod plan;
pub mod svg;
pub mod table;

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Skipped,
    Warn,
    Fail,
    Error,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Skipped => "skipped",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }

    /// For rolling up: skipped counts as pass.
    fn weight(self) -> u8 {
        match self {
            Status::Pass | Status::Skipped => 0,
            Status::Warn => 1,
            Status::Fail => 2,
            Status::Error => 3,
        }
    }

    pub fn worst(statuses: impl IntoIterator<Item = Status>) -> Status {
        statuses
            .into_iter()
            .map(|s| if s == Status::Skipped { Status::Pass } else { s })
            .max_by_key(|s| s.weight())
            .unwrap_or(Status::Pass)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub id: String,
    pub kind: String,
    pub column: Option<String>,
    pub severity: String,
    pub status: Status,
    pub failures: Option<u64>,
    pub observed: Value,
    pub threshold: Value,
    pub sample: Vec<Value>,
    /// The sampled values with how often each fails and where it first occurs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Value>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    /// The contract line that declares the rule (for `--format github`).
    #[serde(skip)]
    pub line: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResultReport {
    pub contract: String,
    pub contract_version: Option<String>,
    pub contract_path: String,
    pub dataset: String,
    pub partition: Option<String>,
    /// `--candidate`: the files checked as `partition`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate: Option<String>,
    pub rows: Option<u64>,
    pub status: Status,
    pub duration_ms: u64,
    pub checks: Vec<CheckReport>,
    /// What `--quarantine` / `--clean` wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Value>,
    /// Set when the data could not be read (exit 3); `checks` is then empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ResultReport {
    /// "18 checks: 15 passed, 2 warned, 1 failed, 0 errors, 0 skipped"
    pub fn summary(&self) -> String {
        let n = |s: Status| self.checks.iter().filter(|c| c.status == s).count();
        format!(
            "{} checks: {} passed, {} warned, {} failed, {} errors, {} skipped",
            self.checks.len(),
            n(Status::Pass),
            n(Status::Warn),
            n(Status::Fail),
            n(Status::Error),
            n(Status::Skipped)
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub report_version: u32,
    pub status: Status,
    pub results: Vec<ResultReport>,
}

impl Report {
    pub fn new(results: Vec<ResultReport>) -> Report {
        let status = Status::worst(results.iter().map(|r| r.status));
        Report { report_version: 1, status, results }
    }
}

/// Text made safe for XML and HTML, in element content and quoted attribute values; control
/// characters XML 1.0 cannot carry become `\uXXXX`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// What a sensitive column's values are shown as.
pub const REDACTED: &str = "<redacted>";

/// Hides the values of the contract's sensitive columns: every sample of a check on such a
/// column becomes [`REDACTED`] (its count and location stay), and freshness does not name the
/// newest value. Runs on the report model, so every format is covered at once.
pub fn redact(result: &mut ResultReport, contract: &crate::contract::Contract) {
    let sensitive = sensitive_columns(contract);
    if sensitive.is_empty() {
        return;
    }
    for check in &mut result.checks {
        let declared = contract.checks.iter().find(|d| d.id() == check.id);
        let mut columns: Vec<&str> = check.column.iter().map(String::as_str).collect();
        columns.extend(declared.map(|d| d.kind.columns()).unwrap_or_default());
        if !columns.iter().any(|c| sensitive.contains(c)) {
            continue;
        }
        for value in &mut check.sample {
            *value = Value::from(REDACTED);
        }
        for sample in &mut check.samples {
            if let Value::Object(fields) = sample {
                fields.insert("value".into(), Value::from(REDACTED));
            }
        }
        match declared.map(|d| &d.kind) {
            Some(crate::contract::CheckKind::Freshness { max_age_text, .. }) => {
                if let Some(age) = check.observed.as_f64() {
                    check.message = crate::checks::freshness::message(None, age, max_age_text);
                }
            }
            // A column's min or max is one of its values: the figures go, the verdict stays.
            Some(crate::contract::CheckKind::Anomaly {
                metric: metric @ (crate::contract::AnomalyMetric::Min | crate::contract::AnomalyMetric::Max),
                ..
            }) => {
                check.observed = Value::Null;
                check.details = None;
                check.message =
                    format!("{} of a sensitive column: {} ({})", metric.name(), check.status.name(), REDACTED);
            }
            _ => {}
        }
    }
}

/// The column names marked sensitive in a contract.
pub fn sensitive_columns(contract: &crate::contract::Contract) -> Vec<&str> {
    contract.columns().iter().filter(|c| c.sensitive).map(|c| c.name.as_str()).collect()
}
