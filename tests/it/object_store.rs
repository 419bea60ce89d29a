//! Datasets on S3, against a real S3 server (moto's, speaking the signed S3 API): the same
//! reports over `s3://` as over the local copy, footers only where footers answer, outputs
//! uploaded whole, and clear exit-3 errors for a refused, vanished or silent store.
//!
//! `.ci/run` starts `moto_server` on 127.0.0.1 and sets `TOLLGATE_TEST_S3` to its URL; without
//! it these tests say why they did not run. Objects are uploaded with plain unsigned PUTs (which
//! moto accepts), not with tollgate's own client; reads need signatures, so they go through
//! tollgate. A loopback proxy between tollgate and the server counts requests and bytes and
//! injects faults.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::*;
use polars::prelude::*;

/// A bucket of its own on the test server.
struct Bucket {
    endpoint: String,
    name: String,
    home: tempfile::TempDir,
}

impl Bucket {
    fn new(name: &str) -> Option<Bucket> {
        let Ok(endpoint) = std::env::var("TOLLGATE_TEST_S3") else {
            println!("skipped: TOLLGATE_TEST_S3 is not set (.ci/run starts moto's S3 server and sets it)");
            return None;
        };
        // A new bucket per run: the server may outlive a test run.
        let name = format!("{name}-{}", std::process::id());
        let bucket = Bucket { endpoint, name, home: tempfile::tempdir().unwrap() };
        let status = bucket.put("", &[]);
        assert_eq!(status, 200, "cannot create bucket {}", bucket.name);
        Some(bucket)
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.name)
    }

    /// An unsigned PUT of `body` to `key` (the bucket itself when `key` is empty).
    fn put(&self, key: &str, body: &[u8]) -> u16 {
        self.put_with(key, body, "")
    }

    /// An unsigned PUT readable by anyone (`x-amz-acl: public-read`): a plain HTTP file.
    fn put_public(&self, key: &str, body: &[u8]) -> u16 {
        self.put_with(key, body, "x-amz-acl: public-read\r\n")
    }

    fn put_with(&self, key: &str, body: &[u8], headers: &str) -> u16 {
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).unwrap();
        let path = if key.is_empty() { format!("/{}", self.name) } else { format!("/{}/{key}", self.name) };
        write!(
            stream,
            "PUT {path} HTTP/1.1\r\nHost: {address}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        stream.write_all(body).unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
    }

    /// Uploads every file under `dir` as `prefix/<relative path>`.
    fn upload_tree(&self, dir: &Path, prefix: &str) {
        for entry in walk(dir) {
            let key = format!("{prefix}/{}", entry.strip_prefix(dir).unwrap().display());
            assert_eq!(self.put(&key, &std::fs::read(&entry).unwrap()), 200, "upload {key}");
        }
    }

    /// tollgate with this server's settings, a HOME of its own (no ~/.aws of the machine) and
    /// `endpoint` (the server, or a proxy in front of it).
    fn tollgate_via(&self, endpoint: &str, dir: &Path, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(args)
            .current_dir(dir)
            .env("HOME", self.home.path())
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ALLOW_HTTP", "true")
            .output()
            .unwrap();
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(!run.stderr.contains("panicked"), "tollgate panicked: {}", run.stderr);
        assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET), "the secret key was printed");
        run
    }

    fn tollgate(&self, dir: &Path, args: &[&str]) -> Run {
        self.tollgate_via(&self.endpoint.clone(), dir, args)
    }
}

/// The secret key every run gets: it must never be printed.
const SECRET: &str = "tollgate-test-secret-7f3a9c";

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The fixtures on S3 under `fixtures/`, as the repository has them.
fn bucket_with_fixtures(name: &str) -> Option<Bucket> {
    let bucket = Bucket::new(name)?;
    bucket.upload_tree(&repo().join("fixtures/orders_daily"), "fixtures/orders_daily");
    for file in ["orders.parquet", "customers.parquet", "orders.csv"] {
        assert_eq!(
            bucket.put(&format!("fixtures/{file}"), &std::fs::read(repo().join("fixtures").join(file)).unwrap()),
            200
        );
    }
    Some(bucket)
}

/// A repository contract with its `../fixtures/` paths pointed at the bucket, written to `dir`.
fn contract_on_s3(bucket: &Bucket, dir: &Path, name: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("contracts").join(name)).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text.replace("../fixtures/", &bucket.url("fixtures/"))).unwrap();
    path
}

