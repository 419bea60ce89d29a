//! The fault matrix: every bad input gets its documented exit code and a message naming the
//! file, and never a panic (the helper fails the test on any panic text).

use std::path::Path;

use crate::common::*;

fn contract(dir: &Path, data: &str, extra: &str) -> String {
    let path = dir.join("c.yaml");
    std::fs::write(&path, format!("contract: f\ndataset: {{path: \"{data}\"{extra}}}\nschema:\n  columns:\n    - {{name: a, type: int64, required: true}}\n")).unwrap();
    path.to_string_lossy().into_owned()
}

fn expect(dir: &Path, data: &str, extra: &str, code: i32, names: &str) -> Run {
    let c = contract(dir, data, extra);
    let run = tollgate(&["check", &c, "--format", "json"]);
    assert_eq!(run.code, code, "{data}: stdout {} stderr {}", run.stdout, run.stderr);
    assert!(run.stderr.contains(names), "{data}: the message must name {names}: {}", run.stderr);
    run
}

#[test]
fn missing_path() {
    let dir = tempfile::tempdir().unwrap();
    expect(dir.path(), "nope.parquet", "", 3, "nope.parquet");
    expect(dir.path(), "nowhere/*.parquet", "", 3, "nowhere");
}

#[test]
fn zero_byte_and_truncated_parquet() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("zero.parquet"), b"").unwrap();
    expect(dir.path(), "zero.parquet", "", 3, "zero.parquet");
    let good = std::fs::read(repo().join("fixtures/orders.parquet")).unwrap();
    std::fs::write(dir.path().join("cut.parquet"), &good[..good.len() / 2]).unwrap();
    expect(dir.path(), "cut.parquet", "", 3, "cut.parquet");
    // A corrupt file among good ones is named, not the folder.
    let folder = dir.path().join("mixed");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("a.parquet"), &good).unwrap();
    std::fs::write(folder.join("b.parquet"), &good[..100]).unwrap();
    expect(dir.path(), "mixed", "", 3, "b.parquet");
}

/// Polars' footer decoder panics on some malformed footers: each is a data error naming the
/// file (exit 3), or, where the damage leaves a valid footer, an ordinary report.
#[test]
fn damaged_footers_are_unreadable_files_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(repo().join("fixtures/orders.parquet")).unwrap();
    let footer_len = u32::from_le_bytes(good[good.len() - 8..good.len() - 4].try_into().unwrap()) as usize;
    let contract = dir.path().join("c.yaml");
    std::fs::write(
        &contract,
        "contract: f\ndataset: {path: f.parquet}\nschema:\n  columns:\n    - {name: order_id, required: true, unique: true, range: {min: 0}}\nchecks:\n  - freshness: {column: created_at, max_age: 1d}\n",
    )
    .unwrap();
    let mut unreadable = 0;
    for at in (good.len() - 8 - footer_len..good.len() - 8).step_by(11) {
        let mut bad = good.clone();
        bad[at] ^= 0xA5;
        std::fs::write(dir.path().join("f.parquet"), &bad).unwrap();
        let run = tollgate_in(dir.path(), &["check", "c.yaml", "--format", "json", "--now", "2026-01-11T00:00:00Z"]);
        assert!([0, 1, 3].contains(&run.code) && !run.stderr.contains("internal error"), "byte {at}: {}", run.stderr);
        if run.code == 3 {
            assert!(run.stderr.contains("f.parquet"), "byte {at}: {}", run.stderr);
            unreadable += 1;
        }
    }
    assert!(unreadable > 0, "some damage must make the footer unreadable");
}

#[test]
fn ragged_and_non_utf8_csv() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("long.csv"), "a,b\n1,2\n3,4,5\n").unwrap();
    let r = expect(dir.path(), "long.csv", "", 3, "long.csv");
    assert!(r.stderr.contains("line 3"), "{}", r.stderr);
    std::fs::write(dir.path().join("short.csv"), "a,b\n1,2\n3\n").unwrap();
    expect(dir.path(), "short.csv", "", 3, "short.csv");
    std::fs::write(dir.path().join("latin1.csv"), b"a,b\n1,caf\xe9\n").unwrap();
    let r = expect(dir.path(), "latin1.csv", "", 3, "latin1.csv");
    assert!(r.stderr.contains("UTF-8"));
}

#[test]
fn folders_without_data_or_with_mixed_formats() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    std::fs::write(dir.path().join("empty/_SUCCESS"), b"").unwrap();
    expect(dir.path(), "empty", "", 3, "empty");
    let mixed = dir.path().join("both");
    std::fs::create_dir(&mixed).unwrap();
    std::fs::write(mixed.join("a.csv"), "a\n1\n").unwrap();
    std::fs::copy(repo().join("fixtures/orders.parquet"), mixed.join("b.parquet")).unwrap();
    let r = expect(dir.path(), "both", "", 3, "both");
    assert!(r.stderr.contains("format"), "{}", r.stderr);
    // Declaring the format picks one kind of file.
    let c = contract(dir.path(), "both", ", format: csv");
    assert_eq!(tollgate(&["check", &c]).code, 0);
}

