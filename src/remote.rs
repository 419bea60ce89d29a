//! Datasets on object storage — `s3://` (AWS and S3-compatible stores), `gs://`, `az://` /
//! `abfss://` and `https://` (single files) — through `object_store`, the client Polars itself
//! uses for its cloud scans. This module lists objects (partitions are found by listing, never by
//! downloading), reads byte ranges (a Parquet footer is two ranged GETs), and writes whole objects
//! (one PUT: an object appears whole or not at all). Settings come the way each ecosystem expects
//! (`AWS_*` and `~/.aws` profiles, `GOOGLE_*`, `AZURE_*`), plus the contract's non-secret
//! `dataset.storage_options`; the same settings go to Polars' scans, so both read one store.
//!
//! A URL is carried as a `PathBuf` holding its text (`s3://bucket/key`): paths join, compare and
//! strip prefixes by `/`-separated components the same way for both.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::http::HttpBuilder;
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ClientConfigKey, ClientOptions, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload,
    RetryConfig,
};

use crate::source::DataError;

/// The object stores tollgate reads, by URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    S3,
    Gcs,
    Azure,
    Http,
}

impl Scheme {
    fn of(text: &str) -> Option<Scheme> {
        let (scheme, _) = text.split_once("://")?;
        match scheme.to_ascii_lowercase().as_str() {
            "s3" | "s3a" => Some(Scheme::S3),
            "gs" | "gcs" => Some(Scheme::Gcs),
            "az" | "azure" | "abfs" | "abfss" | "adl" => Some(Scheme::Azure),
            "http" | "https" => Some(Scheme::Http),
            _ => None,
        }
    }
}

/// The schemes a dataset URL may use, as error messages list them.
pub const SCHEMES: &str = "s3://, gs://, az://, abfss:// and https://";

/// Whether `path` is an object-store URL this build reads.
pub fn is_url(path: &Path) -> bool {
    path.to_str().and_then(Scheme::of).is_some()
}

/// `hdfs://…`, `ftp://…`: a URL of a scheme this build does not read.
pub fn unsupported_scheme(path: &Path) -> Option<String> {
    let text = path.to_str()?;
    let (scheme, _) = text.split_once("://")?;
    let looks_like_scheme = !scheme.is_empty()
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic());
    (looks_like_scheme && Scheme::of(text).is_none()).then(|| scheme.to_string())
}

/// `s3://bucket/a/b.parquet` → (`s3://bucket`, `a/b.parquet`).
fn split(url: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (authority, key) = rest.split_once('/').unwrap_or((rest, ""));
    (format!("{scheme}://{authority}"), key.trim_matches('/').to_string())
}

/// The contract's `storage_options`, by store root (`s3://bucket`): set once per dataset before
/// it is read. Keys are object_store's (`endpoint`, `region`, `allow_http`, …) plus `path_style`,
/// `max_retries` and `retry_timeout` (seconds).
static OPTIONS: OnceLock<Mutex<HashMap<String, BTreeMap<String, String>>>> = OnceLock::new();
static STORES: OnceLock<Mutex<HashMap<String, Arc<Store>>>> = OnceLock::new();

pub fn set_options(url: &Path, options: &BTreeMap<String, String>) {
    let Some(text) = url.to_str() else { return };
    let (root, _) = split(text);
    let map = OPTIONS.get_or_init(Default::default);
    map.lock().unwrap_or_else(|e| e.into_inner()).insert(root.clone(), options.clone());
    // A store built before with other options is rebuilt.
    STORES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner()).remove(&root);
}

fn options_of(root: &str) -> BTreeMap<String, String> {
    OPTIONS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(root)
        .cloned()
        .unwrap_or_default()
}

/// One store: the client, the settings Polars gets, and where credentials were looked for
/// (named in an error when none were found).
struct Store {
    client: Arc<dyn ObjectStore>,
    scheme: Scheme,
    polars: polars::io::cloud::CloudOptions,
    /// `Some(places looked)` when no credentials were found (requests go unsigned or to the
    /// instance metadata service; an auth error then says where tollgate looked).
    no_credentials: Option<String>,
}

