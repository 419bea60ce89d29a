//! A contract's pattern (Rust's `regex` dialect, what the local engine runs) written in Java's
//! dialect, which Spark's `RLIKE` runs, so that both match the same strings; or the construct
//! whose meaning differs between the two, named.
//!
//! The pattern is parsed with `regex-syntax` (the `regex` crate's own parser) and written back
//! node by node. Where the dialects agree only under flags, the Java pattern sets them:
//! `(?U)` makes `\d`, `\w`, `\s` and `\b` Unicode-aware as Rust's are, and `(?d)` makes `\n`
//! the only line terminator, as it is for Rust's `.`. Rust's `$` (end of text) is Java's `\z`:
//! Java's `$` also matches before a final line break.

use regex_syntax::ast::{
    self, Assertion, AssertionKind, Ast, ClassAsciiKind, ClassPerlKind, ClassSet, ClassSetItem, ClassUnicodeKind, Flag,
    FlagsItemKind, GroupKind, RepetitionKind, RepetitionRange,
};

/// Every pattern of `contract` that cannot be carried over, as a diagnostic pointing at it.
pub fn refused_patterns(contract: &crate::contract::Contract) -> Vec<String> {
    let mut out = Vec::new();
    for column in contract.columns() {
        for rule in &column.rules {
            let crate::contract::RuleKind::Pattern { regex, .. } = &rule.kind else { continue };
            if let Err(why) = to_java(regex) {
                out.push(format!(
                    "error: {}:{}:{}: the pattern of `{}` cannot run on Spark: {why}\n   = help: rewrite it with \
                     constructs both dialects share, or check with --engine local",
                    contract.file.display(),
                    rule.pos.line,
                    rule.pos.column,
                    column.name
                ));
            }
        }
    }
    out
}

/// Writes `pattern` in Java's dialect; `Err` names the construct that cannot be carried over.
pub fn to_java(pattern: &str) -> Result<String, String> {
    let ast = ast::parse::Parser::new().parse(pattern).map_err(|e| format!("the pattern does not parse: {e}"))?;
    let mut out = String::from("(?U)(?d)");
    write(&ast, &mut out)?;
    Ok(out)
}

fn write(ast: &Ast, out: &mut String) -> Result<(), String> {
    match ast {
        Ast::Empty(_) => {}
        Ast::Flags(set) => {
            out.push_str("(?");
            flags(&set.flags, out)?;
            out.push(')');
        }
        Ast::Literal(l) => literal(l.c, out),
        Ast::Dot(_) => out.push('.'),
        Ast::Assertion(a) => assertion(a, out)?,
        Ast::ClassUnicode(c) => unicode_class(c, out)?,
        Ast::ClassPerl(c) => perl_class(c, out),
        Ast::ClassBracketed(c) => bracketed(c, out)?,
        Ast::Repetition(r) => {
            // A repeated single item needs no group in Java either; wrap to keep precedence.
            out.push_str("(?:");
            write(&r.ast, out)?;
            out.push(')');
            match &r.op.kind {
                RepetitionKind::ZeroOrOne => out.push('?'),
                RepetitionKind::ZeroOrMore => out.push('*'),
                RepetitionKind::OneOrMore => out.push('+'),
                RepetitionKind::Range(RepetitionRange::Exactly(n)) => out.push_str(&format!("{{{n}}}")),
                RepetitionKind::Range(RepetitionRange::AtLeast(n)) => out.push_str(&format!("{{{n},}}")),
                RepetitionKind::Range(RepetitionRange::Bounded(n, m)) => out.push_str(&format!("{{{n},{m}}}")),
            }
            if !r.greedy {
                out.push('?');
            }
        }
        Ast::Group(g) => {
            match &g.kind {
                // Java's group names allow fewer characters; the name is not used in a match.
                GroupKind::CaptureIndex(_) | GroupKind::CaptureName { .. } => out.push('('),
                GroupKind::NonCapturing(items) => {
                    out.push_str("(?");
                    flags(items, out)?;
                    out.push(':');
                }
            }
            write(&g.ast, out)?;
            out.push(')');
        }
        Ast::Alternation(alt) => {
            for (i, branch) in alt.asts.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                write(branch, out)?;
            }
        }
        Ast::Concat(c) => {
            for part in &c.asts {
                write(part, out)?;
            }
        }
    }
    Ok(())
}

