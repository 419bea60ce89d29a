//! `--format html`: the page's numbers equal the JSON report's, values from data and contracts
//! are escaped, and the page renders in a real headless Chromium with no console message (a
//! script error or a request the page's policy blocked would print one) and no fetch.
//!
//! `.ci/run` installs Debian's `chromium` and sets `TOLLGATE_CHROMIUM`; without either the
//! browser tests say why they did not run.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use polars::prelude::*;
use regex::Regex;

struct Browser {
    exe: PathBuf,
}

struct Rendered {
    dom: String,
    /// Console lines of the page: errors, blocked requests, logs.
    console: Vec<String>,
}

impl Browser {
    fn find() -> Option<Browser> {
        if let Some(exe) = std::env::var_os("TOLLGATE_CHROMIUM") {
            return Some(Browser { exe: exe.into() });
        }
        let on_path = std::env::var_os("PATH")
            .and_then(|path| std::env::split_paths(&path).map(|d| d.join("chromium")).find(|p| p.is_file()));
        if on_path.is_none() {
            println!("skipped: no chromium (.ci/run installs Debian's chromium and sets TOLLGATE_CHROMIUM)");
        }
        on_path.map(|exe| Browser { exe })
    }

    fn command(&self, profile: &Path) -> Command {
        let mut c = Command::new(&self.exe);
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()));
        c
    }

    /// The DOM after the page's script ran, and what the page wrote to the console.
    fn render(&self, page: &Path) -> Rendered {
        let profile = tempfile::tempdir().unwrap();
        let out = self.command(profile.path()).arg("--dump-dom").arg(url(page)).output().expect("run chromium");
        assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
        let stderr = String::from_utf8_lossy(&out.stderr);
        Rendered {
            dom: String::from_utf8_lossy(&out.stdout).into_owned(),
            console: stderr.lines().filter(|l| l.contains(":CONSOLE")).map(str::to_string).collect(),
        }
    }

    fn screenshot(&self, page: &Path, png: &Path, width: u32, height: u32) {
        let profile = tempfile::tempdir().unwrap();
        let out = self
            .command(profile.path())
            .arg(format!("--window-size={width},{height}"))
            .arg("--hide-scrollbars")
            .arg(format!("--screenshot={}", png.display()))
            .arg(url(page))
            .output()
            .expect("run chromium");
        assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}

fn url(page: &Path) -> String {
    format!("file://{}", page.canonicalize().unwrap().display())
}

/// The `data-*` attribute `name` of every element matching `selector` (a regex over the tag).
fn attributes(html: &str, tag: &str, name: &str) -> Vec<String> {
    let tags = Regex::new(&format!(r"<{tag}\b[^>]*>")).unwrap();
    let attribute = Regex::new(&format!(r#"\b{name}="([^"]*)""#)).unwrap();
    tags.find_iter(html).filter_map(|t| attribute.captures(t.as_str()).map(|c| c[1].to_string())).collect()
}

/// The markup of the figure with `id`.
fn figure<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("<figure id=\"{id}\"")).unwrap_or_else(|| panic!("no figure {id}"));
    let end = start + html[start..].find("</figure>").unwrap();
    &html[start..end]
}

fn number(text: &str) -> f64 {
    text.parse().unwrap_or_else(|_| panic!("not a number: {text}"))
}

/// One run, both reports: JSON on stdout, the page in `page`.
fn json_and_html(args: &[&str], page: &Path) -> (serde_json::Value, String) {
    let report = format!("html={}", page.display());
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--report", &report]);
    let run = tollgate(&all);
    (run.json(), std::fs::read_to_string(page).unwrap())
}

#[test]
fn the_console_check_catches_a_script_error_and_a_blocked_request() {
    // The control for the browser tests below: a page that breaks both rules is caught.
    let Some(browser) = Browser::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        r#"<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'"></head><body><img src="http://127.0.0.1:9/x.png"><script>missing();</script></body></html>"#,
    )
    .unwrap();
    let rendered = browser.render(&page);
    assert!(
        rendered.console.iter().any(|l| l.contains("violates the following Content Security Policy")),
        "{:?}",
        rendered.console
    );
    assert!(rendered.console.iter().any(|l| l.contains("ReferenceError")), "{:?}", rendered.console);
}

