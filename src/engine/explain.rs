//! `tollgate explain`: the plan of a run, shown without running it. Planning is the same as a
//! run's; only `gather` reads metadata alone (footers, schemas, listings), with stand-ins for
//! what a run reads from other data first.

use serde::Serialize;

use super::exec::{counts_distinct, engine_for};
use super::plan::State;
use super::prefetch::{keys_across_partitions, Depth, Elsewhere, Gathered};
use super::Options;
use super::{chosen_partitions, open_dataset, plan_single_pass, SinglePass};
use crate::contract::{CheckKind, Contract, Format};
use crate::rules;
use crate::rules::Evidence;
use crate::source::{DataError, Dataset, Partition};
use polars::prelude::*;
use std::path::PathBuf;

/// The plan for one checked partition (or the whole dataset).
#[derive(Debug, Serialize)]
pub struct Explained {
    pub contract: String,
    pub contract_path: String,
    pub dataset: String,
    pub format: &'static str,
    pub partition: Option<String>,
    pub files: usize,
    /// Polars' engine for the pass: `streaming`, `in-memory`, or `none` when nothing needs one.
    pub engine: &'static str,
    /// The columns the pass reads, of `columns` in the data.
    pub columns_read: Vec<String>,
    pub columns: usize,
    /// What a run reads before the pass, in order.
    pub before_the_pass: Vec<String>,
    /// Every aggregate of the pass: which check's which slot, and its expression.
    pub pass: Vec<PassSlot>,
    pub checks: Vec<CheckPlan>,
    /// The expression constructs the plan uses (the pass's aggregates, the samples' and the
    /// quarantine's predicates), sorted: what another executor must be able to run.
    pub constructs: Vec<String>,
}

/// The expression constructs plans are made of: what another executor (Spark, say) must
/// translate to run the same plan. A test holds this list to the union of every fixture
/// contract's plan, so a rule that brings a new construct adds it here, in sight of whoever
/// maintains the other executors. `udf` entries are tollgate's own functions (the sets a
/// streaming pass fills, CSV parsers), named so they can be replaced.
pub const CONSTRUCTS: &[&str] = &[
    "aggregate count",
    "aggregate max",
    "aggregate mean",
    "aggregate min",
    "aggregate n_unique",
    "aggregate sum",
    "alias",
    "cast",
    "column",
    "filter",
    "function as_struct",
    "function dt.timestamp(μs)",
    "function fill_null",
    "function is_duplicated",
    "function is_in",
    "function is_nan",
    "function is_not_null",
    "function is_null",
    "function not",
    "function null_count",
    "function str.contains",
    "function str.len_chars",
    "function str.strptime",
    "function str.to_lowercase",
    "len",
    "literal",
    "operator &",
    "operator <",
    "operator ==",
    "operator >",
    "operator >=",
    "operator |",
    "udf distinct_set.first_seen",
    "udf distinct_set.repeated",
    "udf key_set.insert",
    "udf key_set.repeated",
    "udf parse.decimal",
    "udf parse.iso_timestamp",
    "udf samples.gather",
    "when/then/otherwise",
];

/// One node of an expression tree, as the construct an executor must support: a column, a
/// literal, an operator, an aggregate, a function by its Polars name, a set tollgate fills.
fn construct(e: &Expr) -> String {
    let variant =
        |debug: String| debug.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("").to_string();
    match e {
        Expr::Column(_) => "column".into(),
        Expr::Literal(_) => "literal".into(),
        Expr::Alias(..) => "alias".into(),
        Expr::Len => "len".into(),
        Expr::Cast { .. } => "cast".into(),
        Expr::BinaryExpr { op, .. } => format!("operator {op}"),
        // Shown as `input.sum()`: the method name is the aggregate.
        Expr::Agg(_) => {
            let shown = e.to_string();
            let method = shown.rsplit('.').next().unwrap_or("").trim_end_matches("()");
            format!("aggregate {method}")
        }
        Expr::Ternary { .. } => "when/then/otherwise".into(),
        Expr::Function { function, .. } => format!("function {function}"),
        Expr::Filter { .. } => "filter".into(),
        Expr::Over { .. } => "window".into(),
        Expr::AnonymousFunction { fmt_str, .. } => format!("udf {fmt_str}"),
        other => variant(format!("{other:?}")).to_lowercase(),
    }
}

