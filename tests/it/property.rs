//! The vectorized engine against a plain row-by-row reference of every rule, on random tables
//! with nulls, NaN, unicode and empty tables. `failures` must be identical.

use std::collections::HashMap;

use crate::common::*;
use polars::prelude::*;
use proptest::prelude::*;

const FLOATS: [f64; 7] = [f64::NAN, -1.5, 0.0, 2.5, 5.0, 10.0, f64::INFINITY];
const STRINGS: [&str; 9] = ["", "a", "ab", "abc", "é", "日本語", "A1", "zz\n", "ab"];
const TOKENS: [&str; 9] = ["1", "-2", "x", "1.5", "", "+3", "007", "99999999999999999999", " 4"];

#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) ints: Vec<Option<i64>>,
    floats: Vec<Option<f64>>,
    strings: Vec<Option<String>>,
}

pub(crate) fn table() -> impl Strategy<Value = Table> {
    (0usize..30).prop_flat_map(|n| {
        (
            proptest::collection::vec(proptest::option::weighted(0.8, -5i64..5), n),
            proptest::collection::vec(proptest::option::weighted(0.8, 0usize..FLOATS.len()), n),
            proptest::collection::vec(proptest::option::weighted(0.8, 0usize..STRINGS.len()), n),
        )
            .prop_map(|(ints, f, s)| Table {
                ints,
                floats: f.into_iter().map(|i| i.map(|i| FLOATS[i])).collect(),
                strings: s.into_iter().map(|i| i.map(|i| STRINGS[i].to_string())).collect(),
            })
    })
}

pub(crate) const COLUMNS: &str = "    - {name: i, required: true, unique: true, range: {min: -2, max: 3}, accepted_values: [0, 1, 2], null_rate: {max: 0.5}}
    - {name: f, unique: true, range: {min: 0, max: 5}, accepted_values: [0, 2.5], required: true}
    - {name: s, required: true, unique: true, pattern: \"^[a-zé]+$\", length: {min: 1, max: 2}, accepted_values: [a, ab, é]}
";

fn count<T>(values: &[Option<T>], fails: impl Fn(&T) -> bool) -> u64 {
    values.iter().flatten().filter(|v| fails(v)).count() as u64
}

fn duplicates<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = K>) -> u64 {
    let mut seen: HashMap<K, u64> = HashMap::new();
    let mut n = 0;
    for k in keys {
        *seen.entry(k).or_default() += 1;
        n += 1;
    }
    n - seen.len() as u64
}

/// Row-by-row reference semantics of SPEC §1.
pub(crate) fn reference(t: &Table) -> HashMap<&'static str, u64> {
    let nulls = |n: usize| n as u64;
    let float_key = |f: &f64| if f.is_nan() { u64::MAX } else { f.to_bits() };
    let mut out = HashMap::new();
    out.insert("i.required", nulls(t.ints.iter().filter(|v| v.is_none()).count()));
    out.insert("i.null_rate", nulls(t.ints.iter().filter(|v| v.is_none()).count()));
    out.insert("i.unique", duplicates(t.ints.iter().flatten()));
    out.insert("i.range", count(&t.ints, |v| *v < -2 || *v > 3));
    out.insert("i.accepted_values", count(&t.ints, |v| ![0, 1, 2].contains(v)));
    out.insert("f.required", nulls(t.floats.iter().filter(|v| v.is_none()).count()));
    out.insert("f.unique", duplicates(t.floats.iter().flatten().map(float_key)));
    out.insert("f.range", count(&t.floats, |v| v.is_nan() || *v < 0.0 || *v > 5.0));
    out.insert("f.accepted_values", count(&t.floats, |v| !(*v == 0.0 || *v == 2.5)));
    out.insert("s.required", nulls(t.strings.iter().filter(|v| v.is_none()).count()));
    out.insert("s.unique", duplicates(t.strings.iter().flatten()));
    out.insert(
        "s.pattern",
        count(&t.strings, |v| v.is_empty() || !v.chars().all(|c| c.is_ascii_lowercase() || c == 'é')),
    );
    out.insert("s.length", count(&t.strings, |v| !(1..=2).contains(&v.chars().count())));
    out.insert("s.accepted_values", count(&t.strings, |v| !["a", "ab", "é"].contains(&v.as_str())));
    out
}

/// `t` as a Parquet file in row groups of `row_group` rows, and the contract of [`COLUMNS`] over it.
pub(crate) fn write_table(t: &Table, row_group: usize) -> (tempfile::TempDir, tollgate::contract::Contract) {
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("i".into(), t.ints.clone()),
        Column::new("f".into(), t.floats.clone()),
        Column::new("s".into(), t.strings.clone()),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::create(dir.path().join("data.parquet")).unwrap();
    ParquetWriter::new(file).with_row_group_size(Some(row_group)).finish(&mut df).unwrap();
    let yaml = format!("contract: t\ndataset: {{path: data.parquet}}\nschema:\n  columns:\n{COLUMNS}");
    let contract = contract_in(dir.path(), &yaml);
    (dir, contract)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    /// Small row groups, so footer statistics (which answer `i`'s null counts and, when they
    /// hold, its bounds) are merged over several groups.
    fn engine_matches_reference(t in table(), row_group in 1usize..8) {
        let (_dir, contract) = write_table(&t, row_group);
        let result = evaluate(&contract);
        prop_assert_eq!(result.rows, Some(t.ints.len() as u64));
        for (id, expected) in reference(&t) {
            prop_assert_eq!(by_id(&result, id).failures, Some(expected), "{}", id);
        }
    }

    #[test]
    fn csv_parsing_matches_reference(tokens in proptest::collection::vec(0usize..TOKENS.len(), 0..20)) {
        let mut text = String::from("n\n");
        for t in &tokens {
            text.push_str(TOKENS[*t]);
            text.push('\n');
        }
        let result = run_csv(&text, "", "    - {name: n, type: int64, required: true, unique: true, range: {min: 0}}\n");
        let parsed: Vec<Option<Result<i64, ()>>> = tokens.iter().map(|t| {
            let s = TOKENS[*t];
            if s.is_empty() { None } else { Some(s.parse::<i64>().map_err(|_| ())) }
        }).collect();
        let unparsable = parsed.iter().filter(|p| matches!(p, Some(Err(_)))).count() as u64;
        let nulls = parsed.iter().filter(|p| p.is_none()).count() as u64;
        let values: Vec<i64> = parsed.iter().filter_map(|p| (*p)?.ok()).collect();
        prop_assert_eq!(by_id(&result, "n.type").failures, Some(unparsable));
        prop_assert_eq!(by_id(&result, "n.required").failures, Some(nulls));
        prop_assert_eq!(by_id(&result, "n.unique").failures, Some(duplicates(values.iter())));
        prop_assert_eq!(by_id(&result, "n.range").failures, Some(values.iter().filter(|v| **v < 0).count() as u64));
    }
}
