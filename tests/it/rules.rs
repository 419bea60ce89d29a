//! Edge semantics of every rule (SPEC §1), on small tables whose answers are known.

use crate::common::*;
use polars::prelude::*;
use tollgate::report::Status;

fn failures(r: &tollgate::report::ResultReport, id: &str) -> Option<u64> {
    by_id(r, id).failures
}

#[test]
fn nulls_fail_only_required_and_null_rate() {
    let mut df = df!(
        "n" => [Some(1i64), None, Some(1), None, Some(2)],
        "s" => [Some("a"), None, None, Some("zz"), Some("a")],
    )
    .unwrap();
    let r = run_rules(
        &mut df,
        "    - {name: n, required: true, unique: true, range: {min: 1, max: 1}, accepted_values: [1]}\n    - {name: s, pattern: \"^a$\", length: {max: 1}, null_rate: {max: 0.4}}\n",
    );
    assert_eq!(failures(&r, "n.required"), Some(2));
    assert_eq!(failures(&r, "n.unique"), Some(1)); // 3 non-null values, 2 distinct
    assert_eq!(failures(&r, "n.range"), Some(1)); // only the 2
    assert_eq!(failures(&r, "n.accepted_values"), Some(1));
    assert_eq!(failures(&r, "s.pattern"), Some(1)); // "zz"
    assert_eq!(failures(&r, "s.length"), Some(1));
    assert_eq!(failures(&r, "s.null_rate"), Some(2));
    assert_eq!(by_id(&r, "s.null_rate").status, Status::Pass, "2/5 = 0.4 equals max");
}

#[test]
fn nan_is_a_value_that_fails_range() {
    let mut df = df!("x" => [Some(1.0f64), Some(f64::NAN), None, Some(5.0), Some(f64::INFINITY)]).unwrap();
    let r = run_rules(&mut df, "    - {name: x, range: {min: 0}, accepted_values: [1, 5.0]}\n");
    assert_eq!(failures(&r, "x.range"), Some(1), "NaN fails even a min-only range; inf is >= 0");
    assert_eq!(failures(&r, "x.accepted_values"), Some(2), "NaN and inf are not listed; 1 matches 1.0");
    let mut df = df!("x" => [Some(1.0f64), Some(f64::NAN)]).unwrap();
    let r = run_rules(&mut df, "    - {name: x, range: {max: 10}}\n");
    assert_eq!(failures(&r, "x.range"), Some(1));
}

#[test]
fn unique_counts_extra_occurrences() {
    let mut df = df!("k" => [Some("a"), Some("a"), Some("a"), Some("b"), None, None]).unwrap();
    let r = run_rules(&mut df, "    - {name: k, unique: true}\n");
    assert_eq!(failures(&r, "k.unique"), Some(2));
    assert_eq!(by_id(&r, "k.unique").sample, vec![serde_json::json!("a")]);
}

#[test]
fn accepted_values_convert_to_the_column_type() {
    let mut df = df!("f" => [1.0f64, 2.0, 3.5], "s" => ["1", "2", "x"], "i" => [1i32, 2, 3]).unwrap();
    let r = run_rules(
        &mut df,
        "    - {name: f, accepted_values: [1, 2.0]}\n    - {name: s, accepted_values: [1, 2]}\n    - {name: i, accepted_values: [1, \"2\", 3.0]}\n",
    );
    assert_eq!(failures(&r, "f.accepted_values"), Some(1));
    assert_eq!(failures(&r, "s.accepted_values"), Some(1));
    assert_eq!(failures(&r, "i.accepted_values"), Some(0));
    let r = run_rules(&mut df, "    - {name: i, accepted_values: [1, 2.5]}\n");
    assert_eq!(by_id(&r, "i.accepted_values").status, Status::Error, "2.5 does not convert to an integer");
}

#[test]
fn rules_that_cannot_apply_report_error() {
    let mut df = df!("s" => ["a", "b"], "n" => [1i64, 2]).unwrap();
    let r = run_rules(
        &mut df,
        "    - {name: s, range: {min: 0, max: 5}}\n    - {name: n, length: {max: 3}, pattern: \"^1$\"}\n",
    );
    for id in ["s.range", "n.length", "n.pattern"] {
        let c = by_id(&r, id);
        assert_eq!(c.status, Status::Error, "{id}");
        assert_eq!(c.failures, None);
        assert!(!c.message.is_empty());
    }
    assert_eq!(r.status, Status::Error);
}

