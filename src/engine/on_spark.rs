//! The Spark executor: the same plan as the local engine (planned with `Pass::Portable`, so only
//! standard constructs), its pass written as one Spark SQL aggregate query and its samples
//! grouped from one cached scan of the failing rows, sent over Spark Connect. Spark reads the data; the client
//! receives one row of aggregates and a few samples.
//!
//! The source of every query is the checked files, one `parquet.`path`` relation each, with
//! the partition's value, its name (`PARTITION_TAG`), the file's number and Spark's row index
//! within the file (to locate samples as the local engine does). Keys judged across
//! partitions read every partition, and their "also in another partition" flags are windows.

use super::exec::{slot_column, PassRow, ROWS_COLUMN};
use super::inputs::{inputs_for, schema_of, PARTITION_TAG};
use super::judge::conclude;
use super::plan::{lay_out, plan_checks, slot_columns, State};
use super::prefetch::{gather, keys_across_partitions, Depth, Elsewhere, EngineKeySet};
use super::samples::{Locator, SampleRow, Wanted};
use super::{result_report, Options};
use crate::contract::{Contract, Format};
use crate::history::HistoryStore;
use crate::report::ResultReport;
use crate::rules::{Evidence, Pass};
use crate::source::{DataError, Dataset, Partition};
use crate::spark::sql::{ident, string_literal, Untranslatable, Writer};
use crate::spark::{Session, SparkFailure};
use polars::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The file number and row-in-file columns of the source.
pub(super) const FILE_COLUMN: &str = "__tollgate_file";
pub(super) const ROW_IN_FILE: &str = "__tollgate_row";

/// Runs `sql`; a failure names the dataset, in Spark's words.
pub(super) fn ask(session: &Session, dataset: &Dataset, sql: &str) -> Result<DataFrame, DataError> {
    session.query(sql).map_err(|e: SparkFailure| DataError::new(&dataset.display, e.to_string()))
}

/// A data file as Spark names it: absolute, and `s3a://` for S3 (Hadoop's connector).
pub(super) fn spark_path(file: &Path) -> String {
    let text = file.to_string_lossy();
    if let Some(rest) = text.strip_prefix("s3://") {
        return format!("s3a://{rest}");
    }
    if crate::remote::is_url(file) {
        return text.into_owned();
    }
    std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf()).to_string_lossy().into_owned()
}

/// The view every query reads: the checked files (a union by column name), each row with its
/// partition's value and name, its file's number and its row within the file.
const SOURCE_VIEW: &str = "__tollgate_source";

/// Registers [`SOURCE_VIEW`] over the files of `partitions` (or of the whole dataset); the files,
/// in the order of their numbers.
fn register_source(session: &Session, dataset: &Dataset, partitions: &[&Partition]) -> Result<Vec<PathBuf>, DataError> {
    let mut files = Vec::new();
    let mut parts = Vec::new();
    let groups: Vec<(Option<&Partition>, &[PathBuf])> = if partitions.is_empty() {
        vec![(None, dataset.files.as_slice())]
    } else {
        partitions.iter().map(|p| (Some(*p), p.files.as_slice())).collect()
    };
    let empty = Schema::default();
    for (partition, group) in groups {
        let mut columns = Vec::new();
        if let Some(p) = partition {
            let key = dataset.partition_key.as_deref().unwrap_or("partition");
            let value = Writer::new(&empty)
                .expr(&dataset.partition_literal(p))
                .map_err(|e| DataError::new(&dataset.display, e.0))?;
            columns.push(format!("{value} AS {}", ident(key)));
            columns.push(format!("{} AS {}", string_literal(&p.raw), ident(PARTITION_TAG)));
        }
        for file in group {
            let mut columns = columns.clone();
            columns.push(format!("{} AS {}", files.len(), ident(FILE_COLUMN)));
            columns.push(format!("_metadata.row_index AS {}", ident(ROW_IN_FILE)));
            parts.push((spark_path(file), columns));
            files.push(file.clone());
        }
    }
    session.register_parquet_union(SOURCE_VIEW, &parts).map_err(|e| DataError::new(&dataset.display, e.to_string()))?;
    Ok(files)
}

/// Why CSV is not read by Spark.
pub(super) const NO_CSV: &str = "the Spark engine reads Parquet only: Spark's CSV parsing and typing differ from \
                                 tollgate's (SPEC §1); check CSV with --engine local";

