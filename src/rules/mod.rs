//! Column rules. Each rule kind lives in its own file and compiles itself into Polars aggregate
//! expressions that the engine evaluates together in one pass.

mod accepted_values;
pub mod distinct_set;
pub mod key_set;
mod length;
mod null_rate;
mod pattern;
mod range;
mod required;
mod type_check;
mod unique;

use std::collections::HashMap;

use polars::prelude::*;
use serde_json::{json, Value};

use crate::contract::{ColumnRule, Limits, RuleKind};
pub use crate::statistics::ColumnStats;

/// One column as the rules see it.
#[derive(Clone)]
pub struct ColumnInput {
    pub name: String,
    /// Typed values. For a typed CSV column, text that does not parse is null here.
    pub value: Expr,
    /// True where the field itself is null (a CSV null marker or a Parquet null).
    pub is_null: Expr,
    /// The type of `value`.
    pub dtype: DataType,
    /// The column's type in the file: for CSV the text, for Parquet the same as `dtype`.
    pub stored: DataType,
    /// For a typed CSV column: the raw text, whose failed parses count against `type`.
    pub raw: Option<Expr>,
    /// Per row: the value also occurs in another partition (for `unique`, scope dataset).
    pub elsewhere: Option<Expr>,
    /// Parquet footer statistics of the checked files, when every row group has them.
    pub stats: Option<std::sync::Arc<ColumnStats>>,
}

/// What the single pass measured, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Measured, but not judged, for the reason given (an anomaly with too little history): the
    /// check reports `skipped` while `observed` is still recorded.
    pub skipped: Option<String>,
    pub failures: Option<u64>,
    pub observed: Value,
    pub passed: bool,
    pub message: String,
    pub details: Option<Value>,
}

/// Facts about the checked data that every rule may use.
pub struct Facts<'a> {
    pub rows: u64,
    /// The failures of the checks judged before this one, by id.
    pub failures: &'a HashMap<String, Option<u64>>,
}

/// One aggregate of a check, by name: what an executor computes in the pass and the check's
/// `finish` reads back.
#[derive(Clone)]
pub struct Slot {
    pub name: &'static str,
    pub expr: Expr,
}

pub fn slot(name: &'static str, expr: Expr) -> Slot {
    Slot { name, expr }
}

/// The values a pass computed for one check's slots, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlotValues {
    values: Vec<(&'static str, Option<i64>, Option<f64>)>,
}

impl SlotValues {
    /// Each slot's value as an integer and as a float (a count reads as both; a mean only as a
    /// float).
    pub fn new(values: Vec<(&'static str, Option<i64>, Option<f64>)>) -> SlotValues {
        SlotValues { values }
    }

    /// Integer values known without a pass (from footers).
    pub fn known(values: &[(&'static str, Option<i64>)]) -> SlotValues {
        SlotValues { values: values.iter().map(|(name, v)| (*name, *v, v.map(|v| v as f64))).collect() }
    }

    fn find(&self, name: &str) -> Option<&(&'static str, Option<i64>, Option<f64>)> {
        let found = self.values.iter().find(|(n, _, _)| *n == name);
        debug_assert!(found.is_some(), "no slot `{name}` among {:?}", self.values);
        found
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.find(name).and_then(|v| v.1)
    }

    /// A count: null (no rows) as 0.
    pub fn count(&self, name: &str) -> u64 {
        self.int(name).unwrap_or(0).max(0) as u64
    }

    pub fn float(&self, name: &str) -> Option<f64> {
        self.find(name).and_then(|v| v.2)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.values.iter().map(|(n, _, _)| *n)
    }
}

pub type Finish = Box<dyn Fn(&SlotValues, &Facts) -> Measured>;

/// The slots of [`counted`]: failing rows, and what their rate is of.
pub const FAILURES: &str = "failures";
pub const DENOMINATOR: &str = "denominator";

/// How to show failing values once a check failed.
#[derive(Clone)]
pub enum Evidence {
    /// Rows where `failing` holds; show `value`.
    Where { failing: Expr, value: Expr },
    /// Keys that occur more than once (filtered to rows where `present` holds). `looked_up`:
    /// `present` keeps only the rows of keys the pass saw repeated (a set it filled), so the
    /// sample groups a few rows, not every key. `tallied`: the set that fills the slot can also
    /// count each repeated key and its first row in the pass, with no pass after it.
    Duplicates { keys: Vec<Expr>, present: Expr, looked_up: bool, tallied: Option<Tallied> },
    /// Samples the check gathered itself (value, count), most telling first (`reconcile`).
    Known(Vec<(Value, u64)>),
}

/// A distinct count whose set tallies repeated keys: the engine may fill slot `slot` with
/// [`DistinctSet::insert_numbered`](distinct_set::DistinctSet::insert_numbered) of `value`
/// instead, giving it the pass's row numbers, and then read the sample from the set.
#[derive(Clone)]
pub struct Tallied {
    pub set: std::sync::Arc<distinct_set::DistinctSet>,
    pub slot: &'static str,
    pub value: Expr,
}

/// Where a check's verdict comes from (what `explain` shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Its slots, computed in the pass.
    Pass,
    /// Parquet footer statistics: the pass computes nothing for it.
    Footers,
    /// The row count: Parquet footers, or counted in the pass for CSV.
    Rows,
    /// The failures of other checks of the contract, judged before it.
    OtherChecks,
    /// Known when planning: the schema, partition names, or what was read before planning.
    Planning,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::Pass => "the pass",
            Source::Footers => "Parquet footer statistics",
            Source::Rows => "the row count",
            Source::OtherChecks => "other checks' failures",
            Source::Planning => "planning (no data read for it in the pass)",
        }
    }
}

