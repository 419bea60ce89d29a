//! Converting contract literals and CSV text to column types, and data values to JSON.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use polars::prelude::*;
use serde_json::{json, Value};

use crate::contract::{Literal, Scalar};
use crate::types::{family, DeclaredType, DeclaredTypeExt, Family};

pub fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
}

pub fn days_since_epoch(d: NaiveDate) -> i32 {
    (d - epoch()).num_days() as i32
}

/// An ISO 8601 date or date-time as microseconds since the epoch, UTC. Values without a zone are UTC.
pub fn parse_timestamp_micros(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.timestamp_micros());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(text, format) {
            return Some(dt.and_utc().timestamp_micros());
        }
    }
    if let Ok(dt) = DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z") {
        return Some(dt.timestamp_micros());
    }
    crate::source::parse_date(text).map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp_micros())
}

pub fn parse_time_nanos(text: &str) -> Option<i64> {
    let t =
        NaiveTime::parse_from_str(text, "%H:%M:%S%.f").or_else(|_| NaiveTime::parse_from_str(text, "%H:%M")).ok()?;
    Some((t - NaiveTime::MIN).num_nanoseconds().unwrap_or(0))
}

fn micros_to_unit(micros: i64, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Nanoseconds => micros.saturating_mul(1000),
        TimeUnit::Microseconds => micros,
        TimeUnit::Milliseconds => micros.div_euclid(1000),
    }
}

/// How a fractional bound meets an integer column: `min: 1.5` means ≥ 2, `max: 1.5` means ≤ 1.
#[derive(Clone, Copy, PartialEq)]
pub enum Rounding {
    Exact,
    Up,
    Down,
}