/// The runtime the object-store futures run on (Polars has its own for its scans); built on
/// first use, so a local run never starts it.
fn runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("tollgate-store")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the object-store client: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Runs one request to the store of `url`; its failure as a data error about `url`.
fn request<T>(
    url: &str,
    store: &Store,
    future: impl std::future::Future<Output = Result<T, object_store::Error>>,
) -> Result<T, DataError> {
    runtime().map_err(|why| DataError::new(url, why))?.block_on(future).map_err(|e| failed(url, store, e))
}

/// Retries: bounded (default 3 retries within 15 s), from `max_retries` / `retry_timeout`.
fn retry_config(options: &BTreeMap<String, String>) -> RetryConfig {
    let max_retries = options.get("max_retries").and_then(|v| v.parse().ok()).unwrap_or(3);
    let timeout = options.get("retry_timeout").and_then(|v| v.parse::<f64>().ok()).unwrap_or(15.0);
    RetryConfig {
        backoff: BackoffConfig::default(),
        max_retries,
        retry_timeout: Duration::from_secs_f64(timeout.max(0.0)),
    }
}

fn client_options(options: &BTreeMap<String, String>) -> ClientOptions {
    let mut client =
        ClientOptions::new().with_connect_timeout(Duration::from_secs(5)).with_timeout(Duration::from_secs(60));
    for (key, value) in options {
        if let Ok(key) = key.parse::<ClientConfigKey>() {
            client = client.with_config(key, value);
        }
    }
    client
}

/// A profile's keys from an INI file (`~/.aws/credentials`: `[name]`; `~/.aws/config`:
/// `[profile name]`, or `[default]`).
fn ini_section(path: &Path, names: &[String]) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(path) else { return BTreeMap::new() };
    let mut out = BTreeMap::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') && line.ends_with(']') {
            inside = names.iter().any(|n| line[1..line.len() - 1].trim() == n);
        } else if inside {
            if let Some((k, v)) = line.split_once('=') {
                out.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
    }
    out
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// S3 settings: the environment (`AWS_*`), then the profile (`AWS_PROFILE`, default `default`)
/// in `~/.aws/credentials` and `~/.aws/config`, then the contract's options.
fn s3_config(options: &BTreeMap<String, String>) -> (Vec<(AmazonS3ConfigKey, String)>, Option<String>) {
    let mut config: HashMap<AmazonS3ConfigKey, String> = HashMap::new();
    for (key, value) in std::env::vars() {
        if key.starts_with("AWS_") && !value.is_empty() {
            if let Ok(k) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                config.insert(k, value);
            }
        }
    }
    let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
    let credentials_file = env("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws/credentials")))
        .unwrap_or_default();
    let config_file =
        env("AWS_CONFIG_FILE").map(PathBuf::from).or_else(|| home().map(|h| h.join(".aws/config"))).unwrap_or_default();
    let from_files = {
        let mut keys = ini_section(&config_file, &[format!("profile {profile}"), profile.clone()]);
        keys.extend(ini_section(&credentials_file, std::slice::from_ref(&profile)));
        keys
    };
    for (file_key, key) in [
        ("aws_access_key_id", AmazonS3ConfigKey::AccessKeyId),
        ("aws_secret_access_key", AmazonS3ConfigKey::SecretAccessKey),
        ("aws_session_token", AmazonS3ConfigKey::Token),
        ("region", AmazonS3ConfigKey::Region),
        ("endpoint_url", AmazonS3ConfigKey::Endpoint),
    ] {
        if let Some(value) = from_files.get(file_key) {
            config.entry(key).or_insert_with(|| value.clone());
        }
    }
    for (key, value) in options {
        match key.as_str() {
            "path_style" => {
                let virtual_hosted = if value == "true" { "false" } else { "true" };
                config.insert(AmazonS3ConfigKey::VirtualHostedStyleRequest, virtual_hosted.into());
            }
            other => {
                if let Ok(k) = other.parse::<AmazonS3ConfigKey>() {
                    config.insert(k, value.clone());
                }
            }
        }
    }
    // Without a region the client would ask AWS's public host, which a closed network or an
    // S3-compatible store cannot answer.
    config.entry(AmazonS3ConfigKey::Region).or_insert_with(|| "us-east-1".into());
    let signed = config.contains_key(&AmazonS3ConfigKey::AccessKeyId)
        || config.get(&AmazonS3ConfigKey::SkipSignature).is_some_and(|v| v == "true")
        || env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some()
        || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some();
    let looked = (!signed).then(|| {
        format!(
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile `{profile}` in {} and {}, AWS_WEB_IDENTITY_TOKEN_FILE, \
             AWS_CONTAINER_CREDENTIALS_*, and the instance metadata service; for a public bucket set \
             `storage_options: {{skip_signature: true}}`",
            credentials_file.display(),
            config_file.display()
        )
    });
    let mut config: Vec<(AmazonS3ConfigKey, String)> = config.into_iter().collect();
    // A stable order (HashMap's is random): the settings Polars gets compare equal across runs.
    config.sort_by_key(|(k, _)| k.as_ref().to_string());
    (config, looked)
}

