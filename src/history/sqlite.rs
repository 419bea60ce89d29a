//! The history store in a SQLite file: WAL, a 30 s busy timeout, one `BEGIN IMMEDIATE`
//! transaction per result.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, TransactionBehavior};

use super::{pending, HistoryError, HistoryStore, Metric};

/// How long a run waits for other runs writing the same store (several pipeline tasks at once).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `step` again while SQLite reports the file busy, for at most `BUSY_TIMEOUT`.
fn retry_while_busy<T>(mut step: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let started = std::time::Instant::now();
    loop {
        match step() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
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
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        // Switching a new file to WAL needs its exclusive lock, and SQLite answers "busy" there
        // without calling the busy handler (it would risk a deadlock): retry by hand.
        retry_while_busy(|| conn.pragma_update(None, "journal_mode", "WAL")).map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(err)?;
        let store = SqliteStore { path: path.to_path_buf(), conn };
        store.migrate()?;
        Ok(store)
    }

    fn err(&self, e: rusqlite::Error) -> HistoryError {
        HistoryError { store: self.path.clone(), message: e.to_string() }
    }

    /// Applies the migrations this store lacks, in one transaction that holds the write lock from
    /// its start (a statement that reads, then writes, gets "busy" without waiting when another
    /// writer came between).
    fn migrate(&self) -> Result<(), HistoryError> {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            .map_err(|e| self.err(e))?;
        let version: i64 = tx
            .query_row("SELECT COALESCE(MAX(version), 0) FROM schema_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let todo = pending(version, "").map_err(|message| HistoryError { store: self.path.clone(), message })?;
        for (number, sql) in todo {
            tx.execute_batch(&sql).map_err(|e| self.err(e))?;
            tx.execute("INSERT INTO schema_version (version) VALUES (?1)", params![number]).map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
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

    #[test]
    fn migrations_are_forward_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        drop(SqliteStore::open(&path).unwrap());
        drop(SqliteStore::open(&path).unwrap()); // re-opening applies nothing twice
        let conn = Connection::open(&path).unwrap();
        let versions: i64 = conn.query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0)).unwrap();
        assert_eq!(versions, super::super::MIGRATIONS.len() as i64);
        conn.execute("INSERT INTO schema_version (version) VALUES (99)", []).unwrap();
        drop(conn);
        let newer = SqliteStore::open(&path).err().unwrap();
        assert!(newer.message.contains("schema version 99, newer than this tollgate's"), "{}", newer.message);
    }
}
