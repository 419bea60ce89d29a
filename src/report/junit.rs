//! `--format junit`: one `testsuite` per result, one `testcase` per check (SPEC §3).
//! fail → `<failure>`, error → `<error>`, skipped → `<skipped/>`; a warning passes with its
//! message in `<system-out>`.

use super::{escape, Report, ResultReport, Status};

pub fn suite_name(r: &ResultReport) -> String {
    match &r.partition {
        Some(p) => format!("{} [{p}]", r.contract),
        None => r.contract.clone(),
    }
}

pub fn render(report: &Report) -> String {
    let count = |s: Status| report.results.iter().flat_map(|r| &r.checks).filter(|c| c.status == s).count();
    let data_errors = report.results.iter().filter(|r| r.error.is_some()).count();
    let tests: usize = report.results.iter().map(|r| r.checks.len().max(usize::from(r.error.is_some()))).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"tollgate\" tests=\"{tests}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
        count(Status::Fail),
        count(Status::Error) + data_errors,
        count(Status::Skipped)
    ));
    for r in &report.results {
        let n = |s: Status| r.checks.iter().filter(|c| c.status == s).count();
        let errors = n(Status::Error) + usize::from(r.error.is_some());
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\" skipped=\"{}\" time=\"{:.3}\">\n",
            escape(&suite_name(r)),
            r.checks.len().max(usize::from(r.error.is_some())),
            n(Status::Fail),
            n(Status::Skipped),
            r.duration_ms as f64 / 1000.0
        ));
        out.push_str(&format!(
            "    <properties>\n      <property name=\"contract_path\" value=\"{}\"/>\n      <property name=\"dataset\" value=\"{}\"/>\n      <property name=\"rows\" value=\"{}\"/>\n    </properties>\n",
            escape(&r.contract_path),
            escape(&r.dataset),
            r.rows.map(|n| n.to_string()).unwrap_or_default()
        ));
        if let Some(err) = &r.error {
            out.push_str(&format!(
                "    <testcase name=\"data\" classname=\"{}\" time=\"0\">\n      <error message=\"{}\" type=\"data\"/>\n    </testcase>\n",
                escape(&suite_name(r)),
                escape(err)
            ));
        }
        for c in &r.checks {
            let open =
                format!("    <testcase name=\"{}\" classname=\"{}\" time=\"0\"", escape(&c.id), escape(&suite_name(r)));
            let mut body = c.message.clone();
            if !c.sample.is_empty() {
                body.push_str(&format!(
                    "\nsample: {}",
                    c.sample.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
                ));
            }
            match c.status {
                Status::Pass => out.push_str(&format!("{open}/>\n")),
                Status::Warn => out.push_str(&format!(
                    "{open}>\n      <system-out>warning: {}</system-out>\n    </testcase>\n",
                    escape(&body)
                )),
                Status::Skipped => out.push_str(&format!(
                    "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                    escape(&c.message)
                )),
                Status::Fail | Status::Error => {
                    let tag = if c.status == Status::Fail { "failure" } else { "error" };
                    out.push_str(&format!(
                        "{open}>\n      <{tag} message=\"{}\" type=\"{}\">{}</{tag}>\n    </testcase>\n",
                        escape(&c.message),
                        escape(&c.kind),
                        escape(&body)
                    ));
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
