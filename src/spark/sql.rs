//! A plan's expressions (Polars expression trees, see `engine::CONSTRUCTS`) written as Spark
//! SQL with the same answers, or the construct that cannot be, named.
//!
//! Where the two engines' semantics differ, the SQL says what Polars means:
//! - a sum of booleans counts the true ones (`count_if`; Spark refuses `sum(boolean)`), and a
//!   sum of nothing is 0, not null;
//! - `max` skips NaN as Polars' does (Spark ranks NaN above every number);
//! - `n_unique` counts null as one more value (Spark's `count(DISTINCT …)` skips it);
//! - a window (`over`, `is_duplicated`) is computed in an inner select over the whole source,
//!   since Spark allows no window inside an aggregate;
//! - a regular expression is written in Java's dialect (see [`super::regex`]).

use polars::prelude::*;

/// A construct the Spark engine does not translate, named for the check's `error` status.
#[derive(Debug, Clone, PartialEq)]
pub struct Untranslatable(pub String);

pub type Translated = Result<String, Untranslatable>;

fn refuse<T>(what: impl Into<String>) -> Result<T, Untranslatable> {
    Err(Untranslatable(what.into()))
}

/// `name` as a Spark identifier.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `text` as a Spark string literal (backslashes are escapes in Spark SQL strings).
pub fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Writes expressions over a source with `schema`; windows found on the way become columns of
/// an inner select ([`Writer::lifted`]).
pub struct Writer<'s> {
    schema: &'s Schema,
    lifted: Vec<String>,
    /// Sets Spark holds, joined to the source: (the flag column, the value, the set's view).
    joined: Vec<(String, String, String)>,
    /// Names of lifted windows start with it, apart from an outer writer's.
    prefix: &'static str,
    /// A column every window is also partitioned by: the source holds several partitions, and
    /// each check's windows look within its own.
    window_scope: Option<String>,
}