#[test]
fn string_range_with_text_bounds_compares_as_text() {
    let mut df = df!("s" => ["apple", "kiwi", "zebra"]).unwrap();
    let r = run_rules(&mut df, "    - {name: s, range: {min: b, max: m}}\n");
    assert_eq!(failures(&r, "s.range"), Some(2));
}

#[test]
fn integer_column_with_fractional_bounds() {
    let mut df = df!("i" => [1i64, 2, 3, 4]).unwrap();
    let r = run_rules(&mut df, "    - {name: i, range: {min: 1.5, max: 3.5}}\n");
    assert_eq!(failures(&r, "i.range"), Some(2));
}

#[test]
fn length_counts_code_points() {
    let mut df = df!("s" => ["héllo", "日本", "abcdef", "👍🏽"]).unwrap();
    let r = run_rules(&mut df, "    - {name: s, length: {min: 2, max: 5}}\n");
    assert_eq!(failures(&r, "s.length"), Some(1), "only abcdef (6); 👍🏽 is two code points");
}

#[test]
fn pattern_must_match_whole_value_and_dot_skips_newline() {
    let mut df = df!("s" => ["abc", "b", "a\nb", "axb"]).unwrap();
    let r = run_rules(&mut df, "    - {name: s, pattern: \"b\"}\n");
    assert_eq!(failures(&r, "s.pattern"), Some(3));
    let r = run_rules(&mut df, "    - {name: s, pattern: \"a.b\"}\n");
    assert_eq!(failures(&r, "s.pattern"), Some(3), "a\\nb does not match a.b");
    let r = run_rules(&mut df, "    - {name: s, pattern: \"b|abc\"}\n");
    assert_eq!(failures(&r, "s.pattern"), Some(2), "alternation is anchored as a whole");
}

