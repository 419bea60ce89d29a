//! Planning: every check of the contract compiled to named aggregates of one pass (or decided
//! without data), from the columns and what was read before planning.

#[allow(unused_imports)]
use super::*;

/// One check between planning and reporting.
pub(super) struct Pending {
    pub(super) id: String,
    pub(super) kind: String,
    pub(super) column: Option<String>,
    pub(super) severity: Severity,
    pub(super) threshold: Value,
    pub(super) line: usize,
    pub(super) state: State,
}

pub(super) enum State {
    Planned { planned: Box<Planned> },
    Error(String),
    Skipped(String),
    Done(Measured),
}

/// Every check of the contract for one partition (or the whole dataset), planned but not run;
/// `single_pass_over` names the files of a single pass, `None` plans for the grouped pass.
#[allow(clippy::too_many_arguments)]
pub(super) fn plan_checks(
    contract: &Contract,
    dataset: &Dataset,
    partition: Option<&Partition>,
    options: &Options,
    store: Option<&dyn HistoryStore>,
    schema: &Schema,
    elsewhere: &Elsewhere,
    typed: &[(String, DeclaredType)],
    single_pass_over: Option<&[PathBuf]>,
) -> Result<Vec<Pending>, DataError> {
    let mut inputs = inputs_for(contract, dataset, schema);
    if let (Some(files), true, Format::Parquet) = (single_pass_over, options.statistics, dataset.format) {
        let checked = contract.checks.iter().filter_map(|c| match &c.kind {
            CheckKind::Freshness { column, .. } | CheckKind::Metric { column: Some(column), .. } => Some(column),
            _ => None,
        });
        for name in contract.columns().iter().map(|c| &c.name).chain(checked) {
            if let Some(input) = inputs.get_mut(name) {
                input.stats = crate::statistics::column_stats(dataset, files, name, &input.stored).map(Arc::new);
            }
        }
    }
    let across_scope = |scope: &Option<Scope>| matches!(scope, None | Some(Scope::Dataset));
    for column in contract.columns() {
        if column.rules.iter().any(|r| matches!(&r.kind, RuleKind::Unique { scope } if across_scope(scope))) {
            let predicate =
                elsewhere_predicate(elsewhere, dataset, std::slice::from_ref(&column.name), &inputs, typed)?;
            if let Some(input) = inputs.get_mut(&column.name) {
                input.elsewhere = predicate;
            }
        }
    }

    let wants_history = contract.checks.iter().any(|c| matches!(c.kind, CheckKind::RowCountAnomaly { .. }));
    let wants_rows = wants_history
        || contract
            .checks
            .iter()
            .any(|c| matches!(c.kind, CheckKind::Anomaly { metric: crate::contract::AnomalyMetric::RowCount, .. }));
    // Earlier partitions' row counts, read once for every check that wants them.
    let earlier = match partition {
        Some(p) if wants_rows => earlier_rows(dataset, p)?,
        _ => Vec::new(),
    };
    let mut history = if wants_history { earlier.clone() } else { Vec::new() };
    if let (true, Some(store)) = (wants_history, store) {
        let label = history_label(partition, options);
        let recorded = store.series(&contract.name, "rows", &label).map_err(|e| DataError::new(&e.store, e.message))?;
        fill_from_store(&mut history, recorded.into_iter().map(|(p, rows)| (p, rows.max(0.0) as u64)), dataset);
    }
    let metric_history = anomaly_history(contract, dataset, partition, &earlier, &inputs, typed, options, store)?;
    let mut referenced_keys = HashMap::new();
    let mut unique_elsewhere: HashMap<String, Option<Expr>> = HashMap::new();
    for check in &contract.checks {
        match &check.kind {
            CheckKind::References { dataset: other, key, format, csv, .. } => {
                referenced_keys.insert(check.id(), load_keys(contract, other, key, *format, csv.clone())?);
            }
            CheckKind::Unique { columns, scope } if across_scope(scope) => {
                unique_elsewhere.insert(check.id(), elsewhere_predicate(elsewhere, dataset, columns, &inputs, typed)?);
            }
            _ => {}
        }
    }

    let data_columns: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
    let checked_files = single_pass_over.or(partition.map(|p| p.files.as_slice())).unwrap_or(&dataset.files);
    let mut pending = Vec::new();
    if let Some(schema_spec) = &contract.schema {
        let drift = match partition {
            Some(p) => schema_drift(contract, dataset, p, schema)?,
            None => Vec::new(),
        };
        let key = dataset.partition_key.as_deref();
        let absent = dataset.columns_absent_from(checked_files)?;
        pending.push(schema_check(contract, schema, key, &drift, &absent, schema_spec.pos.line));
    }
    // `reconcile`: the other side is read and matched here, once per group, before planning.
    let here_files = partition.map(|p| p.files.as_slice()).unwrap_or(&dataset.files);
    let reconciled = checks::reconcile_all(contract, dataset, here_files, partition, options.sample)?;
    let sql_results = checks::run_sql_checks(contract, dataset, here_files, partition, &inputs, typed)?;
    let unreadable = match checked_files.first() {
        Some(first) => dataset.unreadable_columns(first)?,
        None => Vec::new(),
    };
    for column in contract.columns() {
        let cannot_read = unreadable.iter().find(|(name, _)| *name == column.name).map(|(_, why)| why);
        for rule in &column.rules {
            let state = match (cannot_read, inputs.get(&column.name)) {
                (Some(why), _) => State::Error(why.clone()),
                (None, None) => State::Error(missing_column(&column.name, &data_columns)),
                (None, Some(input)) => match rules::plan(rule, input) {
                    Ok(planned) => State::Planned { planned: Box::new(planned) },
                    Err(reason) => State::Error(reason),
                },
            };
            pending.push(Pending {
                id: format!("{}.{}", column.name, rule.kind.name()),
                kind: rule.kind.name().to_string(),
                column: Some(column.name.clone()),
                severity: rule.severity,
                threshold: rules::threshold(rule),
                line: rule.pos.line,
                state,
            });
        }
    }
    let ctx = CheckContext {
        pass: if single_pass_over.is_some() { Pass::Single } else { Pass::Grouped },
        columns: &inputs,
        now_micros: options.now.timestamp_micros(),
        dataset,
        partition,
        history: &history,
        referenced_keys: &referenced_keys,
        unique_elsewhere: &unique_elsewhere,
        data_columns: &data_columns,
        metric_history: &metric_history,
        reconciled: &reconciled,
        sql_results: &sql_results,
    };
    for check in &contract.checks {
        let state = match checks::plan(check, &ctx) {
            Planning::Plan(planned) => State::Planned { planned: Box::new(planned) },
            Planning::Error(reason) => State::Error(reason),
            Planning::Skipped(reason) => State::Skipped(reason),
        };
        pending.push(Pending {
            id: check.id(),
            kind: check.kind.name().to_string(),
            column: checks::column_of(check),
            severity: check.severity,
            threshold: checks::threshold(check),
            line: check.pos.line,
            state,
        });
    }
    Ok(pending)
}