#[test]
fn a_failing_report_renders_in_a_browser_failing_checks_first() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let run = tollgate(&["check", "contracts/orders_daily.yaml", "--format", "html", "-o", page.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let html = std::fs::read_to_string(&page).unwrap();
    // Nothing to fetch: no src attribute at all, and every link stays on the page.
    assert!(!html.contains(" src="), "the page loads something");
    let links = attributes(&html, "a", "href");
    assert!(!links.is_empty() && links.iter().all(|h| h.starts_with('#')), "{links:?}");
    assert!(html.contains("data-exit-code=\"1\""));
    // Without a browser the order is still there in the markup.
    assert_eq!(attributes(&html, "tr", "data-id")[..3], ["order_id.unique", "row_count_anomaly", "missing_partitions"]);

    let Some(browser) = Browser::find() else { return };
    let rendered = browser.render(&page);
    assert!(rendered.console.is_empty(), "console: {:?}", rendered.console);
    assert!(rendered.dom.contains("data-js=\"ready\""), "the page's script did not finish");
    assert!(!rendered.dom.contains("id=\"controls\" class=\"controls\" hidden"), "the filter stayed hidden");
    let rows = attributes(&rendered.dom, "tr", "data-status");
    assert_eq!(rows[0], "fail");
    assert_eq!(attributes(&rendered.dom, "tr", "data-id")[0], "order_id.unique");
    assert!(rendered.dom.contains("class=\"point fail today\""));

    let png = dir.path().join("shot.png");
    browser.screenshot(&page, &png, 1000, 1400);
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width and height as big-endian u32 at bytes 16..24.
    assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 1000);
    assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), 1400);
}

