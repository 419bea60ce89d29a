//! `tollgate diff OLD NEW` (SPEC §6): every change between two contracts, classified as
//! compatible or breaking in the schema-registry sense. backward: readers of NEW can read data
//! written under OLD; forward: readers of OLD can read data written under NEW; full: both.

use crate::contract::types::DeclaredType;
use crate::contract::{CheckKind, ColumnSpec, Contract, Limits, Literal, RuleKind, Scalar};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Backward,
    Forward,
    Full,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// A stable name of the change class, e.g. `column_added_required`, `rule_tightened`.
    pub kind: &'static str,
    pub column: Option<String>,
    pub detail: String,
    pub breaks_backward: bool,
    pub breaks_forward: bool,
}

impl Change {
    pub fn breaks(&self, mode: Mode) -> bool {
        match mode {
            Mode::Backward => self.breaks_backward,
            Mode::Forward => self.breaks_forward,
            Mode::Full => self.breaks_backward || self.breaks_forward,
        }
    }
}

/// How a change moves the set of data a contract accepts.
#[derive(Clone, Copy)]
enum Effect {
    /// Accepts less: old data may fail the new contract.
    Tighter,
    /// Accepts more: new data may fail readers holding the old contract.
    Looser,
    /// Neither contains the other.
    Different,
    /// Describes, never constrains.
    Neutral,
}

fn change(kind: &'static str, column: Option<&str>, detail: String, effect: Effect) -> Change {
    let (breaks_backward, breaks_forward) = match effect {
        Effect::Tighter => (true, false),
        Effect::Looser => (false, true),
        Effect::Different => (true, true),
        Effect::Neutral => (false, false),
    };
    Change { kind, column: column.map(str::to_string), detail, breaks_backward, breaks_forward }
}

/// Width order inside a line of types: a later type holds every value of an earlier one.
fn widens(from: DeclaredType, to: DeclaredType) -> bool {
    use DeclaredType as T;
    const SIGNED: [T; 6] = [T::Int8, T::Int16, T::Int32, T::Int64, T::Integer, T::Number];
    const UNSIGNED: [T; 6] = [T::UInt8, T::UInt16, T::UInt32, T::UInt64, T::Integer, T::Number];
    const FLOATS: [T; 4] = [T::Float32, T::Float64, T::Float, T::Number];
    let before = |line: &[T]| match (line.iter().position(|t| *t == from), line.iter().position(|t| *t == to)) {
        (Some(a), Some(b)) => a < b,
        _ => false,
    };
    let unsigned_into_signed = matches!(
        (from, to),
        (T::UInt8, T::Int16 | T::Int32 | T::Int64) | (T::UInt16, T::Int32 | T::Int64) | (T::UInt32, T::Int64)
    );
    // Integers up to 32 bits fit a float64 exactly (up to 16 bits a float32).
    let int_into_float = matches!(
        (from, to),
        (T::Int8 | T::Int16 | T::UInt8 | T::UInt16, T::Float32 | T::Float64 | T::Float)
            | (T::Int32 | T::UInt32, T::Float64 | T::Float)
    );
    let into_number = to == T::Number
        && from != T::Number
        && !matches!(from, T::Bool | T::String | T::Binary | T::Date | T::Time | T::Timestamp);
    before(&SIGNED) || before(&UNSIGNED) || before(&FLOATS) || unsigned_into_signed || int_into_float || into_number
}

fn number(l: &Literal) -> Option<f64> {
    match &l.value {
        Scalar::Int(i) => Some(*i as f64),
        Scalar::Float(f) => Some(*f),
        _ => None,
    }
}

/// `Less`: `a` admits fewer values as a lower bound (it is higher).
fn compare_bound(a: &Literal, b: &Literal) -> Option<std::cmp::Ordering> {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y),
        _ => Some(a.raw.cmp(&b.raw)),
    }
}

