//! A small YAML 1.2 document tree that remembers where every node was written.
//!
//! The contract parser needs line/column positions for its diagnostics, YAML 1.2 core-schema
//! scalars (`on`, `y` are strings), and hard limits against alias bombs and deep nesting, so we
//! build the tree ourselves from `saphyr-parser` events instead of going through serde.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// Aliases may add at most this many nodes by expansion (a billion-laughs file fails fast).
pub const MAX_ALIAS_NODES: usize = 10_000;
/// A document may hold at most this many nodes as written: far above any real contract (the
/// ODCS 68-table example has ~11,500), low enough to bound memory.
pub const MAX_NODES: usize = 2_000_000;
/// Collections may nest at most this deep.
pub const MAX_DEPTH: usize = 64;

/// 1-based line and column of a node in the contract file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `raw` is the text as written, so `1.0` on a string column stays `"1.0"`.
    Scalar {
        value: Scalar,
        raw: String,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
    pub kind: YamlErrorKind,
}

/// What went wrong, for the help text (never read from the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    Syntax,
    /// A tab in a line's indentation (YAML indents with spaces only).
    TabIndent,
    TooDeep,
    AliasExpansion,
    TooLarge,
}

impl Node {
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }
    pub fn scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }
    pub fn raw(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { raw, .. } => Some(raw),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self.scalar(), Some(Scalar::Null))
    }
    /// A scalar's text, whatever type it resolved to; `None` for collections and null.
    pub fn as_text(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value: Scalar::Null, .. } => None,
            NodeKind::Scalar { raw, .. } => Some(raw),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value: Scalar::Str(s), .. } => Some(s),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self.scalar()? {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Float(f) => Some(*f),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self.scalar()? {
            Scalar::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self.scalar()? {
            Scalar::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
            NodeKind::Scalar { value, .. } => match value {
                Scalar::Null => "null",
                Scalar::Bool(_) => "a boolean",
                Scalar::Int(_) => "an integer",
                Scalar::Float(_) => "a number",
                Scalar::Str(_) => "a string",
            },
        }
    }
    fn count(&self) -> usize {
        match &self.kind {
            NodeKind::Scalar { .. } => 1,
            NodeKind::Seq(items) => 1 + items.iter().map(Node::count).sum::<usize>(),
            NodeKind::Map(entries) => 1 + entries.iter().map(|(k, v)| k.count() + v.count()).sum::<usize>(),
        }
    }
}

fn pos_of(span: &Span) -> Pos {
    // saphyr-parser lines are 1-based, columns 0-based.
    Pos { line: span.start.line(), column: span.start.col() + 1 }
}

/// Resolves a plain scalar by the YAML 1.2 core schema.
pub fn resolve_plain(text: &str) -> Scalar {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "true" | "True" | "TRUE" => return Scalar::Bool(true),
        "false" | "False" | "FALSE" => return Scalar::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Scalar::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let bytes = text.as_bytes();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits(unsigned) {
        if let Ok(i) = text.parse::<i64>() {
            return Scalar::Int(i);
        }
        return Scalar::Float(text.parse::<f64>().unwrap_or(f64::NAN));
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(i) = i64::from_str_radix(hex, 16) {
                return Scalar::Int(i);
            }
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            if let Ok(i) = i64::from_str_radix(oct, 8) {
                return Scalar::Int(i);
            }
        }
    }
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let is_float = {
        let s = unsigned;
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let mantissa_ok = match mantissa.split_once('.') {
            Some((int, frac)) => (int.is_empty() && digits(frac)) || (digits(int) && (frac.is_empty() || digits(frac))),
            None => digits(mantissa),
        };
        let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
        mantissa_ok && exponent_ok && !bytes.is_empty()
    };
    if is_float {
        if let Ok(f) = text.parse::<f64>() {
            return Scalar::Float(f);
        }
    }
    Scalar::Str(text.to_string())
}

enum Frame {
    Seq { items: Vec<Node>, pos: Pos, anchor: usize },
    Map { entries: Vec<(Node, Node)>, key: Option<Node>, pos: Pos, anchor: usize },
}

