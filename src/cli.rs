//! The command line (SPEC §2): argument parsing, running the commands, exit codes.

use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::contract::{self, Contract, InvalidContract};
use crate::diff;
use crate::engine::{self, Options};
use crate::history;
use crate::output;
use crate::report::{self, Report, ResultReport, Status};

/// `println!` that a closed pipe does not turn into a panic.
macro_rules! outln {
    ($($arg:tt)*) => { crate::output::print(&format!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` that a closed stderr does not turn into a panic.
macro_rules! errln {
    ($($arg:tt)*) => { crate::output::eprint(&format!("{}\n", format_args!($($arg)*))) };
}

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_DATA: i32 = 3;

const EXIT_CODES: &str = "\
Exit codes:
  0  every check passed (warnings allowed unless --fail-on warn)
  1  a check failed or errored (diff: a breaking change)
  2  bad usage or an invalid contract; nothing was evaluated
  3  the data could not be read, or another runtime error";

const CHECK_EXAMPLES: &str = "\
Examples:
  tollgate check contracts/orders.yaml
  tollgate check contracts/orders_daily.yaml --partition dt=2026-01-10 --format json -o report.json
  tollgate check contracts/orders_daily.yaml --all-partitions --report junit=results.xml
  tollgate check orders.yaml --data staging/orders.parquet --quarantine rejected/ --clean good/";

#[derive(Parser, Debug)]
#[command(
    name = "tollgate",
    version,
    about = "Check data against a data contract; exit nonzero when it breaks.",
    after_help = EXIT_CODES,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Evaluate contracts against their data and report.
    #[command(after_help = format!("{CHECK_EXAMPLES}\n\n{EXIT_CODES}"))]
    Check(CheckArgs),
    /// List the metrics recorded for a contract in a history store.
    #[command(after_help = "\
Examples:
  tollgate history contracts/orders_daily.yaml --history tollgate.db
  tollgate history contracts/orders_daily.yaml --history tollgate.db -f json | jq '.[] | select(.metric == \"rows\")'
  tollgate history contracts/metrics.yaml --history tollgate.db --metric amount.anomaly.mean
  tollgate history contracts/orders_daily.yaml --history tollgate.db --format html > history.html

Exit codes: 0 listed; 2 invalid contract; 3 the store does not exist or cannot be read.")]
    History {
        /// The contract whose recorded metrics to list (its `contract` name is the key).
        contract: PathBuf,
        /// The history store: a SQLite file written by `check --history`, or a postgres:// URL.
        #[arg(long)]
        history: String,
        /// table for people, json for programs, html for one page with a chart per metric.
        #[arg(short, long, value_enum, default_value_t = HistoryFormat::Table)]
        format: HistoryFormat,
        /// An `anomaly` check's id (e.g. amount.anomaly.mean): its recorded series, each point
        /// with the band the check computes from the points before it.
        #[arg(long)]
        metric: Option<String>,
    },
    /// Compare two datasets without a contract: row counts, and by key the missing, extra and
    /// duplicate keys and the values that differ (a `reconcile` check made on the spot).
    #[command(after_help = "\
Examples:
  tollgate compare curated/orders legacy/orders --key order_id
  tollgate compare s3://lake/orders/dt=2026-01-10 shadow/dt=2026-01-10 --key order_id,line --tolerance amount=0.005
  tollgate compare a.parquet b.csv --key id --columns amount,status --format json -o diff.json

Exit codes: 0 the same (within tolerances); 1 they differ; 2 bad usage; 3 a side cannot be read.")]
    Compare(CompareArgs),
    /// Is NEW compatible with OLD? Lists every change; exit 1 when one breaks the mode.
    #[command(after_help = "\
Examples:
  tollgate diff contracts/orders.yaml contracts/orders_v2.yaml
  tollgate diff old.yaml new.yaml --mode full
  tollgate diff old.odcs.yaml new.odcs.yaml --format json

Exit codes: 0 compatible; 1 a change breaks the mode; 2 an invalid contract.")]
    Diff {
        /// The contract as it is today.
        old: PathBuf,
        /// The proposed contract.
        new: PathBuf,
        /// backward: readers of NEW read data written under OLD; forward: the reverse; full: both.
        #[arg(long, value_enum, default_value_t = DiffMode::Backward)]
        mode: DiffMode,
        /// table for people, json for programs.
        #[arg(short, long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
    },
    /// Propose a contract from the data (one pass); the proposal passes `check` on that data.
    #[command(after_help = "\
Examples:
  tollgate infer fixtures/orders.parquet
  tollgate infer fixtures/daily -o contracts/daily.yaml
  tollgate infer exports/customers.csv --odcs -o customers.odcs.yaml

Exit codes: 0 proposed; 3 the data could not be read or the output not written.")]
    Infer {
        /// A data file, folder or glob (Parquet or CSV).
        data: PathBuf,
        /// Write the contract here instead of stdout (whole or not at all; `-` is stdout); its
        /// dataset path is made relative to it.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Propose an ODCS v3.1 contract instead of a native one.
        #[arg(long)]
        odcs: bool,
    },
    /// Validate contract files only; no data is read.
    #[command(after_help = "\
Examples:
  tollgate validate contracts/orders.yaml
  tollgate validate contracts/*.yaml
  tollgate validate contract.odcs.yaml --format github

Exit codes: 0 every contract is valid; 2 one is not (each problem with file:line:col).")]
    Validate {
        /// Contract files (native or ODCS v3).
        #[arg(required = true)]
        contracts: Vec<PathBuf>,
        /// table: rustc-style diagnostics; json and github: the diagnostics in that format on stdout.
        #[arg(short, long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Show the plan of a check without running it: which columns the pass reads, what is read
    /// before it, which checks footers answer, and what every verdict is computed from.
    #[command(after_help = "\
Examples:
  tollgate explain contracts/orders.yaml
  tollgate explain contracts/orders.yaml --data staging/orders --format json
  tollgate explain contracts/orders_daily.yaml --partition 2026-01-10

Exit codes: 0 explained; 2 an invalid contract or bad usage; 3 the data cannot be read.")]
    Explain(ExplainArgs),
    /// Print a shell completion script on stdout.
    #[command(after_help = "\
Examples:
  tollgate completions bash > /etc/bash_completion.d/tollgate
  tollgate completions zsh > \"${fpath[1]}/_tollgate\"
  tollgate completions fish > ~/.config/fish/completions/tollgate.fish")]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout.
    #[command(after_help = "\
Examples:
  tollgate man > /usr/local/share/man/man1/tollgate.1
  tollgate man | man -l -
  tollgate man | gzip > tollgate.1.gz")]
    Man,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Contract files (native or ODCS v3); each is validated before any data is read.
    #[arg(required = true)]
    pub contracts: Vec<PathBuf>,
    /// Check this data instead of the contract's dataset path (one contract only), in its own
    /// format (from its extension, else its content).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The ODCS server (by its `server` name) whose path and format to check.
    #[arg(long, conflicts_with = "data")]
    pub server: Option<String>,
    /// Check this partition instead of the latest: its value (2026-01-10) or folder name (dt=2026-01-10).
    #[arg(long, conflicts_with = "all_partitions")]
    pub partition: Option<String>,
    /// Check every partition, one result each.
    #[arg(long)]
    pub all_partitions: bool,
    /// Check the files at PATH (a staging folder or file) as partition --partition of the
    /// contract's dataset, in the context of the other partitions (pre-promotion).
    #[arg(long, requires = "partition", conflicts_with_all = ["all_partitions", "data"])]
    pub candidate: Option<PathBuf>,
    /// Reference time for freshness and history (RFC 3339, or a date meaning its midnight UTC),
    /// so runs repeat exactly.
    #[arg(long)]
    pub now: Option<String>,
    /// The report on stdout (or in --output).
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the --format report to FILE (whole or not at all; `-` is stdout); the table still goes to stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// The lowest status that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Failing values shown per check (0: none).
    #[arg(long, default_value_t = 5)]
    pub sample: usize,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// Record metrics in, and read anomaly history from, this store: a SQLite file, or
    /// postgres://user@host:port/db[?schema=NAME] shared by a team (password: URL, PGPASSWORD,
    /// ~/.pgpass).
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
    /// Colour in the table: auto (a terminal, unless NO_COLOR is set or CLICOLOR_FORCE forces it).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// `--show passed`: list every passing check in the table instead of one line.
    #[arg(long, value_enum)]
    pub show: Vec<Show>,
    /// Show the values of columns the contract marks sensitive (for a local run; said on stderr).
    #[arg(long)]
    pub show_sensitive: bool,
    /// Who runs the checks: local (Polars, in this process) or spark (Apache Spark through
    /// Spark Connect; builds with the `spark` feature).
    #[arg(long, value_enum, default_value_t = EngineChoice::Local)]
    pub engine: EngineChoice,
    /// The Spark Connect server for --engine spark, sc://HOST:PORT (else $SPARK_REMOTE).
    #[arg(long, value_name = "URL")]
    pub spark_remote: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineChoice {
    Local,
    Spark,
}

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The contract (native or ODCS v3) whose plan to show.
    pub contract: PathBuf,
    /// Plan for this data instead of the contract's dataset path (its schema and footers are read).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The ODCS server (by its `server` name) whose path and format to plan for.
    #[arg(long, conflicts_with = "data")]
    pub server: Option<String>,
    /// Plan for this partition instead of the latest.
    #[arg(long)]
    pub partition: Option<String>,
    /// Plan as `check --no-statistics` would: no answers from Parquet footers.
    #[arg(long)]
    pub no_statistics: bool,
    /// table (text) for people, json for programs.
    #[arg(short, long, value_enum, default_value_t = TextFormat::Table)]
    pub format: TextFormat,
}

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// The data compared (a file, folder, glob or object-store URL): "here".
    pub here: PathBuf,
    /// The data it is compared with: "there".
    pub there: PathBuf,
    /// Key columns, comma-separated; without a key only the row counts are compared.
    #[arg(long, value_delimiter = ',')]
    pub key: Vec<String>,
    /// Columns whose values are compared, comma-separated (default: every column both sides
    /// have, the key aside).
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// COLUMN=NUMBER: how far a numeric column may differ (repeatable); COLUMN=NUMBER% relative
    /// to the value there.
    #[arg(long)]
    pub tolerance: Vec<String>,
    /// The report on stdout (or in --output).
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the --format report to FILE (whole or not at all); the table still goes to stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Differing keys shown per comparison (0: none).
    #[arg(long, default_value_t = 5)]
    pub sample: usize,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Formats of `diff`, which has no JUnit, GitHub, Markdown or HTML form.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFormat {
    Table,
    Json,
}

/// Formats of `history`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryFormat {
    Table,
    Json,
    // One self-contained page, a chart per metric.
    Html,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    Passed,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
    Junit,
    Markdown,
    Github,
    // One self-contained page with charts (for `check`; `validate` prints diagnostics only). A
    // plain comment: a doc comment would turn --help into the long "possible values" layout.
    Html,
}

/// `--report FORMAT=FILE`: one more report file, in addition to stdout and `--output`.
#[derive(Clone, Debug)]
pub struct ExtraReport {
    pub format: OutputFormat,
    pub path: PathBuf,
}

fn parse_extra_report(text: &str) -> Result<ExtraReport, String> {
    let (format, path) = text.split_once('=').ok_or("write FORMAT=FILE, e.g. junit=report.xml")?;
    let format = OutputFormat::from_str(format, true).map_err(|_| {
        let names: Vec<String> = OutputFormat::value_variants().iter().copied().map(format_name).collect();
        format!("unknown format `{format}` ({})", names.join(", "))
    })?;
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
    let code = run();
    // A report that could not be written to stdout (a full disk) was not delivered.
    if output::stdout_failed() {
        EXIT_DATA
    } else {
        code
    }
}

fn run() -> i32 {
    quiet_footer_decoder_panics();
    // Without it Polars panics on a Parquet INTERVAL column (DuckDB writes them) even when no
    // rule names it; with it the column reads as a struct. Set before any thread exists.
    std::env::set_var("POLARS_IMPORT_INTERVAL_AS_STRUCT", "1");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout; a closed pipe must not panic there either.
            use std::io::IsTerminal;
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let terminal =
                if e.use_stderr() { std::io::stderr().is_terminal() } else { std::io::stdout().is_terminal() };
            let text = if terminal { e.render().ansi().to_string() } else { e.render().to_string() };
            if e.use_stderr() {
                output::eprint(&text);
            } else {
                output::print(&text);
            }
            return code;
        }
    };
    match cli.command {
        Command::Validate { contracts, format } => validate(&contracts, format),
        Command::Check(args) => check(&args),
        Command::Compare(args) => compare(&args),
        Command::Explain(args) => explain(&args),
        Command::History { contract, history, format, metric } => match metric {
            Some(id) => metric_series(&contract, &history, &id, format),
            None => list_history(&contract, &history, format),
        },
        Command::Diff { old, new, mode, format } => diff_contracts(&old, &new, mode, format),
        Command::Infer { data, output, odcs } => infer(&data, output.as_deref(), odcs),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tollgate", &mut script);
            output::print(&String::from_utf8_lossy(&script));
            EXIT_OK
        }
        Command::Man => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => {
                    output::print(&String::from_utf8_lossy(&page));
                    EXIT_OK
                }
                Err(e) => {
                    errln!("error: cannot render the man page: {e}");
                    EXIT_DATA
                }
            }
        }
    }
}

/// Loads every contract; `Err` holds each invalid one (all its problems).
fn load_all(paths: &[PathBuf]) -> Result<Vec<Contract>, Vec<InvalidContract>> {
    let mut contracts = Vec::new();
    let mut invalid = Vec::new();
    for path in paths {
        match contract::load(path) {
            Ok(c) => contracts.push(c),
            Err(e) => invalid.push(e),
        }
    }
    if invalid.is_empty() {
        Ok(contracts)
    } else {
        Err(invalid)
    }
}

/// Reports invalid contracts: rustc-style on stderr always, and in `format` on stdout for the
/// machine formats, so a program reading JSON or workflow commands is not left with nothing.
fn report_invalid(invalid: &[InvalidContract], format: OutputFormat) -> i32 {
    for i in invalid {
        errln!("{i}");
    }
    match format {
        OutputFormat::Json => output::print(&report::json::render_invalid(invalid)),
        OutputFormat::Github => output::print(&report::github::render_invalid(invalid)),
        OutputFormat::Table | OutputFormat::Junit | OutputFormat::Markdown | OutputFormat::Html => {}
    }
    EXIT_USAGE
}

fn validate(paths: &[PathBuf], format: OutputFormat) -> i32 {
    let contracts = match load_all(paths) {
        Ok(contracts) => contracts,
        Err(invalid) => return report_invalid(&invalid, format),
    };
    for c in contracts {
        let rules: usize = c.columns().iter().map(|col| col.rules.len()).sum();
        outln!(
            "ok: {} (contract {}, {} column rules, {} dataset checks)",
            c.file.display(),
            c.name,
            rules,
            c.checks.len()
        );
        for w in &c.warnings {
            let help = w.help.as_ref().map(|h| format!("\n   = help: {h}")).unwrap_or_default();
            errln!("warning: {}\n  --> {}:{}:{}{help}", w.message, w.file.display(), w.pos.line, w.pos.column);
        }
        for check in &c.checks {
            if let contract::CheckKind::Unsupported { reason } = &check.kind {
                let (line, column) = (check.pos.line, check.pos.column);
                outln!(
                    "note: {}:{line}:{column}: `{}` will be reported as skipped: {reason}",
                    c.file.display(),
                    check.id()
                );
            }
        }
    }
    EXIT_OK
}

fn render(report: &Report, format: OutputFormat, style: &report::table::Style, page: &report::html::Page) -> String {
    match format {
        OutputFormat::Table => report::table::render(report, style),
        OutputFormat::Json => report::json::render(report),
        OutputFormat::Junit => report::junit::render(report),
        OutputFormat::Markdown => report::markdown::render(report),
        OutputFormat::Github => report::github::render(report),
        OutputFormat::Html => report::html::render(report, page),
    }
}

/// The time a report or page was made, as the HTML page states it.
fn generated_at() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
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

/// `--now`: RFC 3339, or a bare date meaning its midnight UTC.
fn parse_now(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

/// The table's look: colour and width from the flags, the environment and the terminal.
fn table_style(args: &CheckArgs) -> report::table::Style {
    use std::io::IsTerminal;
    let terminal = std::io::stdout().is_terminal();
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        // https://no-color.org and https://bixense.com/clicolors: NO_COLOR wins.
        ColorChoice::Auto if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => false,
        ColorChoice::Auto if set("CLICOLOR_FORCE") => true,
        ColorChoice::Auto => terminal && std::env::var("TERM").map_or(true, |t| t != "dumb"),
    };
    let from_terminal = if terminal { comfy_table::Table::new().width() } else { None };
    let from_env = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<u16>().ok());
    // Below ~60 columns the table cannot fit its four columns; it wraps inside cells instead.
    let width = from_terminal.or(from_env).unwrap_or(120).max(60);
    report::table::Style { color, width, show_passed: args.show.contains(&Show::Passed) }
}

/// `compare HERE THERE --key …`: a contract with one `reconcile` check, written on the spot and
/// evaluated as `check` would.
fn compare(args: &CompareArgs) -> i32 {
    let quoted = |text: &str| serde_json::Value::from(text).to_string();
    let columns = match &args.columns {
        Some(columns) => columns.clone(),
        None if args.key.is_empty() => Vec::new(),
        None => match (engine::columns_of(&args.here), engine::columns_of(&args.there)) {
            (Ok(here), Ok(there)) => here.into_iter().filter(|c| there.contains(c) && !args.key.contains(c)).collect(),
            (Err(e), _) | (_, Err(e)) => {
                errln!("error: {e}");
                return EXIT_DATA;
            }
        },
    };
    let mut tolerances = std::collections::BTreeMap::new();
    for t in &args.tolerance {
        let parsed = t.split_once('=').and_then(|(column, value)| match value.strip_suffix('%') {
            Some(pct) => pct.trim().parse::<f64>().ok().map(|v| (column, format!("{{relative: {}}}", v / 100.0))),
            None => value.trim().parse::<f64>().ok().map(|v| (column, v.to_string())),
        });
        match parsed {
            Some((column, value)) => {
                tolerances.insert(column.to_string(), value);
            }
            None => {
                errln!("error: --tolerance `{t}`: write COLUMN=NUMBER or COLUMN=NUMBER%, e.g. amount=0.005");
                return EXIT_USAGE;
            }
        }
    }
    let mut yaml = format!(
        "contract: compare\ndataset: {{path: {}}}\nchecks:\n  - reconcile:\n      with: {{path: {}}}\n",
        quoted(&args.here.to_string_lossy()),
        quoted(&args.there.to_string_lossy())
    );
    if !args.key.is_empty() {
        let key: Vec<String> = args.key.iter().map(|k| quoted(k)).collect();
        yaml.push_str(&format!("      key: [{}]\n", key.join(", ")));
        if !columns.is_empty() {
            yaml.push_str("      columns:\n");
            for c in &columns {
                let options = tolerances.get(c).map(|t| format!("{{tolerance: {t}}}")).unwrap_or_else(|| "{}".into());
                yaml.push_str(&format!("        {}: {options}\n", quoted(c)));
            }
        }
    }
    let contract = match contract::parse_contract(&yaml, Path::new("compare")) {
        Ok(contract) => contract,
        Err(invalid) => return report_invalid(&[invalid], args.format),
    };
    let check_args = CheckArgs {
        contracts: Vec::new(),
        data: None,
        server: None,
        partition: None,
        all_partitions: false,
        candidate: None,
        now: None,
        format: args.format,
        output: args.output.clone(),
        fail_on: FailOn::Error,
        sample: args.sample,
        quiet: args.quiet,
        history: None,
        quarantine: None,
        clean: None,
        no_statistics: false,
        reports: Vec::new(),
        color: ColorChoice::Auto,
        show: Vec::new(),
        show_sensitive: false,
        engine: EngineChoice::Local,
        spark_remote: None,
    };
    evaluate(vec![contract], &check_args)
}

/// The executor `--engine` names: Spark only where this build has it, its contracts' patterns
/// carry over to Java's dialect (else exit 2, pointing at the pattern) and the server answers
/// (else exit 3).
fn executor_for(args: &CheckArgs, contracts: &[Contract]) -> Result<crate::engine::Executor, i32> {
    match args.engine {
        EngineChoice::Local => {
            if let (Some(c), None) = (contracts.iter().find(|c| c.dataset.table.is_some()), &args.data) {
                errln!(
                    "error: {} names a catalog table, which the Spark engine reads\n   = help: run with --engine \
                     spark --spark-remote sc://HOST:PORT, or name files with --data",
                    c.file.display()
                );
                return Err(EXIT_USAGE);
            }
            Ok(crate::engine::Executor::Local)
        }
        #[cfg(not(feature = "spark"))]
        EngineChoice::Spark => {
            let _ = contracts;
            errln!(
                "error: this tollgate was built without the Spark engine\n   = help: build it with `cargo build \
                 --release --features spark` (its Spark Connect client needs `protoc`: Debian's protobuf-compiler)"
            );
            Err(EXIT_USAGE)
        }
        #[cfg(feature = "spark")]
        EngineChoice::Spark => {
            if let Some(url) = [&args.quarantine, &args.clean].into_iter().flatten().find(|d| crate::remote::is_url(d))
            {
                errln!(
                    "error: the Spark engine writes --quarantine and --clean to a folder, and {} is object storage\n   \
                     = help: name a folder this machine shares with the cluster, or run with --engine local",
                    url.display()
                );
                return Err(EXIT_USAGE);
            }
            let refused: Vec<String> = contracts.iter().flat_map(crate::spark::regex::refused_patterns).collect();
            if !refused.is_empty() {
                for r in refused {
                    errln!("{r}");
                }
                return Err(EXIT_USAGE);
            }
            let remote = match args.spark_remote.clone().or_else(|| std::env::var("SPARK_REMOTE").ok()) {
                Some(remote) => remote,
                None => {
                    errln!(
                        "error: --engine spark needs a server\n   = help: pass --spark-remote sc://HOST:PORT or set \
                         SPARK_REMOTE"
                    );
                    return Err(EXIT_USAGE);
                }
            };
            match crate::spark::Session::connect(&remote) {
                Ok(session) => Ok(crate::engine::Executor::Spark(std::sync::Arc::new(session))),
                Err(e) => {
                    errln!("error: {e}");
                    Err(EXIT_DATA)
                }
            }
        }
    }
}

fn check(args: &CheckArgs) -> i32 {
    match load_all(&args.contracts) {
        Ok(contracts) => evaluate(contracts, args),
        Err(invalid) => report_invalid(&invalid, args.format),
    }
}

/// Evaluates loaded contracts as `check` does: data, reports, exit code.
fn evaluate(mut contracts: Vec<Contract>, args: &CheckArgs) -> i32 {
    if let Some(name) = &args.server {
        for c in &mut contracts {
            if let Err(message) = use_server(c, name) {
                errln!("error: {message}");
                return EXIT_USAGE;
            }
        }
    }
    if args.data.is_some() && contracts.len() > 1 {
        errln!("error: --data replaces the dataset of one contract, but {} contracts were given", contracts.len());
        return EXIT_USAGE;
    }
    if let Some(value) = &args.partition {
        if let Some(c) = contracts.iter().find(|c| c.dataset.partition_key.is_none()) {
            errln!(
                "error: --partition {value} was given, but {} declares no partitioning\n   = help: declare \
                 `partitioning: {{style: hive, key: dt}}` under `dataset`, or drop --partition",
                c.file.display()
            );
            return EXIT_USAGE;
        }
    }
    let now = match &args.now {
        None => chrono::Utc::now(),
        Some(text) => match parse_now(text) {
            Some(t) => t,
            None => {
                errln!(
                    "error: --now `{text}` is not an RFC 3339 time or a date\n   = help: write e.g. --now \
                     2026-01-10T06:00:00Z or --now 2026-01-10"
                );
                return EXIT_USAGE;
            }
        },
    };
    if args.show_sensitive {
        let marked: Vec<&str> = contracts.iter().flat_map(report::sensitive_columns).collect();
        if !marked.is_empty() {
            errln!("warning: --show-sensitive: values of {} are shown in this report", marked.join(", "));
        }
    }
    let style = table_style(args);
    let options = Options {
        candidate: args.candidate.clone(),
        data: args.data.clone(),
        partition: args.partition.clone(),
        all_partitions: args.all_partitions,
        now,
        sample: args.sample,
        quarantine: args.quarantine.clone(),
        clean: args.clean.clone(),
        statistics: !args.no_statistics,
        progress: None,
        executor: match executor_for(args, &contracts) {
            Ok(executor) => executor,
            Err(code) => return code,
        },
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
            errln!("error: {e}");
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
            Ok(mut r) => {
                if !args.show_sensitive {
                    r.iter_mut().for_each(|result| report::redact(result, c));
                }
                results.append(&mut r)
            }
            Err(e) => {
                errln!("error: {e}");
                data_error = true;
                results.push(ResultReport {
                    contract: c.name.clone(),
                    contract_version: c.version.clone(),
                    contract_path: c.file.to_string_lossy().into_owned(),
                    dataset: e.file.to_string_lossy().into_owned(),
                    partition: None,
                    candidate: None,
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
    // The HTML page links each check to its contract line, so it carries the contracts' text.
    let sources: std::collections::BTreeMap<String, String> = contracts
        .iter()
        .filter_map(|c| Some((c.file.to_string_lossy().into_owned(), std::fs::read_to_string(&c.file).ok()?)))
        .collect();
    let generated = generated_at();
    let page = |exit_code| report::html::Page { exit_code, generated_at: &generated, sources: &sources };
    let files = args.output.iter().map(|p| (args.format, p)).chain(args.reports.iter().map(|r| (r.format, &r.path)));
    let mut written = Vec::new();
    for (format, path) in files {
        // Files get no colour and the default width: they are read later, elsewhere.
        match output::write(path, render(&report, format, &report::table::Style::default(), &page(code)).as_bytes()) {
            Ok(()) => written.push(format!("{} report to {}", format_name(format), path.display())),
            Err(e) => {
                errln!("error: {e}");
                code = EXIT_DATA;
            }
        }
    }
    if !args.quiet {
        let format = if args.output.is_some() { OutputFormat::Table } else { args.format };
        output::print(&render(&report, format, &style, &page(code)));
        if format == OutputFormat::Table {
            for w in written {
                outln!("wrote the {w}");
            }
        }
    }
    code
}

/// Points the contract's dataset at its ODCS server `name`.
fn use_server(contract: &mut Contract, name: &str) -> Result<(), String> {
    let file = contract.file.display().to_string();
    let names: Vec<&str> = contract.dataset.servers.iter().map(|s| s.name.as_str()).collect();
    if names.is_empty() {
        return Err(format!("--server {name}: {file} has no `servers` (only ODCS contracts do); use --data PATH"));
    }
    let Some(server) = contract.dataset.servers.iter().find(|s| s.name == name) else {
        return Err(format!("--server {name}: {file} has no server `{name}`; its servers: {}", names.join(", ")));
    };
    let Some(path) = server.path.clone() else {
        return Err(format!(
            "--server {name}: server `{name}` ({file}:{}) has neither a local `path` nor an object-store `location`; use --data PATH",
            server.pos.line
        ));
    };
    if let (Some(text), None) = (&server.format_text, server.format) {
        return Err(format!("--server {name}: server `{name}` holds `{text}`; tollgate reads parquet and csv"));
    }
    contract.dataset.format = server.format;
    contract.dataset.pos = server.pos;
    contract.dataset.path = path;
    contract.dataset.storage_options = server.storage_options.clone();
    Ok(())
}

/// The format's name as the command line spells it (derived from the clap definition).
fn format_name(format: OutputFormat) -> String {
    format.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default()
}

/// Reads an existing store; `Err` is the exit code, the reason said. Reading must not create a
/// store: a typo would report "0 metrics" from a new empty file.
fn read_store<T>(
    store: &str,
    read: impl FnOnce(&dyn history::HistoryStore) -> Result<T, history::HistoryError>,
) -> Result<T, i32> {
    if !history::is_remote(store) && !Path::new(store).exists() {
        errln!(
            "error: history store {store} does not exist\n   = help: `tollgate check CONTRACT --history {store}` \
             creates it on its first run (a file path; a postgres:// store is created on first use)"
        );
        return Err(EXIT_DATA);
    }
    history::open(store).and_then(|s| read(s.as_ref())).map_err(|e| {
        errln!("error: {e}");
        EXIT_DATA
    })
}

fn list_history(contract: &Path, store: &str, format: HistoryFormat) -> i32 {
    let contracts = match load_all(&[contract.to_path_buf()]) {
        Ok(contracts) => contracts,
        Err(invalid) => return report_invalid(&invalid, OutputFormat::Table),
    };
    let name = &contracts[0].name;
    let metrics = match read_store(store, |s| s.list(name)) {
        Ok(m) => m,
        Err(code) => return code,
    };
    match format {
        HistoryFormat::Html => {
            // One chart per metric; an anomaly check's `.value` series shows each point's band.
            let mut by_metric: std::collections::BTreeMap<&str, Vec<(String, f64)>> = Default::default();
            for m in &metrics {
                by_metric.entry(&m.metric).or_default().push((m.partition.clone(), m.value));
            }
            let charts: Vec<(String, Vec<report::svg::Point>)> = by_metric
                .into_iter()
                .map(|(metric, series)| {
                    let judged = metric
                        .strip_suffix(".value")
                        .and_then(|id| contracts[0].checks.iter().find(|d| d.id() == id))
                        .and_then(|check| match &check.kind {
                            contract::CheckKind::Anomaly { method, window, min_history, direction, .. } => {
                                Some(crate::checks::anomaly::judge_series(
                                    &series,
                                    *method,
                                    *window,
                                    *min_history,
                                    *direction,
                                ))
                            }
                            _ => None,
                        });
                    let plain =
                        || series.iter().map(|(p, v)| serde_json::json!({"partition": p, "value": v})).collect();
                    (metric.to_string(), report::html::judged_points(&judged.unwrap_or_else(plain)))
                })
                .collect();
            output::print(&report::html::render_history(name, &history::shown(store), &generated_at(), &charts));
        }
        HistoryFormat::Json => {
            let rows: Vec<_> = metrics
                .iter()
                .map(|m| serde_json::json!({"contract": m.contract, "partition": m.partition, "metric": m.metric, "value": m.value, "recorded_at": m.recorded_at}))
                .collect();
            outln!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
        }
        HistoryFormat::Table => {
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
            outln!("{name}: {} metrics recorded in {}\n{table}", metrics.len(), history::shown(store));
        }
    }
    EXIT_OK
}

/// `history --metric ID`: the anomaly check's recorded values, each with the band and verdict
/// the check computes from the values before it (its method, window, min_history, direction).
fn metric_series(contract: &Path, store: &str, id: &str, format: HistoryFormat) -> i32 {
    let contracts = match load_all(&[contract.to_path_buf()]) {
        Ok(contracts) => contracts,
        Err(invalid) => return report_invalid(&invalid, OutputFormat::Table),
    };
    let c = &contracts[0];
    let anomalies: Vec<String> =
        c.checks.iter().filter(|d| matches!(d.kind, contract::CheckKind::Anomaly { .. })).map(|d| d.id()).collect();
    let Some(check) = c.checks.iter().find(|d| d.id() == id && matches!(d.kind, contract::CheckKind::Anomaly { .. }))
    else {
        errln!(
            "error: {} has no anomaly check `{id}`\n   = help: its anomaly checks: {}",
            c.file.display(),
            if anomalies.is_empty() { "none".to_string() } else { anomalies.join(", ") }
        );
        return EXIT_USAGE;
    };
    let contract::CheckKind::Anomaly { method, window, min_history, direction, .. } = &check.kind else {
        return EXIT_USAGE;
    };
    // Every recorded value: no partition value sorts after U+10FFFF.
    let series = match read_store(store, |s| s.series(&c.name, &format!("{id}.value"), "\u{10ffff}")) {
        Ok(series) => series,
        Err(code) => return code,
    };
    let points = crate::checks::anomaly::judge_series(&series, *method, *window, *min_history, *direction);
    match format {
        HistoryFormat::Html => {
            let charts = vec![(id.to_string(), report::html::judged_points(&points))];
            output::print(&report::html::render_history(&c.name, &history::shown(store), &generated_at(), &charts));
        }
        HistoryFormat::Json => {
            outln!("{}", serde_json::to_string_pretty(&points).unwrap_or_default());
        }
        HistoryFormat::Table => {
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED).set_header(vec![
                "partition",
                "value",
                "lower",
                "centre",
                "upper",
                "status",
            ]);
            let number = |v: &serde_json::Value| v.as_f64().map(|f| format!("{f}")).unwrap_or_else(|| "-".into());
            for p in &points {
                table.add_row(vec![
                    p["partition"].as_str().unwrap_or("").to_string(),
                    number(&p["value"]),
                    number(&p["lower"]),
                    number(&p["center"]),
                    number(&p["upper"]),
                    p["status"].as_str().unwrap_or("").to_string(),
                ]);
            }
            outln!("{}: {id}, {} recorded values in {}\n{table}", c.name, points.len(), history::shown(store));
        }
    }
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

fn infer(data: &Path, target: Option<&Path>, odcs: bool) -> i32 {
    let spinner = progress_spinner(false);
    let tell = |message: String| {
        if let Some(pb) = &spinner {
            pb.set_message(message);
        }
    };
    let proposal = crate::infer::infer(data, target, odcs, &tell);
    if let Some(pb) = &spinner {
        pb.finish_and_clear();
    }
    let proposal = match proposal {
        Ok(p) => p,
        Err(e) => {
            errln!("error: {e}");
            return EXIT_DATA;
        }
    };
    match target {
        None => output::print(&proposal.text),
        Some(path) => {
            if let Err(e) = output::write(path, proposal.text.as_bytes()) {
                errln!("error: {e}");
                return EXIT_DATA;
            }
            if output::target_of(path).is_ok_and(|t| matches!(t, output::Target::Replace(_))) {
                errln!("Wrote {}. Next: tollgate check {}", path.display(), path.display());
            }
        }
    }
    EXIT_OK
}

fn explain(args: &ExplainArgs) -> i32 {
    let mut contract = match contract::load(&args.contract) {
        Ok(c) => c,
        Err(invalid) => return report_invalid(&[invalid], OutputFormat::Table),
    };
    if let Some(name) = &args.server {
        if let Err(message) = use_server(&mut contract, name) {
            errln!("error: {message}");
            return EXIT_USAGE;
        }
    }
    let options = Options {
        data: args.data.clone(),
        partition: args.partition.clone(),
        statistics: !args.no_statistics,
        ..Options::default()
    };
    match engine::explain(&contract, &options) {
        Ok(plans) => {
            output::print(&match args.format {
                TextFormat::Table => report::plan::render_text(&plans),
                TextFormat::Json => report::plan::render_json(&plans),
            });
            EXIT_OK
        }
        Err(e) => {
            errln!("error: {e}");
            EXIT_DATA
        }
    }
}

fn diff_contracts(old: &Path, new: &Path, mode: DiffMode, format: TextFormat) -> i32 {
    let contracts = match load_all(&[old.to_path_buf(), new.to_path_buf()]) {
        Ok(contracts) => contracts,
        Err(invalid) => return report_invalid(&invalid, OutputFormat::Table),
    };
    let mode = match mode {
        DiffMode::Backward => diff::Mode::Backward,
        DiffMode::Forward => diff::Mode::Forward,
        DiffMode::Full => diff::Mode::Full,
    };
    let mode_name = format!("{mode:?}").to_lowercase();
    let changes = diff::diff(&contracts[0], &contracts[1]);
    let breaking = changes.iter().filter(|c| c.breaks(mode)).count();
    match format {
        TextFormat::Json => {
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
            outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        TextFormat::Table => {
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
                outln!("{table}");
            }
            outln!(
                "{} changes, {breaking} breaking in {mode_name} mode: {}",
                changes.len(),
                if breaking == 0 { "compatible" } else { "NOT compatible" }
            );
        }
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