/// A lower (`is_min`) or upper bound that moved, appeared or went away.
fn bound_change(
    out: &mut Vec<Change>,
    column: Option<&str>,
    what: &str,
    old: Option<&Literal>,
    new: Option<&Literal>,
    is_min: bool,
) {
    let effect = match (old, new) {
        (None, None) => return,
        (None, Some(_)) => Effect::Tighter,
        (Some(_), None) => Effect::Looser,
        (Some(a), Some(b)) => match compare_bound(a, b) {
            Some(std::cmp::Ordering::Equal) | None => return,
            Some(std::cmp::Ordering::Less) => {
                if is_min {
                    Effect::Tighter
                } else {
                    Effect::Looser
                }
            }
            Some(std::cmp::Ordering::Greater) => {
                if is_min {
                    Effect::Looser
                } else {
                    Effect::Tighter
                }
            }
        },
    };
    let show = |l: Option<&Literal>| l.map(|l| l.raw.clone()).unwrap_or_else(|| "none".into());
    let detail = format!("{what} {}: {} → {}", if is_min { "min" } else { "max" }, show(old), show(new));
    out.push(change(
        if matches!(effect, Effect::Tighter) { "rule_tightened" } else { "rule_loosened" },
        column,
        detail,
        effect,
    ));
}

/// Both bounds of a range-like rule or check, `[min, max]`.
fn bounds_change(
    out: &mut Vec<Change>,
    column: Option<&str>,
    what: &str,
    old: [Option<Literal>; 2],
    new: [Option<Literal>; 2],
) {
    let ([old_min, old_max], [new_min, new_max]) = (old, new);
    bound_change(out, column, what, old_min.as_ref(), new_min.as_ref(), true);
    bound_change(out, column, what, old_max.as_ref(), new_max.as_ref(), false);
}

fn number_literal(v: f64) -> Literal {
    Literal { value: Scalar::Float(v), raw: v.to_string(), pos: Default::default() }
}

fn count_literal(n: Option<u64>) -> Option<Literal> {
    n.map(|n| Literal { value: Scalar::Int(n as i64), raw: n.to_string(), pos: Default::default() })
}

fn limits_change(out: &mut Vec<Change>, column: &str, rule: &str, old: &Limits, new: &Limits) {
    // A missing limit allows zero failures: the tightest.
    let limit = |x: Option<f64>| Some(number_literal(x.unwrap_or(0.0)));
    let failures = |l: &Limits| limit(l.max_failures.map(|v| v as f64));
    if old.max_failures != new.max_failures {
        bound_change(
            out,
            Some(column),
            &format!("{rule} max_failures"),
            failures(old).as_ref(),
            failures(new).as_ref(),
            false,
        );
    }
    if old.max_failure_rate != new.max_failure_rate {
        let (a, b) = (limit(old.max_failure_rate), limit(new.max_failure_rate));
        bound_change(out, Some(column), &format!("{rule} max_failure_rate"), a.as_ref(), b.as_ref(), false);
    }
}

fn is_required(c: &ColumnSpec) -> bool {
    c.rules.iter().any(|r| matches!(r.kind, RuleKind::Required))
}

fn rule_of<'a>(c: &'a ColumnSpec, name: &str) -> Option<&'a crate::contract::ColumnRule> {
    c.rules.iter().find(|r| r.kind.name() == name)
}

