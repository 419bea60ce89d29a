//! The command line (SPEC §2): argument parsing, running the commands, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::contract::{self, Contract};
use crate::diff;
use crate::engine::{self, Options};
use crate::history;
use crate::report::{self, Report, ResultReport, Status};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_DATA: i32 = 3;

#[derive(Parser, Debug)]
#[command(name = "tollgate", version, about = "Check data against a data contract; exit nonzero when it breaks.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Evaluate contracts against their data and report.
    Check(CheckArgs),
    /// List the metrics recorded for a contract in a history store.
    History {
        contract: PathBuf,
        #[arg(long)]
        history: String,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Is NEW compatible with OLD? Lists every change; exit 1 when one breaks the mode.
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[arg(long, value_enum, default_value_t = DiffMode::Backward)]
        mode: DiffMode,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Propose a contract from the data (one pass); the proposal passes `check` on that data.
    Infer {
        data: PathBuf,
        /// Write the contract here (atomically) instead of stdout; its dataset path is made relative to it.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Propose an ODCS v3.1 contract instead of a native one.
        #[arg(long)]
        odcs: bool,
    },
    /// Validate contract files only; no data is read.
    Validate {
        #[arg(required = true)]
        contracts: Vec<PathBuf>,
    },
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    #[arg(required = true)]
    pub contracts: Vec<PathBuf>,
    /// Replaces dataset.path (one contract only); relative to the working directory.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Check this partition instead of the latest.
    #[arg(long, conflicts_with = "all_partitions")]
    pub partition: Option<String>,
    /// Check every partition, one result each.
    #[arg(long)]
    pub all_partitions: bool,
    /// Reference time (RFC 3339) for freshness and history, so runs repeat exactly.
    #[arg(long)]
    pub now: Option<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the report to FILE (whole or not at all); the table still goes to stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Failing values shown per check.
    #[arg(long, default_value_t = 5)]
    pub sample: usize,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
    /// Record metrics in, and read anomaly history from, this store (a SQLite file).
    #[arg(long)]
    pub history: Option<String>,
    /// Write the rows that break any row-level rule to DIR as Parquet, with the ids of the rules
    /// each row broke in the list column `_tollgate_failed_rules`.
    #[arg(long)]
    pub quarantine: Option<PathBuf>,
    /// Write the rows that pass every row-level rule to DIR as Parquet.
    #[arg(long)]
    pub clean: Option<PathBuf>,
    /// Read every column the rules name, even where Parquet footer statistics (null counts, min
    /// and max) already decide a rule.
    #[arg(long)]
    pub no_statistics: bool,
    /// Also write a report as FORMAT=FILE (repeatable), e.g. --report junit=tollgate.xml
    #[arg(long = "report", value_parser = parse_extra_report)]
    pub reports: Vec<ExtraReport>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
    Junit,
    Markdown,
    Github,
}

/// `--report FORMAT=FILE`: one more report file, in addition to stdout and `--output`.
#[derive(Clone, Debug)]
pub struct ExtraReport {
    pub format: OutputFormat,
    pub path: PathBuf,
}

fn parse_extra_report(text: &str) -> Result<ExtraReport, String> {
    let (format, path) = text.split_once('=').ok_or("write FORMAT=FILE, e.g. junit=report.xml")?;
    let format = OutputFormat::from_str(format, true)
        .map_err(|_| format!("unknown format `{format}` (table, json, junit, markdown, github)"))?;
    if path.is_empty() {
        return Err("the file name is empty".into());
    }
    Ok(ExtraReport { format, path: PathBuf::from(path) })
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffMode {
    Backward,
    Forward,
    Full,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warn,
}

pub fn main() -> i32 {
    quiet_footer_decoder_panics();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    match cli.command {
        Command::Validate { contracts } => validate(&contracts),
        Command::Check(args) => check(&args),
        Command::History { contract, history, format } => list_history(&contract, &history, format),
        Command::Diff { old, new, mode, format } => diff_contracts(&old, &new, mode, format),
        Command::Infer { data, output, odcs } => infer(&data, output.as_deref(), odcs),
    }
}

/// Loads every contract; prints all diagnostics of every invalid one.
fn load_all(paths: &[PathBuf]) -> Option<Vec<Contract>> {
    let mut contracts = Vec::new();
    let mut ok = true;
    for path in paths {
        match contract::load(path) {
            Ok(c) => contracts.push(c),
            Err(invalid) => {
                eprintln!("{invalid}");
                ok = false;
            }
        }
    }
    ok.then_some(contracts)
}

fn validate(paths: &[PathBuf]) -> i32 {
    match load_all(paths) {
        None => EXIT_USAGE,
        Some(contracts) => {
            for c in contracts {
                let rules: usize = c.columns().iter().map(|col| col.rules.len()).sum();
                println!(
                    "ok: {} (contract {}, {} column rules, {} dataset checks)",
                    c.file.display(),
                    c.name,
                    rules,
                    c.checks.len()
                );
                for check in &c.checks {
                    if let contract::CheckKind::Unsupported { reason } = &check.kind {
                        let (line, column) = (check.pos.line, check.pos.column);
                        println!(
                            "note: {}:{line}:{column}: `{}` will be reported as skipped: {reason}",
                            c.file.display(),
                            check.id()
                        );
                    }
                }
            }
            EXIT_OK
        }
    }
}

/// Writes `text` to `path` whole or not at all: a temporary file beside it, then a rename.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn render(report: &Report, format: OutputFormat) -> String {
    match format {
        OutputFormat::Table => report::table::render(report),
        OutputFormat::Json => report::json::render(report),
        OutputFormat::Junit => report::junit::render(report),
        OutputFormat::Markdown => report::markdown::render(report),
        OutputFormat::Github => report::github::render(report),
    }
}

