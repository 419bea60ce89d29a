//! `length: {min, max}` — string length in Unicode code points, inclusive bounds.

use polars::prelude::*;

use super::{counted, of_rows, require_text, ColumnInput, Evidence, Planned};
use crate::contract::ColumnRule;

pub fn plan(min: Option<u64>, max: Option<u64>, rule: &ColumnRule, input: &ColumnInput) -> Result<Planned, String> {
    let value = require_text(input, "length")?;
    let chars = value.clone().str().len_chars().cast(DataType::Int64);
    let mut outside = lit(false);
    if let Some(m) = min {
        outside = outside.or(chars.clone().lt(lit(m as i64)));
    }
    if let Some(m) = max {
        outside = outside.or(chars.clone().gt(lit(m as i64)));
    }
    let failing = value.clone().is_not_null().and(outside);
    let bounds = format!(
        "[{}, {}]",
        min.map(|m| m.to_string()).unwrap_or("0".into()),
        max.map(|m| m.to_string()).unwrap_or("inf".into())
    );
    Ok(counted(
        failing.clone(),
        value.clone().count(),
        rule.limits,
        Some(Evidence::Where { failing, value }),
        move |f, d| format!("{} with a length outside {bounds}", of_rows(f, d, "values")),
    ))
}