fn compare_columns(out: &mut Vec<Change>, old: &ColumnSpec, new: &ColumnSpec) {
    let col = old.name.as_str();
    match (old.declared_type, new.declared_type) {
        (Some(a), Some(b)) if a != b => {
            let (kind, effect) = if widens(a, b) {
                ("type_widened", Effect::Looser)
            } else if widens(b, a) {
                ("type_narrowed", Effect::Tighter)
            } else {
                ("type_changed", Effect::Different)
            };
            out.push(change(kind, Some(col), format!("{} → {}", a.name(), b.name()), effect));
        }
        (None, Some(b)) => out.push(change("type_narrowed", Some(col), format!("any → {}", b.name()), Effect::Tighter)),
        (Some(a), None) => out.push(change("type_widened", Some(col), format!("{} → any", a.name()), Effect::Looser)),
        _ => {}
    }
    let nested = |c: &ColumnSpec| {
        c.rules.iter().find_map(|r| match &r.kind {
            RuleKind::NestedType(t) => Some(t.name()),
            _ => None,
        })
    };
    match (nested(old), nested(new)) {
        (Some(a), Some(b)) if a != b => {
            out.push(change("type_changed", Some(col), format!("{a} → {b}"), Effect::Different))
        }
        (None, Some(b)) => out.push(change("type_narrowed", Some(col), format!("any → {b}"), Effect::Tighter)),
        (Some(a), None) => out.push(change("type_widened", Some(col), format!("{a} → any"), Effect::Looser)),
        _ => {}
    }
    for name in ["required", "unique", "null_rate", "range", "accepted_values", "pattern", "length"] {
        let (a, b) = (rule_of(old, name), rule_of(new, name));
        let kind = if name == "required" { "nullability_changed" } else { "rule_tightened" };
        match (a, b) {
            (None, None) => {}
            (None, Some(_)) => out.push(change(kind, Some(col), format!("`{name}` added"), Effect::Tighter)),
            (Some(_), None) => {
                let kind = if name == "required" { "nullability_changed" } else { "rule_loosened" };
                out.push(change(kind, Some(col), format!("`{name}` removed"), Effect::Looser))
            }
            (Some(a), Some(b)) => {
                match (&a.kind, &b.kind) {
                    (RuleKind::NullRate { max: x }, RuleKind::NullRate { max: y }) => {
                        let (x, y) = (Some(number_literal(*x)), Some(number_literal(*y)));
                        bound_change(out, Some(col), "null_rate", x.as_ref(), y.as_ref(), false);
                    }
                    (RuleKind::Range { min: a0, max: a1, .. }, RuleKind::Range { min: b0, max: b1, .. }) => {
                        bounds_change(out, Some(col), "range", [a0.clone(), a1.clone()], [b0.clone(), b1.clone()]);
                    }
                    (RuleKind::Length { min: a0, max: a1 }, RuleKind::Length { min: b0, max: b1 }) => {
                        let (old, new) =
                            ([count_literal(*a0), count_literal(*a1)], [count_literal(*b0), count_literal(*b1)]);
                        bounds_change(out, Some(col), "length", old, new);
                    }
                    (RuleKind::AcceptedValues(x), RuleKind::AcceptedValues(y)) => {
                        let raw = |v: &[Literal]| v.iter().map(|l| l.raw.clone()).collect::<Vec<_>>();
                        let (x, y) = (raw(x), raw(y));
                        let removed: Vec<&String> = x.iter().filter(|v| !y.contains(v)).collect();
                        let added: Vec<&String> = y.iter().filter(|v| !x.contains(v)).collect();
                        if !removed.is_empty() {
                            let list = removed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
                            out.push(change("accepted_values_removed", Some(col), list, Effect::Tighter));
                        }
                        if !added.is_empty() {
                            let list = added.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
                            out.push(change("accepted_values_added", Some(col), list, Effect::Looser));
                        }
                    }
                    (RuleKind::Pattern { regex: x, .. }, RuleKind::Pattern { regex: y, .. }) if x != y => {
                        out.push(change("rule_changed", Some(col), format!("pattern: {x} → {y}"), Effect::Different));
                    }
                    _ => {}
                }
                limits_change(out, col, name, &a.limits, &b.limits);
            }
        }
    }
}

