//! How the contract's type names relate to Polars data types.

use polars::prelude::{DataType, TimeUnit};

pub use crate::contract::types::{type_names, DeclaredType};

/// The Polars side of a declared type.
pub trait DeclaredTypeExt {
    /// Does a column of Polars type `dtype` satisfy this declaration?
    fn accepts(self, dtype: &DataType) -> bool;
    /// The Polars type a CSV column declared with this type is parsed into.
    fn csv_target(self) -> DataType;
}

impl DeclaredTypeExt for DeclaredType {
    fn accepts(self, dtype: &DataType) -> bool {
        use DeclaredType as T;
        match self {
            T::Bool => matches!(dtype, DataType::Boolean),
            T::Int8 => matches!(dtype, DataType::Int8),
            T::Int16 => matches!(dtype, DataType::Int16),
            T::Int32 => matches!(dtype, DataType::Int32),
            T::Int64 => matches!(dtype, DataType::Int64),
            T::UInt8 => matches!(dtype, DataType::UInt8),
            T::UInt16 => matches!(dtype, DataType::UInt16),
            T::UInt32 => matches!(dtype, DataType::UInt32),
            T::UInt64 => matches!(dtype, DataType::UInt64),
            T::Float32 => matches!(dtype, DataType::Float32),
            T::Float64 => matches!(dtype, DataType::Float64),
            T::Decimal => matches!(dtype, DataType::Decimal(..)),
            T::String => matches!(dtype, DataType::String | DataType::Categorical(..) | DataType::Enum(..)),
            T::Binary => matches!(dtype, DataType::Binary | DataType::BinaryOffset),
            T::Date => matches!(dtype, DataType::Date),
            T::Time => matches!(dtype, DataType::Time),
            T::Timestamp => matches!(dtype, DataType::Datetime(..)),
            T::Integer => dtype.is_integer(),
            T::Float => dtype.is_float(),
            T::Number => dtype.is_integer() || dtype.is_float() || matches!(dtype, DataType::Decimal(..)),
        }
    }

    fn csv_target(self) -> DataType {
        use DeclaredType as T;
        match self {
            T::Bool => DataType::Boolean,
            T::Int8 => DataType::Int8,
            T::Int16 => DataType::Int16,
            T::Int32 => DataType::Int32,
            T::Int64 | T::Integer => DataType::Int64,
            T::UInt8 => DataType::UInt8,
            T::UInt16 => DataType::UInt16,
            T::UInt32 => DataType::UInt32,
            T::UInt64 => DataType::UInt64,
            T::Float32 => DataType::Float32,
            T::Float64 | T::Float | T::Number => DataType::Float64,
            // Exact: 20 integer and 18 fraction digits (SPEC §1); more is not a decimal here.
            T::Decimal => DataType::Decimal(38, 18),
            T::String => DataType::String,
            T::Binary => DataType::Binary,
            T::Date => DataType::Date,
            T::Time => DataType::Time,
            T::Timestamp => DataType::Datetime(TimeUnit::Microseconds, None),
        }
    }
}

/// The contract-vocabulary name of a Polars type, for `observed` in type checks.
pub fn type_name(dtype: &DataType) -> String {
    match dtype {
        DataType::Boolean => "bool".into(),
        DataType::Int8 => "int8".into(),
        DataType::Int16 => "int16".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::Int128 => "int128".into(),
        DataType::UInt8 => "uint8".into(),
        DataType::UInt16 => "uint16".into(),
        DataType::UInt32 => "uint32".into(),
        DataType::UInt64 => "uint64".into(),
        DataType::Float32 => "float32".into(),
        DataType::Float64 => "float64".into(),
        DataType::Decimal(p, s) => format!("decimal({p},{s})"),
        DataType::String | DataType::Categorical(..) | DataType::Enum(..) => "string".into(),
        DataType::Binary | DataType::BinaryOffset => "binary".into(),
        DataType::Date => "date".into(),
        DataType::Time => "time".into(),
        DataType::Datetime(unit, tz) => {
            let unit = match unit {
                TimeUnit::Nanoseconds => "ns",
                TimeUnit::Microseconds => "us",
                TimeUnit::Milliseconds => "ms",
            };
            match tz {
                Some(tz) => format!("timestamp[{unit}, {tz}]"),
                None => format!("timestamp[{unit}]"),
            }
        }
        DataType::Null => "null".into(),
        DataType::List(items) | DataType::Array(items, _) => format!("list<{}>", type_name(items)),
        DataType::Struct(fields) => {
            let fields: Vec<String> =
                fields.iter().map(|f| format!("{}: {}", f.name(), type_name(f.dtype()))).collect();
            format!("struct<{}>", fields.join(", "))
        }
        other => other.to_string().to_lowercase(),
    }
}

/// Broad classes that decide which rules apply to a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Bool,
    Integer,
    Float,
    Decimal,
    String,
    Binary,
    Date,
    Time,
    Timestamp,
    Other,
}

pub fn family(dtype: &DataType) -> Family {
    match dtype {
        DataType::Boolean => Family::Bool,
        d if d.is_integer() => Family::Integer,
        d if d.is_float() => Family::Float,
        DataType::Decimal(..) => Family::Decimal,
        DataType::String | DataType::Categorical(..) | DataType::Enum(..) => Family::String,
        DataType::Binary | DataType::BinaryOffset => Family::Binary,
        DataType::Date => Family::Date,
        DataType::Time => Family::Time,
        DataType::Datetime(..) => Family::Timestamp,
        _ => Family::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_accept_every_width() {
        assert!(DeclaredType::Integer.accepts(&DataType::UInt8));
        assert!(DeclaredType::Integer.accepts(&DataType::Int64));
        assert!(!DeclaredType::Integer.accepts(&DataType::Float64));
        assert!(DeclaredType::Number.accepts(&DataType::Float32));
        assert!(DeclaredType::Timestamp.accepts(&DataType::Datetime(TimeUnit::Nanoseconds, None)));
        assert!(!DeclaredType::Int64.accepts(&DataType::Int32));
        for name in type_names() {
            assert_eq!(DeclaredType::parse(name).unwrap().name(), name);
        }
    }
}
