//! Deterministic orders-like data for the benchmark, with injected violations whose exact counts
//! are written to `truth.json` beside the data.
//!
//!     cargo run --release --example bench_generate -- S|M|L [OUT_DIR]
//!
//! S: 1M rows (1 partition), M: 10M rows (10 daily partitions), L: 30M rows (30 partitions).
//! Parquet under OUT/<size>/parquet/dt=…/, CSV under OUT/<size>/csv/dt=…/.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use polars::prelude::*;

const ROWS_PER_PARTITION: u64 = 1_000_000;
const STATUSES: [&str; 4] = ["placed", "shipped", "delivered", "cancelled"];
const COUNTRIES: [&str; 5] = ["US", "DE", "FR", "JP", "BR"];

#[derive(Default, serde::Serialize)]
struct Truth {
    rows: u64,
    partitions: u64,
    rows_latest_partition: u64,
    order_id_nulls: u64,
    /// Non-null ids − distinct ids over the whole dataset.
    order_id_duplicates: u64,
    customer_id_nulls: u64,
    amount_out_of_range: u64,
    status_not_accepted: u64,
    email_not_matching: u64,
    country_not_matching: u64,
    newest_created_at: String,
}

// Violations, by the global row index i. The moduli are far apart, so no row carries two of the
// same kind and a duplicated id never repeats another duplicate.
fn is_dup(i: u64) -> bool {
    i % 1_000_003 == 7
}
fn customer_null(i: u64) -> bool {
    i.is_multiple_of(97)
}
fn amount_bad(i: u64) -> bool {
    i % 10_007 == 3
}
fn status_bad(i: u64) -> bool {
    i % 50_021 == 11
}
fn email_bad(i: u64) -> bool {
    i % 20_011 == 5
}
fn country_bad(i: u64) -> bool {
    i % 30_011 == 9
}

fn partition(start: u64, rows: u64, day: chrono::NaiveDate, truth: &mut Truth) -> DataFrame {
    let n = rows as usize;
    let (mut order_id, mut customer_id, mut amount) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut status, mut email, mut country, mut created) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let day_start = day.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_micros();
    for i in start..start + rows {
        order_id.push(if is_dup(i) { i as i64 } else { i as i64 + 1 });
        truth.order_id_duplicates += u64::from(is_dup(i));
        customer_id.push(if customer_null(i) { None } else { Some((i % 250_000) as i64) });
        truth.customer_id_nulls += u64::from(customer_null(i));
        amount.push(if amount_bad(i) { -1.0 } else { ((i * 37) % 100_000) as f64 / 10.0 });
        truth.amount_out_of_range += u64::from(amount_bad(i));
        status.push(if status_bad(i) { "unknown" } else { STATUSES[(i % 4) as usize] });
        truth.status_not_accepted += u64::from(status_bad(i));
        email.push(if email_bad(i) { format!("user{i}.example.com") } else { format!("user{i}@example.com") });
        truth.email_not_matching += u64::from(email_bad(i));
        country.push(if country_bad(i) { "usa" } else { COUNTRIES[(i % 5) as usize] });
        truth.country_not_matching += u64::from(country_bad(i));
        created.push(day_start + ((i - start) % 86_400) as i64 * 1_000_000);
    }
    let newest = created.iter().max().copied().unwrap_or(day_start);
    truth.newest_created_at = chrono::DateTime::from_timestamp_micros(newest).unwrap().to_rfc3339();
    let created =
        Series::new("created_at".into(), created).cast(&DataType::Datetime(TimeUnit::Microseconds, None)).unwrap();
    DataFrame::new_infer_height(vec![
        Column::new("order_id".into(), order_id),
        Column::new("customer_id".into(), customer_id),
        Column::new("amount".into(), amount),
        Column::new("status".into(), status),
        Column::new("email".into(), email),
        Column::new("country".into(), country),
        created.into(),
    ])
    .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let size = args.get(1).map(String::as_str).unwrap_or("S");
    let out =
        args.get(2).map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/data"));
    let partitions = match size {
        "S" => 1,
        "M" => 10,
        "L" => 30,
        other => panic!("size must be S, M or L, not {other}"),
    };
    let root = out.join(size);
    let _ = fs::remove_dir_all(&root);
    let mut truth = Truth { partitions, rows_latest_partition: ROWS_PER_PARTITION, ..Truth::default() };
    let first_day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    for k in 0..partitions {
        let day = first_day + chrono::Duration::days(k as i64);
        let mut df = partition(k * ROWS_PER_PARTITION, ROWS_PER_PARTITION, day, &mut truth);
        let pq = root.join("parquet").join(format!("dt={day}")).join("part-0.parquet");
        let csv = root.join("csv").join(format!("dt={day}")).join("part-0.csv");
        fs::create_dir_all(pq.parent().unwrap()).unwrap();
        fs::create_dir_all(csv.parent().unwrap()).unwrap();
        ParquetWriter::new(File::create(&pq).unwrap()).finish(&mut df).unwrap();
        CsvWriter::new(File::create(&csv).unwrap()).finish(&mut df).unwrap();
        eprintln!("{size}: wrote partition {day}");
    }
    truth.rows = partitions * ROWS_PER_PARTITION;
    fs::write(root.join("truth.json"), serde_json::to_string_pretty(&truth).unwrap()).unwrap();
    println!("{}", root.display());
}
