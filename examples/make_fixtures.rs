//! Writes the small fixtures the example contracts and tests use, with known violations.
//! Deterministic: running it again produces the same data.
//!
//!     cargo run --example make_fixtures

use std::fs::{self, File};
use std::path::Path;

use polars::prelude::*;

fn write_parquet(path: &Path, df: &mut DataFrame) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    ParquetWriter::new(File::create(path).unwrap()).finish(df).unwrap();
}

/// 1000 orders. Known answers (used by tests and the README):
/// - order_id: 2 duplicate values (rows 999 and 1000 repeat ids 500 and 501)
/// - customer_id: 20 nulls (every 50th row), null rate exactly 0.02
/// - amount: 7 outside [0, 10000]: 5 negatives, 1 NaN, 1 of 20000; 10 nulls
/// - status: 4 values not accepted ("unknown")
/// - country: 3 values not matching ^[A-Z]{2}$ ("usa")
/// - email: 2 values without "@"
/// - created_at: 2026-01-10T00:00:00 + i minutes; the newest is 2026-01-10T16:39:00
fn orders() -> DataFrame {
    let n = 1000usize;
    let order_id: Vec<i64> = (1..=n as i64)
        .map(|i| match i {
            999 => 500,
            1000 => 501,
            _ => i,
        })
        .collect();
    let customer_id: Vec<Option<i64>> =
        (1..=n as i64).map(|i| if i % 50 == 0 { None } else { Some(1000 + i % 97) }).collect();
    let amount: Vec<Option<f64>> = (1..=n)
        .map(|i| match i {
            10 | 20 | 30 | 40 | 50 => Some(-(i as f64)),
            60 => Some(f64::NAN),
            70 => Some(20000.0),
            i if i % 100 == 1 => None,
            i => Some((i as f64 * 7.5) % 9000.0),
        })
        .collect();
    let statuses = ["placed", "shipped", "delivered", "cancelled"];
    let status: Vec<&str> = (0..n).map(|i| if i % 250 == 7 { "unknown" } else { statuses[i % 4] }).collect();
    let countries = ["US", "DE", "FR", "JP", "BR"];
    let country: Vec<&str> = (0..n).map(|i| if i % 333 == 5 { "usa" } else { countries[i % 5] }).collect();
    let email: Vec<String> = (0..n)
        .map(|i| if i % 500 == 3 { format!("user{i}.example.com") } else { format!("user{i}@example.com") })
        .collect();
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 10)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros();
    let created: Vec<i64> = (0..n as i64).map(|i| start + i * 60_000_000).collect();
    let created =
        Series::new("created_at".into(), created).cast(&DataType::Datetime(TimeUnit::Microseconds, None)).unwrap();
    DataFrame::new_infer_height(vec![
        Column::new("order_id".into(), order_id),
        Column::new("customer_id".into(), customer_id),
        Column::new("amount".into(), amount),
        Column::new("status".into(), status),
        Column::new("country".into(), country),
        Column::new("email".into(), email),
        created.into(),
    ])
    .unwrap()
}

/// Daily partitions dt=2026-01-01 … 2026-01-08 with 100 rows each, except 2026-01-08 (the latest)
/// with 40 rows; 2026-01-05 is missing. order_id runs on across partitions, but the latest
/// partition repeats 3 ids of 2026-01-07 (a re-run that loaded the same rows twice).
fn partitioned(root: &Path) {
    let days = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-06", "2026-01-07", "2026-01-08"];
    let mut next_id = 1i64;
    for (k, day) in days.iter().enumerate() {
        let rows = if k == days.len() - 1 { 40 } else { 100 };
        let mut ids: Vec<i64> = (0..rows).map(|i| next_id + i).collect();
        if k == days.len() - 1 {
            ids[0] = next_id - 1;
            ids[1] = next_id - 2;
            ids[2] = next_id - 3;
        }
        next_id += rows;
        let amount: Vec<f64> = (0..rows).map(|i| (i as f64) * 3.0).collect();
        let mut df = DataFrame::new_infer_height(vec![
            Column::new("order_id".into(), ids),
            Column::new("amount".into(), amount),
        ])
        .unwrap();
        write_parquet(&root.join(format!("dt={day}")).join("part-0.parquet"), &mut df);
    }
}

fn orders_csv(path: &Path) {
    // Known answers: qty has 2 unparsable values ("two", "1.5") and 1 empty (null);
    // price has 1 unparsable ("abc"); day has 1 unparsable ("2026-13-01"); active has 1 ("yes").
    let text = "\
id,qty,price,day,active,note
1,3,9.5,2026-01-01,true,first
2,two,10.0,2026-01-02,FALSE,
3,,abc,2026-01-03,True,third
4,1.5,7.25,2026-13-01,yes,fourth
5,7,NaN,2026-01-05,false,fifth
";
    fs::write(path, text).unwrap();
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    write_parquet(&root.join("orders.parquet"), &mut orders());
    let dir = root.join("orders_daily");
    let _ = fs::remove_dir_all(&dir);
    partitioned(&dir);
    orders_csv(&root.join("orders.csv"));
    // Customers referenced by orders.customer_id: ids 1000..=1090, so 1091..=1096 are unknown.
    let ids: Vec<i64> = (1000..=1090).collect();
    let mut customers = DataFrame::new_infer_height(vec![Column::new("id".into(), ids)]).unwrap();
    write_parquet(&root.join("customers.parquet"), &mut customers);
    println!("fixtures written to {}", root.display());
}
