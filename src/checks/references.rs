//! `references: {column, dataset, key}` — every non-null value exists among the other dataset's
//! keys. The keys are read first, so the checked data is still read in one pass.

use super::CheckContext;
use crate::contract::Limits;
use crate::rules::{counted, of_rows, Evidence, Planned};

pub fn plan(id: &str, column: &str, limits: Limits, ctx: &CheckContext) -> Result<Planned, String> {
    let input = ctx.column(column)?;
    let keys = ctx
        .referenced_keys
        .get(id)
        .ok_or_else(|| format!("the keys of `{id}` were not loaded"))?
        .as_ref()
        .map_err(Clone::clone)?;
    let value = input.value.clone();
    let failing = value.clone().is_not_null().and(value.clone().is_in(keys.clone(), false).not());
    Ok(counted(failing.clone(), value.clone().count(), limits, Some(Evidence::Where { failing, value }), |f, d| {
        format!("{} have no match in the referenced dataset", of_rows(f, d, "values"))
    }))
}
