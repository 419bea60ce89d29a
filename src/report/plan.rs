//! `tollgate explain`'s output: a run's plan as text for people and JSON for programs (SPEC §7).

use crate::engine::Explained;

/// The version of the JSON document; raised on an incompatible change.
pub const EXPLAIN_VERSION: u32 = 1;

pub fn render_json(plans: &[Explained]) -> String {
    let doc = serde_json::json!({"explain_version": EXPLAIN_VERSION, "plans": plans});
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

pub fn render_text(plans: &[Explained]) -> String {
    let mut out = String::new();
    for (i, plan) in plans.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("contract  {} ({})\n", plan.contract, plan.contract_path));
        let partition = plan.partition.as_ref().map(|p| format!(", partition {p}")).unwrap_or_default();
        out.push_str(&format!("data      {} ({}{partition}; {} file(s))\n", plan.dataset, plan.format, plan.files));
        out.push_str(&format!("engine    {}\n", plan.engine));
        if !plan.before_the_pass.is_empty() {
            out.push_str("\nbefore the pass\n");
            for line in &plan.before_the_pass {
                out.push_str(&format!("  - {line}\n"));
            }
        }
        out.push_str(&format!(
            "\nthe pass reads {} of {} column(s){}{}\n",
            plan.columns_read.len(),
            plan.columns,
            if plan.columns_read.is_empty() { "" } else { ": " },
            plan.columns_read.join(", ")
        ));
        let mut current = None;
        for slot in &plan.pass {
            if current != Some(&slot.check) {
                out.push_str(&format!("  {}\n", slot.check));
                current = Some(&slot.check);
            }
            out.push_str(&format!("    {:<12} = {}\n", slot.slot, slot.expression));
        }
        if !plan.constructs.is_empty() {
            out.push_str(&format!("\nconstructs used: {}\n", plan.constructs.join(", ")));
        }
        out.push_str("\nverdicts from\n");
        let width = plan.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
        for check in &plan.checks {
            let from = match check.source {
                "pass" => format!("the pass: {}", check.slots.join(", ")),
                "footers" => "Parquet footer statistics (nothing read in the pass)".to_string(),
                "rows" => "the row count".to_string(),
                "other_checks" => "the failures of other checks".to_string(),
                "planning" => "planning (the schema, partition names; nothing read in the pass)".to_string(),
                other => other.replace('_', " "),
            };
            let note = check.note.as_ref().map(|n| format!(" — {n}")).unwrap_or_default();
            out.push_str(&format!("  {:<width$}  {from}{note}\n", check.id));
            if let Some(samples) = check.samples {
                out.push_str(&format!("  {:<width$}    samples if it fails: {samples}\n", ""));
            }
        }
    }
    out
}