/// A check compiled to named aggregates; `finish` judges their values.
pub struct Planned {
    pub source: Source,
    pub aggregates: Vec<Slot>,
    pub finish: Finish,
    pub evidence: Option<Evidence>,
    /// Per row: this row breaks the rule (for `--quarantine`); `None` for checks of the whole set.
    pub row_failure: Option<RowFailure>,
}

/// Per row: the row breaks the rule. `--quarantine` and `--clean` compute it in the pass that
/// writes them; one that reads a set the pass fills needs that set filled first.
#[derive(Clone)]
pub enum RowFailure {
    /// Known from the row (and what was read before the pass).
    OfRow(Expr),
    /// Looks the row's value up in a set the pass fills (`unique`'s repeated keys): the slots
    /// that fill it run in a pass before.
    AfterSets(Expr),
}

impl RowFailure {
    pub fn expr(&self) -> &Expr {
        match self {
            RowFailure::OfRow(expr) | RowFailure::AfterSets(expr) => expr,
        }
    }

    pub fn after_sets(&self) -> bool {
        match self {
            RowFailure::OfRow(_) => false,
            RowFailure::AfterSets(_) => true,
        }
    }
}

/// Number of rows where `predicate` is true; nulls count as false.
/// How a plan's aggregates run: over the checked rows at once, or per partition in a grouped
/// pass, where a set shared by the whole pass would mix the partitions' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    Single,
    Grouped,
    /// One pass run by another executor (Spark): standard constructs only, none of the sets
    /// tollgate fills as it streams (see `engine::CONSTRUCTS`).
    Portable,
}

/// A function of ours (a set a pass fills, a parser) named for `explain`, which otherwise shows
/// it blank, and for another executor, which must replace it.
pub fn named_udf(expr: Expr, name: &str) -> Expr {
    match expr {
        Expr::AnonymousFunction { input, function, options, .. } => {
            Expr::AnonymousFunction { input, function, options, fmt_str: Box::new(name.into()) }
        }
        other => other,
    }
}

pub fn count_where(predicate: Expr) -> Expr {
    predicate.sum().cast(DataType::Int64)
}

/// The usual row rule: `failing` rows against a denominator, judged by the rule's limits.
pub fn counted(
    failing: Expr,
    denominator: Expr,
    limits: Limits,
    evidence: Option<Evidence>,
    describe: impl Fn(u64, u64) -> String + 'static,
) -> Planned {
    Planned {
        source: Source::Pass,
        row_failure: Some(RowFailure::OfRow(failing.clone())),
        aggregates: vec![slot(FAILURES, count_where(failing)), slot(DENOMINATOR, denominator.cast(DataType::Int64))],
        finish: Box::new(move |values, _| {
            let failures = values.count(FAILURES);
            let denominator = values.count(DENOMINATOR);
            Measured {
                skipped: None,
                failures: Some(failures),
                observed: json!(failures),
                passed: limits.holds(failures, denominator),
                message: describe(failures, denominator),
                details: None,
            }
        }),
        evidence,
    }
}

/// A check decided without reading data.
pub fn decided(measured: Measured) -> Planned {
    Planned {
        source: Source::Planning,
        aggregates: Vec::new(),
        finish: Box::new(move |_, _| measured.clone()),
        evidence: None,
        row_failure: None,
    }
}

