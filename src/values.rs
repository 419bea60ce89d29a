//! Converting contract literals and CSV text to column types, and data values to JSON.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use polars::prelude::*;
use serde_json::{json, Value};

use crate::contract::{Literal, Scalar};
use crate::types::{family, DeclaredType, DeclaredTypeExt, Family};

pub fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
}

/// An ISO date, `YYYY-MM-DD` exactly.
pub fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().filter(|_| text.len() == 10)
}

pub fn days_since_epoch(d: NaiveDate) -> i32 {
    (d - epoch()).num_days() as i32
}

/// An ISO 8601 date or date-time as microseconds since the epoch, UTC. Values without a zone are UTC.
/// Surrounding spaces are ignored (contract literals); the grammar is [`iso_timestamp_micros`]'s.
pub fn parse_timestamp_micros(text: &str) -> Option<i64> {
    iso_timestamp_micros(text.trim())
}

/// The timestamp grammar of CSV values and contract literals (SPEC §1, README "CSV parsing"):
/// `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM`, optional `:SS`, an optional
/// fraction of 1–9 digits, and — after a time — an optional zone: `Z`, `±hh`, `±hhmm` or
/// `±hh:mm`. A value with a zone is converted to UTC; one without is taken as UTC. Written by
/// hand: it is the hot path of every typed CSV timestamp column, and no format string of chrono
/// or Polars covers both separators and every offset form at once.
pub fn iso_timestamp_micros(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        part.iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)?;
    if b.len() == 10 {
        return Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros());
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let (hour, minute) = (digits(11..13)?, digits(14..16)?);
    let mut at = 16;
    let mut second = 0;
    if b.get(at) == Some(&b':') {
        second = digits(at + 1..at + 3)?;
        at += 3;
    }
    let mut nanos = 0;
    if b.get(at) == Some(&b'.') {
        let start = at + 1;
        let mut end = start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        if end == start || end - start > 9 {
            return None;
        }
        nanos = digits(start..end)? * 10u32.pow(9 - (end - start) as u32);
        at = end;
    }
    let offset_seconds: i64 = match &b[at..] {
        [] => 0,
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest.len() {
                2 => (digits(at + 1..at + 3)?, 0),
                4 => (digits(at + 1..at + 3)?, digits(at + 3..at + 5)?),
                5 if rest[2] == b':' => (digits(at + 1..at + 3)?, digits(at + 4..at + 6)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let magnitude = i64::from(h * 3600 + m * 60);
            if *sign == b'-' {
                -magnitude
            } else {
                magnitude
            }
        }
        _ => return None,
    };
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let local = NaiveDateTime::new(date, time).and_utc().timestamp_micros();
    local.checked_sub(offset_seconds.checked_mul(1_000_000)?)
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

/// `text` as a decimal mantissa at `scale` (value × 10^scale), exactly: an optional sign, digits,
/// an optional fraction and an optional exponent (`-3.25`, `12345678901234567890.1234`, `5e12`).
/// Digits beyond the scale round as `rounding` says (toward +inf for `Up`, −inf for `Down`;
/// `Exact` refuses them unless they are zeros). Returns the mantissa and whether it is exact.
pub fn decimal_mantissa(text: &str, scale: usize, rounding: Rounding) -> Option<(i128, bool)> {
    let text = text.trim();
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], unsigned[i + 1..].parse::<i32>().ok()?),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut digits: i128 = 0;
    for c in int_part.bytes().chain(frac_part.bytes()) {
        if !c.is_ascii_digit() {
            return None;
        }
        digits = digits.checked_mul(10)?.checked_add(i128::from(c - b'0'))?;
    }
    // value = digits × 10^(exponent − fraction digits); mantissa = value × 10^scale.
    let shift = scale as i32 + exponent - frac_part.len() as i32;
    let (magnitude, exact) = if shift >= 0 {
        (digits.checked_mul(10i128.checked_pow(shift as u32)?)?, true)
    } else {
        let divisor = 10i128.checked_pow((-shift) as u32).unwrap_or(i128::MAX);
        let (q, r) = (digits / divisor, digits % divisor);
        let away_from_zero = match rounding {
            _ if r == 0 => false,
            Rounding::Exact => return None,
            Rounding::Up => !negative,
            Rounding::Down => negative,
        };
        (q + i128::from(away_from_zero), r == 0)
    };
    Some((if negative { -magnitude } else { magnitude }, exact))
}