/// Inline flags both dialects read alike: `i` (case-insensitive, Unicode-aware in both under
/// `(?U)`) and `s` (`.` matches `\n`).
fn flags(items: &ast::Flags, out: &mut String) -> Result<(), String> {
    for item in &items.items {
        match &item.kind {
            FlagsItemKind::Negation => out.push('-'),
            FlagsItemKind::Flag(Flag::CaseInsensitive) => out.push('i'),
            FlagsItemKind::Flag(Flag::DotMatchesNewLine) => out.push('s'),
            FlagsItemKind::Flag(
                flag @ (Flag::MultiLine | Flag::SwapGreed | Flag::Unicode | Flag::CRLF | Flag::IgnoreWhitespace),
            ) => {
                let letter = match flag {
                    Flag::MultiLine => "m",
                    Flag::SwapGreed => "U",
                    Flag::Unicode => "u",
                    Flag::CRLF => "R",
                    Flag::IgnoreWhitespace => "x",
                    Flag::CaseInsensitive | Flag::DotMatchesNewLine => unreachable!("matched above"),
                };
                return Err(format!(
                    "the inline flag `{letter}` means something else (or nothing) in Java's regex dialect"
                ));
            }
        }
    }
    Ok(())
}

/// Letters and digits as they are; anything else as a code point escape, which Java reads
/// literally inside and outside classes.
fn literal(c: char, out: &mut String) {
    if c.is_ascii_alphanumeric() {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:X}}}", c as u32));
    }
}

fn assertion(a: &Assertion, out: &mut String) -> Result<(), String> {
    out.push_str(match a.kind {
        // Without the multi-line flag (which is refused), `^` is the start of the text in both.
        AssertionKind::StartLine => "^",
        AssertionKind::EndLine | AssertionKind::EndText => "\\z",
        AssertionKind::StartText => "\\A",
        AssertionKind::WordBoundary => "\\b",
        AssertionKind::NotWordBoundary => "\\B",
        AssertionKind::WordBoundaryStart
        | AssertionKind::WordBoundaryEnd
        | AssertionKind::WordBoundaryStartAngle
        | AssertionKind::WordBoundaryEndAngle
        | AssertionKind::WordBoundaryStartHalf
        | AssertionKind::WordBoundaryEndHalf => {
            return Err("half word boundaries (`\\<`, `\\>`, `\\b{start}`, …) have no Java equivalent".into())
        }
    });
    Ok(())
}

fn perl_class(c: &ast::ClassPerl, out: &mut String) {
    let letter = match (c.kind.clone(), c.negated) {
        (ClassPerlKind::Digit, false) => "\\d",
        (ClassPerlKind::Digit, true) => "\\D",
        (ClassPerlKind::Space, false) => "\\s",
        (ClassPerlKind::Space, true) => "\\S",
        (ClassPerlKind::Word, false) => "\\w",
        (ClassPerlKind::Word, true) => "\\W",
    };
    out.push_str(letter);
}

/// Unicode general categories, which both dialects name alike. Scripts and other properties
/// are named differently in Java (`\p{IsGreek}`), so they are refused rather than guessed.
const GENERAL_CATEGORIES: &[&str] = &[
    "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe", "Pi",
    "Pf", "Po", "S", "Sm", "Sc", "Sk", "So", "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Cs", "Co", "Cn",
];

fn unicode_class(c: &ast::ClassUnicode, out: &mut String) -> Result<(), String> {
    let name = match &c.kind {
        ClassUnicodeKind::OneLetter(letter) => letter.to_string(),
        ClassUnicodeKind::Named(name) => name.clone(),
        ClassUnicodeKind::NamedValue { name, value, .. } => {
            return Err(format!("the Unicode property `\\p{{{name}={value}}}` is written differently in Java"))
        }
    };
    if !GENERAL_CATEGORIES.contains(&name.as_str()) {
        return Err(format!(
            "the Unicode class `\\p{{{name}}}` is named differently in Java (only general categories such as \
             `\\p{{L}}` or `\\p{{Nd}}` carry over)"
        ));
    }
    out.push_str(if c.negated { "\\P{" } else { "\\p{" });
    out.push_str(&name);
    out.push('}');
    Ok(())
}