/// The aggregates of all checks for one pass, each computed into its check's slot column.
pub(super) fn lay_out(pending: &[Pending]) -> Vec<Expr> {
    let mut aggregates = Vec::new();
    for (check, p) in pending.iter().enumerate() {
        if let State::Planned { planned } = &p.state {
            for slot in &planned.aggregates {
                aggregates.push(slot.expr.clone().alias(slot_column(check, slot.name)));
            }
        }
    }
    aggregates
}

/// The columns [`lay_out`] computes into, in its order.
pub(super) fn slot_columns(pending: &[Pending]) -> Vec<String> {
    let mut columns = Vec::new();
    for (check, p) in pending.iter().enumerate() {
        if let State::Planned { planned } = &p.state {
            columns.extend(planned.aggregates.iter().map(|slot| slot_column(check, slot.name)));
        }
    }
    columns
}

/// `schema`: every declared column exists; with `strict`, no undeclared column exists either.
pub(super) fn schema_check(
    contract: &Contract,
    schema: &Schema,
    partition_key: Option<&str>,
    drift: &[String],
    absent: &[(String, Vec<PathBuf>)],
    line: usize,
) -> Pending {
    let strict = contract.schema.as_ref().is_some_and(|s| s.strict);
    // A declared column some files lack (added later): null there. It fails only when the
    // column is `required`; otherwise the message notes it.
    let mut lacking_required = Vec::new();
    let mut notes = Vec::new();
    for column in contract.columns() {
        let Some((_, files)) = absent.iter().find(|(name, _)| *name == column.name) else { continue };
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let text = format!("`{}` is absent from {} (read as null there)", column.name, names.join(", "));
        if column.rules.iter().any(|r| r.kind == RuleKind::Required) {
            lacking_required.push(text);
        } else {
            notes.push(text);
        }
    }
    let missing: Vec<&str> =
        contract.columns().iter().map(|c| c.name.as_str()).filter(|n| schema.get(n).is_none()).collect();
    let extra: Vec<&str> = if strict {
        schema
            .iter_names()
            .map(|n| n.as_str())
            .filter(|n| Some(*n) != partition_key && !contract.columns().iter().any(|c| c.name == *n))
            .collect()
    } else {
        Vec::new()
    };
    let failures = (missing.len() + extra.len() + drift.len() + lacking_required.len()) as u64;
    let mut parts = Vec::new();
    if !lacking_required.is_empty() {
        parts.push(format!("required column {}", lacking_required.join("; ")));
    }
    if !drift.is_empty() {
        parts.push(format!("schema drift: {}", drift.join("; ")));
    }
    if !missing.is_empty() {
        let data_columns: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
        let named: Vec<String> = missing
            .iter()
            .map(|m| match nearest_name(m, &data_columns) {
                Some(best) => format!("{m} (did you mean `{best}`?)"),
                None => m.to_string(),
            })
            .collect();
        parts.push(format!("missing columns: {}", named.join(", ")));
    }
    if !extra.is_empty() {
        parts.push(format!("undeclared columns (strict): {}", extra.join(", ")));
    }
    let mut message = if parts.is_empty() {
        format!("all {} declared columns present", contract.columns().len())
    } else {
        parts.join("; ")
    };
    if !notes.is_empty() {
        message.push_str(&format!("; note: optional column {}", notes.join("; ")));
    }
    Pending {
        id: "schema".into(),
        kind: "schema".into(),
        column: None,
        severity: Severity::Error,
        threshold: serde_json::json!({"strict": strict}),
        line,
        state: State::Done(Measured {
            skipped: None,
            failures: Some(failures),
            observed: serde_json::json!(failures),
            passed: failures == 0,
            message,
            details: None,
        }),
    }
}
