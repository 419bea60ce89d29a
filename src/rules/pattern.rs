//! `pattern: REGEX` — every non-null value fully matches (Rust regex syntax). Patterns from ODCS
//! contracts keep the standard's meaning: a match anywhere in the value.

use polars::prelude::*;

use super::{counted, of_rows, require_text, ColumnInput, Evidence, Planned};
use crate::contract::ColumnRule;

/// Anchors the user's pattern so it must match the whole value.
pub fn full_match(regex: &str) -> String {
    format!("^(?:{regex})$")
}

pub fn plan(regex: &str, full: bool, rule: &ColumnRule, input: &ColumnInput) -> Result<Planned, String> {
    let value = require_text(input, "pattern")?;
    let anchored = if full { full_match(regex) } else { regex.to_string() };
    let matches = value.clone().str().contains(lit(anchored), true);
    let failing = value.clone().is_not_null().and(matches.not());
    let shown = regex.to_string();
    Ok(counted(
        failing.clone(),
        value.clone().count(),
        rule.limits,
        Some(Evidence::Where { failing, value }),
        move |f, d| format!("{} do not match {shown}", of_rows(f, d, "values")),
    ))
}