/// The `checked` partitions (none: the whole unpartitioned dataset), run on Spark: one query
/// for all of them, grouped by partition, when their files share one schema.
pub(super) fn evaluate(
    session: &Session,
    contract: &Contract,
    dataset: &Dataset,
    checked: &[&Partition],
    options: &Options,
    store: Option<&dyn HistoryStore>,
) -> Result<Vec<ResultReport>, DataError> {
    let started = Instant::now();
    if let Some(relation) = &dataset.read_by_engine {
        return evaluate_relation(session, contract, dataset, &relation.sql, checked, options, store, started);
    }
    if dataset.format == Format::Csv {
        return Err(DataError::new(&dataset.display, NO_CSV));
    }
    // The columns' types as the files declare them (their footers), as the local engine reads
    // them: Spark's own reading differs for unsigned integers (wider signed types) and INT96
    // timestamps (instants), and the `type` rule judges the file, not the engine. Partitions of
    // different schemas (drift) are judged one by one, each against its own.
    let files: Vec<PathBuf> = match checked {
        [] => dataset.files.clone(),
        _ => checked.iter().flat_map(|p| p.files.clone()).collect(),
    };
    if checked.len() > 1 {
        let schemas = files.iter().map(|f| dataset.parquet_schema(f)).collect::<Result<Vec<_>, _>>()?;
        if schemas.windows(2).any(|w| w[0] != w[1]) {
            let mut results = Vec::new();
            for p in checked {
                results.extend(evaluate(session, contract, dataset, &[*p], options, store)?);
            }
            return Ok(results);
        }
    }
    // Keys judged across partitions need every partition in the source; else only the checked ones.
    let read: Vec<&Partition> = match checked {
        [] => Vec::new(),
        _ if !keys_across_partitions(contract).is_empty() => dataset.partitions.iter().collect(),
        _ => checked.to_vec(),
    };
    let source_files = register_source(session, dataset, &read)?;
    let first = checked.first().map(|p| p.files.clone()).unwrap_or_else(|| dataset.files.clone());
    let mut scan = dataset.scan(&first, &[])?;
    if let Some(p) = checked.first() {
        scan = scan.with_column(dataset.partition_literal(p));
    }
    let schema = schema_of(&scan, &first)?;
    judge(session, contract, dataset, checked, schema, &source_files, read.len() > 1, options, store, started)
}

/// `aggregates` (over columns of `schema`) of each of `partitions`, by Spark: one grouped query,
/// a row per partition, tagged (`PARTITION_TAG`) with its number in `partitions`.
pub(super) fn grouped_by_partition(
    session: &Session,
    dataset: &Dataset,
    partitions: &[&Partition],
    schema: Option<Schema>,
    aggregates: &[Expr],
) -> Result<DataFrame, DataError> {
    const EARLIER_VIEW: &str = "__tollgate_earlier";
    let tag = ident(PARTITION_TAG);
    let schema = match (&dataset.read_by_engine, schema) {
        (Some(relation), _) => {
            let key = partition_tag(dataset.partition_key.as_deref().unwrap_or_default());
            let numbers: Vec<String> = partitions
                .iter()
                .enumerate()
                .map(|(i, p)| format!("WHEN {} THEN {i}", string_literal(&p.raw)))
                .collect();
            let raws: Vec<String> = partitions.iter().map(|p| string_literal(&p.raw)).collect();
            ask(
                session,
                dataset,
                &format!(
                    "CREATE OR REPLACE TEMPORARY VIEW {EARLIER_VIEW} AS SELECT *, CASE {key} {} END AS {tag} FROM {} \
                     WHERE {key} IN ({})",
                    numbers.join(" "),
                    relation.sql,
                    raws.join(", ")
                ),
            )?;
            let probe = ask(session, dataset, &format!("SELECT * FROM {EARLIER_VIEW} LIMIT 0"))?;
            let mut schema = probe.schema().as_ref().clone();
            schema.shift_remove(PARTITION_TAG);
            schema
        }
        (None, schema) => {
            let parts: Vec<(String, Vec<String>)> = partitions
                .iter()
                .enumerate()
                .flat_map(|(i, p)| {
                    p.files.iter().map(move |f| (spark_path(f), vec![format!("{i} AS {}", ident(PARTITION_TAG))]))
                })
                .collect();
            session
                .register_parquet_union(EARLIER_VIEW, &parts)
                .map_err(|e| DataError::new(&dataset.display, e.to_string()))?;
            schema.unwrap_or_default()
        }
    };
    let mut tagged = schema.clone();
    tagged.insert(PARTITION_TAG.into(), DataType::Int32);
    let mut writer = Writer::new(&tagged).with_prefix("__earlier_window");
    let mut selected = vec![tag.clone()];
    for e in aggregates {
        let name = e.clone().meta().output_name().map_err(|err| DataError::new(&dataset.display, err.to_string()))?;
        let sql = writer.expr(e).map_err(|Untranslatable(what)| {
            DataError::new(&dataset.display, format!("the Spark engine cannot measure earlier partitions: {what}"))
        })?;
        selected.push(format!("{sql} AS {}", ident(&name)));
    }
    // A window would span every partition, not its own.
    if !writer.lifted().is_empty() {
        return Err(DataError::new(
            &dataset.display,
            "the Spark engine cannot measure earlier partitions with a window",
        ));
    }
    let query = format!(
        "SELECT {} FROM ({}) AS earlier GROUP BY {tag}",
        selected.join(", "),
        writer.over(&format!("SELECT * FROM {EARLIER_VIEW}"))
    );
    ask(session, dataset, &query)
}

