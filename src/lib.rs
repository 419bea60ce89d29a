//! tollgate: checks data against a data contract and exits nonzero when the data breaks it.
//!
//! `contract` is the contract model and its parser; everything else (behind the default `engine`
//! feature) reads data, evaluates rules in one Polars pass and reports.

pub mod contract;
pub mod diff;

#[cfg(feature = "engine")]
pub mod checks;
#[cfg(feature = "engine")]
pub mod cli;
#[cfg(feature = "engine")]
pub mod engine;
#[cfg(feature = "engine")]
pub mod history;
#[cfg(feature = "engine")]
pub mod infer;
#[cfg(feature = "engine")]
pub mod output;
#[cfg(feature = "engine")]
pub mod quarantine;
#[cfg(feature = "engine")]
pub mod remote;
#[cfg(feature = "engine")]
pub mod report;
#[cfg(feature = "engine")]
pub mod rules;
#[cfg(feature = "engine")]
pub mod source;
#[cfg(feature = "spark")]
pub mod spark;
#[cfg(feature = "engine")]
pub mod statistics;
#[cfg(feature = "engine")]
pub mod types;
#[cfg(feature = "engine")]
pub mod values;
