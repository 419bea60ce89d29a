//! `--format table`: a summary per result, for people at a terminal. Checks that did not pass
//! come first; clean passes fold into one line unless asked for.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};
use serde_json::Value;

use super::{CheckReport, Report, ResultReport, Status};

/// How the table is drawn; decided by the command line from the terminal and the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours: fail and error red, warn yellow, pass dim.
    pub color: bool,
    /// Columns available (the terminal's width, `COLUMNS`, else 120).
    pub width: u16,
    /// List every passing check instead of folding them into one line.
    pub show_passed: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style { color: false, width: 120, show_passed: false }
    }
}

fn failures_text(f: Option<u64>) -> String {
    f.map(|n| n.to_string()).unwrap_or_else(|| "-".into())
}

/// Order of appearance: what needs attention first.
pub(super) fn rank(status: Status) -> u8 {
    match status {
        Status::Error => 0,
        Status::Fail => 1,
        Status::Warn => 2,
        Status::Skipped => 3,
        Status::Pass => 4,
    }
}

fn status_cell(status: Status, style: &Style) -> Cell {
    let cell = Cell::new(status.name());
    if !style.color {
        return cell;
    }
    match status {
        Status::Error | Status::Fail => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Status::Warn => cell.fg(Color::Yellow),
        Status::Pass | Status::Skipped => cell.add_attribute(Attribute::Dim),
    }
}

/// A pass that tolerated failures says what allowed it: "2 duplicates …, allowed 2".
pub(super) fn tolerance(check: &CheckReport) -> Option<String> {
    if check.status != Status::Pass || check.failures.unwrap_or(0) == 0 {
        return None;
    }
    let mut allowed = Vec::new();
    if let Some(n) = check.threshold.get("max_failures").and_then(Value::as_u64) {
        allowed.push(n.to_string());
    }
    if let Some(rate) = check.threshold.get("max_failure_rate").and_then(Value::as_f64) {
        allowed.push(format!("rate {rate}"));
    }
    (!allowed.is_empty()).then(|| format!("allowed {}", allowed.join(" and ")))
}

/// `-50.0 ×2 (first at row 12)`; the file is named relative to the dataset when it is inside it
/// (`dt=2026-01-03/part-0.parquet row 4`), and not at all when it is the dataset.
pub(super) fn sample_line(sample: &Value, dataset: &str) -> String {
    let value = sample.get("value").map(Value::to_string).unwrap_or_default();
    let count = sample.get("count").and_then(Value::as_u64).unwrap_or(1);
    let file = match sample.get("file").and_then(Value::as_str) {
        Some(file) if file == dataset => Some(String::new()),
        Some(file) => Some(match std::path::Path::new(file).strip_prefix(dataset) {
            Ok(inside) => format!("{} ", inside.display()),
            Err(_) => format!("{file} "),
        }),
        None => None,
    };
    let place = match (file, sample.get("row").and_then(Value::as_u64), sample.get("line").and_then(Value::as_u64)) {
        (Some(file), _, Some(line)) => format!(" (first at {file}line {line})"),
        (Some(file), Some(row), None) => format!(" (first at {file}row {row})"),
        _ => String::new(),
    };
    format!("{value} ×{count}{place}")
}

fn details(check: &CheckReport, dataset: &str) -> String {
    let mut text = check.message.clone();
    if let Some(allowed) = tolerance(check) {
        text.push_str(&format!(", {allowed}"));
    }
    if !check.samples.is_empty() {
        text.push_str("\ne.g. ");
        let lines: Vec<String> = check.samples.iter().map(|s| sample_line(s, dataset)).collect();
        text.push_str(&lines.join("\n     "));
    } else if !check.sample.is_empty() {
        let sample: Vec<String> = check.sample.iter().map(Value::to_string).collect();
        text.push_str(&format!("\ne.g. {}", sample.join(", ")));
    }
    text
}

fn header(result: &ResultReport) -> String {
    let partition = result.partition.as_ref().map(|p| format!(" partition {p}")).unwrap_or_default();
    let rows = result.rows.map(|r| format!(", {r} rows")).unwrap_or_default();
    format!(
        "{} {} ({}) on {}{partition}{rows}\n",
        result.status.name().to_uppercase(),
        result.contract,
        result.contract_path,
        result.dataset
    )
}

fn render_result(result: &ResultReport, style: &Style, out: &mut String) {
    out.push_str(&header(result));
    if let Some(err) = &result.error {
        out.push_str(&format!("  error: {err}\n"));
        return;
    }
    let mut shown: Vec<&CheckReport> = result
        .checks
        .iter()
        .filter(|c| style.show_passed || c.status != Status::Pass || tolerance(c).is_some())
        .collect();
    shown.sort_by_key(|c| rank(c.status)); // stable: contract order within a status
    let folded = result.checks.len() - shown.len();
    if !shown.is_empty() {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(style.width);
        if style.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        table.set_header(vec!["status", "check", "failures", "details"]);
        for c in shown {
            table.add_row(vec![
                status_cell(c.status, style),
                Cell::new(&c.id),
                Cell::new(failures_text(c.failures)),
                Cell::new(details(c, &result.dataset)),
            ]);
        }
        out.push_str(&table.to_string());
        out.push('\n');
    }
    if folded > 0 {
        let checks = if folded == 1 { "check" } else { "checks" };
        out.push_str(&format!("{folded} passing {checks} not shown (--show passed lists them)\n"));
    }
    if let Some(outputs) = result.outputs.as_ref().and_then(Value::as_object) {
        for (kind, written) in outputs {
            let path = written.get("path").and_then(Value::as_str).unwrap_or_default();
            let rows = written.get("rows").and_then(Value::as_u64).unwrap_or(0);
            out.push_str(&format!("{kind}: wrote {rows} rows to {path}\n"));
        }
    }
    out.push_str(&result.summary());
    out.push('\n');
}

/// "12 partitions: 1 passed, 11 failed" across results, when there is more than one.
pub(super) fn overall(report: &Report) -> Option<String> {
    if report.results.len() < 2 {
        return None;
    }
    let partitioned = report.results.iter().all(|r| r.partition.is_some());
    let contracts: std::collections::BTreeSet<&str> = report.results.iter().map(|r| r.contract.as_str()).collect();
    let what = if partitioned && contracts.len() == 1 { "partitions" } else { "results" };
    let n = |s: Status| report.results.iter().filter(|r| r.status == s).count();
    let mut parts = vec![format!("{} passed", n(Status::Pass) + n(Status::Skipped))];
    for (status, word) in [(Status::Warn, "warned"), (Status::Fail, "failed"), (Status::Error, "errored")] {
        if n(status) > 0 {
            parts.push(format!("{} {word}", n(status)));
        }
    }
    Some(format!("{} {what}: {}", report.results.len(), parts.join(", ")))
}

pub fn render(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    for (i, result) in report.results.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_result(result, style, &mut out);
    }
    if let Some(line) = overall(report) {
        out.push('\n');
        out.push_str(&line);
        out.push('\n');
    }
    out
}