fn bracketed(c: &ast::ClassBracketed, out: &mut String) -> Result<(), String> {
    out.push('[');
    if c.negated {
        out.push('^');
    }
    match &c.kind {
        ClassSet::Item(item) => set_item(item, out)?,
        ClassSet::BinaryOp(_) => {
            return Err("class set operations (`&&`, `--`, `~~`) behave differently in Java".into());
        }
    }
    out.push(']');
    Ok(())
}

fn set_item(item: &ClassSetItem, out: &mut String) -> Result<(), String> {
    match item {
        ClassSetItem::Empty(_) => {}
        ClassSetItem::Literal(l) => literal(l.c, out),
        ClassSetItem::Range(r) => {
            literal(r.start.c, out);
            out.push('-');
            literal(r.end.c, out);
        }
        ClassSetItem::Ascii(a) => {
            if a.negated {
                return Err("negated ASCII classes (`[[:^alpha:]]`) have no Java spelling; write the ranges".into());
            }
            // Spelled out: Java's `\p{Alpha}` becomes Unicode-wide under `(?U)`; these are ASCII.
            out.push_str(match a.kind {
                ClassAsciiKind::Alnum => "0-9A-Za-z",
                ClassAsciiKind::Alpha => "A-Za-z",
                ClassAsciiKind::Ascii => "\\x{0}-\\x{7F}",
                ClassAsciiKind::Blank => "\\x{20}\\x{9}",
                ClassAsciiKind::Cntrl => "\\x{0}-\\x{1F}\\x{7F}",
                ClassAsciiKind::Digit => "0-9",
                ClassAsciiKind::Graph => "\\x{21}-\\x{7E}",
                ClassAsciiKind::Lower => "a-z",
                ClassAsciiKind::Print => "\\x{20}-\\x{7E}",
                ClassAsciiKind::Punct => "\\x{21}-\\x{2F}\\x{3A}-\\x{40}\\x{5B}-\\x{60}\\x{7B}-\\x{7E}",
                ClassAsciiKind::Space => "\\x{9}-\\x{D}\\x{20}",
                ClassAsciiKind::Upper => "A-Z",
                ClassAsciiKind::Word => "0-9A-Za-z_",
                ClassAsciiKind::Xdigit => "0-9A-Fa-f",
            });
        }
        ClassSetItem::Unicode(u) => unicode_class(u, out)?,
        ClassSetItem::Perl(p) => perl_class(p, out),
        // Java reads a nested class inside a class as their union, as Rust does.
        ClassSetItem::Bracketed(b) => bracketed(b, out)?,
        ClassSetItem::Union(u) => {
            for item in &u.items {
                set_item(item, out)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::to_java;

    #[test]
    fn writes_the_same_pattern_in_java() {
        assert_eq!(to_java(r"^[A-Z]{2}\d+$").unwrap(), r"(?U)(?d)^(?:[A-Z]){2}(?:\d)+\z");
        assert_eq!(to_java("a.b").unwrap(), "(?U)(?d)a.b");
        assert_eq!(to_java(r"x\.y").unwrap(), r"(?U)(?d)x\x{2E}y");
        assert_eq!(to_java(r"(?i)ab|c*?").unwrap(), r"(?U)(?d)(?i)ab|(?:c)*?");
        assert_eq!(to_java(r"[[:digit:]a-c]").unwrap(), r"(?U)(?d)[0-9a-c]");
        assert_eq!(to_java(r"\p{Lu}\PN").unwrap(), r"(?U)(?d)\p{Lu}\P{N}");
    }

    #[test]
    fn refuses_what_differs_naming_it() {
        assert!(to_java(r"(?m)^a$").unwrap_err().contains("`m`"));
        assert!(to_java(r"\p{Greek}").unwrap_err().contains("Greek"));
        assert!(to_java(r"[a-z&&[^aeiou]]").unwrap_err().contains("&&"));
        assert!(to_java(r"\<word").unwrap_err().contains("word boundaries"));
    }
}