/// The partition value of a row of a dataset only Spark reads, as text (a null key is Hive's
/// default partition).
pub(super) fn partition_tag(key: &str) -> String {
    format!("coalesce(CAST({} AS STRING), '__HIVE_DEFAULT_PARTITION__')", ident(key))
}

/// A dataset only Spark reads: a catalog table (`dataset.table`) or a path of a scheme this
/// process does not read (`hdfs://…`, Parquet). Spark lists its partitions and counts their rows
/// in one grouped query; its types are Spark's.
pub(super) fn open_relation(
    session: &Session,
    display: &str,
    relation: String,
    partition_key: Option<&str>,
) -> Result<Dataset, DataError> {
    let unlisted = Dataset::of_engine(display, relation.clone(), None, Vec::new());
    let rows = match partition_key {
        Some(key) => {
            let tag = partition_tag(key);
            let df =
                ask(session, &unlisted, &format!("SELECT {tag} AS tag, count(*) AS n FROM {relation} GROUP BY {tag}"))
                    .map_err(|e| DataError::new(display, format!("{} (partitioned by `{key}`)", e.message)))?;
            let (tags, counts) = match (df.column("tag"), df.column("n")) {
                (Ok(t), Ok(n)) => (t.clone(), n.clone()),
                _ => (
                    Column::new_empty("tag".into(), &DataType::String),
                    Column::new_empty("n".into(), &DataType::Int64),
                ),
            };
            (0..df.height())
                .filter_map(|i| {
                    let tag = tags.get(i).ok()?.get_str()?.to_string();
                    Some((tag, counts.get(i).ok()?.extract::<u64>()?))
                })
                .collect()
        }
        None => {
            let df = ask(session, &unlisted, &format!("SELECT count(*) AS n FROM {relation}"))?;
            vec![(String::new(), PassRow { df: Some(&df), row: 0 }.int("n").unwrap_or(0).max(0) as u64)]
        }
    };
    Ok(Dataset::of_engine(display, relation, partition_key, rows))
}

