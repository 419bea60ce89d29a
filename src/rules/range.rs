//! `range: {min, max}` — inclusive bounds; NaN is outside every range; nulls are skipped.

use polars::prelude::*;

use super::{count_where, counted, known, of_rows, ColumnInput, Evidence, Planned, DENOMINATOR, FAILURES};
use crate::contract::{ColumnRule, Literal, Scalar};
use crate::types::{family, Family};
use crate::values::{bound_is_exact, literal_expr, Rounding};

pub fn plan(
    min: Option<&Literal>,
    max: Option<&Literal>,
    (exclusive_min, exclusive_max): (bool, bool),
    rule: &ColumnRule,
    input: &ColumnInput,
) -> Result<Planned, String> {
    let fam = family(&input.dtype);
    let numeric_bound = |l: &Literal| matches!(l.value, Scalar::Int(_) | Scalar::Float(_));
    match fam {
        Family::Integer | Family::Float | Family::Decimal | Family::Date | Family::Timestamp | Family::Time => {}
        Family::String if min.into_iter().chain(max).all(|l| !numeric_bound(l)) => {}
        _ => {
            return Err(format!(
                "a {}range cannot apply to `{}` of type {}",
                if min.into_iter().chain(max).any(numeric_bound) { "numeric " } else { "" },
                input.name,
                crate::types::type_name(&input.dtype)
            ))
        }
    }
    let value = if fam == Family::String { input.value.clone().cast(DataType::String) } else { input.value.clone() };
    let mut outside = lit(false);
    if let Some(l) = min {
        let bound = literal_expr(l, &input.dtype, Rounding::Up)?;
        let strict = exclusive_min && bound_is_exact(l, &input.dtype);
        let below = if strict { value.clone().lt_eq(bound) } else { value.clone().lt(bound) };
        outside = outside.or(below);
    }
    if let Some(l) = max {
        let bound = literal_expr(l, &input.dtype, Rounding::Down)?;
        let strict = exclusive_max && bound_is_exact(l, &input.dtype);
        let above = if strict { value.clone().gt_eq(bound) } else { value.clone().gt(bound) };
        outside = outside.or(above);
    }
    if fam == Family::Float {
        outside = outside.or(value.clone().is_nan());
    }
    let failing = value.clone().is_not_null().and(outside);
    let bounds = format!(
        "{}{}, {}{}",
        if exclusive_min { "(" } else { "[" },
        min.map(|l| l.raw.as_str()).unwrap_or("-inf"),
        max.map(|l| l.raw.as_str()).unwrap_or("inf"),
        if exclusive_max { ")" } else { "]" }
    );
    // Every row group's min and max inside the bounds: no value is outside.
    let inside = input.stats.as_deref().filter(|s| s.on_extremes(count_where(failing.clone())) == Some(Some(0)));
    let values = inside.and_then(|s| Some(vec![(FAILURES, Some(0)), (DENOMINATOR, Some((s.rows - s.nulls?) as i64))]));
    let planned = counted(
        failing.clone(),
        value.clone().count(),
        rule.limits,
        Some(Evidence::Where { failing, value }),
        move |f, d| format!("{} outside {bounds}", of_rows(f, d, "values")),
    );
    Ok(known(planned, values))
}
