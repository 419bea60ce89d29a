//! The history store in PostgreSQL, shared by every Airflow worker and CI runner of a team:
//! `--history postgres://user@host:port/db[?schema=NAME]` (also `postgresql://`).
//!
//! Exactly the SQLite store's semantics: one transaction per result, re-recording a partition
//! replaces its figures, concurrent writers lose nothing (a transaction-scoped advisory lock per
//! (contract, partition) orders them). Tables live in a schema of their own (`tollgate` unless
//! `?schema=` says otherwise), created on first use with the shared migrations. The password
//! comes from the URL, else `PGPASSWORD`, else `~/.pgpass`; it is never shown: errors name the
//! store as `postgres://user@host:port/db`.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use postgres::config::Host;
use postgres::{Client, Config, NoTls};

use super::{pending, HistoryError, HistoryStore, Metric};

pub struct PostgresStore {
    /// The URL without its password, for messages.
    shown: PathBuf,
    /// The schema's quoted name followed by a dot, prefixed to every table.
    prefix: String,
    client: Mutex<Client>,
}

/// `postgres://user:pw@host:5432/db?schema=x&sslmode=disable` → (the URL without `schema`, x).
fn split_schema(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_string(), None) };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("schema=") {
            Some(name) => {
                schema = Some(name.to_string());
                false
            }
            None => !pair.is_empty(),
        })
        .collect();
    let url = if rest.is_empty() { base.to_string() } else { format!("{base}?{}", rest.join("&")) };
    (url, schema)
}

/// `postgres://user@host:port/db`, from the parsed configuration (never the password).
fn shown(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    format!("postgres://{user}{host}:{port}/{}", config.get_dbname().unwrap_or(""))
}

/// The password `~/.pgpass` (or `PGPASSFILE`) gives for this connection: lines of
/// `host:port:database:user:password`, `*` matching anything, `\:` and `\\` escaped.
fn pgpass(config: &Config) -> Option<String> {
    let file = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pgpass")))?;
    let text = std::fs::read_to_string(file).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        _ => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let wanted =
        [host, port, config.get_dbname().unwrap_or("").to_string(), config.get_user().unwrap_or("").to_string()];
    text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).find_map(|line| {
        let fields = split_pgpass(line);
        if fields.len() != 5 {
            return None;
        }
        let matches = fields[..4].iter().zip(&wanted).all(|(f, w)| f == "*" || f == w);
        matches.then(|| fields[4].clone())
    })
}

fn split_pgpass(line: &str) -> Vec<String> {
    let (mut fields, mut current, mut escaped) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match (escaped, c) {
            (true, c) => {
                current.push(c);
                escaped = false;
            }
            (false, '\\') => escaped = true,
            (false, ':') => fields.push(std::mem::take(&mut current)),
            (false, c) => current.push(c),
        }
    }
    fields.push(current);
    fields
}

/// A PostgreSQL error with its cause ("error connecting to server: Connection refused").
fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

impl PostgresStore {
    pub fn open(url: &str) -> Result<PostgresStore, HistoryError> {
        let (url, schema) = split_schema(url);
        let fail = |store: String, message: String| HistoryError { store: PathBuf::from(store), message };
        let mut config: Config = url.parse().map_err(|e: postgres::Error| {
            fail("postgres://…".into(), format!("not a PostgreSQL URL ({})", describe(&e)))
        })?;
        let store = shown(&config);
        let schema = schema.unwrap_or_else(|| "tollgate".into());
        if schema.is_empty() || !schema.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(fail(store, format!("`schema={schema}`: use lowercase letters, digits and `_`")));
        }
        if config.get_password().is_none() {
            if let Some(password) = std::env::var("PGPASSWORD").ok().or_else(|| pgpass(&config)) {
                config.password(password);
            }
        }
        config.connect_timeout(Duration::from_secs(10));
        let client = config.connect(NoTls).map_err(|e| fail(store.clone(), describe(&e)))?;
        let store =
            PostgresStore { shown: PathBuf::from(store), prefix: format!("\"{schema}\"."), client: Mutex::new(client) };
        store.migrate(&schema)?;
        Ok(store)
    }

    fn err(&self, e: &postgres::Error) -> HistoryError {
        HistoryError { store: self.shown.clone(), message: describe(e) }
    }

    fn client(&self) -> std::sync::MutexGuard<'_, Client> {
        self.client.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Creates the schema and applies the migrations it lacks, in one transaction, serialized
    /// across processes by an advisory lock (many workers may start on an empty database).
    fn migrate(&self, schema: &str) -> Result<(), HistoryError> {
        let mut client = self.client();
        let mut tx = client.transaction().map_err(|e| self.err(&e))?;
        tx.execute("SELECT pg_advisory_xact_lock(hashtext('tollgate.migrate'))", &[]).map_err(|e| self.err(&e))?;
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\"; CREATE TABLE IF NOT EXISTS {p}schema_version (version INTEGER NOT NULL)",
            p = self.prefix
        ))
        .map_err(|e| self.err(&e))?;
        let row = tx
            .query_one(&format!("SELECT COALESCE(MAX(version), 0)::BIGINT FROM {}schema_version", self.prefix), &[])
            .map_err(|e| self.err(&e))?;
        let version: i64 = row.get(0);
        let todo =
            pending(version, &self.prefix).map_err(|message| HistoryError { store: self.shown.clone(), message })?;
        for (number, sql) in todo {
            tx.batch_execute(&sql).map_err(|e| self.err(&e))?;
            let number = number as i32;
            tx.execute(&format!("INSERT INTO {}schema_version (version) VALUES ($1)", self.prefix), &[&number])
                .map_err(|e| self.err(&e))?;
        }
        tx.commit().map_err(|e| self.err(&e))
    }
}

