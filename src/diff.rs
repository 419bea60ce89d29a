//! `tollgate diff OLD NEW` (SPEC §6): every change between two contracts, classified as
//! compatible or breaking in the schema-registry sense. backward: readers of NEW can read data
//! written under OLD; forward: readers of OLD can read data written under NEW; full: both.

use crate::contract::kinds::RuleName;
use crate::contract::types::DeclaredType;
use crate::contract::{
    CheckKind, ColumnRule, ColumnSpec, Contract, DatasetCheck, Limits, Literal, RuleKind, Scalar, Scope,
};

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

fn limits_change(out: &mut Vec<Change>, column: Option<&str>, rule: &str, old: &Limits, new: &Limits) {
    // A missing limit allows zero failures: the tightest.
    let limit = |x: Option<f64>| Some(number_literal(x.unwrap_or(0.0)));
    let failures = |l: &Limits| limit(l.max_failures.map(|v| v as f64));
    if old.max_failures != new.max_failures {
        bound_change(
            out,
            column,
            &format!("{rule} max_failures"),
            failures(old).as_ref(),
            failures(new).as_ref(),
            false,
        );
    }
    if old.max_failure_rate != new.max_failure_rate {
        let (a, b) = (limit(old.max_failure_rate), limit(new.max_failure_rate));
        bound_change(out, column, &format!("{rule} max_failure_rate"), a.as_ref(), b.as_ref(), false);
    }
}

fn is_required(c: &ColumnSpec) -> bool {
    c.rules.iter().any(|r| matches!(r.kind, RuleKind::Required))
}

fn rule_of(c: &ColumnSpec, rule: RuleName) -> Option<&ColumnRule> {
    c.rules.iter().find(|r| r.kind.registered() == rule)
}

/// A yes/no setting that accepts less when on (an exclusive bound, a whole-value match, a
/// dataset-wide scope).
fn flag_change(out: &mut Vec<Change>, column: Option<&str>, what: &str, old: bool, new: bool) {
    if old != new {
        let (kind, effect) = if new { ("rule_tightened", Effect::Tighter) } else { ("rule_loosened", Effect::Looser) };
        out.push(change(kind, column, format!("{what}: {old} → {new}"), effect));
    }
}

/// No scope is the dataset's (SPEC §1).
fn dataset_wide(scope: &Option<Scope>) -> bool {
    !matches!(scope, Some(Scope::Partition))
}