#[test]
fn permission_denied() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("locked.csv");
    std::fs::write(&f, "a\n1\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&f).is_ok() {
        return; // running as root: permissions do not apply
    }
    expect(dir.path(), "locked.csv", "", 3, "locked.csv");
}

#[test]
fn all_null_column_and_huge_strings() {
    let dir = tempfile::tempdir().unwrap();
    let huge = "x".repeat(5_000_000);
    std::fs::write(dir.path().join("d.csv"), format!("a,s\n,{huge}\n,y\n")).unwrap();
    let path = dir.path().join("c.yaml");
    std::fs::write(&path, "contract: f\ndataset: {path: d.csv}\nschema:\n  columns:\n    - {name: a, type: int64, required: true, range: {min: 0}}\n    - {name: s, length: {max: 10}, pattern: \"^x+$\"}\n").unwrap();
    let run = tollgate(&["check", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 1);
    let r = run.json();
    assert_eq!(check(&r, "a.required")["failures"], 2);
    assert_eq!(check(&r, "a.range")["failures"], 0);
    assert_eq!(check(&r, "s.length")["failures"], 1);
    assert_eq!(check(&r, "s.pattern")["failures"], 1);
}

#[test]
fn invalid_contracts_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("not yaml: [", "invalid YAML"),
        ("- a\n- b\n", "must be a mapping"),
        ("contract: x\n", "needs a `dataset`"),
        (
            "contract: x\ndataset: {path: d}\nschema:\n  columns:\n    - {name: a, range: {max: 1, min: 2}}\n",
            "greater than",
        ),
        ("contract: x\ndataset: {path: d}\nchecks:\n  - row_count: {min: 5, max: 1}\n", "greater than"),
        (
            "contract: x\ndataset: {path: d}\nschema:\n  columns:\n    - {name: a, null_rate: {max: -0.1}}\n",
            "outside 0..1",
        ),
        (
            "contract: x\ndataset: {path: d}\nschema:\n  columns:\n    - {name: a, pattern: \"(?=a)\"}\n",
            "invalid pattern",
        ),
        ("contract: x\ndataset: {path: d}\nchecks:\n  - freshness: {column: t, max_age: soon}\n", "duration"),
        ("", "empty"),
    ];
    for (i, (text, message)) in cases.iter().enumerate() {
        let f = dir.path().join(format!("c{i}.yaml"));
        std::fs::write(&f, text).unwrap();
        let run = tollgate(&["validate", f.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{text}");
        assert!(run.stderr.contains(message), "{text}: {}", run.stderr);
        assert!(run.stderr.contains(&format!("c{i}.yaml:")), "{}", run.stderr);
    }
}

#[test]
fn alias_bomb_and_deep_nesting_are_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a".to_string();
    for n in names {
        bomb.push_str(&format!(
            "{n}: &{n} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
        prev = n.to_string();
    }
    let f = dir.path().join("bomb.yaml");
    std::fs::write(&f, bomb).unwrap();
    let started = std::time::Instant::now();
    let run = tollgate(&["validate", f.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("10000"), "{}", run.stderr);
    assert!(started.elapsed().as_secs() < 10);
    let deep = dir.path().join("deep.yaml");
    std::fs::write(&deep, format!("contract: {}{}", "[".repeat(5000), "]".repeat(5000))).unwrap();
    let run = tollgate(&["validate", deep.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("deeper than 64"), "{}", run.stderr);
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(tollgate(&["check"]).code, 2);
    assert_eq!(tollgate(&["check", "contracts/orders.yaml", "--now", "yesterday"]).code, 2);
    assert_eq!(tollgate(&["check", "contracts/orders.yaml", "--partition", "x", "--all-partitions"]).code, 2);
    assert_eq!(tollgate(&["frobnicate"]).code, 2);
}

#[test]
fn unreadable_reference_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.yaml");
    std::fs::write(&c, format!("contract: r\ndataset: {{path: {}}}\nchecks:\n  - references: {{column: customer_id, dataset: missing.parquet, key: id}}\n", repo().join("fixtures/orders.parquet").display())).unwrap();
    let run = tollgate(&["check", c.to_str().unwrap()]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("missing.parquet"));
}

#[test]
fn input_files_are_never_modified() {
    let before = std::fs::read(repo().join("fixtures/orders.parquet")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _ = tollgate(&["check", "contracts/orders.yaml", "--output", dir.path().join("r.json").to_str().unwrap()]);
    assert_eq!(std::fs::read(repo().join("fixtures/orders.parquet")).unwrap(), before);
}

#[test]
fn a_file_whose_values_contradict_its_own_footer_is_named_corrupt() {
    // pyarrow's files (fixtures/corrupt/make.py): p2's `id` pages are damaged, its footer intact.
    let run = tollgate(&["check", "fixtures/corrupt/contract.yaml"]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains("p2.parquet") && !said.contains("p0.parquet"), "{said}");
    assert!(said.contains("corrupt") && said.contains("`id`"), "{said}");
    // Not advice to read the garbage without the footers.
    assert!(!said.contains("--no-statistics"), "{said}");
}