/// One partition (or the whole) of a dataset only Spark reads: every row is read by Spark, in
/// Spark's types, and samples have no file to point at.
#[allow(clippy::too_many_arguments)]
fn evaluate_relation(
    session: &Session,
    contract: &Contract,
    dataset: &Dataset,
    relation: &str,
    checked: &[&Partition],
    options: &Options,
    store: Option<&dyn HistoryStore>,
    started: Instant,
) -> Result<Vec<ResultReport>, DataError> {
    let across = !checked.is_empty() && !keys_across_partitions(contract).is_empty();
    let (tag, only) = match dataset.partition_key.as_deref() {
        Some(key) if !checked.is_empty() => {
            let tag = partition_tag(key);
            let raws: Vec<String> = checked.iter().map(|p| string_literal(&p.raw)).collect();
            let only = if across { String::new() } else { format!(" WHERE {tag} IN ({})", raws.join(", ")) };
            (format!(", {tag} AS {}", ident(PARTITION_TAG)), only)
        }
        _ => (String::new(), String::new()),
    };
    let view = format!(
        "CREATE OR REPLACE TEMPORARY VIEW {SOURCE_VIEW} AS SELECT *, CAST(NULL AS BIGINT) AS {}, CAST(NULL AS \
         BIGINT) AS {}{tag} FROM {relation}{only}",
        ident(FILE_COLUMN),
        ident(ROW_IN_FILE),
    );
    ask(session, dataset, &view)?;
    let probe = ask(session, dataset, &format!("SELECT * FROM {SOURCE_VIEW} LIMIT 0"))?;
    let mut schema = probe.schema().as_ref().clone();
    for internal in [FILE_COLUMN, ROW_IN_FILE, PARTITION_TAG] {
        schema.shift_remove(internal);
    }
    let several = across || checked.len() > 1;
    judge(session, contract, dataset, checked, schema, &[], several, options, store, started)
}

