//! Reading a YAML tree into the contract model, shared by both dialects (native and ODCS): the
//! context that collects every problem, checked mappings, scalar readers, and the SQL a contract
//! may hold.

use std::path::Path;

use super::diagnostic::{suggestion, Diagnostic};
use super::yaml::{Node, NodeKind, Pos, Scalar};
use super::{DatasetCheck, Format, Literal, Severity};

pub(super) struct Ctx<'a> {
    pub(super) file: &'a Path,
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) warnings: Vec<Diagnostic>,
    /// Dataset checks written under a column (`anomaly:`), appended after `checks:`.
    pub(super) column_checks: Vec<DatasetCheck>,
    /// The contract's name, once read: the table name of its `sql` checks.
    pub(super) contract_name: Option<String>,
}

impl Ctx<'_> {
    pub(super) fn diagnostic(&self, pos: Pos, message: impl Into<String>, help: impl Into<String>) -> Diagnostic {
        let help = help.into();
        Diagnostic {
            file: self.file.to_path_buf(),
            pos,
            message: message.into(),
            help: if help.is_empty() { None } else { Some(help) },
        }
    }

    /// Read but without effect: `validate` prints it; the contract stays valid.
    pub(super) fn warn(&mut self, pos: Pos, message: impl Into<String>, help: impl Into<String>) {
        let d = self.diagnostic(pos, message, help);
        self.warnings.push(d);
    }

    pub(super) fn error(&mut self, pos: Pos, message: impl Into<String>, help: impl Into<String>) {
        let d = self.diagnostic(pos, message, help);
        self.diagnostics.push(d);
    }
}

/// The known keys of one mapping, after unknown and repeated keys were reported.
pub(super) struct Fields<'n> {
    pub(super) pos: Pos,
    pub(super) entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    pub(super) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _, _)| *k == key).map(|(_, _, v)| *v)
    }
    pub(super) fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries.iter().find(|(k, _, _)| *k == key).map(|(_, k, _)| k.pos)
    }
}

pub(super) fn fields<'n>(ctx: &mut Ctx, node: &'n Node, what: &str, allowed: &[&str]) -> Option<Fields<'n>> {
    let Some(entries) = node.as_map() else {
        ctx.error(
            node.pos,
            format!("{what} must be a mapping, found {}", node.type_name()),
            format!("write `key: value` pairs; keys: {}", allowed.join(", ")),
        );
        return None;
    };
    let mut out = Fields { pos: node.pos, entries: Vec::new() };
    for (key, value) in entries {
        let Some(name) = key.as_text() else {
            ctx.error(key.pos, format!("{what} has a key that is not a name"), "keys must be plain words");
            continue;
        };
        if out.entries.iter().any(|(k, _, _)| *k == name) {
            ctx.error(key.pos, format!("key `{name}` appears twice in {what}"), "keep one of them");
        } else if !allowed.contains(&name) {
            ctx.error(key.pos, format!("unknown key `{name}` in {what}"), suggestion(name, allowed));
        } else {
            out.entries.push((name, key, value));
        }
    }
    Some(out)
}

pub(super) fn text_of(ctx: &mut Ctx, node: &Node, what: &str) -> Option<String> {
    match node.scalar() {
        Some(Scalar::Str(s)) => Some(s.clone()),
        Some(Scalar::Null) | None => {
            ctx.error(node.pos, format!("{what} must be a string, found {}", node.type_name()), "");
            None
        }
        // A number or boolean where text is expected: take it as written.
        Some(_) => node.as_text().map(str::to_string),
    }
}

pub(super) fn required_text(ctx: &mut Ctx, f: &Fields, key: &str, what: &str) -> Option<String> {
    match f.get(key) {
        Some(node) => text_of(ctx, node, &format!("`{key}` of {what}")),
        None => {
            ctx.error(f.pos, format!("{what} needs `{key}`"), format!("add `{key}: ...`"));
            None
        }
    }
}

pub(super) fn bool_of(ctx: &mut Ctx, node: &Node, what: &str) -> Option<bool> {
    let b = node.as_bool();
    if b.is_none() {
        ctx.error(
            node.pos,
            format!("{what} must be true or false, found {}", node.type_name()),
            "write `true` or `false`",
        );
    }
    b
}

pub(super) fn count_of(ctx: &mut Ctx, node: &Node, what: &str) -> Option<u64> {
    match node.scalar() {
        Some(Scalar::Int(i)) if *i >= 0 => Some(*i as u64),
        Some(Scalar::Float(f)) if *f >= 0.0 && f.fract() == 0.0 && f.is_finite() => Some(*f as u64),
        _ => {
            ctx.error(
                node.pos,
                format!("{what} must be a whole number ≥ 0, found `{}`", node.as_text().unwrap_or(node.type_name())),
                "",
            );
            None
        }
    }
}