/// The options that are configuration keys of a store's client (others are tollgate's own).
fn typed_options<K: std::str::FromStr>(options: &BTreeMap<String, String>) -> Vec<(K, String)> {
    options.iter().filter_map(|(k, v)| Some((k.parse().ok()?, v.clone()))).collect()
}

fn build(root: &str) -> Result<Store, DataError> {
    let scheme = Scheme::of(root).ok_or_else(|| DataError::new(root, format!("tollgate reads {SCHEMES} URLs")))?;
    let options = options_of(root);
    let retry = retry_config(&options);
    let invalid = |e: object_store::Error| DataError::new(root, format!("cannot set up the store: {e}"));
    let polars_retry = polars::io::cloud::CloudRetryConfig {
        max_retries: Some(retry.max_retries),
        retry_timeout: Some(retry.retry_timeout),
        ..Default::default()
    };
    let polars_options = polars::io::cloud::CloudOptions::default().with_retry_config(polars_retry);
    let store = match scheme {
        Scheme::S3 => {
            let (config, no_credentials) = s3_config(&options);
            let mut builder =
                AmazonS3Builder::new().with_url(root).with_retry(retry).with_client_options(client_options(&options));
            for (k, v) in &config {
                builder = builder.with_config(*k, v);
            }
            Store {
                client: Arc::new(builder.build().map_err(invalid)?),
                scheme,
                polars: polars_options.with_aws(config),
                no_credentials,
            }
        }
        Scheme::Gcs => {
            let config: Vec<(GoogleConfigKey, String)> = typed_options(&options);
            let mut builder = GoogleCloudStorageBuilder::from_env()
                .with_url(root)
                .with_retry(retry)
                .with_client_options(client_options(&options));
            for (k, v) in &config {
                builder = builder.with_config(*k, v);
            }
            let no_credentials = (env("GOOGLE_APPLICATION_CREDENTIALS").is_none()
                && env("GOOGLE_SERVICE_ACCOUNT").is_none()
                && env("GOOGLE_SERVICE_ACCOUNT_PATH").is_none())
            .then(|| {
                "GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_SERVICE_ACCOUNT(_PATH) and the metadata server".to_string()
            });
            Store {
                client: Arc::new(builder.build().map_err(invalid)?),
                scheme,
                polars: polars_options.with_gcp(config),
                no_credentials,
            }
        }
        Scheme::Azure => {
            let config: Vec<(AzureConfigKey, String)> = typed_options(&options);
            let mut builder = MicrosoftAzureBuilder::from_env()
                .with_url(root)
                .with_retry(retry)
                .with_client_options(client_options(&options));
            for (k, v) in &config {
                builder = builder.with_config(*k, v);
            }
            let no_credentials = std::env::vars()
                .all(|(k, _)| !(k.starts_with("AZURE_STORAGE_") || k.starts_with("AZURE_CLIENT_")))
                .then(|| {
                    "AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_SAS_TOKEN, AZURE_CLIENT_* and managed identity"
                        .to_string()
                });
            Store {
                client: Arc::new(builder.build().map_err(invalid)?),
                scheme,
                polars: polars_options.with_azure(config),
                no_credentials,
            }
        }
        Scheme::Http => {
            // An `http://` URL was written on purpose: plain HTTP is allowed for it.
            let client = client_options(&options).with_allow_http(root.starts_with("http://"));
            let builder = HttpBuilder::new().with_url(root).with_retry(retry).with_client_options(client);
            Store {
                client: Arc::new(builder.build().map_err(invalid)?),
                scheme,
                polars: polars_options,
                no_credentials: None,
            }
        }
    };
    Ok(store)
}