/// Plans the checks of each `checked` partition (none: the whole dataset) over [`SOURCE_VIEW`]
/// (whose columns are `schema`), runs their pass (one query, grouped by partition when there
/// are several) and their samples' queries, and judges. `several` says the view holds other
/// partitions than a checked one's rows.
#[allow(clippy::too_many_arguments)]
fn judge(
    session: &Session,
    contract: &Contract,
    dataset: &Dataset,
    checked: &[&Partition],
    schema: Schema,
    source_files: &[PathBuf],
    several: bool,
    options: &Options,
    store: Option<&dyn HistoryStore>,
    started: Instant,
) -> Result<Vec<ResultReport>, DataError> {
    // "Also in another partition": a window over every partition, per key.
    let inputs = inputs_for(contract, dataset, &schema);
    let mut flags = HashMap::new();
    let mut flag_exprs = Vec::new();
    if !checked.is_empty() {
        for (columns, name, flag) in super::elsewhere_flags(contract, dataset, &inputs)? {
            flag_exprs.push((name.clone(), flag));
            flags.insert(columns, name);
        }
    }
    let mut full_schema = schema.clone();
    full_schema.insert(PARTITION_TAG.into(), DataType::String);
    let mut flag_writer = Writer::new(&full_schema);
    let mut flag_columns = Vec::new();
    for (name, e) in &flag_exprs {
        let sql = flag_writer.expr(e).map_err(|e| DataError::new(&dataset.display, e.0))?;
        flag_columns.push(format!("{sql} AS {}", ident(name)));
    }
    let layered = layer(&flag_writer.over(&format!("SELECT * FROM {SOURCE_VIEW}")), &flag_columns);
    for (name, _) in &flag_exprs {
        full_schema.insert(name.as_str().into(), DataType::Boolean);
    }

    // Each partition's plan, as the local engine makes it, without footer answers (Spark reads
    // the data).
    let targets: Vec<Option<&Partition>> =
        if checked.is_empty() { vec![None] } else { checked.iter().map(|p| Some(*p)).collect() };
    let no_footers = Options { statistics: false, ..options.clone() };
    let elsewhere = Elsewhere::Flags(flags);
    let mut plans = Vec::new();
    let mut key_sets = std::collections::HashSet::new();
    for partition in &targets {
        let files = partition.map(|p| p.files.clone()).unwrap_or_else(|| dataset.files.clone());
        let gathered = gather(
            contract,
            dataset,
            *partition,
            &no_footers,
            store,
            schema.clone(),
            &elsewhere,
            &[],
            Some(&files),
            Depth::Run,
        )?;
        for set in gathered.engine_key_sets.iter().filter(|set| key_sets.insert(set.view.clone())) {
            register_key_set(session, dataset, set)?;
            full_schema.insert(set.view.as_str().into(), DataType::List(Box::new(set.dtype.clone())));
        }
        let pending = plan_checks(contract, dataset, *partition, &gathered, Pass::Portable, options.now);
        // Taken before any check errs for a construct Spark lacks: the split must flag every
        // rule's rows, or not be written.
        let row_rules = super::samples::row_rules(&pending);
        plans.push((*partition, pending, row_rules));
    }
    let grouped = plans.len() > 1;
    if grouped && plans.iter().any(|(_, pending, _)| slot_columns(pending) != slot_columns(&plans[0].1)) {
        // Plans of different slots (e.g. anomalies with and without history): one query each.
        let mut results = Vec::new();
        for p in checked {
            results.extend(judge(
                session,
                contract,
                dataset,
                &[*p],
                schema.clone(),
                source_files,
                true,
                options,
                store,
                started,
            )?);
        }
        return Ok(results);
    }

    // The first plan's slots in SQL (all plans lay out the same); a check with an untranslatable
    // construct is an error in every partition. The source may hold several partitions; each
    // check's own windows look within the checked one.
    let scope = several.then_some(PARTITION_TAG);
    let mut writer = Writer::new(&full_schema).with_prefix("__pass_window").with_window_scope(scope);
    let mut selected = vec![format!("count(*) AS {}", ident(ROWS_COLUMN))];
    if grouped {
        selected.insert(0, ident(PARTITION_TAG));
    }
    let mut refused: Vec<(usize, String)> = Vec::new();
    if let Some((_, pending, _)) = plans.first() {
        for (check, p) in pending.iter().enumerate() {
            let State::Planned { planned } = &p.state else { continue };
            let translated: Result<Vec<String>, Untranslatable> = planned
                .aggregates
                .iter()
                .map(|slot| Ok(format!("{} AS {}", writer.expr(&slot.expr)?, ident(&slot_column(check, slot.name)))))
                .collect();
            match translated {
                Ok(columns) => selected.extend(columns),
                Err(Untranslatable(what)) => refused.push((check, what)),
            }
        }
    }
    for (_, pending, _) in &mut plans {
        for (check, what) in &refused {
            pending[*check].state =
                State::Error(format!("the Spark engine cannot run {what}; check it with --engine local"));
        }
    }
    let within_of = |partition: Option<&Partition>| match partition {
        Some(p) if several => format!("{} = {}", ident(PARTITION_TAG), string_literal(&p.raw)),
        _ => "TRUE".to_string(),
    };
    let query = if grouped {
        format!(
            "SELECT {} FROM ({}) AS pass GROUP BY {}",
            selected.join(", "),
            writer.over(&layered),
            ident(PARTITION_TAG)
        )
    } else {
        let within = within_of(targets[0]);
        format!("SELECT {} FROM ({}) AS pass WHERE {within}", selected.join(", "), writer.over(&layered))
    };
    let df = ask(session, dataset, &query)?;
    let tags = if grouped { df.column(PARTITION_TAG).ok().cloned() } else { None };

    let mut results = Vec::new();
    for (partition, pending, row_rules) in plans {
        debug_assert!(lay_out(&pending).len() + 1 + usize::from(grouped) == selected.len());
        let pass = match (&tags, partition) {
            (Some(tags), Some(p)) => {
                match (0..df.height()).find(|i| {
                    tags.get(*i).ok().and_then(|v| v.get_str().map(str::to_string)).as_deref() == Some(p.raw.as_str())
                }) {
                    Some(row) => PassRow { df: Some(&df), row },
                    None => PassRow::NOTHING,
                }
            }
            _ => PassRow { df: Some(&df), row: 0 },
        };
        let rows = pass.int(ROWS_COLUMN).unwrap_or(0).max(0) as u64;
        let within = within_of(partition);
        let checked_files: Vec<PathBuf> = match partition {
            Some(p) => source_files.iter().filter(|f| p.files.contains(f)).cloned().collect(),
            None => source_files.to_vec(),
        };
        let locator = Locator::new(dataset, &checked_files, Some(rows));
        let samples = |wanted: &[Wanted]| {
            let source = Source { schema: &full_schema, layered: &layered, within: &within, scope };
            spark_samples(session, dataset, &source, wanted, options.sample, source_files, &locator)
        };
        let reports = conclude(pending, pass, rows, options, samples, &locator)?;
        let elapsed = started.elapsed().as_millis() as u64;
        let mut result = result_report(contract, dataset, partition, rows, elapsed, reports);
        if options.quarantine.is_some() || options.clean.is_some() {
            let split = Split { columns: &schema, source: &layered, full_schema: &full_schema, within: &within, scope };
            result.outputs = Some(split.write(session, contract, dataset, partition, &row_rules, options)?);
        }
        results.push(result);
    }
    Ok(results)
}