/// The changes inside one rule kind that both contracts declare on a column.
fn rule_change(out: &mut Vec<Change>, col: &str, a: &ColumnRule, b: &ColumnRule) {
    let column = Some(col);
    match (&a.kind, &b.kind) {
        // Types are compared as the column's type.
        (RuleKind::Type(_), RuleKind::Type(_)) | (RuleKind::NestedType(_), RuleKind::NestedType(_)) => {}
        (RuleKind::Required, RuleKind::Required) => {}
        (RuleKind::Unique { scope: x }, RuleKind::Unique { scope: y }) => {
            flag_change(out, column, "unique across partitions", dataset_wide(x), dataset_wide(y));
        }
        (RuleKind::NullRate { max: x }, RuleKind::NullRate { max: y }) => {
            let (x, y) = (Some(number_literal(*x)), Some(number_literal(*y)));
            bound_change(out, column, "null_rate", x.as_ref(), y.as_ref(), false);
        }
        (
            RuleKind::Range { min: a0, max: a1, exclusive_min: a_open_min, exclusive_max: a_open_max },
            RuleKind::Range { min: b0, max: b1, exclusive_min: b_open_min, exclusive_max: b_open_max },
        ) => {
            bounds_change(out, column, "range", [a0.clone(), a1.clone()], [b0.clone(), b1.clone()]);
            flag_change(out, column, "range exclusive_min", *a_open_min, *b_open_min);
            flag_change(out, column, "range exclusive_max", *a_open_max, *b_open_max);
        }
        (RuleKind::Length { min: a0, max: a1 }, RuleKind::Length { min: b0, max: b1 }) => {
            let (old, new) = ([count_literal(*a0), count_literal(*a1)], [count_literal(*b0), count_literal(*b1)]);
            bounds_change(out, column, "length", old, new);
        }
        (RuleKind::AcceptedValues(x), RuleKind::AcceptedValues(y)) => {
            let raw = |v: &[Literal]| v.iter().map(|l| l.raw.clone()).collect::<Vec<_>>();
            let (x, y) = (raw(x), raw(y));
            let removed: Vec<&str> = x.iter().filter(|v| !y.contains(v)).map(String::as_str).collect();
            let added: Vec<&str> = y.iter().filter(|v| !x.contains(v)).map(String::as_str).collect();
            if !removed.is_empty() {
                out.push(change("accepted_values_removed", column, removed.join(", "), Effect::Tighter));
            }
            if !added.is_empty() {
                out.push(change("accepted_values_added", column, added.join(", "), Effect::Looser));
            }
        }
        (RuleKind::Pattern { regex: x, full: x_full }, RuleKind::Pattern { regex: y, full: y_full }) => {
            if x != y {
                out.push(change("rule_changed", column, format!("pattern: {x} → {y}"), Effect::Different));
            } else {
                // The same regex matching the whole value accepts a subset of matching anywhere.
                flag_change(out, column, "pattern matches the whole value", *x_full, *y_full);
            }
        }
        // Rules are paired by kind, so two kinds never meet here.
        (
            RuleKind::Type(_)
            | RuleKind::NestedType(_)
            | RuleKind::Required
            | RuleKind::Unique { .. }
            | RuleKind::NullRate { .. }
            | RuleKind::Range { .. }
            | RuleKind::AcceptedValues(_)
            | RuleKind::Pattern { .. }
            | RuleKind::Length { .. },
            _,
        ) => {}
    }
    limits_change(out, column, a.kind.name(), &a.limits, &b.limits);
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
    for &rule in RuleName::ALL {
        let name = rule.word();
        let kind = if rule == RuleName::Required { "nullability_changed" } else { "rule_tightened" };
        match (rule_of(old, rule), rule_of(new, rule)) {
            (None, None) => {}
            // A type added or removed is compared as the column's type above.
            (None, Some(_)) | (Some(_), None) if rule == RuleName::Type => {}
            (None, Some(_)) => out.push(change(kind, Some(col), format!("`{name}` added"), Effect::Tighter)),
            (Some(_), None) => {
                let kind = if rule == RuleName::Required { "nullability_changed" } else { "rule_loosened" };
                out.push(change(kind, Some(col), format!("`{name}` removed"), Effect::Looser))
            }
            (Some(a), Some(b)) => rule_change(out, col, a, b),
        }
    }
}