#[test]
fn empty_table_passes_rules_and_fails_row_count() {
    let mut df = df!("x" => Vec::<i64>::new()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_parquet(&dir.path().join("e.parquet"), &mut df);
    let c = contract_in(
        dir.path(),
        "contract: e\ndataset: {path: e.parquet}\nschema:\n  columns:\n    - {name: x, required: true, unique: true, null_rate: {max: 0}, range: {min: 0}}\nchecks:\n  - row_count: {min: 1}\n  - freshness: {column: x, max_age: 1d}\n",
    );
    let r = evaluate(&c);
    assert_eq!(r.rows, Some(0));
    for id in ["x.required", "x.unique", "x.null_rate", "x.range"] {
        assert_eq!(by_id(&r, id).status, Status::Pass, "{id}");
    }
    assert_eq!(by_id(&r, "row_count").status, Status::Fail);
    assert_eq!(by_id(&r, "freshness").status, Status::Error, "freshness needs a temporal column");
}

#[test]
fn thresholds_count_and_rate() {
    let mut df =
        df!("x" => [Some(1i64), None, None, Some(4), Some(5), Some(6), Some(7), Some(8), Some(9), Some(10)]).unwrap();
    let r = run_rules(&mut df, "    - {name: x, required: {max_failures: 2}}\n");
    assert_eq!(by_id(&r, "x.required").status, Status::Pass);
    let r = run_rules(&mut df, "    - {name: x, required: {max_failure_rate: 0.1}}\n");
    assert_eq!(by_id(&r, "x.required").status, Status::Fail, "2/10 > 0.1");
    // Rate denominator for range is the non-null values: 1 of 8 = 0.125.
    let r = run_rules(&mut df, "    - {name: x, range: {max: 9, max_failure_rate: 0.125}}\n");
    assert_eq!(by_id(&r, "x.range").status, Status::Pass);
    let r = run_rules(&mut df, "    - {name: x, range: {max: 9, max_failures: 5, max_failure_rate: 0.1}}\n");
    assert_eq!(by_id(&r, "x.range").status, Status::Fail, "both limits must hold");
}

#[test]
fn parquet_type_mismatch_reports_actual_type() {
    let mut df = df!("i" => [1i32, 2], "t" => ["a", "b"]).unwrap();
    let r = run_rules(&mut df, "    - {name: i, type: int64, range: {max: 1}}\n    - {name: t, type: string}\n");
    let c = by_id(&r, "i.type");
    assert_eq!(c.status, Status::Fail);
    assert_eq!(c.failures, None);
    assert_eq!(c.observed, serde_json::json!("int32"));
    assert_eq!(failures(&r, "i.range"), Some(1), "other rules still run");
    assert_eq!(failures(&r, "t.type"), Some(0));
    let r = run_rules(&mut df, "    - {name: i, type: integer}\n    - {name: i2, type: number}\n");
    assert_eq!(by_id(&r, "i.type").status, Status::Pass);
    assert_eq!(by_id(&r, "i2.type").status, Status::Error, "missing column");
    assert_eq!(by_id(&r, "schema").failures, Some(1));
}

#[test]
fn temporal_ranges_take_iso_strings() {
    let days: Vec<i32> = vec![20460, 20465, 20470]; // 2026-01-07, 2026-01-12, 2026-01-17
    let d = Series::new("d".into(), days).cast(&DataType::Date).unwrap();
    let ts = Series::new("ts".into(), vec![0i64, 3_600_000, 7_200_000])
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
        .unwrap();
    let mut df = DataFrame::new_infer_height(vec![d.into(), ts.into()]).unwrap();
    let r = run_rules(
        &mut df,
        "    - {name: d, range: {min: \"2026-01-10\", max: \"2026-01-15\"}, accepted_values: [\"2026-01-12\"]}\n    - {name: ts, type: timestamp, range: {max: \"1970-01-01T01:00:00Z\"}}\n",
    );
    assert_eq!(failures(&r, "d.range"), Some(2));
    assert_eq!(failures(&r, "d.accepted_values"), Some(2));
    assert_eq!(failures(&r, "ts.range"), Some(1));
    assert_eq!(by_id(&r, "ts.type").status, Status::Pass);
}

#[test]
fn compound_unique_ignores_partial_keys() {
    let mut df = df!(
        "a" => [Some(1i64), Some(1), Some(1), Some(2), None, None],
        "b" => [Some("x"), Some("x"), Some("y"), Some("x"), Some("x"), Some("x")],
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_parquet(&dir.path().join("d.parquet"), &mut df);
    let c = contract_in(
        dir.path(),
        "contract: u\ndataset: {path: d.parquet}\nchecks:\n  - unique: {columns: [a, b]}\n    name: key\n",
    );
    let r = evaluate(&c);
    let k = by_id(&r, "key");
    assert_eq!(k.failures, Some(1));
    assert_eq!(k.sample, vec![serde_json::json!([1, "x"])]);
}

#[test]
fn csv_semantics() {
    let text = "a,b,c,d\n1,TRUE,2026-01-01T10:00:00Z,x\n,False,2026-01-01 11:00:00,NULL\nNULL,maybe,bad,\n 4,true,2026-01-02,y\n";
    // Default null markers: only the empty field; "NULL" is text, so it fails int parsing.
    let r = run_csv(text, "", "    - {name: a, type: int64, required: true}\n    - {name: b, type: bool}\n    - {name: c, type: timestamp}\n    - {name: d, null_rate: {max: 0.5}}\n");
    assert_eq!(failures(&r, "a.type"), Some(2), "NULL and ' 4' do not parse");
    assert_eq!(failures(&r, "a.required"), Some(1), "unparsable values are not nulls");
    assert_eq!(failures(&r, "b.type"), Some(1));
    assert_eq!(failures(&r, "c.type"), Some(1));
    assert_eq!(failures(&r, "d.null_rate"), Some(1));
    // A contract's null_values replace the default: the empty field is now text, not null.
    let r = run_csv(
        text,
        ", csv: {null_values: [\"NULL\"]}",
        "    - {name: a, type: int64, required: true}\n    - {name: d, null_rate: {max: 0.5}}\n",
    );
    assert_eq!(failures(&r, "a.type"), Some(2), "'' and ' 4'");
    assert_eq!(failures(&r, "a.required"), Some(1), "NULL is null now");
    assert_eq!(failures(&r, "d.null_rate"), Some(1));
}

#[test]
fn csv_without_header_and_other_delimiter() {
    let r = run_csv(
        "1;a\n2;b\n2;c\n",
        ", csv: {header: false, delimiter: \";\"}",
        "    - {name: column_1, type: int64, unique: true}\n    - {name: column_2, accepted_values: [a, b]}\n",
    );
    assert_eq!(failures(&r, "column_1.unique"), Some(1));
    assert_eq!(failures(&r, "column_2.accepted_values"), Some(1));
}

#[test]
fn csv_type_inference_survives_a_late_surprise() {
    // Undeclared columns are typed from the first 10,000 rows; a text value after them must not
    // break the run (it is retried with inference over every row).
    let mut text = String::from("n,m\n");
    for i in 0..10_050 {
        text.push_str(&format!("{i},{}\n", if i == 10_040 { "abc".to_string() } else { i.to_string() }));
    }
    let r = run_csv(&text, "", "    - {name: n, unique: true}\n    - {name: m, accepted_values: [abc]}\n");
    assert_eq!(r.rows, Some(10_050));
    assert_eq!(by_id(&r, "m.accepted_values").failures, Some(10_049), "m is text: only 'abc' is accepted");
    assert_eq!(by_id(&r, "n.unique").failures, Some(0));
}

/// Footer statistics decide null counts, bounds that hold and the newest timestamp; anything
/// they cannot decide (NaN, values outside the bounds, files without statistics, null counts a
/// writer is known to get wrong) is read.
#[test]
fn parquet_statistics_answer_only_what_they_decide() {
    // Three row groups of 200 rows. Polars writes a chunk plain (not dictionary-encoded) when
    // it has over 128 mostly distinct values: `id`, `j`, `f`, `t` are plain, `c` is not.
    let rows: Vec<i64> = (0..600).collect();
    let g = 1_000_000_000i64;
    let newest = 1_768_089_600_000_000 - 2 * 3_600_000_000; // 2026-01-10T22:00Z
    let mut df = df!(
        "id" => rows.iter().map(|i| (i % 4 != 1).then_some(i * g + 1)).collect::<Vec<_>>(),
        "j" => rows.iter().map(|i| i * 1000).collect::<Vec<_>>(),
        "f" => rows.iter().map(|i| if *i == 7 { f64::NAN } else { *i as f64 * 0.01 }).collect::<Vec<_>>(),
        "t" => rows.iter().map(|i| (i % 10 != 3).then_some(newest - i * 60_000_000)).collect::<Vec<_>>(),
        // Dictionary-encoded with nulls, several pages per chunk: Polars' footer count is wrong.
        "c" => rows.iter().map(|i| (i % 5 != 0).then_some(i % 3)).collect::<Vec<_>>(),
    )
    .unwrap();
    df.apply("t", |c| c.cast(&DataType::Datetime(TimeUnit::Microseconds, None)).unwrap()).unwrap();
    let columns = "    - {name: id, required: true, null_rate: {max: 0.5}, range: {min: 1, max: 6e11}}
    - {name: j, range: {min: 0, max: 550000}}
    - {name: f, range: {min: 0, max: 10}}
    - {name: t, required: true}
    - {name: c, required: true}
checks:
  - freshness: {column: t, max_age: 1h}
";
    let from_footer = |r: &tollgate::report::ResultReport, id: &str| {
        by_id(r, id).details.as_ref().is_some_and(|d| d["source"] == "parquet statistics")
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.parquet");
    let yaml = format!("contract: t\ndataset: {{path: data.parquet}}\nschema:\n  columns:\n{columns}");
    let contract = contract_in(dir.path(), &yaml);
    // Small pages: several per chunk.
    let write = |statistics: StatisticsOptions, df: &mut DataFrame| {
        let file = std::fs::File::create(&path).unwrap();
        let writer = ParquetWriter::new(file).with_row_group_size(Some(200)).with_data_page_size(Some(256));
        writer.with_statistics(statistics).finish(df).unwrap();
    };
    write(StatisticsOptions::default(), &mut df);
    let dataset = tollgate::source::Dataset::open(&path, "d".into(), None, Default::default(), None).unwrap();
    let footer_nulls = |name: &str, dtype: DataType| {
        tollgate::statistics::column_stats(&dataset, &dataset.files, name, &dtype).and_then(|s| s.nulls)
    };
    assert_eq!(footer_nulls("id", DataType::Int64), Some(150));
    assert_eq!(footer_nulls("c", DataType::Int64), None, "Polars' dictionary null counts are not trusted");
    let stats_on = evaluate(&contract);
    let options = tollgate::engine::Options {
        now: "2026-01-11T00:00:00Z".parse().unwrap(),
        statistics: false,
        ..Default::default()
    };
    let stats_off = tollgate::engine::check_contract(&contract, &options).unwrap().remove(0);
    write(StatisticsOptions::empty(), &mut df);
    let no_stats_in_file = evaluate(&contract);

    let expected = [
        ("id.required", 150),
        ("id.null_rate", 150),
        ("id.range", 0),
        ("j.range", 49),
        ("f.range", 1),
        ("t.required", 60),
        ("c.required", 120),
        ("freshness", 1),
    ];
    for (id, n) in expected {
        for r in [&stats_on, &stats_off, &no_stats_in_file] {
            assert_eq!(failures(r, id), Some(n), "{id}");
            assert_eq!(by_id(r, id).status, by_id(&stats_on, id).status, "{id}");
        }
        assert!(!from_footer(&stats_off, id) && !from_footer(&no_stats_in_file, id), "{id}");
    }
    for id in ["id.required", "id.null_rate", "id.range", "t.required", "freshness"] {
        assert!(from_footer(&stats_on, id), "{id} should come from the footer");
    }
    for id in ["j.range", "f.range", "c.required"] {
        assert!(!from_footer(&stats_on, id), "{id}: outside the bounds, NaN or an untrusted count, so it is read");
    }
    assert_eq!(by_id(&stats_on, "freshness").observed, by_id(&stats_off, "freshness").observed);
    assert_eq!(by_id(&stats_on, "j.range").sample.len(), 5, "samples still come from the data");
}

/// Several CSV files: types come from the first file (read once, not per file); a later file
/// that does not fit is retried with full inference, and a first file without rows says nothing.
#[test]
fn csv_types_of_several_files() {
    let run = |files: &[(&str, &str)]| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join("data").join(name), text).unwrap();
        }
        let yaml = "contract: t\ndataset: {path: data}\nschema:\n  columns:\n    - {name: n, range: {min: 0, max: 10}}\n    - {name: d, range: {max: '2026-01-31'}}\n";
        evaluate(&contract_in(dir.path(), yaml))
    };
    let r = run(&[("a.csv", "n,d\n1,2026-01-01\n2,2026-01-02\n"), ("b.csv", "n,d\n30,2026-02-01\n4,2026-01-04\n")]);
    assert_eq!((by_id(&r, "n.range").failures, by_id(&r, "d.range").failures), (Some(1), Some(1)));
    assert_eq!(r.rows, Some(4));
    // `b.csv` holds text in `n`: the pass is retried with every row, so `n` is text and a numeric
    // range cannot apply; `d` is still a date.
    let r = run(&[("a.csv", "n,d\n1,2026-01-01\n"), ("b.csv", "n,d\nx,2026-02-01\n")]);
    assert_eq!(by_id(&r, "n.range").status, Status::Error);
    assert_eq!(by_id(&r, "d.range").failures, Some(1));
    // A first file with a header only: the types come from the others.
    let r = run(&[("a.csv", "n,d\n"), ("b.csv", "n,d\n11,2026-01-01\n")]);
    assert_eq!((by_id(&r, "n.range").failures, by_id(&r, "d.range").failures), (Some(1), Some(0)));
}