/// Does the column's type hold the bound exactly? A bound it cannot hold is rounded inward, and
/// an exclusive bound then becomes inclusive: on an integer column `> 1.5` means `>= 2`.
pub fn bound_is_exact(l: &Literal, dtype: &DataType) -> bool {
    match (family(dtype), dtype) {
        (Family::Integer, _) => match &l.value {
            Scalar::Int(_) => true,
            Scalar::Float(f) => f.fract() == 0.0,
            Scalar::Str(text) => text.trim().parse::<f64>().is_ok_and(|f| f.fract() == 0.0),
            Scalar::Null | Scalar::Bool(_) => true,
        },
        (Family::Decimal, DataType::Decimal(_, scale)) => decimal_mantissa(&l.raw, *scale, Rounding::Exact).is_some(),
        _ => true,
    }
}

/// A decimal's exact text without trailing fractional zeros: `-3.25`, `12345678901234567890.1234`.
pub fn decimal_text(mantissa: i128, scale: usize) -> String {
    let digits = mantissa.unsigned_abs().to_string();
    let sign = if mantissa < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int_part, frac_part) = padded.split_at(padded.len() - scale);
    let frac_part = frac_part.trim_end_matches('0');
    if frac_part.is_empty() {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac_part}")
    }
}

/// A decimal literal of `scale` (precision 38, the widest).
fn decimal_lit(mantissa: i128, scale: usize) -> Expr {
    lit(polars::prelude::Scalar::new(DataType::Decimal(38, scale), AnyValue::Decimal(mantissa, 38, scale)))
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
        Family::Float => lit(number().ok_or_else(cannot)?),
        Family::Decimal => {
            let DataType::Decimal(_, scale) = dtype else { return Err(cannot()) };
            let (mantissa, _) = decimal_mantissa(&l.raw, *scale, rounding).ok_or_else(cannot)?;
            decimal_lit(mantissa, *scale)
        }
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
            let d = parse_date(text).ok_or_else(cannot)?;
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
        Family::Decimal => {
            let DataType::Decimal(_, scale) = dtype else { return Err(format!("{dtype} is not a decimal")) };
            let mut mantissas = Vec::new();
            for v in values {
                let cannot = || {
                    format!("`{}` cannot be converted to the column's type {}", v.raw, crate::types::type_name(dtype))
                };
                mantissas.push(decimal_mantissa(&v.raw, *scale, Rounding::Exact).ok_or_else(cannot)?.0);
            }
            Int128Chunked::from_vec(name, mantissas).into_decimal_unchecked(38, *scale).into_series()
        }
        Family::Float => {
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
                    DataType::Date => parse_date(text).map(days_since_epoch).unwrap_or_default() as i64,
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
        DataType::Datetime(unit, _) => timestamps(text, "parse.iso_timestamp", |_, t| Ok(iso_timestamp_micros(t)))
            .cast(DataType::Datetime(unit, None)),
        DataType::Decimal(_, scale) => {
            let parse = move |columns: &mut [Column]| -> PolarsResult<Column> {
                let texts = columns[0].str()?;
                let mantissas: Int128Chunked = texts
                    .iter()
                    .map(|t| t.and_then(|t| decimal_mantissa(t, scale, Rounding::Exact)).map(|m| m.0))
                    .collect();
                let decimals = mantissas.with_name(texts.name().clone()).into_decimal_unchecked(38, scale);
                Ok(decimals.into_series().into_column())
            };
            let field = move |_: &Schema, fields: &[Field]| {
                Ok(Field::new(fields[0].name().clone(), DataType::Decimal(38, scale)))
            };
            crate::rules::named_udf(text.map_many(parse, &[], field), "parse.decimal")
        }
        DataType::String => text,
        other => text.cast(other),
    }
}