/// A `references` dataset Spark reads: a view of its non-null keys, named as the column that
/// stands for it in the plan (see `Writer`'s `is_in`).
fn register_key_set(session: &Session, dataset: &Dataset, set: &EngineKeySet) -> Result<(), DataError> {
    let files_view = format!("{}_files", set.view);
    let parts: Vec<(String, Vec<String>)> = set.files.iter().map(|f| (spark_path(f), Vec::new())).collect();
    session.register_parquet_union(&files_view, &parts).map_err(|e| DataError::new(&dataset.display, e.to_string()))?;
    let key = ident(&set.key);
    ask(
        session,
        dataset,
        &format!(
            "CREATE OR REPLACE TEMPORARY VIEW {} AS SELECT {key} AS k FROM {} WHERE {key} IS NOT NULL",
            ident(&set.view),
            ident(&files_view)
        ),
    )?;
    Ok(())
}

/// `--quarantine` and `--clean` on Spark: the source's rows, flagged by every row rule as the
/// pass flags them, written by Spark as two folders of Parquet files.
struct Split<'a> {
    /// The data's own columns (and the partition key), in the order the local engine writes them.
    columns: &'a Schema,
    /// The flagged source the pass reads, and the rows of the checked partition in it.
    source: &'a str,
    full_schema: &'a Schema,
    within: &'a str,
    scope: Option<&'a str>,
}

impl Split<'_> {
    fn write(
        &self,
        session: &Session,
        contract: &Contract,
        dataset: &Dataset,
        partition: Option<&Partition>,
        rules: &[(String, Expr)],
        options: &Options,
    ) -> Result<serde_json::Value, DataError> {
        let mut writer = Writer::new(self.full_schema).with_prefix("__split_window").with_window_scope(self.scope);
        let mut flags = Vec::new();
        for (i, (id, failing)) in rules.iter().enumerate() {
            let sql = writer.expr(failing).map_err(|Untranslatable(what)| {
                DataError::new(
                    &dataset.display,
                    format!(
                        "the Spark engine cannot flag the rows of `{id}` for --quarantine/--clean ({what}); write                          them with --engine local"
                    ),
                )
            })?;
            flags.push((id, format!("coalesce({sql}, FALSE) AS {}", ident(&format!("__broke{i}")))));
        }
        let broke = |i: usize| ident(&format!("__broke{i}"));
        let broken: Vec<String> = (0..rules.len()).map(broke).collect();
        let broken = if broken.is_empty() { "FALSE".to_string() } else { broken.join(" OR ") };
        let named: Vec<String> = flags
            .iter()
            .enumerate()
            .map(|(i, (id, _))| format!("CASE WHEN {} THEN {} END", broke(i), string_literal(id)))
            .collect();
        let columns: Vec<String> = self.columns.iter_names().map(|c| ident(c)).collect();
        let flag_columns: Vec<String> = flags.into_iter().map(|(_, sql)| sql).collect();
        let flagged = format!(
            "SELECT * FROM ({}) AS flagged WHERE {}",
            layer(&writer.over(self.source), &flag_columns),
            self.within
        );
        let failed_rules = format!(
            "filter(CAST(array({}) AS ARRAY<STRING>), rule -> rule IS NOT NULL) AS {}",
            named.join(", "),
            ident(crate::quarantine::FAILED_RULES)
        );
        let stem = match partition {
            Some(p) => {
                format!("{}-{}={}", contract.name, dataset.partition_key.as_deref().unwrap_or("partition"), p.raw)
            }
            None => contract.name.clone(),
        };
        let mut sides = Vec::new();
        if let Some(dir) = &options.quarantine {
            let select =
                format!("SELECT {}, {failed_rules} FROM ({flagged}) AS split WHERE {broken}", columns.join(", "));
            sides.push(("quarantine", select, crate::quarantine::StagedFolder::new(dir, &stem)?));
        }
        if let Some(dir) = &options.clean {
            let select = format!("SELECT {} FROM ({flagged}) AS split WHERE NOT ({broken})", columns.join(", "));
            sides.push(("clean", select, crate::quarantine::StagedFolder::new(dir, &stem)?));
        }
        // Every side written before any is put in place.
        let mut failed = None;
        for (_, select, place) in &sides {
            if failed.is_none() {
                if let Err(e) = session.write_parquet(select, &place.staging.to_string_lossy()) {
                    failed = Some(DataError::new(place.target(), e.to_string()));
                }
            }
        }
        if let Some(e) = failed {
            sides.into_iter().for_each(|(_, _, place)| place.abandon());
            return Err(e);
        }
        let mut out = serde_json::Map::new();
        for (side, _, place) in sides {
            let (path, rows) = place.commit()?;
            out.insert(side.into(), serde_json::json!({"path": path.to_string_lossy(), "rows": rows}));
        }
        Ok(serde_json::Value::Object(out))
    }
}

