//! Diagnostics that point at the exact place in a contract file, rustc-style.

use std::fmt;
use std::path::PathBuf;

use super::yaml::Pos;

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub pos: Pos,
    pub message: String,
    /// What to write instead.
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}\n  --> {}:{}:{}", self.message, self.file.display(), self.pos.line, self.pos.column)?;
        if let Some(help) = &self.help {
            write!(f, "\n   = help: {help}")?;
        }
        Ok(())
    }
}

/// All problems found in one contract file.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidContract {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for InvalidContract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidContract {}

/// The closest of `candidates` to a misspelt `word`, if any is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&lower, c), *c))
        .filter(|(distance, c)| *distance <= 2.max(c.len() / 3))
        // On a tie, prefer a word with the same letters: a transposition is the likelier typo.
        .min_by_key(|(distance, c)| (*distance, !same_letters(&lower, c)))
        .map(|(_, c)| c)
}

fn same_letters(a: &str, b: &str) -> bool {
    let sorted = |s: &str| {
        let mut v: Vec<char> = s.chars().collect();
        v.sort_unstable();
        v
    };
    sorted(a) == sorted(b)
}

/// "did you mean `x`?" or the list of valid words.
pub fn suggestion(word: &str, candidates: &[&str]) -> String {
    match nearest(word, candidates) {
        Some(best) => format!("did you mean `{best}`?"),
        None => {
            format!("expected one of: {}", candidates.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "))
        }
    }
}

/// The data column a misspelt column name most likely meant: closer than [`nearest`] asks of
/// keywords, since any short name is two edits from another (`tip` is not `id`).
pub fn nearest_name<'a>(name: &str, data_columns: &[&'a str]) -> Option<&'a str> {
    let limit = 1.max(name.chars().count() / 4);
    nearest(name, data_columns)
        .filter(|best| strsim::damerau_levenshtein(&name.to_ascii_lowercase(), &best.to_ascii_lowercase()) <= limit)
}

/// "column `carier` is not in the data; did you mean `carrier`?" — names from the data itself.
pub fn missing_column(name: &str, data_columns: &[&str]) -> String {
    match nearest_name(name, data_columns) {
        Some(best) => format!("column `{name}` is not in the data; did you mean `{best}`?"),
        None => format!("column `{name}` is not in the data"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        let keys = ["required", "unique", "range", "pattern"];
        assert_eq!(nearest("requird", &keys), Some("required"));
        assert_eq!(nearest("Unique", &keys), Some("unique"));
        assert_eq!(nearest("zzzzzzzz", &keys), None);
        assert_eq!(nearest("int46", &["int16", "int64"]), Some("int64"));
        assert!(suggestion("zzz", &keys).starts_with("expected one of"));
        assert_eq!(nearest_name("carier", &["carrier", "id"]), Some("carrier"));
        assert_eq!(nearest_name("created_ta", &["created_at"]), Some("created_at"));
        assert_eq!(nearest_name("tip", &["id", "day"]), None);
    }
}