/// A value of an undeclared CSV column that Polars inferred as a timestamp (zoned or not), by
/// tollgate's grammar narrowed to what Polars' own parse of such a column accepts: a zone exactly
/// when the column is zoned, and no lower-case `t` or `z`. Where both accept a value they agree
/// (a fraction past microseconds is cut, offsets go to UTC); `None` for anything else.
pub fn inferred_timestamp_micros(text: &str, zoned: bool) -> Option<i64> {
    let b = text.as_bytes();
    if b.get(10) == Some(&b't') || b.last() == Some(&b'z') {
        return None;
    }
    let has_zone = b.last() == Some(&b'Z') || b.iter().skip(16).any(|&c| c == b'+' || c == b'-');
    if has_zone != zoned {
        return None;
    }
    iso_timestamp_micros(text)
}

/// An undeclared CSV column that Polars inferred as a timestamp (`dtype`, microseconds), read as
/// text and parsed by [`inferred_timestamp_micros`]: ~10× faster than Polars' parse, which tries
/// its patterns value by value. A value it does not take fails the query with a compute error, so
/// the run is repeated with types inferred from every row, where Polars parses the column itself
/// (what it did before). The error does not quote the value: the column may be sensitive.
pub fn parse_inferred_timestamp(text: Expr, dtype: DataType) -> Expr {
    let zoned = matches!(&dtype, DataType::Datetime(_, Some(_)));
    timestamps(text, "parse.inferred_timestamp", move |column, t| {
        inferred_timestamp_micros(t, zoned).map(Some).ok_or_else(
            || polars_err!(ComputeError: "a value of column `{column}` is not a timestamp of the form its first rows have"),
        )
    })
    .cast(dtype)
}