/// What samples are read from: the flagged source (columns `schema`), the checked partition's
/// rows in it, and the column windows are scoped by when it holds other partitions too.
#[derive(Clone, Copy)]
struct Source<'a> {
    schema: &'a Schema,
    layered: &'a str,
    within: &'a str,
    scope: Option<&'a str>,
}

/// `SELECT *, columns FROM (inner)`, or `inner` when there are none. Every subquery is named:
/// Spark reads `(subquery) WHERE (x)` as a subquery named `WHERE` with one column alias `x`.
fn layer(inner: &str, columns: &[String]) -> String {
    if columns.is_empty() {
        inner.to_string()
    } else {
        format!("SELECT *, {} FROM ({inner}) AS layer", columns.join(", "))
    }
}

/// The samples of the failing checks, each grouping its failing values (or repeated keys) with
/// their count and first location, most frequent first, ties by value. Checks of failing rows
/// share one scan when there are several: their rows are cached (value, flag, location) and each
/// check groups its own from them. Repeated keys are grouped over the source.
#[allow(clippy::too_many_arguments)]
fn spark_samples(
    session: &Session,
    dataset: &Dataset,
    source: &Source,
    wanted: &[Wanted],
    limit: usize,
    source_files: &[PathBuf],
    locator: &Locator,
) -> Result<Vec<Vec<SampleRow>>, DataError> {
    let Source { schema, layered, within, scope } = *source;
    let mut writer = Writer::new(schema).with_prefix("__sample_window").with_window_scope(scope);
    // Samples the engine cannot gather are left out; the count stands.
    let translated: Vec<Option<(Vec<String>, String, bool)>> =
        wanted.iter().map(|w| evidence_sql(&mut writer, w.evidence).ok()).collect();
    let inner = writer.over(layered);
    let (file, row) = (ident(FILE_COLUMN), ident(ROW_IN_FILE));
    let shared: Vec<usize> = (0..translated.len())
        .filter(|i| matches!(&translated[*i], Some((keys, _, false)) if keys.len() == 1))
        .collect();
    let cached = shared.len() > 1;
    if cached {
        let mut columns = vec![file.clone(), row.clone()];
        for i in &shared {
            let Some((keys, condition, _)) = &translated[*i] else { continue };
            columns.push(format!("{} AS {}", keys[0], ident(&format!("__value{i}"))));
            columns.push(format!("coalesce({condition}, FALSE) AS {}", ident(&format!("__flag{i}"))));
        }
        let any: Vec<String> = shared.iter().map(|i| ident(&format!("__flag{i}"))).collect();
        let cache = format!(
            "CACHE TABLE {FAILING_ROWS} AS SELECT * FROM (SELECT {} FROM ({inner}) AS source WHERE {within}) AS failing \
             WHERE {}",
            columns.join(", "),
            any.join(" OR ")
        );
        ask(session, dataset, &format!("DROP VIEW IF EXISTS {FAILING_ROWS}"))?;
        ask(session, dataset, &cache)?;
    }
    let result = (|| {
        let mut out = Vec::new();
        // Rows before each file in the checked files' order, to turn (file, row) into a row number.
        let mut counts: Option<HashMap<i64, u64>> = None;
        for (i, t) in translated.iter().enumerate() {
            let Some((keys, condition, repeated)) = t else {
                out.push(Vec::new());
                continue;
            };
            let (keys, from, condition) = if cached && shared.contains(&i) {
                (vec![ident(&format!("__value{i}"))], FAILING_ROWS.to_string(), ident(&format!("__flag{i}")))
            } else {
                (keys.clone(), format!("({inner}) AS source"), format!("({within}) AND ({condition})"))
            };
            let key_columns: Vec<String> = (0..keys.len()).map(|k| ident(&format!("k{k}"))).collect();
            let projected: Vec<String> =
                keys.iter().zip(&key_columns).map(|(k, name)| format!("{k} AS {name}")).collect();
            let first = format!("min(named_struct('f', {file}, 'r', {row}))");
            let having = if *repeated { "HAVING count(*) > 1" } else { "" };
            let order: Vec<String> = key_columns.iter().map(|k| format!("{k} ASC NULLS LAST")).collect();
            let query = format!(
                "SELECT {keys}, count(*) AS n, {first}.f AS first_file, {first}.r AS first_row FROM (SELECT \
                 {projected}, {file}, {row} FROM {from} WHERE {condition}) AS sampled GROUP BY {keys} {having} ORDER BY n DESC, \
                 {order} LIMIT {limit}",
                keys = key_columns.join(", "),
                projected = projected.join(", "),
                order = order.join(", "),
            );
            let df = ask(session, dataset, &query)?;
            if counts.is_none() && df.height() > 0 {
                counts = Some(rows_before_each_file(dataset, source_files, locator)?);
            }
            out.push(sample_rows(&df, keys.len(), counts.as_ref()));
        }
        Ok(out)
    })();
    if cached {
        // The cached view is the session's (dropping it uncaches it); a failure to drop it changes
        // no answer, and the next run replaces it.
        let _ = session.query(&format!("DROP VIEW IF EXISTS {FAILING_ROWS}"));
    }
    result
}

