//! An exact distinct count that streams: each batch finds its own distinct values, then adds
//! the new ones to one shared set. `n_unique` builds its hash set only on Polars' in-memory
//! engine, which holds every column of the pass; this set lets a pass holding a distinct count
//! stream, at the memory of the distinct values alone.
//!
//! The set is split in shards by hash, so batches on different threads insert side by side, and
//! it keeps each value's hash: growing never rehashes a string (with `HashSet<Box<[u8]>>`, 10M
//! distinct e-mails took 6.7 s; Polars' `n_unique` 1.7–2.7 s).

use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use foldhash::fast::FixedState;
use hashbrown::hash_table::{Entry, HashTable};
use polars::prelude::*;

const SHARDS: usize = 16;

/// One shard: text and binary values end to end in `arena`, found by (hash, start, end); numbers
/// as themselves (rehashing a number is cheaper than storing its hash). A set holds one kind,
/// as its column's type.
#[derive(Default)]
struct Shard {
    arena: Vec<u8>,
    bytes: HashTable<(u64, usize, usize)>,
    numbers: HashTable<u128>,
}

pub struct DistinctSet {
    shards: [Mutex<Shard>; SHARDS],
}

/// The values of a batch as set keys, by the kind a column of `dtype` gives.
#[derive(Clone, Copy)]
enum KeyKind {
    Bytes,
    Numbers,
}

fn key_kind(dtype: &DataType) -> Option<KeyKind> {
    match dtype {
        DataType::String | DataType::Binary => Some(KeyKind::Bytes),
        DataType::Boolean
        | DataType::Decimal(..)
        | DataType::Date
        | DataType::Time
        | DataType::Datetime(..)
        | DataType::Duration(..) => Some(KeyKind::Numbers),
        d if d.is_integer() || d.is_float() => Some(KeyKind::Numbers),
        // Categoricals are read as text before they reach a rule; nested values are left to
        // `n_unique`.
        _ => None,
    }
}

/// The same hash in every batch and thread.
fn hash_of<T: std::hash::Hash>(value: T) -> u64 {
    FixedState::with_seed(0x746f_6c6c_6761_7465).hash_one(value)
}

/// Shards take hash bits the tables do not lean on (they use the low bits and the top seven).
fn shard_of(hash: u64) -> usize {
    (hash >> 40) as usize % SHARDS
}

/// The first row of each distinct value within one batch, with its hash, by shard: each shard
/// is then locked once per batch, for the batch's few distinct values, not once per row.
fn first_in_batch<K: Eq + Copy>(keys: &[Option<K>], hash: impl Fn(K) -> u64) -> Vec<Vec<(usize, u64)>> {
    let mut local: HashTable<(u64, usize)> = HashTable::new();
    let mut by_shard = vec![Vec::new(); SHARDS];
    for (row, key) in keys.iter().enumerate() {
        let Some(key) = *key else { continue };
        let h = hash(key);
        let same = |&(other, r): &(u64, usize)| other == h && keys[r] == Some(key);
        if let Entry::Vacant(slot) = local.entry(h, same, |&(other, _)| other) {
            slot.insert((h, row));
            by_shard[shard_of(h)].push((row, h));
        }
    }
    by_shard
}

impl DistinctSet {
    /// The number of distinct non-null values of `value` (of type `dtype`), as an aggregate that
    /// streams; `None` for a type the set does not key (then `n_unique` counts).
    pub fn count(value: Expr, dtype: &DataType) -> Option<Expr> {
        let kind = key_kind(dtype)?;
        let set = Arc::new(DistinctSet { shards: std::array::from_fn(|_| Mutex::new(Shard::default())) });
        let udf = move |columns: &mut [Column]| -> PolarsResult<Column> {
            let series = columns[0].as_materialized_series();
            let first = match kind {
                KeyKind::Bytes => set.first_bytes(series)?,
                KeyKind::Numbers => set.first_numbers(series)?,
            };
            Ok(first.with_name(series.name().clone()).into_column())
        };
        let field = |_: &Schema, fields: &[Field]| Ok(Field::new(fields[0].name().clone(), DataType::Boolean));
        Some(super::count_where(super::named_udf(value.map_many(udf, &[], field), "distinct_set.first_seen")))
    }