/// The same check with its aggregates' values already known (from footer statistics), if they
/// are: the pass reads nothing for it, yet samples and quarantine still work from its expressions.
pub fn known(planned: Planned, values: Option<Vec<(&'static str, Option<i64>)>>) -> Planned {
    let Some(values) = values else { return planned };
    debug_assert_eq!(
        values.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        planned.aggregates.iter().map(|s| s.name).collect::<Vec<_>>(),
        "known values for other slots than planned"
    );
    let values = SlotValues::known(&values);
    let finish = planned.finish;
    let answer = move |_: &SlotValues, facts: &Facts| {
        let mut measured = finish(&values, facts);
        let mut details = match measured.details.take() {
            Some(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        details.insert("source".into(), json!("parquet statistics"));
        measured.details = Some(Value::Object(details));
        measured
    };
    Planned { source: Source::Footers, aggregates: Vec::new(), finish: Box::new(answer), ..planned }
}

/// (null rows, rows) from the footers: what `required` and `null_rate` count.
pub fn footer_nulls_and_rows(input: &ColumnInput) -> Option<(i64, i64)> {
    let stats = input.stats.as_deref()?;
    Some((stats.nulls? as i64, stats.rows as i64))
}

/// Compiles one column rule for a pass of kind `pass`; `Err` is the reason it cannot apply
/// (status `error`).
pub fn plan(rule: &ColumnRule, input: &ColumnInput, pass: Pass) -> Result<Planned, String> {
    match &rule.kind {
        RuleKind::Type(declared) => type_check::plan(*declared, rule, input),
        RuleKind::NestedType(nested) => type_check::plan_nested(nested, input),
        RuleKind::Required => Ok(required::plan(rule, input)),
        RuleKind::Unique { scope } => unique::plan(*scope, rule, input, pass),
        RuleKind::NullRate { max } => Ok(null_rate::plan(*max, input)),
        RuleKind::Range { min, max, exclusive_min, exclusive_max } => {
            range::plan(min.as_ref(), max.as_ref(), (*exclusive_min, *exclusive_max), rule, input)
        }
        RuleKind::AcceptedValues(values) => accepted_values::plan(values, rule, input),
        RuleKind::Pattern { regex, full } => pattern::plan(regex, *full, rule, input),
        RuleKind::Length { min, max } => length::plan(*min, *max, rule, input),
    }
}

/// The rule's bounds and limits, for the report's `threshold`.
pub fn threshold(rule: &ColumnRule) -> Value {
    let mut t = serde_json::Map::new();
    match &rule.kind {
        RuleKind::Type(declared) => {
            t.insert("type".into(), json!(declared.name()));
        }
        RuleKind::NestedType(nested) => {
            t.insert("type".into(), json!(nested.name()));
        }
        RuleKind::NullRate { max } => {
            t.insert("max".into(), json!(max));
            return Value::Object(t);
        }
        RuleKind::Range { min, max, exclusive_min, exclusive_max } => {
            for (k, v) in [("min", min), ("max", max)] {
                if let Some(l) = v {
                    t.insert(k.into(), literal_json(l));
                }
            }
            for (k, v) in [("exclusive_min", exclusive_min), ("exclusive_max", exclusive_max)] {
                if *v {
                    t.insert(k.into(), json!(true));
                }
            }
        }
        RuleKind::AcceptedValues(values) => {
            t.insert("values".into(), Value::Array(values.iter().map(literal_json).collect()));
        }
        RuleKind::Pattern { regex, full } => {
            t.insert("regex".into(), json!(regex));
            if !full {
                t.insert("match".into(), json!("anywhere"));
            }
        }
        RuleKind::Length { min, max } => {
            for (k, v) in [("min", min), ("max", max)] {
                if let Some(n) = v {
                    t.insert(k.into(), json!(n));
                }
            }
        }
        RuleKind::Required | RuleKind::Unique { .. } => {}
    }
    limits_json(&rule.limits, &mut t);
    Value::Object(t)
}

pub fn limits_json(limits: &Limits, t: &mut serde_json::Map<String, Value>) {
    match (limits.max_failures, limits.max_failure_rate) {
        (None, None) => {
            t.insert("max_failures".into(), json!(0));
        }
        (a, b) => {
            if let Some(n) = a {
                t.insert("max_failures".into(), json!(n));
            }
            if let Some(r) = b {
                t.insert("max_failure_rate".into(), json!(r));
            }
        }
    }
}

pub fn literal_json(l: &crate::contract::Literal) -> Value {
    use crate::contract::Scalar;
    match &l.value {
        Scalar::Int(i) => json!(i),
        Scalar::Float(f) if f.is_finite() => json!(f),
        Scalar::Bool(b) => json!(b),
        _ => json!(l.raw),
    }
}

/// "3 of 1000 rows" with the right noun.
pub fn of_rows(failures: u64, denominator: u64, noun: &str) -> String {
    format!("{failures} of {denominator} {noun}")
}

/// `Err` unless the column holds text (range, pattern and length need it).
pub fn require_text(input: &ColumnInput, rule: &str) -> Result<Expr, String> {
    use crate::types::{family, Family};
    match family(&input.dtype) {
        Family::String => Ok(input.value.clone().cast(DataType::String)),
        _ => Err(format!(
            "`{rule}` applies to string columns; `{}` is {}",
            input.name,
            crate::types::type_name(&input.dtype)
        )),
    }
}
