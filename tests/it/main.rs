//! The integration tests, one binary (as ripgrep keeps them): each module runs the real
//! `tollgate` executable or the library on fixtures. One binary links Polars once instead of
//! once per file.

mod common;

mod airflow;
mod anomaly;
mod atomic;
mod cli;
mod diff;
mod explain;
mod faults;
mod formats;
mod history;
mod html;
mod infer;
mod interop;
mod kinds;
mod object_store;
mod odcs;
mod partitions;
mod property;
mod quarantine;
mod reconcile;
mod rules;
mod snapshots;
#[cfg(feature = "spark")]
mod spark;
mod sql;
