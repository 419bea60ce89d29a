//! The history store (SPEC §4): each run's metrics keyed by contract, partition and metric.
//! Re-recording a partition replaces its figures, so re-runs never duplicate history.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, TransactionBehavior};

#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub contract: String,
    pub partition: String,
    pub metric: String,
    pub value: f64,
    pub recorded_at: String,
}

#[derive(Debug, thiserror::Error)]
#[error("history store {}: {message}", store.display())]
pub struct HistoryError {
    pub store: PathBuf,
    pub message: String,
}

/// Where run metrics are kept. SQLite is the one implementation; another backend (PostgreSQL)
/// only has to provide these three methods.
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

pub struct SqliteStore {
    path: PathBuf,
    conn: Connection,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, HistoryError> {
        let err = |e: rusqlite::Error| HistoryError { store: path.to_path_buf(), message: e.to_string() };
        let conn = Connection::open(path).map_err(err)?;
        // Concurrent runs (several pipeline tasks at once) wait for each other instead of failing.
        conn.busy_timeout(Duration::from_secs(30)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(err)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS metrics (
                contract TEXT NOT NULL,
                partition TEXT NOT NULL,
                metric TEXT NOT NULL,
                value REAL NOT NULL,
                recorded_at TEXT NOT NULL,
                PRIMARY KEY (contract, partition, metric)
            );",
        )
        .map_err(err)?;
        Ok(SqliteStore { path: path.to_path_buf(), conn })
    }

    fn err(&self, e: rusqlite::Error) -> HistoryError {
        HistoryError { store: self.path.clone(), message: e.to_string() }
    }
}

impl HistoryStore for SqliteStore {
    fn record(
        &self,
        contract: &str,
        partition: &str,
        metrics: &[(String, f64)],
        recorded_at: &str,
    ) -> Result<(), HistoryError> {
        // IMMEDIATE takes the write lock up front, so concurrent writers queue on busy_timeout
        // instead of failing on a lock upgrade.
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        tx.execute("DELETE FROM metrics WHERE contract = ?1 AND partition = ?2", params![contract, partition])
            .map_err(|e| self.err(e))?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO metrics (contract, partition, metric, value, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(|e| self.err(e))?;
            for (metric, value) in metrics {
                insert.execute(params![contract, partition, metric, value, recorded_at]).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    fn series(&self, contract: &str, metric: &str, before: &str) -> Result<Vec<(String, f64)>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT partition, value FROM metrics WHERE contract = ?1 AND metric = ?2 AND partition < ?3 ORDER BY partition")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![contract, metric, before], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn list(&self, contract: &str) -> Result<Vec<Metric>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT contract, partition, metric, value, recorded_at FROM metrics WHERE contract = ?1 ORDER BY partition, metric")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![contract], |r| {
                Ok(Metric {
                    contract: r.get(0)?,
                    partition: r.get(1)?,
                    metric: r.get(2)?,
                    value: r.get(3)?,
                    recorded_at: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}

/// Opens the store a `--history` argument names. Only SQLite files are built in.
pub fn open(spec: &str) -> Result<Box<dyn HistoryStore>, HistoryError> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        return Err(HistoryError {
            store: PathBuf::from(spec),
            message: "PostgreSQL history stores are not built into this version; use a SQLite file path".into(),
        });
    }
    Ok(Box::new(SqliteStore::open(Path::new(spec))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rerecording_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
        store.record("c", "2026-01-01", &[("rows".into(), 10.0), ("x".into(), 1.0)], "t1").unwrap();
        store.record("c", "2026-01-02", &[("rows".into(), 20.0)], "t1").unwrap();
        store.record("c", "2026-01-01", &[("rows".into(), 11.0)], "t2").unwrap();
        let all = store.list("c").unwrap();
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!(
            store.series("c", "rows", "2026-01-03").unwrap(),
            vec![("2026-01-01".into(), 11.0), ("2026-01-02".into(), 20.0)]
        );
        assert_eq!(store.series("c", "rows", "2026-01-02").unwrap().len(), 1);
        assert!(store.list("other").unwrap().is_empty());
    }
}