pub(super) fn rate_of(ctx: &mut Ctx, node: &Node, what: &str) -> Option<f64> {
    match node.as_f64() {
        Some(r) if (0.0..=1.0).contains(&r) => Some(r),
        Some(r) => {
            ctx.error(node.pos, format!("{what} is {r}, outside 0..1"), "write a fraction such as 0.02 for 2 %");
            None
        }
        None => {
            ctx.error(node.pos, format!("{what} must be a number between 0 and 1, found {}", node.type_name()), "");
            None
        }
    }
}

/// One of a closed set of words, each with its value; anything else is reported with the
/// nearest word. The one parser of every keyword setting (severity, format, scope, direction).
pub(super) fn one_of<T: Copy>(ctx: &mut Ctx, node: &Node, what: &str, words: &[(&str, T)]) -> Option<T> {
    let text = node.as_text();
    if let Some(value) = words.iter().find(|(word, _)| Some(*word) == text).map(|(_, v)| *v) {
        return Some(value);
    }
    let names: Vec<&str> = words.iter().map(|(word, _)| *word).collect();
    let shown = text.unwrap_or("");
    ctx.error(node.pos, format!("unknown {what} `{shown}`"), suggestion(shown, &names));
    None
}

pub(super) fn severity_of(ctx: &mut Ctx, node: &Node) -> Option<Severity> {
    one_of(ctx, node, "severity", &[("error", Severity::Error), ("warn", Severity::Warn)])
}

/// A regular expression a `pattern` holds, checked here so a bad one is a contract error at its
/// place (Rust `regex` syntax: no look-around or back-references).
pub(super) fn regex_of(ctx: &mut Ctx, node: &Node, what: &str) -> Option<String> {
    let regex = text_of(ctx, node, what)?;
    match regex::Regex::new(&regex) {
        Ok(_) => Some(regex),
        Err(e) => {
            let first = e.to_string().lines().last().unwrap_or("").trim().to_string();
            ctx.error(
                node.pos,
                format!("invalid pattern `{regex}`: {first}"),
                "patterns use Rust regex syntax (no look-around or back-references)",
            );
            None
        }
    }
}

pub(super) fn literal(node: &Node) -> Option<Literal> {
    match &node.kind {
        NodeKind::Scalar { value, raw } if *value != Scalar::Null => {
            Some(Literal { value: value.clone(), raw: raw.clone(), pos: node.pos })
        }
        _ => None,
    }
}

pub(super) fn format_of(ctx: &mut Ctx, node: &Node) -> Option<Format> {
    one_of(ctx, node, "format", &[("parquet", Format::Parquet), ("csv", Format::Csv)])
}

/// `{object}`/`${object}` → the table's (quoted) name; `{column}`/`${column}` → the column's.
pub(super) fn resolve_placeholders(query: &str, table: &str, column: Option<&str>) -> String {
    let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let mut out = query.replace("${object}", &quote(table)).replace("{object}", &quote(table));
    if let Some(c) = column {
        out = out.replace("${column}", &quote(c)).replace("{column}", &quote(c));
    }
    out
}

/// Only one `SELECT` (or `WITH … SELECT`) statement: a contract's SQL reads, never writes.
pub(super) fn check_read_only(ctx: &mut Ctx, query: &str, pos: Pos) -> Option<()> {
    use sqlparser::ast::Statement;
    let dialect = sqlparser::dialect::GenericDialect {};
    match sqlparser::parser::Parser::parse_sql(&dialect, query) {
        Err(e) => {
            ctx.error(pos, format!("the query is not valid SQL: {e}"), "tollgate runs one SELECT (Polars SQL)");
            None
        }
        Ok(statements) => match statements.as_slice() {
            [Statement::Query(_)] => Some(()),
            [] => {
                ctx.error(pos, "the query is empty", "write `query: SELECT count(*) FROM …`");
                None
            }
            [one] => {
                let first = one.to_string();
                let verb = first.split_whitespace().next().unwrap_or("it").to_uppercase();
                ctx.error(
                    pos,
                    format!("the query is a {verb} statement; a contract's SQL may only read"),
                    "write one SELECT (or WITH … SELECT) that returns one number",
                );
                None
            }
            many => {
                ctx.error(
                    pos,
                    format!("the query holds {} statements; a check runs exactly one", many.len()),
                    "keep one SELECT that returns one number",
                );
                None
            }
        },
    }
}