/// The changes inside one check both contracts declare (paired by id).
fn check_change(out: &mut Vec<Change>, o: &DatasetCheck, n: &DatasetCheck) {
    let id = o.id();
    let differs = || format!("{:?}", o.kind) != format!("{:?}", n.kind);
    match (&o.kind, &n.kind) {
        (CheckKind::RowCount { min: a0, max: a1 }, CheckKind::RowCount { min: b0, max: b1 }) => {
            let (old, new) = ([count_literal(*a0), count_literal(*a1)], [count_literal(*b0), count_literal(*b1)]);
            bounds_change(out, None, &id, old, new);
        }
        (
            CheckKind::Freshness { column: c0, max_age_seconds: a, max_age_text: a_text },
            CheckKind::Freshness { column: c1, max_age_seconds: b, max_age_text: b_text },
        ) => {
            if c0 != c1 {
                out.push(change("rule_changed", None, format!("check `{id}` column: {c0} → {c1}"), Effect::Different));
            } else if a != b {
                let age = |seconds: f64, text: &str| Literal { raw: text.to_string(), ..number_literal(seconds) };
                let (a, b) = (Some(age(*a, a_text)), Some(age(*b, b_text)));
                bound_change(out, None, &format!("{id} max_age"), a.as_ref(), b.as_ref(), false);
            }
        }
        (CheckKind::Unique { columns: c0, scope: s0 }, CheckKind::Unique { columns: c1, scope: s1 }) => {
            if c0 != c1 {
                out.push(change("rule_changed", None, format!("check `{id}` columns changed"), Effect::Different));
            } else {
                flag_change(out, None, &format!("{id} across partitions"), dataset_wide(s0), dataset_wide(s1));
            }
        }
        (
            CheckKind::MissingPartitions { interval_days: i0, lookback: l0 },
            CheckKind::MissingPartitions { interval_days: i1, lookback: l1 },
        ) => {
            if i0 != i1 {
                out.push(change("rule_changed", None, format!("check `{id}` interval changed"), Effect::Different));
            } else if l0 != l1 {
                // Looking further back requires more partitions to be present.
                let (kind, effect) =
                    if l1 > l0 { ("rule_tightened", Effect::Tighter) } else { ("rule_loosened", Effect::Looser) };
                out.push(change(kind, None, format!("{id} lookback: {l0} → {l1}"), effect));
            }
        }
        // Other changes (and a kind changed under the same id) are not ordered: both ways break.
        (
            CheckKind::RowCount { .. }
            | CheckKind::Freshness { .. }
            | CheckKind::RowCountAnomaly { .. }
            | CheckKind::Unique { .. }
            | CheckKind::References { .. }
            | CheckKind::MissingPartitions { .. }
            | CheckKind::Anomaly { .. }
            | CheckKind::Metric { .. }
            | CheckKind::Unsupported { .. }
            | CheckKind::Sql { .. }
            | CheckKind::WhereNot { .. }
            | CheckKind::Reconcile { .. },
            _,
        ) => {
            if differs() {
                out.push(change("rule_changed", None, format!("check `{id}` changed"), Effect::Different));
            }
        }
    }
    limits_change(out, None, &id, &o.limits, &n.limits);
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
            Some(n) => check_change(&mut out, o, n),
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

#[cfg(test)]
mod registry_tests {
    use super::*;
    use crate::contract::kinds::tests::contract_with;
    use crate::contract::kinds::{ChangeEffect, CheckName, Registration, RuleName};
    use crate::contract::parse_contract;

    fn parsed(text: &str) -> Contract {
        parse_contract(text, "t.yaml".as_ref()).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    /// `diff` classes each kind's registered change as registered: unchanged → nothing; the change
    /// → breaking as its effect says; the change undone → the other way for a tightening.
    fn agrees(what: &str, r: &Registration, contract: impl Fn(&str) -> String) {
        let (example, changed) = (parsed(&contract(r.example)), parsed(&contract(r.changed)));
        assert_eq!(diff(&example, &example), [], "{what}: no change");
        let forward = diff(&example, &changed);
        let back = diff(&changed, &example);
        assert!(!forward.is_empty(), "{what}: `{}` → `{}` found no change", r.example, r.changed);
        let breaks =
            |changes: &[Change]| (changes.iter().any(|c| c.breaks_backward), changes.iter().any(|c| c.breaks_forward));
        match r.effect {
            ChangeEffect::Tighter => {
                assert_eq!(breaks(&forward), (true, false), "{what}: {forward:?}");
                assert_eq!(breaks(&back), (false, true), "{what}: {back:?}");
            }
            ChangeEffect::Different => {
                assert_eq!(breaks(&forward), (true, true), "{what}: {forward:?}");
                assert_eq!(breaks(&back), (true, true), "{what}: {back:?}");
            }
        }
    }

    #[test]
    fn diff_classes_every_registered_kind() {
        for rule in RuleName::ALL {
            agrees(rule.word(), rule.registration(), |yaml| contract_with(Some(yaml), None));
        }
        for check in CheckName::ALL {
            agrees(check.word(), check.registration(), |yaml| contract_with(None, Some(yaml)));
        }
    }
}