/// Parses the first document of `text`. An empty document yields a null node.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut nodes = 0usize;
    let mut expanded = 0usize;
    let mut root: Option<Node> = None;

    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| {
            let pos = Pos { line: e.marker().line(), column: e.marker().col() + 1 };
            // The parser reports a tab in indentation where its scan stopped (often the end of
            // the line before); point at the tab itself.
            if let Some(tab) = tab_in_indentation(text, pos.line + 1) {
                return YamlError {
                    pos: tab,
                    message: "a tab in the indentation".into(),
                    kind: YamlErrorKind::TabIndent,
                };
            }
            // The parser's own guard against deep flow nesting trips before ours can; saphyr's
            // errors carry only text, so this is the one place that reads it.
            if e.info().contains("recursion limit") {
                return YamlError {
                    pos,
                    message: format!("the document nests deeper than {MAX_DEPTH} levels"),
                    kind: YamlErrorKind::TooDeep,
                };
            }
            YamlError { pos, message: e.info().to_string(), kind: YamlErrorKind::Syntax }
        })?;
        let pos = pos_of(&span);
        let finished: Option<(Node, usize)> = match event {
            Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => None,
            Event::DocumentEnd | Event::StreamEnd => {
                if root.is_some() || matches!(event, Event::StreamEnd) {
                    break;
                }
                None
            }
            Event::Scalar(value, style, anchor, _tag) => {
                let resolved =
                    if style == ScalarStyle::Plain { resolve_plain(&value) } else { Scalar::Str(value.to_string()) };
                Some((Node { kind: NodeKind::Scalar { value: resolved, raw: value.into_owned() }, pos }, anchor))
            }
            Event::Alias(id) => {
                let target = anchors.get(&id).ok_or_else(|| YamlError {
                    pos,
                    message: "alias refers to an unknown anchor".into(),
                    kind: YamlErrorKind::Syntax,
                })?;
                expanded += target.count();
                if expanded > MAX_ALIAS_NODES {
                    return Err(YamlError {
                        pos,
                        message: format!("aliases expand the document by more than {MAX_ALIAS_NODES} nodes"),
                        kind: YamlErrorKind::AliasExpansion,
                    });
                }
                let mut copy = target.clone();
                copy.pos = pos;
                Some((copy, 0))
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        pos,
                        message: format!("the document nests deeper than {MAX_DEPTH} levels"),
                        kind: YamlErrorKind::TooDeep,
                    });
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq { items: Vec::new(), pos, anchor }
                } else {
                    Frame::Map { entries: Vec::new(), key: None, pos, anchor }
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { items, pos, anchor }) => Some((Node { kind: NodeKind::Seq(items), pos }, anchor)),
                _ => unreachable_frame(pos)?,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map { entries, pos, anchor, .. }) => {
                    Some((Node { kind: NodeKind::Map(entries), pos }, anchor))
                }
                _ => unreachable_frame(pos)?,
            },
        };
        let Some((node, anchor)) = finished else { continue };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(YamlError {
                pos: node.pos,
                message: format!("the document has more than {MAX_NODES} nodes"),
                kind: YamlErrorKind::TooLarge,
            });
        }
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
    Ok(root.unwrap_or(Node {
        kind: NodeKind::Scalar { value: Scalar::Null, raw: String::new() },
        pos: Pos { line: 1, column: 1 },
    }))
}

fn unreachable_frame<T>(pos: Pos) -> Result<T, YamlError> {
    Err(YamlError { pos, message: "unbalanced YAML structure".into(), kind: YamlErrorKind::Syntax })
}

/// The first tab in the leading whitespace of a line up to `last_line` (1-based), if any.
fn tab_in_indentation(text: &str, last_line: usize) -> Option<Pos> {
    text.lines().take(last_line).enumerate().find_map(|(i, line)| {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let column = line[..indent].find('\t')?;
        // A line of only whitespace says nothing about structure.
        (indent < line.len()).then_some(Pos { line: i + 1, column: column + 1 })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_2_scalars() {
        assert_eq!(resolve_plain("on"), Scalar::Str("on".into()));
        assert_eq!(resolve_plain("y"), Scalar::Str("y".into()));
        assert_eq!(resolve_plain("~"), Scalar::Null);
        assert_eq!(resolve_plain("null"), Scalar::Null);
        assert_eq!(resolve_plain("12"), Scalar::Int(12));
        assert_eq!(resolve_plain("-3"), Scalar::Int(-3));
        assert_eq!(resolve_plain("1.5e3"), Scalar::Float(1500.0));
        assert_eq!(resolve_plain("1.0"), Scalar::Float(1.0));
        assert_eq!(resolve_plain("2026-01-10"), Scalar::Str("2026-01-10".into()));
        assert_eq!(resolve_plain("1_000"), Scalar::Str("1_000".into()));
        assert_eq!(resolve_plain("true"), Scalar::Bool(true));
    }

    #[test]
    fn positions_are_one_based() {
        let doc = parse("a: 1\nb:\n  c: x\n").unwrap();
        let map = doc.as_map().unwrap();
        assert_eq!(map[1].0.pos, Pos { line: 2, column: 1 });
        let inner = map[1].1.as_map().unwrap();
        assert_eq!(inner[0].0.pos, Pos { line: 3, column: 3 });
        assert_eq!(inner[0].1.pos, Pos { line: 3, column: 6 });
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in ['b', 'c', 'd', 'e', 'f'] {
            text.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = name;
        }
        let err = parse(&text).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::AliasExpansion);
        assert!(err.message.contains("10000"), "{}", err.message);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(100) + &"]".repeat(100);
        let err = parse(&text).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::TooDeep);
        let ok = "[".repeat(60) + &"]".repeat(60);
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn many_plain_nodes_are_fine_but_not_unbounded() {
        let big: String = (0..20_000).map(|i| format!("k{i}: v\n")).collect();
        assert!(parse(&big).is_ok(), "40,000 written nodes, no alias");
        let huge = format!("[{}]", "x,".repeat(MAX_NODES + 1));
        assert_eq!(parse(&huge).unwrap_err().kind, YamlErrorKind::TooLarge);
    }

    #[test]
    fn a_tab_is_reported_where_it_is() {
        let err = parse("a:\n  b: 1\n\t c: 2\n").unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::TabIndent);
        assert_eq!(err.pos, Pos { line: 3, column: 1 });
        let err = parse("a:\n  - name: x\n  \t  type: y\n").unwrap_err();
        assert_eq!(err.pos, Pos { line: 3, column: 3 });
        assert!(parse("a: |\n  text\twith a tab\n").is_ok());
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let doc = parse("a: \"1\"\nb: 'true'\n").unwrap();
        let map = doc.as_map().unwrap();
        assert_eq!(map[0].1.scalar(), Some(&Scalar::Str("1".into())));
        assert_eq!(map[1].1.scalar(), Some(&Scalar::Str("true".into())));
    }
}