/// The constructs of `exprs`, every node of every tree.
fn constructs_of<'e>(exprs: impl IntoIterator<Item = &'e Expr>, into: &mut std::collections::BTreeSet<String>) {
    for expr in exprs {
        for node in expr {
            into.insert(construct(node));
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PassSlot {
    pub check: String,
    pub slot: &'static str,
    pub expression: String,
}

/// What one check's verdict will be computed from.
#[derive(Debug, Serialize)]
pub struct CheckPlan {
    pub id: String,
    pub kind: String,
    /// `pass`, `footers`, `rows`, `other_checks`, `planning`, `before_the_pass`, `error` or
    /// `skipped`.
    pub source: &'static str,
    /// Its slots in the pass.
    pub slots: Vec<&'static str>,
    /// How its samples are gathered when it fails.
    pub samples: Option<&'static str>,
    /// The reason of an error or skip; what is read before the pass for it.
    pub note: Option<String>,
}

/// The plans of the partitions `check` would read (the latest, or `--partition`).
pub fn explain(contract: &Contract, options: &Options) -> Result<Vec<Explained>, DataError> {
    let (dataset, path) = open_dataset(contract, options)?;
    if dataset.partition_key.is_none() {
        return Ok(vec![explain_one(contract, &dataset, None, options)?]);
    }
    chosen_partitions(&dataset, &path, options)?
        .into_iter()
        .map(|p| explain_one(contract, &dataset, Some(p), options))
        .collect()
}

fn explain_one(
    contract: &Contract,
    dataset: &Dataset,
    partition: Option<&Partition>,
    options: &Options,
) -> Result<Explained, DataError> {
    let elsewhere = if partition.is_some() { Elsewhere::StandIn } else { Elsewhere::None };
    let SinglePass { files, schema, gathered, pending, aggregates, .. } =
        plan_single_pass(contract, dataset, partition, options, None, &elsewhere, Depth::Explain)?;
    let engine = if aggregates.is_empty() {
        "none"
    } else {
        match engine_for(dataset, &files, counts_distinct(&aggregates)) {
            Engine::InMemory => "in-memory",
            Engine::Streaming | Engine::Auto | Engine::Gpu => "streaming",
        }
    };
    let mut columns_read: Vec<String> = aggregates
        .iter()
        .flat_map(|a| a.clone().meta().root_names())
        .map(|n| n.to_string())
        .filter(|n| schema.get(n).is_some())
        .collect();
    columns_read.sort();
    columns_read.dedup();

    let mut pass = Vec::new();
    let mut checks = Vec::new();
    let mut constructs = std::collections::BTreeSet::new();
    constructs_of(&aggregates, &mut constructs);
    for p in &pending {
        let mut plan = CheckPlan {
            id: p.id.clone(),
            kind: p.kind.clone(),
            source: "planning",
            slots: Vec::new(),
            samples: None,
            note: None,
        };
        match &p.state {
            State::Planned { planned } => {
                plan.source = match planned.source {
                    rules::Source::Pass => "pass",
                    rules::Source::Footers => "footers",
                    rules::Source::Rows => "rows",
                    rules::Source::OtherChecks => "other_checks",
                    rules::Source::Planning => "planning",
                };
                for slot in &planned.aggregates {
                    plan.slots.push(slot.name);
                    pass.push(PassSlot { check: p.id.clone(), slot: slot.name, expression: slot.expr.to_string() });
                }
                if let Some(row_failure) = &planned.row_failure {
                    constructs_of([row_failure.expr()], &mut constructs);
                }
                match &planned.evidence {
                    Some(Evidence::Where { failing, value }) => constructs_of([failing, value], &mut constructs),
                    Some(Evidence::Duplicates { keys, present, looked_up: _, tallied: _ }) => {
                        constructs_of(keys.iter().chain([present]), &mut constructs)
                    }
                    Some(Evidence::Known(_)) | None => {}
                }
                let gathered = p.gathered_by.is_some();
                plan.samples = planned.evidence.as_ref().map(|e| match e {
                    Evidence::Where { .. } if gathered => {
                        "the most frequent failing values, gathered in the main pass (up to 1M rows; past that, one pass after it)"
                    }
                    Evidence::Where { .. } => "the most frequent failing values, in one pass after the main pass",
                    Evidence::Duplicates { .. } if gathered => {
                        "the most repeated keys, tallied in the main pass by the set that counts them"
                    }
                    Evidence::Duplicates { .. } => "the most repeated keys, in one pass after the main pass",
                    Evidence::Known(_) => "gathered before the pass",
                });
            }
            State::Error(reason) => {
                plan.source = "error";
                plan.note = Some(reason.clone());
            }
            State::Skipped(reason) => {
                plan.source = "skipped";
                plan.note = Some(reason.clone());
            }
            State::Done(_) => {}
        }
        checks.push(plan);
    }
    let before = before_the_pass(contract, dataset, partition, &gathered, &files, &mut checks);
    Ok(Explained {
        contract: contract.name.clone(),
        contract_path: contract.file.to_string_lossy().into_owned(),
        dataset: dataset.display.clone(),
        format: dataset.format.name(),
        partition: partition.map(|p| p.raw.clone()),
        files: files.len(),
        engine,
        columns_read,
        columns: schema.len(),
        before_the_pass: before,
        pass,
        checks,
        constructs: constructs.into_iter().collect(),
    })
}

/// What a run reads before its pass, each with the checks it serves; the checks whose verdict
/// is computed there (`reconcile`, `sql`) are marked so.
fn before_the_pass(
    contract: &Contract,
    dataset: &Dataset,
    partition: Option<&Partition>,
    gathered: &Gathered,
    files: &[PathBuf],
    checks: &mut [CheckPlan],
) -> Vec<String> {
    let mut out = Vec::new();
    let with_stats: Vec<&str> = {
        let mut names: Vec<&str> =
            gathered.inputs.values().filter(|i| i.stats.is_some()).map(|i| i.name.as_str()).collect();
        names.sort_unstable();
        names
    };
    if !with_stats.is_empty() {
        out.push(format!(
            "Parquet footers of {} file(s): row counts, null counts, minimum and maximum of {}",
            files.len(),
            with_stats.join(", ")
        ));
    }
    let earlier = partition.map(|p| dataset.partitions.iter().filter(|q| q.value < p.value).count()).unwrap_or(0);
    let mut mark = |id: &str, note: String| {
        if let Some(plan) = checks.iter_mut().find(|c| c.id == id) {
            plan.source = "before_the_pass";
            plan.note = Some(note);
        }
    };
    let mut reconciled_groups = Vec::new();
    for check in &contract.checks {
        let id = check.id();
        match &check.kind {
            CheckKind::RowCountAnomaly { .. } => out.push(format!(
                "`{id}`: row counts of the {earlier} earlier partition(s) ({}), then the history store's",
                match dataset.format {
                    Format::Parquet => "Parquet footers",
                    Format::Csv => "one count per partition",
                }
            )),
            CheckKind::Anomaly { metric, window, column, .. } => out.push(match (metric, column) {
                (crate::contract::AnomalyMetric::Failures { check }, _) => {
                    format!("`{id}`: earlier failures of `{check}`, from the history store")
                }
                (crate::contract::AnomalyMetric::RowCount, _) => {
                    format!("`{id}`: row counts of up to {window} earlier partition(s), then the history store's")
                }
                (_, Some(column)) => format!(
                    "`{id}`: {} of `{column}` in up to {window} earlier partition(s), in one grouped pass over them; \
                     the history store for the rest",
                    metric.name()
                ),
                (_, None) => format!("`{id}`: the history store"),
            }),
            CheckKind::References { dataset: other, key, .. } => {
                out.push(format!("`{id}`: the distinct values of `{key}` in {other}, in one scan of it"))
            }
            CheckKind::Reconcile { group, with, .. } => {
                if !reconciled_groups.contains(group) {
                    reconciled_groups.push(group.clone());
                    out.push(format!(
                        "`{group}`: one group-by by key on each side and one join with {}; every `{group}.*` verdict comes from it",
                        with.path
                    ));
                }
                mark(&id, format!("computed before the pass, with {}", with.path));
            }
            CheckKind::Sql { query, .. } => {
                out.push(format!("`{id}`: the query, over the checked data: {query}"));
                mark(&id, "the query's number, computed before the pass".to_string());
            }
            CheckKind::RowCount { .. }
            | CheckKind::Freshness { .. }
            | CheckKind::Unique { .. }
            | CheckKind::MissingPartitions { .. }
            | CheckKind::Metric { .. }
            | CheckKind::Unsupported { .. }
            | CheckKind::WhereNot { .. } => {}
        }
    }
    if partition.is_some() {
        let others = dataset.partitions.len().saturating_sub(1);
        for key in keys_across_partitions(contract) {
            out.push(format!(
                "the keys ({}) of the {others} other partition(s), for `unique` across partitions, in one streaming pass",
                key.join(", ")
            ));
        }
    }
    if partition.is_some() && contract.schema.is_some() && dataset.format == Format::Parquet {
        out.push("`schema`: the column types of the other partitions (Parquet footers), for drift".to_string());
    }
    out
}
