//! The registry of rule and check kinds: each kind is declared here once, with its contract key,
//! the keys of its long form, its line of SPEC §1 and a worked example of a change for `diff`.
//! The parser, `diff` and the SPEC are held to it: the parser dispatches with exhaustive matches
//! over these enums, and `tests` below check the SPEC's tables and `diff` against every entry.
//!
//! Adding a kind: a line here, its parse arm (the build fails until it exists), its model in
//! `RuleKind`/`CheckKind`, its plan in `src/rules/` or `src/checks/` (exhaustive matches again), and
//! its SPEC row (a test fails until it matches the line here).

/// How a contract change in one kind moves the data the contract accepts (see `diff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeEffect {
    /// The changed contract accepts less: a backward-incompatible change.
    Tighter,
    /// Neither accepts a subset of the other: breaks both ways.
    Different,
}

/// One kind's registration.
pub struct Registration {
    /// The contract key.
    pub word: &'static str,
    /// The keys of its long form (`range: {min: 0, max: 9}`), besides the limits and `severity`.
    pub keys: &'static [&'static str],
    /// Its row of SPEC §1's table, exactly.
    pub spec: &'static str,
    /// A declaration of the kind (YAML under a column, or one `checks:` item), ...
    pub example: &'static str,
    /// ... the same changed, ...
    pub changed: &'static str,
    /// ... and how `diff` must class that change.
    pub effect: ChangeEffect,
}

macro_rules! registry {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident => $registration:expr,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant,)*
        }

        impl $name {
            /// Every kind, in SPEC order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn registration(self) -> &'static Registration {
                match self {
                    $($name::$variant => {
                        const R: Registration = $registration;
                        &R
                    })*
                }
            }

            pub fn word(self) -> &'static str {
                self.registration().word
            }

            pub fn from_word(word: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|k| k.word() == word)
            }

            pub fn words() -> Vec<&'static str> {
                Self::ALL.iter().map(|k| k.word()).collect()
            }
        }
    };
}

registry! {
    /// The rules a column declares, each under its own key.
    pub enum RuleName {
        Type => Registration {
            word: "type",
            keys: &["name"],
            spec: "| `type` | the column's type differs (Parquet), or a CSV value does not parse as the type | columns or unparsable values |",
            example: "type: int32",
            changed: "type: int16",
            effect: ChangeEffect::Tighter,
        },
        Required => Registration {
            word: "required",
            keys: &[],
            spec: "| `required: true` | a value is null | null rows |",
            example: "required: {max_failures: 10}",
            changed: "required: {max_failures: 1}",
            effect: ChangeEffect::Tighter,
        },
        Unique => Registration {
            word: "unique",
            keys: &["scope"],
            spec: "| `unique: true` | a non-null value appears more than once | non-null values − distinct non-null values |",
            example: "unique: {scope: partition}",
            changed: "unique: {scope: dataset}",
            effect: ChangeEffect::Tighter,
        },
        NullRate => Registration {
            word: "null_rate",
            keys: &["max"],
            spec: "| `null_rate: {max}` | null rows / rows > max | null rows |",
            example: "null_rate: {max: 0.1}",
            changed: "null_rate: {max: 0.05}",
            effect: ChangeEffect::Tighter,
        },
        Range => Registration {
            word: "range",
            keys: &["min", "max", "exclusive_min", "exclusive_max"],
            spec: "| `range: {min, max}` | value < min or > max (inclusive bounds; either may be left out; dates and timestamps as ISO strings) | rows outside |",
            example: "range: {min: 0, max: 10}",
            changed: "range: {min: 0, max: 10, exclusive_max: true}",
            effect: ChangeEffect::Tighter,
        },
        AcceptedValues => Registration {
            word: "accepted_values",
            keys: &["values"],
            spec: "| `accepted_values: [...]` | value not in the list | rows outside the list |",
            example: "accepted_values: [a, b]",
            changed: "accepted_values: [a]",
            effect: ChangeEffect::Tighter,
        },
        Pattern => Registration {
            word: "pattern",
            keys: &["regex"],
            spec: "| `pattern: REGEX` | value does not fully match | rows not matching |",
            example: "pattern: '^[a-z]+$'",
            changed: "pattern: '^[0-9]+$'",
            effect: ChangeEffect::Different,
        },
        Length => Registration {
            word: "length",
            keys: &["min", "max"],
            spec: "| `length: {min, max}` | string length in characters outside the bounds | rows outside |",
            example: "length: {min: 1, max: 10}",
            changed: "length: {min: 2, max: 10}",
            effect: ChangeEffect::Tighter,
        },
    }
}

