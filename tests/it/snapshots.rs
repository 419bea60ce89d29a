//! insta snapshots of the reports people and programs read.

use crate::common::*;

fn redact_durations(text: &str) -> String {
    let re = regex::Regex::new(r#""duration_ms": \d+"#).unwrap();
    re.replace_all(text, "\"duration_ms\": \"[ms]\"").into_owned()
}

#[test]
fn table_report() {
    let run = tollgate(&["check", "contracts/orders.yaml", "--now", "2026-01-11T00:00:00Z"]);
    insta::assert_snapshot!("orders_table", run.stdout);
}

#[test]
fn json_report() {
    let run = tollgate(&["check", "contracts/orders.yaml", "--now", "2026-01-11T00:00:00Z", "--format", "json"]);
    insta::assert_snapshot!("orders_json", redact_durations(&run.stdout));
}

#[test]
fn partitioned_json_report() {
    let run = tollgate(&["check", "contracts/orders_daily.yaml", "--format", "json"]);
    insta::assert_snapshot!("orders_daily_json", redact_durations(&run.stdout));
}

#[test]
fn validate_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "contract: Orders!\ndataset: {path: x.parquet, fromat: csv}\nschema:\n  columns:\n    - name: a\n      type: strnig\n      accepted_values: []\n      null_rate: {max: 2}\nchecks:\n  - row_cnt: {min: 1}\n",
    )
    .unwrap();
    let run = tollgate_in(dir.path(), &["validate", "bad.yaml"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("validate_diagnostics", run.stderr);
}

/// Runs the binary under a pseudo-terminal `cols` wide (util-linux `script`), as a person would.
fn in_terminal(cols: u16, env: &[(&str, &str)], args: &str) -> String {
    let bin = env!("CARGO_BIN_EXE_tollgate");
    let out = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &format!("stty cols {cols} rows 60; exec {bin} {args}"), "/dev/null"])
        .current_dir(repo())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS")
        .env("CI", "1") // no spinner in the captured terminal
        .envs(env.iter().copied())
        .output()
        .expect("script(1) from util-linux runs the binary under a pty");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

/// crossterm's red (ANSI 256-colour 9).
const RED: &str = "\u{1b}[38;5;9m";

const ORDERS: &str = "check contracts/orders.yaml --now 2026-01-11T00:00:00Z";

#[test]
fn table_in_a_terminal_fits_its_width_with_colour() {
    for cols in [80u16, 120] {
        let coloured = in_terminal(cols, &[("TERM", "xterm")], ORDERS);
        assert!(coloured.contains(RED), "fail is red on a terminal:\n{coloured}");
        insta::assert_snapshot!(format!("orders_table_tty_{cols}_colour"), coloured);
        let plain = in_terminal(cols, &[("TERM", "xterm"), ("NO_COLOR", "1")], ORDERS);
        assert!(!plain.contains('\u{1b}'), "NO_COLOR turns colour off:\n{plain}");
        for line in plain.lines() {
            assert!(line.chars().count() <= cols as usize, "wider than {cols}: {line}");
        }
        insta::assert_snapshot!(format!("orders_table_tty_{cols}_plain"), plain);
    }
}

#[test]
fn colour_only_where_asked_when_piped() {
    let piped = tollgate(&["check", "contracts/orders.yaml", "--now", "2026-01-11T00:00:00Z"]);
    assert!(!piped.stdout.contains('\u{1b}'));
    let forced = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["check", "contracts/orders.yaml", "--now", "2026-01-11T00:00:00Z"])
        .current_dir(repo())
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&forced.stdout).contains(RED));
    let always = tollgate(&["check", "contracts/orders.yaml", "--now", "2026-01-11T00:00:00Z", "--color", "always"]);
    assert!(always.stdout.contains(RED));
    let never = tollgate_in(&repo(), &["check", "contracts/orders.yaml", "--color", "never"]);
    assert!(!never.stdout.contains('\u{1b}'));
}

#[test]
fn table_lists_passes_when_asked_and_sums_up_partitions() {
    let all = tollgate(&["check", "contracts/orders.yaml", "--now", "2026-01-11T00:00:00Z", "--show", "passed"]);
    assert!(all.stdout.contains("order_id.required"), "{}", all.stdout);
    assert!(!all.stdout.contains("not shown"));
    let folded = tollgate(&["check", "contracts/orders.yaml", "--now", "2026-01-11T00:00:00Z"]);
    assert!(!folded.stdout.contains("order_id.required"));
    assert!(folded.stdout.contains("13 passing checks not shown"), "{}", folded.stdout);
    // Failures first: the only failing check is the first row.
    let first_row = folded.stdout.lines().nth(4).unwrap();
    assert!(first_row.contains("fail") && first_row.contains("amount.range"), "{first_row}");
    let every = tollgate(&["check", "contracts/orders_daily.yaml", "--all-partitions", "--now", "2026-01-11"]);
    let last = every.stdout.lines().last().unwrap();
    assert_eq!(last, "7 partitions: 4 passed, 3 failed", "{}", every.stdout);
    assert!(!every.stdout.ends_with("\n\n"), "no trailing blank line");
}