/// Polars' Parquet footer decoder panics on some malformed footers. `source` catches those and
/// reports the file as unreadable (exit 3), so they are not printed as panics; every other
/// panic is, by the default hook.
fn quiet_footer_decoder_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_decoder = info.location().is_some_and(|l| {
            let file = l.file();
            file.contains("polars-parquet")
                && ["handwritten_thrift", "parquet/metadata", "parquet/statistics"].iter().any(|m| file.contains(m))
        });
        if !in_decoder {
            default(info);
        }
    }));
}

fn check(args: &CheckArgs) -> i32 {
    let Some(contracts) = load_all(&args.contracts) else { return EXIT_USAGE };
    if args.data.is_some() && contracts.len() > 1 {
        eprintln!("error: --data replaces the dataset of one contract, but {} contracts were given", contracts.len());
        return EXIT_USAGE;
    }
    let now = match &args.now {
        None => chrono::Utc::now(),
        Some(text) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(t) => t.with_timezone(&chrono::Utc),
            Err(e) => {
                eprintln!("error: --now `{text}` is not an RFC 3339 time ({e})\n   = help: write e.g. --now 2026-01-10T06:00:00Z");
                return EXIT_USAGE;
            }
        },
    };
    let options = Options {
        data: args.data.clone(),
        partition: args.partition.clone(),
        all_partitions: args.all_partitions,
        now,
        sample: args.sample,
        quarantine: args.quarantine.clone(),
        clean: args.clean.clone(),
        statistics: !args.no_statistics,
        progress: None,
    };
    // A spinner on a terminal only: never when piped, in CI, or with --quiet.
    let spinner = progress_spinner(args.quiet);
    let options = Options {
        progress: spinner.clone().map(|pb| {
            let report: std::sync::Arc<dyn Fn(String) + Send + Sync> = std::sync::Arc::new(move |m| pb.set_message(m));
            report
        }),
        ..options
    };
    let store = match args.history.as_deref().map(history::open).transpose() {
        Ok(store) => store,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_DATA;
        }
    };
    let mut results: Vec<ResultReport> = Vec::new();
    let mut data_error = false;
    for c in &contracts {
        // A panic is a bug, but one contract's bug must not lose the other contracts' results.
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            engine::check_with_history(c, &options, store.as_deref())
        }))
        .unwrap_or_else(|_| {
            Err(crate::source::DataError::new(&c.file, "internal error (a bug in tollgate; please report it)"))
        });
        match checked {
            Ok(mut r) => results.append(&mut r),
            Err(e) => {
                eprintln!("error: {e}");
                data_error = true;
                results.push(ResultReport {
                    contract: c.name.clone(),
                    contract_version: c.version.clone(),
                    contract_path: c.file.to_string_lossy().into_owned(),
                    dataset: e.file.to_string_lossy().into_owned(),
                    partition: None,
                    rows: None,
                    status: Status::Error,
                    duration_ms: 0,
                    checks: Vec::new(),
                    outputs: None,
                    error: Some(e.to_string()),
                });
            }
        }
    }
    if let Some(pb) = spinner {
        pb.finish_and_clear();
    }
    let report = Report::new(results);
    let mut code = exit_code(&report, args.fail_on);
    if data_error {
        code = EXIT_DATA;
    }
    let files = args.output.iter().map(|p| (args.format, p)).chain(args.reports.iter().map(|r| (r.format, &r.path)));
    for (format, path) in files {
        if let Err(e) = write_atomically(path, &render(&report, format)) {
            eprintln!("error: cannot write the report to {}: {e}", path.display());
            code = EXIT_DATA;
        }
    }
    if args.output.is_some() {
        if !args.quiet {
            print!("{}", render(&report, OutputFormat::Table));
        }
    } else if !args.quiet {
        print!("{}", render(&report, args.format));
    }
    code
}