impl RuleName {
    /// The key holding the value of the short form (`pattern: REGEX` is `pattern: {regex: REGEX}`).
    pub fn value_key(self) -> Option<&'static str> {
        match self {
            RuleName::Type => Some("name"),
            RuleName::NullRate => Some("max"),
            RuleName::AcceptedValues => Some("values"),
            RuleName::Pattern => Some("regex"),
            RuleName::Required | RuleName::Unique | RuleName::Range | RuleName::Length => None,
        }
    }

    /// Whether the long form takes `max_failures`/`max_failure_rate` (`null_rate` is a limit).
    pub fn takes_limits(self) -> bool {
        match self {
            RuleName::NullRate => false,
            RuleName::Type
            | RuleName::Required
            | RuleName::Unique
            | RuleName::Range
            | RuleName::AcceptedValues
            | RuleName::Pattern
            | RuleName::Length => true,
        }
    }
}

/// The keys of a column that are not rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnAttribute {
    Name,
    Description,
    Severity,
    Sensitive,
    Classification,
    /// Metric anomalies of the column: dataset checks written under it.
    Anomaly,
}

impl ColumnAttribute {
    pub const ALL: &'static [ColumnAttribute] = &[
        ColumnAttribute::Name,
        ColumnAttribute::Description,
        ColumnAttribute::Severity,
        ColumnAttribute::Sensitive,
        ColumnAttribute::Classification,
        ColumnAttribute::Anomaly,
    ];

    pub fn word(self) -> &'static str {
        match self {
            ColumnAttribute::Name => "name",
            ColumnAttribute::Description => "description",
            ColumnAttribute::Severity => "severity",
            ColumnAttribute::Sensitive => "sensitive",
            ColumnAttribute::Classification => "classification",
            ColumnAttribute::Anomaly => "anomaly",
        }
    }

    pub fn from_word(word: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.word() == word)
    }
}

/// What a key of a column declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKey {
    Rule(RuleName),
    Attribute(ColumnAttribute),
}

impl ColumnKey {
    pub fn from_word(word: &str) -> Option<ColumnKey> {
        RuleName::from_word(word)
            .map(ColumnKey::Rule)
            .or_else(|| ColumnAttribute::from_word(word).map(ColumnKey::Attribute))
    }

    /// Every key a column may hold.
    pub fn words() -> Vec<&'static str> {
        let mut words: Vec<&str> = ColumnAttribute::ALL.iter().map(|a| a.word()).collect();
        words.extend(RuleName::words());
        words
    }
}

const ANOMALY_KEYS: &[&str] =
    &["metric", "column", "check", "method", "tolerance", "threshold", "window", "min_history", "direction"];

