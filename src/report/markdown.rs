//! `--format markdown`: a summary per result, fit for a pull-request comment or a CI step summary.

use super::{Report, Status};

fn icon(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅",
        Status::Warn => "⚠️",
        Status::Fail => "❌",
        Status::Error => "💥",
        Status::Skipped => "⏭️",
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

pub fn render(report: &Report) -> String {
    let mut out = format!("## tollgate: {} {}\n\n", icon(report.status), report.status.name());
    for r in &report.results {
        let partition = r.partition.as_ref().map(|p| format!(", partition `{p}`")).unwrap_or_default();
        let rows = r.rows.map(|n| format!(", {n} rows")).unwrap_or_default();
        out.push_str(&format!("### {} `{}` on `{}`{partition}{rows}\n\n", icon(r.status), r.contract, r.dataset));
        if let Some(err) = &r.error {
            out.push_str(&format!("> {}\n\n", cell(err)));
            continue;
        }
        out.push_str(&format!("{}\n\n", r.summary()));
        let notable: Vec<_> = r.checks.iter().filter(|c| c.status != Status::Pass).collect();
        if notable.is_empty() {
            continue;
        }
        out.push_str("| status | check | failures | details |\n|---|---|---:|---|\n");
        for c in notable {
            let mut details = c.message.clone();
            if !c.sample.is_empty() {
                let sample: Vec<String> = c.sample.iter().map(|v| format!("`{v}`")).collect();
                details.push_str(&format!(" — e.g. {}", sample.join(", ")));
            }
            out.push_str(&format!(
                "| {} {} | `{}` | {} | {} |\n",
                icon(c.status),
                c.status.name(),
                cell(&c.id),
                c.failures.map(|f| f.to_string()).unwrap_or_else(|| "–".into()),
                cell(&details)
            ));
        }
        out.push('\n');
    }
    out
}