impl HistoryStore for PostgresStore {
    fn record(
        &self,
        contract: &str,
        partition: &str,
        metrics: &[(String, f64)],
        recorded_at: &str,
    ) -> Result<(), HistoryError> {
        let mut client = self.client();
        let mut tx = client.transaction().map_err(|e| self.err(&e))?;
        // Writers of the same (contract, partition) take turns; others run side by side.
        tx.execute("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))", &[&contract, &partition])
            .map_err(|e| self.err(&e))?;
        tx.execute(
            &format!("DELETE FROM {}metrics WHERE contract = $1 AND partition = $2", self.prefix),
            &[&contract, &partition],
        )
        .map_err(|e| self.err(&e))?;
        let insert = tx
            .prepare(&format!(
                "INSERT INTO {}metrics (contract, partition, metric, value, recorded_at) VALUES ($1, $2, $3, $4, $5)",
                self.prefix
            ))
            .map_err(|e| self.err(&e))?;
        for (metric, value) in metrics {
            tx.execute(&insert, &[&contract, &partition, metric, value, &recorded_at]).map_err(|e| self.err(&e))?;
        }
        tx.commit().map_err(|e| self.err(&e))
    }

    fn series(&self, contract: &str, metric: &str, before: &str) -> Result<Vec<(String, f64)>, HistoryError> {
        let rows = self
            .client()
            .query(
                &format!(
                    "SELECT partition, value FROM {}metrics WHERE contract = $1 AND metric = $2 AND partition < $3 \
                     ORDER BY partition COLLATE \"C\"",
                    self.prefix
                ),
                &[&contract, &metric, &before],
            )
            .map_err(|e| self.err(&e))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn list(&self, contract: &str) -> Result<Vec<Metric>, HistoryError> {
        let rows = self
            .client()
            .query(
                &format!(
                    "SELECT contract, partition, metric, value, recorded_at FROM {}metrics WHERE contract = $1 \
                     ORDER BY partition COLLATE \"C\", metric COLLATE \"C\"",
                    self.prefix
                ),
                &[&contract],
            )
            .map_err(|e| self.err(&e))?;
        Ok(rows
            .iter()
            .map(|r| Metric {
                contract: r.get(0),
                partition: r.get(1),
                metric: r.get(2),
                value: r.get(3),
                recorded_at: r.get(4),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_pgpass() {
        assert_eq!(
            split_schema("postgres://u:p@h:5433/db?schema=team&sslmode=disable"),
            ("postgres://u:p@h:5433/db?sslmode=disable".into(), Some("team".into()))
        );
        assert_eq!(split_schema("postgres://h/db"), ("postgres://h/db".into(), None));
        let config: Config = "postgres://alice:secret@db.example:5433/metrics".parse().unwrap();
        assert_eq!(shown(&config), "postgres://alice@db.example:5433/metrics");
        assert_eq!(
            split_pgpass(r"db.example:*:metrics:alice:pa\:ss\\word"),
            ["db.example", "*", "metrics", "alice", r"pa:ss\word"]
        );
    }
}
