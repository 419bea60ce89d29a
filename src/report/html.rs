//! `--format html`: one self-contained page for the person on call — the verdict, every check
//! (failing first, filterable), samples, links to the contract lines, and charts for anomalies,
//! partitions and gaps. CSS, script and SVG are inline and a Content-Security-Policy forbids any
//! fetch, so the page works as a CI artifact, offline. Without JavaScript everything is shown;
//! the script only adds the filter and the search box.

use std::collections::BTreeMap;

use serde_json::Value;

use super::svg::{self, Band, Point};
use super::table::{overall, rank, sample_line, tolerance};
use super::{escape, CheckReport, Report, ResultReport, Status};

/// What the page states beyond the report model.
pub struct Page<'a> {
    /// The exit code the run produced.
    pub exit_code: i32,
    /// When the report was made (RFC 3339).
    pub generated_at: &'a str,
    /// Each contract's text by its `contract_path`, for the links from checks to their lines.
    pub sources: &'a BTreeMap<String, String>,
}

const STYLE: &str = r#"
:root{--fail:#b42318;--warn:#a15c07;--pass:#067647;--skip:#667085;--error:#7a271a;--ink:#101828;--dim:#475467;--line:#d0d5dd;--bg:#fff;--soft:#f2f4f7}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1200px;margin:0 auto;padding:16px}
header.verdict{padding:16px;border-radius:8px;color:#fff;margin-bottom:16px}
header.verdict h1{margin:0 0 4px;font-size:24px}
header.verdict p{margin:0}
.v-pass,.v-skipped{background:var(--pass)}.v-warn{background:var(--warn)}.v-fail{background:var(--fail)}.v-error{background:var(--error)}
h2{font-size:18px;margin:24px 0 8px}
h3{font-size:15px;margin:16px 0 8px}
table{border-collapse:collapse;width:100%}
.scroll{overflow-x:auto}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.status{font-weight:700;text-transform:uppercase;font-size:12px;white-space:nowrap}
.s-fail{color:var(--fail)}.s-error{color:var(--error)}.s-warn{color:var(--warn)}.s-pass{color:var(--pass)}.s-skipped{color:var(--skip)}
tr.check.s-fail,tr.check.s-error{background:#fef3f2}tr.check.s-warn{background:#fffaeb}
tr.check td{color:var(--ink)}
ul.samples{margin:4px 0 0;padding-left:18px;color:var(--dim)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 8px}
dl.facts dt{color:var(--dim)}dl.facts dd{margin:0}
.controls{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;padding:8px;background:var(--soft);border-radius:6px;margin:8px 0}
.controls input[type=search]{padding:4px 8px;min-width:14em;border:1px solid var(--line);border-radius:4px}
.charts{display:grid;align-items:start;margin-top:12px;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px}
figcaption{font-size:13px;color:var(--dim);margin-bottom:4px}
svg.chart{width:100%;height:auto;max-width:640px}
svg.chart.calendar{width:auto;max-width:100%}
svg .axis{stroke:#98a2b3}svg .tick,svg .label{font-size:11px;fill:var(--dim)}
svg .band{fill:#d1e9ff;stroke:#84caff}svg .center{stroke:#1570ef;stroke-dasharray:4 3}
svg .line{fill:none;stroke:#667085;stroke-width:1.5}
svg .point{fill:#667085}svg .point.pass{fill:var(--pass)}svg .point.fail,svg .point.error{fill:var(--fail)}svg .point.warn{fill:var(--warn)}svg .point.skipped{fill:var(--skip)}
svg .point.today{stroke:#fff;stroke-width:2}
svg .bar{fill:var(--pass)}svg .bar.fail,svg .bar.error{fill:var(--fail)}svg .bar.warn{fill:var(--warn)}svg .bar.skipped{fill:var(--skip)}
svg .day.present{fill:#a6f4c5}svg .day.missing{fill:var(--fail)}
pre.source{background:var(--soft);padding:8px;overflow-x:auto;margin:0}
pre.source span{display:block}
pre.source span:target{background:#fef0c7}
pre.source a{display:inline-block;width:3.5em;color:var(--dim);text-decoration:none;user-select:none}
.error-text{color:var(--error);font-weight:600}
@media (max-width:640px){main{padding:8px}th,td{padding:4px}
table.checks thead{display:none}table.checks tr{display:block;padding:6px 0;border-bottom:1px solid var(--line)}
table.checks td{display:block;border:none;padding:1px 6px;text-align:left}
table.checks td[data-label]::before{content:attr(data-label) ": ";color:var(--dim)}}
@media print{.controls{display:none}header.verdict{color:#000;border:2px solid #000;background:none}tr.check{break-inside:avoid}}
"#;

/// The filter and search box (added by the script, so without it nothing is hidden), and the
/// opening of a collapsed contract when a link points into it.
const SCRIPT: &str = r#"
(function(){
  var form=document.getElementById('controls');
  if(form){
    form.hidden=false;
    var apply=function(){
      var q=form.elements.q.value.toLowerCase(),on={};
      form.querySelectorAll('input[type=checkbox]').forEach(function(b){on[b.value]=b.checked;});
      document.querySelectorAll('tr.check').forEach(function(tr){
        tr.hidden=!(on[tr.getAttribute('data-status')]&&(!q||tr.textContent.toLowerCase().indexOf(q)>=0));
      });
    };
    form.addEventListener('input',apply);
    form.addEventListener('submit',function(e){e.preventDefault();});
    apply();
  }
  var reveal=function(){
    var el=location.hash&&document.getElementById(decodeURIComponent(location.hash.slice(1)));
    var box=el&&el.closest('details');
    if(box){box.open=true;el.scrollIntoView();}
  };
  window.addEventListener('hashchange',reveal);
  reveal();
  document.body.setAttribute('data-js','ready');
})();
"#;

/// The whole document around `body`. The policy allows inline style and script only: no
/// request of any kind can leave the page.
fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
<meta name=\"generator\" content=\"tollgate {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(title)
    )
}

fn status_span(status: Status) -> String {
    format!("<span class=\"status s-{0}\">{0}</span>", status.name())
}

/// A JSON value as a person reads it: strings bare, objects as `key: value` pairs.
fn plain(value: &Value) -> String {
    match value {
        Value::Null => "–".into(),
        Value::String(s) => s.clone(),
        Value::Object(fields) => {
            fields.iter().map(|(k, v)| format!("{k}: {}", plain(v))).collect::<Vec<_>>().join(", ")
        }
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Each contract's anchor prefix: `src-0`, `src-1`, … in the order of `sources`.
fn source_ids(sources: &BTreeMap<String, String>) -> BTreeMap<&str, String> {
    sources.keys().enumerate().map(|(i, path)| (path.as_str(), format!("src-{i}"))).collect()
}

pub fn render(report: &Report, page: &Page) -> String {
    let ids = source_ids(page.sources);
    let mut body = String::new();
    let contracts: Vec<&str> = unique(report.results.iter().map(|r| r.contract.as_str()));
    let datasets: Vec<&str> = unique(report.results.iter().map(|r| r.dataset.as_str()));
    let partitions: Vec<&str> = report.results.iter().filter_map(|r| r.partition.as_deref()).collect();
    let rows: u64 = report.results.iter().filter_map(|r| r.rows).sum();
    let duration: u64 = report.results.iter().map(|r| r.duration_ms).sum();
    body.push_str(&format!(
        "<header class=\"verdict v-{0}\" id=\"verdict\" data-status=\"{0}\" data-exit-code=\"{1}\">\n<h1>{2}</h1>\n<p>{3}</p>\n</header>\n",
        report.status.name(),
        page.exit_code,
        report.status.name().to_uppercase(),
        escape(&overall(report).unwrap_or_else(|| report.results.first().map(ResultReport::summary).unwrap_or_default()))
    ));
    body.push_str("<dl class=\"facts\">\n");
    let mut fact = |name: &str, value: String| body.push_str(&format!("<dt>{name}</dt><dd>{value}</dd>\n"));
    fact("exit code", page.exit_code.to_string());
    fact("contracts", escape(&contracts.join(", ")));
    fact("datasets", escape(&datasets.join(", ")));
    fact("partitions", escape(&partition_span(&partitions)));
    fact("rows", rows.to_string());
    fact("run time", format!("{duration} ms"));
    fact("generated", escape(page.generated_at));
    body.push_str("</dl>\n");

    if report.results.len() > 1 {
        body.push_str("<h2>Results</h2>\n<div class=\"scroll\"><table class=\"results\">\n<thead><tr><th>status</th><th>contract</th><th>partition</th><th class=\"num\">rows</th><th>checks</th><th class=\"num\">ms</th></tr></thead>\n<tbody>\n");
        for (i, r) in report.results.iter().enumerate() {
            body.push_str(&format!(
                "<tr><td>{}</td><td><a href=\"#result-{i}\">{}</a></td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n",
                status_span(r.status),
                escape(&r.contract),
                escape(r.partition.as_deref().unwrap_or("–")),
                r.rows.map(|n| n.to_string()).unwrap_or_else(|| "–".into()),
                escape(&r.error.clone().unwrap_or_else(|| r.summary())),
                r.duration_ms
            ));
        }
        body.push_str("</tbody></table></div>\n");
        partition_charts(report, &mut body);
    }

    body.push_str(&controls(report));
    for (i, result) in report.results.iter().enumerate() {
        render_result(i, result, ids.get(result.contract_path.as_str()), &mut body);
    }

    if !page.sources.is_empty() {
        body.push_str("<h2>Contracts</h2>\n");
        for (path, text) in page.sources {
            let id = &ids[path.as_str()];
            body.push_str(&format!(
                "<details id=\"{id}\"><summary><code>{}</code></summary>\n<pre class=\"source\">",
                escape(path)
            ));
            for (n, line) in text.lines().enumerate() {
                let n = n + 1;
                body.push_str(&format!("<span id=\"{id}-L{n}\"><a href=\"#{id}-L{n}\">{n}</a>{}</span>", escape(line)));
            }
            body.push_str("</pre>\n</details>\n");
        }
    }
    let title = format!("tollgate: {} — {}", report.status.name(), contracts.join(", "));
    document(&title, &body)
}

fn unique<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// "2026-01-08", or "30 (2026-01-01 … 2026-01-30)" for many.
fn partition_span(partitions: &[&str]) -> String {
    match partitions {
        [] => "–".into(),
        [one] => (*one).into(),
        many if many.len() <= 5 => many.join(", "),
        many => format!("{} ({} … {})", many.len(), many[0], many[many.len() - 1]),
    }
}

/// The status filter and search box; hidden until the script shows it.
fn controls(report: &Report) -> String {
    let mut out = String::from("<form id=\"controls\" class=\"controls\" hidden>\n<strong>Show</strong>\n");
    for status in [Status::Error, Status::Fail, Status::Warn, Status::Skipped, Status::Pass] {
        let n = report.results.iter().flat_map(|r| &r.checks).filter(|c| c.status == status).count();
        out.push_str(&format!(
            "<label><input type=\"checkbox\" name=\"status\" value=\"{0}\" checked> {0} ({n})</label>\n",
            status.name()
        ));
    }
    out.push_str(
        "<input type=\"search\" name=\"q\" placeholder=\"Search checks\" aria-label=\"Search checks\">\n</form>\n",
    );
    out
}

/// Rows and failures per partition, for each contract checked over several partitions.
fn partition_charts(report: &Report, body: &mut String) {
    for contract in unique(report.results.iter().map(|r| r.contract.as_str())) {
        let results: Vec<&ResultReport> =
            report.results.iter().filter(|r| r.contract == contract && r.partition.is_some()).collect();
        if results.len() < 2 {
            continue;
        }
        let label = |r: &ResultReport| r.partition.clone().unwrap_or_default();
        let rows: Vec<(String, f64, Status)> =
            results.iter().map(|r| (label(r), r.rows.unwrap_or(0) as f64, r.status)).collect();
        let failures: Vec<(String, f64, Status)> =
            results.iter().map(|r| (label(r), failures_of(r) as f64, r.status)).collect();
        body.push_str(&format!(
            "<h2>Partitions of {}</h2>\n<div class=\"charts\">\n<figure id=\"partitions-rows\"><figcaption>rows per partition</figcaption>{}</figure>\n<figure id=\"partitions-failures\"><figcaption>failures per partition (checks that warned or failed)</figcaption>{}</figure>\n</div>\n",
            escape(contract),
            svg::bars(&format!("rows per partition of {contract}"), &rows),
            svg::bars(&format!("failures per partition of {contract}"), &failures),
        ));
    }
}

/// The failures of a result's checks that warned or failed (SPEC §3.1).
pub fn failures_of(result: &ResultReport) -> u64 {
    result.checks.iter().filter(|c| matches!(c.status, Status::Warn | Status::Fail)).filter_map(|c| c.failures).sum()
}

fn render_result(i: usize, result: &ResultReport, source: Option<&String>, body: &mut String) {
    let partition = result.partition.as_ref().map(|p| format!(", partition {p}")).unwrap_or_default();
    body.push_str(&format!(
        "<section class=\"result\" id=\"result-{i}\" data-status=\"{}\">\n<h2>{} {} on {}{}</h2>\n",
        result.status.name(),
        status_span(result.status),
        escape(&result.contract),
        escape(&result.dataset),
        escape(&partition)
    ));
    body.push_str("<dl class=\"facts\">\n");
    let mut fact = |name: &str, value: String| body.push_str(&format!("<dt>{name}</dt><dd>{value}</dd>\n"));
    fact("contract", format!("<code>{}</code>", escape(&result.contract_path)));
    if let Some(version) = &result.contract_version {
        fact("version", escape(version));
    }
    if let Some(candidate) = &result.candidate {
        fact("candidate", format!("<code>{}</code>", escape(candidate)));
    }
    fact("rows", result.rows.map(|n| n.to_string()).unwrap_or_else(|| "–".into()));
    fact("run time", format!("{} ms", result.duration_ms));
    fact("summary", escape(&result.summary()));
    if let Some(outputs) = result.outputs.as_ref().and_then(Value::as_object) {
        for (kind, written) in outputs {
            let path = written.get("path").and_then(Value::as_str).unwrap_or_default();
            let rows = written.get("rows").and_then(Value::as_u64).unwrap_or(0);
            fact(&escape(kind), format!("{rows} rows written to <code>{}</code>", escape(path)));
        }
    }
    body.push_str("</dl>\n");
    if let Some(err) = &result.error {
        body.push_str(&format!("<p class=\"error-text\">{}</p>\n</section>\n", escape(err)));
        return;
    }
    let mut checks: Vec<&CheckReport> = result.checks.iter().collect();
    checks.sort_by_key(|c| rank(c.status)); // stable: contract order within a status
    body.push_str("<div class=\"scroll\"><table class=\"checks\">\n<thead><tr><th>status</th><th>check</th><th class=\"num\">failures</th><th>observed</th><th>threshold</th><th>message</th></tr></thead>\n<tbody>\n");
    for c in checks {
        let id = match source {
            Some(src) if c.line > 0 => {
                format!(
                    "<a href=\"#{src}-L{}\" title=\"line {} of the contract\"><code>{}</code></a>",
                    c.line,
                    c.line,
                    escape(&c.id)
                )
            }
            _ => format!("<code>{}</code>", escape(&c.id)),
        };
        let mut message = escape(&c.message);
        if let Some(allowed) = tolerance(c) {
            message.push_str(&format!(", {}", escape(&allowed)));
        }
        if !c.samples.is_empty() {
            let items: Vec<String> =
                c.samples.iter().map(|s| format!("<li>{}</li>", escape(&sample_line(s, &result.dataset)))).collect();
            message.push_str(&format!("<ul class=\"samples\">{}</ul>", items.concat()));
        } else if !c.sample.is_empty() {
            let items: Vec<String> = c.sample.iter().map(|v| format!("<li>{}</li>", escape(&v.to_string()))).collect();
            message.push_str(&format!("<ul class=\"samples\">{}</ul>", items.concat()));
        }
        body.push_str(&format!(
            "<tr class=\"check s-{0}\" data-status=\"{0}\" data-id=\"{1}\"><td>{2}</td><td>{id}</td><td class=\"num\" data-label=\"failures\">{3}</td><td data-label=\"observed\">{4}</td><td data-label=\"threshold\">{5}</td><td>{message}</td></tr>\n",
            c.status.name(),
            escape(&c.id),
            status_span(c.status),
            c.failures.map(|n| n.to_string()).unwrap_or_else(|| "–".into()),
            escape(&plain(&c.observed)),
            escape(&plain(&c.threshold)),
        ));
    }
    body.push_str("</tbody></table></div>\n");
    // Below the table: what broke comes first, then since when and how far.
    let charts: Vec<String> = result.checks.iter().filter_map(|c| chart(i, c, result.partition.as_deref())).collect();
    if !charts.is_empty() {
        body.push_str(&format!("<div class=\"charts\">\n{}</div>\n", charts.concat()));
    }
    body.push_str("</section>\n");
}

/// The chart of a check that has one: anomalies (their history and band) and missing
/// partitions (a strip of the expected ones).
fn chart(result: usize, c: &CheckReport, partition: Option<&str>) -> Option<String> {
    let details = c.details.as_ref()?;
    let figure = |svg: String, note: String| {
        format!(
            "<figure id=\"chart-{result}-{}\" data-check=\"{}\"><figcaption><code>{}</code> {}{}</figcaption>{svg}</figure>\n",
            escape(&c.id),
            escape(&c.id),
            escape(&c.id),
            status_span(c.status),
            escape(&note)
        )
    };
    let history = details.get("history").and_then(Value::as_array);
    match (c.kind.as_str(), history) {
        ("row_count_anomaly" | "anomaly", Some(history)) => {
            // Row-count history holds `rows`, metric history `value`.
            let points: Vec<Point> = history
                .iter()
                .filter_map(|h| {
                    let value = h.get("rows").or_else(|| h.get("value")).and_then(Value::as_f64)?;
                    let label = h.get("partition").and_then(Value::as_str).unwrap_or("?").to_string();
                    Some(Point { label, value, band: None, status: None })
                })
                .collect();
            let today = Point {
                label: partition.unwrap_or("this run").to_string(),
                value: c.observed.as_f64()?,
                band: None,
                status: Some(c.status),
            };
            let note = format!(" — {} earlier value(s) and this one", points.len());
            Some(figure(
                svg::anomaly(&format!("{} over its history window", c.id), &points, today, Band::of(details)),
                note,
            ))
        }
        ("missing_partitions", _) => {
            let from = chrono::NaiveDate::parse_from_str(details.get("from")?.as_str()?, "%Y-%m-%d").ok()?;
            let expected = details.get("expected")?.as_u64()?;
            let missing: Vec<&str> = details.get("missing")?.as_array()?.iter().filter_map(Value::as_str).collect();
            let step = c
                .threshold
                .get("interval")
                .and_then(Value::as_str)
                .and_then(crate::contract::parse_duration)
                .map_or(1, |seconds| (seconds / 86400.0) as i64)
                .max(1);
            let days: Vec<(String, bool)> = (0..expected as i64)
                .map(|k| {
                    let day = (from + chrono::Duration::days(k * step)).to_string();
                    let present = !missing.contains(&day.as_str());
                    (day, present)
                })
                .collect();
            let last = days.last().map(|d| d.0.clone()).unwrap_or_default();
            let note = match missing.len() {
                0 => format!(" — {from} … {last}, none missing"),
                n => format!(" — {from} … {last}, {n} missing: {}", missing.join(", ")),
            };
            Some(figure(svg::calendar(&format!("expected partitions from {from}"), &days), note))
        }
        _ => None,
    }
}

/// Points of a series judged by `checks::anomaly::judge_series` (`partition`, `value`, and
/// `lower`/`center`/`upper`/`status` where the point was judged).
pub fn judged_points(judged: &[Value]) -> Vec<Point> {
    judged
        .iter()
        .filter_map(|p| {
            Some(Point {
                label: p.get("partition")?.as_str()?.to_string(),
                value: p.get("value")?.as_f64()?,
                band: Band::of(p),
                status: match p.get("status").and_then(Value::as_str) {
                    Some("pass") => Some(Status::Pass),
                    Some("fail") => Some(Status::Fail),
                    Some("skipped") => Some(Status::Skipped),
                    _ => None,
                },
            })
        })
        .collect()
}

/// `history --format html`: one chart per recorded metric, each point with its band and
/// verdict where the metric is an anomaly check's.
pub fn render_history(contract: &str, store: &str, generated_at: &str, metrics: &[(String, Vec<Point>)]) -> String {
    let mut body = format!(
        "<header class=\"verdict v-skipped\"><h1>History of {}</h1>\n<p>{} metrics recorded in {}</p>\n</header>\n<dl class=\"facts\"><dt>generated</dt><dd>{}</dd></dl>\n<div class=\"charts\">\n",
        escape(contract),
        metrics.len(),
        escape(store),
        escape(generated_at)
    );
    for (metric, points) in metrics {
        body.push_str(&format!(
            "<figure id=\"metric-{0}\" data-metric=\"{0}\"><figcaption><code>{0}</code>, {1} values</figcaption>{2}</figure>\n",
            escape(metric),
            points.len(),
            svg::series(metric, points)
        ));
    }
    body.push_str("</div>\n");
    document(&format!("tollgate history: {contract}"), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;y&apos;"
        );
    }
}