/// A literal converted to a column's type, as a one-row expression; `Err` says why it cannot be.
pub fn literal_expr(l: &Literal, dtype: &DataType, rounding: Rounding) -> Result<Expr, String> {
    let cannot = || format!("`{}` cannot be converted to the column's type {}", l.raw, crate::types::type_name(dtype));
    let number = || -> Option<f64> {
        match &l.value {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Float(f) => Some(*f),
            Scalar::Str(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
    };
    Ok(match family(dtype) {
        Family::Integer => {
            let as_int = match &l.value {
                Scalar::Int(i) => Some(*i),
                Scalar::Str(s) if s.trim().parse::<i64>().is_ok() => s.trim().parse::<i64>().ok(),
                _ => {
                    let f = number().ok_or_else(cannot)?;
                    match rounding {
                        _ if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
                        Rounding::Exact => None,
                        Rounding::Up => Some(f.ceil().clamp(-9.2e18, 9.2e18) as i64),
                        Rounding::Down => Some(f.floor().clamp(-9.2e18, 9.2e18) as i64),
                    }
                }
            };
            let i = as_int.ok_or_else(cannot)?;
            if rounding == Rounding::Exact {
                // A listed value must fit the column's width to be able to match.
                let fits =
                    Series::new("v".into(), [i]).strict_cast(dtype).map(|s| s.null_count() == 0).unwrap_or(false);
                if !fits {
                    return Err(cannot());
                }
            }
            lit(i)
        }
        Family::Float | Family::Decimal => lit(number().ok_or_else(cannot)?),
        Family::String => lit(l.raw.clone()),
        Family::Bool => match &l.value {
            Scalar::Bool(b) => lit(*b),
            Scalar::Str(s) if s.eq_ignore_ascii_case("true") => lit(true),
            Scalar::Str(s) if s.eq_ignore_ascii_case("false") => lit(false),
            _ => return Err(cannot()),
        },
        Family::Date => {
            let text = match &l.value {
                Scalar::Str(s) => s,
                _ => return Err(cannot()),
            };
            let d = crate::source::parse_date(text).ok_or_else(cannot)?;
            lit(days_since_epoch(d)).cast(DataType::Date)
        }
        Family::Timestamp => {
            let DataType::Datetime(unit, tz) = dtype else { return Err(cannot()) };
            let text = match &l.value {
                Scalar::Str(s) => s,
                _ => return Err(cannot()),
            };
            let micros = parse_timestamp_micros(text).ok_or_else(cannot)?;
            lit(micros_to_unit(micros, *unit)).cast(DataType::Datetime(*unit, tz.clone()))
        }
        Family::Time => {
            let text = match &l.value {
                Scalar::Str(s) => s,
                _ => return Err(cannot()),
            };
            lit(parse_time_nanos(text).ok_or_else(cannot)?).cast(DataType::Time)
        }
        Family::Binary | Family::Other => return Err(cannot()),
    })
}

/// Listed values as one list literal of the column's type, for `is_in`.
pub fn list_literal(values: &[Literal], dtype: &DataType) -> Result<Expr, String> {
    let name: PlSmallStr = "values".into();
    let series = match family(dtype) {
        Family::Integer => {
            let mut out = Vec::new();
            for v in values {
                let _ = literal_expr(v, dtype, Rounding::Exact)?;
                out.push(match &v.value {
                    Scalar::Int(i) => *i,
                    Scalar::Float(f) => *f as i64,
                    Scalar::Str(s) => s.trim().parse::<f64>().map(|f| f as i64).unwrap_or_default(),
                    _ => 0,
                });
            }
            Series::new(name, out)
        }
        Family::Float | Family::Decimal => {
            let mut out = Vec::new();
            for v in values {
                let _ = literal_expr(v, dtype, Rounding::Exact)?;
                out.push(match &v.value {
                    Scalar::Int(i) => *i as f64,
                    Scalar::Float(f) => *f,
                    Scalar::Str(s) => s.trim().parse::<f64>().unwrap_or(f64::NAN),
                    _ => f64::NAN,
                });
            }
            Series::new(name, out)
        }
        Family::String => Series::new(name, values.iter().map(|v| v.raw.clone()).collect::<Vec<_>>()),
        Family::Bool => {
            let mut out = Vec::new();
            for v in values {
                let _ = literal_expr(v, dtype, Rounding::Exact)?;
                out.push(
                    matches!(&v.value, Scalar::Bool(true))
                        || matches!(&v.value, Scalar::Str(s) if s.eq_ignore_ascii_case("true")),
                );
            }
            Series::new(name, out)
        }
        Family::Date | Family::Timestamp | Family::Time => {
            let mut physical = Vec::new();
            for v in values {
                let _ = literal_expr(v, dtype, Rounding::Exact)?;
                let text = match &v.value {
                    Scalar::Str(s) => s.as_str(),
                    _ => "",
                };
                physical.push(match dtype {
                    DataType::Date => crate::source::parse_date(text).map(days_since_epoch).unwrap_or_default() as i64,
                    DataType::Datetime(unit, _) => {
                        micros_to_unit(parse_timestamp_micros(text).unwrap_or_default(), *unit)
                    }
                    _ => parse_time_nanos(text).unwrap_or_default(),
                });
            }
            let s = Series::new(name, physical);
            let s =
                if matches!(dtype, DataType::Date) { s.cast(&DataType::Int32).map_err(|e| e.to_string())? } else { s };
            s.cast(dtype).map_err(|e| e.to_string())?
        }
        Family::Binary | Family::Other => {
            return Err(format!("accepted_values cannot apply to a {} column", crate::types::type_name(dtype)))
        }
    };
    let series = series.cast(dtype).map_err(|e| e.to_string())?;
    Ok(lit(polars::prelude::Scalar::new_list(series)))
}

/// Parses CSV text into the declared type; a value that does not parse becomes null.
pub fn parse_text(text: Expr, declared: DeclaredType) -> Expr {
    let target = declared.csv_target();
    match target {
        DataType::Boolean => {
            let lower = text.str().to_lowercase();
            when(lower.clone().eq(lit("true")))
                .then(lit(true))
                .when(lower.eq(lit("false")))
                .then(lit(false))
                .otherwise(lit(NULL).cast(DataType::Boolean))
        }
        DataType::Date => text.str().to_date(StrptimeOptions {
            format: Some("%Y-%m-%d".into()),
            strict: false,
            exact: true,
            cache: true,
        }),
        DataType::Time => text.str().to_time(StrptimeOptions {
            format: Some("%H:%M:%S".into()),
            strict: false,
            exact: true,
            cache: true,
        }),
        DataType::Datetime(unit, _) => {
            let naive = |format: &str| {
                text.clone().str().to_datetime(
                    Some(unit),
                    None,
                    StrptimeOptions { format: Some(format.into()), strict: false, exact: true, cache: true },
                    lit("raise"),
                )
            };
            let zoned = |format: &str| {
                text.clone()
                    .str()
                    .to_datetime(
                        Some(unit),
                        None,
                        StrptimeOptions { format: Some(format.into()), strict: false, exact: true, cache: true },
                        lit("raise"),
                    )
                    .dt()
                    .replace_time_zone(None, lit("raise"), NonExistent::Raise)
            };
            coalesce(&[
                naive("%Y-%m-%dT%H:%M:%S%.f"),
                naive("%Y-%m-%d %H:%M:%S%.f"),
                zoned("%Y-%m-%dT%H:%M:%S%.f%:z"),
                zoned("%Y-%m-%dT%H:%M:%S%.fZ"),
                naive("%Y-%m-%d").cast(DataType::Datetime(unit, None)),
            ])
        }
        DataType::String => text,
        other => text.cast(other),
    }
}

/// A data value for the report. NaN and infinities, which JSON cannot hold, become strings.
pub fn json_value(v: &AnyValue) -> Value {
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => json!(b),
        AnyValue::Float32(f) => float_json(*f as f64),
        AnyValue::Float64(f) => float_json(*f),
        AnyValue::String(s) => json!(s),
        AnyValue::StringOwned(s) => json!(s.as_str()),
        AnyValue::Date(days) => json!((epoch() + chrono::Duration::days(*days as i64)).to_string()),
        AnyValue::Datetime(value, unit, _) | AnyValue::DatetimeOwned(value, unit, _) => {
            let micros = match unit {
                TimeUnit::Nanoseconds => value.div_euclid(1000),
                TimeUnit::Microseconds => *value,
                TimeUnit::Milliseconds => value.saturating_mul(1000),
            };
            match DateTime::from_timestamp_micros(micros) {
                Some(dt) => json!(dt.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f").to_string()),
                None => json!(micros),
            }
        }
        AnyValue::Time(nanos) => {
            let t = NaiveTime::MIN + chrono::Duration::nanoseconds(*nanos);
            json!(t.to_string())
        }
        AnyValue::Binary(b) => json!(String::from_utf8_lossy(b)),
        AnyValue::BinaryOwned(b) => json!(String::from_utf8_lossy(b)),
        AnyValue::StructOwned(payload) => Value::Array(payload.0.iter().map(json_value).collect()),
        other => {
            if let Some(i) = other.extract::<i64>() {
                json!(i)
            } else if let Some(u) = other.extract::<u64>() {
                json!(u)
            } else if let Some(f) = other.extract::<f64>() {
                float_json(f)
            } else {
                json!(other.to_string())
            }
        }
    }
}

fn float_json(f: f64) -> Value {
    if f.is_finite() {
        json!(f)
    } else if f.is_nan() {
        json!("NaN")
    } else if f > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_as_utc() {
        assert_eq!(parse_timestamp_micros("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(parse_timestamp_micros("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_timestamp_micros("1970-01-01 00:00:02"), Some(2_000_000));
        assert_eq!(parse_timestamp_micros("1970-01-02"), Some(86_400_000_000));
        assert_eq!(parse_timestamp_micros("yesterday"), None);
    }

    #[test]
    fn json_for_special_floats() {
        assert_eq!(json_value(&AnyValue::Float64(f64::NAN)), json!("NaN"));
        assert_eq!(json_value(&AnyValue::Float64(-1.5)), json!(-1.5));
        assert_eq!(json_value(&AnyValue::Date(1)), json!("1970-01-02"));
    }
}
