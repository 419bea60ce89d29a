//! A set of integer keys as a bitmap over the key range Parquet footers give: one bit per
//! possible key. Auto-increment ids over 30M rows take 4 MB instead of a ~1 GB hash set, and the
//! set fills while a pass streams.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use polars::prelude::*;

use super::ColumnStats;

/// Largest key range held: 2^31 bits = 256 MiB.
const MOST_BITS: u64 = 1 << 31;

pub struct KeySet {
    column: String,
    min: i64,
    span: u64,
    /// Allocated by the first batch, so a plan that never runs costs nothing.
    bits: OnceLock<Vec<AtomicU64>>,
    /// The keys `insert` saw more than once: after the pass, a duplicates sample looks up these
    /// few keys instead of grouping every key.
    repeated: OnceLock<Vec<AtomicU64>>,
    /// For `mark_shared` only: each key's first partition (0: not seen yet).
    owners: OnceLock<Vec<AtomicU32>>,
}

impl KeySet {
    /// A set for the integer (date, timestamp) values of `value` in the footers' range; `None`
    /// when the range is unknown or too sparse for a bitmap to beat a hash set (more than 64
    /// possible keys per row).
    pub fn over(column: &str, value: &Expr, stats: &ColumnStats) -> Option<Arc<KeySet>> {
        let min = stats.on_extremes(value.clone().min())??;
        let max = stats.on_extremes(value.clone().max())??;
        let span = u64::try_from(i128::from(max) - i128::from(min) + 1).ok()?;
        if span > MOST_BITS || span > 64 * stats.rows.max(1 << 20) {
            return None;
        }
        Some(Arc::new(KeySet {
            column: column.to_string(),
            min,
            span,
            bits: OnceLock::new(),
            repeated: OnceLock::new(),
            owners: OnceLock::new(),
        }))
    }

    fn bits(&self) -> &[AtomicU64] {
        Self::words(&self.bits, self.span)
    }

    fn repeated_bits(&self) -> &[AtomicU64] {
        Self::words(&self.repeated, self.span)
    }

    fn words(cell: &OnceLock<Vec<AtomicU64>>, span: u64) -> &[AtomicU64] {
        cell.get_or_init(|| std::iter::repeat_with(|| AtomicU64::new(0)).take(span.div_ceil(64) as usize).collect())
    }

    /// The key's bit and word, `None` outside the range.
    fn slot(&self, key: i64) -> Option<(usize, u64)> {
        let offset = key.checked_sub(self.min).filter(|o| (*o as u64) < self.span)? as u64;
        Some(((offset / 64) as usize, 1u64 << (offset % 64)))
    }

    /// Per row: the key was not in the set yet (and now is); null for a null key. Bits are set
    /// atomically, so exactly one row per distinct key is first however the pass splits the
    /// rows. A key outside the footers' range is an error: the count would be wrong.
    pub fn insert(self: &Arc<Self>, value: Expr) -> Expr {
        let set = Arc::clone(self);
        self.map_keys("key_set.insert", value, &[], move |keys, _| {
            let bits = set.bits();
            let repeated = set.repeated_bits();
            let mut outside = false;
            let first: BooleanChunked = keys
                .iter()
                .map(|key| {
                    let slot = set.slot(key?);
                    outside |= slot.is_none();
                    let (word, mask) = slot?;
                    let first = bits[word].fetch_or(mask, Ordering::Relaxed) & mask == 0;
                    if !first {
                        repeated[word].fetch_or(mask, Ordering::Relaxed);
                    }
                    Some(first)
                })
                .collect();
            if outside {
                return Err(set.not_covered());
            }
            Ok(first)
        })
    }

