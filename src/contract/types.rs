//! The contract's type names. Kept free of Polars so the contract model builds on its own
//! (the fuzz target compiles only this module tree).

/// Declares the types with their names once: the enum, its table, `parse` and `name` come
/// from this one list.
macro_rules! declared_types {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum DeclaredType {
            $($(#[$doc])* $variant,)*
        }

        /// Every declared type with its name.
        const TYPES: &[(DeclaredType, &str)] = &[$((DeclaredType::$variant, $name),)*];

        impl DeclaredType {
            pub fn name(self) -> &'static str {
                match self {
                    $(DeclaredType::$variant => $name,)*
                }
            }
        }
    };
}

declared_types! {
    Bool => "bool",
    Int8 => "int8",
    Int16 => "int16",
    Int32 => "int32",
    Int64 => "int64",
    UInt8 => "uint8",
    UInt16 => "uint16",
    UInt32 => "uint32",
    UInt64 => "uint64",
    Float32 => "float32",
    Float64 => "float64",
    Decimal => "decimal",
    String => "string",
    Binary => "binary",
    Date => "date",
    Time => "time",
    Timestamp => "timestamp",
    /// Families.
    Integer => "integer",
    Float => "float",
    Number => "number",
}

/// Every type name, in the table's order.
pub fn type_names() -> Vec<&'static str> {
    TYPES.iter().map(|(_, name)| *name).collect()
}

/// A declared type with nesting: `list<int64>`, `struct<a: string, b: list<date>>` (native), or
/// an ODCS `array` with `items` / `object` with `properties`. Scalars inside are [`DeclaredType`].
#[derive(Debug, Clone, PartialEq)]
pub enum NestedType {
    Scalar(DeclaredType),
    List(Box<NestedType>),
    /// Declared fields, in order; a field the data holds and the contract does not name is allowed.
    Struct(Vec<(String, NestedType)>),
}

impl NestedType {
    /// Parses `list<…>` / `struct<name: type, …>`; `None` for anything else (a plain scalar name
    /// is a [`DeclaredType`], not this).
    pub fn parse(text: &str) -> Option<NestedType> {
        let text = text.trim();
        let (head, rest) = text.split_once('<')?;
        let inner = rest.strip_suffix('>')?;
        match head.trim() {
            "list" => Some(NestedType::List(Box::new(Self::parse_any(inner)?))),
            "struct" => {
                let mut fields = Vec::new();
                for part in split_top_level(inner) {
                    let (name, ty) = part.split_once(':')?;
                    let name = name.trim();
                    if name.is_empty() {
                        return None;
                    }
                    fields.push((name.to_string(), Self::parse_any(ty)?));
                }
                (!fields.is_empty()).then_some(NestedType::Struct(fields))
            }
            _ => None,
        }
    }

    fn parse_any(text: &str) -> Option<NestedType> {
        match DeclaredType::parse(text.trim()) {
            Some(t) => Some(NestedType::Scalar(t)),
            None => Self::parse(text),
        }
    }

    pub fn name(&self) -> String {
        match self {
            NestedType::Scalar(t) => t.name().to_string(),
            NestedType::List(inner) => format!("list<{}>", inner.name()),
            NestedType::Struct(fields) => {
                let fields: Vec<String> = fields.iter().map(|(n, t)| format!("{n}: {}", t.name())).collect();
                format!("struct<{}>", fields.join(", "))
            }
        }
    }
}

/// `a: int64, b: struct<c: string, d: date>` split at the commas outside `<…>`.
fn split_top_level(text: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0i32, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Names other systems use (SQL, pandas, Spark, Java) and what tollgate calls them, so an
/// unknown type gets the right suggestion rather than the nearest spelling (`int` → `int8`).
const SYNONYMS: &[(&str, &str)] = &[
    ("int", "int64"),
    ("integer64", "int64"),
    ("bigint", "int64"),
    ("long", "int64"),
    ("smallint", "int16"),
    ("short", "int16"),
    ("tinyint", "int8"),
    ("byte", "int8"),
    ("double", "float64"),
    ("double precision", "float64"),
    ("float8", "float64"),
    ("real", "float32"),
    ("float4", "float32"),
    ("numeric", "decimal"),
    ("varchar", "string"),
    ("char", "string"),
    ("text", "string"),
    ("str", "string"),
    ("utf8", "string"),
    ("boolean", "bool"),
    ("datetime", "timestamp"),
    ("datetime64", "timestamp"),
    ("timestamptz", "timestamp"),
    ("bytes", "binary"),
    ("blob", "binary"),
];

/// The help for an unknown type name: its tollgate spelling when it is a known synonym.
pub fn unknown_type_help(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    // `varchar(20)`, `decimal(10,2)`: the name before the parameters.
    let base = lower.split('(').next().unwrap_or("").trim();
    if let Some((_, ours)) = SYNONYMS.iter().find(|(theirs, _)| *theirs == base) {
        return format!("tollgate calls `{name}` `{ours}`: write `type: {ours}`");
    }
    if base != lower && DeclaredType::parse(base).is_some() {
        return format!("write `type: {base}`; parameters are not part of tollgate's type names");
    }
    super::diagnostic::suggestion(name, &type_names())
}

impl DeclaredType {
    pub fn parse(name: &str) -> Option<Self> {
        TYPES.iter().find(|(_, n)| *n == name).map(|(t, _)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_one_name() {
        for (t, name) in TYPES {
            assert_eq!(t.name(), *name);
            assert_eq!(DeclaredType::parse(name), Some(*t));
        }
        let mut names = type_names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TYPES.len(), "two types share a name");
    }

    #[test]
    fn nested_type_names() {
        let t = NestedType::parse("struct<a: string, b: list<int64>, c: struct<d: date>>").unwrap();
        assert_eq!(t.name(), "struct<a: string, b: list<int64>, c: struct<d: date>>");
        assert_eq!(NestedType::parse("list< float64 >").unwrap().name(), "list<float64>");
        assert_eq!(NestedType::parse("list<int65>"), None);
        assert_eq!(NestedType::parse("struct<>"), None);
        assert_eq!(NestedType::parse("int64"), None);
    }

    #[test]
    fn synonyms_get_their_own_suggestion() {
        assert_eq!(unknown_type_help("int"), "tollgate calls `int` `int64`: write `type: int64`");
        assert_eq!(unknown_type_help("double"), "tollgate calls `double` `float64`: write `type: float64`");
        assert_eq!(unknown_type_help("VARCHAR(20)"), "tollgate calls `VARCHAR(20)` `string`: write `type: string`");
        assert_eq!(unknown_type_help("datetime"), "tollgate calls `datetime` `timestamp`: write `type: timestamp`");
        assert_eq!(unknown_type_help("int46"), "did you mean `int64`?");
        for (theirs, ours) in SYNONYMS {
            assert!(DeclaredType::parse(ours).is_some(), "{ours}");
            assert!(DeclaredType::parse(theirs).is_none(), "{theirs} is a real name, not a synonym");
        }
    }
}