#[test]
fn the_anomaly_chart_draws_the_json_reports_band_and_point() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let (report, html) = json_and_html(&["check", "contracts/orders_daily.yaml"], &page);
    let anomaly = check(&report, "row_count_anomaly");
    let details = &anomaly["details"];
    let chart = figure(&html, "chart-0-row_count_anomaly");
    let (lower, center, upper) =
        (details["lower"].as_f64().unwrap(), details["center"].as_f64().unwrap(), details["upper"].as_f64().unwrap());
    assert_eq!((lower, center, upper), (70.0, 100.0, 130.0));
    assert_eq!(number(&attributes(chart, "rect", "data-lower")[0]), lower);
    assert_eq!(number(&attributes(chart, "rect", "data-upper")[0]), upper);
    assert_eq!(number(&attributes(chart, "line", "data-center")[0]), center);
    // Every history point and today's, in order, with the JSON report's values.
    let mut expected: Vec<f64> =
        details["history"].as_array().unwrap().iter().map(|h| h["rows"].as_f64().unwrap()).collect();
    expected.push(anomaly["observed"].as_f64().unwrap());
    let values: Vec<f64> = attributes(chart, "circle", "data-value").iter().map(|v| number(v)).collect();
    assert_eq!(values, expected);
    let partitions = attributes(chart, "circle", "data-partition");
    assert_eq!(partitions.last().unwrap(), "2026-01-08");
    assert_eq!(partitions[0], details["history"][0]["partition"].as_str().unwrap());

    // Where SPEC §3.1 puts them: y over the domain of all drawn numbers widened by 8%.
    let drawn = expected.iter().copied().chain([lower, center, upper]);
    let (min, max) = drawn.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = (max - min) * 0.08;
    let y = |v: f64| 16.0 + ((max + pad) - v) / ((max - min) + 2.0 * pad) * 160.0;
    let n = expected.len() as f64;
    let today = Regex::new(r#"class="point fail today" cx="([\d.]+)" cy="([\d.]+)""#).unwrap().captures(chart).unwrap();
    assert!((number(&today[1]) - (64.0 + (n - 0.5) * 560.0 / n)).abs() < 0.06, "{}", &today[1]);
    assert!((number(&today[2]) - y(40.0)).abs() < 0.06, "{} vs {}", &today[2], y(40.0));
    let band = Regex::new(r#"class="band" x="64" y="([\d.]+)" width="560" height="([\d.]+)""#)
        .unwrap()
        .captures(chart)
        .unwrap();
    assert!((number(&band[1]) - y(upper)).abs() < 0.06);
    assert!((number(&band[2]) - (y(lower) - y(upper))).abs() < 0.11);
}

#[test]
fn partition_bars_and_the_calendar_equal_the_json_report() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let (report, html) = json_and_html(&["check", "contracts/orders_daily.yaml", "--all-partitions"], &page);
    let results = report["results"].as_array().unwrap();
    let rows: Vec<f64> = results.iter().map(|r| r["rows"].as_f64().unwrap()).collect();
    let bars: Vec<f64> =
        attributes(figure(&html, "partitions-rows"), "rect", "data-value").iter().map(|v| number(v)).collect();
    assert_eq!(bars, rows);
    assert_eq!(rows, [100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 40.0]);
    // Failures per partition: the failures of the checks that warned or failed.
    let failures: Vec<f64> = results
        .iter()
        .map(|r| {
            r["checks"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["status"] == "fail" || c["status"] == "warn")
                .map(|c| c["failures"].as_f64().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let bars: Vec<f64> =
        attributes(figure(&html, "partitions-failures"), "rect", "data-value").iter().map(|v| number(v)).collect();
    assert_eq!(bars, failures);
    assert_eq!(failures, [0.0, 0.0, 0.0, 0.0, 1.0, 4.0, 5.0]);
    let classes = attributes(figure(&html, "partitions-rows"), "rect", "class");
    let statuses: Vec<String> = results.iter().map(|r| format!("bar {}", r["status"].as_str().unwrap())).collect();
    assert_eq!(classes, statuses);

    // The last partition's missing_partitions strip: 2026-01-01 … 2026-01-08, the 5th missing.
    let last = results.len() - 1;
    let strip = figure(&html, &format!("chart-{last}-missing_partitions"));
    let days = attributes(strip, "rect", "data-date");
    assert_eq!(days.len(), 8);
    assert_eq!((days[0].as_str(), days[7].as_str()), ("2026-01-01", "2026-01-08"));
    let missing: Vec<String> = Regex::new(r#"class="day missing"[^>]*data-date="([^"]+)""#)
        .unwrap()
        .captures_iter(strip)
        .map(|c| c[1].to_string())
        .collect();
    assert_eq!(missing, ["2026-01-05"]);
}

#[test]
fn values_from_the_data_and_the_contract_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), "id,note\n1,ok\n2,<script>alert(1)</script>\n3,\"a\"\"b&c\"\n").unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "contract: x\ndataset: {path: d.csv}\nschema:\n  columns:\n    - name: id\n      type: int64\n    - name: note\n      type: string\n      description: \"<b>bold</b>\"\n      accepted_values: [ok]\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "--format", "html", "-o", "r.html"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert_eq!(html.matches("<script").count(), 1, "only the page's own script");
    assert!(html.contains("&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; ×1"), "the sample, as text");
    assert!(html.contains("&quot;a\\&quot;b&amp;c&quot;"));
    assert!(html.contains("description: &quot;&lt;b&gt;bold&lt;/b&gt;&quot;"), "the contract's text, as text");
    assert!(!html.contains("<b>bold"));

    let Some(browser) = Browser::find() else { return };
    let rendered = browser.render(&dir.path().join("r.html"));
    assert!(rendered.console.is_empty(), "console: {:?}", rendered.console);
    assert_eq!(rendered.dom.matches("<script").count(), 1);
    assert!(rendered.dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn thirty_partitions_make_a_page_under_a_megabyte() {
    let dir = tempfile::tempdir().unwrap();
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    for day in 0..30 {
        let date = start + chrono::Duration::days(day);
        let n = 200 + (day as usize % 7) * 10;
        let mut df = df!(
            "id" => (0..n as i64).map(|i| i + day * 1000).collect::<Vec<_>>(),
            "amount" => (0..n).map(|i| if i % 50 == 0 { -1.0 } else { i as f64 }).collect::<Vec<_>>(),
            "status" => (0..n).map(|i| if i % 40 == 0 { "lost" } else { "paid" }).collect::<Vec<_>>(),
        )
        .unwrap();
        write_parquet(&dir.path().join(format!("d/dt={date}/part-0.parquet")), &mut df);
    }
    std::fs::write(
        dir.path().join("c.yaml"),
        "contract: thirty\ndataset: {path: d, partitioning: {style: hive, key: dt}}\nschema:\n  columns:\n    - {name: id, type: int64, required: true, unique: true}\n    - {name: amount, type: float64, range: {min: 0}}\n    - {name: status, type: string, accepted_values: [paid, new]}\nchecks:\n  - row_count: {min: 1}\n  - row_count_anomaly: {method: median, window: 7, tolerance: 0.3}\n  - missing_partitions: {interval: 1d, lookback: 30}\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "--all-partitions", "--format", "html", "-o", "r.html"]);
    let took = started.elapsed();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let size = std::fs::metadata(dir.path().join("r.html")).unwrap().len();
    println!("30 partitions: {size} bytes, checked and written in {took:?} (dev build)");
    assert!(size < 1_000_000, "{size} bytes");
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert_eq!(attributes(figure(&html, "partitions-rows"), "rect", "data-value").len(), 30);
    assert_eq!(html.matches("<section class=\"result\"").count(), 30);
}

#[test]
fn history_page_charts_every_metric_with_the_bands_of_anomaly_checks() {
    let dir = tempfile::tempdir().unwrap();
    let data = repo().join("fixtures/orders_daily");
    std::fs::write(
        dir.path().join("c.yaml"),
        format!(
            "contract: mean_watch\ndataset: {{path: {}, partitioning: {{style: hive, key: dt}}}}\nschema:\n  columns:\n    - name: amount\n      type: float64\n      anomaly: {{metric: mean, method: median, window: 7, tolerance: 0.5, min_history: 2}}\n",
            data.display()
        ),
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "--all-partitions", "--history", "h.db", "-q"]);
    assert!(run.code <= 1, "{}", run.stderr);
    let listed = tollgate_in(dir.path(), &["history", "c.yaml", "--history", "h.db", "--format", "json"]).json();
    let metrics: std::collections::BTreeSet<&str> =
        listed.as_array().unwrap().iter().map(|m| m["metric"].as_str().unwrap()).collect();
    let page = tollgate_in(dir.path(), &["history", "c.yaml", "--history", "h.db", "--format", "html"]);
    assert_eq!(page.code, 0, "{}", page.stderr);
    assert_eq!(attributes(&page.stdout, "figure", "data-metric"), metrics.iter().copied().collect::<Vec<_>>());

    // The anomaly's series: each point's value, band and verdict as `history --metric` judges them.
    let judged = tollgate_in(
        dir.path(),
        &["history", "c.yaml", "--history", "h.db", "--metric", "amount.anomaly.mean", "-f", "json"],
    )
    .json();
    let judged = judged.as_array().unwrap();
    assert_eq!(judged.len(), 7);
    let chart = figure(&page.stdout, "metric-amount.anomaly.mean.value");
    let values: Vec<f64> = attributes(chart, "circle", "data-value").iter().map(|v| number(v)).collect();
    assert_eq!(values, judged.iter().map(|p| p["value"].as_f64().unwrap()).collect::<Vec<_>>());
    let classes = attributes(chart, "circle", "class");
    let statuses: Vec<String> = judged.iter().map(|p| format!("point {}", p["status"].as_str().unwrap())).collect();
    assert_eq!(classes, statuses);
    let banded = judged.iter().filter(|p| p.get("lower").is_some()).count();
    assert_eq!(attributes(chart, "rect", "data-partition").len(), banded);
    assert_eq!(banded, 5, "min_history 2 leaves the first two unjudged");
}

#[test]
fn html_snapshots() {
    let volatile = |html: &str| {
        let html = Regex::new(r"\d+ ms").unwrap().replace_all(html, "[ms] ms").into_owned();
        let html = Regex::new(r"<td class=.num.>\d+</td></tr>")
            .unwrap()
            .replace_all(&html, "<td class=\"num\">[ms]</td></tr>");
        Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap().replace_all(&html, "[generated]").into_owned()
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("orders_html", vec!["check", "contracts/orders.yaml", "--now", "2026-01-11T00:00:00Z"]),
        ("orders_daily_html", vec!["check", "contracts/orders_daily.yaml", "--all-partitions"]),
    ] {
        let page = dir.path().join(format!("{name}.html"));
        let mut all = args.clone();
        all.extend(["--format", "html", "-o", page.to_str().unwrap()]);
        tollgate(&all);
        // The page's own style and script are the same in every report: the snapshot is `<main>`.
        let html = std::fs::read_to_string(&page).unwrap();
        let main = &html[html.find("<main>").unwrap()..html.find("</main>").unwrap()];
        insta::assert_snapshot!(name, volatile(main));
    }
}