registry! {
    /// The kinds of `checks:` items.
    pub enum CheckName {
        RowCount => Registration {
            word: "row_count",
            keys: &["min", "max"],
            spec: "| `row_count` | `min`, `max` | rows outside the bounds | rows |",
            example: "row_count: {min: 1}",
            changed: "row_count: {min: 10}",
            effect: ChangeEffect::Tighter,
        },
        Freshness => Registration {
            word: "freshness",
            keys: &["column", "max_age"],
            spec: "| `freshness` | `column`, `max_age` (e.g. `90m`, `36h`, `7d`) | now − max(column) > max_age, or the column is all null | age in seconds |",
            example: "freshness: {column: c, max_age: 2d}",
            changed: "freshness: {column: c, max_age: 36h}",
            effect: ChangeEffect::Tighter,
        },
        RowCountAnomaly => Registration {
            word: "row_count_anomaly",
            keys: &["method", "tolerance", "threshold", "window", "min_history"],
            spec: "| `row_count_anomaly` | `method: median` with `tolerance` (fraction); `method: zscore` or `mad` with `threshold` (default 3); `window` (default 7); `min_history` (default 3) | rows fall outside the band computed from the previous `window` partitions | rows |",
            example: "row_count_anomaly: {tolerance: 0.5}",
            changed: "row_count_anomaly: {tolerance: 0.3}",
            effect: ChangeEffect::Different,
        },
        Unique => Registration {
            word: "unique",
            keys: &["columns", "scope", "max_failures", "max_failure_rate"],
            spec: "| `unique` | `columns: [..]`, `scope` | a full key (no null part) appears more than once | `failures`: rows with a full key − distinct keys (with the scope rule below) |",
            example: "unique: {columns: [a, b], scope: partition}",
            changed: "unique: {columns: [a, b], scope: dataset}",
            effect: ChangeEffect::Tighter,
        },
        References => Registration {
            word: "references",
            keys: &["column", "dataset", "key", "format", "csv", "max_failures", "max_failure_rate"],
            spec: "| `references` | `column`, `dataset` (path to another dataset), `key` | a non-null value has no match in the other dataset's `key` | unmatched rows |",
            example: "references: {column: c, dataset: customers.parquet, key: id, max_failures: 5}",
            changed: "references: {column: c, dataset: customers.parquet, key: id}",
            effect: ChangeEffect::Tighter,
        },
        MissingPartitions => Registration {
            word: "missing_partitions",
            keys: &["interval", "lookback"],
            spec: "| `missing_partitions` | `interval` (e.g. `1d`), `lookback` (intervals) | for date-keyed partitions, a partition is absent among every `interval` step from max(first partition, checked − `lookback` intervals) up to the checked partition | absent partitions (listed in `details`) |",
            example: "missing_partitions: {lookback: 7}",
            changed: "missing_partitions: {lookback: 30}",
            effect: ChangeEffect::Tighter,
        },
        Sql => Registration {
            word: "sql",
            keys: &["name", "query", "min", "max", "equals", "between"],
            spec: "| `sql` | `query` (one SELECT returning one number), `min`, `max`, `equals` or `between` (section 1.3) | the number is outside its bounds | the number |",
            example: "sql: {query: 'SELECT count(*) FROM t', max: 10}",
            changed: "sql: {query: 'SELECT count(*) FROM t', max: 5}",
            effect: ChangeEffect::Different,
        },
        WhereNot => Registration {
            word: "where_not",
            keys: &["name", "condition", "show", "max_failures", "max_failure_rate"],
            spec: "| `where_not` | `condition` (an SQL expression), `show` (columns shown in samples), `max_failures`, `max_failure_rate` | a row where the condition is false or null | failing rows |",
            example: "where_not: {condition: a > 0, max_failures: 5}",
            changed: "where_not: {condition: a > 0, max_failures: 0}",
            effect: ChangeEffect::Tighter,
        },
        Reconcile => Registration {
            word: "reconcile",
            keys: &["with", "key", "row_count", "missing_keys", "extra_keys", "duplicate_keys", "columns"],
            spec: "| `reconcile` | `with`, `key`, `row_count`, `missing_keys`, `extra_keys`, `duplicate_keys`, `columns` (section 1.2) | the data differs from the `with` dataset beyond the limits | per comparison (1.2) |",
            example: "reconcile: {with: other.parquet, key: [id], missing_keys: {max_failures: 5}}",
            changed: "reconcile: {with: other.parquet, key: [id], missing_keys: {max_failures: 0}}",
            effect: ChangeEffect::Tighter,
        },
        Anomaly => Registration {
            word: "anomaly",
            keys: ANOMALY_KEYS,
            spec: "| `anomaly` | `metric` (`row_count`, `null_rate`, `distinct_count`, `mean`, `min`, `max`, `sum`, `failures` with `check`), `column` for column metrics, `method`/`tolerance`/`threshold`/`window`/`min_history` as `row_count_anomaly`, `direction` (`up`, `down`, `both`) | the metric is outside the band of its previous `window` values on the watched side | the metric's value |",
            example: "anomaly: {metric: null_rate, column: c}",
            changed: "anomaly: {metric: null_rate, column: c, window: 14}",
            effect: ChangeEffect::Different,
        },
    }
}

