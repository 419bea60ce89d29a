//! `--format table`: a readable table per result, for people at a terminal.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::Report;

fn failures_text(f: Option<u64>) -> String {
    f.map(|n| n.to_string()).unwrap_or_else(|| "-".into())
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for result in &report.results {
        let partition = result.partition.as_ref().map(|p| format!(" partition {p}")).unwrap_or_default();
        let rows = result.rows.map(|r| format!(", {r} rows")).unwrap_or_default();
        out.push_str(&format!(
            "{} {} ({}) on {}{partition}{rows}\n",
            result.status.name().to_uppercase(),
            result.contract,
            result.contract_path,
            result.dataset
        ));
        if let Some(err) = &result.error {
            out.push_str(&format!("  error: {err}\n\n"));
            continue;
        }
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic).set_width(120);
        table.set_header(vec!["status", "check", "failures", "details"]);
        for c in &result.checks {
            let mut details = c.message.clone();
            if !c.sample.is_empty() {
                let sample: Vec<String> = c.sample.iter().map(|v| v.to_string()).collect();
                details.push_str(&format!("\ne.g. {}", sample.join(", ")));
            }
            table.add_row(vec![c.status.name().to_string(), c.id.clone(), failures_text(c.failures), details]);
        }
        out.push_str(&table.to_string());
        out.push('\n');
        out.push_str(&format!("{}\n\n", result.summary()));
    }
    out
}