    fn lock(&self, shard: usize) -> MutexGuard<'_, Shard> {
        // A panic elsewhere in the pass fails the query; the set is not read after it.
        self.shards[shard].lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Per row: its value is new to the set (true on exactly one row per distinct value however
    /// the pass splits the rows); false for a repeat or a null.
    fn first_bytes(&self, series: &Series) -> PolarsResult<BooleanChunked> {
        let binary;
        let values = match series.dtype() {
            DataType::String => {
                binary = series.str()?.as_binary();
                &binary
            }
            _ => series.binary()?,
        };
        let keys: Vec<Option<&[u8]>> = values.iter().collect();
        let mut first = vec![false; keys.len()];
        for (shard, candidates) in first_in_batch(&keys, hash_of).into_iter().enumerate() {
            if candidates.is_empty() {
                continue;
            }
            let mut guard = self.lock(shard);
            let Shard { arena, bytes, .. } = &mut *guard;
            for (row, h) in candidates {
                let Some(value) = keys[row] else { continue };
                let same = |&(other, start, end): &(u64, usize, usize)| other == h && &arena[start..end] == value;
                if bytes.find(h, same).is_none() {
                    let start = arena.len();
                    arena.extend_from_slice(value);
                    bytes.insert_unique(h, (h, start, arena.len()), |&(other, _, _)| other);
                    first[row] = true;
                }
            }
        }
        Ok(BooleanChunked::from_slice(PlSmallStr::EMPTY, &first))
    }

    fn first_numbers(&self, series: &Series) -> PolarsResult<BooleanChunked> {
        let keys = number_keys(series)?;
        let mut first = vec![false; keys.len()];
        for (shard, candidates) in first_in_batch(&keys, hash_of).into_iter().enumerate() {
            if candidates.is_empty() {
                continue;
            }
            let mut guard = self.lock(shard);
            for (row, h) in candidates {
                let Some(key) = keys[row] else { continue };
                if let Entry::Vacant(slot) = guard.numbers.entry(h, |&k| k == key, |&k| hash_of(k)) {
                    slot.insert(key);
                    first[row] = true;
                }
            }
        }
        Ok(BooleanChunked::from_slice(PlSmallStr::EMPTY, &first))
    }
}

/// Each value as a 128-bit key, one-to-one within the column's type. Floats are keyed as Polars
/// compares them: -0.0 equals 0.0 and every NaN equals every other.
fn number_keys(series: &Series) -> PolarsResult<Vec<Option<u128>>> {
    let physical = series.to_physical_repr();
    Ok(match physical.dtype() {
        DataType::Boolean => physical.bool()?.iter().map(|v| v.map(u128::from)).collect(),
        DataType::Float32 | DataType::Float64 => physical
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .map(|v| {
                v.map(|f| {
                    let canonical = if f.is_nan() {
                        f64::NAN
                    } else if f == 0.0 {
                        0.0
                    } else {
                        f
                    };
                    u128::from(canonical.to_bits())
                })
            })
            .collect(),
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            physical.cast(&DataType::UInt64)?.u64()?.iter().map(|v| v.map(u128::from)).collect()
        }
        DataType::Int128 => physical.i128()?.iter().map(|v| v.map(|i| i as u128)).collect(),
        _ => physical.cast(&DataType::Int64)?.i64()?.iter().map(|v| v.map(|i| i128::from(i) as u128)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The set's count and `n_unique`'s, on `df`'s column `v` split into chunks of 5 rows (so a
    /// streaming pass may split them across threads), in both engines.
    fn both_counts(df: DataFrame) -> Vec<(i64, i64)> {
        let dtype = df.column("v").unwrap().dtype().clone();
        let mut out = Vec::new();
        for engine in [Engine::InMemory, Engine::Streaming] {
            let parts: Vec<LazyFrame> = (0..df.height()).step_by(5).map(|i| df.slice(i as i64, 5).lazy()).collect();
            let lf = concat(parts, UnionArgs::default()).unwrap();
            let set = DistinctSet::count(col("v"), &dtype).expect("a keyed type");
            let got = lf
                .select([set.alias("set"), col("v").drop_nulls().n_unique().cast(DataType::Int64).alias("n_unique")])
                .collect_with_engine(engine)
                .unwrap()
                .unwrap_single();
            let get = |name: &str| got.column(name).unwrap().get(0).unwrap().extract::<i64>().unwrap();
            out.push((get("set"), get("n_unique")));
        }
        out
    }

    #[test]
    fn counts_as_n_unique_does_for_every_keyed_type() {
        let text = [Some("a"), Some("b"), None, Some("a"), Some(""), Some("é"), Some("b"), None, Some("")];
        let ints = [Some(1i64), Some(-1), None, Some(1), Some(i64::MIN), Some(i64::MAX), Some(0), None];
        let unsigned = [Some(u64::MAX), Some(0u64), Some(u64::MAX), None, Some(7)];
        let floats = [
            Some(0.0f64),
            Some(-0.0),
            Some(f64::NAN),
            Some(-f64::NAN),
            Some(1.5),
            None,
            Some(1.5),
            Some(f64::INFINITY),
        ];
        let bools = [Some(true), None, Some(true), Some(false), Some(false)];
        let frames = [
            (df!("v" => text).unwrap(), 4),
            (df!("v" => ints).unwrap(), 5),
            (df!("v" => unsigned).unwrap(), 3),
            (df!("v" => floats).unwrap(), 4),
            (df!("v" => bools).unwrap(), 2),
            (
                df!("v" => ints).unwrap().lazy().select([col("v").cast(DataType::Date)]).collect().unwrap(),
                // i64::MIN and i64::MAX do not fit a date: they cast to null.
                3,
            ),
            (
                df!("v" => ["1.10", "1.1", "2.00", "-3"])
                    .unwrap()
                    .lazy()
                    .select([col("v").cast(DataType::Decimal(10, 2))])
                    .collect()
                    .unwrap(),
                3,
            ),
        ];
        for (df, expected) in frames {
            let dtype = df.column("v").unwrap().dtype().clone();
            for (set, n_unique) in both_counts(df) {
                assert_eq!((set, n_unique), (expected, expected), "{dtype:?}");
            }
        }
    }

    #[test]
    fn a_thousand_values_repeated_across_batches_count_once() {
        let values: Vec<String> = (0..20_000).map(|i| format!("v{}", (i * 7919) % 1000)).collect();
        for (set, n_unique) in both_counts(df!("v" => values).unwrap()) {
            assert_eq!((set, n_unique), (1000, 1000));
        }
        // All distinct: every shard grows many times over.
        let values: Vec<String> = (0..20_000).map(|i| format!("value-{i}")).collect();
        let numbers: Vec<i64> = (0..20_000).map(|i| i * 1_000_003).collect();
        for df in [df!("v" => values).unwrap(), df!("v" => numbers).unwrap()] {
            for (set, n_unique) in both_counts(df) {
                assert_eq!((set, n_unique), (20_000, 20_000));
            }
        }
    }

    #[test]
    fn nested_values_are_left_to_n_unique() {
        assert!(DistinctSet::count(col("v"), &DataType::List(Box::new(DataType::Int64))).is_none());
    }
}
