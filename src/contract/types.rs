//! The contract's type names. Kept free of Polars so the contract model builds on its own
//! (the fuzz target compiles only this module tree).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclaredType {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float32,
    Float64,
    Decimal,
    String,
    Binary,
    Date,
    Time,
    Timestamp,
    /// Families.
    Integer,
    Float,
    Number,
}

pub const TYPE_NAMES: &[&str] = &[
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "decimal",
    "string",
    "binary",
    "date",
    "time",
    "timestamp",
    "integer",
    "float",
    "number",
];

impl DeclaredType {
    pub fn parse(name: &str) -> Option<Self> {
        use DeclaredType::*;
        Some(match name {
            "bool" => Bool,
            "int8" => Int8,
            "int16" => Int16,
            "int32" => Int32,
            "int64" => Int64,
            "uint8" => UInt8,
            "uint16" => UInt16,
            "uint32" => UInt32,
            "uint64" => UInt64,
            "float32" => Float32,
            "float64" => Float64,
            "decimal" => Decimal,
            "string" => String,
            "binary" => Binary,
            "date" => Date,
            "time" => Time,
            "timestamp" => Timestamp,
            "integer" => Integer,
            "float" => Float,
            "number" => Number,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        use DeclaredType::*;
        match self {
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
            Integer => "integer",
            Float => "float",
            Number => "number",
        }
    }
}