impl CheckName {
    /// The keys of `anomaly` when written under a column (which names the column itself).
    pub fn column_anomaly_keys() -> Vec<&'static str> {
        let mut keys: Vec<&str> = ANOMALY_KEYS.iter().copied().filter(|k| *k != "column").collect();
        keys.extend(["name", "severity"]);
        keys
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::contract::parse_contract;

    const SPEC: &str = include_str!("../../docs/SPEC.md");

    /// The rows of the SPEC table that follows `heading`.
    fn spec_rows(heading: &str) -> Vec<&'static str> {
        let after = &SPEC[SPEC.find(heading).unwrap_or_else(|| panic!("SPEC has no `{heading}`"))..];
        after.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')).skip(2).collect()
    }

    #[test]
    fn the_spec_tables_list_every_kind_as_registered() {
        let rules: Vec<&str> = RuleName::ALL.iter().map(|r| r.registration().spec).collect();
        assert_eq!(spec_rows("### Column rules"), rules);
        let checks: Vec<&str> = CheckName::ALL.iter().map(|c| c.registration().spec).collect();
        assert_eq!(spec_rows("### Dataset checks"), checks);
    }

    /// A contract with `rule` under one column `c`, or `check` as its one check.
    pub(crate) fn contract_with(rule: Option<&str>, check: Option<&str>) -> String {
        let mut text = String::from("contract: t\ndataset: {path: data}\n");
        if let Some(rule) = rule {
            text.push_str(&format!("schema:\n  columns:\n    - name: c\n      {rule}\n"));
        }
        if let Some(check) = check {
            text.push_str(&format!("checks:\n  - {check}\n"));
        }
        text
    }

    #[test]
    fn every_example_parses_to_its_kind() {
        for rule in RuleName::ALL {
            let r = rule.registration();
            for yaml in [r.example, r.changed] {
                let contract = parse_contract(&contract_with(Some(yaml), None), "t.yaml".as_ref())
                    .unwrap_or_else(|e| panic!("{yaml}: {e:?}"));
                let kinds: Vec<RuleName> = contract.columns()[0].rules.iter().map(|r| r.kind.registered()).collect();
                assert_eq!(kinds, [*rule], "{yaml}");
            }
        }
        for check in CheckName::ALL {
            let r = check.registration();
            for yaml in [r.example, r.changed] {
                let contract = parse_contract(&contract_with(None, Some(yaml)), "t.yaml".as_ref())
                    .unwrap_or_else(|e| panic!("{yaml}: {e:?}"));
                assert!(!contract.checks.is_empty(), "{yaml}");
                for parsed in &contract.checks {
                    assert_eq!(parsed.kind.registered(), Some(*check), "{yaml}");
                }
            }
        }
    }

    #[test]
    fn every_column_key_is_accepted() {
        let yaml = "name: c\n      description: d\n      severity: warn\n      sensitive: true\n      \
                    classification: pii\n      anomaly: {metric: null_rate}";
        let contract =
            parse_contract(&contract_with(Some(yaml.trim_start_matches("name: c\n      ")), None), "t.yaml".as_ref());
        let contract = contract.unwrap_or_else(|e| panic!("{e:?}"));
        assert!(contract.columns()[0].sensitive);
    }
}
