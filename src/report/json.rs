//! `--format json`: exactly one JSON document, SPEC §3.

use super::Report;

pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// Invalid contracts (exit 2) as one JSON document: `status: "invalid"` and every problem with
/// its position, so a program reading `--format json` gets JSON on this path too.
pub fn render_invalid(invalid: &[crate::contract::InvalidContract]) -> String {
    let errors: Vec<serde_json::Value> = invalid
        .iter()
        .flat_map(|i| &i.diagnostics)
        .map(|d| {
            serde_json::json!({
                "file": d.file.to_string_lossy(), "line": d.pos.line, "column": d.pos.column,
                "message": d.message, "help": d.help,
            })
        })
        .collect();
    let doc = serde_json::json!({"report_version": 1, "status": "invalid", "errors": errors});
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
