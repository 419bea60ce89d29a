//! The history store (SPEC §4): each run's metrics keyed by contract, partition and metric.
//! Re-recording a partition replaces its figures, so re-runs never duplicate history.
//!
//! Two backends behind one small trait: a SQLite file (`sqlite.rs`) and a PostgreSQL database
//! a whole team shares (`postgres.rs`). Both apply the same forward-only schema migrations.

mod postgres;
mod sqlite;

use std::path::PathBuf;

pub use self::postgres::PostgresStore;
pub use self::sqlite::SqliteStore;

#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub contract: String,
    pub partition: String,
    pub metric: String,
    pub value: f64,
    pub recorded_at: String,
}

/// A store that cannot be opened, read or written. `store` names it without any password.
#[derive(Debug, thiserror::Error)]
#[error("history store {}: {message}", store.display())]
pub struct HistoryError {
    pub store: PathBuf,
    pub message: String,
}

/// Where run metrics are kept.
pub trait HistoryStore {
    /// Replaces the figures of (contract, partition) with `metrics`, all or nothing.
    fn record(
        &self,
        contract: &str,
        partition: &str,
        metrics: &[(String, f64)],
        recorded_at: &str,
    ) -> Result<(), HistoryError>;
    /// Recorded values of `metric` for partitions before `before`, oldest first.
    fn series(&self, contract: &str, metric: &str, before: &str) -> Result<Vec<(String, f64)>, HistoryError>;
    /// Everything recorded for a contract, by partition then metric.
    fn list(&self, contract: &str) -> Result<Vec<Metric>, HistoryError>;
}

/// The schema, as forward-only migrations both backends apply in order (SQL both dialects
/// read; `{t}` is the table prefix: empty for SQLite, `schema.` for PostgreSQL). The number of
/// migrations applied is kept in `schema_version`; a store written by a newer tollgate (a higher
/// version) is refused rather than misread. Append here; never edit an applied migration.
const MIGRATIONS: &[&str] = &["CREATE TABLE IF NOT EXISTS {t}metrics (
        contract TEXT NOT NULL,
        partition TEXT NOT NULL,
        metric TEXT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (contract, partition, metric)
    )"];

/// The migrations `version` (the number already applied) still lacks, with their numbers.
fn pending(version: i64, prefix: &str) -> Result<Vec<(i64, String)>, String> {
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(format!(
            "the store has schema version {version}, newer than this tollgate's {known}; upgrade tollgate"
        ));
    }
    Ok(MIGRATIONS
        .iter()
        .enumerate()
        .skip(version.max(0) as usize)
        .map(|(i, sql)| (i as i64 + 1, sql.replace("{t}", prefix)))
        .collect())
}

/// Opens the store a `--history` argument names: `postgres://…` / `postgresql://…`, else a
/// SQLite file path.
pub fn open(spec: &str) -> Result<Box<dyn HistoryStore>, HistoryError> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        return Ok(Box::new(PostgresStore::open(spec)?));
    }
    Ok(Box::new(SqliteStore::open(std::path::Path::new(spec))?))
}

/// The store as it may be shown: a URL without its password (`postgres://u:pw@h/db` →
/// `postgres://u@h/db`), a path as given.
pub fn shown(spec: &str) -> String {
    let Some((scheme, rest)) = spec.split_once("://") else { return spec.to_string() };
    let (authority, tail) = rest.split_once('/').map(|(a, t)| (a, format!("/{t}"))).unwrap_or((rest, String::new()));
    match authority.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => spec.to_string(),
    }
}

/// Is the store a server (asked when opened) rather than a file whose existence can be checked?
pub fn is_remote(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_never_shown() {
        assert_eq!(super::shown("postgres://alice:s3cret@db:5433/m?schema=x"), "postgres://alice@db:5433/m?schema=x");
        assert_eq!(super::shown("postgresql://db/m"), "postgresql://db/m");
        assert_eq!(super::shown("history.db"), "history.db");
    }
}