    /// Puts in the set every key found in more than one partition (`partition` numbers them
    /// from 1). Each key remembers the first partition it was seen in; a row of another marks it.
    /// Exact in any row order. The column it gives is all false: only the set matters.
    pub fn mark_shared(self: &Arc<Self>, partition: Expr, value: Expr) -> Expr {
        let set = Arc::clone(self);
        self.map_keys("key_set.mark_shared", value, &[partition], move |keys, others| {
            let partitions = others[0].cast(&DataType::UInt32)?;
            let bits = set.bits();
            let owners = set
                .owners
                .get_or_init(|| std::iter::repeat_with(|| AtomicU32::new(0)).take(set.span as usize).collect());
            for (key, partition) in keys.iter().zip(partitions.u32()?.iter()) {
                let (Some(key), Some(partition)) = (key, partition) else { continue };
                let (word, mask) = set.slot(key).ok_or_else(|| set.not_covered())?;
                let owner = &owners[(key - set.min) as usize];
                if let Err(first) = owner.compare_exchange(0, partition, Ordering::Relaxed, Ordering::Relaxed) {
                    if first != partition {
                        bits[word].fetch_or(mask, Ordering::Relaxed);
                    }
                }
            }
            Ok(BooleanChunked::full(PlSmallStr::EMPTY, false, keys.len()))
        })
    }

    /// Per row: `insert` saw the key more than once (after the pass that inserted); null for a
    /// null key.
    pub fn repeated(self: &Arc<Self>, value: Expr) -> Expr {
        self.lookup("key_set.repeated", value, |set| set.repeated_bits())
    }

    /// Per row: the key is in the set; null for a null key.
    pub fn contains(self: &Arc<Self>, value: Expr) -> Expr {
        self.lookup("key_set.contains", value, |set| set.bits())
    }

    fn lookup(self: &Arc<Self>, name: &str, value: Expr, bitmap: fn(&KeySet) -> &[AtomicU64]) -> Expr {
        let set = Arc::clone(self);
        self.map_keys(name, value, &[], move |keys, _| {
            let bits = bitmap(&set);
            Ok(keys
                .iter()
                .map(|key| {
                    Some(set.slot(key?).is_some_and(|(word, mask)| bits[word].load(Ordering::Relaxed) & mask != 0))
                })
                .collect())
        })
    }

    /// A key outside the footers' range: the footers do not describe the data. An out-of-bounds
    /// error, which the engine answers by finding the file that contradicts its own footer.
    fn not_covered(&self) -> PolarsError {
        polars_err!(OutOfBounds: "the values of `{}` fall outside the range the Parquet footers state", self.column)
    }