impl<'s> Writer<'s> {
    pub fn new(schema: &'s Schema) -> Writer<'s> {
        Writer { schema, lifted: Vec::new(), joined: Vec::new(), prefix: "__window", window_scope: None }
    }

    pub fn with_prefix(self, prefix: &'static str) -> Writer<'s> {
        Writer { prefix, ..self }
    }

    /// Windows also partitioned by `column` (when given).
    pub fn with_window_scope(self, column: Option<&str>) -> Writer<'s> {
        Writer { window_scope: column.map(ident), ..self }
    }

    /// A window's PARTITION BY list: `by`, within the scope column if there is one.
    fn scoped(&self, by: String) -> String {
        match &self.window_scope {
            Some(scope) => format!("{by}, {scope}"),
            None => by,
        }
    }

    /// The windows to compute over the source before aggregating, as `expr AS name`.
    pub fn lifted(&self) -> &[String] {
        &self.lifted
    }

    fn dtype(&self, e: &Expr) -> Result<DataType, Untranslatable> {
        e.to_field(self.schema)
            .map(|f| f.dtype().clone())
            .map_err(|err| Untranslatable(format!("the type of `{e}` is unknown: {err}")))
    }

    /// `inner` with what the written expressions read beside its columns: the sets they look
    /// values up in (left joins on their distinct keys), then the windows.
    pub fn over(&self, inner: &str) -> String {
        let mut source = inner.to_string();
        for (i, (flag, value, view)) in self.joined.iter().enumerate() {
            let (alias, key) = (ident(&format!("{flag}_set{i}")), ident(&format!("{flag}_key")));
            source = format!(
                "SELECT joined.*, CASE WHEN {value} IS NULL THEN NULL ELSE {alias}.{key} IS NOT NULL END AS {} FROM \
                 ({source}) AS joined LEFT JOIN (SELECT DISTINCT k AS {key} FROM {}) AS {alias} ON {value} = {alias}.{key}",
                ident(flag),
                ident(view)
            );
        }
        if self.lifted.is_empty() {
            source
        } else {
            format!("SELECT *, {} FROM ({source}) AS windowed", self.lifted.join(", "))
        }
    }

    fn lift(&mut self, window: String) -> String {
        let name = format!("{}{}", self.prefix, self.lifted.len());
        self.lifted.push(format!("{window} AS {}", ident(&name)));
        ident(&name)
    }

    /// One expression (row-level or aggregate) as SQL.
    pub fn expr(&mut self, e: &Expr) -> Translated {
        Ok(match e {
            Expr::Alias(inner, _) => self.expr(inner)?,
            Expr::Column(name) => ident(name),
            Expr::Literal(value) => literal(value)?,
            Expr::Len => "count(*)".into(),
            Expr::BinaryExpr { left, op, right } => {
                let (l, r) = (self.expr(left)?, self.expr(right)?);
                match op {
                    Operator::And | Operator::LogicalAnd => format!("({l} AND {r})"),
                    Operator::Or | Operator::LogicalOr => format!("({l} OR {r})"),
                    Operator::Eq => format!("({l} = {r})"),
                    Operator::NotEq => format!("({l} <> {r})"),
                    Operator::EqValidity => format!("({l} <=> {r})"),
                    Operator::NotEqValidity => format!("(NOT ({l} <=> {r}))"),
                    Operator::Lt => format!("({l} < {r})"),
                    Operator::LtEq => format!("({l} <= {r})"),
                    Operator::Gt => format!("({l} > {r})"),
                    Operator::GtEq => format!("({l} >= {r})"),
                    Operator::Plus => format!("({l} + {r})"),
                    Operator::Minus => format!("({l} - {r})"),
                    Operator::Multiply => format!("({l} * {r})"),
                    Operator::TrueDivide => format!("({l} / {r})"),
                    other => return refuse(format!("the operator `{other}`")),
                }
            }
            Expr::Cast { expr, dtype, .. } => {
                let DataTypeExpr::Literal(target) = dtype else { return refuse(format!("the cast `{e}`")) };
                let x = self.expr(expr)?;
                match (self.dtype(expr)?, target) {
                    // Polars reads an integer as days since 1970-01-01; Spark casts none to a date.
                    (from, DataType::Date) if from.is_integer() => format!("date_from_unix_date({x})"),
                    _ => format!("CAST({x} AS {})", spark_type(target)?),
                }
            }
            Expr::Ternary { predicate, truthy, falsy } => {
                format!(
                    "(CASE WHEN {} THEN {} ELSE {} END)",
                    self.expr(predicate)?,
                    self.expr(truthy)?,
                    self.expr(falsy)?
                )
            }
            Expr::Agg(agg) => self.aggregate(agg)?,
            Expr::Function { input, function } => self.function(input, function)?,
            Expr::Over { function, partition_by, order_by: None, .. } => {
                let by = partition_by.iter().map(|p| self.expr(p)).collect::<Result<Vec<_>, _>>()?.join(", ");
                let by = self.scoped(by);
                let window = match function.as_ref() {
                    // Spark has no DISTINCT in a window: the size of the set of values instead.
                    Expr::Agg(AggExpr::NUnique(input)) => {
                        format!("size(collect_set({}) OVER (PARTITION BY {by}))", self.expr(input)?)
                    }
                    other => format!("{} OVER (PARTITION BY {by})", self.expr(other)?),
                };
                self.lift(window)
            }
            Expr::AnonymousFunction { fmt_str, .. } => return refuse(format!("tollgate's function `{fmt_str}`")),
            other => return refuse(format!("the expression `{other}`")),
        })
    }

    fn function(&mut self, input: &[Expr], function: &FunctionExpr) -> Translated {
        let first = input.first().ok_or_else(|| Untranslatable(format!("`{function}` without input")))?;
        Ok(match function {
            FunctionExpr::Boolean(b) => match b {
                BooleanFunction::IsNull => format!("({} IS NULL)", self.expr(first)?),
                BooleanFunction::IsNotNull => format!("({} IS NOT NULL)", self.expr(first)?),
                BooleanFunction::Not => format!("(NOT {})", self.expr(first)?),
                BooleanFunction::IsNan => format!("isnan({})", self.expr(first)?),
                BooleanFunction::IsIn { nulls_equal: false } => {
                    let x = self.expr(first)?;
                    // A set Spark holds (a `references` dataset's non-null keys): an equi-join
                    // (a subquery `IN` in an aggregate plans as a nested-loop join).
                    if let Some(Expr::Column(set)) = input.get(1) {
                        if set.starts_with(crate::engine::ENGINE_KEY_SET) {
                            let flag = format!("{}_in{}", self.prefix, self.joined.len());
                            self.joined.push((flag.clone(), x, set.to_string()));
                            return Ok(ident(&flag));
                        }
                    }
                    let items = list_items(input.get(1))?;
                    if items.is_empty() {
                        format!("(CASE WHEN {x} IS NULL THEN NULL ELSE FALSE END)")
                    } else {
                        format!("({x} IN ({}))", items.join(", "))
                    }
                }
                // Polars counts nulls as one value that may repeat; so does PARTITION BY.
                BooleanFunction::IsDuplicated => {
                    let x = self.expr(first)?;
                    let by = self.scoped(x);
                    let count = self.lift(format!("count(*) OVER (PARTITION BY {by})"));
                    format!("({count} > 1)")
                }
                other => return refuse(format!("the function `{other}`")),
            },
            // Compared and grouped field by field in both engines, nulls alike.
            FunctionExpr::AsStruct => {
                let mut fields = Vec::new();
                for part in input {
                    let name = part
                        .to_field(self.schema)
                        .map_err(|err| Untranslatable(format!("the name of `{part}`: {err}")))?;
                    fields.push(format!("{}, {}", string_literal(name.name()), self.expr(part)?));
                }
                format!("named_struct({})", fields.join(", "))
            }
            FunctionExpr::NullCount => format!("count_if({} IS NULL)", self.expr(first)?),
            FunctionExpr::FillNull => {
                let with = input.get(1).ok_or_else(|| Untranslatable("fill_null without a value".into()))?;
                format!("coalesce({}, {})", self.expr(first)?, self.expr(with)?)
            }
            FunctionExpr::StringExpr(s) => match s {
                StringFunction::Contains { literal: is_literal, .. } => {
                    let pattern = input
                        .get(1)
                        .and_then(literal_text)
                        .ok_or_else(|| Untranslatable("a pattern that is not a literal".into()))?;
                    let x = self.expr(first)?;
                    if *is_literal {
                        format!("(instr({x}, {}) > 0)", string_literal(&pattern))
                    } else {
                        let java = super::regex::to_java(&pattern).map_err(Untranslatable)?;
                        format!("({x} RLIKE {})", string_literal(&java))
                    }
                }
                StringFunction::LenChars => format!("char_length({})", self.expr(first)?),
                StringFunction::Lowercase => format!("lower({})", self.expr(first)?),
                other => return refuse(format!("the string function `{other}`")),
            },
            FunctionExpr::TemporalExpr(TemporalFunction::TimeStamp(unit)) => {
                // Dates and naive datetimes read as UTC: the session's time zone is UTC.
                let micros = format!("unix_micros(CAST({} AS TIMESTAMP))", self.expr(first)?);
                match unit {
                    TimeUnit::Microseconds => micros,
                    TimeUnit::Milliseconds => format!("floor({micros} / 1000)"),
                    TimeUnit::Nanoseconds => format!("({micros} * 1000)"),
                }
            }
            other => return refuse(format!("the function `{other}`")),
        })
    }

    fn aggregate(&mut self, agg: &AggExpr) -> Translated {
        // An aggregate over `x.filter(keep)` aggregates `IF(keep, x, NULL)`, minding nulls.
        let aggregated = match agg {
            AggExpr::Min { input, .. }
            | AggExpr::Max { input, .. }
            | AggExpr::NUnique(input)
            | AggExpr::Mean(input)
            | AggExpr::Count { input, .. }
            | AggExpr::Sum(input) => input.as_ref(),
            other => return refuse(format!("the aggregate `{}`", Expr::Agg(other.clone()))),
        };
        let (input, keep) = match aggregated {
            Expr::Filter { input, by } => (input.as_ref().clone(), Some(by.as_ref().clone())),
            other => (other.clone(), None),
        };
        let keep_sql = match &keep {
            Some(k) => Some(self.expr(k)?),
            None => None,
        };
        let kept = |x: String| match &keep_sql {
            Some(k) => format!("(CASE WHEN {k} THEN {x} END)"),
            None => x,
        };
        let only_kept = |condition: String| match &keep_sql {
            Some(k) => format!("({k} AND {condition})"),
            None => condition,
        };
        Ok(match agg {
            AggExpr::Sum(_) => {
                let x = self.expr(&input)?;
                if self.dtype(&input)? == DataType::Boolean {
                    format!("count_if({})", only_kept(x))
                } else {
                    format!("coalesce(sum({}), 0)", kept(x))
                }
            }
            AggExpr::Count { include_nulls: true, .. } => match &keep_sql {
                Some(k) => format!("count_if({k})"),
                None => "count(*)".into(),
            },
            AggExpr::Count { include_nulls: false, .. } => format!("count({})", kept(self.expr(&input)?)),
            AggExpr::Min { .. } => format!("min({})", kept(self.expr(&input)?)),
            AggExpr::Max { propagate_nans, .. } => {
                let x = kept(self.expr(&input)?);
                if !propagate_nans && self.dtype(&input)?.is_float() {
                    format!("coalesce(max(CASE WHEN isnan({x}) THEN NULL ELSE {x} END), max({x}))")
                } else {
                    format!("max({x})")
                }
            }
            AggExpr::Mean(_) => {
                let x = self.expr(&input)?;
                let x = if self.dtype(&input)? == DataType::Boolean { format!("CAST({x} AS INT)") } else { x };
                format!("avg({})", kept(x))
            }
            AggExpr::NUnique(_) => match &input {
                Expr::Function { input: inner, function: FunctionExpr::DropNulls } if inner.len() == 1 => {
                    format!("count(DISTINCT {})", kept(self.expr(&inner[0])?))
                }
                _ => {
                    let x = self.expr(&input)?;
                    let nulls = format!("count_if({})", only_kept(format!("{x} IS NULL")));
                    format!("(count(DISTINCT {}) + CASE WHEN {nulls} > 0 THEN 1 ELSE 0 END)", kept(x))
                }
            },
            other => return refuse(format!("the aggregate `{}`", Expr::Agg(other.clone()))),
        })
    }
}

/// The Spark type of a Polars one, where the values carry over exactly.
pub fn spark_type(dtype: &DataType) -> Translated {
    Ok(match dtype {
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 | DataType::UInt8 => "SMALLINT".into(),
        DataType::Int32 | DataType::UInt16 => "INT".into(),
        DataType::Int64 | DataType::UInt32 => "BIGINT".into(),
        DataType::UInt64 => "DECIMAL(20, 0)".into(),
        DataType::Float32 => "FLOAT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::String => "STRING".into(),
        DataType::Date => "DATE".into(),
        DataType::Datetime(_, None) => "TIMESTAMP_NTZ".into(),
        DataType::Datetime(_, Some(_)) => "TIMESTAMP".into(),
        DataType::Decimal(precision, scale) => format!("DECIMAL({precision}, {scale})"),
        other => return refuse(format!("the type {other}")),
    })
}

fn literal_text(e: &Expr) -> Option<String> {
    match e {
        Expr::Literal(value) => value.extract_str().map(str::to_string),
        _ => None,
    }
}

/// The most values a list literal (`accepted_values`, the keys of a `references` dataset) may
/// have in a query.
pub const MAX_LIST_ITEMS: usize = 100_000;

/// The items of a list literal (the right side of `is_in`).
fn list_items(e: Option<&Expr>) -> Result<Vec<String>, Untranslatable> {
    let Some(Expr::Literal(value)) = e else { return refuse("`is_in` of something other than a list literal") };
    let series = match value {
        LiteralValue::Series(s) => (**s).clone(),
        LiteralValue::Scalar(s) => match s.value() {
            AnyValue::List(items) => items.clone(),
            _ => return refuse("`is_in` of a single value"),
        },
        other => return refuse(format!("`is_in` of {other:?}")),
    };
    if series.null_count() > 0 {
        return refuse("`is_in` of a list holding null");
    }
    // The list is written into the query's text; past this, a query would be megabytes long.
    if series.len() > MAX_LIST_ITEMS {
        return refuse(format!(
            "`is_in` of {} values (a query holds at most {MAX_LIST_ITEMS}; `references` to a larger dataset)",
            series.len()
        ));
    }
    series.iter().map(|v| any_value(&v)).collect()
}

fn literal(value: &LiteralValue) -> Translated {
    match value {
        LiteralValue::Series(_) | LiteralValue::Range(_) => refuse("a list literal outside `is_in`"),
        other => match other.to_any_value() {
            Some(v) => any_value(&v),
            None => refuse(format!("the literal {other:?}")),
        },
    }
}

/// One value as a Spark literal of the same type.
pub fn any_value(v: &AnyValue) -> Translated {
    Ok(match v {
        AnyValue::Null => "NULL".into(),
        AnyValue::Boolean(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        AnyValue::Int8(n) => format!("CAST({n} AS TINYINT)"),
        AnyValue::Int16(n) => format!("CAST({n} AS SMALLINT)"),
        AnyValue::Int32(n) => format!("{n}"),
        AnyValue::Int64(n) => format!("{n}L"),
        AnyValue::UInt8(n) => format!("CAST({n} AS SMALLINT)"),
        AnyValue::UInt16(n) => format!("{n}"),
        AnyValue::UInt32(n) => format!("{n}L"),
        AnyValue::UInt64(n) => format!("{n}BD"),
        AnyValue::Float32(f) => float(*f as f64, "FLOAT"),
        AnyValue::Float64(f) => float(*f, "DOUBLE"),
        AnyValue::String(s) => string_literal(s),
        AnyValue::StringOwned(s) => string_literal(s),
        AnyValue::Date(days) => {
            let date = chrono::NaiveDate::from_num_days_from_ce_opt(*days + 719_163)
                .ok_or_else(|| Untranslatable(format!("the date {days}")))?;
            format!("DATE '{date}'")
        }
        AnyValue::Datetime(n, unit, tz) => datetime(*n, *unit, tz.is_some()),
        AnyValue::DatetimeOwned(n, unit, tz) => datetime(*n, *unit, tz.is_some()),
        AnyValue::Decimal(n, precision, scale) => {
            let text = AnyValue::Decimal(*n, *precision, *scale).to_string();
            format!("CAST('{text}' AS DECIMAL({precision}, {scale}))")
        }
        other => return refuse(format!("the literal {other}")),
    })
}

fn float(f: f64, spark: &str) -> String {
    if f.is_nan() {
        format!("CAST('NaN' AS {spark})")
    } else if f.is_infinite() {
        format!("CAST('{}Infinity' AS {spark})", if f < 0.0 { "-" } else { "" })
    } else {
        format!("CAST({f:?}D AS {spark})")
    }
}

fn datetime(n: i64, unit: TimeUnit, zoned: bool) -> String {
    let micros = match unit {
        TimeUnit::Nanoseconds => n.div_euclid(1000),
        TimeUnit::Microseconds => n,
        TimeUnit::Milliseconds => n.saturating_mul(1000),
    };
    // The session's time zone is UTC, so a naive value is that instant's UTC wall clock.
    if zoned {
        format!("timestamp_micros({micros}L)")
    } else {
        format!("CAST(timestamp_micros({micros}L) AS TIMESTAMP_NTZ)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::from_iter([
            Field::new("x".into(), DataType::Float64),
            Field::new("s".into(), DataType::String),
            Field::new("b".into(), DataType::Boolean),
        ])
    }

    #[test]
    fn writes_polars_meaning_in_sql() {
        let schema = schema();
        let mut w = Writer::new(&schema);
        assert_eq!(w.expr(&col("b").sum()).unwrap(), "count_if(`b`)");
        assert_eq!(
            w.expr(&col("x").max()).unwrap(),
            "coalesce(max(CASE WHEN isnan(`x`) THEN NULL ELSE `x` END), max(`x`))"
        );
        assert_eq!(
            w.expr(&col("s").n_unique()).unwrap(),
            "(count(DISTINCT `s`) + CASE WHEN count_if(`s` IS NULL) > 0 THEN 1 ELSE 0 END)"
        );
        assert_eq!(w.expr(&col("s").drop_nulls().n_unique()).unwrap(), "count(DISTINCT `s`)");
        assert_eq!(w.expr(&col("s").is_duplicated()).unwrap(), "(`__window0` > 1)");
        assert_eq!(w.lifted(), ["count(*) OVER (PARTITION BY `s`) AS `__window0`"]);
        assert_eq!(w.expr(&lit("it's \\d")).unwrap(), r"'it\'s \\d'");
    }

    #[test]
    fn names_what_it_cannot_translate() {
        let schema = schema();
        let mut w = Writer::new(&schema);
        let err = w.expr(&col("s").str().to_uppercase()).unwrap_err();
        assert!(err.0.contains("to_uppercase"), "{err:?}");
        let keys = Series::new("k".into(), (0..MAX_LIST_ITEMS as i64 + 1).collect::<Vec<_>>());
        let err = w.expr(&col("x").is_in(lit(Scalar::new_list(keys)), false)).unwrap_err();
        assert!(err.0.contains("100001 values"), "{err:?}");
        let keys = Series::new("k".into(), [1i64, 2]);
        assert_eq!(w.expr(&col("x").is_in(lit(Scalar::new_list(keys)), false)).unwrap(), "(`x` IN (1L, 2L))");
    }
}