/// The samples of each check, as (value, count, first row) — what a faster evidence path must
/// keep giving (the most frequent failing values, ties by value, first occurrence).
fn samples_of(r: &tollgate::report::ResultReport, id: &str) -> Vec<(serde_json::Value, u64, Option<u64>)> {
    by_id(r, id)
        .samples
        .iter()
        .map(|s| (s["value"].clone(), s["count"].as_u64().unwrap(), s.get("row").and_then(|v| v.as_u64())))
        .collect()
}

#[test]
fn samples_of_every_rule_kind_on_failing_data() {
    use serde_json::json;
    // 12 rows. Failing values are placed so that counts and first rows are all different.
    let mut df = df!(
        "id" => [1i64, 2, 2, 3, 4, 4, 4, 5, 6, 7, 8, 9],
        "amount" => [5.0f64, -1.0, 20.0, -1.0, 7.0, 20.0, 20.0, f64::NAN, 1.0, 2.0, 3.0, 4.0],
        "status" => ["ok", "lost", "ok", "gone", "lost", "ok", "lost", "ok", "ok", "ok", "ok", "ok"],
        "code" => ["AB", "ab", "AB", "A1", "ab", "AB", "AB", "AB", "AB", "AB", "AB", "AB"],
        "name" => ["ann", "bo", "ann", "christopher", "bo", "ann", "ann", "ann", "ann", "ann", "ann", "ann"],
        "ref" => [Some(1i64), Some(9), Some(1), Some(9), Some(8), None, Some(1), Some(1), Some(1), Some(1), Some(1), Some(1)],
        "day" => [1i64, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2],
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_parquet(&dir.path().join("data.parquet"), &mut df);
    let mut keys = df!("k" => [1i64, 2, 3]).unwrap();
    write_parquet(&dir.path().join("keys.parquet"), &mut keys);
    let yaml = "contract: t\ndataset: {path: data.parquet}\nschema:\n  columns:\n    - {name: id, unique: true}\n    - {name: amount, range: {min: 0, max: 10}}\n    - {name: status, accepted_values: [ok]}\n    - {name: code, pattern: \"^[A-Z]{2}$\"}\n    - {name: name, length: {min: 3, max: 5}}\nchecks:\n  - references: {column: ref, dataset: keys.parquet, key: k}\n  - unique: {columns: [id, day]}\n";
    let r = evaluate(&contract_in(dir.path(), yaml));
    assert_eq!(failures(&r, "id.unique"), Some(3), "2 twice, 4 three times");
    assert_eq!(samples_of(&r, "id.unique"), [(json!(4), 3, Some(4)), (json!(2), 2, Some(1))]);
    assert_eq!(failures(&r, "amount.range"), Some(6), "-1 twice, 20 three times, NaN");
    assert_eq!(
        samples_of(&r, "amount.range"),
        [(json!(20.0), 3, Some(2)), (json!(-1.0), 2, Some(1)), (json!("NaN"), 1, Some(7))]
    );
    assert_eq!(samples_of(&r, "status.accepted_values"), [(json!("lost"), 3, Some(1)), (json!("gone"), 1, Some(3))]);
    assert_eq!(samples_of(&r, "code.pattern"), [(json!("ab"), 2, Some(1)), (json!("A1"), 1, Some(3))]);
    assert_eq!(samples_of(&r, "name.length"), [(json!("bo"), 2, Some(1)), (json!("christopher"), 1, Some(3))]);
    assert_eq!(failures(&r, "references"), Some(3), "9 twice and 8 have no key");
    assert_eq!(samples_of(&r, "references"), [(json!(9), 2, Some(1)), (json!(8), 1, Some(4))]);
    // (4, 1) twice within the compound key; (4, 2) once.
    assert_eq!(failures(&r, "unique"), Some(2));
    let compound = samples_of(&r, "unique");
    assert_eq!(
        compound,
        [(json!([2, 1]), 2, Some(1)), (json!([4, 1]), 2, Some(4))],
        "(2, 1) and (4, 1), ties by value"
    );
}

#[test]
fn duplicate_samples_from_the_key_bitmap_equal_the_grouped_ones() {
    // With footer statistics, `unique` counts integer keys in a bitmap and marks the repeated
    // ones, so its sample looks up those keys; without, it groups every key. Same answer.
    let dir = tempfile::tempdir().unwrap();
    let mut ids: Vec<i64> = (0..1000).collect();
    ids.extend([900, 5, 900]);
    write_parquet(&dir.path().join("d.parquet"), &mut df!("id" => ids).unwrap());
    std::fs::write(
        dir.path().join("c.yaml"),
        "contract: d\ndataset: {path: d.parquet}\nschema:\n  columns:\n    - {name: id, unique: true}\n",
    )
    .unwrap();
    let samples = |extra: &[&str]| {
        let mut args = vec!["check", "c.yaml", "-f", "json"];
        args.extend_from_slice(extra);
        let report = tollgate_in(dir.path(), &args).json();
        let c = check(&report, "id.unique").clone();
        (c["failures"].clone(), c["samples"].clone())
    };
    let from_bitmap = samples(&[]);
    assert_eq!(from_bitmap.0, 3);
    assert_eq!(
        from_bitmap.1,
        serde_json::json!([
            {"value": 900, "count": 3, "file": "d.parquet", "row": 900},
            {"value": 5, "count": 2, "file": "d.parquet", "row": 5},
        ])
    );
    assert_eq!(samples(&["--no-statistics"]), from_bitmap);
}