pub fn diff(old: &Contract, new: &Contract) -> Vec<Change> {
    let mut out = Vec::new();
    let (old_cols, new_cols) = (old.columns(), new.columns());
    let mut removed: Vec<(usize, &ColumnSpec)> =
        old_cols.iter().enumerate().filter(|(_, c)| !new_cols.iter().any(|n| n.name == c.name)).collect();
    let mut added: Vec<(usize, &ColumnSpec)> =
        new_cols.iter().enumerate().filter(|(_, c)| !old_cols.iter().any(|o| o.name == c.name)).collect();
    // A removed and an added column of the same type at the same position look like a rename.
    removed.retain(|(i, r)| match added.iter().position(|(j, a)| i == j && a.declared_type == r.declared_type) {
        Some(k) => {
            let (_, a) = added.remove(k);
            out.push(change("column_renamed", Some(&r.name), format!("{} → {}", r.name, a.name), Effect::Different));
            false
        }
        None => true,
    });
    for (_, c) in removed {
        if is_required(c) {
            out.push(change(
                "column_removed_required",
                Some(&c.name),
                "required column removed".into(),
                Effect::Looser,
            ));
        } else {
            out.push(change(
                "column_removed_optional",
                Some(&c.name),
                "optional column removed".into(),
                Effect::Neutral,
            ));
        }
    }
    for (_, c) in added {
        if is_required(c) {
            out.push(change("column_added_required", Some(&c.name), "required column added".into(), Effect::Tighter));
        } else {
            out.push(change("column_added_optional", Some(&c.name), "optional column added".into(), Effect::Neutral));
        }
    }
    for o in old_cols {
        if let Some(n) = new_cols.iter().find(|n| n.name == o.name) {
            compare_columns(&mut out, o, n);
        }
    }
    let (old_strict, new_strict) =
        (old.schema.as_ref().is_some_and(|s| s.strict), new.schema.as_ref().is_some_and(|s| s.strict));
    if old_strict != new_strict {
        let effect = if new_strict { Effect::Tighter } else { Effect::Looser };
        let kind = if new_strict { "rule_tightened" } else { "rule_loosened" };
        out.push(change(kind, None, format!("schema strict: {old_strict} → {new_strict}"), effect));
    }
    for o in &old.checks {
        match new.checks.iter().find(|n| n.id() == o.id()) {
            None => out.push(change("rule_loosened", None, format!("check `{}` removed", o.id()), Effect::Looser)),
            Some(n) => match (&o.kind, &n.kind) {
                (CheckKind::RowCount { min: a0, max: a1 }, CheckKind::RowCount { min: b0, max: b1 }) => {
                    let (old, new) =
                        ([count_literal(*a0), count_literal(*a1)], [count_literal(*b0), count_literal(*b1)]);
                    bounds_change(&mut out, None, &o.id(), old, new);
                }
                (a, b) if format!("{a:?}") != format!("{b:?}") => {
                    out.push(change("rule_changed", None, format!("check `{}` changed", o.id()), Effect::Different))
                }
                _ => {}
            },
        }
    }
    for n in &new.checks {
        if !old.checks.iter().any(|o| o.id() == n.id()) {
            out.push(change("rule_tightened", None, format!("check `{}` added", n.id()), Effect::Tighter));
        }
    }
    for (what, a, b) in [
        ("description", &old.description, &new.description),
        ("owner", &old.owner, &new.owner),
        ("version", &old.version, &new.version),
    ] {
        if a != b {
            out.push(change("metadata_changed", None, format!("{what} changed"), Effect::Neutral));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeclaredType as T;

    #[test]
    fn widening_order() {
        assert!(widens(T::Int32, T::Int64));
        assert!(widens(T::Float32, T::Float64));
        assert!(widens(T::UInt8, T::Int16));
        assert!(widens(T::Int64, T::Number));
        assert!(!widens(T::Int64, T::Int32));
        assert!(!widens(T::Int64, T::String));
        assert!(!widens(T::UInt64, T::Int64));
        assert!(!widens(T::Int64, T::Float64), "not every int64 is a float64");
    }
}
