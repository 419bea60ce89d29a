//! `--format github`: GitHub Actions workflow commands, one per check that did not pass, pointing
//! at the contract line that declares the rule (SPEC §3).

use super::{Report, Status};

/// Workflow-command data escaping.
fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Workflow-command property escaping (also `:` and `,`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for r in &report.results {
        let partition = r.partition.as_ref().map(|p| format!(" [{p}]")).unwrap_or_default();
        if let Some(err) = &r.error {
            out.push_str(&format!(
                "::error file={},title={}::{}\n",
                property(&r.contract_path),
                property(&format!("{}{partition}", r.contract)),
                data(err)
            ));
        }
        for c in &r.checks {
            let command = match c.status {
                Status::Fail | Status::Error => "error",
                Status::Warn => "warning",
                Status::Pass | Status::Skipped => continue,
            };
            let title = format!("{}{partition}: {}", r.contract, c.id);
            out.push_str(&format!(
                "::{command} file={},line={},title={}::{}\n",
                property(&r.contract_path),
                c.line.max(1),
                property(&title),
                data(&c.message)
            ));
        }
    }
    out
}

/// An invalid contract as workflow commands: one `::error` per problem, at its line and column.
pub fn render_invalid(invalid: &[crate::contract::InvalidContract]) -> String {
    let mut out = String::new();
    for d in invalid.iter().flat_map(|i| &i.diagnostics) {
        let help = d.help.as_ref().map(|h| format!("\nhelp: {h}")).unwrap_or_default();
        out.push_str(&format!(
            "::error file={},line={},col={},title=invalid contract::{}\n",
            property(&d.file.to_string_lossy()),
            d.pos.line,
            d.pos.column,
            data(&format!("{}{help}", d.message))
        ));
    }
    out
}