/// A JSON report with what legitimately differs between the runs taken out: durations, the
/// contract's path, and the data's location (S3 URL or local path).
fn comparable(report: &serde_json::Value, bucket: &Bucket) -> String {
    let mut report = report.clone();
    for result in report["results"].as_array_mut().unwrap() {
        result["duration_ms"] = serde_json::json!(0);
        result["contract_path"] = serde_json::json!("");
    }
    let text = serde_json::to_string_pretty(&report).unwrap();
    let local = repo().join("fixtures").display().to_string();
    text.replace(&bucket.url("fixtures"), "DATA")
        .replace(&local, "DATA")
        .replace("../fixtures", "DATA")
        .replace("fixtures/", "DATA/")
}

#[test]
fn every_report_over_s3_equals_the_local_one() {
    let Some(bucket) = bucket_with_fixtures("tollgate-same-reports") else { return };
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("orders.yaml", &["--now", "2026-01-11T00:00:00Z"]), // Parquet, references across datasets, freshness
        ("orders_csv.yaml", &["--now", "2026-01-11T00:00:00Z"]), // CSV
        ("orders_daily.yaml", &[]),                          // hive partitions: unique across them, anomaly, gaps
        ("orders_daily.yaml", &["--all-partitions"]),
        ("orders_daily.yaml", &["--partition", "2026-01-06"]),
    ];
    for (contract, extra) in cases {
        let on_s3 = contract_on_s3(&bucket, dir.path(), contract);
        let mut args = vec!["check", on_s3.to_str().unwrap(), "--format", "json"];
        args.extend_from_slice(extra);
        let remote = bucket.tollgate(dir.path(), &args);
        let local_contract = repo().join("contracts").join(contract);
        let mut local_args = vec!["check", local_contract.to_str().unwrap(), "--format", "json"];
        local_args.extend_from_slice(extra);
        let local = tollgate(&local_args);
        assert_eq!(remote.code, local.code, "{contract} {extra:?}: {}", remote.stderr);
        assert_eq!(comparable(&remote.json(), &bucket), comparable(&local.json(), &bucket), "{contract} {extra:?}");
        assert!(remote.json()["results"][0]["dataset"].as_str().unwrap().starts_with("s3://"));
    }
}