    /// An elementwise UDF over the keys as `i64` (and `others`, as they come), giving a Boolean
    /// column named like the keys.
    fn map_keys(
        &self,
        name: &str,
        value: Expr,
        others: &[Expr],
        per_batch: impl Fn(&Int64Chunked, &[Column]) -> PolarsResult<BooleanChunked> + Send + Sync + 'static,
    ) -> Expr {
        let udf = move |columns: &mut [Column]| -> PolarsResult<Column> {
            let keys = columns[0].to_physical_repr().cast(&DataType::Int64)?;
            Ok(per_batch(keys.i64()?, &columns[1..])?.with_name(keys.name().clone()).into_column())
        };
        let field = |_: &Schema, fields: &[Field]| Ok(Field::new(fields[0].name().clone(), DataType::Boolean));
        super::named_udf(value.map_many(udf, others, field), name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::count_where;

    fn stats(min: i64, max: i64, rows: u64) -> ColumnStats {
        let extremes = DataFrame::new(2, vec![Column::new("k".into(), [min, max])]).unwrap();
        ColumnStats { rows, nulls: Some(0), extremes: Some(extremes) }
    }

    fn count(keys: &[Option<i64>], expr: Expr, engine: Engine) -> PolarsResult<i64> {
        // Several chunks, so the pass may split them across threads.
        let parts: Vec<LazyFrame> = keys.chunks(7).map(|c| df!("k" => c.to_vec()).unwrap().lazy()).collect();
        let df = concat(parts, UnionArgs::default())?.select([count_where(expr)]).collect_with_engine(engine)?;
        Ok(df.unwrap_single().columns()[0].get(0)?.extract::<i64>().unwrap())
    }

    #[test]
    fn insert_marks_each_distinct_key_once_in_either_engine() {
        // 1..=100 with every multiple of 10 three times, 7 twice, and nulls.
        let mut keys: Vec<Option<i64>> = (1..=100).map(Some).collect();
        keys.extend((1..=10).flat_map(|i| [Some(i * 10), Some(i * 10), None]));
        keys.push(Some(7));
        for engine in [Engine::InMemory, Engine::Streaming] {
            let set = KeySet::over("k", &col("k"), &stats(1, 100, keys.len() as u64)).unwrap();
            assert_eq!(count(&keys, set.insert(col("k")), engine).unwrap(), 100);
            // Every key is now in; 0 and 101 are outside the range, so not in.
            assert_eq!(count(&keys, set.contains(col("k")), engine).unwrap(), keys.iter().flatten().count() as i64);
            assert_eq!(count(&[Some(0), Some(101), Some(5), None], set.contains(col("k")), engine).unwrap(), 1);
        }
    }

    #[test]
    fn keys_of_several_partitions_are_marked_shared() {
        // Partition 1: 1..=50 and 60 twice; partition 2: 40..=70; partition 3: 90, 90.
        let mut rows: Vec<(u32, Option<i64>)> = (1..=50).map(|k| (1, Some(k))).collect();
        rows.extend([(1, Some(60)), (1, Some(60)), (1, None)]);
        rows.extend((40..=70).map(|k| (2, Some(k))));
        rows.extend([(3, Some(90)), (3, Some(90))]);
        let shared: Vec<i64> = (40..=50).chain([60]).collect();
        for engine in [Engine::InMemory, Engine::Streaming] {
            let set = KeySet::over("k", &col("k"), &stats(1, 100, rows.len() as u64)).unwrap();
            let parts: Vec<LazyFrame> = rows
                .chunks(9)
                .map(|c| {
                    let (p, k): (Vec<u32>, Vec<Option<i64>>) = c.iter().copied().unzip();
                    df!("p" => p, "k" => k).unwrap().lazy()
                })
                .collect();
            let marked = concat(parts, UnionArgs::default())
                .unwrap()
                .select([count_where(set.mark_shared(col("p"), col("k")))])
                .collect_with_engine(engine)
                .unwrap();
            assert_eq!(marked.unwrap_single().columns()[0].get(0).unwrap().extract::<i64>(), Some(0));
            let all: Vec<Option<i64>> = (0..=101).map(Some).collect();
            assert_eq!(count(&all, set.contains(col("k")), engine).unwrap(), shared.len() as i64, "{engine:?}");
            assert_eq!(
                count(&shared.iter().map(|k| Some(*k)).collect::<Vec<_>>(), set.contains(col("k")), engine).unwrap(),
                12
            );
        }
    }

    #[test]
    fn keys_outside_the_footer_range_are_an_error_not_a_wrong_count() {
        let set = KeySet::over("k", &col("k"), &stats(1, 100, 2)).unwrap();
        let err = count(&[Some(1), Some(500)], set.insert(col("k")), Engine::InMemory).unwrap_err();
        let mut root = &err;
        while let PolarsError::Context { error, .. } | PolarsError::ExprContext { error, .. } = root {
            root = error;
        }
        assert!(matches!(root, PolarsError::OutOfBounds(_)), "{err:?}");
    }

    #[test]
    fn sparse_or_unknown_ranges_are_left_to_a_hash_set() {
        assert!(KeySet::over("k", &col("k"), &stats(0, i64::MAX, 1000)).is_none());
        assert!(KeySet::over("k", &col("k"), &stats(i64::MIN, i64::MAX, u64::MAX)).is_none());
        let no_extremes = ColumnStats { rows: 10, nulls: Some(0), extremes: None };
        assert!(KeySet::over("k", &col("k"), &no_extremes).is_none());
        assert!(KeySet::over("k", &col("k"), &stats(-5, 5, 10)).is_some());
    }
}