fn list_history(contract: &Path, store: &str, format: OutputFormat) -> i32 {
    let Some(contracts) = load_all(&[contract.to_path_buf()]) else { return EXIT_USAGE };
    let name = &contracts[0].name;
    let metrics = match history::open(store).and_then(|s| s.list(name)) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_DATA;
        }
    };
    if format == OutputFormat::Json {
        let rows: Vec<_> = metrics
            .iter()
            .map(|m| serde_json::json!({"contract": m.contract, "partition": m.partition, "metric": m.metric, "value": m.value, "recorded_at": m.recorded_at}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
        return EXIT_OK;
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED).set_header(vec![
        "partition",
        "metric",
        "value",
        "recorded_at",
    ]);
    for m in &metrics {
        table.add_row(vec![m.partition.clone(), m.metric.clone(), m.value.to_string(), m.recorded_at.clone()]);
    }
    println!("{name}: {} metrics recorded in {store}\n{table}", metrics.len());
    EXIT_OK
}

fn progress_spinner(quiet: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return None;
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").ok()?);
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(pb)
}

fn infer(data: &Path, output: Option<&Path>, odcs: bool) -> i32 {
    let proposal = match crate::infer::infer(data, output, odcs) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_DATA;
        }
    };
    match output {
        None => print!("{}", proposal.text),
        Some(path) => {
            if let Err(e) = write_atomically(path, &proposal.text) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return EXIT_DATA;
            }
        }
    }
    EXIT_OK
}

fn diff_contracts(old: &Path, new: &Path, mode: DiffMode, format: OutputFormat) -> i32 {
    let Some(contracts) = load_all(&[old.to_path_buf(), new.to_path_buf()]) else { return EXIT_USAGE };
    let mode = match mode {
        DiffMode::Backward => diff::Mode::Backward,
        DiffMode::Forward => diff::Mode::Forward,
        DiffMode::Full => diff::Mode::Full,
    };
    let mode_name = format!("{mode:?}").to_lowercase();
    let changes = diff::diff(&contracts[0], &contracts[1]);
    let breaking = changes.iter().filter(|c| c.breaks(mode)).count();
    if format == OutputFormat::Json {
        let items: Vec<_> = changes
            .iter()
            .map(|c| {
                serde_json::json!({
                    "change": c.kind, "column": c.column, "detail": c.detail,
                    "breaks_backward": c.breaks_backward, "breaks_forward": c.breaks_forward,
                    "breaking": c.breaks(mode),
                })
            })
            .collect();
        let doc = serde_json::json!({"mode": mode_name, "compatible": breaking == 0, "changes": items});
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        let verdict = |b: bool| if b { "breaks" } else { "ok" };
        let mut table = comfy_table::Table::new();
        table
            .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
            .set_header(vec!["change", "column", "detail", "backward", "forward"]);
        for c in &changes {
            table.add_row(vec![
                c.kind.to_string(),
                c.column.clone().unwrap_or_default(),
                c.detail.clone(),
                verdict(c.breaks_backward).to_string(),
                verdict(c.breaks_forward).to_string(),
            ]);
        }
        if !changes.is_empty() {
            println!("{table}");
        }
        println!(
            "{} changes, {breaking} breaking in {mode_name} mode: {}",
            changes.len(),
            if breaking == 0 { "compatible" } else { "NOT compatible" }
        );
    }
    if breaking > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

fn exit_code(report: &Report, fail_on: FailOn) -> i32 {
    let statuses = report.results.iter().flat_map(|r| r.checks.iter().map(|c| c.status));
    let worst = Status::worst(statuses);
    match worst {
        Status::Fail | Status::Error => EXIT_FAILED,
        Status::Warn if fail_on == FailOn::Warn => EXIT_FAILED,
        _ => EXIT_OK,
    }
}