fn store(root: &str) -> Result<Arc<Store>, DataError> {
    let stores = STORES.get_or_init(Default::default);
    if let Some(store) = stores.lock().unwrap_or_else(|e| e.into_inner()).get(root) {
        return Ok(store.clone());
    }
    let built = Arc::new(build(root)?);
    stores.lock().unwrap_or_else(|e| e.into_inner()).insert(root.to_string(), built.clone());
    Ok(built)
}

/// The settings Polars' scan of `url` needs to read the same store.
pub fn polars_options(url: &Path) -> Result<polars::io::cloud::CloudOptions, DataError> {
    let (root, _) = split(&url.to_string_lossy());
    Ok(store(&root)?.polars.clone())
}

/// An object-store error as a data error naming the URL: what happened in words a user acts on.
/// Decided by the error's kind, never its text.
fn failed(url: &str, store: &Store, e: object_store::Error) -> DataError {
    use object_store::Error as E;
    let message = match &e {
        E::NotFound { .. } => "no such object (or bucket)".to_string(),
        E::PermissionDenied { .. } => format!("access denied: {e}"),
        E::Unauthenticated { .. } => format!("not authenticated: {e}"),
        E::NotSupported { .. } | E::NotImplemented { .. } => {
            format!("{} does not support this: {e}", scheme_name(store.scheme))
        }
        // The HTTP status is inside the store's own message (object_store does not expose it).
        _ => format!("the store refused the request or did not answer (retries are bounded): {e}"),
    };
    // Without credentials, a refusal or a silent metadata service is most likely why.
    let hint = match (&store.no_credentials, &e) {
        (Some(looked), E::PermissionDenied { .. } | E::Unauthenticated { .. } | E::Generic { .. }) => {
            format!("\n   = note: no credentials were found; tollgate looked at {looked}")
        }
        _ => String::new(),
    };
    let message = format!("{message}{hint}");
    DataError::new(url, message)
}

fn scheme_name(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::S3 => "S3",
        Scheme::Gcs => "Google Cloud Storage",
        Scheme::Azure => "Azure Blob Storage",
        Scheme::Http => "an HTTP server",
    }
}

/// An object's URL (as text), its store, and its key in the store.
fn locate(url: &Path) -> Result<(String, Arc<Store>, ObjectPath), DataError> {
    let text = url.to_string_lossy().trim_end_matches('/').to_string();
    let (root, key) = split(&text);
    let store = store(&root)?;
    let location =
        ObjectPath::parse(&key).map_err(|e| DataError::new(&text, format!("not a valid object key: {e}")))?;
    Ok((text, store, location))
}

/// Object sizes seen while listing, so a footer read needs no HEAD request.
static SIZES: OnceLock<Mutex<HashMap<String, u64>>> = OnceLock::new();

fn remember_size(url: &str, size: u64) {
    SIZES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner()).insert(url.to_string(), size);
}

/// The size of an object, from its listing or a HEAD request.
pub fn size(url: &Path) -> Result<u64, DataError> {
    let text = url.to_string_lossy();
    if let Some(size) = SIZES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner()).get(text.as_ref())
    {
        return Ok(*size);
    }
    let (text, store, location) = locate(url)?;
    let meta = request(&text, &store, store.client.head(&location))?;
    remember_size(&text, meta.size);
    Ok(meta.size)
}

/// What a dataset URL names: the one object of that name, or the objects under it as a folder
/// (sorted; hidden `.x`/`_x` names skipped at any depth).
pub fn list(url: &Path) -> Result<Vec<PathBuf>, DataError> {
    let (text, store, prefix) = locate(url)?;
    let (root, _) = split(&text);
    if store.scheme == Scheme::Http {
        // A plain web server cannot list: an https:// dataset is one file.
        size(url)?;
        return Ok(vec![PathBuf::from(text)]);
    }
    let listed: Vec<object_store::ObjectMeta> =
        request(&text, &store, store.client.list(Some(&prefix)).try_collect::<Vec<_>>())?;
    if listed.is_empty() {
        // Not a folder: an object of that name, or nothing.
        size(url)?;
        return Ok(vec![PathBuf::from(text)]);
    }
    let mut files = Vec::new();
    for meta in listed {
        let inside = meta.location.as_ref().strip_prefix(prefix.as_ref()).unwrap_or(meta.location.as_ref());
        if inside.split('/').any(|part| part.starts_with('.') || part.starts_with('_')) {
            continue;
        }
        let file = format!("{root}/{}", meta.location);
        remember_size(&file, meta.size);
        files.push(PathBuf::from(file));
    }
    files.sort();
    Ok(files)
}

