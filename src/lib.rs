//! tollgate: checks data against a data contract and exits nonzero when the data breaks it.

pub mod checks;
pub mod cli;
pub mod contract;
pub mod engine;
pub mod history;
pub mod quarantine;
pub mod report;
pub mod rules;
pub mod source;
pub mod types;
pub mod values;
