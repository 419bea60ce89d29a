//! The Spark engine's connection: a Spark Connect session (the official Rust client) that runs
//! one SQL query at a time and hands back its (small) result as a Polars frame, through Arrow
//! IPC. What the queries say is in [`sql`]; which queries a check needs, in `engine::on_spark`.

pub mod regex;
pub mod sql;

use polars::prelude::*;
use spark_connect::SparkSession;

/// A Spark failure, in Spark's own words (its first line: no JVM stack trace).
#[derive(Debug, thiserror::Error)]
pub enum SparkFailure {
    #[error("cannot connect to Spark at {remote}: {message}")]
    Connect { remote: String, message: String },
    #[error("Spark failed: {message}")]
    Query { message: String },
    #[error("Spark's answer cannot be read: {message}")]
    Answer { message: String },
}

fn first_line(e: &spark_connect::SparkError) -> String {
    // The server's message already starts with its error class; the rendered one repeats it.
    let text = if e.message.is_empty() { e.message() } else { e.message.clone() };
    text.lines().next().unwrap_or_default().trim().to_string()
}

/// The host and port of an `sc://HOST[:PORT][/;params]` URL answer a TCP connection (5 s).
fn reachable(remote: &str) -> Result<(), String> {
    use std::net::{TcpStream, ToSocketAddrs};
    let rest = remote.strip_prefix("sc://").ok_or("a Spark Connect URL starts with sc://")?;
    let authority = rest.split(['/', ';']).next().unwrap_or_default();
    // 15002 is Spark Connect's default port.
    let address = if authority.rsplit_once(':').is_some_and(|(_, port)| port.parse::<u16>().is_ok()) {
        authority.to_string()
    } else {
        format!("{authority}:15002")
    };
    let addresses = address.to_socket_addrs().map_err(|e| format!("cannot resolve {address}: {e}"))?;
    let mut last = format!("{address} resolves to no address");
    for a in addresses {
        match TcpStream::connect_timeout(&a, std::time::Duration::from_secs(5)) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("nothing answers at {address}: {e}"),
        }
    }
    Err(last)
}

pub struct Session {
    spark: SparkSession,
}

/// The server keeps a session's temporary views and cached tables until it is released (or for
/// an hour): a gate that runs every few minutes releases its own on the way out, waiting at most
/// two seconds (a server that died mid-run is not waited for).
impl Drop for Session {
    fn drop(&mut self) {
        let spark = self.spark.clone();
        let (done, wait) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = spark.stop();
            let _ = done.send(());
        });
        let _ = wait.recv_timeout(std::time::Duration::from_secs(2));
    }
}

impl Session {
    /// Connects to `remote` (`sc://host:port`, Spark's own syntax) and sets the session up as the
    /// SQL this engine writes assumes: times in UTC.
    pub fn connect(remote: &str) -> Result<Session, SparkFailure> {
        let failed = |e: spark_connect::SparkError| SparkFailure::Connect {
            remote: remote.to_string(),
            message: first_line(&e),
        };
        // The client retries a refused connection for minutes (15 times, backing off to 64 s),
        // as PySpark does; a gate whose server is not there says so at once.
        reachable(remote).map_err(|message| SparkFailure::Connect { remote: remote.to_string(), message })?;
        let spark = SparkSession::builder().remote(remote).get_or_create().map_err(failed)?;
        let session = Session { spark };
        // Filters are not pushed into Parquet readers: a row group whose footer min/max were
        // written with NaN among the values is skipped although it holds matching rows (seen on
        // fixtures/orders.parquet: `amount < 0` found 0 of 5 rows). tollgate reads every row.
        // Times written to Parquet (--quarantine, --clean) as microseconds, as the files tollgate reads
        // hold them, not Spark's default INT96.
        for setting in [
            "spark.sql.session.timeZone = UTC",
            "spark.sql.parquet.filterPushdown = false",
            "spark.sql.parquet.outputTimestampType = TIMESTAMP_MICROS",
        ] {
            session
                .query(&format!("SET {setting}"))
                .map_err(|e| SparkFailure::Connect { remote: remote.to_string(), message: e.to_string() })?;
        }
        Ok(session)
    }

    /// Names `view` the union of Parquet files, each with `columns` (SQL) added to its own: by
    /// column name, a column some files lack read as null there (schema evolution).
    pub fn register_parquet_union(&self, view: &str, files: &[(String, Vec<String>)]) -> Result<(), SparkFailure> {
        let failed = |e: spark_connect::SparkError| SparkFailure::Query { message: first_line(&e) };
        let mut union: Option<spark_connect::DataFrame> = None;
        for (path, columns) in files {
            let mut select = vec!["*"];
            select.extend(columns.iter().map(String::as_str));
            let one = self.spark.read().format("parquet").load(Some(path)).select_expr(select);
            union = Some(match union {
                None => one,
                Some(all) => all.union_by_name_opt(&one, true),
            });
        }
        match union {
            Some(all) => all.create_or_replace_temp_view(view).map_err(failed),
            None => Err(SparkFailure::Query { message: "no files to read".into() }),
        }
    }

    /// Writes the rows of `sql` as a new folder of Parquet files at `path` (Spark's writer, which
    /// refuses a path that exists).
    pub fn write_parquet(&self, sql: &str, path: &str) -> Result<(), SparkFailure> {
        let failed = |e: spark_connect::SparkError| SparkFailure::Query { message: first_line(&e) };
        self.spark
            .sql(sql)
            .map_err(failed)?
            .write()
            .format("parquet")
            .mode("errorifexists")
            .save(Some(path))
            .map_err(failed)
    }

    /// Runs one query; its result, whole.
    pub fn query(&self, sql: &str) -> Result<DataFrame, SparkFailure> {
        let failed = |e: spark_connect::SparkError| SparkFailure::Query { message: first_line(&e) };
        let bytes = self.spark.sql(sql).map_err(failed)?.to_arrow().map_err(failed)?;
        if bytes.is_empty() {
            return Ok(DataFrame::empty());
        }
        IpcReader::new(std::io::Cursor::new(bytes))
            .finish()
            .map_err(|e| SparkFailure::Answer { message: e.to_string() })
    }
}