/// The objects a glob URL matches (`s3://b/orders/dt=*/*.parquet`): everything under the part
/// before the first wildcard is listed once and matched by `/`-separated segments; an object
/// inside a matching folder matches too.
pub fn glob(url: &Path) -> Result<Vec<PathBuf>, DataError> {
    let text = url.to_string_lossy().to_string();
    let (root, key) = split(&text);
    let literal: Vec<&str> = key.split('/').take_while(|part| !part.contains(['*', '?', '['])).collect();
    let base = format!("{root}/{}", literal.join("/"));
    let pattern = glob::Pattern::new(&key).map_err(|e| DataError::new(url, format!("invalid glob: {e}")))?;
    let options = glob::MatchOptions { require_literal_separator: true, ..Default::default() };
    let all = list(Path::new(&base))?;
    Ok(all
        .into_iter()
        .filter(|file| {
            let (_, file_key) = split(&file.to_string_lossy());
            let parts: Vec<&str> = file_key.split('/').collect();
            (1..=parts.len()).any(|n| pattern.matches_with(&parts[..n].join("/"), options))
        })
        .collect())
}

/// Bytes `range` of an object.
pub fn read_range(url: &Path, range: Range<u64>) -> Result<Vec<u8>, DataError> {
    let (text, store, location) = locate(url)?;
    let bytes = request(&text, &store, store.client.get_range(&location, range))?;
    Ok(bytes.to_vec())
}

/// The last `n` bytes of an object and its size, in one request.
pub fn read_suffix(url: &Path, n: u64) -> Result<(Vec<u8>, u64), DataError> {
    let (text, store, location) = locate(url)?;
    let result = request(&text, &store, async {
        let got = store
            .client
            .get_opts(&location, GetOptions { range: Some(GetRange::Suffix(n)), ..Default::default() })
            .await?;
        let size = got.meta.size;
        let bytes = got.bytes().await?;
        Ok::<_, object_store::Error>((bytes.to_vec(), size))
    })?;
    remember_size(&text, result.1);
    Ok(result)
}

/// Copies a whole object to a local file, streaming (CSV, whose every byte is read anyway).
pub fn download(url: &Path, to: &Path) -> Result<(), DataError> {
    use std::io::Write;
    let (text, store, location) = locate(url)?;
    let mut file = std::fs::File::create(to).map_err(|e| DataError::new(to, e.to_string()))?;
    request(&text, &store, async {
        let mut stream = store.client.get(&location).await?.into_stream();
        while let Some(chunk) = stream.try_next().await? {
            file.write_all(&chunk).map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) })?;
        }
        Ok::<_, object_store::Error>(())
    })
}

/// Writes a whole object with one PUT: readers see the old object or the new one, never part.
pub fn write(url: &Path, bytes: Vec<u8>) -> Result<(), DataError> {
    let (text, store, location) = locate(url)?;
    request(&text, &store, store.client.put(&location, PutPayload::from(bytes)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_splits() {
        assert!(is_url(Path::new("s3://b/k")));
        assert!(is_url(Path::new("abfss://c@acct.dfs.core.windows.net/x")));
        assert!(!is_url(Path::new("data/x.parquet")));
        assert_eq!(unsupported_scheme(Path::new("hdfs://nn/x")), Some("hdfs".into()));
        assert_eq!(unsupported_scheme(Path::new("s3://b")), None);
        assert_eq!(unsupported_scheme(Path::new("C:/data")), None);
        assert_eq!(split("s3://bucket/a/b.parquet"), ("s3://bucket".into(), "a/b.parquet".into()));
        assert_eq!(split("s3://bucket"), ("s3://bucket".into(), "".into()));
    }

    #[test]
    fn profiles_are_read_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("credentials");
        std::fs::write(&file, "[default]\naws_access_key_id = A\n[prod]\naws_access_key_id = B\nregion=eu-west-1\n")
            .unwrap();
        assert_eq!(ini_section(&file, &["prod".into()]).get("aws_access_key_id").map(String::as_str), Some("B"));
        assert_eq!(ini_section(&file, &["default".into()]).get("aws_access_key_id").map(String::as_str), Some("A"));
    }
}