#[test]
fn globs_and_data_urls_list_the_store() {
    let Some(bucket) = bucket_with_fixtures("tollgate-globs") else { return };
    let dir = tempfile::tempdir().unwrap();
    // `--data` with a glob over the partitions: every day's rows, read as one dataset.
    std::fs::write(
        dir.path().join("c.yaml"),
        "contract: g\ndataset: {path: unused.parquet}\nchecks:\n  - row_count: {min: 1}\n",
    )
    .unwrap();
    let glob = bucket.url("fixtures/orders_daily/dt=*/*.parquet");
    let run = bucket.tollgate(dir.path(), &["check", "c.yaml", "--data", &glob, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["results"][0]["rows"], 640);
    let folder = bucket.url("fixtures/orders_daily/dt=2026-01-08");
    let run = bucket.tollgate(dir.path(), &["check", "c.yaml", "--data", &folder, "--format", "json"]);
    assert_eq!(run.json()["results"][0]["rows"], 40, "{}", run.stderr);
}

#[test]
fn quarantine_clean_and_reports_are_uploaded_whole() {
    let Some(bucket) = bucket_with_fixtures("tollgate-outputs") else { return };
    let dir = tempfile::tempdir().unwrap();
    let on_s3 = contract_on_s3(&bucket, dir.path(), "orders.yaml");
    let (quarantine, clean, report) = (bucket.url("dead-letter"), bucket.url("clean"), bucket.url("reports/run.json"));
    let run = bucket.tollgate(
        dir.path(),
        &[
            "check",
            on_s3.to_str().unwrap(),
            "--now",
            "2026-01-11T00:00:00Z",
            "--quarantine",
            &quarantine,
            "--clean",
            &clean,
            "--format",
            "json",
            "-o",
            &report,
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let local_dir = tempfile::tempdir().unwrap();
    let local = tollgate(&[
        "check",
        "contracts/orders.yaml",
        "--now",
        "2026-01-11T00:00:00Z",
        "--quarantine",
        local_dir.path().join("q").to_str().unwrap(),
        "--clean",
        local_dir.path().join("c").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let outputs = |report: &serde_json::Value| {
        let o = &report["results"][0]["outputs"];
        (o["quarantine"]["rows"].as_u64().unwrap(), o["clean"]["rows"].as_u64().unwrap())
    };
    // The report went to S3 (the table on stdout says so); the uploaded Parquet files are read
    // back over S3 and hold as many rows as the local run's.
    assert!(run.stdout.contains("wrote the json report to s3://"), "{}", run.stdout);
    let (bad, good) = outputs(&local.json());
    assert_eq!(bad + good, 1000);
    std::fs::write(
        dir.path().join("count.yaml"),
        "contract: count\ndataset: {path: unused.parquet}\nchecks:\n  - row_count: {min: 0}\n",
    )
    .unwrap();
    for (folder, expected) in [(&quarantine, bad), (&clean, good)] {
        let counted = bucket.tollgate(dir.path(), &["check", "count.yaml", "--data", folder, "--format", "json"]);
        assert_eq!(counted.json()["results"][0]["rows"], expected, "{folder}: {}", counted.stderr);
    }
}

/// A loopback HTTP proxy in front of the S3 server: one upstream connection per request,
/// counting requests by path and response bytes, and answering some requests itself.
struct Proxy {
    address: String,
    requests: Arc<Mutex<Vec<String>>>,
    bytes_sent: Arc<AtomicU64>,
}

#[derive(Clone)]
enum Fault {
    None,
    /// Every request gets 403 AccessDenied.
    Forbidden,
    /// GETs of paths containing this get 404 NoSuchKey (listed, then deleted).
    Vanished(String),
    /// After this many requests, connections are dropped unanswered (the server went away).
    DiesAfter(usize),
}

impl Proxy {
    fn start(upstream: &str, fault: Fault) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let bytes_sent = Arc::new(AtomicU64::new(0));
        let upstream = upstream.trim_start_matches("http://").to_string();
        let (log, sent) = (requests.clone(), bytes_sent.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (log, sent, upstream, fault) = (log.clone(), sent.clone(), upstream.clone(), fault.clone());
                std::thread::spawn(move || serve(client, &upstream, &fault, &log, &sent));
            }
        });
        Proxy { address, requests, bytes_sent }
    }

    /// Request lines seen ("GET /bucket/key?…").
    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(head)
}

fn serve(mut client: TcpStream, upstream: &str, fault: &Fault, log: &Mutex<Vec<String>>, sent: &AtomicU64) {
    loop {
        let Some(head) = read_head(&mut client) else { return };
        let text = String::from_utf8_lossy(&head).into_owned();
        let line = text.lines().next().unwrap_or("").to_string();
        let length: usize = text
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        if client.read_exact(&mut body).is_err() {
            return;
        }
        let seen = {
            let mut log = log.lock().unwrap();
            log.push(line.clone());
            log.len()
        };
        let answer = |status: &str, code: &str| {
            let xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{code}</Message></Error>"
            );
            format!("HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{xml}", xml.len())
        };
        let reply = match fault {
            Fault::Forbidden => Some(answer("403 Forbidden", "AccessDenied")),
            Fault::Vanished(part)
                if line.starts_with("GET ") && line.contains(part.as_str()) && !line.contains("list-type") =>
            {
                Some(answer("404 Not Found", "NoSuchKey"))
            }
            Fault::DiesAfter(n) if seen > *n => return, // dropped, unanswered
            _ => None,
        };
        if let Some(reply) = reply {
            if client.write_all(reply.as_bytes()).is_err() {
                return;
            }
            continue;
        }
        // Forward with `Connection: close`, relay the whole response, then close: the client
        // opens a new connection for its next request.
        let Ok(mut server) = TcpStream::connect(upstream) else { return };
        let head: String = text
            .split("\r\n")
            .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
            .collect::<Vec<_>>()
            .join("\r\n");
        let head = head.trim_end_matches("\r\n").to_string() + "\r\nConnection: close\r\n\r\n";
        if server.write_all(head.as_bytes()).and_then(|_| server.write_all(&body)).is_err() {
            return;
        }
        let mut response = Vec::new();
        let _ = server.read_to_end(&mut response);
        sent.fetch_add(response.len() as u64, Ordering::Relaxed);
        let _ = client.write_all(&response);
        return;
    }
}

#[test]
fn row_counts_and_their_anomaly_read_only_footers() {
    let Some(bucket) = Bucket::new("tollgate-footers") else { return };
    let data = tempfile::tempdir().unwrap();
    // Three partitions of 200k rows: big enough that a footer is a sliver of each file.
    for (day, n) in [("2026-01-01", 200_000i64), ("2026-01-02", 200_000), ("2026-01-03", 190_000)] {
        let mut df = df!(
            "id" => (0..n).collect::<Vec<_>>(),
            "amount" => (0..n).map(|i| (i * 7919 % 100_000) as f64 / 3.0).collect::<Vec<_>>(),
        )
        .unwrap();
        write_parquet(&data.path().join(format!("dt={day}/part-0.parquet")), &mut df);
    }
    bucket.upload_tree(data.path(), "big");
    let data_bytes: u64 = walk(data.path()).iter().map(|f| std::fs::metadata(f).unwrap().len()).sum();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        format!(
            "contract: footers\ndataset: {{path: {}, partitioning: {{style: hive, key: dt}}}}\nchecks:\n  - row_count: {{min: 1}}\n  - row_count_anomaly: {{method: median, window: 7, tolerance: 0.1, min_history: 2}}\n",
            bucket.url("big")
        ),
    )
    .unwrap();
    let proxy = Proxy::start(&bucket.endpoint, Fault::None);
    let run = bucket.tollgate_via(&proxy.address, dir.path(), &["check", "c.yaml", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["results"][0]["rows"], 190_000);
    assert_eq!(check(&report, "row_count_anomaly")["status"], "pass");
    let requests = proxy.requests();
    for file in walk(data.path()) {
        let key = format!("big/{}", file.strip_prefix(data.path()).unwrap().display());
        let gets = requests.iter().filter(|r| r.starts_with("GET ") && r.contains(&key)).count();
        assert!(gets <= 2, "{gets} GETs of {key}: {requests:#?}");
    }
    let sent = proxy.bytes_sent.load(Ordering::Relaxed);
    assert!(sent * 100 < data_bytes, "{sent} bytes fetched of {data_bytes}: {requests:#?}");
    println!(
        "row_count + row_count_anomaly over 3 partitions: {} requests, {sent} of {data_bytes} bytes",
        requests.len()
    );
}

#[test]
fn a_refused_store_is_an_exit_3_naming_the_url() {
    let Some(bucket) = bucket_with_fixtures("tollgate-refused") else { return };
    let dir = tempfile::tempdir().unwrap();
    let on_s3 = contract_on_s3(&bucket, dir.path(), "orders_daily.yaml");
    let proxy = Proxy::start(&bucket.endpoint, Fault::Forbidden);
    let run = bucket.tollgate_via(
        &proxy.address,
        dir.path(),
        &["check", on_s3.to_str().unwrap(), "-f", "json", "-o", "report.json"],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains(&bucket.url("fixtures/orders_daily")), "{}", run.stderr);
    assert!(run.stderr.contains("403 Forbidden") && run.stderr.contains("AccessDenied"), "{}", run.stderr);
}

#[test]
fn an_object_deleted_after_listing_is_an_exit_3_naming_it() {
    let Some(bucket) = bucket_with_fixtures("tollgate-vanished") else { return };
    let dir = tempfile::tempdir().unwrap();
    let on_s3 = contract_on_s3(&bucket, dir.path(), "orders_daily.yaml");
    // (`=` travels percent-encoded in the request path.)
    let proxy = Proxy::start(&bucket.endpoint, Fault::Vanished("2026-01-03".into()));
    let run = bucket.tollgate_via(
        &proxy.address,
        dir.path(),
        &["check", on_s3.to_str().unwrap(), "-f", "json", "-o", "report.json"],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains(&bucket.url("fixtures/orders_daily/dt=2026-01-03/part-0.parquet")), "{}", run.stderr);
    assert!(run.stderr.contains("no such object"), "{}", run.stderr);
    // The report says the same, whole: one result, an error, no checks.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["results"][0]["status"], "error");
    assert!(report["results"][0]["error"].as_str().unwrap().contains("dt=2026-01-03/part-0.parquet"));
}

#[test]
fn a_store_that_goes_away_mid_run_is_an_exit_3_after_bounded_retries() {
    let Some(bucket) = bucket_with_fixtures("tollgate-gone") else { return };
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("contracts/orders_daily.yaml"))
        .unwrap()
        .replace("../fixtures/", &bucket.url("fixtures/"))
        .replace("partitioning:", "storage_options: {max_retries: 1, retry_timeout: 3}\n  partitioning:");
    std::fs::write(dir.path().join("c.yaml"), text).unwrap();
    // The listing and a few footers are answered; then the server is gone.
    let proxy = Proxy::start(&bucket.endpoint, Fault::DiesAfter(4));
    let started = std::time::Instant::now();
    let run = bucket.tollgate_via(&proxy.address, dir.path(), &["check", "c.yaml", "-f", "json", "-o", "report.json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains(&bucket.url("fixtures/orders_daily")), "{}", run.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "took {:?}", started.elapsed());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(
        (report["status"].as_str(), report["results"][0]["checks"].as_array().map(Vec::len)),
        (Some("error"), Some(0))
    );
}

#[test]
fn unknown_buckets_missing_credentials_and_other_schemes_are_clear() {
    let Some(bucket) = Bucket::new("tollgate-errors") else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "contract: e\ndataset: {path: unused.parquet}\nchecks:\n  - row_count: {min: 1}\n",
    )
    .unwrap();
    let run = bucket.tollgate(dir.path(), &["check", "c.yaml", "--data", "s3://no-such-bucket-here/orders/"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("s3://no-such-bucket-here/orders"), "{}", run.stderr);
    let run = bucket.tollgate(dir.path(), &["check", "c.yaml", "--data", "hdfs://namenode/orders"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("`hdfs://` is not a store tollgate reads"), "{}", run.stderr);

    // No credentials anywhere: said, with where tollgate looked.
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["check", "c.yaml", "--data", &bucket.url("orders/")])
        .current_dir(dir.path())
        .env_clear()
        .env("HOME", bucket.home.path())
        .env("AWS_ENDPOINT_URL", &bucket.endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_METADATA_ENDPOINT", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("no credentials were found; tollgate looked at AWS_ACCESS_KEY_ID"), "{stderr}");
    assert!(stderr.contains(".aws/credentials"), "{stderr}");

    // A secret in a contract is refused before anything is read.
    std::fs::write(
        dir.path().join("secret.yaml"),
        "contract: s\ndataset:\n  path: s3://b/x\n  storage_options:\n    region: eu-west-1\n    secret_access_key: abc\n",
    )
    .unwrap();
    let run = bucket.tollgate(dir.path(), &["validate", "secret.yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("secret.yaml:6:5"), "{}", run.stderr);
    assert!(!run.stderr.contains("abc\n"));
}

#[test]
fn profiles_odcs_servers_and_plain_http_files() {
    let Some(bucket) = bucket_with_fixtures("tollgate-ways-in") else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "contract: w\ndataset: {path: unused.parquet}\nchecks:\n  - row_count: {min: 1}\n",
    )
    .unwrap();

    // Keys from a named profile in ~/.aws/credentials, none in the environment.
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!("[default]\naws_access_key_id = wrong\n[lake]\naws_access_key_id = test\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    std::fs::write(home.path().join(".aws/config"), "[profile lake]\nregion = us-east-1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["check", "c.yaml", "--data", &bucket.url("fixtures/orders.parquet"), "-f", "json"])
        .current_dir(dir.path())
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_PROFILE", "lake")
        .env("AWS_ENDPOINT_URL", &bucket.endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("\"rows\": 1000") && !stdout.contains(SECRET));

    // An ODCS v3 S3 server: its `location` and `endpointUrl` (no AWS_ENDPOINT_URL set).
    std::fs::write(
        dir.path().join("odcs.yaml"),
        format!(
            "apiVersion: v3.1.0\nkind: DataContract\nid: lake\nname: lake\nversion: 1.0.0\nstatus: active\nservers:\n  - server: lake\n    type: s3\n    location: {}\n    endpointUrl: {}\n    format: parquet\nschema:\n  - name: orders\n    properties:\n      - name: order_id\n        logicalType: integer\n        required: true\n",
            bucket.url("fixtures/orders_daily/"),
            bucket.endpoint
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["check", "odcs.yaml", "-f", "json"])
        .current_dir(dir.path())
        .env("HOME", home.path())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_ALLOW_HTTP", "true")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["results"][0]["rows"], 640);
    assert_eq!(report["results"][0]["dataset"], bucket.url("fixtures/orders_daily/"));

    // A single file over plain HTTP, no credentials: an object anyone may read.
    assert_eq!(
        bucket.put_public("public/orders.parquet", &std::fs::read(repo().join("fixtures/orders.parquet")).unwrap()),
        200
    );
    let url = format!("{}/{}/public/orders.parquet", bucket.endpoint, bucket.name);
    let run = tollgate_in(dir.path(), &["check", "c.yaml", "--data", &url, "-f", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["results"][0]["rows"], 1000);
}