/// The failing rows several checks' samples are grouped from (see [`spark_samples`]).
const FAILING_ROWS: &str = "__tollgate_failing_rows";

/// One sample query's rows: `k0…` the value, `n` its count, `first_file`/`first_row` where it
/// first occurs.
fn sample_rows(df: &DataFrame, keys: usize, before: Option<&HashMap<i64, u64>>) -> Vec<SampleRow> {
    let cell = |name: &str, row: usize| df.column(name).ok().and_then(|c| c.get(row).ok());
    let mut samples = Vec::new();
    for row in 0..df.height() {
        let parts: Vec<serde_json::Value> = (0..keys)
            .map(|i| cell(&format!("k{i}"), row).map(|v| crate::values::json_value(&v)).unwrap_or_default())
            .collect();
        let value = if parts.len() == 1 {
            parts.into_iter().next().unwrap_or_default()
        } else {
            serde_json::Value::Array(parts)
        };
        let file = cell("first_file", row).and_then(|v| v.extract::<i64>());
        let in_file = cell("first_row", row).and_then(|v| v.extract::<u64>());
        let first_row = match (file, in_file, before) {
            (Some(f), Some(r), Some(before)) => before.get(&f).map(|b| b + r),
            _ => None,
        };
        samples.push(SampleRow {
            value,
            count: cell("n", row).and_then(|v| v.extract::<u64>()).unwrap_or(0),
            first_row,
        });
    }
    samples
}

/// A failing check's evidence in SQL: the sampled keys, the condition of the rows they come
/// from, and whether only keys that repeat count.
fn evidence_sql(writer: &mut Writer, evidence: &Evidence) -> Result<(Vec<String>, String, bool), Untranslatable> {
    match evidence {
        Evidence::Where { failing, value } => Ok((vec![writer.expr(value)?], writer.expr(failing)?, false)),
        Evidence::Duplicates { keys, present, looked_up: _, tallied: _ } => {
            let keys = keys.iter().map(|k| writer.expr(k)).collect::<Result<Vec<_>, _>>()?;
            Ok((keys, writer.expr(present)?, true))
        }
        Evidence::Known(_) => Err(Untranslatable("samples the check gathered itself".into())),
    }
}

/// For each file number of the checked rows, the rows of the checked files before it, from
/// their footers (read for their schemas already), as the locator counts them.
fn rows_before_each_file(
    dataset: &Dataset,
    source_files: &[PathBuf],
    locator: &Locator,
) -> Result<HashMap<i64, u64>, DataError> {
    let mut before = HashMap::new();
    let mut total = 0u64;
    for (number, file) in source_files.iter().enumerate() {
        if !locator.files.contains(file) {
            continue;
        }
        before.insert(number as i64, total);
        total += dataset.parquet_rows(std::slice::from_ref(file))?;
    }
    Ok(before)
}