/// Text parsed to UTC microseconds, value by value, by the function of ours `name`: `parse`
/// takes the column's name and a value and gives its microseconds, or null, or an error that
/// fails the query.
fn timestamps(
    text: Expr,
    name: &str,
    parse: impl Fn(&str, &str) -> PolarsResult<Option<i64>> + Send + Sync + 'static,
) -> Expr {
    let udf = move |columns: &mut [Column]| -> PolarsResult<Column> {
        let texts = columns[0].str()?;
        let micros: Int64Chunked =
            texts.iter().map(|t| t.map_or(Ok(None), |t| parse(texts.name(), t))).collect::<PolarsResult<_>>()?;
        Ok(micros.with_name(texts.name().clone()).into_column())
    };
    let field = |_: &Schema, fields: &[Field]| Ok(Field::new(fields[0].name().clone(), DataType::Int64));
    crate::rules::named_udf(text.map_many(udf, &[], field), name).cast(DataType::Datetime(TimeUnit::Microseconds, None))
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
        AnyValue::Struct(..) => json_value(&v.clone().into_static()),
        // Exact, as text: a JSON number would be read back as a float and lose digits.
        AnyValue::Decimal(mantissa, _, scale) => json!(decimal_text(*mantissa, *scale)),
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

pub fn float_json(f: f64) -> Value {
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

    /// Every form SPEC/README promise for CSV timestamps, as Arrow, DuckDB, PostgreSQL, pandas
    /// and Spark write them, with the UTC instant each one means.
    const TIMESTAMP_FORMS: &[(&str, Option<i64>)] = &[
        ("2024-01-01T06:59:58", Some(1_704_092_398_000_000)),
        ("2024-01-01 06:59:58", Some(1_704_092_398_000_000)),
        ("2024-01-01 06:59:58.867660Z", Some(1_704_092_398_867_660)),
        ("2024-01-01T06:59:58.867660Z", Some(1_704_092_398_867_660)),
        ("2024-01-01 06:59:58Z", Some(1_704_092_398_000_000)),
        ("2024-01-01 06:59:58+02:00", Some(1_704_085_198_000_000)),
        ("2024-01-01 06:59:58+02", Some(1_704_085_198_000_000)),
        ("2024-01-01 06:59:58+0200", Some(1_704_085_198_000_000)),
        ("2024-01-01T06:59:58-05", Some(1_704_110_398_000_000)),
        ("2024-01-01T06:59:58.5+05:30", Some(1_704_072_598_500_000)),
        ("2024-01-01 06:59:58.1", Some(1_704_092_398_100_000)),
        ("2024-01-01 06:59:58.123456789", Some(1_704_092_398_123_456)),
        ("2024-01-01 06:59", Some(1_704_092_340_000_000)),
        ("2024-01-01", Some(1_704_067_200_000_000)),
        ("2024-01-01 25:00:00", None),
        ("01/02/2024 06:59:58", None),
        ("2024-01-01 06:59:58 +02:00", None),
        ("2024-01-01T06:59:58+2", None),
        ("yesterday", None),
    ];

    #[test]
    fn csv_timestamp_grammar() {
        let texts: Vec<&str> = TIMESTAMP_FORMS.iter().map(|(t, _)| *t).collect();
        let df = df!("t" => texts).unwrap();
        let parsed = df
            .lazy()
            .select([parse_text(col("t"), DeclaredType::Timestamp).dt().timestamp(TimeUnit::Microseconds)])
            .collect()
            .unwrap();
        let column = parsed.column("t").unwrap().as_materialized_series().clone();
        let got: Vec<Option<i64>> = (0..column.len()).map(|i| column.get(i).unwrap().extract::<i64>()).collect();
        for ((text, want), got) in TIMESTAMP_FORMS.iter().zip(got) {
            assert_eq!(got, *want, "CSV `{text}`");
            assert_eq!(parse_timestamp_micros(text), *want, "literal `{text}`");
        }
    }

    #[test]
    fn decimal_bounds_are_exact() {
        assert_eq!(decimal_mantissa("-3.25", 4, Rounding::Exact), Some((-32500, true)));
        assert_eq!(decimal_mantissa("5e12", 6, Rounding::Exact), Some((5_000_000_000_000_000_000, true)));
        assert_eq!(decimal_mantissa("1.23456", 4, Rounding::Exact), None);
        assert_eq!(decimal_mantissa("1.23456", 4, Rounding::Up), Some((12346, false)));
        assert_eq!(decimal_mantissa("1.23456", 4, Rounding::Down), Some((12345, false)));
        assert_eq!(decimal_mantissa("-1.23456", 4, Rounding::Up), Some((-12345, false)));
        assert_eq!(decimal_mantissa("-1.23456", 4, Rounding::Down), Some((-12346, false)));
        assert_eq!(decimal_mantissa("abc", 4, Rounding::Exact), None);
        assert_eq!(decimal_text(-32500, 4), "-3.25");
        assert_eq!(decimal_text(123456789012345678901234, 4), "12345678901234567890.1234");
        assert_eq!(decimal_text(5, 6), "0.000005");
        assert_eq!(decimal_text(90000, 4), "9");
        let df = df!("v" => [123456789012345678901234i128, -32500]).unwrap();
        let df = df.lazy().select([col("v").cast(DataType::Int128)]).collect().unwrap();
        let dec = df.column("v").unwrap().i128().unwrap().clone().into_decimal_unchecked(38, 4).into_series();
        let frame = DataFrame::new(2, vec![dec.into_column()]).unwrap();
        let bound = literal_expr(
            &Literal {
                value: crate::contract::Scalar::Float(1.2345678901234568e19),
                raw: "12345678901234568000".into(),
                pos: Default::default(),
            },
            &DataType::Decimal(38, 4),
            Rounding::Down,
        )
        .unwrap();
        let out = frame.lazy().select([col("v").gt(bound).sum()]).collect().unwrap();
        assert_eq!(out.column("v").unwrap().get(0).unwrap().extract::<i64>(), Some(0), "{out}");
    }

    #[test]
    fn json_for_special_floats() {
        assert_eq!(json_value(&AnyValue::Float64(f64::NAN)), json!("NaN"));
        assert_eq!(json_value(&AnyValue::Float64(-1.5)), json!(-1.5));
        assert_eq!(json_value(&AnyValue::Date(1)), json!("1970-01-02"));
    }
}
